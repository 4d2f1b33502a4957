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
from analysis.sets import DATA_GAP_S, FIDGET_FRACTION, ClosedSet, SetBuilder
from analysis.types import Movement
from analysis.window import analyze_window

PRE_S = 3.0  # raw data kept before an onset (the fit needs rest before the movement)


@dataclass
class Engine:
    prescription: Prescription | None = None
    band_id: str | None = None
    detector: Detector = field(default_factory=Detector)
    sets: SetBuilder = field(init=False)
    _bt: np.ndarray = field(default_factory=lambda: np.empty(0))
    _bf: np.ndarray = field(default_factory=lambda: np.empty(0))
    _bs: np.ndarray | None = None
    _pending: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = field(
        default_factory=list)
    _n_pending: int = 0
    _has_s: bool | None = None
    _buf0: int = 0  # global index of _t[0]
    _carry: float | None = None  # an unfinished movement starts here
    _last_end: float = -np.inf
    _prev_t: float | None = None  # time of the last sample of the previous batch
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
        self._note_gaps(t)
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
        # Gaps before the open set's last movement (or the last one reported) no longer
        # matter to any decision.
        self.sets.gaps.forget_before(
            self.sets.open[-1].end_s if self.sets.open else self._last_end)
        return new_mv, closed

    def _note_gaps(self, t: np.ndarray) -> None:
        """Record the stretches with no samples (see ``analysis.sets.DataGaps``)."""
        if not len(t):
            return
        spans = self.sets.gaps.spans
        first, last = float(t[0]), float(t[-1])
        if self._prev_t is not None and first - self._prev_t > DATA_GAP_S:
            spans.append((self._prev_t, first))
        self._prev_t = last
        # No step within the batch can exceed its span (the common live case: a batch of
        # 0.1 s): only then look at the steps.
        if last - first > DATA_GAP_S:
            for i in np.flatnonzero(np.diff(t) > DATA_GAP_S):
                spans.append((float(t[i]), float(t[i + 1])))

    def _idle_close(self, next_trigger: int | None) -> list[ClosedSet]:
        """Close the open set once the rest after it has lasted long enough (``SET_GAP_S``
        seen, see ``DataGaps``).

        The closing point is a property of the data (the first sample that late, if no
        activity started before it), not of when a batch happened to end, so live and
        offline close sets at the same point of the stream.
        """
        last = self._last_time()
        if not self.sets.open or last is None:
            return []
        due = self.sets.gaps.rest_over_at(self.sets.open[-1].end_s)
        if last < due:
            return []
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
        closed += self._take(self.sets.flush())
        return new_mv, closed

    # -- internals -------------------------------------------------------------------
    def _pre_n(self) -> int:
        return round(PRE_S / self.detector.dt) if self.detector.ready else 0

    def _index_of(self, time_s: float) -> int:
        return self._buf0 + int(np.searchsorted(self._t, time_s))

    # The raw buffer: batches are appended to a list and joined only when a window needs
    # them (joining on every batch would copy the whole window each time).
    def _append(self, t: np.ndarray, f: np.ndarray, s: np.ndarray | None) -> None:
        self._pending.append((t, f, s if self._has_s else None))
        self._n_pending += len(t)

    def _join(self) -> None:
        if not self._pending:
            return
        ts = [self._bt, *(p[0] for p in self._pending)]
        fs = [self._bf, *(p[1] for p in self._pending)]
        self._bt, self._bf = np.concatenate(ts), np.concatenate(fs)
        if self._has_s and all(p[2] is not None for p in self._pending):
            parts = [p[2] for p in self._pending if p[2] is not None]
            self._bs = np.concatenate([self._bs if self._bs is not None else np.empty(0),
                                       *parts])
        else:
            self._bs = None
        self._pending, self._n_pending = [], 0

    @property
    def _t(self) -> np.ndarray:
        self._join()
        return self._bt

    @property
    def _f(self) -> np.ndarray:
        self._join()
        return self._bf

    @property
    def _s(self) -> np.ndarray | None:
        self._join()
        return self._bs

    @property
    def buffered(self) -> int:
        """Raw samples held (the current window and a little rest before it)."""
        return len(self._bt) + self._n_pending

    def _last_time(self) -> float | None:
        if self._pending:
            return float(self._pending[-1][0][-1])
        return float(self._bt[-1]) if len(self._bt) else None

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
        # Trim once the buffer holds twice what is needed (amortises the joins).
        if not det.ready or self.buffered < 2 * self._pre_n() + 64:
            return
        keep_from = self._buf0 + self.buffered - self._pre_n()
        if det.active:
            keep_from = min(keep_from, det._trigger - self._pre_n())
        if self._carry is not None:
            keep_from = min(keep_from, self._index_of(self._carry))
        drop = keep_from - self._buf0
        if drop > 0:
            self._join()
            self._bt, self._bf = self._bt[drop:], self._bf[drop:]
            if self._bs is not None:
                self._bs = self._bs[drop:]
            self._buf0 += drop
