"""MQTT publishing for one band: everything goes through the spool, deleted on PUBACK.

One MQTT connection per band, because the broker holds one last will per connection and
each band's retained status must turn ``offline`` when the collector vanishes.

Data path: ``publish_batch``/``publish_event`` append to the spool and wake the sender;
the sender reads the spool in id order and publishes with QoS 1, keeping at most
``max_inflight`` messages unacknowledged (paho's message ids are 16-bit); each entry is
deleted when aiomqtt's ``publish`` returns, i.e. on the broker's PUBACK. On connection
loss the in-flight publishes are abandoned and, after a jittered exponential backoff, the
sender starts again from the oldest entry still in the spool: so the spool (including
what a previous, killed collector left) is replayed in order before newer data. A message
whose PUBACK was lost is sent twice: delivery is at least once, and consumers drop
repeats by sequence range (docs/mqtt.md, collector.dedupe).

The retained status is not spooled: only its latest value matters, and it is published
again on every (re)connect.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiomqtt

from bandsense.model import SampleBatch
from collector.backoff import Backoff
from collector.messages import BandEvent, BandStatusMessage
from collector.spool import Spool, SpoolEntry, SpoolFullError
from collector.topics import BandTopics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 30
    tls: bool = False

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> BrokerConfig:
        """``mqtt://[user:pass@]HOST[:PORT]`` (``mqtts://`` for TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
            raise ValueError(f"invalid MQTT URL {url!r}: expected mqtt://HOST:PORT")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=parts.username,
            password=parts.password,
            tls=tls,
            **kwargs,  # type: ignore[arg-type]
        )


@dataclass
class PublisherStats:
    enqueued: int = 0
    acked: int = 0
    connects: int = 0
    connection_losses: int = 0
    refused: int = 0  # messages the full spool refused (policy "refuse")


class _Stop(Exception):
    """Raised inside the connection's task group to end it cleanly."""


