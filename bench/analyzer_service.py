"""How many bands at 200 Hz the analyzer service keeps up with through a local mosquitto.

Two runs, both through a private mosquitto and the real ``analysis.live`` analyzer:

1. Throughput: the batches of ``--bands`` bands (``--seconds`` of a single-leg-bridge
   simulation each, 200 Hz, 50 samples = 0.25 s per message as the collector sends them)
   are queued in the broker for the analyzer's persistent session while it is offline;
   then the service connects and drains them. Prints messages/s and samples/s, the wall
   and CPU time, and the figure that matters as a ratio to real time: simulated
   band-seconds analysed per wall second = how many bands at 200 Hz one analyzer process
   sustains (and per CPU second: per core).
2. Latency: ``--paced-bands`` bands stream in real time for ``--paced-seconds`` (sample
   times are wall-clock times, each batch published when its last sample is due). Prints
   the delay from a batch's last sample to its live state arriving at a subscriber, and
   from a rep's end (``end_s``) to its first rep message (this includes the analyzer's own
   wait for the band to settle at rest).

    .venv/bin/python bench/analyzer_service.py [--bands 20] [--seconds 120]
        [--paced-bands 10] [--paced-seconds 40]

Figures vary up to 3x between runs on the shared 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiomqtt
import numpy as np

from analysis.service import AnalyzerService, ServiceConfig
from bandsense.model import LiveState, Rep, SampleBatch
from firmware_sim.scenario import load_scenario
from firmware_sim.synth import synthesize

RATE_HZ = 200.0
PER_BATCH = 50  # 0.25 s at 200 Hz: the collector's default batch
ANALYZER_ID = "bench-analyzer"


@contextlib.contextmanager
def mosquitto() -> Iterator[int]:
    binary = shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin:/usr/bin")
    if binary is None:
        raise SystemExit("mosquitto not found: apt-get install -y mosquitto")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "max_queued_messages 1000000\nmax_inflight_messages 100\n")
        proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.01)
            yield port
        finally:
            proc.terminate()
            proc.wait(10)


def signal_of(seconds: float, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    syn = synthesize(load_scenario("single_leg_bridge"), rate_hz=RATE_HZ, seed=seed)
    n = min(len(syn.time_s), int(seconds * RATE_HZ))
    return syn.time_s[:n], syn.force_n[:n], syn.stretch_mm[:n]


def band_batches(band: str, t0: float, seconds: float) -> list[SampleBatch]:
    t, f, s = signal_of(seconds)
    out = []
    for k, start in enumerate(range(0, len(t), PER_BATCH)):
        sl = slice(start, start + PER_BATCH)
        n = len(t[sl])
        out.append(SampleBatch(
            band_id=band, session_id="bench", seq_first=k * 10, seq_last=k * 10 + 9,
            sample_rate_hz=RATE_HZ, time_s=(t0 + t[sl]).tolist(),
            device_time_us=[int(x * 1e6) for x in t[sl]], force_n=f[sl].tolist(),
            stretch_mm=s[sl].tolist()) if n else None)
    return [b for b in out if b is not None]


async def publish_all(port: int, messages: list[tuple[str, bytes]]) -> None:
    async with aiomqtt.Client("127.0.0.1", port, max_inflight_messages=500) as client:
        window = asyncio.Semaphore(500)

        async def one(topic: str, payload: bytes) -> None:
            await client.publish(topic, payload, qos=1)
            window.release()

        async with asyncio.TaskGroup() as tg:
            for topic, payload in messages:
                await window.acquire()
                tg.create_task(one(topic, payload))


@contextlib.asynccontextmanager
async def running(service: AnalyzerService) -> AsyncIterator[None]:
    task = asyncio.create_task(service.run())
    try:
        await service.wait_subscribed()
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def throughput(port: int, bands: int, seconds: float) -> None:
    cfg = ServiceConfig(port=port, share=False, analyzer_id=ANALYZER_ID,
                        persistent_session=True, idle_timeout_s=3600, max_inflight=500)
    # The analyzer's persistent session subscribes, goes away; the broker queues for it.
    async with aiomqtt.Client("127.0.0.1", port, identifier=ANALYZER_ID,
                              clean_session=False) as client:
        await client.subscribe("bandsense/+/samples", qos=1)
    one = band_batches("bench-0", 1.7e9, seconds)
    messages = []
    for i in range(len(one)):  # interleaved, as from bands streaming side by side
        for b in range(bands):
            batch = one[i].model_copy(update={"band_id": f"bench-{b}"})
            messages.append((f"bandsense/bench-{b}/samples", batch.model_dump_json().encode()))
    began = time.perf_counter()
    await publish_all(port, messages)
    print(f"queued {len(messages)} messages in {time.perf_counter() - began:.1f} s")

    service = AnalyzerService(cfg)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    async with running(service):
        while service.stats.batches + service.stats.duplicates < len(messages):
            await asyncio.sleep(0.01)  # a benchmark's progress poll, not test sync
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    samples = service.stats.samples
    band_s = samples / RATE_HZ
    print(f"throughput: {bands} bands x {seconds:.0f} s at {RATE_HZ:.0f} Hz = "
          f"{len(messages)} messages, {samples} samples")
    print(f"  wall {wall:.2f} s, CPU {cpu:.2f} s: {len(messages) / wall:,.0f} messages/s, "
          f"{samples / wall:,.0f} samples/s")
    print(f"  {band_s / wall:,.1f}x real time per band = {band_s / wall:,.0f} bands at "
          f"{RATE_HZ:.0f} Hz sustained ({band_s / cpu:,.0f} per CPU-second)")
    print(f"  results: {service.stats.published}")


async def latency(port: int, bands: int, seconds: float) -> None:
    service = AnalyzerService(ServiceConfig(port=port, share=True, idle_timeout_s=3600))
    t0 = time.time() + 1.0
    plans = [band_batches(f"paced-{b}", t0, seconds) for b in range(bands)]
    live_delay: list[float] = []
    rep_delay: list[float] = []
    seen: set[tuple[str, int]] = set()
    async with running(service), aiomqtt.Client("127.0.0.1", port) as sub, \
            aiomqtt.Client("127.0.0.1", port) as pub:
        await sub.subscribe("bandsense/+/analysis/#", qos=1)

        async def receive() -> None:
            async for m in sub.messages:
                now = time.time()
                assert isinstance(m.payload, bytes)
                if m.topic.value.endswith("/live"):
                    live_delay.append(now - LiveState.model_validate_json(m.payload).time_s)
                elif m.topic.value.endswith("/rep"):
                    rep = Rep.model_validate_json(m.payload)
                    if (str(rep.band_id), rep.index) not in seen:
                        seen.add((str(rep.band_id), rep.index))
                        rep_delay.append(now - rep.end_s)

        async def stream(batches: list[SampleBatch]) -> None:
            for b in batches:
                await asyncio.sleep(max(0.0, b.time_s[-1] - time.time()))
                await pub.publish(f"bandsense/{b.band_id}/samples", b.model_dump_json(), qos=1)

        rx = asyncio.create_task(receive())
        async with asyncio.TaskGroup() as tg:
            for batches in plans:
                tg.create_task(stream(batches))
        await asyncio.sleep(0.5)  # let the last results arrive (benchmark, not a test)
        rx.cancel()
    print(f"latency: {bands} bands streaming in real time for {seconds:.0f} s at "
          f"{RATE_HZ:.0f} Hz ({service.stats.batches} batches)")
    for name, xs in [("last sample -> live state", live_delay), ("rep end -> rep", rep_delay)]:
        if xs:
            q = np.percentile(np.array(xs) * 1e3, [50, 95, 100])
            print(f"  {name:26s} median {q[0]:6.0f} ms, p95 {q[1]:6.0f} ms, max {q[2]:6.0f} ms"
                  f" ({len(xs)} messages)")
    if live_delay:
        print(f"  live state per band: {len(live_delay) / bands / seconds:.1f} /s "
              f"(mean delay {statistics.fmean(live_delay) * 1e3:.0f} ms)")


async def main_async(args: argparse.Namespace) -> None:
    # aiomqtt warns on every publish beyond 10 pending; the flood is deliberate here.
    logging.getLogger("mqtt").setLevel(logging.ERROR)
    with mosquitto() as port:
        await throughput(port, args.bands, args.seconds)
    with mosquitto() as port:
        await latency(port, args.paced_bands, args.paced_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--paced-bands", type=int, default=10)
    parser.add_argument("--paced-seconds", type=float, default=40.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
