"""Print the Bumble backend's timings (a script, not a test: figures, never assertions).

    python bench/ble_backend.py [--runs 10] [--notifications 5000]

For each transport (in-process LocalLink, HCI over TCP): scan-to-found time, connect +
MTU exchange + service discovery time (median and max over runs), and the notification
rate of 244-byte notifications through bleak's `start_notify` callback.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from bleak import BleakClient, BleakScanner
from bumble.link import LocalLink

# The test peripheral and HCI bridge live with the backend's contract tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collector.backends import BumbleClient, BumbleScanner, close_hosts, register_link
from tests.ble_backend.gatt_peripheral import NOTIFY_UUID, SERVICE_UUID, start_peripheral
from tests.ble_backend.hci_bridge import HciBridge


async def measure(spec: str, link: LocalLink, runs: int, notifications: int) -> None:
    peripheral = await start_peripheral(link, "bs-measure")
    finds: list[float] = []
    connects: list[float] = []
    rate = 0.0
    try:
        for run in range(runs):
            t0 = time.perf_counter()
            device = await BleakScanner.find_device_by_filter(
                lambda _d, a: SERVICE_UUID in a.service_uuids,
                timeout=5,
                backend=BumbleScanner,
                hci=spec,  # type: ignore[call-arg]  # passed through to BumbleScanner
            )
            t1 = time.perf_counter()
            assert device is not None
            client = BleakClient(device, backend=BumbleClient, hci=spec, timeout=5)
            await client.connect()
            t2 = time.perf_counter()
            finds.append(t1 - t0)
            connects.append(t2 - t1)
            if run == runs - 1:
                received = 0
                done = asyncio.Event()

                def on_data(_sender: object, _data: bytearray, done: asyncio.Event = done) -> None:
                    nonlocal received
                    received += 1
                    if received == notifications:
                        done.set()

                await client.start_notify(NOTIFY_UUID, on_data)
                payload = bytes(244)
                connection = next(iter(peripheral.device.connections.values()))
                t3 = time.perf_counter()
                for i in range(notifications):
                    await peripheral.notify(payload)
                    if i % 16 == 15:
                        await connection.drain()  # back-pressure, as the simulator does
                async with asyncio.timeout(30):
                    await done.wait()
                rate = notifications / (time.perf_counter() - t3)
            await client.disconnect()
    finally:
        await close_hosts()
        peripheral.remove()
    print(
        f"{spec.split(':')[0]:>5}: find median {1000 * statistics.median(finds):.1f} ms "
        f"(max {1000 * max(finds):.1f}), connect+MTU+discovery median "
        f"{1000 * statistics.median(connects):.1f} ms (max {1000 * max(connects):.1f}), "
        f"{rate:.0f} notifications/s of 244 B"
    )


async def main(runs: int, notifications: int) -> None:
    link = LocalLink()
    await measure(register_link("measure", link), link, runs, notifications)
    bridge = HciBridge(link)
    spec = await bridge.start()
    try:
        await measure(spec, link, runs, notifications)
    finally:
        await bridge.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--notifications", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.notifications))
