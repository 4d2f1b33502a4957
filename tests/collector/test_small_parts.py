"""Batcher, backoff, dedupe, band ids, the status table and CLI argument errors."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from bandsense.model import SampleBatch
from collector.backoff import Backoff
from collector.batcher import Batcher, FrameSamples
from collector.dedupe import BatchDeduper
from collector.publisher import BrokerConfig, Publisher
from collector.service import Collector, CollectorOptions, band_id_for
from collector.spool import Spool
from collector.status_view import render
from collector.topics import BandTopics
from tests.collector.e2e_helpers import bandsense_cmd


def frame(seq: int, n: int = 10, rate: float = 200.0, stretch: bool = True) -> FrameSamples:
    dev = (seq * n + np.arange(n)) * int(1e6 / rate)
    return FrameSamples(
        device_us=dev.astype(np.int64),
        time_s=dev.astype(np.float64) * 1e-6,
        force_n=np.full(n, float(seq)),
        stretch_mm=np.full(n, 1.0) if stretch else None,
        rate_hz=rate,
    )


def test_batcher_cuts_by_duration_gap_and_shape() -> None:
    b = Batcher("b1", "s1", batch_s=0.1)  # 20 samples at 200 Hz
    assert b.add_frame(0, frame(0), 0.0) == []
    (first,) = b.add_frame(1, frame(1), 0.0)
    assert (first.seq_first, first.seq_last, len(first.force_n)) == (0, 1, 20)
    assert b.add_frame(2, frame(2), 0.0) == []
    (cut,) = b.add_gap(3, 4)  # a gap closes the batch ...
    assert (cut.seq_first, cut.seq_last, cut.gaps) == (2, 2, [])
    b.add_gap(5, 5)
    b.add_frame(6, frame(6), 0.0)
    (after,) = b.flush()
    assert after.gaps == [(3, 5)] and after.seq_first == 6  # ... and rides on the next
    b.add_frame(7, frame(7), 1.0)
    (shape,) = b.add_frame(8, frame(8, stretch=False), 1.0)  # no stretch: new batch
    assert shape.seq_last == 7 and shape.stretch_mm is not None
    assert b.due(1.3, 0.25) and not b.due(1.2, 0.25)


def test_backoff_grows_with_jitter_and_resets() -> None:
    bo = Backoff(initial_s=1.0, maximum_s=8.0, jitter=0.5, rng=random.Random(1))
    delays = [bo.next_delay() for _ in range(6)]
    caps = [1, 2, 4, 8, 8, 8]
    assert all(c * 0.5 <= d <= c for d, c in zip(delays, caps, strict=True))
    bo.reset()
    assert bo.next_delay() <= 1.0


def batch(seq0: int, seq1: int, session: str = "s") -> SampleBatch:
    return SampleBatch(
        band_id="b", session_id=session, seq_first=seq0, seq_last=seq1, sample_rate_hz=200,
        time_s=[0.0], device_time_us=[0], force_n=[0.0],
    )  # fmt: skip


def test_deduper_drops_repeats_per_session() -> None:
    d = BatchDeduper()
    assert [d.accept(batch(a, z)) for a, z in [(0, 1), (2, 3), (0, 1), (2, 3), (4, 4)]] == [
        True, True, False, False, True,
    ]  # fmt: skip
    assert d.accept(batch(0, 1, session="new")) and d.duplicates == 2


def test_band_ids_from_names_or_addresses() -> None:
    assert band_id_for("bandsense-sim-01", "F0:5E:00:00:00:01") == "bandsense-sim-01"
    assert band_id_for("my band #1", "F0:5E:00:00:00:01") == "F0:5E:00:00:00:01"
    assert band_id_for(None, "F0:5E:00:00:00:01") == "F0:5E:00:00:00:01"


async def test_status_table_lists_every_band(tmp_path: Path) -> None:
    collector = Collector(CollectorOptions(spool_dir=tmp_path))
    from collector.service import BandEntry

    pub = Publisher(BrokerConfig(), BandTopics("b1"), Spool(tmp_path / "b1.sqlite"), "c")
    pub.publish_batch(batch(0, 0))
    collector.entries["b1"] = BandEntry("b1", pub, publisher_task=None)  # type: ignore[arg-type]
    console = Console(record=True, width=200)
    console.print(render(collector))
    text = console.export_text()
    assert "b1" in text and "replay" in text and "DOWN" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["collect", "--sim", "bogus"], "expected tcp:HOST:PORT or unix:PATH"),
        (["collect", "--mqtt", "http://x:1"], "invalid setting mqtt.url from a flag"),
        (["-c", "{toml}", "collect"], "mqtt.topic_prefix in"),
        (["collect", "--band-id", "a/b"], "invalid band id"),
        (["collect", "--band-id", "knee", "--band", "x", "--band", "y"], "names one band"),
    ],
)
def test_cli_argument_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"  # not ./bandsense.toml, which every case would read
    toml.write_text('[mqtt]\ntopic_prefix = "a/+"\n')
    args = [a.replace("{toml}", str(toml)) for a in args]
    proc = subprocess.run(
        [*bandsense_cmd(), *args, "--spool", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
