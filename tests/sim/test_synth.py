"""Synthesis: reproducible, and the truth agrees with the scenario and with the signal."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bandsense.errors import UserError
from firmware_sim.scenario import Scenario, load_scenario, parse_scenario
from firmware_sim.synth import Synthesis, synthesize
from firmware_sim.truth import TruthRep

BUILTINS = ["side_lying_hip_er", "single_leg_bridge", "table_top_reach", "table_top_hip_er"]


@pytest.fixture(scope="module")
def builtin_runs() -> dict[str, Synthesis]:
    # 50 Hz keeps these quick; the timing of the truth does not depend on the rate.
    return {name: synthesize(load_scenario(name), rate_hz=50, seed=7) for name in BUILTINS}


def test_same_seed_same_run(small: Scenario) -> None:
    a = synthesize(small, seed=3)
    b = synthesize(small, seed=3)
    np.testing.assert_array_equal(a.force_n, b.force_n)
    np.testing.assert_array_equal(a.stretch_mm, b.stretch_mm)
    np.testing.assert_array_equal(a.device_time_us, b.device_time_us)
    assert a.truth == b.truth
    np.testing.assert_array_equal(a.dropped_frames(5), b.dropped_frames(5))


def test_other_seed_other_run(small: Scenario) -> None:
    a = synthesize(small, seed=3)
    b = synthesize(small, seed=4)
    assert a.truth.reps[0].start_s != b.truth.reps[0].start_s
    assert not np.array_equal(a.dropped_frames(5), b.dropped_frames(5))


def test_default_seed_and_rate_come_from_scenario(small: Scenario) -> None:
    run = synthesize(small)
    assert run.seed == small.seed
    assert run.rate_hz == small.rate_hz
    assert run.truth.metadata["seed"] == small.seed


def test_uniform_grid_and_clock(small: Scenario) -> None:
    run = synthesize(small, rate_hz=80)
    np.testing.assert_allclose(np.diff(run.time_s), 1 / 80)
    assert run.time_s[0] == 0.0
    assert run.device_time_us.dtype == np.int64
    ppm = run.truth.metadata["models"]["clock"]["drift_ppm"]
    slope = (run.device_time_us[-1] - run.device_time_us[0]) / (run.time_s[-1] * 1e6)
    assert slope == pytest.approx(1 + ppm * 1e-6, abs=2e-9 * 1e3 / run.time_s[-1] + 1e-9)
    assert np.all(np.diff(run.device_time_us) > 0)


def test_bad_rate_and_seed(small: Scenario) -> None:
    with pytest.raises(UserError, match="rate"):
        synthesize(small, rate_hz=0.5)
    with pytest.raises(UserError, match="seed"):
        synthesize(small, seed=-1)


def _check_instants(rep: TruthRep) -> None:
    assert rep.start_s < rep.top_start_s <= rep.top_end_s < rep.end_s
    assert rep.concentric_s == pytest.approx(rep.top_start_s - rep.start_s)
    assert rep.pause_s == pytest.approx(rep.top_end_s - rep.top_start_s)
    assert rep.eccentric_s == pytest.approx(rep.end_s - rep.top_end_s)


@pytest.mark.parametrize("name", BUILTINS)
def test_truth_matches_scenario(builtin_runs: dict[str, Synthesis], name: str) -> None:
    run = builtin_runs[name]
    truth = run.truth
    ex = run.scenario.exercises[0]
    sides = [None if s == "none" else s for s in ex.sides]
    # Set count and sides: every side gets `sets` sets.
    assert len(truth.sets) == ex.sets * len(sides)
    for side in sides:
        assert sum(1 for s in truth.sets if s.side == side) == ex.sets
    assert all(s.kind == ex.kind for s in truth.sets)
    # Sets, reps and holds are in time order and do not overlap.
    ends = [s.start_s for s in truth.sets]
    assert ends == sorted(ends)
    for a, b in zip(truth.sets, truth.sets[1:], strict=False):
        assert a.end_s < b.start_s
    instants = [t for r in truth.reps for t in (r.start_s, r.end_s)]
    assert instants == sorted(instants)
    for rep in truth.reps:
        _check_instants(rep)
        in_set = truth.sets[rep.set]
        assert in_set.start_s <= rep.start_s and rep.end_s <= in_set.end_s
        if not rep.partial:
            # Full reps keep the prescribed tempo ranges (fatigue slows within them).
            c_lo, c_hi = ex.tempo.concentric_s
            e_lo, e_hi = ex.tempo.eccentric_s
            assert c_lo - 1e-9 <= rep.concentric_s <= c_hi + 1e-9
            assert e_lo - 1e-9 <= rep.eccentric_s <= e_hi + 1e-9
            assert rep.pause_s <= ex.tempo.pause_s[1] + 1e-9
            assert rep.pause_s == 0.0 or rep.pause_s >= ex.tempo.pause_s[0] - 1e-9
    for s in truth.sets:
        reps = [r for r in truth.reps if r.set == s.index]
        assert s.rep_count == sum(1 for r in reps if not r.partial)
        assert s.partial_count == sum(1 for r in reps if r.partial)
        if s.kind == "reps" and isinstance(ex.reps, int):
            assert s.rep_count == ex.reps
    assert [r.index for r in truth.reps] == list(range(len(truth.reps)))


def test_sets_to_failure_end_within_capacity(builtin_runs: dict[str, Synthesis]) -> None:
    run = builtin_runs["side_lying_hip_er"]
    ex = run.scenario.exercises[0]
    lo, hi = ex.failure.reps
    counts = [s.rep_count for s in run.truth.sets]
    assert all(s.to_failure for s in run.truth.sets)
    assert all(lo <= c <= hi for c in counts)
    assert len(set(counts)) > 1  # the capacity is drawn per set, not fixed
    for s in run.truth.sets:
        full = [r for r in run.truth.reps if r.set == s.index and not r.partial]
        # Fatigue: the range shrinks and the tempo slows towards failure.
        assert np.mean([r.range_mm for r in full[-3:]]) < np.mean([r.range_mm for r in full[:3]])


def test_pause_about_one_second_for_bridge(builtin_runs: dict[str, Synthesis]) -> None:
    pauses = [r.pause_s for r in builtin_runs["single_leg_bridge"].truth.reps if not r.partial]
    assert 0.75 <= float(np.median(pauses)) <= 1.3


def test_holds_last_several_breaths(builtin_runs: dict[str, Synthesis]) -> None:
    run = builtin_runs["table_top_reach"]
    spec = run.scenario.exercises[0].hold
    assert not run.truth.reps
    assert len(run.truth.holds) == len(run.truth.sets) == 6
    for hold, s in zip(run.truth.holds, run.truth.sets, strict=True):
        assert hold.set == s.index and s.kind == "hold" and s.rep_count == 0
        lo = spec.breaths[0] * spec.breath_period_s[0]
        hi = spec.breaths[1] * spec.breath_period_s[1]
        assert lo - 1e-9 <= hold.duration_s <= hi + 1e-9
        assert hold.duration_s == pytest.approx(hold.top_end_s - hold.top_start_s)
        assert hold.start_s < hold.top_start_s < hold.top_end_s < hold.end_s


def test_displacement_follows_truth_instants(small: Scenario) -> None:
    run = synthesize(small, rate_hz=200)
    x = run.displacement_mm
    for rep in run.truth.reps:
        i0 = int(np.ceil(rep.start_s * 200))
        i1 = int(np.floor(rep.end_s * 200))
        top = run.time_s[i0:i1 + 1]
        seg = x[i0:i1 + 1]
        # At rest (or at its floor) at both ends, its maximum near the top.
        tol = 0.02 * rep.range_mm
        assert seg[0] == pytest.approx(rep.floor_start_mm, abs=tol)
        assert seg[-1] == pytest.approx(rep.floor_end_mm, abs=tol)
        # The maximum is at the top, give or take tremor (<= 1 % of range) and body sway.
        peak_t = top[int(np.argmax(seg))]
        assert rep.top_start_s - 0.15 <= peak_t <= rep.top_end_s + 0.15
        at_top = x[round(rep.top_start_s * 200)]
        assert at_top >= seg.max() - (0.025 * rep.range_mm + 3.0)


def test_some_sets_are_not_fully_released(small_text: str) -> None:
    text = small_text.replace("partial_rep_prob = 0.3", "partial_rep_prob = 0.3\n"
                              "movement = { floor_prob = 1.0, floor = [0.05, 0.1] }", 1)
    run = synthesize(parse_scenario(text), rate_hz=100)
    for s in run.truth.sets[:4]:
        reps = [r for r in run.truth.reps if r.set == s.index]
        assert reps[0].floor_start_mm == 0.0 and reps[-1].floor_end_mm == 0.0
        for before, after in itertools.pairwise(reps):
            assert before.floor_end_mm == after.floor_start_mm > 0
            # Between the two reps the band stays at the floor (plus sway).
            mid = round(0.5 * (before.end_s + after.start_s) * 100)
            assert run.displacement_mm[mid] == pytest.approx(before.floor_end_mm, abs=3.0)


def test_partial_reps_flagged_and_small(small: Scenario) -> None:
    run = synthesize(small)
    partial = [r for r in run.truth.reps if r.partial]
    assert partial  # partial_rep_prob is 0.3 in the small scenario
    for rep in partial:
        full = [r.range_mm for r in run.truth.reps if r.set == rep.set and not r.partial]
        assert rep.range_mm < 0.5 * float(np.median(full))
        peak = [r.peak_force_n for r in run.truth.reps if r.set == rep.set and not r.partial]
        assert rep.peak_force_n < float(np.median(peak))


def test_force_within_physical_range(builtin_runs: dict[str, Synthesis]) -> None:
    for run in builtin_runs.values():
        phys = run.physical_force_n
        assert phys.min() > 0.0  # a band in place is never slack
        assert phys.max() < 200.0
        peaks = [r.peak_force_n for r in run.truth.reps if not r.partial] + [
            h.mean_force_n for h in run.truth.holds
        ]
        assert 25.0 < float(np.median(peaks)) < 130.0
        rest = [s.pre_tension_n for s in run.truth.sets]
        assert all(4.0 <= p <= 21.0 for p in rest)
        # Measured values are quantised to the protocol resolution.
        np.testing.assert_allclose(run.force_n * 100, np.round(run.force_n * 100), atol=1e-6)
        np.testing.assert_allclose(run.stretch_mm * 10, np.round(run.stretch_mm * 10), atol=1e-6)


def test_fidgets_happen_in_rest_and_are_not_reps(small: Scenario) -> None:
    run = synthesize(small, seed=5)
    assert any(f.kind == "tug" for f in run.truth.fidgets)
    assert any(f.kind == "readjust" for f in run.truth.fidgets)  # readjust_prob = 1
    for f in run.truth.fidgets:
        for s in run.truth.sets:
            assert f.end_s < s.start_s or f.start_s > s.end_s
    # The pre-tension changed between sets (re-adjusted band).
    assert len({s.pre_tension_n for s in run.truth.sets}) > 1


def test_profiles_are_varied(builtin_runs: dict[str, Synthesis]) -> None:
    used = {r.concentric_profile for run in builtin_runs.values() for r in run.truth.reps}
    used |= {r.eccentric_profile for run in builtin_runs.values() for r in run.truth.reps}
    assert used == {"minimum_jerk", "cosine", "skewed_minimum_jerk", "trapezoidal",
                    "minimum_snap", "sticking_point"}
