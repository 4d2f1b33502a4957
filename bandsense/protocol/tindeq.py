"""Codec of the Tindeq Progressor BLE protocol (a commercial force gauge).

What is verified against open Progressor clients and what is assumed is listed in
docs/protocol.md ("Tindeq Progressor"). In short: the device notifies tag-length-value
frames on the data characteristic; tag 1 carries ``length / 8`` records of
(float32 kg, uint32 microseconds), tag 0 answers commands (battery: uint32 mV), tag 4
warns of low power. Commands are written to the control point as ``[opcode][length]
[value]`` (length 0 for every command bandsense sends).

The simulator's Tindeq mode uses the ``encode_*`` functions to produce the frames a real
Progressor would send, so the collector's path is exercised byte for byte.
"""

from __future__ import annotations

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
    TruncatedFrameError,
    UnknownOpcodeError,
)

_SUFFIX: Final = "-1ea6-40c9-9dcc-13d34ffead57"
SERVICE_UUID: Final = "7e4e1701" + _SUFFIX
DATA_UUID: Final = "7e4e1702" + _SUFFIX  # notify: TLV responses and weight data
CONTROL_POINT_UUID: Final = "7e4e1703" + _SUFFIX  # write: commands

STANDARD_GRAVITY: Final = 9.80665  # m/s^2: the device reports kilograms-force
NOMINAL_RATE_HZ: Final = 80.0
TLV_HEADER_SIZE: Final = 2
WEIGHT_RECORD_SIZE: Final = 8
MAX_WEIGHT_RECORDS: Final = 255 // WEIGHT_RECORD_SIZE  # the length byte caps a frame at 31
U32_MAX: Final = 2**32 - 1
CLOCK_WRAP_US: Final = 2**32

_WEIGHT_DTYPE: Final = np.dtype([("kg", "<f4"), ("t_us", "<u4")])


class TindeqOpcode(IntEnum):
    """Control-point opcodes of the Progressor (bandsense sends the first five)."""

    TARE_SCALE = 0x64
    START_WEIGHT_MEAS = 0x65
    STOP_WEIGHT_MEAS = 0x66
    START_PEAK_RFD_MEAS = 0x67
    START_PEAK_RFD_MEAS_SERIES = 0x68
    ADD_CALIB_POINT = 0x69
    SAVE_CALIB = 0x6A
    GET_APP_VERSION = 0x6B
    GET_ERR_INFO = 0x6C
    CLR_ERR_INFO = 0x6D
    SLEEP = 0x6E
    GET_BATT_VLTG = 0x6F


class ResponseTag(IntEnum):
    """Tag byte of a notification on the data characteristic."""

    COMMAND_RESPONSE = 0
    WEIGHT_MEASURE = 1
    PEAK_RFD_MEAS = 2
    PEAK_RFD_MEAS_SERIES = 3
    LOW_POWER_WARNING = 4


# ------------------------------------------------------------------------------ commands
@dataclass(frozen=True, slots=True)
class TindeqCommand:
    opcode: TindeqOpcode
    value: bytes = b""


def encode_command(opcode: TindeqOpcode, value: bytes = b"") -> bytes:
    """``[opcode][len][value]`` for the control point."""
    if len(value) > 255:
        raise InvalidParameterError(f"command value of {len(value)} bytes exceeds 255")
    return bytes([TindeqOpcode(opcode), len(value)]) + value


def encode_tare() -> bytes:
    return encode_command(TindeqOpcode.TARE_SCALE)


def encode_start_weight() -> bytes:
    return encode_command(TindeqOpcode.START_WEIGHT_MEAS)


def encode_stop_weight() -> bytes:
    return encode_command(TindeqOpcode.STOP_WEIGHT_MEAS)


def encode_sleep() -> bytes:
    return encode_command(TindeqOpcode.SLEEP)


def encode_battery_request() -> bytes:
    return encode_command(TindeqOpcode.GET_BATT_VLTG)


def decode_command(data: bytes | bytearray | memoryview) -> TindeqCommand:
    """Parse a control-point write as the (simulated) device does.

    Accepts the TLV form ``[opcode][len][value]`` and, because some open clients write
    only the opcode byte, a bare ``[opcode]``.
    """
    if len(data) == 0:
        raise InvalidLengthError("empty control-point write")
    raw = data[0]
    try:
        opcode = TindeqOpcode(raw)
    except ValueError:
        raise UnknownOpcodeError(f"unknown Tindeq opcode 0x{raw:02x}", opcode=raw) from None
    if len(data) == 1:
        return TindeqCommand(opcode)
    declared = data[1]
    value = bytes(data[2:])
    if len(value) != declared:
        raise InvalidLengthError(
            f"{opcode.name} declares {declared} value bytes, carries {len(value)}", opcode=raw
        )
    return TindeqCommand(opcode, value)


# ----------------------------------------------------------------------------- responses
@dataclass(frozen=True, slots=True)
class TindeqResponse:
    """A data-characteristic notification that is not weight data.

    ``tag`` is a :class:`ResponseTag` when known, else the raw byte (surfaced rather than
    rejected: the device has tags bandsense does not use).
    """

    tag: int
    value: bytes

    @property
    def is_command_response(self) -> bool:
        return self.tag == ResponseTag.COMMAND_RESPONSE

    @property
    def is_low_power_warning(self) -> bool:
        return self.tag == ResponseTag.LOW_POWER_WARNING

    def battery_mv(self) -> int:
        """The battery voltage of a GET_BATT_VLTG answer (uint32 millivolts)."""
        if not self.is_command_response:
            raise InconsistentFrameError(f"tag {self.tag} is not a command response")
        if len(self.value) != 4:
            raise InconsistentFrameError(
                f"battery answer of {len(self.value)} bytes, expected 4 (uint32 mV)"
            )
        return int.from_bytes(self.value, "little")

    def text(self) -> str:
        """A textual answer (firmware version, error info), decoded leniently."""
        return self.value.decode("utf-8", errors="replace")


