"""Sanity of the ninth independent model (gen_model_i) itself, not of the analysis."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.analysis import gen_model_i as gm
from tests.analysis.truth_checks import (
    assert_deterministic,
    assert_holds_are_hold_sets,
    assert_rep_truth_is_consistent,
    assert_scores_perfectly,
    assert_sets_hold_their_reps,
    assert_sets_where_the_clean_recording_has_them,
    assert_time_axis,
    assert_truth_moves_with_the_axis,
    cached_generator,
    events_still_between,
    outliers,
    quiet_mask,
    reps_of,
)

SEEDS = tuple(range(6))
STATS = tuple(range(8))  # for the statistics (same recordings as the other tests)


_gen = cached_generator(gm)


def test_via_point_paths_are_monotone_flat_ended_and_smooth() -> None:
    rng = np.random.default_rng(0)
    u = np.linspace(0.0, 1.0, 2001)
    for m in (3, 4):
        for n_via in (0, 1, 2):
            for _ in range(10):
                p = gm._via_path(rng, m, n_via, 0.25)
                y = p(u)
                assert y[0] == 0.0 and y[-1] == 1.0
                assert np.all(np.diff(y) >= -1e-10)
                v = p.velocity(u)
                assert abs(v[0]) < 1e-9 and abs(v[-1]) < 1e-6
                # continuous velocity and acceleration across the via points
                assert np.max(np.abs(np.diff(v))) < 0.05
    # minimum snap approaches the ends more flatly than minimum jerk
    jerk, snap = gm._ViaPath(3, []), gm._ViaPath(4, [])
    e = np.array([0.05])
    assert snap(e)[0] < jerk(e)[0] and 1.0 - snap(1.0 - e)[0] < 1.0 - jerk(1.0 - e)[0]
    # a non-hesitant path keeps moving through the middle of the phase
    for _ in range(20):
        v = gm._via_path(rng, 3, 2, 0.3, 0.25).velocity(np.linspace(0.25, 0.75, 201))
        assert float(np.min(v)) >= 0.25
    # a via point is passed exactly
    p = gm._ViaPath(3, [(0.4, 0.2)])
    assert p(np.array([0.4]))[0] == pytest.approx(0.2, abs=1e-9)


def test_three_compartment_fatigue_closed_form() -> None:
    f = gm._Fatigue(f_rate=0.02, r_rate=0.01, rest_boost=3.0)
    f.run("left", 0.4, 30.0)
    ss = 0.02 * 0.4 / 0.01
    assert f.mf["left"] == pytest.approx(ss * (1.0 - np.exp(-0.3)))
    assert f.mf["right"] == 0.0
    before = f.mf["left"]
    f.run("left", 0.0, 20.0, rest=True)
    assert f.mf["left"] == pytest.approx(before * np.exp(-0.6))
    assert 0.0 < f.level("left", 0.4) < 1.0


def test_deterministic_per_seed_and_config() -> None:
    assert_deterministic(lambda seed: gm.generate(seed, gm.GenConfig(rate_hz=20.0)))


@pytest.mark.parametrize("rate", [20.0, 137.0])
def test_time_axis_irregular_monotonic_at_the_configured_rate(rate: float) -> None:
    # scheduling jitter: irregular intervals around the nominal period
    assert_time_axis(_gen(1, rate), rate, jitter_sd_min=5e-5, rate_tol=0.05, minutes=(5.0, 35.0))
    clean = _gen(1, rate, clean=True, hold=True, stretch=True, still=True)
    assert np.allclose(np.diff(clean.time_s), 1.0 / rate, rtol=0.0, atol=1e-6)


def test_truth_is_on_the_recordings_own_axis() -> None:
    a = _gen(2, 50.0, clean=True, offset=0.0)
    assert_truth_moves_with_the_axis(a, _gen(2, 50.0, clean=True, offset=1234.5), 1234.5)
    # not clean: the truth follows the host's mapping of the device clock; the sets sit
    # where the clean recording of the same session has them (within the clock error)
    g = _gen(2, 50.0, offset=0.0)
    assert_sets_where_the_clean_recording_has_them(g, a, 0.06)


@pytest.mark.parametrize("seed", SEEDS)
def test_truth_is_consistent(seed: int) -> None:
    truth = _gen(seed).truth
    assert_rep_truth_is_consistent(truth)
    for r in truth["reps"]:
        assert r["peak_force_n"] > 0.0
    assert_sets_hold_their_reps(truth, gm.EXERCISES)


@pytest.mark.parametrize("seed", [0, 1])
def test_holds_are_hold_sets_only(seed: int) -> None:
    # Holds while blowing up a balloon: several breaths.
    assert_holds_are_hold_sets(_gen(seed, 50.0, hold=True).truth,
                               _gen(seed, 50.0, hold=False).truth, longest_s=90.0)


@pytest.mark.parametrize(("seed", "rate"), [(1, 137.0), (2, 200.0)])
def test_clean_movement_at_truth_instants(seed: int, rate: float) -> None:
    g = _gen(seed, rate, clean=True, hold=True, stretch=True, still=True, ideal=True)
    assert g.stretch_mm is not None
    t, e, f = g.time_s, g.stretch_mm, g.force_n
    h = gm.DT  # rendered on the internal grid, sampled between its points
    for r, rng_mm, el in events_still_between(g, h, 5.0):
        # leaving gently (zero velocity at the onset), moving by mid-concentric
        assert el(r["start_s"] + 0.02) - el(r["start_s"]) < 0.05 * rng_mm
        mid = 0.5 * (r["start_s"] + r["top_start_s"])
        assert el(mid) - el(r["start_s"]) > 0.02 * rng_mm
        # the elongation and the (ideal band's) force rise through the concentric phase
        m = (t > r["start_s"]) & (t < r["top_start_s"])
        assert np.all(np.diff(e[m]) >= -1e-9) and np.all(np.diff(f[m]) >= -1e-9)
        m = (t > r["top_end_s"]) & (t < r["end_s"])
        assert np.all(np.diff(f[m]) <= 1e-9)  # and fall through the eccentric
        if r["top_end_s"] > r["top_start_s"]:  # still at the top for the whole pause
            top = e[(t >= r["top_start_s"]) & (t <= r["top_end_s"])]
            assert np.ptp(top) < 1e-6 * max(rng_mm, 1.0) + 1e-6
            assert el(r["top_start_s"] - 0.02) < el(r["top_start_s"])
            assert el(r["top_end_s"] + 0.02) < el(r["top_end_s"])
        else:  # a turn: the top of the movement
            top_v = el(r["top_start_s"])
            assert top_v >= float(np.max(e[(t >= r["start_s"]) & (t <= r["end_s"])])) - 0.01
            assert top_v > el(r["top_start_s"] - 0.1) and top_v > el(r["top_start_s"] + 0.1)
        if r["range_mm"] is not None:
            assert rng_mm == pytest.approx(r["range_mm"], abs=0.01 * r["range_mm"] + 0.1)
        if not r["partial"]:
            assert np.interp(r["top_start_s"], t, f) > np.interp(r["start_s"], t, f) + 1.0
    assert np.all(f >= 0.0)  # a band cannot push


def test_fibre_bundle_band_and_kww_hysteresis() -> None:
    g = _gen(5, 50.0, clean=True, stretch=True, ideal=True, still=True)
    assert g.stretch_mm is not None
    order = np.argsort(g.stretch_mm, kind="stable")
    f = g.force_n[order]
    assert np.all(np.diff(f) >= -1e-9)  # monotone in the elongation
    assert f[-1] > f[len(f) // 2] > 0.0
    # toe region: the bundle stiffens as threads are recruited
    band = gm._band(np.random.default_rng(1))
    e = np.linspace(0.0, 0.4 * band.length, 400)
    fe = band.elastic(e)
    slope = np.diff(fe)
    assert fe[0] == 0.0 and slope[5] < slope[len(slope) // 3]
    assert np.all(band.elastic(np.array([-10.0, 0.0])) == 0.0)
    # the viscoelastic band: loading above unloading at the same elongation
    r = _gen(5, 50.0, clean=True, stretch=True, still=True)
    assert r.stretch_mm is not None and np.array_equal(r.stretch_mm, g.stretch_mm)
    d = r.force_n - g.force_n
    load, unload = [], []
    for rep in r.truth["reps"]:
        if rep["partial"]:
            continue
        t = r.time_s
        load.append(float(np.mean(d[(t > rep["start_s"]) & (t < rep["top_start_s"])])))
        unload.append(float(np.mean(d[(t > rep["top_end_s"]) & (t < rep["end_s"])])))
    assert np.mean(np.array(load) > np.array(unload)) > 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_fidgets_are_outside_sets(seed: int) -> None:
    truth = _gen(seed).truth
    assert truth["fidgets"]
    kinds = {fd["kind"] for fd in truth["fidgets"]}
    assert kinds <= set(gm.FIDGET_KINDS)
    for fd in truth["fidgets"]:
        assert fd["end_s"] > fd["start_s"] and fd["amplitude_mm"] >= 0.0
        for s in truth["sets"]:
            assert fd["end_s"] <= s["start_s"] - 1.0 or fd["start_s"] >= s["end_s"] + 1.0
    for a, b in itertools.pairwise(sorted(truth["fidgets"], key=lambda x: x["start_s"])):
        assert b["start_s"] >= a["end_s"]
    # a change of posture (another exercise's posture, turning over) comes with a rollover
    sets = truth["sets"]
    for a, b in itertools.pairwise(sets):
        if gm._posture_of(a["exercise"], a["side"]) != gm._posture_of(b["exercise"],
                                                                       b["side"]):
            assert any(fd["kind"] == "rollover" and a["end_s"] < fd["start_s"] < b["start_s"]
                       for fd in truth["fidgets"])
    bare = gm.generate(seed, gm.GenConfig(rate_hz=20.0, extra={"no_fidgets": True}))
    assert not bare.truth["fidgets"]


def test_fidget_kinds_all_occur() -> None:
    kinds = {fd["kind"] for seed in STATS for fd in _gen(seed).truth["fidgets"]}
    assert kinds == set(gm.FIDGET_KINDS)


def test_truth_scores_perfectly_against_itself() -> None:
    assert_scores_perfectly(_gen(seed).truth for seed in SEEDS)


def test_stretch_in_about_half_and_partials_a_few_percent() -> None:
    with_stretch = [_gen(seed).stretch_mm is not None for seed in STATS]
    assert 2 <= sum(with_stretch) <= 6
    reps = [r for seed in STATS for r in _gen(seed).truth["reps"]]
    share = float(np.mean([r["partial"] for r in reps]))
    assert 0.01 < share < 0.15


def test_session_structure() -> None:
    formats = set()
    for seed in STATS:
        truth = _gen(seed).truth
        meta = truth["metadata"]
        formats.add(meta["format"])
        exs = meta["exercises"]
        assert 2 <= len(exs) <= 4 and len(set(exs)) == len(exs)
        assert {s["exercise"] for s in truth["sets"]} == set(exs)
        for name in exs:
            sides = [s["side"] for s in truth["sets"] if s["exercise"] == name]
            assert sides.count("left") == sides.count("right")
        blocks = [k for k, _ in itertools.groupby(s["exercise"] for s in truth["sets"])]
        if meta["format"] == "straight":
            assert len(blocks) == len(exs)
            sl = [s["side"] for s in truth["sets"] if s["exercise"] == "sidelying_hip_er"]
            assert sum(a != b for a, b in itertools.pairwise(sl)) <= 1  # turn over once
        else:  # rounds: each exercise comes back
            assert len(blocks) > len(exs)
    assert formats == {"straight", "circuit"}


def test_sets_to_failure_fade_and_end_with_failed_attempts() -> None:
    fail_sets = ended = slower = shrinks = 0
    pairs = fewer = 0
    for seed in range(12):
        truth = _gen(seed).truth
        sets = truth["sets"]
        for s in sets:
            own = reps_of(truth, s["index"])
            if not s["to_failure"]:
                if s["kind"] == "reps":
                    assert s["exercise"] != "sidelying_hip_er"
                continue
            fail_sets += 1
            ended += int(own[-1]["partial"])
            full = [r for r in own if not r["partial"]]
            if len(full) >= 8:
                k = len(full) // 3
                shrinks += int(np.mean([r["range_mm"] for r in full[-k:]])
                               < np.mean([r["range_mm"] for r in full[:k]]))
                slower += int(np.mean([r["concentric_s"] for r in full[-k:]])
                              > np.mean([r["concentric_s"] for r in full[:k]]))
        if truth["metadata"]["format"] == "straight":  # consecutive sets of a side
            for a, b in itertools.pairwise(sets):
                if a["to_failure"] and b["to_failure"] and a["side"] == b["side"]:
                    pairs += 1
                    fewer += int(b["rep_count"] < a["rep_count"])
    assert fail_sets >= 6 and ended == fail_sets
    assert shrinks >= 0.8 * fail_sets - 1 and slower >= 0.6 * fail_sets
    assert pairs >= 2 and fewer >= 0.7 * pairs


def test_pauses_by_exercise() -> None:
    bridge, turns = [], 0
    for seed in STATS:
        truth = _gen(seed).truth
        for r in truth["reps"]:
            ex = truth["sets"][r["set"]]["exercise"]
            if ex == "single_leg_bridge" and not r["partial"]:
                bridge.append(r["pause_s"])
                assert r["pause_s"] > 0.2
            if r["top_start_s"] == r["top_end_s"]:
                turns += 1
    assert bridge and np.median(bridge) > 0.5  # "pause at the top for a moment"
    assert turns > 20  # reps that turn at the top without a pause exist


def test_breathing_and_tremor_only_when_not_still() -> None:
    for still, lo, hi in ((False, 0.2, 30.0), (True, 0.0, 1e-6)):
        g = _gen(1, 137.0, clean=True, hold=True, stretch=True, still=still)
        assert g.stretch_mm is not None
        for h in g.truth["holds"]:
            m = (g.time_s > h["top_start_s"] + 0.5) & (g.time_s < h["top_end_s"] - 0.5)
            assert lo <= float(np.std(g.stretch_mm[m])) <= hi
        if still:
            continue
        t, e = g.time_s, g.stretch_mm
        r = max((x for x in g.truth["reps"] if x["pause_s"] > 1.0),
                key=lambda x: x["pause_s"], default=None)
        assert r is not None
        seg = e[(t > r["top_start_s"] + 0.1) & (t < r["top_end_s"] - 0.1)]
        seg = seg - np.polyval(np.polyfit(np.arange(len(seg)), seg, 3), np.arange(len(seg)))
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        fr = np.fft.rfftfreq(len(seg), 1.0 / 137.0)
        assert np.sum(spec[(fr > 7.0) & (fr < 14.0)] ** 2) > np.sum(
            spec[(fr > 20.0) & (fr < 40.0)] ** 2)
        # breathing in the rests moves the leg a little
        quiet = quiet_mask(g, 3.0)
        assert float(np.ptp(e[quiet][:2000])) > 0.05


def test_faults_on_by_default_and_off_when_clean() -> None:
    gaps = spikes = drifted = drops = 0
    for seed in SEEDS[:4]:
        g = _gen(seed)
        gaps += len(g.truth["gaps"])
        drops += len(g.truth["link_drops"])
        faults = g.truth["metadata"]["faults"]
        spikes += faults["glitches"] + faults["bounces"]
        for gap in g.truth["gaps"]:
            assert gap["samples"] > 0 and gap["end_s"] >= gap["start_s"]
            inside = (g.time_s > gap["start_s"] - 1e-6) & (g.time_s < gap["end_s"] + 1e-6)
            assert not np.any(inside)
        assert outliers(g.force_n, 8.0) >= 1
        c = _gen(seed, clean=True)
        assert not c.truth["gaps"] and not c.truth["link_drops"]
        assert outliers(c.force_n, 8.0) == 0
        # noise and quantisation: the force at rest is not smooth unless clean
        assert np.median(np.abs(np.diff(g.force_n, 2))) > 0.0
        # drift (creep, the pad warming): the reading at rest wanders against the band
        quiet = quiet_mask(g)
        err = (g.force_n - np.interp(g.time_s, c.time_s, c.force_n))[quiet]
        third = len(err) // 3
        drifted += int(abs(np.median(err[-third:]) - np.median(err[:third])) > 0.05)
    assert gaps > 0 and spikes > 0 and drops > 0 and drifted >= 3


def test_stretch_is_an_imu_that_misses_band_changes() -> None:
    g = _gen(3, 50.0, stretch=True)
    c = _gen(3, 50.0, stretch=True, clean=True)
    assert g.stretch_mm is not None and c.stretch_mm is not None
    ce = np.interp(g.time_s, c.time_s, c.stretch_mm)
    # it follows the movement...
    assert np.corrcoef(g.stretch_mm, ce)[0, 1] > 0.8
    assert np.allclose(g.stretch_mm, np.round(g.stretch_mm, 1))
    # ...but not the exact elongation: bias, posture offsets and unseen pre-stretch changes
    assert float(np.median(np.abs(g.stretch_mm - ce))) > 0.5


def test_a_200_hz_session_lasts_minutes() -> None:
    # Generation speed is measured by bench/generators_speed.py, not asserted here.
    g = gm.generate(11, gm.GenConfig(rate_hz=200.0))
    assert len(g.time_s) > 200.0 * 60 * 5
