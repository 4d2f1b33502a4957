"""Wire codecs for the devices bandsense reads: the band (``band``) and the Tindeq
Progressor (``tindeq``), decoded to one common :class:`DecodedSamples` shape.

Import the device modules directly (``from bandsense.protocol import band``); this
package only holds what both share, so it imports neither (they import it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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


@dataclass(frozen=True)
class DecodedSamples:
    """Samples decoded from one notification, whatever device sent it.

    ``seq`` is the band's frame sequence number (``None`` for devices without one).
    ``device_time_us`` is the device clock per sample (int64, as sent: a band clock that
    wraps at 2**32 is NOT unwrapped here; the collector owns unwrapping).
    ``force_n`` is float64 newtons; ``stretch_mm`` float64 millimetres or ``None`` when
    the device does not measure stretch. ``resent`` marks frames re-sent on request;
    ``saturated`` that the device clipped at least one value to its integer range.
    """

    seq: int | None
    device_time_us: npt.NDArray[np.int64]
    force_n: npt.NDArray[np.float64]
    stretch_mm: npt.NDArray[np.float64] | None
    resent: bool
    saturated: bool = False

    @property
    def count(self) -> int:
        return int(self.force_n.shape[0])

    def __eq__(self, other: object) -> bool:
        # The generated __eq__ would compare arrays element-wise and fail on truthiness.
        if not isinstance(other, DecodedSamples):
            return NotImplemented
        if (other.stretch_mm is None) != (self.stretch_mm is None):
            return False
        return (
            self.seq == other.seq
            and self.resent == other.resent
            and self.saturated == other.saturated
            and np.array_equal(self.device_time_us, other.device_time_us)
            and np.array_equal(self.force_n, other.force_n)
            and (
                self.stretch_mm is None
                or other.stretch_mm is None
                or np.array_equal(self.stretch_mm, other.stretch_mm)
            )
        )

    __hash__ = None  # type: ignore[assignment]  # holds mutable arrays


__all__ = [
    "DecodedSamples",
    "InconsistentFrameError",
    "InvalidLengthError",
    "InvalidParameterError",
    "OversizedFrameError",
    "ProtocolError",
    "ResultCode",
    "TruncatedFrameError",
    "UnknownOpcodeError",
]
