"""Live analysis: the offline pipeline fed batch by batch, with events as they happen.

``LiveAnalyzer.feed(time_s, force_n, stretch_mm)`` returns, in order:

- ``Rep`` as soon as a movement's window closes (the band has been quiet near rest for
  ``detect._QUIET_S``; see docs/analysis.md for the measured latency). Its ``partial``
  flag and ``index`` are provisional: they are judged against the set so far;
- at the end of a set (``SET_GAP_S`` of rest, or a hold starting): the ``SetSummary``,
  the ``Hold`` for a hold set, and the final version of every rep of the set whose
  provisional version differed (same ``index`` -> replace); a session's first set that
  moves like rocking comes with the next set instead, or never (see
  ``analysis.sets.FIRST_OSCILLATION_FRACTION``);
- one ``LiveState`` per batch: phase, reps of the current set, time at the top so far.

``finish()`` ends the session and returns its last events; ``summary()`` then returns
the ``SessionSummary``, equal to ``analysis.offline.analyze`` on the same samples
whatever the batch sizes were (the engine is batch-invariant).
Memory stays bounded: the engine keeps the current window's samples only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from analysis.engine import Engine
from analysis.offline import RecordingStats, summarize
from analysis.prescription import Prescription
from analysis.sets import PARTIAL_FRACTION, ClosedSet, is_hold, typical_range
from analysis.types import Movement
from bandsense.model import Hold, LiveState, Rep, SessionSummary, SetSummary, validate_band_id

Event = Rep | SetSummary | Hold | LiveState
Phase = Literal["rest", "concentric", "top", "eccentric"]

_TOP_FRACTION = 0.85  # above this share of the excursion the band is "at the top"
_SLOPE_S = 0.15  # the phase's direction is judged over this much signal


class LiveAnalyzer:
    """Incremental analysis of one band."""

    def __init__(self, band_id: str = "band", prescription: Prescription | None = None) -> None:
        self.band_id = validate_band_id(band_id)
        # The engine's records carry no band id, so the session result equals the offline
        # one; events get the band id stamped on the way out.
        self.engine = Engine(prescription=prescription)
        self.stats = RecordingStats()
        self._provisional: dict[int, Rep] = {}
        self._top_since: float | None = None
        self._phase: Phase = "rest"
        self._finished = False
        self._open_reps = 0  # full provisional reps of the open set
        self._k_slope = 0

    # -- public ---------------------------------------------------------------------
    def feed(self, time_s: np.ndarray | list[float], force_n: np.ndarray | list[float],
             stretch_mm: np.ndarray | list[float] | None = None) -> list[Event]:
        t = np.asarray(time_s, dtype=float)
        f = np.asarray(force_n, dtype=float)
        s = None if stretch_mm is None else np.asarray(stretch_mm, dtype=float)
        if len(t) == 0:
            return []
        self.stats.add(t)
        events: list[Event] = []
        movements, closed = self.engine.feed(t, f, s)
        events += self._events(movements, closed)
        events.append(self._live_state(float(t[-1]), float(f[-1])))
        return events

    def finish(self) -> list[Event]:
        """End of the session: analyse what is left; returns the last events.

        The whole session's result is then ``summary()``.
        """
        if self._finished:
            return []
        self._finished = True
        movements, closed = self.engine.finish()
        return self._events(movements, closed)

    def finish_events(self) -> tuple[list[Event], SessionSummary]:
        """``finish()`` and ``summary()`` in one call (what the analyzer service uses)."""
        events = self.finish()
        return events, self.summary()

    def summary(self) -> SessionSummary:
        """The session so far (after ``finish()``: equal to the offline analysis)."""
        return summarize(self.engine.closed, self.stats.info())

    # -- internals ------------------------------------------------------------------
    def _events(self, movements: list[Movement], closed: list[ClosedSet]) -> list[Event]:
        sets = self.engine.sets
        if not movements and not closed:  # most batches: nothing happened
            if self._provisional and not sets.open:
                self._provisional.clear()
                self._open_reps = 0
            return []
        events: list[Event] = []
        open_ids = {id(m) for m in sets.open}
        for m in movements:
            if id(m) in open_ids and not is_hold(m):
                rep = self._provisional_rep(m)
                self._provisional[rep.index] = rep
                events.append(rep)
        stamp = {"band_id": self.band_id}
        for c in closed:
            for r in c.reps:
                final = r.model_copy(update=stamp)
                if self._provisional.pop(r.index, None) != final:
                    events.append(final)
            events.append(c.summary.model_copy(update=stamp))
            if c.hold is not None:
                events.append(c.hold.model_copy(update=stamp))
        # Provisional reps of a set that turned out to be fidgeting are simply not
        # confirmed; forget them once their set is gone.
        if not sets.open:
            self._provisional.clear()
        self._open_reps = sum(1 for r in self._provisional.values() if not r.partial)
        return events

    def _provisional_rep(self, m: Movement) -> Rep:
        sets = self.engine.sets
        # The first movement of a set sets the scale (another exercise may have another
        # range): it is provisionally a full rep.
        ranges = np.array([x.range_n for x in sets.open])
        typ = typical_range(ranges)
        pos = [x for x in sets.open if not is_hold(x)].index(m)
        pause = m.top_end_s - m.top_start_s
        pres = sets.prescription
        return Rep(
            index=sets.next_rep + pos, set=sets.next_set, start_s=m.start_s,
            top_start_s=m.top_start_s, top_end_s=m.top_end_s, end_s=m.end_s,
            concentric_s=m.concentric_s, pause_s=pause,
            eccentric_s=m.end_s - m.top_end_s, peak_force_n=m.peak_force_n,
            mean_force_n=m.mean_force_n, impulse_ns=m.impulse_ns,
            partial=bool(m.range_n < PARTIAL_FRACTION * typ), range_n=m.range_n,
            range_mm=m.range_mm, time_under_tension_s=m.duration_s,
            pause_ok=pres.pause_met(pause) if pres is not None else None,
            band_id=self.band_id,
        )

    def _live_state(self, now: float, force: float) -> LiveState:
        det = self.engine.detector
        phase: Phase = "rest"
        m = None
        if det.active and det.ready:
            if not self._k_slope:
                self._k_slope = max(2, round(_SLOPE_S / det.dt))
            m = det.recent(self._k_slope)
        if m is not None and len(m) >= 2:
            amp = max(det._peak - det._rest, 1e-9)
            z = (m[-1] - det._rest) / amp
            slope = (m[-1] - m[0]) / amp
            if z >= _TOP_FRACTION and abs(slope) < 0.05:
                phase = "top"
            elif slope > 0:
                phase = "concentric"
            else:
                phase = "eccentric" if z < _TOP_FRACTION or self._phase != "concentric" else "top"
        if phase == "top":
            if self._top_since is None:
                self._top_since = now
        else:
            self._top_since = None
        self._phase = phase
        sets = self.engine.sets
        # Built without re-validation (one per batch, on the hot path); the band id was
        # validated once in __init__ and the other fields are correct by construction.
        return _live_state_record(
            band_id=self.band_id, time_s=now, phase=phase, set_index=sets.next_set,
            rep_count=self._open_reps if sets.open else 0,
            time_at_top_s=0.0 if self._top_since is None else now - self._top_since,
            force_n=force,
        )


def _construct_fast(**values: object) -> LiveState:
    # What LiveState.model_construct does for a full set of fields, minus its generic
    # bookkeeping (a quarter of the cost; checked against it at import).
    rec = LiveState.__new__(LiveState)
    setattr_ = object.__setattr__
    setattr_(rec, "__dict__", {"kind": "live", **values})
    setattr_(rec, "__pydantic_fields_set__", set(values))
    setattr_(rec, "__pydantic_extra__", None)
    setattr_(rec, "__pydantic_private__", None)
    return rec


def _pick_constructor() -> Callable[..., LiveState]:
    probe = {"band_id": "b", "time_s": 1.5, "phase": "top", "set_index": 2, "rep_count": 3,
             "time_at_top_s": 0.25, "force_n": 40.0}
    try:
        fast = _construct_fast(**probe)
        slow = LiveState.model_construct(**probe)  # type: ignore[arg-type]
        same = (fast == slow == LiveState.model_validate(probe)
                and fast.model_fields_set == slow.model_fields_set
                and fast.model_dump_json() == slow.model_dump_json())
    except Exception:  # another pydantic version: use its own constructor
        same = False
    return _construct_fast if same else LiveState.model_construct


_live_state_record = _pick_constructor()