@dataclass
class Publisher:
    broker: BrokerConfig
    topics: BandTopics
    spool: Spool
    collector_id: str
    max_inflight: int = 100
    ack_timeout_s: float = 30.0
    backoff: Backoff = field(default_factory=Backoff)
    stats: PublisherStats = field(default_factory=PublisherStats)

    def __post_init__(self) -> None:
        if not 1 <= self.max_inflight < 65_000:
            raise ValueError("max_inflight must be in 1..64999 (16-bit MQTT message ids)")
        self.connected = asyncio.Event()
        self._wake = asyncio.Event()
        self._acked = asyncio.Event()
        self._stop = asyncio.Event()
        self._status_dirty = asyncio.Event()
        self._status: BandStatusMessage | None = None
        self._final_status: BandStatusMessage | None = None
        self._down_since: float | None = None  # monotonic start of the current outage

    # -- producer side ----------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        """Messages not yet acknowledged by the broker (spooled or in flight)."""
        return len(self.spool)

    def publish_batch(self, batch: SampleBatch, state: dict[str, str] | None = None) -> None:
        """Spool a batch (``state``: resume information saved atomically with it)."""
        self._enqueue(self.topics.samples, batch.model_dump_json().encode(), state)

    def publish_event(self, event: BandEvent) -> None:
        self._enqueue(self.topics.events, event.model_dump_json().encode())

    def set_status(self, status: BandStatusMessage) -> None:
        self._status = status
        self._status_dirty.set()

    def _enqueue(self, topic: str, payload: bytes, state: dict[str, str] | None = None) -> None:
        try:
            self.spool.append(topic, payload, qos=1, state=state)
        except SpoolFullError:
            # The spool already warned (once per fill); the count shows in the status line.
            self.stats.refused += 1
            return
        self.stats.enqueued += 1
        self._wake.set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def drain(self, timeout_s: float) -> bool:
        """Wait until the broker acknowledged everything spooled (True) or the timeout."""
        try:
            async with asyncio.timeout(timeout_s):
                while len(self.spool):
                    self._acked.clear()
                    await self._acked.wait()
        except TimeoutError:
            return False
        return True

    def stop(self, final_status: BandStatusMessage | None = None) -> None:
        """Make ``run`` return: publish ``final_status`` (retained) first if connected."""
        self._final_status = final_status
        self._stop.set()

    async def run(self) -> None:
        """Connect, publish, reconnect with backoff; returns after ``stop()``."""
        while not self._stop.is_set():
            try:
                await self._connection()
            except* aiomqtt.MqttError as group:
                self.stats.connection_losses += 1
                # Warn once per outage; the retries of the same outage go to debug.
                level = logging.DEBUG if self._down_since is not None else logging.WARNING
                if self._down_since is None:
                    self._down_since = time.monotonic()
                log.log(
                    level,
                    "%s: MQTT %s:%d unavailable (%s); %d messages kept in the spool",
                    self.topics.band_id,
                    self.broker.host,
                    self.broker.port,
                    "; ".join(str(e) for e in group.exceptions),
                    len(self.spool),
                )
            except* _Stop:
                pass  # stop() was called: the check below returns
            finally:
                self.connected.clear()
            if self._stop.is_set():
                return
            delay = self.backoff.next_delay()
            try:
                async with asyncio.timeout(delay):
                    await self._stop.wait()
            except TimeoutError:
                pass

    async def _connection(self) -> None:
        will = BandStatusMessage(
            band_id=self.topics.band_id,
            state="offline",
            collector=self.collector_id,
            time_s=time.time(),
            reason="collector connection lost",
        )
        client = aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=f"{self.collector_id}-{self.topics.band_id}-{uuid.uuid4().hex[:8]}",
            will=aiomqtt.Will(self.topics.status, will.model_dump_json(), qos=1, retain=True),
            keepalive=self.broker.keepalive_s,
            max_inflight_messages=self.max_inflight,
            timeout=self.ack_timeout_s,
            clean_session=True,
            tls_params=aiomqtt.TLSParameters() if self.broker.tls else None,
        )
        # Up to max_inflight publishes are pending by design (pipelining); aiomqtt would
        # warn about every one past 10.
        client.pending_calls_threshold = self.max_inflight + 1
        async with client:
            self.stats.connects += 1
            self.backoff.reset()
            self.connected.set()
            if self._down_since is not None:
                log.warning(
                    "%s: MQTT back after %.1f s; replaying %d spooled messages",
                    self.topics.band_id,
                    time.monotonic() - self._down_since,
                    len(self.spool),
                )
                self._down_since = None
            else:
                log.info(
                    "%s: connected to MQTT %s:%d",
                    self.topics.band_id,
                    self.broker.host,
                    self.broker.port,
                )
            if self._status is not None:
                self._status_dirty.set()
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._watch(client))
                tg.create_task(self._send_status(client))
                tg.create_task(self._send_spool(client, tg))
                tg.create_task(self._stopper(client))

    async def _watch(self, client: aiomqtt.Client) -> None:
        # Nothing is subscribed: the iterator only ends by raising MqttError when the
        # connection drops, which is how aiomqtt reports it (pending publishes would
        # otherwise just wait for their timeout).
        async for _ in client.messages:
            pass

    async def _stopper(self, client: aiomqtt.Client) -> None:
        await self._stop.wait()
        status = self._final_status
        if status is not None:
            await client.publish(self.topics.status, status.model_dump_json(), qos=1, retain=True)
        raise _Stop

    async def _send_status(self, client: aiomqtt.Client) -> None:
        while True:
            await self._status_dirty.wait()
            self._status_dirty.clear()
            status = self._status
            if status is not None:
                await client.publish(
                    self.topics.status, status.model_dump_json(), qos=1, retain=True
                )

    async def _send_spool(self, client: aiomqtt.Client, tg: asyncio.TaskGroup) -> None:
        window = asyncio.Semaphore(self.max_inflight)
        cursor = 0  # every connection starts from the oldest unacknowledged entry
        while True:
            self._wake.clear()
            entries = self.spool.read(after_id=cursor, limit=self.max_inflight)
            if not entries:
                await self._wake.wait()
                continue
            for entry in entries:
                await window.acquire()
                cursor = entry.id
                # Tasks start in creation order and aiomqtt hands the message to paho
                # before its first await, so messages leave in spool order.
                tg.create_task(self._publish_entry(client, entry, window))

    async def _publish_entry(
        self, client: aiomqtt.Client, entry: SpoolEntry, window: asyncio.Semaphore
    ) -> None:
        await client.publish(entry.topic, entry.payload, qos=entry.qos, retain=entry.retain)
        self.spool.delete(entry.id)
        self.stats.acked += 1
        window.release()
        self._acked.set()
