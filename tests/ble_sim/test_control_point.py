"""Control point over real Bumble GATT: bad writes, resend, permissions."""

from __future__ import annotations

import asyncio

import pytest
from bumble import att
from bumble.core import UUID

from bandsense.protocol.band import (
    BATTERY_LEVEL_UUID,
    Command,
    Opcode,
    ResultCode,
    SampleFrame,
    decode_status,
    encode_command,
)
from firmware_sim.peripheral import InProcessLink
from firmware_sim.sample_source import demo_source
from tests.ble_sim.central import TIMEOUT_S, BandLink

SPEED = 20.0


async def streaming_link(sim: InProcessLink, duration_s: float = 600.0) -> BandLink:
    band = await sim.add_band(demo_source(duration_s=duration_s))
    central = await sim.add_central()
    link = await BandLink.connect(central, band.address, mtu=247)
    response = await link.command(encode_command(Command.start_stream()))
    assert response.result is ResultCode.SUCCESS
    return link


async def live_frames(link: BandLink, count: int) -> list[SampleFrame]:
    frames: list[SampleFrame] = []
    while len(frames) < count:
        frame = await link.next_frame()
        if not frame.resent:
            frames.append(frame)
    return frames


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x42", ResultCode.OPCODE_NOT_SUPPORTED),
        (bytes([Opcode.START_STREAM, 1, 2]), ResultCode.INVALID_LENGTH),
        (bytes([Opcode.RESEND, 1, 0, 0]), ResultCode.INVALID_LENGTH),
        (b"", ResultCode.INVALID_LENGTH),
        (encode_command(Command.set_rate(1001)), ResultCode.OUT_OF_RANGE),
        (encode_command(Command.set_rate(19)), ResultCode.OUT_OF_RANGE),
    ],
)
async def test_bad_write_gets_its_result_code_and_streaming_continues(
    data: bytes, code: ResultCode
) -> None:
    async with InProcessLink(speed=SPEED) as sim:
        link = await streaming_link(sim)
        before = await live_frames(link, 2)
        response = await link.command(data)
        after = await live_frames(link, 3)
        async with asyncio.timeout(TIMEOUT_S):
            status = decode_status(await link.peer.read_value(link.status))

    assert response.result is code
    assert response.request_opcode == (data[0] if data else 0)
    seqs = [f.seq for f in before + after]
    assert seqs == list(range(seqs[0], seqs[0] + 5))  # no frame lost, none repeated
    assert status.streaming and status.command_errors == 1 and status.sample_rate_hz == 200


async def test_resend_of_withheld_frames_returns_exactly_those() -> None:
    async with InProcessLink(speed=SPEED) as sim:
        link = await streaming_link(sim)
        received = await live_frames(link, 12)
        # Pretend frames 4..8 never arrived.
        withheld = {f.seq: f for f in received if 4 <= f.seq <= 8}
        response = await link.command(encode_command(Command.resend(4, 5)))
        resent: list[SampleFrame] = []
        async with asyncio.timeout(TIMEOUT_S):
            while len(resent) < 5:
                frame = await link.frames.get()
                if frame.resent:
                    resent.append(frame)
        more_live = await live_frames(link, 3)

    assert response.result is ResultCode.SUCCESS
    assert response.resend is not None
    assert (response.resend.first_resent_seq, response.resend.last_resent_seq) == (4, 8)
    assert response.resend.first_available_seq == 0
    assert [f.seq for f in resent] == [4, 5, 6, 7, 8]
    for frame in resent:
        original = withheld[frame.seq]
        assert (frame.t0_us, frame.force_cn, frame.stretch_dmm) == (
            original.t0_us,
            original.force_cn,
            original.stretch_dmm,
        )
    # Live streaming carried on around the resend.
    assert more_live[0].seq > received[-1].seq


async def test_characteristics_refuse_what_they_do_not_allow() -> None:
    async with InProcessLink(speed=SPEED) as sim:
        link = await streaming_link(sim)
        battery = link.peer.get_characteristics_by_uuid(UUID(BATTERY_LEVEL_UUID))[0]
        async with asyncio.timeout(TIMEOUT_S):
            for char, op in [
                (link.samples, "write"),
                (link.status, "write"),
                (battery, "write"),
                (link.samples, "read"),
                (link.control, "read"),
            ]:
                with pytest.raises(att.ATT_Error) as error:
                    if op == "write":
                        await link.peer.write_value(char, b"\x01", with_response=True)
                    else:
                        await link.peer.read_value(char)
                expected = (
                    att.ErrorCode.WRITE_NOT_PERMITTED
                    if op == "write"
                    else att.ErrorCode.READ_NOT_PERMITTED
                )
                assert error.value.error_code == expected
            status = decode_status(await link.peer.read_value(link.status))
        assert status.streaming


async def test_stop_then_start_and_status_notifications() -> None:
    async with InProcessLink(speed=SPEED) as sim:
        link = await streaming_link(sim)
        async with asyncio.timeout(TIMEOUT_S):
            started = decode_status(await link.status_values.get())
        await live_frames(link, 2)
        response = await link.command(encode_command(Command.stop_stream()))
        async with asyncio.timeout(TIMEOUT_S):
            stopped = decode_status(await link.status_values.get())
        response_rate = await link.command(encode_command(Command.set_rate(100)))
        async with asyncio.timeout(TIMEOUT_S):
            rate_status = decode_status(await link.status_values.get())
        await link.command(encode_command(Command.start_stream()))
        frames = await live_frames(link, 1)
        while frames[-1].interval_us != 10_000:
            frames += await live_frames(link, 1)
    assert started.streaming and not stopped.streaming
    assert response.result is response_rate.result is ResultCode.SUCCESS
    assert rate_status.sample_rate_hz == 100
    # Frames from before the stop (200 Hz) then after the restart (100 Hz), no seq skipped.
    assert {f.interval_us for f in frames[:-1]} <= {5_000}
    assert [f.seq for f in frames] == list(range(frames[0].seq, frames[0].seq + len(frames)))
