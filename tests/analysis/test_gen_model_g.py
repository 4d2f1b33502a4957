"""Sanity of the seventh independent model (gen_model_g) itself, not of the analysis."""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from tests.analysis import gen_model_g as gm
from tests.analysis.truth_checks import assert_scores_perfectly

SEEDS = tuple(range(6))
STATS = tuple(range(8))  # for the statistics (same recordings as the other tests)
FIDGET_KINDS = {"tug", "flutter", "settle", "readjust", "turn"}


@lru_cache(maxsize=64)
def _gen(seed: int, rate: float = 50.0, clean: bool = False, hold: bool | None = None,
         stretch: bool | None = None, still: bool = False, ideal: bool = False
         ) -> gm.Generated:
    extra: dict[str, Any] = {}
    if clean:
        extra["clean"] = True
    if still:
        extra["still"] = True
    if ideal:
        extra["ideal_band"] = True
    cfg = gm.GenConfig(rate_hz=rate, hold_exercise=hold, has_stretch=stretch, extra=extra)
    return gm.generate(seed, cfg)


def _reps_of(truth: dict[str, Any], set_index: int) -> list[dict[str, Any]]:
    return [r for r in truth["reps"] if r["set"] == set_index]


def test_deterministic_per_seed_and_config() -> None:
    a = gm.generate(3, gm.GenConfig(rate_hz=20.0))
    b = _gen(3, 20.0)
    assert np.array_equal(a.time_s, b.time_s)
    assert np.array_equal(a.force_n, b.force_n)
    assert (a.stretch_mm is None) == (b.stretch_mm is None)
    if a.stretch_mm is not None and b.stretch_mm is not None:
        assert np.array_equal(a.stretch_mm, b.stretch_mm)
    assert a.truth == b.truth
    c = _gen(4, 20.0)
    assert len(c.time_s) != len(a.time_s) or not np.array_equal(c.force_n, a.force_n)


