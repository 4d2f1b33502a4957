"""The analysis pipeline over a sample stream: detector -> windows -> movements -> sets.

One engine serves both the offline analysis (all samples in one call) and the live
analyzer (batches as they come): every decision depends only on the samples and on state
carried in order, never on how the samples were batched, so the two results are equal.
Memory is bounded: the engine keeps the raw samples of the current window only (a few
seconds of rest before the onset, the activity itself, capped by the detector's
checkpoint cuts) plus the movements of the open set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.detect import Detector
from analysis.prescription import Prescription
from analysis.sets import FIDGET_FRACTION, SET_GAP_S, ClosedSet, SetBuilder
from analysis.types import Movement
from analysis.window import analyze_window

PRE_S = 3.0  # raw data kept before an onset (the fit needs rest before the movement)


@dataclass
class Engine:
    prescription: Prescription | None = None
    band_id: str | None = None
    detector: Detector = field(default_factory=Detector)
    sets: SetBuilder = field(init=False)
    _t: np.ndarray = field(default_factory=lambda: np.empty(0))
    _f: np.ndarray = field(default_factory=lambda: np.empty(0))
    _s: np.ndarray | None = None
    _has_s: bool | None = None
    _buf0: int = 0  # global index of _t[0]
    _carry: float | None = None  # an unfinished movement starts here
    _last_end: float = -np.inf
    closed: list[ClosedSet] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sets = SetBuilder(prescription=self.prescription, band_id=self.band_id)

    def feed(self, t: np.ndarray, f: np.ndarray, s: np.ndarray | None
             ) -> tuple[list[Movement], list[ClosedSet]]:
        """Consume samples; return new movements and newly closed sets (in order)."""
        if self._has_s is None:
            self._has_s = s is not None
        if (s is None) == self._has_s:
            self._has_s = False  # stretch missing in some batch: analyse force only
        self._append(t, f, s)
        new_mv: list[Movement] = []
        closed: list[ClosedSet] = []
        cuts = self.detector.feed(t, f)
        for n, cut in enumerate(cuts):
            start = max(self._buf0, cut.trigger - self._pre_n())
            if self._carry is not None:
                start = min(start, self._index_of(self._carry))
            mv, cl = self._run_window(start, cut.cut + 1, cut.rest_n)
            new_mv += mv
            closed += cl
            closed += self._idle_close(cuts[n + 1].trigger if n + 1 < len(cuts) else None)
        closed += self._idle_close(None)
        self._trim()
        return new_mv, closed

    def _idle_close(self, next_trigger: int | None) -> list[ClosedSet]:
        """Close the open set once the rest after it has lasted ``SET_GAP_S``.

        The closing point is a property of the data (the first sample that late, if no
        activity started before it), not of when a batch happened to end, so live and
        offline close sets at the same point of the stream.
        """
        if not self.sets.open or not len(self._t):
            return []
        due = self.sets.open[-1].end_s + SET_GAP_S
        j = int(np.searchsorted(self._t, due))
        if j >= len(self._t):
            return []
        if next_trigger is None and self.detector.active:
            next_trigger = self.detector._trigger
        if self._carry is not None:
            # An unfinished movement (left for the next window) is activity already.
            carry = self._index_of(self._carry)
            next_trigger = carry if next_trigger is None else min(next_trigger, carry)
        if next_trigger is not None and self._buf0 + j >= next_trigger:
            return []
        return self._take(self.sets.close())

    def finish(self) -> tuple[list[Movement], list[ClosedSet]]:
        """Analyse what is left at the end of the stream and close the last set."""
        new_mv: list[Movement] = []
        closed: list[ClosedSet] = []
        det = self.detector
        if det.ready and (det.active or self._carry is not None) and len(self._t):
            start = max(self._buf0, det._trigger - self._pre_n()) if det.active else len(self._t)
            if self._carry is not None:
                start = min(start, self._index_of(self._carry))
            self._carry = None
            mv, closed = self._run_window(start, self._buf0 + len(self._t), det._rest, final=True)
            new_mv += mv
        closed += self._take(self.sets.close())
        return new_mv, closed

    # -- internals -------------------------------------------------------------------
    def _pre_n(self) -> int:
        return round(PRE_S / self.detector.dt) if self.detector.ready else 0

    def _index_of(self, time_s: float) -> int:
        return self._buf0 + int(np.searchsorted(self._t, time_s))

    def _append(self, t: np.ndarray, f: np.ndarray, s: np.ndarray | None) -> None:
        self._t = np.concatenate([self._t, t])
        self._f = np.concatenate([self._f, f])
        if self._has_s and s is not None:
            self._s = s.copy() if self._s is None else np.concatenate([self._s, s])
        else:
            self._s = None

    def _take(self, cl: list[ClosedSet]) -> list[ClosedSet]:
        self.closed += cl
        return cl

    def _run_window(self, g_start: int, g_end: int, rest: float, final: bool = False
                    ) -> tuple[list[Movement], list[ClosedSet]]:
        a, b = g_start - self._buf0, g_end - self._buf0
        s = self._s[a:b] if self._s is not None else None
        ref = self.sets.context_range()
        # Movements far smaller than the ones around are fidgeting: not worth fitting.
        min_range = 0.5 * FIDGET_FRACTION * ref if ref is not None else 0.0
        res = analyze_window(self._t[a:b], self._f[a:b], s, rest, self._last_end, min_range)
        self._carry = None if final else res.carry_from_s
        closed: list[ClosedSet] = []
        for m in res.movements:
            self._last_end = max(self._last_end, m.end_s)
            closed += self._take(self.sets.add(m))
        return res.movements, closed

    def _trim(self) -> None:
        det = self.detector
        if not det.ready:
            return
        keep_from = self._buf0 + len(self._t) - self._pre_n()
        if det.active:
            keep_from = min(keep_from, det._trigger - self._pre_n())
        if self._carry is not None:
            keep_from = min(keep_from, self._index_of(self._carry))
        drop = keep_from - self._buf0
        if drop > 0:
            self._t, self._f = self._t[drop:], self._f[drop:]
            if self._s is not None:
                self._s = self._s[drop:]
            self._buf0 += drop
