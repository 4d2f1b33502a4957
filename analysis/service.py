"""The analyzer service: sample batches from MQTT in, reps, sets, holds and live state out.

Topics, payloads and guarantees are documented in docs/analyzer-service.md.

Layout: ``AnalyzerCore`` is the synchronous, MQTT-free part (parse, de-duplicate, route to
one live analyzer per band, decide band ownership); it turns each incoming message into
``Effects`` (messages to publish, topics to (un)subscribe). ``AnalyzerService`` is the
asyncio shell around it: one aiomqtt connection, reconnect with backoff, an outbox that
survives reconnects, the idle timer and a clean shutdown.

Why band ownership: a shared subscription hands each *message* to one member of the
group (mosquitto round-robins), but a live analyzer needs *every* batch of its band. So
the shared subscription is used to discover bands and spread them: the analyzer that
receives a band's batch while nobody alive owns the band claims it (retained message on
``<prefix>/<band>/analysis/owner/<group>``), subscribes to that band's samples directly and
analyses all of them; the other members drop that band's shared copies unparsed. The
broker orders the claims on one topic the same way for every subscriber, so when two
analyzers claim at once, every member agrees that the last claim wins and the other one
hands the band over. Members announce themselves on a retained presence topic whose
last will clears it, so the bands of an analyzer that died are claimed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import socket
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import aiomqtt
import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from analysis.prescription import Prescription
from bandsense.model import (
    Hold,
    LiveState,
    Rep,
    SampleBatch,
    SessionSummary,
    SetSummary,
    validate_band_id,
)
from collector.backoff import Backoff

log = logging.getLogger(__name__)

AnalysisEvent = Rep | SetSummary | Hold | LiveState
MAX_SESSIONS_REMEMBERED = 8  # per band, for de-duplicating batches of earlier sessions
MALFORMED_LOG_FIRST = 10  # log every malformed message up to this count, then every 1000th


# -- the analyzer interface (implemented by analysis.live.LiveAnalyzer) ------------------


class LiveAnalyzerLike(Protocol):
    """One band's incremental analysis: samples in order in, events out.

    A ``Rep`` may be sent again with the same ``index`` once its set closes (its final
    version replaces the provisional one); ``finish_events`` returns the last events and
    the session's summary.
    """

    def feed(
        self, time_s: np.ndarray, force_n: np.ndarray, stretch_mm: np.ndarray | None
    ) -> Iterable[AnalysisEvent]: ...

    def finish_events(self) -> tuple[Iterable[AnalysisEvent], SessionSummary]: ...


@runtime_checkable
class GapAware(Protocol):
    """Optional: an analyzer that wants to be told about lost samples explicitly.

    Without it the gap is still visible to the analyzer in the sample times.
    """

    def gap(self, start_s: float, end_s: float) -> None: ...


AnalyzerFactory = Callable[[str], LiveAnalyzerLike]


def live_analyzer_factory(prescription: Prescription | None = None) -> AnalyzerFactory:
    """Factory of ``analysis.live.LiveAnalyzer`` instances, one per band."""

    def make(band_id: str) -> LiveAnalyzerLike:
        # Imported on first use: the service module must load (and its CLI show --help)
        # even where the analysis package is being reworked.
        from analysis.live import LiveAnalyzer

        analyzer: LiveAnalyzerLike = LiveAnalyzer(band_id=band_id, prescription=prescription)
        return analyzer

    return make


# -- configuration, counters, topics ----------------------------------------------------


def validate_group(group: str) -> str:
    if not group or any(c in group for c in "/+#") or any(ord(c) < 0x20 for c in group):
        raise ValueError(f"invalid share group {group!r}: no '/', '+', '#' or control characters")
    return group


@dataclass(frozen=True)
class ServiceConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    keepalive_s: int = 30
    prefix: str = "bandsense"
    group: str = "bandsense-analyzer"
    share: bool = True  # False: plain subscription, this analyzer takes every band
    idle_timeout_s: float = 30.0  # no samples this long -> the band's session is finished
    live_rate_hz: float = 10.0  # LiveState messages per band and second, at most
    analyzer_id: str = field(default_factory=lambda: f"analyzer-{uuid.uuid4().hex[:10]}")
    # True: the MQTT client id is ``analyzer_id`` with a persistent session, so the broker
    # queues this analyzer's QoS 1 messages while it reconnects (give a stable id).
    persistent_session: bool = False
    max_inflight: int = 100  # unacknowledged QoS 1 publishes
    ack_timeout_s: float = 30.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    shutdown_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        validate_group(self.group)
        validate_band_id(self.analyzer_id)  # it becomes a topic level too
        if self.idle_timeout_s <= 0 or self.live_rate_hz <= 0:
            raise ValueError("idle_timeout_s and live_rate_hz must be > 0")


@dataclass
class ServiceStats:
    messages: int = 0  # samples messages received (shared and direct copies)
    batches: int = 0  # batches analysed
    samples: int = 0
    duplicates: int = 0  # batches at or below the highest seq seen (redelivery, overlap)
    stale_samples: int = 0  # samples not after the last analysed time
    malformed: int = 0
    foreign: int = 0  # shared copies of bands another analyzer owns, dropped unparsed
    gaps: int = 0  # declared gaps and missing seq ranges
    analyzer_errors: int = 0
    claims: int = 0
    handovers: int = 0  # bands given up to an analyzer that claimed them later
    sessions: int = 0  # band sessions finished (summary published)
    published: dict[str, int] = field(default_factory=dict)  # by kind
    connects: int = 0
    connection_losses: int = 0


@dataclass(frozen=True)
class AnalysisTopics:
    prefix: str = "bandsense"

    def samples_filter(self, share: bool, group: str) -> str:
        plain = f"{self.prefix}/+/samples"
        return f"$share/{group}/{plain}" if share else plain

    def samples(self, band_id: str) -> str:
        return f"{self.prefix}/{band_id}/samples"

    def result(self, band_id: str, kind: str) -> str:
        return f"{self.prefix}/{band_id}/analysis/{kind}"

    def owner(self, band_id: str, group: str) -> str:
        """The retained claim of ``band_id`` in share group ``group``."""
        return f"{self.prefix}/{band_id}/analysis/owner/{group}"

    def owner_filter(self, group: str) -> str:
        return f"{self.prefix}/+/analysis/owner/{group}"

    @property
    def presence_filter(self) -> str:
        return f"{self.prefix}/analyzer/+/online"

    def presence(self, analyzer_id: str) -> str:
        return f"{self.prefix}/analyzer/{analyzer_id}/online"

    def flush(self, analyzer_id: str) -> str:
        """The analyzer's own marker topic (see ``AnalyzerService._stopper``)."""
        return f"{self.prefix}/analyzer/{analyzer_id}/flush"

    def band_of(self, topic: str, suffix: str) -> str | None:
        """The band id of ``<prefix>/<band>/<suffix>``, or None."""
        head, tail = f"{self.prefix}/", f"/{suffix}"
        if not (topic.startswith(head) and topic.endswith(tail)):
            return None
        band = topic[len(head) : len(topic) - len(tail)]
        return band if band and "/" not in band else None

    def analyzer_of(self, topic: str) -> str | None:
        """The analyzer id of a presence topic, or None."""
        return _middle(topic, f"{self.prefix}/analyzer/", "/online")


