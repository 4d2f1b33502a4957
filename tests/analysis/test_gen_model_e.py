"""The fifth independent generator (gen_model_e): its truth is consistent and reproducible.

Sanity tests of the model only (not of the analysis).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from analysis.scoring import Score
from tests.analysis.gen_model_e import GenConfig, Generated, _Dynamics, generate

SEEDS = (0, 1, 2, 3, 4, 5)
CLEAN = {"clean": True, "still": True}


def _gen(seed: int, rate: float = 50.0, **kw: Any) -> Generated:
    return generate(seed, GenConfig(rate_hz=rate, **kw))


@pytest.fixture(scope="module")
def faulty() -> list[Generated]:
    return [_gen(s) for s in SEEDS]


@pytest.fixture(scope="module")
def clean() -> list[Generated]:
    return [_gen(s, 100.0, has_stretch=True, extra=dict(CLEAN)) for s in SEEDS]


def test_deterministic_for_a_seed() -> None:
    a, b = _gen(7, 40.0), _gen(7, 40.0)
    np.testing.assert_array_equal(a.time_s, b.time_s)
    np.testing.assert_array_equal(a.force_n, b.force_n)
    assert (a.stretch_mm is None) == (b.stretch_mm is None)
    if a.stretch_mm is not None and b.stretch_mm is not None:
        np.testing.assert_array_equal(a.stretch_mm, b.stretch_mm)
    assert a.truth == b.truth
    c = _gen(8, 40.0)
    assert len(c.time_s) != len(a.time_s) or not np.array_equal(c.force_n, a.force_n)


@pytest.mark.parametrize("rate", [20.0, 50.0, 100.0, 200.0])
def test_time_axis_non_decreasing_at_the_rate(rate: float) -> None:
    g = _gen(3, rate)
    t = g.time_s
    assert t.dtype == np.float64 and g.force_n.dtype == np.float64
    assert len(t) == len(g.force_n)
    if g.stretch_mm is not None:
        assert len(g.stretch_mm) == len(t)
    assert np.all(np.isfinite(t)) and np.all(np.isfinite(g.force_n))
    assert np.all(np.diff(t) >= 0)
    dt = float(np.median(np.diff(t)))
    assert abs(dt * rate - 1) < 0.3  # host stamps at BLE connection events
    sent = g.truth["metadata"]["samples_sent"]
    assert (t[-1] - t[0]) / (sent - 1) == pytest.approx(1 / rate, rel=0.01)
    # losses only remove a small share of the samples
    duration = g.truth["metadata"]["duration_s"]
    assert 0.85 * duration * rate < len(t) <= duration * rate + 1
    # the axis is the physical time plus the offset: it starts near the offset
    off = g.truth["metadata"]["time_offset_s"]
    assert off != 0.0
    assert -0.2 < t[0] - off < 1.0


def test_clean_time_axis_is_exact() -> None:
    g = _gen(4, 25.0, extra={"clean": True})
    assert g.truth["gaps"] == []
    np.testing.assert_allclose(np.diff(g.time_s), 1 / 25.0, atol=1e-6)  # epoch offsets


def _check_truth(tr: dict[str, Any]) -> None:
    sets, reps, holds = tr["sets"], tr["reps"], tr["holds"]
    assert sets and (reps or holds)
    assert [s["index"] for s in sets] == list(range(len(sets)))
    assert [r["index"] for r in reps] == list(range(len(reps)))
    for a, b in itertools.pairwise(sets):
        assert b["start_s"] - a["end_s"] >= 10.0  # sets are separated by rest
    for r in reps:
        assert r["start_s"] < r["top_start_s"] <= r["top_end_s"] < r["end_s"]
        assert r["concentric_s"] == pytest.approx(r["top_start_s"] - r["start_s"], abs=1e-6)
        assert r["pause_s"] == pytest.approx(r["top_end_s"] - r["top_start_s"], abs=1e-6)
        assert r["eccentric_s"] == pytest.approx(r["end_s"] - r["top_end_s"], abs=1e-6)
        assert 0.0 <= r["pause_s"] <= 2.5 + 1e-9
        s = sets[r["set"]]
        assert s["kind"] == "reps"
        assert s["start_s"] - 1e-9 <= r["start_s"] and r["end_s"] <= s["end_s"] + 1e-9
        assert r["range_mm"] > 0
    for s in sets:
        mine = [r for r in reps if r["set"] == s["index"]]
        if s["kind"] == "hold":
            assert s["rep_count"] == 0 and not mine
            continue
        assert mine
        assert mine[0]["start_s"] == pytest.approx(s["start_s"])
        assert mine[-1]["end_s"] == pytest.approx(s["end_s"])
        full = [r for r in mine if not r["partial"]]
        assert s["rep_count"] == len(full) > 0
        med = float(np.median([r["range_mm"] for r in full]))
        for r in mine:
            assert (r["range_mm"] < 0.5 * med) == r["partial"]
        for a, b in itertools.pairwise(mine):
            assert 0.0 <= b["start_s"] - a["end_s"] < 3.0  # reps within a set
        if s["to_failure"]:
            assert mine[-1]["partial"]  # a set to failure ends with failed attempts


def test_truth_is_consistent(faulty: list[Generated]) -> None:
    for g in faulty:
        _check_truth(g.truth)


def test_holds_are_sets_without_reps(faulty: list[Generated]) -> None:
    n_holds = 0
    for g in faulty:
        tr = g.truth
        hold_sets = [s for s in tr["sets"] if s["kind"] == "hold"]
        assert len(hold_sets) == len(tr["holds"])
        rep_sets = {r["set"] for r in tr["reps"]}
        for h in tr["holds"]:
            s = tr["sets"][h["set"]]
            assert s["kind"] == "hold" and s["rep_count"] == 0
            assert h["set"] not in rep_sets
            assert h["start_s"] == pytest.approx(s["start_s"])
            assert h["end_s"] == pytest.approx(s["end_s"])
            assert h["start_s"] < h["top_start_s"] < h["top_end_s"] < h["end_s"]
            assert h["duration_s"] == pytest.approx(h["top_end_s"] - h["top_start_s"])
            assert 10.0 - 1e-6 <= h["duration_s"] <= 40.0 + 1e-6
            assert 4 <= h["breaths"] <= 8
            n_holds += 1
    assert n_holds > 0


def test_fidgets_are_in_rests(faulty: list[Generated]) -> None:
    kinds: set[str] = set()
    for g in faulty:
        tr = g.truth
        busy = [(s["start_s"], s["end_s"]) for s in tr["sets"]]
        busy += [(r["start_s"], r["end_s"]) for r in tr["reps"]]
        for f in tr["fidgets"]:
            assert f["start_s"] < f["end_s"]
            assert f["amplitude_mm"] >= 0
            for a, b in busy:
                assert f["end_s"] <= a or f["start_s"] >= b, (f, a, b)
            kinds.add(f["kind"])
        starts = [f["start_s"] for f in tr["fidgets"]]
        ends = [f["end_s"] for f in tr["fidgets"]]
        assert all(e <= s for e, s in zip(ends, starts[1:], strict=False))
    assert len(kinds) >= 4


def test_scoring_reads_every_key(faulty: list[Generated]) -> None:
    score = Score()
    n_reps = 0
    for g in faulty:
        score.add(g.truth, g.truth)
        n_reps += len(g.truth["reps"])
    summ = score.summary()
    assert score.tp == n_reps and score.fp == 0 and score.fn == 0
    assert summ["sets_exact_pct"] == 100.0
    assert summ["set_rep_count_exact_pct"] == 100.0
    assert summ["holds_found_once"] == summ["holds_true"]


def test_clean_elongation_at_truth_instants(clean: list[Generated]) -> None:
    for g in clean:
        assert g.stretch_mm is not None
        t, e = g.time_s, g.stretch_mm
        v = np.gradient(e, t)

        def at(x: float, t: np.ndarray = t, e: np.ndarray = e) -> float:
            return float(np.interp(x, t, e))

        def vel(x: float, t: np.ndarray = t, v: np.ndarray = v) -> float:
            return float(np.interp(x, t, v))

        for r in g.truth["reps"]:
            rest = at(r["start_s"]) - r["floor_start_mm"]
            # at rest at start and end, at the top (range) at top_start
            assert at(r["end_s"]) - rest == pytest.approx(r["floor_end_mm"], abs=0.3)
            assert at(r["top_start_s"]) - at(r["start_s"]) == pytest.approx(
                r["range_mm"], rel=0.01, abs=0.2)
            seg = (t >= r["start_s"]) & (t <= r["end_s"])
            vpk = float(np.max(np.abs(v[seg])))
            assert vpk > 0
            # the movement stops at the top and at the end: velocity near zero there
            for key in ("top_start_s", "top_end_s", "end_s", "start_s"):
                assert abs(vel(r[key])) < 0.04 * vpk, (key, r)
            # it does move in between: half way through the concentric phase
            mid = r["start_s"] + r["concentric_s"] / 2
            assert vel(mid) > 0.4 * r["range_mm"] / r["concentric_s"]
            # nothing in the concentric phase goes beyond the top
            conc = (t >= r["start_s"]) & (t <= r["top_start_s"])
            assert float(np.max(e[conc])) <= at(r["top_start_s"]) + 0.05
        for h in g.truth["holds"]:
            assert abs(vel(h["top_start_s"])) < 1.0
            assert at(h["top_start_s"]) - at(h["start_s"]) == pytest.approx(
                h["range_mm"], rel=0.01, abs=0.2)


def test_clean_force_follows_the_band(clean: list[Generated]) -> None:
    for g in clean:
        t, f = g.time_s, g.force_n
        for r in g.truth["reps"]:
            if r["partial"]:
                continue
            f0 = float(np.interp(r["start_s"], t, f))
            ft = float(np.interp(r["top_start_s"], t, f))
            assert ft > f0 + 1.0
            assert r["peak_force_n"] == pytest.approx(ft, rel=0.02, abs=0.05)
    # an ideal band: the force is the stiffness times the (taut) elongation
    g = _gen(2, 50.0, has_stretch=True, extra={"clean": True, "ideal_band": True})
    assert g.stretch_mm is not None
    k = g.truth["metadata"]["band"]["k0_n_per_mm"]
    taut = g.stretch_mm > 0.5  # (both are sampled from the 500 Hz simulation)
    assert taut.mean() > 0.5
    np.testing.assert_allclose(g.force_n[taut], k * g.stretch_mm[taut], rtol=1e-9)
    assert np.all(g.force_n[g.stretch_mm < -0.5] == 0.0)  # slack


def test_faults_are_on_by_default() -> None:
    d = _gen(5, 100.0, has_stretch=True)
    c = _gen(5, 100.0, has_stretch=True, extra={"clean": True})
    assert d.truth["reps"] == c.truth["reps"]  # the same session
    assert len(d.time_s) < len(c.time_s)  # lost frames
    assert d.truth["gaps"] and not c.truth["gaps"]
    gap_samples = sum(x["samples"] for x in d.truth["gaps"])
    assert gap_samples == d.truth["metadata"]["samples_sent"] - len(d.time_s)
    assert c.truth["metadata"]["samples_sent"] == len(c.time_s)
    jitter = np.diff(d.time_s) - 0.01
    assert float(np.std(jitter)) > 1e-4
    # sensor errors: the recorded force differs from the clean one at the same instants
    fc = np.interp(d.time_s, c.time_s, c.force_n)
    assert float(np.median(np.abs(d.force_n - fc))) > 0.01
    assert d.stretch_mm is not None and c.stretch_mm is not None


def test_stretch_in_about_half_the_recordings() -> None:
    have = [generate(s, GenConfig(rate_hz=20.0, exercises=2)).stretch_mm is not None
            for s in range(20, 40)]
    assert 4 <= sum(have) <= 16


def test_minimum_variance_phase_is_a_point_to_point_movement() -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        dyn = _Dynamics(rng)
        for n in (25, 80, 200):
            q, v = dyn.profile(n)
            assert len(q) == n + 1
            assert q[0] == 0.0 and q[-1] == 1.0 and v[0] == 0.0 and v[-1] == 0.0
            assert np.all(np.diff(q) >= 0)
            peak = int(np.argmax(v))
            assert 0.1 * n < peak < 0.9 * n  # a single interior peak
            assert v[1] < 0.05 * v.max() and v[-2] < 0.2 * v.max()  # gentle onset and arrival


def test_sessions_look_like_the_seed(faulty: list[Generated]) -> None:
    for g in faulty:
        tr = g.truth
        assert 2 <= len(tr["metadata"]["exercises"]) <= 4
        assert 180.0 < tr["metadata"]["duration_s"] < 1500.0
        for s in tr["sets"]:
            if s["exercise"] in ("single_leg_hip_bridge", "table_top_hip_external_rotation"):
                assert 8 <= s["rep_count"] <= 12
            assert s["side"] in ("left", "right")
