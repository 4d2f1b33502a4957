"""Codec of the band's GATT protocol (specification: docs/protocol.md).

Pure functions over bytes: the firmware simulator encodes with them, the collector
decodes with them, so the two sides cannot drift apart. Decoders are strict: every
malformed input raises a specific :class:`~bandsense.protocol.errors.ProtocolError`.
Sample payloads are decoded with ``np.frombuffer`` over a structured dtype because the
collector decodes thousands of frames per second; :func:`decode_samples` goes straight
from bytes to arrays without building the per-sample tuples of :class:`SampleFrame`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from bandsense.protocol import DecodedSamples
from bandsense.protocol.errors import (
    InconsistentFrameError,
    InvalidLengthError,
    InvalidParameterError,
    OversizedFrameError,
    ProtocolError,
    ResultCode,
    TruncatedFrameError,
    UnknownOpcodeError,
)

# --------------------------------------------------------------------------- GATT layout
_BAND_UUID_SUFFIX: Final = "-8a3c-4f1e-9b2d-5e6f7a8b9c0d"
SERVICE_UUID: Final = "b4d50001" + _BAND_UUID_SUFFIX
SAMPLES_UUID: Final = "b4d50002" + _BAND_UUID_SUFFIX  # notify
CONTROL_POINT_UUID: Final = "b4d50003" + _BAND_UUID_SUFFIX  # write with response + indicate
STATUS_UUID: Final = "b4d50004" + _BAND_UUID_SUFFIX  # read + notify


def sig_uuid(short: int) -> str:
    """The full 128-bit form of a 16-bit Bluetooth SIG UUID (lowercase, as bleak uses)."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


BATTERY_SERVICE_UUID: Final = sig_uuid(0x180F)
BATTERY_LEVEL_UUID: Final = sig_uuid(0x2A19)  # read + notify, u8 percent
DEVICE_INFORMATION_SERVICE_UUID: Final = sig_uuid(0x180A)
MANUFACTURER_NAME_UUID: Final = sig_uuid(0x2A29)  # read, UTF-8
MODEL_NUMBER_UUID: Final = sig_uuid(0x2A24)
SERIAL_NUMBER_UUID: Final = sig_uuid(0x2A25)
FIRMWARE_REVISION_UUID: Final = sig_uuid(0x2A26)

# ------------------------------------------------------------------------ sizes and limits
MIN_ATT_MTU: Final = 23  # every LE link starts here until an MTU exchange
MAX_ATT_MTU: Final = 517
ATT_NOTIFICATION_OVERHEAD: Final = 3  # opcode u8 + handle u16 of a notification/indication
MAX_ATT_VALUE: Final = 512  # longest attribute value the ATT specification allows

HEADER: Final = struct.Struct("<IIHBB")  # seq, t0_us, interval_us, count, flags
HEADER_SIZE: Final = HEADER.size  # 12

FLAG_HAS_STRETCH: Final = 0x01
FLAG_RESENT: Final = 0x02
FLAG_SATURATED: Final = 0x04
KNOWN_FLAGS: Final = FLAG_HAS_STRETCH | FLAG_RESENT | FLAG_SATURATED

FORCE_CN_PER_N: Final = 100  # force travels as i16 centinewtons (0.01 N)
STRETCH_DMM_PER_MM: Final = 10  # stretch travels as u16 tenths of a millimetre

I16_MIN: Final = -(2**15)
I16_MAX: Final = 2**15 - 1
U16_MAX: Final = 2**16 - 1
U32_MAX: Final = 2**32 - 1
CLOCK_WRAP_US: Final = 2**32  # t0_us wraps here (about 71.6 minutes)

RATE_MIN_HZ: Final = 20
RATE_MAX_HZ: Final = 1000
RESEND_BUFFER_S: Final = 60  # the band keeps (at least) the last 60 s of frames

_DTYPE_FORCE: Final = np.dtype("<i2")
_DTYPE_FORCE_STRETCH: Final = np.dtype([("force", "<i2"), ("stretch", "<u2")])


def sample_size(has_stretch: bool) -> int:
    """Bytes per sample: force i16, plus stretch u16 when the frame carries stretch."""
    return 4 if has_stretch else 2


