"""Streaming over real Bumble GATT on one in-process virtual link."""

from __future__ import annotations

import numpy as np

from bandsense.protocol.band import Command, ResultCode, encode_command, samples_per_frame
from firmware_sim.peripheral import InProcessLink
from firmware_sim.sample_source import demo_source
from tests.ble_sim.central import BandLink, find_address

SPEED = 400.0


async def test_every_frame_of_a_minute_arrives_in_order_with_source_values() -> None:
    source = demo_source(duration_s=60.0, rate_hz=200.0, seed=3)
    async with InProcessLink(speed=SPEED) as sim:
        band = await sim.add_band(source)
        central = await sim.add_central()
        address = await find_address(central, band.name)
        link = await BandLink.connect(central, address, mtu=247)
        assert link.connection.att_mtu == 247
        response = await link.command(encode_command(Command.start_stream()))
        assert response.result is ResultCode.SUCCESS

        spf = samples_per_frame(247)
        n_frames = -(-len(source) // spf)
        frames = await link.frames_until(n_frames - 1, timeout=30.0)

    assert [f.seq for f in frames] == list(range(n_frames))
    assert all(not f.resent for f in frames)
    assert all(len(raw) <= 247 - 3 for raw in link.raw_frames)
    force = np.concatenate([f.force_n() for f in frames])
    stretch = np.concatenate([f.stretch_dmm for f in frames if f.stretch_dmm is not None]) / 10
    assert len(force) == len(source)
    np.testing.assert_array_equal(force, np.rint(source.force_n * 100) / 100)
    assert source.stretch_mm is not None
    np.testing.assert_array_equal(stretch, np.rint(source.stretch_mm * 10) / 10)
    t0 = np.array([f.t0_us for f in frames])
    np.testing.assert_array_equal(t0, source.device_time_us[::spf] % 2**32)
