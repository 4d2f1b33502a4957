"""A scenario link drop: the band disconnects, is out of reach, buffers, and resends."""

from __future__ import annotations

import asyncio

import numpy as np

from bandsense.protocol.band import Command, ResultCode, SampleFrame, encode_command
from firmware_sim.peripheral import InProcessLink
from firmware_sim.sample_source import from_synthesis
from firmware_sim.synth import Synthesis
from tests.ble_sim.central import TIMEOUT_S, BandLink, find_address

SPEED = 10.0


async def test_link_drop_then_reconnect_and_resend_the_outage(one_minute_drop: Synthesis) -> None:
    (drop,) = one_minute_drop.link_drops
    async with InProcessLink(speed=SPEED) as sim:
        band = await sim.add_band(from_synthesis(one_minute_drop))
        central = await sim.add_central()
        link = await BandLink.connect(central, await find_address(central, band.name))
        assert (await link.command(encode_command(Command.start_stream()))).result is (
            ResultCode.SUCCESS
        )
        before: list[SampleFrame] = []
        async with asyncio.timeout(TIMEOUT_S):
            waiter = asyncio.ensure_future(link.disconnected.wait())
            while not waiter.done():
                getter = asyncio.ensure_future(link.frames.get())
                await asyncio.wait({waiter, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    before.append(getter.result())
                else:
                    getter.cancel()
        assert band.firmware.scenario_start_s is not None
        dropped_at = band.clock.now() - band.firmware.scenario_start_s
        assert dropped_at >= drop.at_s

        # Out of reach for the outage: found again only once it is over.
        address = await find_address(central, band.name)
        found_at = band.clock.now() - band.firmware.scenario_start_s
        assert found_at >= drop.at_s + drop.duration_s
        link2 = await BandLink.connect(central, address)
        assert (await link2.command(encode_command(Command.start_stream()))).result is (
            ResultCode.SUCCESS
        )
        first_new = await link2.next_frame()
        last_old = max(f.seq for f in before)
        missing = first_new.seq - last_old - 1
        assert missing > 0  # the frames of the outage
        response = await link2.command(encode_command(Command.resend(last_old + 1, missing)))
        assert response.result is ResultCode.SUCCESS
        resent: list[SampleFrame] = []
        async with asyncio.timeout(TIMEOUT_S):
            while len(resent) < missing:
                frame = await link2.frames.get()
                if frame.resent:
                    resent.append(frame)

    assert [f.seq for f in resent] == list(range(last_old + 1, first_new.seq))
    # Together (plus air losses re-sent inside `before` gaps) the samples match the truth.
    got = {f.seq: f for f in before + resent + [first_new]}
    spf = first_new.count
    assert {f.count for f in got.values()} == {spf}  # same MTU on both connections
    for seq, frame in got.items():
        i = seq * spf
        np.testing.assert_allclose(
            frame.force_n(), one_minute_drop.force_n[i : i + frame.count], rtol=0, atol=1e-9
        )
    assert band.firmware.air_log.link_drops[0].at_s == drop.at_s
