"""A slow rep without a pause: its top is above 95% for ~0.8 s, yet it has no pause.

Read as a plateau, each side fit stops 0.5 s into the "plateau" and the pause comes out
at 30-40 ms on these reps; the turning-point reading fits better and gives ~0.
"""

from __future__ import annotations

import numpy as np

from analysis.offline import analyze


def test_slow_rep_without_pause_reads_no_pause() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(0.0, 60.0, 0.01)
    f = np.full(len(t), 5.0)
    for start in (3.0 + 9.0 * i for i in range(6)):
        for at, sign in ((start, 1.0), (start + 1.8, -1.0)):  # 1.8 s up, 1.8 s down
            u = np.clip((t - at) / 1.8, 0.0, 1.0)
            f += sign * 30.0 * u**3 * (10.0 - 15.0 * u + 6.0 * u**2)
    f += rng.normal(0.0, 0.08, len(t))
    reps = analyze(t, f).reps
    assert len(reps) == 6
    assert float(np.median([r.pause_s for r in reps])) < 0.015
    for r in reps:
        assert abs(r.concentric_s - 1.8) < 0.08 and abs(r.eccentric_s - 1.8) < 0.08, r