def _middle(topic: str, head: str, tail: str) -> str | None:
    if not (topic.startswith(head) and topic.endswith(tail)):
        return None
    mid = topic[len(head) : len(topic) - len(tail)]
    return mid if mid and "/" not in mid else None


class Claim(BaseModel):
    """Retained on ``<prefix>/<band>/analysis/owner/<group>``: the analyzer of the band."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str = "owner"
    analyzer: str
    group: str
    time_s: float


class Presence(BaseModel):
    """Retained on ``<prefix>/analyzer/<id>/online``; the last will clears it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str = "analyzer"
    analyzer: str
    group: str
    time_s: float


# -- effects ------------------------------------------------------------------------------

_ids = itertools.count()


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False
    id: int = field(default_factory=lambda: next(_ids))  # outbox order


@dataclass
class Effects:
    publish: list[Outgoing] = field(default_factory=list)
    subscribe: list[str] = field(default_factory=list)
    unsubscribe: list[str] = field(default_factory=list)

    def extend(self, other: Effects) -> None:
        self.publish += other.publish
        self.subscribe += other.subscribe
        self.unsubscribe += other.unsubscribe


# -- de-duplication -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeqVerdict:
    fresh: bool
    missing_frames: int = 0  # frames between the last batch and this one never seen


@dataclass
class SeqFilter:
    """Highest ``seq_last`` seen per band and session; batches at or below it are repeats.

    A band that restarts gets a new session id (its numbering starts over); a few earlier
    sessions are remembered so that a late redelivery from one of them is still a repeat.
    """

    _last: dict[str, OrderedDict[str, int]] = field(default_factory=dict)

    def check(self, batch: SampleBatch) -> SeqVerdict:
        sessions = self._last.setdefault(batch.band_id, OrderedDict())
        last = sessions.get(batch.session_id)
        if last is not None and batch.seq_last <= last:
            return SeqVerdict(False)
        sessions[batch.session_id] = batch.seq_last
        sessions.move_to_end(batch.session_id)
        while len(sessions) > MAX_SESSIONS_REMEMBERED:
            sessions.popitem(last=False)
        missing = 0 if last is None else max(0, batch.seq_first - last - 1)
        return SeqVerdict(True, missing)


