"""Internal result types of the analysis (the public records are in bandsense.model)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Movement:
    """One excursion of the band from rest to the top and back, with its phase instants.

    A movement becomes a rep, a partial rep, a hold or is rejected as fidgeting once its
    set is known (see :mod:`analysis.sets`).
    """

    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float
    peak_s: float  # time of the force peak (used to order and de-duplicate)
    peak_force_n: float
    mean_force_n: float
    impulse_ns: float
    range_n: float
    range_mm: float | None
    rest_n: float  # rest level before the movement
    top_mean_n: float  # mean force over [top_start_s, top_end_s]
    top_cv: float  # coefficient of variation of the force over the top
    rest_after_n: float | None = None  # rest level after the movement (None: not known)
    # rest_n was measured on a quiet stretch at rest (not a valley between movements)
    rest_quiet: bool = False
    # Where the band has stretch that does not move with the force (so range_mm is None):
    # how far the raw stretch spread over the movement, noise included (None: no stretch).
    stretch_span_mm: float | None = None

    @property
    def concentric_s(self) -> float:
        return self.top_start_s - self.start_s

    @property
    def pause_s(self) -> float:
        return self.top_end_s - self.top_start_s

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s