def _tlv(tag: int, value: bytes) -> bytes:
    if not 0 <= tag <= 255:
        raise InvalidParameterError(f"tag {tag} outside 0..255")
    if len(value) > 255:
        raise InvalidParameterError(f"TLV value of {len(value)} bytes exceeds 255")
    return bytes([tag, len(value)]) + value


def encode_response(response: TindeqResponse) -> bytes:
    return _tlv(response.tag, response.value)


def encode_battery_response(mv: int) -> bytes:
    if not 0 <= mv <= U32_MAX:
        raise InvalidParameterError(f"battery {mv} mV outside the uint32 range")
    return _tlv(ResponseTag.COMMAND_RESPONSE, mv.to_bytes(4, "little"))


def encode_low_power_warning() -> bytes:
    return _tlv(ResponseTag.LOW_POWER_WARNING, b"")


def weight_records_per_notification(mtu: int) -> int:
    """Weight records one notification holds at an ATT MTU (2 at MTU 23)."""
    if mtu < 23:
        raise ValueError(f"ATT MTU {mtu} is below the LE minimum of 23")
    return min(MAX_WEIGHT_RECORDS, (min(mtu - 3, 512) - TLV_HEADER_SIZE) // WEIGHT_RECORD_SIZE)


def encode_weight_frame(
    kg: Sequence[float] | npt.NDArray[np.floating], t_us: Sequence[int] | npt.NDArray[np.integer]
) -> bytes:
    """A tag-1 weight notification. ``t_us`` may be unwrapped: it is reduced modulo 2**32
    as the device's 32-bit microsecond clock would."""
    weights = np.asarray(kg, dtype=np.float64)
    times = np.asarray(t_us, dtype=np.int64)
    if weights.ndim != 1 or weights.shape != times.shape:
        raise InconsistentFrameError("kg and t_us must be 1-D and of equal length")
    if not 1 <= weights.size <= MAX_WEIGHT_RECORDS:
        raise InvalidParameterError(f"{weights.size} records outside 1..{MAX_WEIGHT_RECORDS}")
    if not np.all(np.isfinite(weights)):
        raise InvalidParameterError("kg contains NaN or infinity")
    if np.any(times < 0):
        raise InvalidParameterError("t_us must not be negative")
    records = np.empty(weights.size, dtype=_WEIGHT_DTYPE)
    records["kg"] = weights
    records["t_us"] = times % CLOCK_WRAP_US
    return _tlv(ResponseTag.WEIGHT_MEASURE, records.tobytes())


def decode_notification(data: bytes | bytearray | memoryview) -> DecodedSamples | TindeqResponse:
    """Decode a data-characteristic notification.

    Weight data becomes :class:`DecodedSamples` (``force_n = kg * 9.80665``, device times
    as sent, ``seq`` None); anything else a :class:`TindeqResponse`. Malformed TLV raises
    TruncatedFrameError / OversizedFrameError (length byte disagrees with the bytes) or
    InconsistentFrameError (weight data not whole records, empty, or not finite).
    """
    n = len(data)
    if n < TLV_HEADER_SIZE:
        raise TruncatedFrameError(f"notification of {n} bytes is shorter than a TLV header")
    tag, length = data[0], data[1]
    if n - TLV_HEADER_SIZE < length:
        raise TruncatedFrameError(f"TLV declares {length} value bytes, {n - 2} present")
    if n - TLV_HEADER_SIZE > length:
        raise OversizedFrameError(f"TLV declares {length} value bytes, {n - 2} present")
    if tag != ResponseTag.WEIGHT_MEASURE:
        try:
            known: int = ResponseTag(tag)
        except ValueError:
            known = tag
        return TindeqResponse(known, bytes(data[TLV_HEADER_SIZE:]))
    if length == 0 or length % WEIGHT_RECORD_SIZE:
        raise InconsistentFrameError(f"weight data of {length} bytes is not whole 8-byte records")
    records = np.frombuffer(
        data, dtype=_WEIGHT_DTYPE, count=length // WEIGHT_RECORD_SIZE, offset=TLV_HEADER_SIZE
    )
    kg = records["kg"].astype(np.float64)
    if not np.all(np.isfinite(kg)):
        raise InconsistentFrameError("weight data contains NaN or infinity")
    return DecodedSamples(
        seq=None,
        device_time_us=records["t_us"].astype(np.int64),
        force_n=kg * STANDARD_GRAVITY,
        stretch_mm=None,
        resent=False,
    )


__all__ = [
    "CONTROL_POINT_UUID",
    "DATA_UUID",
    "SERVICE_UUID",
    "STANDARD_GRAVITY",
    "ResponseTag",
    "TindeqCommand",
    "TindeqOpcode",
    "TindeqResponse",
    "decode_command",
    "decode_notification",
    "encode_battery_request",
    "encode_battery_response",
    "encode_command",
    "encode_low_power_warning",
    "encode_response",
    "encode_sleep",
    "encode_start_weight",
    "encode_stop_weight",
    "encode_tare",
    "encode_weight_frame",
    "weight_records_per_notification",
]