# -- per-band state -------------------------------------------------------------------------


@dataclass
class BandState:
    band_id: str
    analyzer: LiveAnalyzerLike
    gap_aware: bool
    last_rx: float  # monotonic time of the last batch
    last_live: float = -math.inf  # monotonic time of the last LiveState published
    last_t: float = -math.inf  # the last sample time fed


def _with_band(event: AnalysisEvent, band_id: str) -> AnalysisEvent:
    if isinstance(event, LiveState) or event.band_id is not None:
        return event
    return event.model_copy(update={"band_id": band_id})


def _summary_with_band(summary: SessionSummary, band_id: str) -> SessionSummary:
    """The summary with ``band_id`` set on it and on each of its records."""
    def fill(records: list[Any]) -> list[Any]:
        return [_with_band(r, band_id) for r in records]

    return summary.model_copy(update={
        "band_id": band_id, "sets": fill(summary.sets), "reps": fill(summary.reps),
        "holds": fill(summary.holds),
    })


def _as_bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    return b"" if payload is None else str(payload).encode()


# -- the synchronous core -------------------------------------------------------------------


@dataclass
class AnalyzerCore:
    """Everything but the network: messages in, ``Effects`` out (see module docstring)."""

    config: ServiceConfig
    factory: AnalyzerFactory
    stats: ServiceStats = field(default_factory=ServiceStats)
    bands: dict[str, BandState] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)  # band -> analyzer (retained view)
    alive: set[str] = field(default_factory=set)
    seq: SeqFilter = field(default_factory=SeqFilter)

    def __post_init__(self) -> None:
        self.topics = AnalysisTopics(self.config.prefix)
        self.me = self.config.analyzer_id
        self.alive.add(self.me)

    # connection lifecycle
    def subscriptions(self) -> list[str]:
        """Topic filters for a new connection, in order: ownership state before samples,
        so retained claims are known before the first batch arrives."""
        subs = [self.topics.flush(self.me)]
        if self.config.share:
            subs += [self.topics.presence_filter, self.topics.owner_filter(self.config.group)]
        return [*subs, *self.sample_subscriptions()]

    def sample_subscriptions(self) -> list[str]:
        direct = [self.topics.samples(b) for b in self.bands] if self.config.share else []
        return [*direct, self.topics.samples_filter(self.config.share, self.config.group)]

    def on_connect(self, now: float) -> Outgoing | None:
        """Forget the retained view (it is sent again) and restart the idle timers: time
        spent disconnected is not idleness of the bands."""
        self.claims.clear()
        self.alive = {self.me}
        for state in self.bands.values():
            state.last_rx = now
        return self._presence() if self.config.share else None

    def _presence(self) -> Outgoing:
        body = Presence(analyzer=self.me, group=self.config.group, time_s=time.time())
        return Outgoing(self.topics.presence(self.me), body.model_dump_json().encode(), 1, True)

    def goodbye(self) -> Outgoing:
        """Clear this analyzer's retained presence (what its last will also does)."""
        return Outgoing(self.topics.presence(self.me), b"", 1, True)

    # dispatch
    def handle(self, topic: str, payload: bytes, now: float) -> Effects:
        band = self.topics.band_of(topic, "samples")
        if band is not None:
            return self._on_samples(band, payload, now)
        if self.config.share:
            band = self.topics.band_of(topic, f"analysis/owner/{self.config.group}")
            if band is not None:
                return self._on_claim(band, payload)
            analyzer = self.topics.analyzer_of(topic)
            if analyzer is not None:
                self._on_presence(analyzer, payload)
        return Effects()

    def _on_presence(self, analyzer: str, payload: bytes) -> None:
        if analyzer == self.me:
            return
        if payload:
            self.alive.add(analyzer)
        else:
            self.alive.discard(analyzer)

    def _on_claim(self, band: str, payload: bytes) -> Effects:
        if not payload:
            self.claims.pop(band, None)
            return Effects()
        try:
            claim = Claim.model_validate_json(payload)
        except ValidationError:
            self._malformed(f"{band}/analysis/owner/{self.config.group}", "invalid claim")
            return Effects()
        self.claims[band] = claim.analyzer
        if claim.analyzer != self.me and band in self.bands:
            # A later claim than ours: every member saw the same order, the later one wins.
            self.stats.handovers += 1
            del self.bands[band]
            log.warning("band %s: taken over by analyzer %s", band, claim.analyzer)
            return Effects(unsubscribe=[self.topics.samples(band)])
        return Effects()

    def _owned_elsewhere(self, band: str) -> bool:
        owner = self.claims.get(band)
        return owner is not None and owner != self.me and owner in self.alive

    def _claim(self, band: str) -> Outgoing:
        self.stats.claims += 1
        self.claims[band] = self.me
        body = Claim(analyzer=self.me, group=self.config.group, time_s=time.time())
        topic = self.topics.owner(band, self.config.group)
        return Outgoing(topic, body.model_dump_json().encode(), 1, True)

    def _on_samples(self, band: str, payload: bytes, now: float) -> Effects:
        self.stats.messages += 1
        effects = Effects()
        if self.config.share and band not in self.bands and self._owned_elsewhere(band):
            self.stats.foreign += 1
            return effects
        batch = self._parse(band, payload)
        if batch is None:
            return effects
        if self.config.share and self.claims.get(band) != self.me:
            # Unowned (or its owner died, or the broker lost the retained claim): take it
            # and get every batch of the band, not just this subscriber's share.
            effects.publish.append(self._claim(band))
            if band not in self.bands:
                effects.subscribe.append(self.topics.samples(band))
        verdict = self.seq.check(batch)
        if not verdict.fresh:
            self.stats.duplicates += 1
            return effects
        state = self.bands.get(band) or self._open(band, now)
        state.last_rx = now
        effects.publish += self._feed(state, batch, verdict, now)
        return effects

    def _parse(self, band: str, payload: bytes) -> SampleBatch | None:
        try:
            batch = SampleBatch.model_validate_json(payload)
        except ValidationError as exc:
            self._malformed(band, f"{exc.error_count()} validation error(s)")
            return None
        if batch.band_id != band:
            self._malformed(band, f"payload band_id {batch.band_id!r} differs from the topic")
            return None
        t = np.asarray(batch.time_s, dtype=np.float64)
        if not (np.isfinite(t).all() and (np.diff(t) > 0).all()):
            self._malformed(band, "time_s not finite and strictly increasing")
            return None
        return batch

    def _malformed(self, where: str, why: str) -> None:
        self.stats.malformed += 1
        n = self.stats.malformed
        if n <= MALFORMED_LOG_FIRST or n % 1000 == 0:
            log.warning("malformed message on %s: %s (%d so far)", where, why, n)

    def _open(self, band: str, now: float) -> BandState:
        analyzer = self.factory(band)
        state = BandState(band, analyzer, isinstance(analyzer, GapAware), last_rx=now)
        self.bands[band] = state
        log.info("band %s: analysis started", band)
        return state

    def _feed(
        self, state: BandState, batch: SampleBatch, verdict: SeqVerdict, now: float
    ) -> list[Outgoing]:
        t = np.asarray(batch.time_s, dtype=np.float64)
        keep = t > state.last_t  # the analyzer needs strictly increasing times
        if not keep.all():
            # An overlapping batch (e.g. a band restart re-numbered its frames).
            self.stats.stale_samples += int(np.count_nonzero(~keep))
            if not keep.any():
                return []
        t = t[keep]
        f = np.asarray(batch.force_n, dtype=np.float64)[keep]
        s = None if batch.stretch_mm is None else np.asarray(batch.stretch_mm, np.float64)[keep]
        if batch.gaps or verdict.missing_frames:
            self._note_gap(state, batch, t[0])
        state.last_t = float(t[-1])
        self.stats.batches += 1
        self.stats.samples += len(t)
        try:
            events = list(state.analyzer.feed(t, f, s))
        except Exception:
            self.stats.analyzer_errors += 1
            log.exception("band %s: the analyzer failed on a batch (seq %d..%d)",
                          state.band_id, batch.seq_first, batch.seq_last)
            return []
        return self._publishable(state, events, now)

    def _note_gap(self, state: BandState, batch: SampleBatch, next_t: float) -> None:
        self.stats.gaps += max(1, len(batch.gaps))
        log.info("band %s: samples lost before seq %d (declared %s)",
                 state.band_id, batch.seq_first, batch.gaps)
        if state.gap_aware and math.isfinite(state.last_t):
            state.analyzer.gap(state.last_t, next_t)  # type: ignore[attr-defined]

    def _publishable(
        self, state: BandState, events: list[AnalysisEvent], now: float
    ) -> list[Outgoing]:
        out: list[Outgoing] = []
        live: LiveState | None = None
        for event in events:
            ev = _with_band(event, state.band_id)
            if isinstance(ev, LiveState):
                live = ev  # only the newest state matters
                continue
            kind = "rep" if isinstance(ev, Rep) else "set" if isinstance(ev, SetSummary) else "hold"
            out.append(self._out(state.band_id, kind, ev))
        if live is not None and now - state.last_live >= 1.0 / self.config.live_rate_hz:
            state.last_live = now
            out.append(self._out(state.band_id, "live", live, qos=0))
        return out

    def _out(self, band: str, kind: str, record: BaseModel, qos: int = 1) -> Outgoing:
        self.stats.published[kind] = self.stats.published.get(kind, 0) + 1
        return Outgoing(self.topics.result(band, kind), record.model_dump_json().encode(), qos)

    # idle timeout and shutdown
    def next_deadline(self) -> float | None:
        if not self.bands:
            return None
        return min(s.last_rx for s in self.bands.values()) + self.config.idle_timeout_s

    def expire(self, now: float) -> Effects:
        effects = Effects()
        for band in [b for b, s in self.bands.items()
                     if now - s.last_rx >= self.config.idle_timeout_s]:
            effects.extend(self.finish_band(band, now))
        return effects

    def finish_all(self, now: float) -> Effects:
        effects = Effects()
        for band in list(self.bands):
            effects.extend(self.finish_band(band, now))
        return effects

    def finish_band(self, band: str, now: float) -> Effects:
        """End the band's session: last events, the session summary, release the claim."""
        state = self.bands.pop(band)
        effects = Effects()
        try:
            events, summary = state.analyzer.finish_events()
        except Exception:
            self.stats.analyzer_errors += 1
            log.exception("band %s: the analyzer failed to finish", band)
            events, summary = [], SessionSummary(samples=0, duration_s=0.0, sample_rate_hz=0.0,
                                                 gaps=0)
        state.last_live = -math.inf
        effects.publish += self._publishable(state, list(events), now)
        summary = _summary_with_band(summary, band)
        effects.publish.append(self._out(band, "session", summary))
        self.stats.sessions += 1
        log.info("band %s: session finished (%d reps, %d sets, %d holds)",
                 band, len(summary.reps), len(summary.sets), len(summary.holds))
        if self.config.share:
            effects.unsubscribe.append(self.topics.samples(band))
            if self.claims.get(band) == self.me:
                del self.claims[band]
                topic = self.topics.owner(band, self.config.group)
                effects.publish.append(Outgoing(topic, b"", 1, True))
        return effects


