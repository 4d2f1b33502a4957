"""How fast the collector pipeline runs, as a multiple of real time.

Feeds pre-encoded band notifications (200 Hz, 58 samples per frame as at MTU 247, 1 % of
frames withheld and resent later) straight into BandSession.on_notification for N bands
in one process, through decode -> clock -> sequencer -> batcher -> spool -> aiomqtt QoS 1
-> a private local mosquitto, and waits until the broker acknowledged everything.
The BLE link itself is not part of this figure (the simulator paces frames in real time).

    .venv/bin/python bench/collector_throughput.py [--bands 1 10] [--seconds 120]

Prints, per band count: samples/s through the whole pipeline, the ratio to real time
(N bands x 200 Hz), and the same without MQTT (decode + sequence + batch + spool only).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from math import inf
from pathlib import Path

import numpy as np

from bandsense.protocol import band
from collector.band_session import BandSession, SessionConfig
from collector.clock import ClockConfig
from collector.profiles import BAND
from collector.publisher import BrokerConfig, Publisher
from collector.spool import Spool
from collector.topics import BandTopics

RATE_HZ = 200
SPF = 58


def frames_for(seconds: float, seed: int) -> list[bytes]:
    """Encoded frames in arrival order: 1 % held back and delivered 20 frames later
    (flagged as resent), as after a RESEND."""
    rng = np.random.default_rng(seed)
    n_frames = int(seconds * RATE_HZ / SPF)
    interval = 1_000_000 // RATE_HZ
    t0 = int(rng.integers(0, 2**32))
    frames: list[bytes] = []
    late: list[tuple[int, bytes]] = []
    for seq in range(n_frames):
        force = 40 + 30 * np.sin(np.arange(seq * SPF, (seq + 1) * SPF) / 200.0)
        stretch = 150 + 100 * np.sin(np.arange(seq * SPF, (seq + 1) * SPF) / 200.0)
        held = rng.random() < 0.01
        frame = band.frame_from_samples(
            seq, (t0 + seq * SPF * interval) % 2**32, interval, force, stretch, resent=held
        )
        if held:
            late.append((seq + 20, band.encode_frame(frame)))
        else:
            frames.append(band.encode_frame(frame))
        while late and late[0][0] <= seq:
            frames.append(late.pop(0)[1])
    frames.extend(f for _, f in late)
    return frames


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_mosquitto(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("mosquitto", path="/usr/sbin:/usr/bin:/usr/local/sbin")
    if binary is None:
        sys.exit("mosquitto not found: apt-get install -y mosquitto mosquitto-clients")
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 1000000\nmax_inflight_messages 1000\n"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.01)
    proc.kill()
    sys.exit("mosquitto did not start")


async def run(n_bands: int, seconds: float, port: int | None, folder: Path) -> float:
    sessions = []
    tasks = []
    for i in range(n_bands):
        band_id = f"bench-{i:02d}"
        publisher = Publisher(
            BrokerConfig(port=port or 1),
            BandTopics(band_id),
            Spool(folder / f"{band_id}-{port}.sqlite"),
            collector_id="bench",
        )
        session = BandSession(
            "AA:BB:CC:DD:EE:FF", band_id, BAND, publisher, collector_id="bench",
            # Data arrives far faster than real time here: the clock estimate is meaningless
            # (its cost is the same), so keep it from declaring clock jumps.
            config=SessionConfig(clock=ClockConfig(jump_below_s=inf, jump_above_s=inf)),
        )  # fmt: skip
        sessions.append((session, frames_for(seconds, i)))
        if port is not None:
            tasks.append(asyncio.create_task(publisher.run()))
    if tasks:
        await asyncio.gather(*(s.publisher.connected.wait() for s, _ in sessions))
    t0 = time.perf_counter()
    # Interleave the bands frame by frame, yielding to the loop like bleak callbacks do.
    longest = max(len(f) for _, f in sessions)
    for k in range(longest):
        for session, frames in sessions:
            if k < len(frames):
                session.on_notification(None, frames[k])
        if k % 8 == 0:
            await asyncio.sleep(0)
    for session, _ in sessions:
        session.flush_pending()
    if tasks:
        await asyncio.gather(*(s.publisher.drain(600) for s, _ in sessions))
    elapsed = time.perf_counter() - t0
    for session, _ in sessions:
        assert session.stats.lost_frames == 0, "bench stream lost frames"
        session.publisher.stop()
    await asyncio.gather(*tasks)
    samples = sum(s.stats.samples for s, _ in sessions)
    return samples / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--seconds", type=float, default=120.0, help="data per band")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        proc, port = start_mosquitto(folder)
        try:
            print(f"collector pipeline, {RATE_HZ} Hz bands, {args.seconds:.0f} s of data each")
            print(f"{'bands':>5} {'path':<34} {'samples/s':>11} {'x real time':>12}")
            for n in args.bands:
                for label, p in (
                    ("decode+sequence+spool", None),
                    ("... + MQTT QoS 1 (acked)", port),
                ):
                    rate = asyncio.run(run(n, args.seconds, p, folder))
                    print(f"{n:>5} {label:<34} {rate:>11,.0f} {rate / (n * RATE_HZ):>12.1f}")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
