"""Streaming over real Bumble GATT on one in-process virtual link."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from bandsense.protocol.band import (
    Command,
    ResultCode,
    SampleFrame,
    decode_status,
    encode_command,
    samples_per_frame,
)
from firmware_sim.peripheral import InProcessLink
from firmware_sim.record import record
from firmware_sim.sample_source import demo_source, from_synthesis
from firmware_sim.scenario import load_scenario
from firmware_sim.synth import Synthesis
from tests.ble_sim.central import TIMEOUT_S, BandLink, find_address
from tests.ble_sim.conftest import ONE_MINUTE

SPEED = 200.0


async def stream_to_end(link: BandLink) -> tuple[list[SampleFrame], int]:
    """START, collect frames until the band reports it finished; return (frames, next_seq)."""
    response = await link.command(encode_command(Command.start_stream()))
    assert response.result is ResultCode.SUCCESS
    async with asyncio.timeout(30.0):
        while True:
            status = decode_status(await link.status_values.get())
            if not status.streaming and status.next_seq > 0:
                break
    frames = []
    while not link.frames.empty():
        frames.append(link.frames.get_nowait())
    return frames, status.next_seq


async def test_every_frame_of_a_minute_arrives_with_the_truths_values(
    one_minute: Synthesis, tmp_path: Path
) -> None:
    source = from_synthesis(one_minute)
    async with InProcessLink(speed=SPEED) as sim:
        band = await sim.add_band(source)
        central = await sim.add_central()
        link = await BandLink.connect(central, await find_address(central, band.name), mtu=247)
        assert link.connection.att_mtu == 247
        live, n_frames = await stream_to_end(link)

        # Frames the radio lost (the scenario's frame loss) come back on request.
        seqs = [f.seq for f in live]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        missing = sorted(set(range(n_frames)) - set(seqs))
        assert missing == band.firmware.air_log.lost_seqs
        assert missing, "the scenario's frame loss should lose some frames"
        recovered = []
        for seq in missing:
            response = await link.command(encode_command(Command.resend(seq, 1)))
            assert response.result is ResultCode.SUCCESS
            recovered.append(await link.next_frame())

    assert all(f.resent and f.seq not in seqs for f in recovered)
    frames = sorted(live + recovered, key=lambda f: f.seq)
    assert [f.seq for f in frames] == list(range(n_frames))
    assert all(len(raw) <= 247 - 3 for raw in link.raw_frames)
    spf = samples_per_frame(247)
    assert {f.count for f in frames[:-1]} == {spf}
    force = np.concatenate([f.force_n() for f in frames])
    stretch = np.concatenate([f.stretch_mm() for f in frames])
    # H3's synthesis is already quantised to the protocol's resolution: exact equality.
    np.testing.assert_allclose(force, one_minute.force_n, rtol=0, atol=1e-9)
    np.testing.assert_allclose(stretch, one_minute.stretch_mm, rtol=0, atol=1e-9)
    t0 = np.array([f.t0_us for f in frames])
    np.testing.assert_array_equal(t0, one_minute.device_time_us[::spf] % 2**32)
    assert len(one_minute.truth.reps) == 10

    # The offline recording of the same run, packed as the band packs it, loses exactly the
    # frames the radio lost, and its rows equal what arrived live.
    result = record(load_scenario(str(ONE_MINUTE)), tmp_path, samples_per_frame=spf)
    csv = np.loadtxt(result.csv_path, delimiter=",", skiprows=1)
    live_force = np.concatenate([f.force_n() for f in live])
    live_stretch = np.concatenate([f.stretch_mm() for f in live])
    assert len(csv) == len(live_force)
    np.testing.assert_allclose(csv[:, 1], live_force, rtol=0, atol=1e-9)
    np.testing.assert_allclose(csv[:, 2], live_stretch, rtol=0, atol=1e-9)
    assert result.truth.reps == one_minute.truth.reps
    assert result.truth.sets == one_minute.truth.sets
    assert len(result.truth.gaps) >= 1


async def test_default_mtu_gives_two_samples_per_frame() -> None:
    source = demo_source(duration_s=2.0, rate_hz=100.0)
    async with InProcessLink(speed=50.0) as sim:
        band = await sim.add_band(source)
        central = await sim.add_central()
        link = await BandLink.connect(central, band.address, mtu=23)
        assert link.connection.att_mtu == 23
        await link.command(encode_command(Command.start_stream()))
        n_frames = -(-len(source) // 2)
        frames = await link.frames_until(n_frames - 1)
        # Status notifications (25 bytes) do not fit MTU 23: a (long) read does.
        async with asyncio.timeout(TIMEOUT_S):
            status = decode_status(await link.peer.read_value(link.status))
        # READ_STATUS would need MTU 31: answered FAILED rather than truncated.
        response = await link.command(encode_command(Command.read_status()))
    assert [f.seq for f in frames] == list(range(n_frames))
    assert {f.count for f in frames[:-1]} == {2}
    assert max(len(raw) for raw in link.raw_frames) == 20
    assert status.next_seq == n_frames and not status.streaming
    assert link.status_values.empty()
    assert response.result is ResultCode.FAILED


async def test_advertises_name_and_service_and_serves_standard_services() -> None:
    from bumble.core import UUID

    from bandsense.protocol.band import (
        BATTERY_LEVEL_UUID,
        FIRMWARE_REVISION_UUID,
        SERIAL_NUMBER_UUID,
        SERVICE_UUID,
    )

    async with InProcessLink(speed=1.0) as sim:
        band = await sim.add_band(demo_source(duration_s=1.0))
        central = await sim.add_central()
        adverts: asyncio.Queue[object] = asyncio.Queue()
        central.on("advertisement", adverts.put_nowait)
        await central.start_scanning()
        async with asyncio.timeout(TIMEOUT_S):
            advert = await adverts.get()
        await central.stop_scanning()
        data = advert.data  # type: ignore[attr-defined]
        assert data.get(data.COMPLETE_LOCAL_NAME) == "bandsense-sim-01"
        assert UUID(SERVICE_UUID) in data.get(data.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
        link = await BandLink.connect(central, band.address)
        async with asyncio.timeout(TIMEOUT_S):
            values = {
                uuid: await link.peer.read_value(
                    link.peer.get_characteristics_by_uuid(UUID(uuid))[0]
                )
                for uuid in (BATTERY_LEVEL_UUID, FIRMWARE_REVISION_UUID, SERIAL_NUMBER_UUID)
            }
    assert values[BATTERY_LEVEL_UUID] == bytes([100])
    assert values[FIRMWARE_REVISION_UUID] == b"1.2.0"
    assert values[SERIAL_NUMBER_UUID] == b"SIM00001"
