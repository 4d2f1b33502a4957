"""Two tugs in the rest, a third of the reps' range: not a set of their own.

A set of one or two movements is the band being tugged or re-wrapped unless its range is
a good share (``SMALL_SET_FRACTION``) of the sets before; real sets have several reps.
"""

from __future__ import annotations

import numpy as np

from analysis.offline import analyze


def _bump(t: np.ndarray, at: float, up: float, top: float, down: float) -> np.ndarray:
    u = np.clip((t - at) / up, 0.0, 1.0)
    d = np.clip((t - at - up - top) / down, 0.0, 1.0)
    out: np.ndarray = u * u * (3 - 2 * u) - d * d * (3 - 2 * d)
    return out


def test_tugs_in_the_rest_are_not_a_set() -> None:
    rng = np.random.default_rng(11)
    t = np.arange(0.0, 110.0, 0.01)
    f = 6.0 + rng.normal(0.0, 0.08, len(t))
    for first in (3.0, 70.0):  # two sets of 8 reps, 20 N
        for k in range(8):
            f += 20.0 * _bump(t, first + 4.0 * k, 1.2, 0.5, 1.3)
    for at in (48.0, 52.0):  # two tugs of 7 N (35%) in the 30 s rest
        f += 7.0 * _bump(t, at, 0.6, 0.1, 0.7)
    result = analyze(t, f)
    assert [s.rep_count for s in result.sets] == [8, 8]
    assert all(not (45.0 < r.start_s < 56.0) for r in result.reps)
