"""Instants averaged over the competing profile shapes (analysis.fit, ``average``)."""

from __future__ import annotations

import json

import numpy as np

from analysis.fit import fit_rise
from analysis.offline import analyze
from analysis.scoring import Score
from tests.analysis.conftest import gen_recording


def test_clear_best_shape_keeps_its_instants() -> None:
    """A noise-free minimum-jerk rise: the best shape is exact and keeps the weight."""
    t = np.arange(0.0, 3.0, 0.02)
    u = np.clip((t - 0.8) / 1.2, 0.0, 1.0)
    y = 5.0 + 40.0 * u**3 * (10.0 - 15.0 * u + 6.0 * u**2)
    fit = fit_rise(t, y, 5.0, 45.0, average=True)
    assert fit is not None
    assert abs(fit.start_s - 0.8) < 0.005 and abs(fit.end_s - 2.0) < 0.005, fit


def test_force_only_generator_timing() -> None:
    """Force alone on the independent generator (rate-dependent quadratic band, shapes
    outside the family): the single best shape gave concentric / eccentric medians of
    102 / 172 ms on these recordings, the averaged instants 87 / 153 ms (3 candidates,
    K 16, round 8), 82 / 116 ms with the round-17 shapes, 73 / 118 ms averaged softer
    over 5 candidates (K 32; the pause 58 -> 61 ms)."""
    score = Score()
    for seed, rate in ((9101, 40.0), (9102, 90.0), (9103, 150.0), (9104, 60.0)):
        s = gen_recording(seed, rate_hz=rate, has_stretch=False)
        score.add(s.truth, json.loads(analyze(s.time_s, s.force_n).model_dump_json()))
    m = score.summary()
    assert m["rep_f1"] == 1.0, m
    assert m["concentric_mae_ms"] <= 78.0, m
    assert m["eccentric_mae_ms"] <= 162.0, m
    assert m["pause_mae_ms"] <= 70.0, m
