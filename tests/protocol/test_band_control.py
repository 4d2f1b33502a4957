"""Control point commands and responses, STATUS, Battery Level: round trips and errors."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandsense.protocol import errors
from bandsense.protocol.band import (
    RATE_MAX_HZ,
    RATE_MIN_HZ,
    BandStatus,
    Command,
    Opcode,
    ResendResult,
    Response,
    ResultCode,
    decode_battery_level,
    decode_command,
    decode_response,
    decode_status,
    encode_battery_level,
    encode_command,
    encode_response,
    encode_status,
)
from bandsense.protocol.errors import (
    InconsistentFrameError,
    InvalidLengthError,
    InvalidParameterError,
    OversizedFrameError,
    ProtocolError,
    TruncatedFrameError,
    UnknownOpcodeError,
)

U32 = st.integers(0, 2**32 - 1)
KNOWN_OPCODES = {int(op) for op in Opcode}

commands = st.one_of(
    st.sampled_from(
        [Command.start_stream(), Command.stop_stream(), Command.tare(), Command.read_status()]
    ),
    st.integers(RATE_MIN_HZ, RATE_MAX_HZ).map(Command.set_rate),
    st.builds(Command.resend, U32, st.integers(0, 2**16 - 1)),
)

statuses = st.builds(
    BandStatus,
    sample_rate_hz=st.integers(0, 2**16 - 1),
    fw_major=st.integers(0, 255),
    fw_minor=st.integers(0, 255),
    fw_patch=st.integers(0, 255),
    streaming=st.booleans(),
    battery_pct=st.integers(0, 100),
    buffered_frames=U32,
    next_seq=U32,
    frames_sent=U32,
    command_errors=st.integers(0, 2**16 - 1),
    frames_resent=U32,
)


@st.composite
def responses(draw: st.DrawFn) -> Response:
    opcode = draw(st.integers(0, 255))
    result = draw(st.sampled_from(list(ResultCode)))
    if opcode in KNOWN_OPCODES:
        opcode = Opcode(opcode)
    if opcode == Opcode.RESEND and result in (ResultCode.SUCCESS, ResultCode.NOT_AVAILABLE):
        return Response(opcode, result, resend=ResendResult(draw(U32), draw(U32), draw(U32)))
    if opcode == Opcode.READ_STATUS and result == ResultCode.SUCCESS:
        return Response(opcode, result, status=draw(statuses))
    return Response(opcode, result)


# ------------------------------------------------------------------------------ commands
@given(commands)
def test_command_round_trip(command: Command) -> None:
    assert decode_command(encode_command(command)) == command


def test_command_bytes_are_as_specified() -> None:
    assert encode_command(Command.start_stream()) == b"\x01"
    assert encode_command(Command.stop_stream()) == b"\x02"
    assert encode_command(Command.tare()) == b"\x03"
    assert encode_command(Command.set_rate(200)) == b"\x04\xc8\x00"
    assert encode_command(Command.resend(1000, 0)) == b"\x05\xe8\x03\x00\x00\x00\x00"
    assert encode_command(Command.resend(2**32 - 1, 7)) == b"\x05\xff\xff\xff\xff\x07\x00"
    assert encode_command(Command.read_status()) == b"\x06"


@given(st.integers(0, 255).filter(lambda b: b not in KNOWN_OPCODES), st.binary(max_size=8))
def test_unknown_opcode(opcode: int, params: bytes) -> None:
    with pytest.raises(UnknownOpcodeError) as caught:
        decode_command(bytes([opcode]) + params)
    assert caught.value.opcode == opcode
    assert caught.value.result_code is ResultCode.OPCODE_NOT_SUPPORTED
    answer = Response.for_error(caught.value)
    assert encode_response(answer) == bytes([0x80, opcode, ResultCode.OPCODE_NOT_SUPPORTED])


PARAM_BYTES = {
    Opcode.START_STREAM: 0,
    Opcode.STOP_STREAM: 0,
    Opcode.TARE: 0,
    Opcode.SET_RATE: 2,
    Opcode.RESEND: 6,
    Opcode.READ_STATUS: 0,
}


@given(st.sampled_from(list(Opcode)), st.data())
def test_wrong_parameter_length(opcode: Opcode, data: st.DataObject) -> None:
    length = data.draw(st.integers(0, 12).filter(lambda n: n != PARAM_BYTES[opcode]))
    with pytest.raises(InvalidLengthError) as caught:
        decode_command(bytes([opcode]) + bytes(length))
    assert caught.value.opcode == opcode
    assert caught.value.result_code is ResultCode.INVALID_LENGTH


def test_empty_write_is_invalid_length_answered_with_opcode_zero() -> None:
    with pytest.raises(InvalidLengthError) as caught:
        decode_command(b"")
    assert caught.value.opcode is None
    assert encode_response(Response.for_error(caught.value)) == b"\x80\x00\x03"


@given(st.integers(0, 2**16 - 1).filter(lambda hz: not RATE_MIN_HZ <= hz <= RATE_MAX_HZ))
def test_rate_out_of_range(rate: int) -> None:
    # The sending side may encode it (to test the band); the band refuses it.
    data = encode_command(Command.set_rate(rate))
    with pytest.raises(InvalidParameterError) as caught:
        decode_command(data)
    assert caught.value.opcode == Opcode.SET_RATE
    assert caught.value.result_code is ResultCode.OUT_OF_RANGE


@pytest.mark.parametrize(
    "command",
    [
        Command(Opcode.START_STREAM, rate_hz=5),
        Command(Opcode.SET_RATE),
        Command(Opcode.SET_RATE, rate_hz=100, count=1),
        Command(Opcode.SET_RATE, rate_hz=2**16),
        Command(Opcode.RESEND, from_seq=1),
        Command(Opcode.RESEND, from_seq=2**32, count=0),
        Command(Opcode.RESEND, from_seq=0, count=2**16),
        Command(Opcode.RESEND, from_seq=0, count=0, rate_hz=50),
    ],
)
def test_encode_command_rejects_bad_parameters(command: Command) -> None:
    with pytest.raises(InvalidParameterError):
        encode_command(command)


def test_encode_command_rejects_unknown_opcode() -> None:
    with pytest.raises(UnknownOpcodeError):
        encode_command(Command(0x42))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- responses
@given(responses())
def test_response_round_trip(response: Response) -> None:
    assert decode_response(encode_response(response)) == response


def test_resend_response_bytes() -> None:
    answer = Response(Opcode.RESEND, ResultCode.NOT_AVAILABLE, resend=ResendResult(120, 120, 130))
    expected = b"\x80\x05\x05" + struct.pack("<III", 120, 120, 130)
    assert encode_response(answer) == expected
    assert answer.resend is not None and answer.resend.resent_count == 11
    assert ResendResult(50, 50, 49).resent_count == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", TruncatedFrameError),
        (b"\x80\x01", TruncatedFrameError),
        (b"\x81\x01\x01", InconsistentFrameError),
        (b"\x80\x01\x00", InconsistentFrameError),
        (b"\x80\x01\x08", InconsistentFrameError),
        (b"\x80\x01\x01\x00", OversizedFrameError),
        (b"\x80\x06\x02\x00", OversizedFrameError),
        (b"\x80\x05\x01" + bytes(11), TruncatedFrameError),
        (b"\x80\x05\x05" + bytes(13), OversizedFrameError),
        (b"\x80\x05\x01", TruncatedFrameError),
        (b"\x80\x06\x01" + bytes(24), TruncatedFrameError),
        (b"\x80\x06\x01" + bytes(26), OversizedFrameError),
    ],
)
def test_malformed_responses(data: bytes, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        decode_response(data)


@pytest.mark.parametrize(
    "response",
    [
        Response(Opcode.RESEND, ResultCode.SUCCESS),
        Response(Opcode.READ_STATUS, ResultCode.SUCCESS),
        Response(Opcode.TARE, ResultCode.SUCCESS, resend=ResendResult(0, 0, 0)),
        Response(Opcode.RESEND, ResultCode.OUT_OF_RANGE, resend=ResendResult(0, 0, 0)),
    ],
)
def test_encode_response_requires_the_right_payload(response: Response) -> None:
    with pytest.raises(InconsistentFrameError):
        encode_response(response)


# -------------------------------------------------------------------------------- status
@given(statuses)
def test_status_round_trip(status: BandStatus) -> None:
    data = encode_status(status)
    assert len(data) == 25
    assert decode_status(data) == status


def test_status_bytes_are_as_specified() -> None:
    status = BandStatus(200, 1, 2, 3, True, 87, 6000, 6001, 6001, 2, 40)
    expected = struct.pack("<HBBBBBIIIHI", 200, 1, 2, 3, 1, 87, 6000, 6001, 6001, 2, 40)
    assert encode_status(status) == expected
    assert status.firmware_version == "1.2.3"


def _status_bytes(streaming: int = 0, battery: int = 50) -> bytes:
    return struct.pack("<HBBBBBIIIHI", 100, 0, 1, 0, streaming, battery, 0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (_status_bytes()[:24], TruncatedFrameError),
        (b"", TruncatedFrameError),
        (_status_bytes() + b"\x00", OversizedFrameError),
        (_status_bytes(streaming=2), InconsistentFrameError),
        (_status_bytes(battery=101), InconsistentFrameError),
    ],
)
def test_malformed_status(data: bytes, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        decode_status(data)


@pytest.mark.parametrize(
    "field", ["sample_rate_hz", "fw_major", "battery_pct", "next_seq", "command_errors"]
)
def test_encode_status_rejects_out_of_range(field: str) -> None:
    status = BandStatus(200, 1, 0, 0, False, 50, 0, 0, 0, 0, 0)
    setattr(status, field, 2**32)
    with pytest.raises(InvalidParameterError):
        encode_status(status)


# ------------------------------------------------------------------------- battery level
@given(st.integers(0, 100))
def test_battery_level_round_trip(percent: int) -> None:
    assert decode_battery_level(encode_battery_level(percent)) == percent


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", TruncatedFrameError),
        (b"\x01\x02", OversizedFrameError),
        (b"\x65", InconsistentFrameError),
    ],
)
def test_malformed_battery_level(data: bytes, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        decode_battery_level(data)


# ---------------------------------------------------------------------------- error types
def test_every_error_is_a_protocol_error_and_value_error_with_its_result_code() -> None:
    expected = {
        errors.TruncatedFrameError: ResultCode.INVALID_LENGTH,
        errors.OversizedFrameError: ResultCode.INVALID_LENGTH,
        errors.InconsistentFrameError: ResultCode.FAILED,
        errors.UnknownOpcodeError: ResultCode.OPCODE_NOT_SUPPORTED,
        errors.InvalidLengthError: ResultCode.INVALID_LENGTH,
        errors.InvalidParameterError: ResultCode.OUT_OF_RANGE,
    }
    for cls, code in expected.items():
        assert issubclass(cls, ProtocolError) and issubclass(cls, ValueError)
        assert cls("x").result_code is code