def max_samples(has_stretch: bool) -> int:
    """Most samples one frame may hold: the count byte and a 512-byte ATT value bound it."""
    return min(255, (MAX_ATT_VALUE - HEADER_SIZE) // sample_size(has_stretch))


def samples_per_frame(mtu: int, has_stretch: bool = True) -> int:
    """Samples the band puts in one notification at a negotiated ATT MTU.

    ``(mtu - 3 - 12) // sample_size`` capped at 255 (count is a u8) and at what a
    512-byte ATT value holds (125 with stretch, 250 without): 2 at MTU 23 with stretch.
    MTUs above 517 are treated as 517; below 23 is not a valid LE link.
    """
    if mtu < MIN_ATT_MTU:
        raise ValueError(f"ATT MTU {mtu} is below the LE minimum of {MIN_ATT_MTU}")
    payload = min(mtu - ATT_NOTIFICATION_OVERHEAD, MAX_ATT_VALUE)
    return min(255, (payload - HEADER_SIZE) // sample_size(has_stretch))


def frame_size(count: int, has_stretch: bool) -> int:
    """Encoded length of a frame of ``count`` samples."""
    return HEADER_SIZE + count * sample_size(has_stretch)


# --------------------------------------------------------------------------- sample frame
@dataclass(frozen=True, slots=True)
class SampleFrame:
    """One SAMPLES notification, fields exactly as on the wire (integers).

    Construction does not validate (tests build broken frames on purpose);
    :func:`encode_frame` does, and :func:`decode_frame` only ever returns valid frames.
    """

    seq: int
    t0_us: int
    interval_us: int
    flags: int
    force_cn: tuple[int, ...]
    stretch_dmm: tuple[int, ...] | None

    @property
    def count(self) -> int:
        return len(self.force_cn)

    @property
    def has_stretch(self) -> bool:
        return bool(self.flags & FLAG_HAS_STRETCH)

    @property
    def resent(self) -> bool:
        return bool(self.flags & FLAG_RESENT)

    @property
    def saturated(self) -> bool:
        return bool(self.flags & FLAG_SATURATED)

    def force_n(self) -> npt.NDArray[np.float64]:
        # Division (not * 0.01) is correctly rounded, so n/100 is the float nearest n cN.
        return np.asarray(self.force_cn, dtype=np.float64) / FORCE_CN_PER_N

    def stretch_mm(self) -> npt.NDArray[np.float64] | None:
        if self.stretch_dmm is None:
            return None
        return np.asarray(self.stretch_dmm, dtype=np.float64) / STRETCH_DMM_PER_MM

    def device_time_us(self) -> npt.NDArray[np.int64]:
        """Device time of each sample, ``t0 + i*interval`` (int64, not unwrapped)."""
        return self.t0_us + np.arange(self.count, dtype=np.int64) * self.interval_us


def _check_int(name: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise InvalidParameterError(f"{name}={value} outside {lo}..{hi}")


def encode_frame(frame: SampleFrame) -> bytes:
    """Bytes of a SAMPLES notification; raises ProtocolError for unencodable frames."""
    count = frame.count
    has_stretch = frame.has_stretch
    if frame.flags & ~KNOWN_FLAGS:
        raise InconsistentFrameError(f"unknown flag bits 0x{frame.flags & ~KNOWN_FLAGS:02x}")
    if count == 0:
        raise InconsistentFrameError("a frame needs at least one sample")
    if count > max_samples(has_stretch):
        raise OversizedFrameError(
            f"{count} samples exceed the {max_samples(has_stretch)} one ATT value holds"
        )
    if has_stretch != (frame.stretch_dmm is not None):
        raise InconsistentFrameError("FLAG_HAS_STRETCH must be set exactly when stretch is given")
    _check_int("seq", frame.seq, 0, U32_MAX)
    _check_int("t0_us", frame.t0_us, 0, U32_MAX)
    _check_int("interval_us", frame.interval_us, 1, U16_MAX)
    force = np.asarray(frame.force_cn, dtype=np.int64)
    if force.min() < I16_MIN or force.max() > I16_MAX:
        raise InvalidParameterError("force_cn outside the i16 range")
    header = HEADER.pack(frame.seq, frame.t0_us, frame.interval_us, count, frame.flags)
    if frame.stretch_dmm is None:
        return header + force.astype(_DTYPE_FORCE).tobytes()
    if len(frame.stretch_dmm) != count:
        raise InconsistentFrameError("force_cn and stretch_dmm differ in length")
    stretch = np.asarray(frame.stretch_dmm, dtype=np.int64)
    if stretch.min() < 0 or stretch.max() > U16_MAX:
        raise InvalidParameterError("stretch_dmm outside the u16 range")
    body = np.empty(count, dtype=_DTYPE_FORCE_STRETCH)
    body["force"] = force
    body["stretch"] = stretch
    return header + body.tobytes()


def _parse_header(data: bytes | bytearray | memoryview) -> tuple[int, int, int, int, int]:
    """Validate a whole frame's framing; return (seq, t0_us, interval_us, count, flags)."""
    n = len(data)
    if n < HEADER_SIZE:
        raise TruncatedFrameError(f"frame of {n} bytes is shorter than the 12-byte header")
    if n > MAX_ATT_VALUE:
        raise OversizedFrameError(f"frame of {n} bytes exceeds the 512-byte ATT value limit")
    seq, t0_us, interval_us, count, flags = HEADER.unpack_from(data)
    if flags & ~KNOWN_FLAGS:
        raise InconsistentFrameError(f"unknown flag bits 0x{flags & ~KNOWN_FLAGS:02x}")
    if count == 0:
        raise InconsistentFrameError("frame declares 0 samples")
    if interval_us == 0:
        raise InconsistentFrameError("frame declares a sample interval of 0 us")
    has_stretch = bool(flags & FLAG_HAS_STRETCH)
    if count > max_samples(has_stretch):
        raise OversizedFrameError(
            f"frame declares {count} samples, more than the {max_samples(has_stretch)} "
            "a 512-byte ATT value holds"
        )
    expected = frame_size(count, has_stretch)
    if n != expected:
        if n == frame_size(count, not has_stretch):
            # The length fits the other layout exactly: the stretch flag is wrong, not
            # the length (more useful to whoever debugs the firmware).
            state = "set" if has_stretch else "clear"
            raise InconsistentFrameError(
                f"{n} bytes hold {count} samples of the other layout but FLAG_HAS_STRETCH is "
                f"{state}"
            )
        if n < expected:
            raise TruncatedFrameError(f"frame of {n} bytes, header declares {expected}")
        raise OversizedFrameError(f"frame of {n} bytes, header declares {expected}")
    return seq, t0_us, interval_us, count, flags


def decode_frame(data: bytes | bytearray | memoryview) -> SampleFrame:
    """Decode one SAMPLES notification; raises a ProtocolError subclass if malformed."""
    seq, t0_us, interval_us, count, flags = _parse_header(data)
    if flags & FLAG_HAS_STRETCH:
        body = np.frombuffer(data, dtype=_DTYPE_FORCE_STRETCH, count=count, offset=HEADER_SIZE)
        force_cn = tuple(body["force"].tolist())
        stretch_dmm: tuple[int, ...] | None = tuple(body["stretch"].tolist())
    else:
        force_cn = tuple(
            np.frombuffer(data, dtype=_DTYPE_FORCE, count=count, offset=HEADER_SIZE).tolist()
        )
        stretch_dmm = None
    return SampleFrame(seq, t0_us, interval_us, flags, force_cn, stretch_dmm)


def decode_samples(data: bytes | bytearray | memoryview) -> DecodedSamples:
    """Decode a SAMPLES notification straight to arrays (the collector's hot path).

    Same validation as :func:`decode_frame`; equal to
    ``frame_to_samples(decode_frame(data))`` but without the intermediate tuples.
    """
    seq, t0_us, interval_us, count, flags = _parse_header(data)
    stretch_mm: npt.NDArray[np.float64] | None
    if flags & FLAG_HAS_STRETCH:
        body = np.frombuffer(data, dtype=_DTYPE_FORCE_STRETCH, count=count, offset=HEADER_SIZE)
        force_n = body["force"].astype(np.float64) / FORCE_CN_PER_N
        stretch_mm = body["stretch"].astype(np.float64) / STRETCH_DMM_PER_MM
    else:
        raw = np.frombuffer(data, dtype=_DTYPE_FORCE, count=count, offset=HEADER_SIZE)
        force_n = raw.astype(np.float64) / FORCE_CN_PER_N
        stretch_mm = None
    return DecodedSamples(
        seq=seq,
        device_time_us=t0_us + np.arange(count, dtype=np.int64) * interval_us,
        force_n=force_n,
        stretch_mm=stretch_mm,
        resent=bool(flags & FLAG_RESENT),
        saturated=bool(flags & FLAG_SATURATED),
    )


def frame_to_samples(frame: SampleFrame) -> DecodedSamples:
    """The common decoded form of a band frame."""
    return DecodedSamples(
        seq=frame.seq,
        device_time_us=frame.device_time_us(),
        force_n=frame.force_n(),
        stretch_mm=frame.stretch_mm(),
        resent=frame.resent,
        saturated=frame.saturated,
    )


def frame_from_samples(
    seq: int,
    t0_us: int,
    interval_us: int,
    force_n: Sequence[float] | npt.NDArray[np.floating],
    stretch_mm: Sequence[float] | npt.NDArray[np.floating] | None,
    resent: bool = False,
) -> SampleFrame:
    """Build a frame from physical values (the firmware's quantiser).

    Rounds to 0.01 N / 0.1 mm, clips to the i16 / u16 ranges and sets FLAG_SATURATED
    when anything was clipped. ``t0_us`` may be an unwrapped device time: it is reduced
    modulo 2**32 as the band's 32-bit clock would. Non-finite values raise
    InvalidParameterError (the band has no way to send them).
    """
    _check_int("seq", seq, 0, U32_MAX)
    _check_int("interval_us", interval_us, 1, U16_MAX)
    force = np.asarray(force_n, dtype=np.float64)
    if force.ndim != 1 or force.size == 0:
        raise InconsistentFrameError("force_n must be a non-empty 1-D sequence")
    has_stretch = stretch_mm is not None
    if force.size > max_samples(has_stretch):
        raise OversizedFrameError(
            f"{force.size} samples exceed the {max_samples(has_stretch)} one frame holds"
        )
    if not np.all(np.isfinite(force)):
        raise InvalidParameterError("force_n contains NaN or infinity")
    cn = np.rint(force * FORCE_CN_PER_N)
    cn_clipped = np.clip(cn, I16_MIN, I16_MAX)
    saturated = bool(np.any(cn_clipped != cn))
    flags = FLAG_RESENT if resent else 0
    stretch_dmm: tuple[int, ...] | None = None
    if stretch_mm is not None:
        stretch = np.asarray(stretch_mm, dtype=np.float64)
        if stretch.shape != force.shape:
            raise InconsistentFrameError("stretch_mm and force_n differ in length")
        if not np.all(np.isfinite(stretch)):
            raise InvalidParameterError("stretch_mm contains NaN or infinity")
        dmm = np.rint(stretch * STRETCH_DMM_PER_MM)
        dmm_clipped = np.clip(dmm, 0, U16_MAX)
        saturated = saturated or bool(np.any(dmm_clipped != dmm))
        stretch_dmm = tuple(dmm_clipped.astype(np.int64).tolist())
        flags |= FLAG_HAS_STRETCH
    if saturated:
        flags |= FLAG_SATURATED
    return SampleFrame(
        seq=seq,
        t0_us=t0_us % CLOCK_WRAP_US,
        interval_us=interval_us,
        flags=flags,
        force_cn=tuple(cn_clipped.astype(np.int64).tolist()),
        stretch_dmm=stretch_dmm,
    )


# -------------------------------------------------------------------------- control point
class Opcode(IntEnum):
    """First byte of a control-point write."""

    START_STREAM = 0x01
    STOP_STREAM = 0x02
    TARE = 0x03
    SET_RATE = 0x04  # u16 Hz, RATE_MIN_HZ..RATE_MAX_HZ
    RESEND = 0x05  # u32 from_seq, u16 count (0 = up to the newest)
    READ_STATUS = 0x06


RESPONSE_CODE: Final = 0x80  # first byte of every control-point indication
_SET_RATE_PARAMS: Final = struct.Struct("<H")
_RESEND_PARAMS: Final = struct.Struct("<IH")
_PARAM_SIZE: Final[dict[Opcode, int]] = {
    Opcode.START_STREAM: 0,
    Opcode.STOP_STREAM: 0,
    Opcode.TARE: 0,
    Opcode.SET_RATE: _SET_RATE_PARAMS.size,
    Opcode.RESEND: _RESEND_PARAMS.size,
    Opcode.READ_STATUS: 0,
}


@dataclass(frozen=True, slots=True)
class Command:
    """A control-point write. ``rate_hz`` only for SET_RATE; ``from_seq``/``count`` only
    for RESEND (``count`` 0 = everything up to the newest frame).

    :func:`encode_command` checks only that values fit their wire types, so a test can
    send an out-of-range rate; the band's range check is in :func:`decode_command`.
    """

    opcode: Opcode
    rate_hz: int | None = None
    from_seq: int | None = None
    count: int | None = None

    @classmethod
    def start_stream(cls) -> Command:
        return cls(Opcode.START_STREAM)

    @classmethod
    def stop_stream(cls) -> Command:
        return cls(Opcode.STOP_STREAM)

    @classmethod
    def tare(cls) -> Command:
        return cls(Opcode.TARE)

    @classmethod
    def set_rate(cls, rate_hz: int) -> Command:
        return cls(Opcode.SET_RATE, rate_hz=rate_hz)

    @classmethod
    def resend(cls, from_seq: int, count: int = 0) -> Command:
        return cls(Opcode.RESEND, from_seq=from_seq, count=count)

    @classmethod
    def read_status(cls) -> Command:
        return cls(Opcode.READ_STATUS)


def encode_command(command: Command) -> bytes:
    """Bytes of a control-point write."""
    try:
        opcode = Opcode(command.opcode)
    except ValueError:
        raise UnknownOpcodeError(
            f"unknown opcode 0x{int(command.opcode):02x}", opcode=int(command.opcode)
        ) from None
    given = (command.rate_hz, command.from_seq, command.count)
    if opcode is Opcode.SET_RATE:
        if command.rate_hz is None or command.from_seq is not None or command.count is not None:
            raise InvalidParameterError("SET_RATE takes rate_hz only", opcode=opcode)
        _check_int("rate_hz", command.rate_hz, 0, U16_MAX)
        return bytes([opcode]) + _SET_RATE_PARAMS.pack(command.rate_hz)
    if opcode is Opcode.RESEND:
        if command.from_seq is None or command.count is None or command.rate_hz is not None:
            raise InvalidParameterError("RESEND takes from_seq and count only", opcode=opcode)
        _check_int("from_seq", command.from_seq, 0, U32_MAX)
        _check_int("count", command.count, 0, U16_MAX)
        return bytes([opcode]) + _RESEND_PARAMS.pack(command.from_seq, command.count)
    if any(value is not None for value in given):
        raise InvalidParameterError(f"{opcode.name} takes no parameters", opcode=opcode)
    return bytes([opcode])


def decode_command(data: bytes | bytearray | memoryview) -> Command:
    """Parse a control-point write as the band does.

    Raises InvalidLengthError (empty write or wrong parameter length for the opcode),
    UnknownOpcodeError, or InvalidParameterError (SET_RATE outside 20..1000 Hz); each
    carries ``opcode`` and the ``result_code`` to answer with.
    """
    if len(data) == 0:
        raise InvalidLengthError("empty control-point write")
    raw_opcode = data[0]
    try:
        opcode = Opcode(raw_opcode)
    except ValueError:
        raise UnknownOpcodeError(f"unknown opcode 0x{raw_opcode:02x}", opcode=raw_opcode) from None
    params = bytes(data[1:])
    if len(params) != _PARAM_SIZE[opcode]:
        raise InvalidLengthError(
            f"{opcode.name} takes {_PARAM_SIZE[opcode]} parameter bytes, got {len(params)}",
            opcode=raw_opcode,
        )
    if opcode is Opcode.SET_RATE:
        (rate_hz,) = _SET_RATE_PARAMS.unpack(params)
        if not RATE_MIN_HZ <= rate_hz <= RATE_MAX_HZ:
            raise InvalidParameterError(
                f"rate {rate_hz} Hz outside {RATE_MIN_HZ}..{RATE_MAX_HZ}", opcode=raw_opcode
            )
        return Command(opcode, rate_hz=rate_hz)
    if opcode is Opcode.RESEND:
        from_seq, count = _RESEND_PARAMS.unpack(params)
        return Command(opcode, from_seq=from_seq, count=count)
    return Command(opcode)


# -------------------------------------------------------------------------------- status
STATUS: Final = struct.Struct("<HBBBBBIIIHI")
STATUS_SIZE: Final = STATUS.size  # 25
# A STATUS notification and a READ_STATUS indication are truncated by the stack below
# these MTUs (a plain read of STATUS works at any MTU via Read Blob).
MIN_MTU_STATUS_NOTIFY: Final = ATT_NOTIFICATION_OVERHEAD + STATUS_SIZE  # 28
MIN_MTU_READ_STATUS: Final = ATT_NOTIFICATION_OVERHEAD + 3 + STATUS_SIZE  # 31


@dataclass(slots=True)
class BandStatus:
    """The STATUS characteristic value (also the READ_STATUS response payload)."""

    sample_rate_hz: int
    fw_major: int
    fw_minor: int
    fw_patch: int
    streaming: bool
    battery_pct: int
    buffered_frames: int
    next_seq: int
    frames_sent: int
    command_errors: int
    frames_resent: int

    @property
    def firmware_version(self) -> str:
        return f"{self.fw_major}.{self.fw_minor}.{self.fw_patch}"


def encode_status(status: BandStatus) -> bytes:
    _check_int("sample_rate_hz", status.sample_rate_hz, 0, U16_MAX)
    for name in ("fw_major", "fw_minor", "fw_patch"):
        _check_int(name, getattr(status, name), 0, 255)
    _check_int("battery_pct", status.battery_pct, 0, 100)
    for name in ("buffered_frames", "next_seq", "frames_sent", "frames_resent"):
        _check_int(name, getattr(status, name), 0, U32_MAX)
    _check_int("command_errors", status.command_errors, 0, U16_MAX)
    return STATUS.pack(
        status.sample_rate_hz,
        status.fw_major,
        status.fw_minor,
        status.fw_patch,
        1 if status.streaming else 0,
        status.battery_pct,
        status.buffered_frames,
        status.next_seq,
        status.frames_sent,
        status.command_errors,
        status.frames_resent,
    )


def decode_status(data: bytes | bytearray | memoryview) -> BandStatus:
    n = len(data)
    if n < STATUS_SIZE:
        raise TruncatedFrameError(f"status of {n} bytes, expected {STATUS_SIZE}")
    if n > STATUS_SIZE:
        raise OversizedFrameError(f"status of {n} bytes, expected {STATUS_SIZE}")
    (rate, major, minor, patch, streaming, battery, buffered, next_seq, sent, errors, resent) = (
        STATUS.unpack(data)
    )
    if streaming > 1:
        raise InconsistentFrameError(f"streaming byte {streaming} is not 0 or 1")
    if battery > 100:
        raise InconsistentFrameError(f"battery {battery}% above 100")
    return BandStatus(
        sample_rate_hz=rate,
        fw_major=major,
        fw_minor=minor,
        fw_patch=patch,
        streaming=bool(streaming),
        battery_pct=battery,
        buffered_frames=buffered,
        next_seq=next_seq,
        frames_sent=sent,
        command_errors=errors,
        frames_resent=resent,
    )


# ------------------------------------------------------------------------------ responses
RESEND_RESULT: Final = struct.Struct("<III")


@dataclass(frozen=True, slots=True)
class ResendResult:
    """Payload of a RESEND response (SUCCESS or NOT_AVAILABLE).

    The band then sends frames ``first_resent_seq..last_resent_seq`` (inclusive) on
    SAMPLES with FLAG_RESENT, in order. Nothing is resent when
    ``last_resent_seq < first_resent_seq`` (all requested frames were gone).
    """

    first_available_seq: int
    first_resent_seq: int
    last_resent_seq: int

    @property
    def resent_count(self) -> int:
        return max(0, self.last_resent_seq - self.first_resent_seq + 1)


@dataclass(frozen=True, slots=True)
class Response:
    """A control-point indication ``[0x80][request opcode][result][payload]``.

    ``request_opcode`` is the raw byte echoed (an :class:`Opcode` when known; 0 when the
    write was empty). ``resend`` is present exactly for RESEND answered SUCCESS or
    NOT_AVAILABLE; ``status`` exactly for READ_STATUS answered SUCCESS.
    """

    request_opcode: int
    result: ResultCode
    resend: ResendResult | None = None
    status: BandStatus | None = None

    @classmethod
    def for_error(cls, error: ProtocolError) -> Response:
        """The indication the band sends for a write that failed to decode."""
        return cls(error.opcode if error.opcode is not None else 0, error.result_code)


def _expects_resend(request_opcode: int, result: int) -> bool:
    return request_opcode == Opcode.RESEND and result in (
        ResultCode.SUCCESS,
        ResultCode.NOT_AVAILABLE,
    )


def _expects_status(request_opcode: int, result: int) -> bool:
    return request_opcode == Opcode.READ_STATUS and result == ResultCode.SUCCESS


def encode_response(response: Response) -> bytes:
    _check_int("request_opcode", int(response.request_opcode), 0, 255)
    result = ResultCode(response.result)
    head = bytes([RESPONSE_CODE, int(response.request_opcode), result])
    wants_resend = _expects_resend(response.request_opcode, result)
    wants_status = _expects_status(response.request_opcode, result)
    if wants_resend != (response.resend is not None):
        raise InconsistentFrameError(
            "resend payload belongs exactly to RESEND answered SUCCESS or NOT_AVAILABLE"
        )
    if wants_status != (response.status is not None):
        raise InconsistentFrameError("status payload belongs exactly to READ_STATUS + SUCCESS")
    if response.resend is not None:
        r = response.resend
        for name in ("first_available_seq", "first_resent_seq", "last_resent_seq"):
            _check_int(name, getattr(r, name), 0, U32_MAX)
        return head + RESEND_RESULT.pack(
            r.first_available_seq, r.first_resent_seq, r.last_resent_seq
        )
    if response.status is not None:
        return head + encode_status(response.status)
    return head


def decode_response(data: bytes | bytearray | memoryview) -> Response:
    n = len(data)
    if n < 3:
        raise TruncatedFrameError(f"response of {n} bytes is shorter than its 3-byte header")
    if data[0] != RESPONSE_CODE:
        raise InconsistentFrameError(f"response starts with 0x{data[0]:02x}, not 0x80")
    raw_opcode = data[1]
    try:
        result = ResultCode(data[2])
    except ValueError:
        raise InconsistentFrameError(f"unknown result code 0x{data[2]:02x}") from None
    try:
        request_opcode: int = Opcode(raw_opcode)
    except ValueError:
        request_opcode = raw_opcode  # e.g. the band echoing an opcode it did not support
    payload = bytes(data[3:])
    if _expects_resend(request_opcode, result):
        if len(payload) < RESEND_RESULT.size:
            raise TruncatedFrameError(f"RESEND payload of {len(payload)} bytes, expected 12")
        if len(payload) > RESEND_RESULT.size:
            raise OversizedFrameError(f"RESEND payload of {len(payload)} bytes, expected 12")
        return Response(request_opcode, result, resend=ResendResult(*RESEND_RESULT.unpack(payload)))
    if _expects_status(request_opcode, result):
        return Response(request_opcode, result, status=decode_status(payload))
    if payload:
        raise OversizedFrameError(
            f"{len(payload)} unexpected payload bytes after result 0x{result:02x}"
        )
    return Response(request_opcode, result)


# ------------------------------------------------------------ standard services (helpers)
def encode_battery_level(percent: int) -> bytes:
    _check_int("battery level", percent, 0, 100)
    return bytes([percent])


def decode_battery_level(data: bytes | bytearray | memoryview) -> int:
    if len(data) != 1:
        cls = TruncatedFrameError if len(data) < 1 else OversizedFrameError
        raise cls(f"battery level of {len(data)} bytes, expected 1")
    if data[0] > 100:
        raise InconsistentFrameError(f"battery level {data[0]}% above 100")
    return int(data[0])


__all__ = [
    "BATTERY_LEVEL_UUID",
    "BATTERY_SERVICE_UUID",
    "CONTROL_POINT_UUID",
    "DEVICE_INFORMATION_SERVICE_UUID",
    "FIRMWARE_REVISION_UUID",
    "FLAG_HAS_STRETCH",
    "FLAG_RESENT",
    "FLAG_SATURATED",
    "HEADER_SIZE",
    "MANUFACTURER_NAME_UUID",
    "MODEL_NUMBER_UUID",
    "RATE_MAX_HZ",
    "RATE_MIN_HZ",
    "SAMPLES_UUID",
    "SERIAL_NUMBER_UUID",
    "SERVICE_UUID",
    "STATUS_UUID",
    "BandStatus",
    "Command",
    "DecodedSamples",
    "Opcode",
    "ProtocolError",
    "ResendResult",
    "Response",
    "ResultCode",
    "SampleFrame",
    "decode_battery_level",
    "decode_command",
    "decode_frame",
    "decode_response",
    "decode_samples",
    "decode_status",
    "encode_battery_level",
    "encode_command",
    "encode_frame",
    "encode_response",
    "encode_status",
    "frame_from_samples",
    "frame_size",
    "frame_to_samples",
    "max_samples",
    "sample_size",
    "samples_per_frame",
]
