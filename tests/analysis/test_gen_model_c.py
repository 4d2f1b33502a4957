"""The third independent generator (gen_model_c): its truth is consistent and reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from tests.analysis.gen_model_c import (
    ARRIVAL_FRAC,
    GenConfig,
    _phase_curve,
    _spring_table,
    generate,
)


@pytest.mark.parametrize("seed,rate", [(11, 20.0), (12, 75.0), (13, 200.0)])
def test_truth_consistent(seed: int, rate: float) -> None:
    g = generate(seed, GenConfig(rate_hz=rate))
    tr = g.truth
    assert np.all(np.diff(g.time_s) >= 0)
    assert len(g.time_s) == len(g.force_n)
    assert g.stretch_mm is None or len(g.stretch_mm) == len(g.time_s)
    assert 2 <= len(tr["metadata"]["exercises"]) <= 3
    prev_end = -np.inf
    for r in tr["reps"]:
        assert r["start_s"] < r["top_start_s"] <= r["top_end_s"] < r["end_s"]
        assert r["start_s"] >= prev_end - 1e-9  # reps do not overlap
        prev_end = r["end_s"]
        assert r["concentric_s"] == pytest.approx(r["top_start_s"] - r["start_s"])
        assert r["pause_s"] == pytest.approx(r["top_end_s"] - r["top_start_s"])
        assert r["eccentric_s"] == pytest.approx(r["end_s"] - r["top_end_s"])
    for h in tr["holds"]:
        assert h["start_s"] < h["top_start_s"] < h["top_end_s"] < h["end_s"]
        assert 8.0 <= h["duration_s"] <= 30.0
    for s in tr["sets"]:
        mine = [r for r in tr["reps"] if r["set"] == s["index"]]
        if s["kind"] == "hold":
            assert s["rep_count"] == 0 and not mine
            assert sum(h["set"] == s["index"] for h in tr["holds"]) == 1
        else:
            assert s["rep_count"] == sum(not r["partial"] for r in mine)
            assert s["partial_count"] == sum(r["partial"] for r in mine)
            assert s["start_s"] == pytest.approx(mine[0]["start_s"])
            assert s["end_s"] == pytest.approx(mine[-1]["end_s"])
    starts = [s["start_s"] for s in tr["sets"]]
    assert starts == sorted(starts)
    for a, b in zip(tr["sets"], tr["sets"][1:], strict=False):
        assert b["start_s"] - a["end_s"] >= 10.0


def test_reproducible_with_seed() -> None:
    a, b = generate(21, GenConfig(rate_hz=60.0)), generate(21, GenConfig(rate_hz=60.0))
    assert a.truth == b.truth
    np.testing.assert_array_equal(a.time_s, b.time_s)
    np.testing.assert_array_equal(a.force_n, b.force_n)
    c = generate(22, GenConfig(rate_hz=60.0))
    assert c.truth != a.truth


def test_config_switches() -> None:
    g = generate(31, GenConfig(rate_hz=50.0, has_stretch=True, hold_exercise=True, exercises=2,
                               time_offset_s=100.0))
    assert g.stretch_mm is not None
    assert "table_top_reach" in g.truth["metadata"]["exercises"]
    assert len(g.truth["holds"]) >= 2
    assert g.time_s[0] >= 100.0
    g = generate(31, GenConfig(rate_hz=50.0, has_stretch=False, hold_exercise=False))
    assert g.stretch_mm is None and not g.truth["holds"]


@pytest.mark.parametrize("zeta,c", [(1.0, 0.5), (1.3, 1.5), (1.6, 3.0)])
def test_spring_arrival_rule(zeta: float, c: float) -> None:
    """The spring phase is within 0.5% of its travel exactly at its stated duration."""
    dur = 1.7
    curve = _phase_curve("spring", {"zeta": zeta, "c": c}, dur)
    t = np.linspace(0.0, 3 * dur, 20001)
    p = curve(t)
    assert np.all(np.diff(p) >= -1e-12)
    arrive = t[np.argmax(p >= 1.0 - ARRIVAL_FRAC)]
    assert arrive == pytest.approx(dur, abs=0.01)
    assert _spring_table(zeta, c)[2] > c


@pytest.mark.parametrize("family", ["via", "lognormal", "cycloid"])
def test_profiles_span_phase(family: str) -> None:
    prm = {"via": {"w": 0.5, "a": 0.6, "b": 0.5},
           "lognormal": {"sigma": 0.3, "mirror": 1.0},
           "cycloid": {"under": 0.05, "f": 0.8, "tremor": 0.0, "tremor_hz": 9.0}}[family]
    curve = _phase_curve(family, prm, 2.0)
    t = np.linspace(0.0, 2.0, 4001)
    p = curve(t)
    assert p[0] == pytest.approx(0.0, abs=1e-9) and p[-1] == pytest.approx(1.0, abs=1e-9)
    assert np.all(np.diff(p) >= -1e-9)
