"""One band (or Tindeq) from connection to published batches, reconnecting forever.

Talks to the device only through bleak (``BleakClient``), with the backend class the
service picked (Bumble for ``--sim``, bleak's platform backend for real adapters).

Per notification (synchronously, in the bleak callback): decode, unwrap and map the
device clock, hand the frame to the sequencer, batch what it releases, spool the batches.
A ticker task, every ``tick_s``: asks for resends the sequencer wants (one control-point
command at a time), gives up on frames whose retries ran out, flushes batches older than
``batch_max_age_s``, and checks liveness (the virtual link has no supervision timeout: no
frames for ``liveness_intervals`` frame periods while the band should stream -> read its
status; no answer -> the link is dead, reconnect).

On reconnect the device clock and the sequence numbers continue: the status read tells the
newest frame the band produced meanwhile, and the sequencer asks for the missing ones.
A band whose numbering went backwards restarted: held frames are flushed, clock and
sequencer start over and the session id changes (consumers dedupe per session).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bleak import BleakClient
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError

from bandsense.model import SampleBatch
from bandsense.protocol import DecodedSamples, ProtocolError, band, tindeq
from collector.backoff import Backoff
from collector.batcher import Batcher, FrameSamples
from collector.clock import ClockConfig, DeviceClock
from collector.messages import BandEvent, BandStatusMessage, EventKind, LinkState
from collector.profiles import DeviceProfile
from collector.publisher import Publisher
from collector.sequencing import Frame, Gap, ResendRequest, Sequencer, SequencerConfig

log = logging.getLogger(__name__)


class LinkDead(Exception):
    """The link is gone: disconnected, or silent past the liveness limit."""


@dataclass
class SessionConfig:
    rate_hz: int | None = None  # SET_RATE on connect (band only); None: keep the band's
    batch_s: float = 0.25  # device seconds of samples per MQTT message
    batch_max_age_s: float = 0.25  # wall seconds a partial batch may wait
    tick_s: float = 0.05
    liveness_intervals: int = 10
    liveness_min_s: float = 1.0
    connect_timeout_s: float = 20.0
    command_timeout_s: float = 5.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    max_reconnects: int | None = None  # None: forever
    clock: ClockConfig = field(default_factory=ClockConfig)
    sequencer: SequencerConfig = field(default_factory=SequencerConfig)
    stop_stream_on_exit: bool = True
    status_every_s: float = 10.0  # refresh the retained status (counters) this often
    reset_backend_after: int = 3  # consecutive failed connects before a BLE host reset


@dataclass
class SessionStats:
    state: LinkState = "connecting"
    connects: int = 0
    disconnects: int = 0
    frames: int = 0  # unique frames released in order
    samples: int = 0
    duplicates: int = 0
    missing: int = 0  # frames that were missing at some point
    recovered: int = 0
    lost_frames: int = 0  # declared gaps
    malformed: int = 0
    battery_pct: int | None = None
    sample_rate_hz: float | None = None
    _recent: deque[tuple[float, int]] = field(default_factory=deque)

    def note_samples(self, now: float, n: int) -> None:
        self.samples += n
        self._recent.append((now, n))
        while self._recent and now - self._recent[0][0] > 2.0:
            self._recent.popleft()

    def rate(self, now: float) -> float:
        """Samples per wall second over the last two seconds."""
        while self._recent and now - self._recent[0][0] > 2.0:
            self._recent.popleft()
        return sum(n for _, n in self._recent) / 2.0


class BandSession:
    def __init__(
        self,
        device: BLEDevice | str,
        band_id: str,
        profile: DeviceProfile,
        publisher: Publisher,
        *,
        collector_id: str,
        config: SessionConfig | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        reset_backend: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.device = device
        self.band_id = band_id
        self.profile = profile
        self.publisher = publisher
        self.collector_id = collector_id
        self.config = config or SessionConfig()
        self.client_backend = client_backend
        self.reset_backend = reset_backend
        self._streamed = False
        self.stats = SessionStats()
        self.clock = DeviceClock(self.config.clock)
        self.sequencer: Sequencer[FrameSamples] = Sequencer(self.config.sequencer)
        self.session_id = self._new_session_id()
        self.batcher = Batcher(band_id, self.session_id, self.config.batch_s)
        self.backoff = Backoff(self.config.backoff_initial_s, self.config.backoff_max_s)
        self._stop = asyncio.Event()
        self._lost = asyncio.Event()
        self._pending: tuple[int, asyncio.Future[band.Response]] | None = None
        self._command_lock = asyncio.Lock()
        self._resend_task: asyncio.Task[None] | None = None
        self._band_streaming = False
        self._last_frame_at = 0.0
        self._frame_period_s: float | None = None  # EMA of live frame inter-arrival
        self._next_local_seq = 0  # Tindeq: the collector numbers notifications itself
        self._samples_per_frame = 1
        self._silent_checks = 0
        self._next_liveness_check = 0.0
        self._status_pushed_at = 0.0

    # -- public ---------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self.device.address if isinstance(self.device, BLEDevice) else self.device

    def stop(self) -> None:
        self._stop.set()

    def flush_pending(self) -> None:
        """Spool the partial batch now (what the ticker does after ``batch_max_age_s``)."""
        self._publish_batches(self.batcher.flush())

    async def run(self) -> None:
        """Connect and stream until ``stop()``; reconnect with backoff on any link failure."""
        attempts = 0
        failures = 0  # consecutive attempts that never got to streaming
        while not self._stop.is_set():
            self._streamed = False
            try:
                await self._connected_session()
            except (BleakError, LinkDead, TimeoutError, OSError, EOFError) as exc:
                self._on_link_lost(exc)
            except Exception as exc:
                # Anything else (a backend bug, a band answering nonsense) must not take
                # the other bands down: treat it like a lost link, with the traceback.
                log.exception("%s: unexpected error", self.band_id)
                self._on_link_lost(exc)
            if self._stop.is_set():
                break
            failures = 0 if self._streamed else failures + 1
            if self.reset_backend is not None and failures >= self.config.reset_backend_after:
                # A BLE stack that keeps refusing (e.g. Bumble holding a ghost connection
                # after a controller stopped answering) only recovers from a fresh start.
                log.warning(
                    "%s: %d failed connects in a row; resetting the BLE host",
                    self.band_id,
                    failures,
                )
                failures = 0
                await self.reset_backend()
            attempts += 1
            if self.config.max_reconnects is not None and attempts > self.config.max_reconnects:
                log.error("%s: giving up after %d reconnects", self.band_id, attempts - 1)
                break
            delay = self.backoff.next_delay()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stop.wait()
        self._finish()

    # -- connection -----------------------------------------------------------------------

    async def _connected_session(self) -> None:
        self._lost.clear()
        self._set_state("connecting" if self.stats.connects == 0 else "reconnecting")
        kwargs: dict[str, Any] = {}
        if self.client_backend is not None:
            kwargs["backend"] = self.client_backend
        client = BleakClient(
            self.device,
            disconnected_callback=lambda _c: self._lost.set(),
            timeout=self.config.connect_timeout_s,
            **kwargs,
        )
        async with asyncio.timeout(self.config.connect_timeout_s + 5.0):
            await client.connect()
        try:
            if self.profile.sequenced:
                await self._setup_band(client)
            else:
                await self._setup_tindeq(client)
            self.stats.connects += 1
            self._streamed = True
            self.backoff.reset()
            self._last_frame_at = time.monotonic()
            self._set_state("streaming" if self._band_streaming else "idle")
            self._event("connected")
            ticker = asyncio.create_task(self._ticker(client))
            lost = asyncio.create_task(self._lost.wait())
            stop = asyncio.create_task(self._stop.wait())
            try:
                done, _ = await asyncio.wait(
                    {ticker, lost, stop}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for task in (ticker, lost, stop):
                    task.cancel()
                await asyncio.gather(ticker, lost, stop, return_exceptions=True)
            if ticker in done:
                ticker.result()  # re-raise what ended it (LinkDead, BleakError, ...)
            if lost in done and stop not in done:
                raise LinkDead("disconnected")
            await self._leave(client)
        finally:
            if self._resend_task is not None:
                self._resend_task.cancel()
                self._resend_task = None
            self._fail_pending()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.config.command_timeout_s):
                    await client.disconnect()

    async def _leave(self, client: BleakClient) -> None:
        """Clean shutdown: give outstanding resends a moment, then stop the stream."""
        deadline = time.monotonic() + 2.0
        while self.sequencer.pending_missing and time.monotonic() < deadline:
            await self._tick(client)
            await asyncio.sleep(self.config.tick_s)
        if self.config.stop_stream_on_exit:
            with contextlib.suppress(Exception):
                if self.profile.sequenced:
                    await self._command(client, band.Command.stop_stream())
                else:
                    await self._write(client, tindeq.encode_stop_weight())

    async def _setup_band(self, client: BleakClient) -> None:
        await client.start_notify(self.profile.control_uuid, self._on_control)
        status = band.decode_status(await self._read(client, band.STATUS_UUID))
        self.apply_status(status, connecting=True)
        await client.start_notify(self.profile.data_uuid, self.on_notification)
        with contextlib.suppress(BleakError, ValueError):
            await client.start_notify(band.STATUS_UUID, self._on_status)
        self._samples_per_frame = band.samples_per_frame(client.mtu_size)
        if self.config.rate_hz is not None and status.sample_rate_hz != self.config.rate_hz:
            await self._expect_success(
                client, band.Command.set_rate(self.config.rate_hz), "SET_RATE"
            )
        response = await self._command(client, band.Command.start_stream())
        if response.result is band.ResultCode.SUCCESS:
            self._band_streaming = True
        elif response.result is band.ResultCode.INVALID_STATE:
            # Finished its session or battery empty: not a link problem. Stay connected:
            # the frames it produced while we were away can still be re-sent.
            log.warning("%s: band refused START (INVALID_STATE): it is idle", self.band_id)
            self._band_streaming = False
        else:
            raise BleakError(f"START_STREAM refused by the band: {response.result.name}")

    async def _setup_tindeq(self, client: BleakClient) -> None:
        await client.start_notify(self.profile.data_uuid, self.on_notification)
        with contextlib.suppress(BleakError, TimeoutError):
            await self._write(client, tindeq.encode_battery_request())
        await self._write(client, tindeq.encode_start_weight())
        self._band_streaming = True

    def _on_link_lost(self, exc: BaseException) -> None:
        was_connected = self.stats.state in ("streaming", "idle")
        self.stats.disconnects += 1
        log.warning("%s: link lost (%s: %s); reconnecting", self.band_id, type(exc).__name__, exc)
        # What the sequencer already released is published; a half-filled batch too, so
        # that downstream is not held back by the outage.
        self._publish_batches(self.batcher.flush())
        if was_connected:
            self._event("disconnected", reason=f"{type(exc).__name__}: {exc}"[:200])
        self._set_state("reconnecting")

    def _finish(self) -> None:
        # Frames still missing at shutdown are NOT declared gaps: the spool's resume point
        # stays before them, so the next run asks the band for them (it holds ~60 s) and
        # reports a gap only if the band no longer has them by then.
        self._publish_batches(self.batcher.flush())
        self._set_state("offline")

    # -- control point ----------------------------------------------------------------------

    async def _read(self, client: BleakClient, uuid_: str) -> bytearray:
        async with asyncio.timeout(self.config.command_timeout_s):
            return await client.read_gatt_char(uuid_)

    async def _write(self, client: BleakClient, data: bytes) -> None:
        async with asyncio.timeout(self.config.command_timeout_s):
            await client.write_gatt_char(self.profile.control_uuid, data, response=True)

    async def _command(self, client: BleakClient, command: band.Command) -> band.Response:
        """Write a control-point command and wait for its indication (one at a time)."""
        async with self._command_lock:
            fut: asyncio.Future[band.Response] = asyncio.get_running_loop().create_future()
            self._pending = (int(command.opcode), fut)
            try:
                await self._write(client, band.encode_command(command))
                async with asyncio.timeout(self.config.command_timeout_s):
                    return await fut
            finally:
                self._pending = None

    async def _expect_success(self, client: BleakClient, command: band.Command, what: str) -> None:
        response = await self._command(client, command)
        if response.result is not band.ResultCode.SUCCESS:
            raise BleakError(f"{what} refused by the band: {response.result.name}")

    def _on_control(self, _char: object, data: bytearray) -> None:
        try:
            response = band.decode_response(data)
        except ProtocolError as exc:
            self._malformed("control point", exc)
            return
        pending = self._pending
        if pending is not None and pending[0] == response.request_opcode and not pending[1].done():
            pending[1].set_result(response)
        else:
            log.debug("%s: unsolicited control-point indication %r", self.band_id, response)

    def _fail_pending(self) -> None:
        if self._pending is not None and not self._pending[1].done():
            self._pending[1].set_exception(LinkDead("link lost during a command"))
            self._pending[1].exception()  # mark retrieved: the waiter may be gone

    # -- status -----------------------------------------------------------------------------

    def _on_status(self, _char: object, data: bytearray) -> None:
        try:
            self.apply_status(band.decode_status(data), connecting=False)
        except ProtocolError as exc:
            self._malformed("status", exc)

    def apply_status(self, status: band.BandStatus, *, connecting: bool) -> None:
        """A status read (``connecting``: the one right after connecting) or notification."""
        now = time.monotonic()
        self._band_streaming = bool(status.streaming) or connecting
        if status.battery_pct != self.stats.battery_pct:
            self.stats.battery_pct = status.battery_pct
            self._event("battery", battery_pct=status.battery_pct)
            self._push_status()
        if not connecting:
            if self.stats.state in ("streaming", "idle"):
                self._set_state("streaming" if status.streaming else "idle")
            return
        newest = status.next_seq - 1
        if self.sequencer.next_seq is None:
            self._first_start(status.next_seq, now)
        elif status.next_seq < self.sequencer.next_seq:
            self._band_restarted(status.next_seq, now)
        else:
            self._handle(self.sequencer.note_newest(newest, now), now)

    def _first_start(self, band_next_seq: int, now: float) -> None:
        """First connection of this run: resume where the spool of an earlier run ends
        (the band still holds up to a minute of frames), else start with the band's
        next frame."""
        spool = self.publisher.spool
        saved = spool.get_state("next_seq")
        saved_session = spool.get_state("session_id")
        if saved is not None and saved_session:
            resume = int(saved)
            behind = band_next_seq - resume
            if 0 <= behind <= self.config.sequencer.max_buffered:
                log.info(
                    "%s: resuming at frame %d (band is at %d)", self.band_id, resume, band_next_seq
                )
                self._use_session(saved_session)
                self.sequencer.start_at(resume)
                self._handle(self.sequencer.note_newest(band_next_seq - 1, now), now)
                return
            if behind < 0:
                log.warning("%s: band restarted since the last run", self.band_id)
        self.sequencer.start_at(band_next_seq)

    def _use_session(self, session_id: str) -> None:
        self.session_id = session_id
        self.batcher = Batcher(self.band_id, session_id, self.config.batch_s)

    def _band_restarted(self, next_seq: int, now: float) -> None:
        log.warning("%s: band restarted (next seq %d); starting over", self.band_id, next_seq)
        self._handle(self.sequencer.reset(), now)
        self._publish_batches(self.batcher.flush())
        self.clock.reset()
        self._use_session(self._new_session_id())
        self.sequencer.start_at(next_seq)
        self._event("band_restarted")

    # -- data path ----------------------------------------------------------------------------

    def on_notification(self, _char: object, data: bytearray | bytes) -> None:
        """A notification on the data characteristic (bleak callback; public so tests
        can feed bytes directly). Never raises on bad input: malformed data is counted."""
        receive_s = time.time()
        now = time.monotonic()
        try:
            decoded = self.profile.decode(data)
        except ProtocolError as exc:
            self._malformed("samples", exc)
            return
        if isinstance(decoded, tindeq.TindeqResponse):
            self._on_tindeq_response(decoded)
            return
        if decoded.count == 0:
            return
        try:
            frame = self._map_frame(decoded, receive_s, now)
        except (ValueError, OverflowError) as exc:
            self._malformed("samples", exc)
            return
        seq = decoded.seq
        if seq is None:
            seq = self._next_local_seq
            self._next_local_seq += 1
        self._handle(self.sequencer.on_frame(seq, frame, now), now)
        self.stats.duplicates = self.sequencer.stats.duplicates

    def _map_frame(self, decoded: DecodedSamples, receive_s: float, now: float) -> FrameSamples:
        device_us = self.clock.unwrap(decoded.device_time_us, receive_s)
        if not decoded.resent:
            if self.clock.observe(int(device_us[-1]), receive_s):
                log.warning("%s: device clock jumped; clock estimate restarted", self.band_id)
            period = now - self._last_frame_at
            if 0 < period < 10.0:
                ema = self._frame_period_s
                self._frame_period_s = period if ema is None else 0.9 * ema + 0.1 * period
            self._last_frame_at = now
            self._silent_checks = 0
        if self.profile.nominal_rate_hz is not None:
            rate = self.profile.nominal_rate_hz  # Tindeq: jittery stamps, one nominal rate
        elif decoded.count > 1:
            step = int(device_us[1] - device_us[0])  # band frames are uniform
            rate = round(1e6 / step, 3) if step > 0 else 0.0
        else:
            rate = float(self.stats.sample_rate_hz or 0.0)
        if not rate > 0:
            raise ValueError("frame has no usable sample interval")
        self.stats.sample_rate_hz = rate
        return FrameSamples(
            device_us=device_us,
            time_s=self.clock.to_wall(device_us),
            force_n=decoded.force_n,
            stretch_mm=decoded.stretch_mm,
            rate_hz=rate,
        )

    def _on_tindeq_response(self, response: tindeq.TindeqResponse) -> None:
        if response.is_command_response and len(response.value) == 4:
            mv = response.battery_mv()
            # A LiPo cell from 3.3 V (empty) to 4.2 V (full), roughly linear in between.
            pct = int(max(0, min(100, round((mv - 3300) / 9))))
            if pct != self.stats.battery_pct:
                self.stats.battery_pct = pct
                self._event("battery", battery_pct=pct)
                self._push_status()

    def _handle(self, events: list[Frame[FrameSamples] | Gap], now: float) -> None:
        batches = []
        for ev in events:
            if isinstance(ev, Frame):
                batches += self.batcher.add_frame(ev.seq, ev.item, now)
                self.stats.frames += 1
                self.stats.note_samples(now, ev.item.count)
            else:
                batches += self.batcher.add_gap(ev.first, ev.last)
                log.warning(
                    "%s: frames %d..%d lost for good (the band no longer held them)",
                    self.band_id,
                    ev.first,
                    ev.last,
                )
                self._event(
                    "gap",
                    seq_from=ev.first,
                    seq_to=ev.last,
                    samples=ev.count * self._samples_per_frame,
                )
        st = self.sequencer.stats
        self.stats.missing, self.stats.recovered, self.stats.lost_frames = (
            st.missing_detected,
            st.recovered,
            st.lost,
        )
        self._publish_batches(batches)

    def _publish_batches(self, batches: list[SampleBatch]) -> None:
        for batch in batches:
            state = None
            if self.profile.sequenced:
                # Saved with the batch: a restarted collector resumes right after it.
                state = {"next_seq": str(batch.seq_last + 1), "session_id": self.session_id}
            self.publisher.publish_batch(batch, state)

    def _malformed(self, what: str, exc: Exception) -> None:
        self.stats.malformed += 1
        # Logged, never raised: a corrupt notification must not take the collector down.
        # Rate-limited so a stream of garbage does not flood the log.
        n = self.stats.malformed
        if n <= 10 or n % 1000 == 0:
            log.warning("%s: malformed %s notification #%d: %s", self.band_id, what, n, exc)

    # -- ticker -----------------------------------------------------------------------------

    async def _ticker(self, client: BleakClient) -> None:
        while True:
            await asyncio.sleep(self.config.tick_s)
            await self._tick(client)

    async def _tick(self, client: BleakClient) -> None:
        now = time.monotonic()
        self._handle(self.sequencer.poll(now), now)
        if self.profile.sequenced and (self._resend_task is None or self._resend_task.done()):
            if self._resend_task is not None and not self._resend_task.cancelled():
                exc = self._resend_task.exception()
                if exc is not None:
                    raise exc
            request = self.sequencer.next_request(now)
            if request is not None:
                self._resend_task = asyncio.create_task(self._resend(client, request))
        if self.batcher.due(now, self.config.batch_max_age_s):
            self._publish_batches(self.batcher.flush())
        if now - self._status_pushed_at >= self.config.status_every_s:
            self._push_status()
        await self._check_liveness(client, now)

    async def _resend(self, client: BleakClient, request: ResendRequest) -> None:
        try:
            response = await self._command(
                client, band.Command.resend(request.from_seq, request.count)
            )
        except TimeoutError:
            return  # the sequencer asks again when the retry time is up
        first_available = response.resend.first_available_seq if response.resend else None
        now = time.monotonic()
        self._handle(self.sequencer.on_resend_response(first_available), now)

    async def _check_liveness(self, client: BleakClient, now: float) -> None:
        if not self._band_streaming:
            return
        period = self._frame_period_s or 0.0
        limit = max(self.config.liveness_min_s, self.config.liveness_intervals * period)
        if now - self._last_frame_at <= limit or now < self._next_liveness_check:
            return
        self._next_liveness_check = now + limit
        # Silent: either the band stopped on its own (end of session, empty battery) or
        # the link is dead. A status read tells which.
        try:
            if self.profile.sequenced:
                status = band.decode_status(await self._read(client, band.STATUS_UUID))
                self.apply_status(status, connecting=False)
                if not status.streaming:
                    log.info("%s: band stopped streaming", self.band_id)
                    self._set_state("idle")
                    return
                self._handle(self.sequencer.note_newest(status.next_seq - 1, now), now)
            else:
                await self._write(client, tindeq.encode_battery_request())
        except (BleakError, TimeoutError, ProtocolError) as exc:
            raise LinkDead(f"no frames for {now - self._last_frame_at:.1f} s") from exc
        if not self.profile.sequenced:
            return  # the Tindeq answered: alive, just quiet
        self._silent_checks += 1
        if self._silent_checks >= 3:
            raise LinkDead(f"no frames for {now - self._last_frame_at:.1f} s while streaming")

    # -- publishing helpers --------------------------------------------------------------------

    def _set_state(self, state: LinkState) -> None:
        if state != self.stats.state:
            self.stats.state = state
            self._push_status()

    def status_message(
        self, state: LinkState | None = None, reason: str | None = None
    ) -> BandStatusMessage:
        st = self.stats
        return BandStatusMessage(
            band_id=self.band_id,
            state=state or st.state,
            collector=self.collector_id,
            time_s=time.time(),
            address=self.address,
            device=self.profile.kind,
            sample_rate_hz=st.sample_rate_hz,
            battery_pct=st.battery_pct,
            reason=reason,
            frames=st.frames,
            samples=st.samples,
            frames_missing=st.missing,
            frames_recovered=st.recovered,
            frames_lost=st.lost_frames,
            malformed=st.malformed,
            reconnects=max(0, st.connects - 1),
        )

    def _push_status(self) -> None:
        self._status_pushed_at = time.monotonic()
        self.publisher.set_status(self.status_message())

    def _event(self, kind: EventKind, **fields: Any) -> None:
        self.publisher.publish_event(
            BandEvent(
                band_id=self.band_id,
                event=kind,
                time_s=time.time(),
                collector=self.collector_id,
                **fields,
            )
        )

    def _new_session_id(self) -> str:
        return f"{self.band_id}-{uuid.uuid4().hex[:12]}"
