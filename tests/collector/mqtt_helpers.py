"""Test helpers: a recording MQTT subscriber that survives broker restarts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiomqtt

from bandsense.model import SampleBatch
from collector.dedupe import BatchDeduper


@dataclass
class Recorder:
    """Collects messages; tests wait on predicates instead of sleeping."""

    batches: list[SampleBatch] = field(default_factory=list)  # after dedupe, arrival order
    raw_batches: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, dict[str, Any]] = field(default_factory=dict)
    deduper: BatchDeduper = field(default_factory=BatchDeduper)
    connects: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def add(self, msg: aiomqtt.Message) -> None:
        topic = str(msg.topic)
        assert isinstance(msg.payload, bytes | bytearray)
        if topic.endswith("/samples"):
            self.raw_batches += 1
            batch = SampleBatch.model_validate_json(msg.payload)
            if self.deduper.accept(batch):
                self.batches.append(batch)
        elif topic.endswith("/events"):
            self.events.append(json.loads(msg.payload))
        elif topic.endswith("/status"):
            self.status[topic] = json.loads(msg.payload)
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def poke(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def samples(self, band_id: str | None = None) -> int:
        return sum(len(b.force_n) for b in self.batches if band_id in (None, b.band_id))


@contextlib.asynccontextmanager
async def subscriber(
    host: str, port: int, topics: list[str], *, client_id: str = "test-subscriber"
) -> AsyncIterator[Recorder]:
    """Subscribe with a persistent session (clean_session=False, QoS 1) and reconnect when
    the broker goes away: with a persistent broker nothing published meanwhile is lost."""
    rec = Recorder()
    subscribed = asyncio.Event()

    async def loop() -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    host, port, identifier=client_id, clean_session=False, keepalive=5
                ) as client:
                    for t in topics:
                        await client.subscribe(t, qos=1)
                    rec.connects += 1
                    subscribed.set()
                    await rec.poke()
                    async for msg in client.messages:
                        await rec.add(msg)
            except aiomqtt.MqttError:
                # Broker down: try again shortly (a retry loop, not a synchronisation).
                await asyncio.sleep(0.05)

    task = asyncio.create_task(loop())
    try:
        async with asyncio.timeout(20):
            await subscribed.wait()
        yield rec
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
