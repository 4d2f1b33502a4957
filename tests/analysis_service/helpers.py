"""Shared pieces of the analyzer service tests: sample batches from the simulator, a
subscriber that collects the service's results, a plumbing-only analyzer and a context
manager that runs a service in-process."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import aiomqtt
import numpy as np

from analysis.service import AnalysisEvent, AnalyzerService, ServiceConfig
from bandsense.model import LiveState, Rep, SampleBatch, SessionSummary, SetSummary
from firmware_sim.scenario import load_scenario
from firmware_sim.synth import synthesize

T0 = 1_764_000_000.0  # wall-clock start of the simulated streams (Unix seconds)
WAIT_S = 60.0  # upper bound of every wait (shared 2-core CI), never a sleep
PREFIX = "bandsense"
# aiomqtt warns on each publish beyond 10 pending: the tests flood on purpose.
QUIET_MQTT_LOG = logging.getLogger("tests.analysis_service.publisher")
QUIET_MQTT_LOG.setLevel(logging.ERROR)


@dataclass(frozen=True)
class Recording:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray
    device_time_us: np.ndarray


@functools.cache
def recording(seed: int, duration_s: float = 170.0, rate_hz: float = 100.0,
              scenario: str = "single_leg_bridge") -> Recording:
    """The first ``duration_s`` of a simulation (single-leg bridge: two sets and rest)."""
    syn = synthesize(load_scenario(scenario), rate_hz=rate_hz, seed=seed)
    n = int(np.searchsorted(syn.time_s, duration_s))
    return Recording(
        T0 + syn.time_s[:n], syn.force_n[:n], syn.stretch_mm[:n], syn.device_time_us[:n]
    )


def batches(
    band_id: str, rec: Recording, per_batch: int = 25, rate_hz: float = 100.0,
    session_id: str = "s1", samples_per_frame: int = 5,
) -> list[SampleBatch]:
    """Chunk a recording the way the collector does: consecutive frames per batch."""
    out = []
    for start in range(0, len(rec.time_s), per_batch):
        sl = slice(start, start + per_batch)
        n = len(rec.time_s[sl])
        first = start // samples_per_frame
        out.append(SampleBatch(
            band_id=band_id, session_id=session_id, seq_first=first,
            seq_last=first + max(0, -(-n // samples_per_frame) - 1), sample_rate_hz=rate_hz,
            time_s=rec.time_s[sl].tolist(), device_time_us=rec.device_time_us[sl].tolist(),
            force_n=rec.force_n[sl].tolist(), stretch_mm=rec.stretch_mm[sl].tolist(),
        ))
    return out


async def publish(url_host: str, port: int, messages: Iterable[tuple[str, bytes]]) -> None:
    """Publish with QoS 1 and wait for every PUBACK."""
    async with aiomqtt.Client(url_host, port, max_inflight_messages=200,
                              logger=QUIET_MQTT_LOG) as client:
        window = asyncio.Semaphore(200)

        async def one(topic: str, payload: bytes) -> None:
            try:
                await client.publish(topic, payload, qos=1)
            finally:
                window.release()

        async with asyncio.TaskGroup() as tg:
            for topic, payload in messages:
                await window.acquire()
                tg.create_task(one(topic, payload))


def samples_topic(band_id: str) -> str:
    return f"{PREFIX}/{band_id}/samples"


@dataclass
class Results:
    """Everything the service published under ``<prefix>/+/analysis/#``."""

    by_topic: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def of(self, band_id: str, kind: str) -> list[bytes]:
        return self.by_topic.get(f"{PREFIX}/{band_id}/analysis/{kind}", [])

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S), self.changed:
            await self.changed.wait_for(predicate)


@contextlib.asynccontextmanager
async def collecting(
    host: str, port: int, topic: str = f"{PREFIX}/+/analysis/#"
) -> AsyncIterator[Results]:
    """Collect what is published on ``topic`` (default: all analysis results)."""
    results = Results()
    async with aiomqtt.Client(host, port) as client:
        await client.subscribe(topic, qos=1)

        async def pump() -> None:
            async for message in client.messages:
                payload = message.payload
                assert isinstance(payload, bytes | bytearray)
                async with results.changed:
                    results.by_topic[message.topic.value].append(bytes(payload))
                    results.changed.notify_all()

        task = asyncio.create_task(pump())
        try:
            yield results
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def running(service: AnalyzerService) -> AsyncIterator[AnalyzerService]:
    task = asyncio.create_task(service.run())
    try:
        async with asyncio.timeout(WAIT_S):
            await service.subscribed.wait()
        yield service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def config(port: int, **kwargs: object) -> ServiceConfig:
    base: dict[str, object] = {"host": "127.0.0.1", "port": port, "idle_timeout_s": 1.0,
                               "backoff_initial_s": 0.05, "backoff_max_s": 0.5}
    return ServiceConfig(**(base | kwargs))  # type: ignore[arg-type]


class EchoAnalyzer:
    """A plumbing-only analyzer: one "rep" per feed call describing the samples it got
    (first/last time, count as impulse_ns), a live state per feed, one set at the end.
    Lets tests check exactly which samples reached the analyzer, in which order."""

    def __init__(self, band_id: str) -> None:
        self.band_id = band_id
        self.feeds = 0
        self.samples = 0
        self.first: float | None = None
        self.last = 0.0
        self.gaps: list[tuple[float, float]] = []

    def feed(self, time_s: np.ndarray, force_n: np.ndarray,
             stretch_mm: np.ndarray | None) -> list[AnalysisEvent]:
        t0, t1 = float(time_s[0]), float(time_s[-1])
        self.first = t0 if self.first is None else self.first
        self.last = t1
        rep = Rep(index=self.feeds, set=0, start_s=t0, top_start_s=t0, top_end_s=t1, end_s=t1,
                  concentric_s=0.0, pause_s=t1 - t0, eccentric_s=0.0,
                  peak_force_n=float(force_n.max()), mean_force_n=float(force_n.mean()),
                  impulse_ns=float(len(time_s)))
        self.feeds += 1
        self.samples += len(time_s)
        live = LiveState(band_id=self.band_id, time_s=t1, phase="rest", set_index=0,
                         rep_count=self.feeds, time_at_top_s=0.0, force_n=float(force_n[-1]))
        return [rep, live]

    def finish_events(self) -> tuple[list[AnalysisEvent], SessionSummary]:
        first = self.first if self.first is not None else 0.0
        the_set = SetSummary(index=0, start_s=first, end_s=self.last, rep_count=self.feeds)
        summary = SessionSummary(samples=self.samples, duration_s=self.last - first,
                                 sample_rate_hz=100.0, gaps=len(self.gaps), sets=[the_set])
        return [the_set], summary

    def gap(self, start_s: float, end_s: float) -> None:
        self.gaps.append((start_s, end_s))
