"""Several bands on one link: own names, addresses, seeds and clocks; one central streams all."""

from __future__ import annotations

import asyncio

from bandsense.protocol.band import Command, ResultCode, SampleFrame, encode_command
from firmware_sim.peripheral import InProcessLink, band_spec
from firmware_sim.simulator import scenario_source
from tests.ble_sim.central import BandLink, find_address
from tests.ble_sim.conftest import ONE_MINUTE

BANDS = 3


async def test_one_central_streams_three_bands_at_once() -> None:
    async with InProcessLink(speed=10.0) as sim:
        bands = []
        for index in range(1, BANDS + 1):
            spec = band_spec(index, seed=100)
            source, _ = scenario_source(str(ONE_MINUTE), seed=spec.seed)
            bands.append(await sim.add_band(source, spec=spec))
        central = await sim.add_central()
        links = [
            await BandLink.connect(central, await find_address(central, band.name))
            for band in bands
        ]
        for link in links:
            response = await link.command(encode_command(Command.start_stream()))
            assert response.result is ResultCode.SUCCESS
        firsts: list[list[SampleFrame]] = await asyncio.gather(
            *(link.frames_until(4) for link in links)
        )

    assert [b.name for b in bands] == ["bandsense-sim-01", "bandsense-sim-02", "bandsense-sim-03"]
    assert len({str(b.address) for b in bands}) == BANDS
    assert len({link.connection.peer_address for link in links}) == BANDS
    for band, frames in zip(bands, firsts, strict=True):
        seqs = [f.seq for f in frames]
        # Consecutive except for the frames this band's scenario lost on the air.
        assert sorted(set(range(seqs[-1] + 1)) - set(seqs)) == [
            s for s in band.firmware.air_log.lost_seqs if s <= seqs[-1]
        ]
    # Each band runs its own seed: different device clocks and different signals.
    assert len({frames[0].t0_us for frames in firsts}) == BANDS
    assert len({frames[0].force_cn for frames in firsts}) == BANDS


async def test_open_transport_gives_a_device_with_hci_and_drop_controller_ends_links() -> None:
    from bumble import hci
    from bumble.device import Device

    from firmware_sim.sample_source import demo_source

    async with InProcessLink(speed=10.0) as sim:
        band = await sim.add_band(demo_source(duration_s=600.0))
        transport = sim.open_transport("collector")
        device = Device.with_hci(
            "collector", hci.Address("C0:11:00:00:00:01"), transport.source, transport.sink
        )
        async with asyncio.timeout(10.0):
            await device.power_on()
        link = await BandLink.connect(device, await find_address(device, band.name))
        assert (await link.command(encode_command(Command.start_stream()))).result is (
            ResultCode.SUCCESS
        )
        await link.next_frame()
        assert not band.advertising
        # The collector "dies": its controller leaves the link; the band notices and
        # advertises again for the next one.
        assert sim.drop_controller(sim.controllers[-1]) == 1
        async with asyncio.timeout(10.0):
            await band.disconnected.wait()
        second = await sim.add_central()
        link2 = await BandLink.connect(second, await find_address(second, band.name))
        assert (await link2.command(encode_command(Command.start_stream()))).result is (
            ResultCode.SUCCESS
        )
        assert (await link2.next_frame()).seq > 0
