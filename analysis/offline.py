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


def recording_info(t: np.ndarray) -> RecordingInfo:
    n = len(t)
    if n < 2:
        return RecordingInfo(n, 0.0, 0.0, 0)
    d = np.diff(t)
    dt = float(np.median(d))
    gaps = int(np.count_nonzero(d > GAP_FACTOR * dt)) if dt > 0 else 0
    return RecordingInfo(n, float(t[-1] - t[0]), 1.0 / dt if dt > 0 else 0.0, gaps)


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
