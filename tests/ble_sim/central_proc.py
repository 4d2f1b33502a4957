"""A Bumble central in its own process (so a test can SIGKILL it): connects to a served
simulator over HCI, starts the named band and prints ``frame SEQ`` per frame received.

Usage: python -m tests.ble_sim.central_proc TRANSPORT BAND_NAME
"""

from __future__ import annotations

import asyncio
import sys

from bumble import hci
from bumble.device import Device
from bumble.transport import open_transport

from bandsense.protocol.band import Command, encode_command
from tests.ble_sim.central import BandLink, find_address


async def main(transport_spec: str, band_name: str) -> None:
    async with await open_transport(transport_spec) as transport:
        device = Device.with_hci(
            "doomed-central", hci.Address("C0:DE:AD:00:00:01"), transport.source, transport.sink
        )
        async with asyncio.timeout(10.0):
            await device.power_on()
        link = await BandLink.connect(device, await find_address(device, band_name))
        response = await link.command(encode_command(Command.start_stream()))
        print(f"start {response.result.name}", flush=True)
        while True:
            frame = await link.next_frame(timeout=30.0)
            print(f"frame {frame.seq}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
