"""Errors raised by the wire codecs, and the control-point result codes they map to.

Every decoding failure is a :class:`ProtocolError` (a ``ValueError``) of a specific kind;
a decoder never returns a half-parsed value. Each error carries ``result_code``: the
:class:`ResultCode` the band's control point answers with when a *command* fails this
way, so the firmware simulator can turn ``except ProtocolError as e`` straight into an
indication ``[0x80][e.opcode or 0][e.result_code]``.

``ResultCode`` lives here rather than in ``band.py`` so that errors need no import of
the codec (``band.ResultCode`` re-exports it; both names are the same object).
"""

from __future__ import annotations

from enum import IntEnum


class ResultCode(IntEnum):
    """Result byte of a control-point response indication."""

    SUCCESS = 0x01
    OPCODE_NOT_SUPPORTED = 0x02
    INVALID_LENGTH = 0x03
    OUT_OF_RANGE = 0x04
    NOT_AVAILABLE = 0x05  # RESEND: some requested frames are no longer buffered
    INVALID_STATE = 0x06
    FAILED = 0x07


class ProtocolError(ValueError):
    """Bytes that do not form a valid message (or a value that cannot be encoded).

    ``opcode`` is the request opcode byte when the failing bytes were a command whose
    first byte could be read, else ``None``.
    """

    result_code: ResultCode = ResultCode.FAILED

    def __init__(self, message: str, *, opcode: int | None = None) -> None:
        super().__init__(message)
        self.opcode = opcode


class TruncatedFrameError(ProtocolError):
    """Fewer bytes than the header or the declared content needs."""

    result_code = ResultCode.INVALID_LENGTH


class OversizedFrameError(ProtocolError):
    """More bytes than the declared content, or more than one ATT value may hold."""

    result_code = ResultCode.INVALID_LENGTH


class InconsistentFrameError(ProtocolError):
    """Length is right but the fields contradict each other or the specification."""

    result_code = ResultCode.FAILED


class UnknownOpcodeError(ProtocolError):
    """A control-point write whose opcode the band does not implement."""

    result_code = ResultCode.OPCODE_NOT_SUPPORTED


class InvalidLengthError(ProtocolError):
    """A command whose parameters have the wrong length for its opcode."""

    result_code = ResultCode.INVALID_LENGTH


class InvalidParameterError(ProtocolError):
    """A parameter (or a value to encode) outside its allowed range."""

    result_code = ResultCode.OUT_OF_RANGE


__all__ = [
    "InconsistentFrameError",
    "InvalidLengthError",
    "InvalidParameterError",
    "OversizedFrameError",
    "ProtocolError",
    "ResultCode",
    "TruncatedFrameError",
    "UnknownOpcodeError",
]
