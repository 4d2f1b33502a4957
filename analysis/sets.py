"""From movements to sets, reps (full and partial), holds and per-set statistics.

Movements arrive in time order. A set is a run of movements separated by less than
``SET_GAP_S`` of rest; a movement whose top lasts ``HOLD_MIN_S`` or more is a hold and
always forms a set of its own. When a set closes, its typical range (median range of its
larger movements) decides for each movement:

- range < ``FIDGET_FRACTION`` of typical, or under half of it *and* shorter than
  ``FIDGET_MAX_S`` -> fidgeting, dropped;
- range < half of typical -> partial rep (``partial: true``, not in ``rep_count``);
- otherwise a full rep.

A whole set is dropped as fidgeting when its typical range is under half of
``FIDGET_SET_FRACTION`` of the typical range of the sets accepted so far (under
``SMALL_SET_FRACTION`` when it has fewer than 3 movements), or when it only holds brief
tugs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.fastfilters import median
from analysis.prescription import Prescription
from analysis.types import Movement
from bandsense.model import Hold, Rep, SetSummary

SET_GAP_S = 7.0
HOLD_MIN_S = 5.0
PARTIAL_FRACTION = 0.5
FIDGET_FRACTION = 0.14
FIDGET_MAX_S = 0.9
FIDGET_SET_FRACTION = 0.3
# A "set" of one or two movements is a tug or a re-wrap of the band unless its range is
# a good share of the sets before (a real set of another exercise has several reps).
SMALL_SET_FRACTION = 0.45


def is_hold(m: Movement) -> bool:
    return m.pause_s >= HOLD_MIN_S


@dataclass
class ClosedSet:
    summary: SetSummary
    reps: list[Rep]
    hold: Hold | None


def typical_range(ranges: np.ndarray) -> float:
    big = ranges[ranges >= 0.6 * ranges.max()]
    return median(big)


def _slope(y: np.ndarray) -> float:
    """Least-squares slope of ``y`` against its index (np.polyfit's degree-1 term, in
    closed form: polyfit's SVD costs ~100 us per set)."""
    x = np.arange(len(y)) - (len(y) - 1) / 2.0
    return float(np.dot(x, y - y.mean()) / np.dot(x, x))


def _sd(x: np.ndarray) -> float | None:
    return float(np.std(x, ddof=1)) if len(x) >= 2 else None


@dataclass
class SetBuilder:
    """Groups movements into sets; numbering is session-wide and in time order."""

    prescription: Prescription | None = None
    band_id: str | None = None
    open: list[Movement] = field(default_factory=list)
    next_set: int = 0
    next_rep: int = 0
    accepted_ranges: list[float] = field(default_factory=list)
    # typical_range of the open set, recomputed only when the open set changed (it is
    # asked once per analysis window).
    _open_typ: tuple[int, Movement | None, float] | None = field(default=None, repr=False)

    def should_close(self, m: Movement) -> bool:
        if not self.open:
            return False
        last = self.open[-1]
        return m.start_s - last.end_s >= SET_GAP_S or is_hold(m) or is_hold(last)

    def idle_close_due(self, now_s: float) -> bool:
        return bool(self.open) and now_s - self.open[-1].end_s >= SET_GAP_S

    def context_range(self) -> float | None:
        """Typical range of the open set, else of the sets accepted so far."""
        if self.open:
            c = self._open_typ
            if c is None or c[0] != len(self.open) or c[1] is not self.open[-1]:
                typ = typical_range(np.array([x.range_n for x in self.open]))
                c = self._open_typ = (len(self.open), self.open[-1], typ)
            return c[2]
        return self.reference_range()

    def add(self, m: Movement) -> list[ClosedSet]:
        # Fidgeting (tugs, sway) is dropped at once so that it never bridges two sets.
        ref = self.context_range()
        if ref is not None and m.range_n < FIDGET_FRACTION * ref:
            return []
        if self.open and max(x.range_n for x in self.open) < FIDGET_FRACTION * m.range_n:
            self.open = []  # what came before was fidgeting next to this movement
        closed = self.close() if self.should_close(m) else []
        self.open.append(m)
        return closed

    def reference_range(self) -> float | None:
        return median(np.asarray(self.accepted_ranges)) if self.accepted_ranges else None

    def provisional_partial(self, m: Movement) -> bool | None:
        """Classification of ``m`` with what is known now (None: looks like fidgeting)."""
        ranges = np.array([x.range_n for x in self.open] + [m.range_n])
        ref = typical_range(ranges)
        prev = self.reference_range()
        if len(ranges) == 1 and prev is not None:
            ref = prev
        if m.range_n < FIDGET_FRACTION * ref:
            return None
        return m.range_n < PARTIAL_FRACTION * ref

    def close(self) -> list[ClosedSet]:
        """Close the open set (if any) and return it (empty when it was fidgeting)."""
        if not self.open:
            return []
        mv, self.open = self.open, []
        if len(mv) == 1 and is_hold(mv[0]):
            return [self._hold_set(mv[0])]
        ranges = np.array([m.range_n for m in mv])
        typ = typical_range(ranges)
        ref = self.reference_range()
        # Another exercise may have a much smaller range than the previous ones: a small
        # set is fidgeting only if it is tiny, or small and just one or two movements.
        if ref is not None and (typ < 0.5 * FIDGET_SET_FRACTION * ref
                                or (typ < SMALL_SET_FRACTION * ref and len(mv) < 3)):
            return []
        kept: list[tuple[Movement, bool]] = []
        for m in mv:
            ratio = m.range_n / typ if typ > 0 else 0.0
            brief = ratio < PARTIAL_FRACTION and m.duration_s < FIDGET_MAX_S
            if ratio < FIDGET_FRACTION or brief:
                continue
            kept.append((m, ratio < PARTIAL_FRACTION))
        if not kept or all(m.duration_s < FIDGET_MAX_S for m, _ in kept):
            return []
        self.accepted_ranges.append(typ)
        return [self._rep_set(kept)]

    def _hold_set(self, m: Movement) -> ClosedSet:
        idx = self.next_set
        self.next_set += 1
        self.accepted_ranges.append(m.range_n)
        summary = SetSummary(index=idx, kind="hold", start_s=m.start_s, end_s=m.end_s,
                             rep_count=0, band_id=self.band_id)
        hold = Hold(set=idx, start_s=m.start_s, end_s=m.end_s, duration_s=m.pause_s,
                    mean_force_n=m.top_mean_n, force_cv=max(m.top_cv, 0.0), band_id=self.band_id)
        return ClosedSet(summary, [], hold)

    def _rep_set(self, kept: list[tuple[Movement, bool]]) -> ClosedSet:
        idx = self.next_set
        self.next_set += 1
        pres = self.prescription
        reps: list[Rep] = []
        for m, partial in kept:
            pause = m.top_end_s - m.top_start_s
            pause_ok = None
            if pres is not None and pres.pause_s is not None:
                pause_ok = pause >= pres.pause_s
            reps.append(Rep(
                index=self.next_rep, set=idx, start_s=m.start_s, top_start_s=m.top_start_s,
                top_end_s=m.top_end_s, end_s=m.end_s,
                concentric_s=m.top_start_s - m.start_s, pause_s=pause,
                eccentric_s=m.end_s - m.top_end_s, peak_force_n=m.peak_force_n,
                mean_force_n=m.mean_force_n, impulse_ns=m.impulse_ns, partial=partial,
                range_n=m.range_n, range_mm=m.range_mm, time_under_tension_s=m.duration_s,
                pause_ok=pause_ok, band_id=self.band_id,
            ))
            self.next_rep += 1
        full = [r for r in reps if not r.partial]
        conc = np.array([r.concentric_s for r in full])
        paus = np.array([r.pause_s for r in full])
        ecc = np.array([r.eccentric_s for r in full])
        peaks = np.array([r.peak_force_n for r in full])
        trend = _slope(peaks) if len(peaks) >= 3 else None
        pauses_ok = None
        if pres is not None and pres.pause_s is not None:
            pauses_ok = sum(1 for r in full if r.pause_ok)
        summary = SetSummary(
            index=idx, kind="reps", start_s=reps[0].start_s, end_s=reps[-1].end_s,
            rep_count=len(full), partial_count=len(reps) - len(full),
            concentric_mean_s=float(conc.mean()) if len(conc) else None,
            concentric_sd_s=_sd(conc),
            pause_mean_s=float(paus.mean()) if len(paus) else None, pause_sd_s=_sd(paus),
            eccentric_mean_s=float(ecc.mean()) if len(ecc) else None, eccentric_sd_s=_sd(ecc),
            peak_force_trend_n_per_rep=trend, pauses_ok=pauses_ok, band_id=self.band_id,
        )
        return ClosedSet(summary, reps, None)
