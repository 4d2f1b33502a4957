"""Malformed notifications are counted and logged, never crash the session; valid frames
around them still come out in order."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bandsense.model import SampleBatch
from bandsense.protocol import ProtocolError, band, tindeq
from collector.band_session import BandSession, SessionConfig
from collector.profiles import BAND, TINDEQ, DeviceProfile
from collector.publisher import BrokerConfig, Publisher
from collector.spool import Spool
from collector.topics import BandTopics


def session_for(profile: DeviceProfile, folder: Path) -> BandSession:
    publisher = Publisher(
        BrokerConfig(), BandTopics("fuzz"), Spool(folder / "fuzz.sqlite"), collector_id="t"
    )
    return BandSession(
        "AA:BB:CC:DD:EE:FF", "fuzz", profile, publisher, collector_id="t", config=SessionConfig()
    )


def valid_frame(seq: int) -> bytes:
    force = [float(seq), float(seq) + 0.5]
    frame = band.frame_from_samples(seq, 1000 + seq * 10_000, 5000, force, [10.0, 11.0])
    return band.encode_frame(frame)


def is_malformed(profile: DeviceProfile, data: bytes) -> bool:
    try:
        profile.decode(data)
    except ProtocolError:
        return True
    return False


def spooled_batches(session: BandSession) -> list[SampleBatch]:
    entries = session.publisher.spool.read(limit=10**6)
    return [SampleBatch.model_validate_json(e.payload) for e in entries if "samples" in e.topic]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage=st.lists(st.binary(max_size=300), max_size=30), seed=st.randoms())
def test_fuzzed_band_notifications_never_crash(garbage: list[bytes], seed: object) -> None:
    async def body() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            session = session_for(BAND, Path(tmp))
            stream: list[bytes] = [valid_frame(i) for i in range(20)]
            for g in garbage:
                stream.insert(seed.randint(0, len(stream)), g)  # type: ignore[attr-defined]
            expected_bad = sum(is_malformed(BAND, g) for g in garbage)
            for data in stream:
                session.on_notification(None, bytearray(data))
            session.flush_pending()
            assert session.stats.malformed == expected_bad
            batches = spooled_batches(session)
            seqs = [s for b in batches for s in (b.seq_first, b.seq_last)]
            assert seqs == sorted(seqs) and len(set(seqs[1::2])) == len(batches)
            if expected_bad == len(garbage):
                # Only real frames decoded: each exactly once, in order.
                forces = [f for b in batches for f in b.force_n]
                assert forces == [v for i in range(20) for v in (float(i), i + 0.5)]
            session.publisher.spool.close()

    asyncio.run(body())


@settings(max_examples=100, deadline=None)
@given(garbage=st.lists(st.binary(max_size=120), min_size=1, max_size=20))
def test_fuzzed_tindeq_notifications_never_crash(garbage: list[bytes]) -> None:
    async def body() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            session = session_for(TINDEQ, Path(tmp))
            for g in garbage:
                session.on_notification(None, bytearray(g))
            session.on_notification(None, tindeq.encode_weight_frame([1.0, 2.0], [100, 12_600]))
            assert session.stats.malformed == sum(is_malformed(TINDEQ, g) for g in garbage)
            session.publisher.spool.close()

    asyncio.run(body())
