"""Sanity of the sixth independent model (gen_model_f) itself, not of the analysis."""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from tests.analysis import gen_model_f as gm
from tests.analysis.truth_checks import assert_scores_perfectly

SEEDS = tuple(range(8))
FIDGET_KINDS = {"knock", "shake", "stretch", "roll", "adjust", "reposition", "rest_pause"}


@lru_cache(maxsize=64)
def _gen(seed: int, rate: float = 50.0, clean: bool = False, hold: bool | None = None,
         stretch: bool | None = None, still: bool = False) -> gm.Generated:
    extra: dict[str, Any] = {}
    if clean:
        extra["clean"] = True
    if still:
        extra["still"] = True
    cfg = gm.GenConfig(rate_hz=rate, hold_exercise=hold, has_stretch=stretch, extra=extra)
    return gm.generate(seed, cfg)


def _reps_of(truth: dict[str, Any], set_index: int) -> list[dict[str, Any]]:
    return [r for r in truth["reps"] if r["set"] == set_index]


def test_deterministic_per_seed_and_config() -> None:
    a = gm.generate(3, gm.GenConfig(rate_hz=40.0))
    b = gm.generate(3, gm.GenConfig(rate_hz=40.0))
    assert np.array_equal(a.time_s, b.time_s)
    assert np.array_equal(a.force_n, b.force_n)
    assert (a.stretch_mm is None) == (b.stretch_mm is None)
    if a.stretch_mm is not None and b.stretch_mm is not None:
        assert np.array_equal(a.stretch_mm, b.stretch_mm)
    assert a.truth == b.truth
    c = gm.generate(4, gm.GenConfig(rate_hz=40.0))
    assert len(c.time_s) != len(a.time_s) or not np.array_equal(c.force_n, a.force_n)


@pytest.mark.parametrize("rate", [20.0, 100.0, 200.0])
def test_time_axis_non_decreasing_at_the_configured_rate(rate: float) -> None:
    g = _gen(1, rate)
    dt = np.diff(g.time_s)
    assert g.time_s.dtype == np.float64 and g.force_n.dtype == np.float64
    assert len(g.time_s) == len(g.force_n)
    assert np.all(dt >= 0.0)
    assert abs(float(np.median(dt)) * rate - 1.0) < 0.06
    minutes = (g.time_s[-1] - g.time_s[0]) / 60.0
    assert 4.0 < minutes < 22.0
    assert np.all(np.isfinite(g.force_n))
    clean = _gen(1, rate, clean=True)
    assert np.allclose(np.diff(clean.time_s), 1.0 / rate, rtol=0.0, atol=1e-6)  # epoch axes