# -- the asyncio shell ------------------------------------------------------------------------


class Outbox:
    """Messages waiting for the broker, kept across reconnects.

    QoS 1 messages in flight when the connection drops go back to the front, in their
    original order; QoS 0 live states in flight are stale by then and dropped.
    """

    def __init__(self) -> None:
        self._items: deque[Outgoing] = deque()
        self._inflight: dict[int, Outgoing] = {}
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._items) + len(self._inflight)

    def put(self, items: Iterable[Outgoing]) -> None:
        self._items.extend(items)
        self._changed.set()

    async def take(self) -> Outgoing:
        while not self._items:
            self._changed.clear()
            await self._changed.wait()
        item = self._items.popleft()
        self._inflight[item.id] = item
        return item

    def done(self, item: Outgoing) -> None:
        self._inflight.pop(item.id, None)
        self._changed.set()

    def requeue(self) -> None:
        back = sorted((m for m in self._inflight.values() if m.qos > 0), key=lambda m: m.id)
        self._inflight.clear()
        self._items.extendleft(reversed(back))
        self._changed.set()

    async def drained(self) -> None:
        while len(self):
            self._changed.clear()
            await self._changed.wait()


class _Stop(Exception):
    """Raised inside the connection's task group to end it after a clean shutdown."""


class AnalyzerService:
    """Run with ``await service.run()``; cancel it (or call ``stop()``) to shut down.

    On shutdown every band's session is finished and its summary published, the outbox
    is flushed (within ``shutdown_timeout_s``), claims and presence are cleared.
    """

    def __init__(self, config: ServiceConfig, factory: AnalyzerFactory | None = None) -> None:
        self.config = config
        self.core = AnalyzerCore(config, factory or live_analyzer_factory())
        self.outbox = Outbox()
        self.backoff = Backoff(config.backoff_initial_s, config.backoff_max_s)
        self.subscribed = asyncio.Event()  # set while connected and subscribed
        self._connected = asyncio.Condition()
        self._stop = asyncio.Event()
        self._flush_marker = b""
        self._flushed = asyncio.Event()

    @property
    def stats(self) -> ServiceStats:
        return self.core.stats

    def stop(self) -> None:
        self._stop.set()

    async def wait_subscribed(self, connects: int = 1) -> None:
        """Wait until the ``connects``-th connection is up and subscribed."""
        async with self._connected:
            await self._connected.wait_for(
                lambda: self.stats.connects >= connects and self.subscribed.is_set()
            )

    async def run(self) -> None:
        worker = asyncio.create_task(self._run(), name=f"analyzer {self.config.analyzer_id}")
        try:
            await asyncio.shield(worker)
        except asyncio.CancelledError:
            self.stop()
            try:
                async with asyncio.timeout(self.config.shutdown_timeout_s):
                    await worker
            except TimeoutError:
                log.warning("analyzer shutdown timed out; %d messages unsent", len(self.outbox))
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            raise

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._connection()
            except* aiomqtt.MqttError as group:
                self.stats.connection_losses += 1
                log.warning("MQTT %s:%d unavailable (%s); %d results waiting",
                            self.config.host, self.config.port,
                            "; ".join(str(e) for e in group.exceptions), len(self.outbox))
            except* _Stop:
                pass
            finally:
                self.subscribed.clear()
                self.outbox.requeue()
            if self._stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.backoff.next_delay()):
                    await self._stop.wait()
        if self.core.bands:  # stopped while the broker was unreachable
            lost = self.core.finish_all(time.monotonic())
            log.warning("analyzer stopped offline: %d results not published", len(lost.publish))

    def _client(self) -> aiomqtt.Client:
        c = self.config
        will = None
        if c.share:
            will = aiomqtt.Will(self.core.topics.presence(c.analyzer_id), b"", qos=1, retain=True)
        return aiomqtt.Client(
            c.host,
            c.port,
            username=c.username,
            password=c.password,
            identifier=c.analyzer_id if c.persistent_session else None,
            clean_session=not c.persistent_session,
            will=will,
            keepalive=c.keepalive_s,
            max_inflight_messages=c.max_inflight,
            timeout=c.ack_timeout_s,
            tls_params=aiomqtt.TLSParameters() if c.tls else None,
            # Results are small messages: without this, Nagle's algorithm holds them back
            # until the broker's delayed ACK (about 40 ms on Linux).
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )

    async def _connection(self) -> None:
        async with self._client() as client:
            self.stats.connects += 1
            self.backoff.reset()
            hello = self.core.on_connect(time.monotonic())
            for topic in self.core.subscriptions():
                await client.subscribe(topic, qos=1)
            # Presence means "subscribed": announced before any claim this connection makes
            # (claims go out through the sender, which starts below).
            if hello is not None:
                await client.publish(hello.topic, hello.payload, qos=1, retain=True)
            self.subscribed.set()
            async with self._connected:
                self._connected.notify_all()
            log.info("analyzer %s subscribed on %s:%d", self.config.analyzer_id,
                     self.config.host, self.config.port)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._receive(client, tg))
                tg.create_task(self._send(client, tg))
                tg.create_task(self._expire(client, tg))
                tg.create_task(self._stopper(client, tg))

    def _apply(self, effects: Effects, client: aiomqtt.Client, tg: asyncio.TaskGroup) -> None:
        self.outbox.put(effects.publish)
        for topic in effects.subscribe:
            tg.create_task(client.subscribe(topic, qos=1))
        for topic in effects.unsubscribe:
            tg.create_task(client.unsubscribe(topic))

    async def _receive(self, client: aiomqtt.Client, tg: asyncio.TaskGroup) -> None:
        flush_topic = self.core.topics.flush(self.config.analyzer_id)
        async for message in client.messages:
            payload = _as_bytes(message.payload)
            if message.topic.value == flush_topic:
                if payload == self._flush_marker:
                    self._flushed.set()
                continue
            self._apply(self.core.handle(message.topic.value, payload, time.monotonic()),
                        client, tg)

    async def _send(self, client: aiomqtt.Client, tg: asyncio.TaskGroup) -> None:
        window = asyncio.Semaphore(self.config.max_inflight)
        while True:
            await window.acquire()
            item = await self.outbox.take()
            # Tasks start in creation order and aiomqtt hands the message to paho before
            # its first await, so results leave in the order they were produced.
            tg.create_task(self._publish(client, item, window))

    async def _publish(
        self, client: aiomqtt.Client, item: Outgoing, window: asyncio.Semaphore
    ) -> None:
        await client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)
        self.outbox.done(item)
        window.release()

    async def _expire(self, client: aiomqtt.Client, tg: asyncio.TaskGroup) -> None:
        # Periodic check: a band's session ends at most a tick after its idle timeout.
        tick = min(1.0, self.config.idle_timeout_s / 4)
        while True:
            await asyncio.sleep(tick)
            effects = self.core.expire(time.monotonic())
            if effects.publish:
                self._apply(effects, client, tg)

    async def _stopper(self, client: aiomqtt.Client, tg: asyncio.TaskGroup) -> None:
        await self._stop.wait()
        # Batches already delivered were acknowledged on receipt: analyse them before
        # finishing. Stop the inflow, then send ourselves a marker; the broker delivers
        # it after everything it sent us before, so once it is back all is in.
        await client.unsubscribe(self.core.sample_subscriptions())
        self._flush_marker = uuid.uuid4().hex.encode()
        self._flushed.clear()
        await client.publish(
            self.core.topics.flush(self.config.analyzer_id), self._flush_marker, qos=1
        )
        await self._flushed.wait()
        self._apply(self.core.finish_all(time.monotonic()), client, tg)
        await self.outbox.drained()
        if self.config.share:
            bye = self.core.goodbye()
            await client.publish(bye.topic, bye.payload, qos=1, retain=True)
        raise _Stop
