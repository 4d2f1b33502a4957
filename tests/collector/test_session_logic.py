"""BandSession decisions without a radio: resume from the spool after a crash, band
restarts, frames missing across a reconnect."""

from __future__ import annotations

import json
from pathlib import Path

from bandsense.model import SampleBatch
from bandsense.protocol import band
from collector.band_session import BandSession, SessionConfig
from collector.profiles import BAND
from collector.publisher import BrokerConfig, Publisher
from collector.spool import Spool
from collector.topics import BandTopics

SPF = 4


def session(folder: Path) -> BandSession:
    pub = Publisher(BrokerConfig(), BandTopics("b1"), Spool(folder / "b1.sqlite"), "t")
    return BandSession("AA:BB:CC:DD:EE:FF", "b1", BAND, pub, collector_id="t",
                       config=SessionConfig(batch_s=0.001))  # fmt: skip


def status(next_seq: int) -> band.BandStatus:
    return band.BandStatus(
        sample_rate_hz=200, fw_major=1, fw_minor=0, fw_patch=0, streaming=True,
        battery_pct=90, buffered_frames=10, next_seq=next_seq, frames_sent=next_seq,
        command_errors=0, frames_resent=0,
    )  # fmt: skip


def notify(s: BandSession, seq: int, resent: bool = False) -> None:
    f = band.frame_from_samples(
        seq, 10_000 + seq * SPF * 5000, 5000, [float(seq)] * SPF, [1.0] * SPF, resent=resent
    )
    s.on_notification(None, band.encode_frame(f))


def published(s: BandSession) -> tuple[list[SampleBatch], list[dict[str, object]]]:
    entries = s.publisher.spool.read(limit=10**6)
    batches = [SampleBatch.model_validate_json(e.payload) for e in entries if "samples" in e.topic]
    events = [json.loads(e.payload) for e in entries if "events" in e.topic]
    return batches, events


def test_reconnect_asks_for_what_was_produced_meanwhile(tmp_path: Path) -> None:
    s = session(tmp_path)
    s.apply_status(status(0), connecting=True)
    for seq in range(5):
        notify(s, seq)
    # Link down; the band went on to frame 11. On reconnect the status says so.
    s.apply_status(status(12), connecting=True)
    request = s.sequencer.next_request(1e12)
    assert request is not None and (request.from_seq, request.count) == (5, 7)
    for seq in range(5, 12):
        notify(s, seq, resent=True)
    batches, _ = published(s)
    assert [b.seq_first for b in batches] == list(range(12))
    assert s.stats.recovered == 7 and s.stats.lost_frames == 0


def test_restart_after_crash_resumes_from_the_spool(tmp_path: Path) -> None:
    first = session(tmp_path)
    first.apply_status(status(100), connecting=True)
    for seq in range(100, 110):
        notify(first, seq)
    session_id = first.session_id
    first.publisher.spool.close()  # the process dies here
    second = session(tmp_path)
    second.apply_status(status(130), connecting=True)
    assert second.session_id == session_id
    request = second.sequencer.next_request(1e12)
    assert request is not None and (request.from_seq, request.count) == (110, 20)


def test_band_restart_starts_a_new_session(tmp_path: Path) -> None:
    s = session(tmp_path)
    s.apply_status(status(500), connecting=True)
    for seq in range(500, 503):
        notify(s, seq)
    old = s.session_id
    s.apply_status(status(2), connecting=True)  # numbering went backwards: rebooted
    assert s.session_id != old and s.sequencer.next_seq == 2
    notify(s, 2)
    batches, events = published(s)
    assert [e["event"] for e in events if e["event"] == "band_restarted"] == ["band_restarted"]
    assert batches[-1].session_id == s.session_id and batches[-1].seq_first == 2
    # A later run must not resume the old numbering of the rebooted band.
    assert s.publisher.spool.get_state("session_id") == s.session_id


def test_outstanding_frames_are_left_for_the_next_run(tmp_path: Path) -> None:
    s = session(tmp_path)
    s.apply_status(status(0), connecting=True)
    for seq in [0, 1, 2, 4, 5]:  # 3 still missing when the collector stops
        notify(s, seq)
    s.flush_pending()
    assert s.publisher.spool.get_state("next_seq") == "3"
    s.publisher.spool.close()
    again = session(tmp_path)
    again.apply_status(status(6), connecting=True)
    request = again.sequencer.next_request(1e12)
    assert request is not None and (request.from_seq, request.count) == (3, 3)
    _, events = published(again)
    assert not [e for e in events if e["event"] == "gap"]