@pytest.mark.parametrize("seed", SEEDS)
def test_truth_is_consistent(seed: int) -> None:
    truth = _gen(seed).truth
    sets, reps = truth["sets"], truth["reps"]
    assert sets and [s["index"] for s in sets] == list(range(len(sets)))
    assert [r["index"] for r in reps] == list(range(len(reps)))
    starts = [r["start_s"] for r in reps]
    assert starts == sorted(starts)
    for r in reps:
        assert r["start_s"] <= r["top_start_s"] <= r["top_end_s"] <= r["end_s"]
        assert r["concentric_s"] == pytest.approx(r["top_start_s"] - r["start_s"], abs=1e-9)
        assert r["pause_s"] == pytest.approx(r["top_end_s"] - r["top_start_s"], abs=1e-9)
        assert r["eccentric_s"] == pytest.approx(r["end_s"] - r["top_end_s"], abs=1e-9)
        total = r["concentric_s"] + r["pause_s"] + r["eccentric_s"]
        assert total == pytest.approx(r["end_s"] - r["start_s"], abs=1e-9)
        assert r["concentric_s"] > 0.2 and r["eccentric_s"] > 0.2
        s = sets[r["set"]]
        assert s["kind"] == "reps"
        assert s["start_s"] - 1e-9 <= r["start_s"] and r["end_s"] <= s["end_s"] + 1e-9
    for a, b in itertools.pairwise(sets):
        assert b["start_s"] - a["end_s"] >= 10.0
    rest_pauses = [f for f in truth["fidgets"] if f["kind"] == "rest_pause"]
    for s in sets:
        assert s["side"] in ("left", "right") and s["exercise"] in gm.EXERCISES
        own = _reps_of(truth, s["index"])
        if s["kind"] == "hold":
            assert not own
            continue
        assert own[0]["start_s"] == s["start_s"] and own[-1]["end_s"] == s["end_s"]
        assert s["rep_count"] == sum(not r["partial"] for r in own)
        full = [r["range_mm"] for r in own if not r["partial"]]
        assert len(full) >= 3
        med = float(np.median(full))
        for r in own:
            if r["partial"]:
                assert r["range_mm"] < 0.5 * med
            else:
                assert r["range_mm"] >= 0.5 * med
        for a, b in itertools.pairwise(own):
            gap = b["start_s"] - a["end_s"]
            assert gap >= -1e-9
            if gap >= 3.0:  # only at a listed rest-pause
                assert any(f["start_s"] <= a["end_s"] + 0.05 and f["end_s"] >= b["start_s"] - 0.05
                           for f in rest_pauses)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_holds_are_hold_sets_only(seed: int) -> None:
    truth = _gen(seed, 50.0, hold=True).truth
    holds = truth["holds"]
    assert holds
    for h in holds:
        s = truth["sets"][h["set"]]
        assert s["kind"] == "hold" and s["rep_count"] == 0
        assert s["exercise"] == "table_top_reach"
        assert not _reps_of(truth, h["set"])
        assert h["start_s"] <= h["top_start_s"] <= h["top_end_s"] <= h["end_s"]
        assert h["duration_s"] == pytest.approx(h["top_end_s"] - h["top_start_s"], abs=1e-9)
        assert h["duration_s"] > 8.0  # several breaths
        assert s["start_s"] == h["start_s"] and s["end_s"] == h["end_s"]
    assert len(holds) == sum(s["kind"] == "hold" for s in truth["sets"])
    no_hold = _gen(seed, 50.0, hold=False).truth
    assert not no_hold["holds"] and all(s["kind"] == "reps" for s in no_hold["sets"])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clean_signal_at_truth_instants(seed: int) -> None:
    rate = 200.0
    g = _gen(seed, rate, clean=True, hold=True, stretch=True, still=True)
    assert g.stretch_mm is not None
    t, e, f = g.time_s, g.stretch_mm, g.force_n
    h = 1.0 / rate

    def el(x: float) -> float:
        return float(np.interp(x, t, e))

    def vel(x: float) -> float:
        return (el(x + h) - el(x - h)) / (2 * h)

    events = list(g.truth["reps"]) + [
        {**x, "range_mm": None, "floor_start_mm": 0.0, "floor_end_mm": 0.0, "partial": False}
        for x in g.truth["holds"]]
    assert events
    for r in events:
        m = (t >= r["start_s"]) & (t <= r["end_s"])
        v_peak = float(np.max(np.abs(np.diff(e[m])))) / h
        assert v_peak > 5.0
        for key in ("start_s", "top_start_s", "top_end_s", "end_s"):
            assert abs(vel(r[key])) < 0.03 * v_peak, key
        # at rest (its floor) at the start and at the end
        rest0 = el(r["start_s"]) - r["floor_start_mm"]
        rest1 = el(r["end_s"]) - r["floor_end_mm"]
        assert rest1 == pytest.approx(rest0, abs=0.3)
        # the movement goes up in between
        assert el(0.5 * (r["start_s"] + r["top_start_s"])) > el(r["start_s"])
        if r["range_mm"] is not None:
            assert el(r["top_start_s"]) - el(r["start_s"]) == pytest.approx(r["range_mm"],
                                                                          abs=0.3)
        if not r["partial"]:
            assert np.interp(r["top_start_s"], t, f) > np.interp(r["start_s"], t, f) + 1.0
    assert np.all(f >= 0.0)  # a band cannot push


@pytest.mark.parametrize("seed", SEEDS)
def test_fidgets_are_outside_reps(seed: int) -> None:
    truth = _gen(seed).truth
    reps, sets = truth["reps"], truth["sets"]
    assert truth["fidgets"]
    for fd in truth["fidgets"]:
        assert fd["kind"] in FIDGET_KINDS
        assert fd["end_s"] > fd["start_s"] and fd["amplitude_mm"] >= 0.0
        for r in reps:
            assert fd["end_s"] <= r["start_s"] + 1e-9 or fd["start_s"] >= r["end_s"] - 1e-9
        for s in sets:
            inside = s["start_s"] < fd["start_s"] and fd["end_s"] < s["end_s"]
            if fd["kind"] == "rest_pause":
                continue
            assert not inside
            assert fd["end_s"] <= s["start_s"] - 1.0 or fd["start_s"] >= s["end_s"] + 1.0
        for h in truth["holds"]:
            assert fd["end_s"] <= h["start_s"] or fd["start_s"] >= h["end_s"]


def test_truth_scores_perfectly_against_itself() -> None:
    assert_scores_perfectly(_gen(seed).truth for seed in SEEDS)


def test_stretch_in_about_half_and_partials_a_few_percent() -> None:
    with_stretch = [_gen(seed, 20.0).stretch_mm is not None for seed in range(24)]
    assert 6 <= sum(with_stretch) <= 18
    reps = [r for seed in range(24) for r in _gen(seed, 20.0).truth["reps"]]
    share = float(np.mean([r["partial"] for r in reps]))
    assert 0.01 < share < 0.15


def test_faults_on_by_default_and_off_when_clean() -> None:
    gaps = dups = stuck = 0
    for seed in SEEDS:
        g = _gen(seed)
        gaps += len(g.truth["gaps"])
        dt = np.diff(g.time_s)
        dups += int(np.sum((dt == 0) & (np.diff(g.force_n) == 0)))
        stuck += g.truth["metadata"]["stuck_runs"]
        for gap in g.truth["gaps"]:
            assert gap["samples"] > 0 and gap["end_s"] >= gap["start_s"]
            inside = (g.time_s > gap["start_s"]) & (g.time_s < gap["end_s"])
            assert not np.any(inside)
        c = _gen(seed, clean=True)
        assert not c.truth["gaps"] and not c.truth["link_drops"]
        assert np.all(np.diff(c.time_s) > 0)
    assert gaps > 0 and dups > 0 and stuck > 0
