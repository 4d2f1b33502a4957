"""Ground truth of a simulated session: the physical instants of every rep, hold and set.

All times are seconds on the simulation's true time axis (``Synthesis.time_s``); in an
offline recording they are on the CSV's own time axis (shifted by the scenario's
``clock.csv_time_offset_s``, recorded as ``metadata.time_offset_s``). Rep instants are
those of the displacement profile: ``start_s`` movement starts, ``top_start_s`` the
profile reaches its top plateau, ``top_end_s`` it leaves it, ``end_s`` it is back at
rest (not threshold crossings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TruthSet(_Record):
    index: int = Field(ge=0)
    kind: Literal["reps", "hold"]
    side: Literal["left", "right"] | None
    start_s: float
    end_s: float
    rep_count: int = Field(ge=0)  # full reps; partial reps are not counted
    partial_count: int = Field(0, ge=0)
    exercise: str = ""
    to_failure: bool = False
    pre_tension_n: float = 0.0


class TruthRep(_Record):
    index: int = Field(ge=0)  # session-wide, in time order (partial reps included)
    set: int = Field(ge=0)
    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float
    concentric_s: float
    pause_s: float
    eccentric_s: float
    partial: bool = False
    peak_force_n: float
    range_mm: float = 0.0  # displacement at the top
    floor_start_mm: float = 0.0  # displacement it starts from (> 0: not fully released)
    floor_end_mm: float = 0.0  # displacement it returns to
    side: Literal["left", "right"] | None = None
    concentric_profile: str = ""
    eccentric_profile: str = ""


class TruthHold(_Record):
    set: int = Field(ge=0)
    start_s: float  # start of the movement to the top
    end_s: float  # back at rest
    duration_s: float  # time held at the top (top_end_s - top_start_s)
    top_start_s: float
    top_end_s: float
    mean_force_n: float = 0.0
    side: Literal["left", "right"] | None = None


class TruthGap(_Record):
    """Samples removed from the offline recording: first and last missing sample times."""

    start_s: float
    end_s: float
    samples: int = Field(0, ge=0)


class TruthFidget(_Record):
    """Something that happens during rest and is NOT a rep (a tug or a re-adjustment)."""

    kind: Literal["tug", "readjust"]
    start_s: float
    end_s: float


class Truth(_Record):
    sets: list[TruthSet] = Field(default_factory=list)
    reps: list[TruthRep] = Field(default_factory=list)
    holds: list[TruthHold] = Field(default_factory=list)
    gaps: list[TruthGap] = Field(default_factory=list)
    fidgets: list[TruthFidget] = Field(default_factory=list)
    link_drops: list[tuple[float, float]] = Field(default_factory=list)  # (at_s, duration_s)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def shifted(self, offset_s: float) -> Truth:
        """The same truth on a time axis that starts at ``offset_s`` (a CSV's own axis)."""
        if offset_s == 0:
            return self.model_copy(deep=True)

        def move(items: list[Any], fields: tuple[str, ...]) -> list[Any]:
            return [
                item.model_copy(update={f: getattr(item, f) + offset_s for f in fields})
                for item in items
            ]

        return Truth(
            sets=move(self.sets, ("start_s", "end_s")),
            reps=move(self.reps, ("start_s", "top_start_s", "top_end_s", "end_s")),
            holds=move(self.holds, ("start_s", "end_s", "top_start_s", "top_end_s")),
            gaps=move(self.gaps, ("start_s", "end_s")),
            fidgets=move(self.fidgets, ("start_s", "end_s")),
            link_drops=[(at + offset_s, dur) for at, dur in self.link_drops],
            metadata={**self.metadata,
                      "time_offset_s": self.metadata.get("time_offset_s", 0.0) + offset_s},
        )

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=1) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Truth:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
