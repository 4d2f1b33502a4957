"""Notification throughput of the simulated band over real Bumble GATT.

A Bumble central subscribes to one band and streams a 1000 Hz source at a speed that asks
for about 10 000 notifications/s, more than the link carries, so the figure is the link's
limit (frames paced by the sample clock, back-pressure by ``connection.drain()``):
notifications/s and samples/s received, in-process (one LocalLink) and through
``Simulator`` over HCI on TCP (same process, real socket). "overflow" counts frames the
band's TX queue dropped because the link was slower than asked (RESEND recovers them).

    .venv/bin/python bench/ble_sim_throughput.py [--seconds 3] [--mtu 23 247]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

from bumble import hci
from bumble.device import Device
from bumble.transport import open_transport

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bandsense.protocol.band import Command, encode_command, samples_per_frame  # noqa: E402
from firmware_sim.peripheral import InProcessLink  # noqa: E402
from firmware_sim.sample_source import demo_source  # noqa: E402
from firmware_sim.simulator import Simulator, SimulatorOptions  # noqa: E402
from tests.ble_sim.central import BandLink, find_address  # noqa: E402

RATE_HZ = 1000.0
DEMAND_PER_S = 10_000.0  # notifications/s asked for: more than the link carries


def speed_for(mtu: int) -> float:
    return DEMAND_PER_S / (RATE_HZ / samples_per_frame(mtu))


async def measure(link: BandLink, seconds: float) -> tuple[float, float]:
    await link.command(encode_command(Command.start_stream()))
    first = await link.next_frame()
    t0 = time.perf_counter()
    frames = [first]
    deadline = t0 + seconds
    while time.perf_counter() < deadline:
        frames.append(await link.next_frame(timeout=10.0))
    wall = time.perf_counter() - t0
    samples = sum(f.count for f in frames[1:])
    return (len(frames) - 1) / wall, samples / wall


async def in_process(mtu: int, seconds: float) -> tuple[float, float, int]:
    speed = speed_for(mtu)
    source = demo_source(duration_s=(seconds + 5) * speed, rate_hz=RATE_HZ)
    async with InProcessLink(speed=speed) as sim:
        band = await sim.add_band(source)
        central = await sim.add_central()
        link = await BandLink.connect(central, band.address, mtu=mtu)
        notif, samples = await measure(link, seconds)
        return notif, samples, band.tx_overflow


async def over_tcp(mtu: int, seconds: float) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "long.toml"
        scenario.write_text(
            (ROOT / "tests/ble_sim/one_minute.toml")
            .read_text()
            .replace("reps = 10", "reps = 200")
            .replace("frame_loss_prob = 0.01", "frame_loss_prob = 0.0")
        )
        sim = Simulator(
            SimulatorOptions(scenario=str(scenario), speed=speed_for(mtu), rate_hz=RATE_HZ)
        )
        endpoint = await sim.start()
        try:
            async with await open_transport(endpoint.client_spec) as transport:
                device = Device.with_hci(
                    "bench", hci.Address("C0:BE:00:00:00:01"), transport.source, transport.sink
                )
                await device.power_on()
                address = await find_address(device, sim.bands[0].peripheral.name)
                link = await BandLink.connect(device, address, mtu=mtu)
                notif, samples = await measure(link, seconds)
                return notif, samples, sim.bands[0].peripheral.tx_overflow
        finally:
            await sim.close()


async def pacing(seconds: float) -> tuple[float, float, int]:
    """Speed 1, 200 Hz, MTU 247: how late each frame arrives after its last sample was due."""
    source = demo_source(duration_s=seconds + 10, rate_hz=200.0)
    async with InProcessLink(speed=1.0) as sim:
        band = await sim.add_band(source)
        central = await sim.add_central()
        link = await BandLink.connect(central, band.address, mtu=247)
        await link.command(encode_command(Command.start_stream()))
        late: list[float] = []
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            frame = await link.next_frame(timeout=5.0)
            start = band.firmware.scenario_start_s or 0.0
            spf = samples_per_frame(247)
            due = start + float(source.time_s[frame.seq * spf + frame.count - 1])
            late.append(band.clock.now() - due)
        return 1000 * sum(late) / len(late), 1000 * max(late), len(late)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--mtu", type=int, nargs="+", default=[23, 247])
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # teardown chatter of packets in flight
    print(f"{'path':12s} {'MTU':>4s} {'notif/s':>9s} {'samples/s':>10s} {'overflow':>9s}")
    for mtu in args.mtu:
        for name, run in (("in-process", in_process), ("tcp", over_tcp)):
            notif, samples, overflow = asyncio.run(run(mtu, args.seconds))
            print(f"{name:12s} {mtu:4d} {notif:9.0f} {samples:10.0f} {overflow:9d}")
    mean_ms, max_ms, n = asyncio.run(pacing(args.seconds))
    print(
        f"pacing at speed 1 (200 Hz, MTU 247, {n} frames): frame arrives {mean_ms:.2f} ms "
        f"after its last sample was due on average, {max_ms:.2f} ms at most"
    )


if __name__ == "__main__":
    main()
