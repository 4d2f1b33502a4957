"""End to end: `bandsense sim serve` -> BLE (bleak + Bumble over HCI/TCP) -> `bandsense
collect` -> real mosquitto -> a subscriber that checks every sample.

Scenarios are run fast (--speed); the collector is told the speed so its clock model
expects the simulator's faster device clock.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.collector.e2e_helpers import (
    SCENARIOS,
    CollectorProcess,
    SimProcess,
    check_stream,
    sim_and_collector,
)
from tests.collector.mqtt_helpers import Recorder, subscriber
from tests.services import MosquittoServer

pytestmark = pytest.mark.timeout(600)


def last_status(rec: Recorder, band: str) -> dict[str, Any]:
    return rec.status.get(f"bandsense/{band}/status", {})


def finished(rec: Recorder, band: str, frames: int) -> Callable[[], bool]:
    """The subscriber has everything of ``band`` up to frame ``frames - 1``."""

    def done() -> bool:
        mine = [b for b in rec.batches if b.band_id == band]
        return bool(mine) and mine[-1].seq_last >= frames - 1

    return done


def frames_in_run(n_samples: int, spf: int) -> int:
    return -(-n_samples // spf)


async def test_five_minutes_every_sample_once_in_order(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    speed = 25.0
    async with (
        sim_and_collector(mosquitto.url, SCENARIOS / "five_minutes.toml", tmp_path, speed) as (
            sim,
            collector,
        ),
        subscriber(mosquitto.host, mosquitto.port, ["bandsense/#"]) as rec,
    ):
        collector.start()
        name = sim.names[0]
        expected = sim.expected_force(1)
        # 58 samples per frame at the MTU the backend negotiates (247).
        spf = 58
        total_frames = frames_in_run(len(expected), spf)
        await rec.wait_for(finished(rec, name, total_frames), timeout=300)
        # Ctrl-C: a clean shutdown that flushes everything and leaves an empty spool.
        assert collector.stop(sig=signal.SIGINT) == 0, collector.log()[-6000:]
        await rec.wait_for(lambda: last_status(rec, name).get("reason") == "collector stopped")
    assert spooled(tmp_path / "spool" / f"{name}.sqlite") == 0
    air = sim.air(name)
    assert air["samples_per_frame"] == spf
    batches = [b for b in rec.batches if b.band_id == name]
    result = check_stream(batches, expected, spf)
    assert result["gaps"] == []
    assert result["samples"] == len(expected)
    status = last_status(rec, name)
    # The collector's counters against the simulator's record of the radio.
    assert air["frames_built"] == total_frames == status["frames"]
    assert status["frames_lost"] == 0 and status["malformed"] == 0
    assert len(air["lost_on_air_seqs"]) > 0
    assert status["frames_recovered"] >= len(air["lost_on_air_seqs"])
    assert status["frames_missing"] == status["frames_recovered"]
    assert air["frames_resent"] >= len(air["lost_on_air_seqs"])
    assert rec.deduper.duplicates == 0
    # Wall-clock stamps follow the device clock scaled by the speed: a straight line
    # within a few ms of real time (the tight bounds are in test_clock.py).
    dev = np.array([t for b in batches for t in b.device_time_us], dtype=np.float64)
    wall = np.array([t for b in batches for t in b.time_s])
    late = dev > dev[0] + 30e6  # after the estimate settled
    slope, icpt = np.polyfit(dev[late], wall[late], 1)
    assert abs(slope * 1e6 * speed - 1.0) < 1e-3
    assert np.max(np.abs(wall[late] - (slope * dev[late] + icpt))) < 0.02


async def test_link_drops_and_withheld_frames_are_recovered(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    # Three link drops (the band keeps streaming into its 60 s buffer); the last one
    # outlasts the buffer for its own duration (lose_data): only those frames may be gaps.
    # At 12x the band's 60 s buffer lasts 5 real seconds: room for reconnects on a busy CI.
    speed = 12.0
    async with sim_and_collector(
        mosquitto.url, SCENARIOS / "five_minutes_drops.toml", tmp_path, speed
    ) as (sim, collector):
        name = sim.names[0]
        expected = sim.expected_force(1)
        spf = 58
        total_frames = frames_in_run(len(expected), spf)
        async with subscriber(mosquitto.host, mosquitto.port, ["bandsense/#"]) as rec:
            collector.start()
            await rec.wait_for(finished(rec, name, total_frames), timeout=300)
            assert collector.stop() == 0, collector.log()[-6000:]
            await rec.wait_for(lambda: last_status(rec, name).get("reason") == "collector stopped")
    air = sim.air(name)
    assert len(air["link_drops"]) == 3 and air["connections"] >= 4
    batches = [b for b in rec.batches if b.band_id == name]
    result = check_stream(batches, expected, spf)
    evicted = [tuple(r) for r in air["evicted_seq_ranges"]]
    assert evicted, "the data-losing drop evicted nothing: scenario too gentle"
    # Gaps only where the band no longer held the frames: the data-losing outage evicted
    # its ring up to the outage's end (frames from before it had arrived live already);
    # the frames of the outage itself are the gap.
    gap_frames = {s for g0, g1 in result["gaps"] for s in range(g0, g1 + 1)}
    evicted_frames = {s for e0, e1 in evicted for s in range(e0, e1 + 1)}
    assert gap_frames and gap_frames <= evicted_frames
    drop = next(d for d in air["link_drops"] if d["lose_data"])
    frame_s = spf / 200.0
    outage = range(
        int(drop["at_s"] / frame_s) - 1, int((drop["at_s"] + drop["duration_s"]) / frame_s) + 2
    )
    assert gap_frames <= set(outage), (sorted(gap_frames), outage)
    assert len(gap_frames) >= drop["duration_s"] / frame_s - 2
    status = last_status(rec, name)
    assert status["frames_lost"] == len(gap_frames)
    assert status["frames"] + status["frames_lost"] == total_frames == air["frames_built"]
    assert result["samples"] == len(expected) - spf * len(gap_frames)
    gap_events = [e for e in rec.events if e["event"] == "gap"]
    assert {s for e in gap_events for s in range(e["seq_from"], e["seq_to"] + 1)} == gap_frames
    assert status["reconnects"] >= 3
    assert rec.deduper.duplicates == 0


async def test_broker_outage_mid_stream_loses_nothing(
    mosquitto_factory: Callable[..., MosquittoServer], tmp_path: Path
) -> None:
    # The broker is down for 30 s, in real time, in the middle of a one-minute stream at
    # real speed; the collector spools meanwhile and replays in order when it returns.
    # Persistent broker and subscriber session, as in production (docs/mqtt.md), so the
    # subscriber misses nothing the broker accepted.
    broker = mosquitto_factory(persistence=True)
    speed = 1.0
    async with sim_and_collector(broker.url, SCENARIOS / "one_minute.toml", tmp_path, speed) as (
        sim,
        collector,
    ):
        name = sim.names[0]
        expected = sim.expected_force(1)
        spf = 58
        total_frames = frames_in_run(len(expected), spf)
        async with subscriber(broker.host, broker.port, ["bandsense/+/samples"]) as rec:
            collector.start()
            await rec.wait_for(lambda: sum(len(b.force_n) for b in rec.batches) > 200 * 10)
            await asyncio.to_thread(broker.stop)
            await asyncio.sleep(30.0)  # the outage itself (a duration, not synchronisation)
            await asyncio.to_thread(broker.start)
            await rec.wait_for(finished(rec, name, total_frames), timeout=300)
            assert collector.stop() == 0, collector.log()[-6000:]
    batches = [b for b in rec.batches if b.band_id == name]
    result = check_stream(batches, expected, spf)
    assert result["gaps"] == [] and result["samples"] == len(expected)
    log = collector.log()
    assert "unavailable" in log and "replaying" in log  # the outage really hit it


async def test_sigkilled_collector_restarts_and_delivers_its_spool(
    mosquitto_factory: Callable[..., MosquittoServer], tmp_path: Path
) -> None:
    broker = mosquitto_factory(persistence=True)
    speed = 5.0
    sim = SimProcess(SCENARIOS / "one_minute.toml", tmp_path / "sim", speed)
    await sim.start()
    spool = tmp_path / "spool"
    log_path = tmp_path / "collector.log"
    first = CollectorProcess(broker.url, sim.spec, spool, log_path, speed)
    second = CollectorProcess(broker.url, sim.spec, spool, log_path, speed)
    name = sim.names[0]
    expected = sim.expected_force(1)
    spf = 58
    total_frames = frames_in_run(len(expected), spf)
    try:
        async with subscriber(broker.host, broker.port, ["bandsense/+/samples"]) as rec:
            first.start()
            await rec.wait_for(lambda: len(rec.batches) > 10)
            await asyncio.to_thread(broker.stop)
            # Let batches pile up in the spool, then kill the collector outright.
            spool_file = spool / f"{name}.sqlite"
            async with asyncio.timeout(60):
                while spooled(spool_file) < 10:
                    await asyncio.sleep(0.1)  # polling another process's file
            first.kill()
            left = spooled(spool_file)
            assert left >= 10
            await asyncio.to_thread(broker.start)
            second.start()
            await rec.wait_for(finished(rec, name, total_frames), timeout=300)
            assert second.stop() == 0, second.log()[-6000:]
    finally:
        for c in (first, second):
            if c.proc is not None and c.proc.poll() is None:
                c.kill()
        sim.stop()
    batches = [b for b in rec.batches if b.band_id == name]
    # The second run resumed where the spool ended (same session): nothing lost.
    result = check_stream(batches, expected, spf)
    assert result["gaps"] == [] and result["samples"] == len(expected)
    assert "replaying" in second.log() and "resuming at frame" in second.log()


def spooled(path: Path) -> int:
    import sqlite3

    if not path.exists():
        return 0
    db = sqlite3.connect(path, timeout=5)
    try:
        return int(db.execute("SELECT COUNT(*) FROM spool").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


async def test_ten_bands_concurrently(mosquitto: MosquittoServer, tmp_path: Path) -> None:
    speed = 3.0
    async with sim_and_collector(
        mosquitto.url,
        SCENARIOS / "one_minute.toml",
        tmp_path,
        speed,
        bands=10,
        collector_extra=["--max-bands", "10"],
    ) as (sim, collector):
        spf = 58
        expected = {name: sim.expected_force(i + 1) for i, name in enumerate(sim.names)}
        async with subscriber(mosquitto.host, mosquitto.port, ["bandsense/#"]) as rec:
            collector.start()
            for name, force in expected.items():
                await rec.wait_for(finished(rec, name, frames_in_run(len(force), spf)), timeout=400)
            assert collector.stop() == 0, collector.log()[-6000:]
    for name, force in expected.items():
        batches = [b for b in rec.batches if b.band_id == name]
        result = check_stream(batches, force, spf)
        assert result["gaps"] == [] and result["samples"] == len(force), name
    assert rec.deduper.duplicates == 0


async def test_tindeq_through_the_same_path(mosquitto: MosquittoServer, tmp_path: Path) -> None:
    speed = 5.0
    async with sim_and_collector(
        mosquitto.url, SCENARIOS / "one_minute.toml", tmp_path, speed, tindeq=True
    ) as (sim, collector):
        name = sim.names[0]
        assert name.startswith("Progressor_")
        rate = 80.0
        async with subscriber(mosquitto.host, mosquitto.port, ["bandsense/#"]) as rec:
            collector.start()
            # Half the run is plenty; the check below covers everything received.
            await rec.wait_for(lambda: rec.samples(name) >= 30 * rate, timeout=120)
            assert collector.stop() == 0, collector.log()[-6000:]
            await rec.wait_for(lambda: last_status(rec, name).get("reason") == "collector stopped")
    air = sim.air(name)
    spf = air["samples_per_frame"]
    status = last_status(rec, name)
    assert status["device"] == "tindeq" and status["malformed"] == 0
    batches = [b for b in rec.batches if b.band_id == name]
    assert all(b.sample_rate_hz == rate and b.stretch_mm is None for b in batches)
    # Progressor stamps are microseconds since the measurement started: sample k of the
    # 80 Hz grid is at k * 12500 us. Every received sample appears once, in order, and
    # the missing ones are exactly whole frames the air lost (no resend on a Progressor).
    t_us = np.array([t for b in batches for t in b.device_time_us])
    index = np.round(t_us * rate / 1e6).astype(np.int64)
    assert np.all(np.diff(index) == np.diff(index).clip(min=1))  # strictly increasing
    missing = sorted(set(range(int(index[-1]) + 1)) - set(index.tolist()))
    missing_frames = sorted({k // spf for k in missing})
    assert all(set(range(f * spf, (f + 1) * spf)) <= set(missing) for f in missing_frames), (
        "a frame arrived in part"
    )
    lost_on_air = [s for s in air["lost_on_air_seqs"] if s <= index[-1] // spf]
    assert missing_frames == lost_on_air
    assert status["frames"] == sum(b.seq_last - b.seq_first + 1 for b in batches)
    assert rec.deduper.duplicates == 0


async def test_silent_link_is_declared_dead_and_recovered(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    # The simulator freezes (SIGSTOP): its socket stays open, so nothing tells the
    # collector the link is gone (the virtual link has no supervision timeout). The
    # liveness check must notice, and after the thaw every frame must still arrive.
    speed = 5.0
    async with sim_and_collector(mosquitto.url, SCENARIOS / "one_minute.toml", tmp_path, speed) as (
        sim,
        collector,
    ):
        name = sim.names[0]
        expected = sim.expected_force(1)
        spf = 58
        total_frames = frames_in_run(len(expected), spf)
        async with subscriber(mosquitto.host, mosquitto.port, ["bandsense/#"]) as rec:
            collector.start()
            await rec.wait_for(lambda: rec.samples(name) > 200 * 10)
            assert sim.proc is not None
            sim.proc.send_signal(signal.SIGSTOP)
            try:
                async with asyncio.timeout(60):
                    while "no frames for" not in collector.log():
                        await asyncio.sleep(0.1)  # polling another process's log
            finally:
                sim.proc.send_signal(signal.SIGCONT)
            await rec.wait_for(finished(rec, name, total_frames), timeout=300)
            assert collector.stop() == 0, collector.log()[-6000:]
    batches = [b for b in rec.batches if b.band_id == name]
    result = check_stream(batches, expected, spf)
    assert result["gaps"] == [] and result["samples"] == len(expected)


async def test_configured_band_id_names_the_topics(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    speed = 5.0
    async with (
        sim_and_collector(
            mosquitto.url, SCENARIOS / "one_minute.toml", tmp_path, speed,
            collector_extra=["--band-id", "left-knee"],
        ) as (sim, collector),
        subscriber(mosquitto.host, mosquitto.port, ["bandsense/#"]) as rec,
    ):  # fmt: skip
        collector.start()
        await rec.wait_for(lambda: rec.samples("left-knee") >= 2000, timeout=120)
        assert collector.stop() == 0, collector.log()[-6000:]
        await rec.wait_for(
            lambda: last_status(rec, "left-knee").get("reason") == "collector stopped")
    assert rec.batches and {b.band_id for b in rec.batches} == {"left-knee"}
    assert rec.samples(sim.names[0]) == 0
