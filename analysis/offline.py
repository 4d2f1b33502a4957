"""Offline analysis of a whole recording (the same engine as live, fed in one call)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.engine import Engine
from analysis.prescription import Prescription
from analysis.sets import ClosedSet
from bandsense.model import SessionSummary

GAP_FACTOR = 1.5  # an interval this many nominal intervals long is a gap


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    samples: int
    duration_s: float
    sample_rate_hz: float
    gaps: int


_NOMINAL_INTERVALS = 4096  # the nominal sample interval is the median of the first ones


class RecordingStats:
    """Samples, duration, nominal rate and gaps, accumulated batch by batch.

    The nominal interval is the median of the first ``_NOMINAL_INTERVALS`` intervals (a
    streaming-friendly definition, so live and offline report the same); every interval
    longer than ``GAP_FACTOR`` nominal intervals is one gap (lost frames, link drops).
    """

    def __init__(self) -> None:
        self.n = 0
        self.first = self.last = 0.0
        self._head: list[np.ndarray] = []
        self._head_n = 0
        self.dt = 0.0
        self.gaps = 0

    def add(self, t: np.ndarray) -> None:
        if len(t) == 0:
            return
        if self.dt > 0:
            # Settled (almost every live batch): count long intervals, the one from the
            # previous batch included, without building the joined array.
            limit = GAP_FACTOR * self.dt
            gaps = int(np.count_nonzero(t[1:] - t[:-1] > limit)) if len(t) > 1 else 0
            self.gaps += gaps + (float(t[0]) - self.last > limit)
            self.n += len(t)
            self.last = float(t[-1])
            return
        d = np.diff(t) if self.n == 0 else np.diff(np.concatenate([[self.last], t]))
        if self.n == 0:
            self.first = float(t[0])
        self.n += len(t)
        self.last = float(t[-1])
        self._head.append(d)
        self._head_n += len(d)
        if self._head_n >= _NOMINAL_INTERVALS:
            self._settle()

    def _settle(self) -> None:
        head = np.concatenate(self._head) if self._head else np.empty(0)
        self._head = []
        if len(head) == 0:
            return
        self.dt = float(np.median(head[:_NOMINAL_INTERVALS]))
        if self.dt > 0:
            self.gaps += int(np.count_nonzero(head > GAP_FACTOR * self.dt))

    def info(self) -> RecordingInfo:
        if self.dt <= 0:
            self._settle()
        rate = 1.0 / self.dt if self.dt > 0 else 0.0
        return RecordingInfo(self.n, self.last - self.first if self.n else 0.0, rate, self.gaps)


def recording_info(t: np.ndarray) -> RecordingInfo:
    stats = RecordingStats()
    stats.add(np.asarray(t, float))
    return stats.info()


def summarize(closed: list[ClosedSet], info: RecordingInfo, band_id: str | None = None
              ) -> SessionSummary:
    return SessionSummary(
        band_id=band_id, samples=info.samples, duration_s=info.duration_s,
        sample_rate_hz=info.sample_rate_hz, gaps=info.gaps,
        sets=[c.summary for c in closed], reps=[r for c in closed for r in c.reps],
        holds=[c.hold for c in closed if c.hold is not None],
    )


def analyze(t: np.ndarray, f: np.ndarray, s: np.ndarray | None = None,
            prescription: Prescription | None = None) -> SessionSummary:
    """Analyse a whole recording; times in the result are on ``t``'s axis."""
    eng = Engine(prescription=prescription)
    if len(t):
        eng.feed(np.asarray(t, float), np.asarray(f, float),
                 None if s is None else np.asarray(s, float))
    eng.finish()
    return summarize(eng.closed, recording_info(np.asarray(t, float)))
