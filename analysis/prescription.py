"""Parsing of a prescription such as ``"10 reps, pause 1.0s, left first"``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bandsense.errors import UserError

if TYPE_CHECKING:
    from bandsense.config import PrescriptionSettings

Side = Literal["left", "right"]

_REPS = re.compile(r"(\d+)\s*(?:x\s*)?reps?\b")
_PAUSE = re.compile(r"pause\s*(?:of\s*)?(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?)?\b")
_FIRST = re.compile(r"\b(left|right)\s+(?:side\s+|leg\s+|arm\s+)?first\b")
_ONLY = re.compile(r"\b(left|right)\s+(?:side\s+|leg\s+|arm\s+)?only\b")
_OTHER: dict[Side, Side] = {"left": "right", "right": "left"}


@dataclass(frozen=True, slots=True)
class Prescription:
    reps: int | None = None
    pause_s: float | None = None
    # A rep meets the pause when its pause >= pause_s - pause_tolerance_s.
    pause_tolerance_s: float = 0.0
    # The side of each set in session order, repeated when the session has more sets
    # ("left first": left, right, left, ...). The band measures one scalar force, so
    # which leg or arm moved is known only from the plan; empty: sides unknown.
    sides: tuple[Side, ...] = ()

    @classmethod
    def from_settings(cls, p: PrescriptionSettings) -> Prescription:
        """The ``[analysis.prescription]`` settings as checked by the analysis."""
        return cls(reps=p.reps, pause_s=p.pause_s, pause_tolerance_s=p.pause_tolerance_s,
                   sides=tuple(p.sides or ()))

    def pause_met(self, pause_s: float) -> bool | None:
        """Whether a rep's pause meets the prescription (None: no pause prescribed)."""
        if self.pause_s is None:
            return None
        return pause_s >= self.pause_s - self.pause_tolerance_s

    def side_of_set(self, index: int) -> Side | None:
        """Side of the set numbered ``index`` (0-based, session-wide) by the plan."""
        return self.sides[index % len(self.sides)] if self.sides else None


def parse_prescription(text: str) -> Prescription:
    """Parse ``"10 reps, pause 1.0s, left first"`` (every part optional, any order).

    Sides: ``left first`` / ``right first`` alternate from that side set by set (the
    seed exercises' "3 x 10 a leg"); ``left only`` / ``right only`` put every set on
    that side.
    """
    low = text.strip().lower()
    reps_m = _REPS.search(low)
    pause_m = _PAUSE.search(low)
    first_m, only_m = _FIRST.search(low), _ONLY.search(low)
    if first_m and only_m:
        raise UserError(f"prescription {text!r} says both '... first' and '... only'")
    sides: tuple[Side, ...] = ()
    if first_m:
        first: Side = "left" if first_m.group(1) == "left" else "right"
        sides = (first, _OTHER[first])
    elif only_m:
        sides = ("left",) if only_m.group(1) == "left" else ("right",)
    if not reps_m and not pause_m and not sides:
        raise UserError(
            f"cannot read prescription {text!r}: expected e.g. "
            "\"10 reps, pause 1.0s, left first\""
        )
    return Prescription(
        reps=int(reps_m.group(1)) if reps_m else None,
        pause_s=float(pause_m.group(1)) if pause_m else None,
        sides=sides,
    )
