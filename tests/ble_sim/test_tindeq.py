"""Tindeq Progressor mode over real Bumble GATT: commands and weight frames decode."""

from __future__ import annotations

import asyncio

import numpy as np
from bumble.core import UUID
from bumble.device import Device, Peer

from bandsense.protocol import DecodedSamples, tindeq
from firmware_sim.peripheral import InProcessLink
from firmware_sim.sample_source import demo_source
from firmware_sim.tindeq_mode import TindeqPeripheral, tindeq_config
from tests.ble_sim.central import TIMEOUT_S, find_address

SPEED = 20.0


async def connect(central: Device, name: str) -> tuple[Peer, asyncio.Queue[bytes]]:
    address = await find_address(central, name)
    async with asyncio.timeout(TIMEOUT_S):
        connection = await central.connect(address)
        peer = Peer(connection)
        await peer.request_mtu(247)
        await peer.discover_services()
        for service in peer.services:
            await service.discover_characteristics()
        (data,) = peer.get_characteristics_by_uuid(UUID(tindeq.DATA_UUID))
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        await peer.subscribe(data, queue.put_nowait)
    return peer, queue


async def write(peer: Peer, command: bytes, with_response: bool = True) -> None:
    (control,) = peer.get_characteristics_by_uuid(UUID(tindeq.CONTROL_POINT_UUID))
    async with asyncio.timeout(TIMEOUT_S):
        await peer.write_value(control, command, with_response=with_response)


async def next_decoded(queue: asyncio.Queue[bytes]) -> DecodedSamples | tindeq.TindeqResponse:
    async with asyncio.timeout(TIMEOUT_S):
        return tindeq.decode_notification(await queue.get())


async def test_weight_frames_battery_and_tare() -> None:
    # The Progressor runs at 80 Hz: a source at 80 Hz is sent without resampling.
    source = demo_source(duration_s=300.0, rate_hz=80.0, seed=5)
    async with InProcessLink(speed=SPEED) as sim:
        band = await sim.add_band(source, cls=TindeqPeripheral, config=tindeq_config())
        assert band.name == "Progressor_SIM01"
        central = await sim.add_central()
        peer, queue = await connect(central, band.name)

        await write(peer, tindeq.encode_battery_request())
        battery = await next_decoded(queue)
        await write(peer, tindeq.encode_start_weight(), with_response=False)
        samples: list[DecodedSamples] = []
        while sum(len(s.force_n) for s in samples) < 200:
            item = await next_decoded(queue)
            assert isinstance(item, DecodedSamples)
            samples.append(item)
        await write(peer, tindeq.encode_tare())
        await write(peer, bytes([0x6B]))  # GET_APP_VERSION
        tared: list[DecodedSamples] = []
        version = None
        while version is None or len(tared) < 3:
            item = await next_decoded(queue)
            if isinstance(item, tindeq.TindeqResponse):
                version = item.text()
            else:
                tared.append(item)

    assert isinstance(battery, tindeq.TindeqResponse)
    assert 3300 <= battery.battery_mv() <= 4200
    assert version == "1.2.0"
    force = np.concatenate([s.force_n for s in samples])
    t_us = np.concatenate([s.device_time_us for s in samples])
    assert t_us[0] == 0 and np.all(np.diff(t_us) == 12_500)
    # float32 kilograms: equal to the source within float32 precision.
    np.testing.assert_allclose(force, source.force_n[: len(force)], rtol=1e-6)
    assert max(len(s.force_n) for s in samples) == tindeq.weight_records_per_notification(247)
    # After the tare the force is relative to the reading at the tare.
    last = tared[-1]
    i = int(last.device_time_us[0] // 12_500)
    offset = source.force_n[i : i + len(last.force_n)] - last.force_n
    assert np.ptp(offset) < 1e-3 and abs(offset[0]) > 1.0


async def test_malformed_commands_are_ignored() -> None:
    source = demo_source(duration_s=300.0, rate_hz=80.0)
    async with InProcessLink(speed=SPEED) as sim:
        band = await sim.add_band(source, cls=TindeqPeripheral, config=tindeq_config())
        central = await sim.add_central()
        peer, queue = await connect(central, band.name)
        await write(peer, b"\x01\x02")  # unknown opcode: a real Progressor ignores it
        await write(peer, bytes([0x65, 3, 1]))  # declares 3 value bytes, carries 1
        await write(peer, tindeq.encode_battery_request())
        answer = await next_decoded(queue)
    assert isinstance(answer, tindeq.TindeqResponse) and answer.is_command_response
    assert not band.firmware.streaming
