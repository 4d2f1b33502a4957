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


def _cosine(u: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))


def test_back_to_back_valley_is_a_turning_point() -> None:
    """Reps with no rest between: each fall ends in the valley where the next rise starts.

    With the rest level free and the data stopping at the valley, the fall's flat end was
    extrapolated short of the valley (here by 200-250 ms on about one rep in four); the
    valley is now a turning point, its level held at the lowest point.
    """
    conc, ecc, n = 0.9, 1.3, 8
    for seed in range(4):
        rng = np.random.default_rng(seed)
        t = np.arange(0.0, 4.0 + n * (conc + ecc) + 6.0, 0.01)
        x = np.zeros(len(t))
        starts = [4.0 + i * (conc + ecc) for i in range(n)]
        for s0 in starts:
            x += _cosine((t - s0) / conc)
            u = np.clip((t - s0 - conc) / ecc, 0.0, 1.0)
            x -= _cosine(u + 0.3 * u * (1.0 - u))  # a fall that slows towards the valley
        f = 5.0 + 25.0 * x + rng.normal(0.0, 0.08, len(t))
        reps = analyze(t, f).reps
        assert len(reps) == n
        for r, s0 in zip(reps, starts, strict=True):
            assert abs(r.start_s - s0) < 0.05, (seed, r)
            assert abs(r.end_s - (s0 + conc + ecc)) < 0.15, (seed, r)
