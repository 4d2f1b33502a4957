"""Parsing of a prescription such as ``"10 reps, pause 1.0s"``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bandsense.errors import UserError

if TYPE_CHECKING:
    from bandsense.config import PrescriptionSettings

_REPS = re.compile(r"(\d+)\s*(?:x\s*)?reps?\b")
_PAUSE = re.compile(r"pause\s*(?:of\s*)?(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?)?\b")


@dataclass(frozen=True, slots=True)
class Prescription:
    reps: int | None = None
    pause_s: float | None = None
    # A rep meets the pause when its pause >= pause_s - pause_tolerance_s.
    pause_tolerance_s: float = 0.0

    @classmethod
    def from_settings(cls, p: PrescriptionSettings) -> Prescription:
        """The ``[analysis.prescription]`` settings as checked by the analysis."""
        return cls(reps=p.reps, pause_s=p.pause_s, pause_tolerance_s=p.pause_tolerance_s)

    def pause_met(self, pause_s: float) -> bool | None:
        """Whether a rep's pause meets the prescription (None: no pause prescribed)."""
        if self.pause_s is None:
            return None
        return pause_s >= self.pause_s - self.pause_tolerance_s


def parse_prescription(text: str) -> Prescription:
    """Parse ``"10 reps, pause 1.0s"`` (either part optional, any order)."""
    low = text.strip().lower()
    reps_m = _REPS.search(low)
    pause_m = _PAUSE.search(low)
    if not reps_m and not pause_m:
        raise UserError(
            f"cannot read prescription {text!r}: expected e.g. \"10 reps, pause 1.0s\""
        )
    return Prescription(
        reps=int(reps_m.group(1)) if reps_m else None,
        pause_s=float(pause_m.group(1)) if pause_m else None,
    )
