"""Tindeq Progressor codec: the hand-built weight frame, round trips, responses, errors."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandsense.protocol import DecodedSamples, tindeq
from bandsense.protocol.errors import (
    InconsistentFrameError,
    InvalidLengthError,
    InvalidParameterError,
    OversizedFrameError,
    ProtocolError,
    TruncatedFrameError,
    UnknownOpcodeError,
)
from bandsense.protocol.tindeq import (
    ResponseTag,
    TindeqOpcode,
    TindeqResponse,
    decode_command,
    decode_notification,
    encode_battery_response,
    encode_weight_frame,
)


def _samples(data: bytes) -> DecodedSamples:
    decoded = decode_notification(data)
    assert isinstance(decoded, DecodedSamples)
    return decoded


def test_hand_built_weight_frame_decodes_to_kilograms_and_microseconds() -> None:
    # Tag 1, length 16, then two (float32 kg, uint32 us) records, little-endian:
    # 12.5 kg = 0x41480000 at 1000 us = 0x3e8; 13.0 kg = 0x41500000 at 13500 us = 0x34bc.
    data = b"\x01\x10\x00\x00\x48\x41\xe8\x03\x00\x00\x00\x00\x50\x41\xbc\x34\x00\x00"
    assert data == b"\x01\x10" + struct.pack("<fIfI", 12.5, 1000, 13.0, 13500)
    samples = _samples(data)
    assert samples.device_time_us.tolist() == [1000, 13500]
    assert samples.device_time_us.dtype == np.int64
    assert (samples.force_n / tindeq.STANDARD_GRAVITY).tolist() == [12.5, 13.0]
    np.testing.assert_allclose(samples.force_n, [122.583125, 127.48645], rtol=0, atol=1e-9)
    assert samples.seq is None and samples.stretch_mm is None and not samples.resent
    assert encode_weight_frame([12.5, 13.0], [1000, 13500]) == data


@given(
    st.lists(
        st.tuples(st.floats(-1000, 1000, width=32, allow_nan=False), st.integers(0, 2**32 - 1)),
        min_size=1,
        max_size=31,
    )
)
def test_weight_frame_round_trip(records: list[tuple[float, int]]) -> None:
    kg = [r[0] for r in records]
    t_us = [r[1] for r in records]
    data = encode_weight_frame(kg, t_us)
    assert len(data) == 2 + 8 * len(records)
    samples = _samples(data)
    assert samples.device_time_us.tolist() == t_us
    np.testing.assert_array_equal(samples.force_n, np.array(kg) * 9.80665)


def test_weight_frame_reduces_unwrapped_times_like_the_device_clock() -> None:
    samples = _samples(encode_weight_frame([1.0], [2**32 + 5]))
    assert samples.device_time_us.tolist() == [5]


def test_records_per_notification_fit_the_mtu() -> None:
    assert tindeq.weight_records_per_notification(23) == 2
    for mtu in (23, 64, 185, 247, 517):
        n = tindeq.weight_records_per_notification(mtu)
        assert len(encode_weight_frame([0.0] * n, list(range(n)))) <= mtu - 3
    with pytest.raises(ValueError, match="below"):
        tindeq.weight_records_per_notification(20)


# ----------------------------------------------------------------------------- responses
@given(st.integers(0, 2**32 - 1))
def test_battery_response_round_trip(mv: int) -> None:
    response = decode_notification(encode_battery_response(mv))
    assert isinstance(response, TindeqResponse)
    assert response.is_command_response
    assert response.battery_mv() == mv


def test_battery_response_bytes() -> None:
    response = decode_notification(b"\x00\x04\x3c\x0f\x00\x00")  # 0x0f3c = 3900 mV
    assert isinstance(response, TindeqResponse)
    assert response.battery_mv() == 3900


def test_low_power_and_unknown_tags_are_surfaced_typed() -> None:
    low = decode_notification(tindeq.encode_low_power_warning())
    assert isinstance(low, TindeqResponse)
    assert low.tag is ResponseTag.LOW_POWER_WARNING and low.is_low_power_warning
    other = decode_notification(b"\x09\x02ab")
    assert other == TindeqResponse(9, b"ab")
    version = decode_notification(b"\x00\x051.2.3")
    assert isinstance(version, TindeqResponse) and version.text() == "1.2.3"


@given(st.integers(0, 255).filter(lambda t: t != 1), st.binary(max_size=255))
def test_response_round_trip(tag: int, value: bytes) -> None:
    data = tindeq.encode_response(TindeqResponse(tag, value))
    assert decode_notification(data) == TindeqResponse(tag, value)


@pytest.mark.parametrize(
    "response", [TindeqResponse(0, b"\x01\x02"), TindeqResponse(4, b"\x00\x00\x00\x00")]
)
def test_battery_mv_on_a_non_battery_answer_raises(response: TindeqResponse) -> None:
    with pytest.raises(InconsistentFrameError):
        response.battery_mv()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", TruncatedFrameError),
        (b"\x01", TruncatedFrameError),
        (b"\x01\x10" + bytes(15), TruncatedFrameError),
        (b"\x00\x04\x3c\x0f", TruncatedFrameError),
        (b"\x01\x08" + bytes(9), OversizedFrameError),
        (b"\x00\x00\x00", OversizedFrameError),
        (b"\x01\x00", InconsistentFrameError),
        (b"\x01\x07" + bytes(7), InconsistentFrameError),
        (b"\x01\x0c" + bytes(12), InconsistentFrameError),
        (b"\x01\x08" + struct.pack("<fI", float("nan"), 0), InconsistentFrameError),
        (b"\x01\x08" + struct.pack("<fI", float("inf"), 0), InconsistentFrameError),
    ],
)
def test_malformed_notifications(data: bytes, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        decode_notification(data)


@given(st.integers(1, 31), st.data())
def test_truncated_weight_frames_raise(count: int, data: st.DataObject) -> None:
    frame = encode_weight_frame([1.0] * count, list(range(count)))
    cut = data.draw(st.integers(0, len(frame) - 1))
    with pytest.raises(TruncatedFrameError):
        decode_notification(frame[:cut])


@pytest.mark.parametrize(
    ("kg", "t_us", "error"),
    [
        ([], [], InvalidParameterError),
        ([1.0] * 32, list(range(32)), InvalidParameterError),
        ([1.0], [1, 2], InconsistentFrameError),
        ([float("nan")], [0], InvalidParameterError),
        ([1.0], [-1], InvalidParameterError),
    ],
)
def test_encode_weight_frame_rejects(
    kg: list[float], t_us: list[int], error: type[ProtocolError]
) -> None:
    with pytest.raises(error):
        encode_weight_frame(kg, t_us)


# ------------------------------------------------------------------------------ commands
def test_command_bytes() -> None:
    assert tindeq.encode_tare() == b"\x64\x00"
    assert tindeq.encode_start_weight() == b"\x65\x00"
    assert tindeq.encode_stop_weight() == b"\x66\x00"
    assert tindeq.encode_sleep() == b"\x6e\x00"
    assert tindeq.encode_battery_request() == b"\x6f\x00"


@given(st.sampled_from(list(TindeqOpcode)), st.binary(max_size=20))
def test_command_round_trip(opcode: TindeqOpcode, value: bytes) -> None:
    command = decode_command(tindeq.encode_command(opcode, value))
    assert command == tindeq.TindeqCommand(opcode, value)


def test_bare_opcode_write_is_accepted() -> None:
    # Some open clients write only the opcode byte.
    assert decode_command(b"\x65").opcode is TindeqOpcode.START_WEIGHT_MEAS


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", InvalidLengthError),
        (b"\x10\x00", UnknownOpcodeError),
        (b"\x64\x01", InvalidLengthError),
        (b"\x69\x04\x00\x00", InvalidLengthError),
        (b"\x64\x00\x00", InvalidLengthError),
    ],
)
def test_malformed_commands(data: bytes, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        decode_command(data)