@pytest.mark.parametrize("rate", [20.0, 137.0])
def test_time_axis_non_decreasing_at_the_configured_rate(rate: float) -> None:
    g = _gen(1, rate)
    dt = np.diff(g.time_s)
    assert g.time_s.dtype == np.float64 and g.force_n.dtype == np.float64
    assert len(g.time_s) == len(g.force_n)
    assert np.all(dt >= 0.0)
    # whole-ms stamps: irregular, but on average at the configured rate
    span = g.time_s[-1] - g.time_s[0]
    lost = sum(gap["samples"] for gap in g.truth["gaps"])
    assert abs(span * rate / (len(g.time_s) - 1 + lost) - 1.0) < 0.01
    assert np.std(dt[dt < 1.5 / rate]) > 0.0  # irregular
    minutes = span / 60.0
    assert 6.0 < minutes < 20.0
    assert np.all(np.isfinite(g.force_n))
    clean = _gen(1, rate, clean=True, hold=True, stretch=True, still=True)
    assert np.allclose(np.diff(clean.time_s), 1.0 / rate, rtol=0.0, atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_truth_is_consistent(seed: int) -> None:
    truth = _gen(seed).truth
    sets, reps = truth["sets"], truth["reps"]
    assert sets and [s["index"] for s in sets] == list(range(len(sets)))
    assert [r["index"] for r in reps] == list(range(len(reps)))
    starts = [r["start_s"] for r in reps]
    assert starts == sorted(starts)
    for r in reps:
        assert r["start_s"] < r["top_start_s"] <= r["top_end_s"] < r["end_s"]
        assert r["concentric_s"] == pytest.approx(r["top_start_s"] - r["start_s"], abs=1e-9)
        assert r["pause_s"] == pytest.approx(r["top_end_s"] - r["top_start_s"], abs=1e-9)
        assert r["eccentric_s"] == pytest.approx(r["end_s"] - r["top_end_s"], abs=1e-9)
        assert r["concentric_s"] > 0.2 and r["eccentric_s"] > 0.2
        assert r["range_mm"] > 0.0 and r["peak_force_n"] > 0.0
        s = sets[r["set"]]
        assert s["kind"] == "reps"
        assert s["start_s"] - 1e-9 <= r["start_s"] and r["end_s"] <= s["end_s"] + 1e-9
    for a, b in itertools.pairwise(sets):
        assert b["start_s"] - a["end_s"] >= 10.0
    for s in sets:
        assert s["side"] in ("left", "right") and s["exercise"] in gm.EXERCISES
        own = _reps_of(truth, s["index"])
        if s["kind"] == "hold":
            assert not own
            continue
        assert own[0]["start_s"] == s["start_s"] and own[-1]["end_s"] == s["end_s"]
        assert s["rep_count"] == sum(not r["partial"] for r in own)
        assert s["partial_count"] == sum(r["partial"] for r in own)
        med = float(np.median([r["range_mm"] for r in own if not r["partial"]]))
        for r in own:
            assert (r["range_mm"] < 0.5 * med) == r["partial"]
        for a, b in itertools.pairwise(own):
            assert 0.0 <= b["start_s"] - a["end_s"] < 3.0


@pytest.mark.parametrize("seed", [0, 1])
def test_holds_are_hold_sets_only(seed: int) -> None:
    truth = _gen(seed, 50.0, hold=True).truth
    holds = truth["holds"]
    assert holds
    for h in holds:
        s = truth["sets"][h["set"]]
        assert s["kind"] == "hold" and s["rep_count"] == 0
        assert s["exercise"] == "table_top_reach"
        assert not _reps_of(truth, h["set"])
        assert h["start_s"] < h["top_start_s"] < h["top_end_s"] < h["end_s"]
        assert h["duration_s"] == pytest.approx(h["top_end_s"] - h["top_start_s"], abs=1e-9)
        assert h["duration_s"] > 10.0  # several balloon breaths
        assert s["start_s"] == h["start_s"] and s["end_s"] == h["end_s"]
    assert len(holds) == sum(s["kind"] == "hold" for s in truth["sets"])
    no_hold = _gen(seed, 50.0, hold=False).truth
    assert not no_hold["holds"] and all(s["kind"] == "reps" for s in no_hold["sets"])


@pytest.mark.parametrize(("seed", "rate"), [(1, 137.0), (2, 200.0)])
def test_clean_movement_at_truth_instants(seed: int, rate: float) -> None:
    g = _gen(seed, rate, clean=True, hold=True, stretch=True, still=True)
    assert g.stretch_mm is not None
    t, e, f = g.time_s, g.stretch_mm, g.force_n
    h = 1.0 / rate

    def el(x: float) -> float:
        return float(np.interp(x, t, e))

    def vel(x: float, side: int) -> float:  # one-sided: the stops can be abrupt
        return (el(x + h) - el(x)) / h if side > 0 else (el(x) - el(x - h)) / h

    events = list(g.truth["reps"]) + [{**x, "partial": False, "range_mm": None}
                                      for x in g.truth["holds"]]
    for r in events:
        m = (t >= r["start_s"]) & (t <= r["end_s"])
        v_peak = float(np.max(np.abs(np.diff(e[m])))) / h
        assert v_peak > 5.0
        # still before the start and between a lock at the top and the breakaway
        assert abs(vel(r["start_s"] - 0.02, -1)) < 0.02 * v_peak
        if r["top_end_s"] - r["top_start_s"] > 0.1:
            assert abs(vel(r["top_start_s"] + h, 1)) < 0.03 * v_peak
            assert abs(el(r["top_end_s"] - h) - el(r["top_start_s"] + h)) < 0.02 * v_peak
        else:  # a turn: the top of the movement
            top = el(r["top_start_s"])
            assert top >= el(r["top_start_s"] - 0.1) and top >= el(r["top_start_s"] + 0.1)
        assert abs(vel(r["end_s"] + 0.02, 1)) < 0.02 * v_peak  # at rest after the end
        assert el(0.5 * (r["start_s"] + r["top_start_s"])) > el(r["start_s"])
        if r["range_mm"] is not None:
            rng_mm = el(r["top_start_s"]) - el(r["start_s"])
            assert rng_mm == pytest.approx(r["range_mm"], abs=0.02 * r["range_mm"] + 0.3)
        if not r["partial"]:
            assert np.interp(r["top_start_s"], t, f) > np.interp(r["start_s"], t, f) + 1.0
    assert np.all(f >= 0.0)  # a band cannot push


def test_force_rises_with_elongation() -> None:
    g = _gen(5, 50.0, clean=True, stretch=True, ideal=True, still=True)
    assert g.stretch_mm is not None
    order = np.argsort(g.stretch_mm)
    f = g.force_n[order]
    assert np.all(np.diff(f) >= -1e-9)
    assert f[-1] > f[len(f) // 2] > 0.0
    # the real band (viscoelastic, Mullins, knit, temperature) still rises on the whole
    r = _gen(5, 50.0, clean=True, stretch=True, still=True)
    assert r.stretch_mm is not None
    assert np.corrcoef(np.argsort(np.argsort(r.stretch_mm)),
                       np.argsort(np.argsort(r.force_n)))[0, 1] > 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_fidgets_are_outside_sets(seed: int) -> None:
    truth = _gen(seed).truth
    assert truth["fidgets"]
    for fd in truth["fidgets"]:
        assert fd["kind"] in FIDGET_KINDS
        assert fd["end_s"] > fd["start_s"] and fd["amplitude_mm"] >= 0.0
        for s in truth["sets"]:
            assert fd["end_s"] <= s["start_s"] - 1.0 or fd["start_s"] >= s["end_s"] + 1.0
    for a, b in itertools.pairwise(sorted(truth["fidgets"], key=lambda x: x["start_s"])):
        assert b["start_s"] >= a["end_s"]


def test_truth_scores_perfectly_against_itself() -> None:
    assert_scores_perfectly(_gen(seed).truth for seed in SEEDS)


def test_stretch_in_about_half_and_partials_a_few_percent() -> None:
    with_stretch = [_gen(seed).stretch_mm is not None for seed in STATS]
    assert 2 <= sum(with_stretch) <= 8
    reps = [r for seed in STATS for r in _gen(seed).truth["reps"]]
    share = float(np.mean([r["partial"] for r in reps]))
    assert 0.01 < share < 0.15


def test_sets_to_failure_fade_and_end_with_failed_attempts() -> None:
    fail_sets = ended = slower = 0
    for seed in STATS:
        truth = _gen(seed).truth
        for s in truth["sets"]:
            own = _reps_of(truth, s["index"])
            if not s["to_failure"]:
                if s["kind"] == "reps":
                    assert s["exercise"] != "sidelying_hip_er"
                continue
            fail_sets += 1
            ended += int(own[-1]["partial"])  # it ends with a failed attempt
            full = [r for r in own if not r["partial"]]
            if len(full) >= 8:
                k = len(full) // 3
                first = np.mean([r["range_mm"] for r in full[:k]])
                last = np.mean([r["range_mm"] for r in full[-k:]])
                assert last < first  # the range shrinks
                slower += int(np.mean([r["concentric_s"] for r in full[-k:]])
                              > np.mean([r["concentric_s"] for r in full[:k]]))
    assert fail_sets >= 5 and slower >= 3 and ended >= 0.8 * fail_sets


def test_pauses_by_exercise() -> None:
    bridge, turns = [], 0
    for seed in STATS:
        truth = _gen(seed).truth
        for r in truth["reps"]:
            ex = truth["sets"][r["set"]]["exercise"]
            if ex == "single_leg_bridge" and not r["partial"]:
                bridge.append(r["pause_s"])
            if r["top_start_s"] == r["top_end_s"]:
                turns += 1
    assert bridge and np.median(bridge) > 0.5  # "pause at the top for a moment"
    assert turns > 20  # reps that turn at the top without a pause exist


def test_breathing_and_tremor_at_the_top_only_when_not_still() -> None:
    for still, lo, hi in ((False, 0.3, 30.0), (True, 0.0, 1e-6)):
        g = _gen(1, 137.0, clean=True, hold=True, stretch=True, still=still)
        assert g.stretch_mm is not None
        for h in g.truth["holds"]:
            m = (g.time_s > h["top_start_s"] + 0.5) & (g.time_s < h["top_end_s"] - 0.5)
            assert lo <= float(np.std(g.stretch_mm[m])) <= hi


def test_faults_on_by_default_and_off_when_clean() -> None:
    gaps = glitches = 0
    for seed in SEEDS[:4]:
        g = _gen(seed)
        gaps += len(g.truth["gaps"])
        glitches += g.truth["metadata"]["faults"]["glitches"]
        for gap in g.truth["gaps"]:
            assert gap["samples"] > 0 and gap["end_s"] >= gap["start_s"]
            inside = (g.time_s > gap["start_s"] + 1e-3) & (g.time_s < gap["end_s"] - 1e-3)
            assert not np.any(inside)
        # isolated outliers: a sample far from both neighbours
        f = g.force_n
        jump = np.minimum(np.abs(f[1:-1] - f[:-2]), np.abs(f[1:-1] - f[2:]))
        assert np.sum(jump > 8.0) >= 1
        # drift and noise: the clean recording differs by more than the band does
        c = _gen(seed, clean=True)
        assert not c.truth["gaps"] and not c.truth["link_drops"]
        assert np.all(np.diff(c.time_s) > 0)
        cf = c.force_n
        assert np.sum(np.minimum(np.abs(cf[1:-1] - cf[:-2]), np.abs(cf[1:-1] - cf[2:]))
                      > 8.0) == 0
    assert gaps > 0 and glitches > 0


def test_pre_tension_changes_and_stretch_ignores_them() -> None:
    changed = 0
    for seed in STATS:
        truth = _gen(seed).truth
        pre = [s["pre_tension_n"] for s in truth["sets"]]
        changed += int(max(pre) - min(pre) > 2.0)
        assert all(p >= 0.0 for p in pre)
    assert changed >= 3


def test_a_200_hz_session_lasts_minutes() -> None:
    # Generation speed is measured by bench/generators_speed.py, not asserted here.
    g = gm.generate(11, gm.GenConfig(rate_hz=200.0))
    assert len(g.time_s) > 200.0 * 60 * 5
