"""The band's firmware as a pure model: no BLE, no asyncio, driven by a virtual clock.

The peripheral (``firmware_sim.peripheral``) owns the radio; it calls
:meth:`BandFirmware.advance` with the current virtual time and sends what comes out,
and hands every control-point write to :meth:`BandFirmware.handle_command`.

Behaviour (what a collector can rely on, see docs/protocol.md for the wire format):

* The scenario starts playing at the first START_STREAM; from then on the person keeps
  moving whether or not the band streams. STOP_STREAM flushes the partial frame;
  a later START_STREAM resumes with the sample due at that moment (samples taken while
  stopped are never recorded). START while streaming and STOP while idle succeed and
  change nothing, so a reconnecting collector can always send START.
* Streaming survives link loss: frames keep going into the ring buffer (the last 60 s)
  while nobody is connected, so a collector that reconnects can ask for a RESEND.
* Frames lost "on the air" (scenario frame loss) are still buffered, so RESEND
  recovers them; they are reported in :attr:`BandFirmware.air_log`.
* At the end of the scenario the band flushes its last partial frame and goes idle.
* The battery drains with virtual time; at 0 % the band stops and refuses START
  (INVALID_STATE).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

from bandsense.protocol.band import (
    FLAG_RESENT,
    BandStatus,
    Command,
    Opcode,
    ProtocolError,
    ResendResult,
    Response,
    ResultCode,
    SampleFrame,
    decode_command,
    encode_frame,
    encode_response,
    encode_status,
    frame_from_samples,
    samples_per_frame,
)
from firmware_sim.sample_source import FloatArray, IntArray, LinkDropSpec, SampleSource

FW_VERSION = (1, 2, 0)
MIN_RATE_HZ = 20
MAX_RATE_HZ = 1000
RING_SECONDS = 60.0
DEFAULT_MTU = 23
_U32 = 0xFFFFFFFF


class State(Enum):
    IDLE = "idle"
    STREAMING = "streaming"


@dataclass(frozen=True, slots=True)
class FirmwareConfig:
    """Static properties of one simulated band."""

    has_stretch: bool = True
    battery_pct: float = 100.0
    # Rough figures for a small LiPo band: about 10 h streaming, weeks idle.
    drain_streaming_pct_per_h: float = 10.0
    drain_idle_pct_per_h: float = 0.5
    ring_seconds: float = RING_SECONDS
    # How many samples fit in one frame for a given ATT MTU (Tindeq mode overrides it).
    frame_capacity: Callable[[int, bool], int] = samples_per_frame


@dataclass(frozen=True, slots=True)
class EmittedFrame:
    """A frame the firmware hands to the radio.

    ``lost_on_air`` frames are buffered but the radio never delivers them.
    ``force_n``/``device_time_us`` are the unquantised values (for Tindeq mode).
    """

    frame: SampleFrame
    payload: bytes
    lost_on_air: bool
    force_n: FloatArray
    device_time_us: IntArray

    @property
    def seq(self) -> int:
        return self.frame.seq


@dataclass(slots=True)
class Tick:
    """What happened between two calls of :meth:`BandFirmware.advance`."""

    frames: list[EmittedFrame] = field(default_factory=list)
    link_drop: LinkDropSpec | None = None
    status_changed: bool = False
    battery_changed: bool = False
    more: bool = False  # advance() stopped at max_frames: more frames are already due


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """The control-point answer plus the frames a RESEND asks to re-send."""

    response: bytes
    result: ResultCode
    resend: tuple[bytes, ...] = ()
    status_changed: bool = False


@dataclass(slots=True)
class AirLog:
    """Ground truth of the radio: which frames never reached the collector, and link drops."""

    lost_seqs: list[int] = field(default_factory=list)
    lost_sample_ranges: list[tuple[int, int]] = field(default_factory=list)
    link_drops: list[LinkDropSpec] = field(default_factory=list)
    evicted_seqs: list[tuple[int, int]] = field(default_factory=list)  # by data-losing drops


@dataclass(slots=True)
class _Grid:
    """The source resampled to the current rate, from a given scenario time on."""

    rate_hz: float
    time_s: FloatArray
    force_n: FloatArray
    stretch_mm: FloatArray | None
    device_time_us: IntArray
    source_index: IntArray  # nearest source sample at or before each grid sample


def _grid_for(source: SampleSource, rate_hz: float, start_s: float) -> _Grid:
    if math.isclose(rate_hz, source.rate_hz, rel_tol=1e-9):
        first = int(np.searchsorted(source.time_s, start_s - 1e-9, side="left"))
        idx = np.arange(first, len(source), dtype=np.int64)
        return _Grid(
            rate_hz,
            source.time_s[first:],
            source.force_n[first:],
            None if source.stretch_mm is None else source.stretch_mm[first:],
            source.device_time_us[first:],
            idx,
        )
    n = math.floor((source.duration_s - start_s) * rate_hz + 1e-9) + 1
    n = max(n, 0)
    t = start_s + np.arange(n, dtype=np.float64) / rate_hz
    force = np.interp(t, source.time_s, source.force_n)
    stretch = None if source.stretch_mm is None else np.interp(t, source.time_s, source.stretch_mm)
    dev = np.round(np.interp(t, source.time_s, source.device_time_us.astype(np.float64))).astype(
        np.int64
    )
    src_idx = np.clip(
        np.searchsorted(source.time_s, t + 1e-9, side="right") - 1, 0, len(source) - 1
    ).astype(np.int64)
    return _Grid(rate_hz, t, force, stretch, dev, src_idx)


class BandFirmware:
    """State machine of one band. All times are virtual seconds since power-on."""

    def __init__(self, source: SampleSource, config: FirmwareConfig | None = None) -> None:
        self.source = source
        self.config = config or FirmwareConfig()
        self.state = State.IDLE
        self.sample_rate_hz = round(source.rate_hz)
        self.mtu = DEFAULT_MTU
        self.battery_pct = float(self.config.battery_pct)
        self.next_seq = 0
        self.frames_sent = 0
        self.frames_resent = 0
        self.command_errors = 0
        self.tare_offset_n = 0.0
        self.air_log = AirLog()
        self.scenario_start_s: float | None = None  # virtual time of scenario t = 0
        self.finished = False
        self._now = 0.0
        self._grid = _grid_for(source, float(self.sample_rate_hz), 0.0)
        self._next = 0  # index into the grid of the first sample of the next frame
        self._ring: deque[tuple[SampleFrame, float]] = deque()
        self._lost_mask: np.ndarray | None = None  # per source sample, fixed at 1st frame
        self._pending_link_drops = sorted(source.link_drops, key=lambda d: d.at_s)
        self._pending_evictions: list[float] = []  # ends of data-losing outages
        self._last_battery_int = self.battery_int

    # ------------------------------------------------------------------ properties
    @property
    def streaming(self) -> bool:
        return self.state is State.STREAMING

    @property
    def battery_int(self) -> int:
        return max(0, min(100, math.ceil(self.battery_pct)))

    @property
    def samples_per_frame(self) -> int:
        return max(1, self.config.frame_capacity(self.mtu, self.config.has_stretch))

    @property
    def interval_us(self) -> int:
        return round(1e6 / self.sample_rate_hz)

    @property
    def buffered_frames(self) -> int:
        return len(self._ring)

    @property
    def first_buffered_seq(self) -> int:
        return self._ring[0][0].seq if self._ring else self.next_seq

    def scenario_time(self, now_s: float) -> float | None:
        return None if self.scenario_start_s is None else now_s - self.scenario_start_s

    def status(self) -> BandStatus:
        major, minor, patch = FW_VERSION
        return BandStatus(
            sample_rate_hz=self.sample_rate_hz,
            fw_major=major,
            fw_minor=minor,
            fw_patch=patch,
            streaming=self.streaming,
            battery_pct=self.battery_int,
            buffered_frames=self.buffered_frames,
            next_seq=self.next_seq & _U32,
            frames_sent=self.frames_sent & _U32,
            command_errors=min(self.command_errors, 0xFFFF),
            frames_resent=self.frames_resent & _U32,
        )

    def status_bytes(self) -> bytes:
        return encode_status(self.status())

    def set_mtu(self, mtu: int) -> None:
        """The ATT MTU negotiated with the current peer: sets the samples per frame."""
        self.mtu = max(DEFAULT_MTU, int(mtu))

    def configure_rate(self, rate_hz: int) -> None:
        """Set the sample rate outside the control point (Tindeq mode runs at 80 Hz)."""
        if self._set_rate(rate_hz).result is not ResultCode.SUCCESS:
            raise ValueError(f"rate {rate_hz} Hz outside {MIN_RATE_HZ}..{MAX_RATE_HZ}")

    def record_sent(self, count: int = 1, *, resent: bool = False) -> None:
        """The radio handed ``count`` notifications to the link."""
        if resent:
            self.frames_resent += count
        else:
            self.frames_sent += count

    # ------------------------------------------------------------------ clock
    def next_deadline(self) -> float | None:
        """Virtual time of the next thing :meth:`advance` will produce (None: nothing)."""
        if self.scenario_start_s is None:
            return None
        candidates: list[float] = []
        if self.streaming:
            last = min(self._next + self.samples_per_frame, len(self._grid.time_s)) - 1
            if last >= self._next:
                candidates.append(self.scenario_start_s + float(self._grid.time_s[last]))
            else:
                candidates.append(self._now)
        if self._pending_link_drops:
            candidates.append(self.scenario_start_s + self._pending_link_drops[0].at_s)
        return min(candidates) if candidates else None

    def advance(self, now_s: float, max_frames: int | None = None) -> Tick:
        """Move the clock to ``now_s`` and return the frames and events due by then.

        With ``max_frames`` at most that many frames are built; ``tick.more`` then says
        more are due (the caller comes back at once) and events after the last built
        frame wait for that call, so frames and link drops keep their order.
        """
        tick = Tick()
        dt = max(0.0, now_s - self._now)
        self._now = max(self._now, now_s)
        self._drain_battery(dt, tick)
        scen = self.scenario_time(self._now)
        if scen is None:
            return tick
        horizon = scen
        if self.streaming:
            spf = self.samples_per_frame
            while self._next < len(self._grid.time_s):
                last = min(self._next + spf, len(self._grid.time_s)) - 1
                if float(self._grid.time_s[last]) > scen + 1e-12:
                    break
                if max_frames is not None and len(tick.frames) >= max_frames:
                    tick.more = True
                    horizon = float(self._grid.time_s[self._next - 1])
                    break
                tick.frames.append(self._build_frame(self._next, last + 1))
            if self._next >= len(self._grid.time_s):
                self.state = State.IDLE
                self.finished = True
                tick.status_changed = True
        while self._pending_link_drops and self._pending_link_drops[0].at_s <= horizon:
            drop = self._pending_link_drops.pop(0)
            self.air_log.link_drops.append(drop)
            tick.link_drop = drop
            if drop.lose_data:
                self._pending_evictions.append(drop.at_s + drop.duration_s)
        self._evict_lost_outages(horizon)
        return tick

    def _evict_lost_outages(self, scen: float) -> None:
        """A data-losing outage is over: the band's buffer did not cover it, so nothing
        from before its end can be re-sent any more."""
        while self._pending_evictions and self._pending_evictions[0] <= scen:
            end = self._pending_evictions.pop(0)
            first = last = None
            while self._ring and self._ring[0][1] <= end:
                frame, _ = self._ring.popleft()
                first = frame.seq if first is None else first
                last = frame.seq
            if first is not None and last is not None:
                self.air_log.evicted_seqs.append((first, last))

    def _drain_battery(self, dt: float, tick: Tick) -> None:
        rate = (
            self.config.drain_streaming_pct_per_h
            if self.streaming
            else self.config.drain_idle_pct_per_h
        )
        self.battery_pct = max(0.0, self.battery_pct - rate * dt / 3600.0)
        if self.battery_int != self._last_battery_int:
            self._last_battery_int = self.battery_int
            tick.battery_changed = True
            tick.status_changed = True
        if self.battery_pct <= 0.0 and self.streaming:
            self.state = State.IDLE
            tick.status_changed = True

    # ------------------------------------------------------------------ frames
    def _lost(self, source_index: int) -> bool:
        if self._lost_mask is None:
            spf = self.samples_per_frame
            mask = np.zeros(len(self.source), dtype=bool)
            for f in np.asarray(self.source.dropped_frames(spf), dtype=np.int64):
                mask[int(f) * spf : (int(f) + 1) * spf] = True
            self._lost_mask = mask
        return bool(self._lost_mask[source_index])

    def _build_frame(self, start: int, stop: int) -> EmittedFrame:
        g = self._grid
        force = g.force_n[start:stop] - self.tare_offset_n
        stretch = (
            g.stretch_mm[start:stop]
            if (self.config.has_stretch and g.stretch_mm is not None)
            else None
        )
        dev = g.device_time_us[start:stop]
        seq = self.next_seq & _U32
        frame = frame_from_samples(
            seq, int(dev[0]) & _U32, self.interval_us, force, stretch, resent=False
        )
        self.next_seq += 1
        self._next = stop
        end_s = float(g.time_s[stop - 1])
        self._ring.append((frame, end_s))
        while self._ring and end_s - self._ring[0][1] > self.config.ring_seconds:
            self._ring.popleft()
        src_first = int(g.source_index[start])
        lost = self._lost(src_first)
        if lost:
            self.air_log.lost_seqs.append(seq)
            self.air_log.lost_sample_ranges.append((src_first, int(g.source_index[stop - 1])))
        return EmittedFrame(frame, encode_frame(frame), lost, force.copy(), dev.copy())

    def _flush_partial(self) -> EmittedFrame | None:
        """Frame the samples already taken but not yet sent (on STOP)."""
        scen = self.scenario_time(self._now)
        if scen is None or self._next >= len(self._grid.time_s):
            return None
        last = int(np.searchsorted(self._grid.time_s, scen + 1e-12, side="right"))
        last = min(last, self._next + self.samples_per_frame)
        if last <= self._next:
            return None
        return self._build_frame(self._next, last)

    # ------------------------------------------------------------------ commands
    def handle_command(self, data: bytes, now_s: float) -> tuple[CommandOutcome, Tick]:
        """Validate and execute one control-point write.

        The write is parsed as the band does (:func:`decode_command`: length per opcode,
        known opcode, rate range); a bad write is answered with the error's result code
        and changes nothing else. Returns the outcome (the indication to send, frames to
        re-send) and a tick with any frames the command produced (STOP flushes a
        partial frame).
        """
        tick = self.advance(now_s)
        try:
            command = decode_command(data)
        except ProtocolError as error:
            outcome = self._answer(Response.for_error(error))
        else:
            outcome = self._execute(command, tick)
        if outcome.result is not ResultCode.SUCCESS and not (
            outcome.result is ResultCode.NOT_AVAILABLE and outcome.resend
        ):
            self.command_errors += 1
        return outcome, tick

    def _answer(
        self,
        response: Response,
        resend: tuple[bytes, ...] = (),
        status_changed: bool = False,
    ) -> CommandOutcome:
        return CommandOutcome(
            encode_response(response), ResultCode(response.result), resend, status_changed
        )

    def _result(
        self, op: Opcode, result: ResultCode, status_changed: bool = False
    ) -> CommandOutcome:
        return self._answer(Response(op, result), status_changed=status_changed)

    def _execute(self, command: Command, tick: Tick) -> CommandOutcome:
        op = command.opcode
        if op is Opcode.START_STREAM:
            return self._start(tick)
        if op is Opcode.STOP_STREAM:
            return self._stop(tick)
        if op is Opcode.TARE:
            return self._tare()
        if op is Opcode.SET_RATE:
            assert command.rate_hz is not None
            return self._set_rate(command.rate_hz)
        if op is Opcode.RESEND:
            assert command.from_seq is not None and command.count is not None
            return self._resend(command.from_seq, command.count)
        return self._answer(Response(op, ResultCode.SUCCESS, status=self.status()))

    def _start(self, tick: Tick) -> CommandOutcome:
        if self.streaming:
            return self._result(Opcode.START_STREAM, ResultCode.SUCCESS)
        if self.battery_pct <= 0.0 or self.finished:
            return self._result(Opcode.START_STREAM, ResultCode.INVALID_STATE)
        if self.scenario_start_s is None:
            self.scenario_start_s = self._now
            self._grid = _grid_for(self.source, float(self.sample_rate_hz), 0.0)
            self._next = 0
        else:
            scen = self.scenario_time(self._now) or 0.0
            # Samples taken while stopped were never recorded: resume with the next one.
            self._next = int(np.searchsorted(self._grid.time_s, scen - 1e-12, side="left"))
            if self._next >= len(self._grid.time_s):
                self.finished = True
                return self._result(Opcode.START_STREAM, ResultCode.INVALID_STATE)
        self.state = State.STREAMING
        return self._result(Opcode.START_STREAM, ResultCode.SUCCESS, status_changed=True)

    def _stop(self, tick: Tick) -> CommandOutcome:
        if not self.streaming:
            return self._result(Opcode.STOP_STREAM, ResultCode.SUCCESS)
        partial = self._flush_partial()
        if partial is not None:
            tick.frames.append(partial)
        self.state = State.IDLE
        return self._result(Opcode.STOP_STREAM, ResultCode.SUCCESS, status_changed=True)

    def _tare(self) -> CommandOutcome:
        scen = self.scenario_time(self._now)
        if scen is None:
            raw = float(self.source.force_n[0])
        else:
            i = int(np.searchsorted(self.source.time_s, scen + 1e-12, side="right")) - 1
            raw = float(self.source.force_n[max(0, min(i, len(self.source) - 1))])
        self.tare_offset_n = raw
        return self._result(Opcode.TARE, ResultCode.SUCCESS)

    def _set_rate(self, rate: int) -> CommandOutcome:
        if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
            return self._result(Opcode.SET_RATE, ResultCode.OUT_OF_RANGE)
        if rate == self.sample_rate_hz:
            return self._result(Opcode.SET_RATE, ResultCode.SUCCESS)
        # The new grid starts at the first sample not yet framed, so frames never mix
        # rates and no taken sample is lost.
        start_s = (
            float(self._grid.time_s[self._next])
            if self._next < len(self._grid.time_s)
            else self.source.duration_s + 1.0
        )
        if self.scenario_start_s is None:
            start_s = 0.0
        self.sample_rate_hz = rate
        self._grid = _grid_for(self.source, float(rate), start_s)
        self._next = 0
        return self._result(Opcode.SET_RATE, ResultCode.SUCCESS, status_changed=True)

    def _resend(self, from_seq: int, count: int) -> CommandOutcome:
        newest = self.next_seq - 1
        if from_seq > newest or newest < 0:
            return self._result(Opcode.RESEND, ResultCode.OUT_OF_RANGE)
        last = newest if count == 0 else min(newest, from_seq + count - 1)
        first_avail = self.first_buffered_seq
        payload_first = max(from_seq, first_avail)
        frames = tuple(
            encode_frame(replace(f, flags=f.flags | FLAG_RESENT))
            for f, _ in self._ring
            if payload_first <= f.seq <= last
        )
        if from_seq >= first_avail:
            result = ResultCode.SUCCESS
            info = ResendResult(first_avail, from_seq, last)
        elif last >= first_avail:
            result = ResultCode.NOT_AVAILABLE
            info = ResendResult(first_avail, first_avail, last)
        else:
            # Nothing of the range is left (first_avail > last >= 0): an empty range.
            result = ResultCode.NOT_AVAILABLE
            info = ResendResult(first_avail, first_avail, first_avail - 1)
        return self._answer(Response(Opcode.RESEND, result, resend=info), frames)
