"""Sanity of the eighth independent model (gen_model_h) itself, not of the analysis."""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from tests.analysis import gen_model_h as gm
from tests.analysis.truth_checks import assert_scores_perfectly, assert_sets_hold_their_reps

SEEDS = tuple(range(6))
STATS = tuple(range(8))  # for the statistics (same recordings as the other tests)
POSTURE_RANK = {"side": 0, "supine": 1, "quad": 2}


@lru_cache(maxsize=64)
def _gen(seed: int, rate: float = 50.0, clean: bool = False, hold: bool | None = None,
         stretch: bool | None = None, still: bool = False, ideal: bool = False,
         offset: float | None = None) -> gm.Generated:
    extra: dict[str, Any] = {}
    if clean:
        extra["clean"] = True
    if still:
        extra["still"] = True
    if ideal:
        extra["ideal_band"] = True
    cfg = gm.GenConfig(rate_hz=rate, hold_exercise=hold, has_stretch=stretch,
                       time_offset_s=offset, extra=extra)
    return gm.generate(seed, cfg)


def _reps_of(truth: dict[str, Any], set_index: int) -> list[dict[str, Any]]:
    return [r for r in truth["reps"] if r["set"] == set_index]


def _outliers(f: np.ndarray, thr: float) -> int:
    """Samples far from both neighbours."""
    jump = np.minimum(np.abs(f[1:-1] - f[:-2]), np.abs(f[1:-1] - f[2:]))
    return int(np.sum(jump > thr))


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
def test_time_axis_on_rtc_ticks_at_the_configured_rate(rate: float) -> None:
    g = _gen(1, rate)
    t = g.time_s
    dt = np.diff(t)
    assert t.dtype == np.float64 and g.force_n.dtype == np.float64
    assert len(t) == len(g.force_n)
    assert np.all(dt > 0.0)
    span = t[-1] - t[0]
    lost = sum(gap["samples"] for gap in g.truth["gaps"])
    assert abs(span * rate / (len(t) - 1 + lost) - 1.0) < 1e-3
    # stamps are whole RTC ticks; intervals alternate between two tick counts
    ticks = (t - t[0]) * gm.RTC_HZ
    assert np.max(np.abs(ticks - np.round(ticks))) < 0.02
    per = gm.RTC_HZ / rate
    steps = np.round(dt * gm.RTC_HZ)[dt < 1.5 / rate]
    assert set(np.unique(steps).tolist()) == {np.floor(per), np.ceil(per)}
    minutes = span / 60.0
    assert 5.0 < minutes < 25.0
    assert np.all(np.isfinite(g.force_n))
    clean = _gen(1, rate, clean=True, hold=True, stretch=True, still=True)
    assert np.allclose(np.diff(clean.time_s), 1.0 / rate, rtol=0.0, atol=1e-6)


def test_truth_is_on_the_recordings_own_axis() -> None:
    a = _gen(2, 50.0, clean=True, offset=0.0)
    b = _gen(2, 50.0, clean=True, offset=1234.5)
    assert a.time_s[0] == 0.0 and b.time_s[0] == pytest.approx(1234.5)
    assert np.allclose(b.time_s - a.time_s, 1234.5)
    for key in ("start_s", "top_start_s", "top_end_s", "end_s"):
        da = np.array([r[key] for r in a.truth["reps"]])
        db = np.array([r[key] for r in b.truth["reps"]])
        assert np.allclose(db - da, 1234.5)
    assert b.truth["metadata"]["time_offset_s"] == 1234.5
    # not clean: the truth follows the device clock (ppm) that stamps the samples
    g = _gen(2, 50.0)
    r = g.truth["reps"][len(g.truth["reps"]) // 2]
    assert g.time_s[0] <= r["start_s"] <= g.time_s[-1]


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
        assert s["kind"] == "reps" and r["side"] == s["side"]
        assert s["start_s"] - 1e-9 <= r["start_s"] and r["end_s"] <= s["end_s"] + 1e-9
    for a, b in itertools.pairwise(sets):
        assert b["start_s"] - a["end_s"] >= 10.0  # sets do not overlap: rests between
    assert_sets_hold_their_reps(truth, gm.EXERCISES)


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
        assert 10.0 < h["duration_s"] < 80.0  # several balloon breaths
        assert s["start_s"] == h["start_s"] and s["end_s"] == h["end_s"]
        assert h["mean_force_n"] > s["pre_tension_n"]
    assert len(holds) == sum(s["kind"] == "hold" for s in truth["sets"])
    sides = [h["side"] for h in holds]
    assert all(a != b for a, b in itertools.pairwise(sides))  # sides alternate
    no_hold = _gen(seed, 50.0, hold=False).truth
    assert not no_hold["holds"] and all(s["kind"] == "reps" for s in no_hold["sets"])


@pytest.mark.parametrize(("seed", "rate"), [(1, 137.0), (2, 200.0)])
def test_clean_movement_at_truth_instants(seed: int, rate: float) -> None:
    g = _gen(seed, rate, clean=True, hold=True, stretch=True, still=True)
    assert g.stretch_mm is not None
    t, e, f = g.time_s, g.stretch_mm, g.force_n

    def el(x: float) -> float:
        return float(np.interp(x, t, e))

    events = list(g.truth["reps"]) + [{**x, "partial": False, "range_mm": None}
                                      for x in g.truth["holds"]]
    events.sort(key=lambda x: x["start_s"])
    for k, r in enumerate(events):
        m = (t >= r["start_s"]) & (t <= r["end_s"])
        rng_mm = el(r["top_start_s"]) - el(r["start_s"])
        assert rng_mm > 5.0
        # at rest (no motion at all: still) from the previous end to the start and from
        # the end to the next start
        prev_end = events[k - 1]["end_s"] if k else r["start_s"] - 0.5
        next_start = events[k + 1]["start_s"] if k + 1 < len(events) else r["end_s"] + 0.5
        h = gm.DT  # the movement is rendered on the internal grid, sampled between its points
        before = e[(t >= max(prev_end, r["start_s"] - 0.5) + h) & (t <= r["start_s"] - h)]
        after = e[(t >= r["end_s"] + h) & (t <= min(next_start, r["end_s"] + 0.5) - h)]
        assert len(before) == 0 or np.ptp(before) < 1e-9
        assert len(after) == 0 or np.ptp(after) < 1e-9
        assert r["start_s"] - prev_end < 1.5 / rate + 2 * h or len(before) > 0
        # leaving gently (zero velocity at the onset), moving by mid-concentric
        assert el(r["start_s"] + 0.02) - el(r["start_s"]) < 0.05 * rng_mm
        mid = 0.5 * (r["start_s"] + r["top_start_s"])
        assert el(mid) - el(r["start_s"]) > 0.02 * rng_mm
        if r["top_end_s"] > r["top_start_s"]:  # still at the top for the whole pause
            top = e[(t >= r["top_start_s"]) & (t <= r["top_end_s"])]
            assert np.ptp(top) < 1e-6 * max(rng_mm, 1.0) + 1e-6
            assert el(r["top_start_s"] - 0.02) < el(r["top_start_s"])
            assert el(r["top_end_s"] + 0.02) < el(r["top_end_s"])
        else:  # a turn: the top of the movement
            top = el(r["top_start_s"])
            assert top >= float(np.max(e[m])) - 0.01 * rng_mm
            assert top > el(r["top_start_s"] - 0.1) and top > el(r["top_start_s"] + 0.1)
        if r["range_mm"] is not None:
            assert rng_mm == pytest.approx(r["range_mm"], abs=0.01 * r["range_mm"] + 0.1)
        if not r["partial"]:
            assert np.interp(r["top_start_s"], t, f) > np.interp(r["start_s"], t, f) + 1.0
    assert np.all(f >= 0.0)  # a band cannot push


def test_force_rises_with_elongation_and_the_band_has_hysteresis() -> None:
    g = _gen(5, 50.0, clean=True, stretch=True, ideal=True, still=True)
    assert g.stretch_mm is not None
    order = np.argsort(g.stretch_mm, kind="stable")
    f = g.force_n[order]
    assert np.all(np.diff(f) >= -1e-9)
    assert f[-1] > f[len(f) // 2] > 0.0
    # the viscoelastic band: same session, loading above unloading at the same elongation
    r = _gen(5, 50.0, clean=True, stretch=True, still=True)
    assert r.stretch_mm is not None and np.array_equal(r.stretch_mm, g.stretch_mm)
    assert np.corrcoef(np.argsort(np.argsort(r.stretch_mm)),
                       np.argsort(np.argsort(r.force_n)))[0, 1] > 0.8
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
    # a change of posture (another exercise, turning over) comes with a "posture" fidget
    sets = truth["sets"]
    for a, b in itertools.pairwise(sets):
        if a["exercise"] != b["exercise"] and (gm.EXERCISES[a["exercise"]].posture
                                               != gm.EXERCISES[b["exercise"]].posture):
            assert any(fd["kind"] == "posture" and a["end_s"] < fd["start_s"] < b["start_s"]
                       for fd in truth["fidgets"])
    bare = gm.generate(seed, gm.GenConfig(rate_hz=20.0, extra={"no_fidgets": True}))
    assert not bare.truth["fidgets"]


def test_truth_scores_perfectly_against_itself() -> None:
    assert_scores_perfectly(_gen(seed).truth for seed in SEEDS)


def test_stretch_in_about_half_and_partials_a_few_percent() -> None:
    with_stretch = [_gen(seed).stretch_mm is not None for seed in STATS]
    assert 2 <= sum(with_stretch) <= 6
    reps = [r for seed in STATS for r in _gen(seed).truth["reps"]]
    share = float(np.mean([r["partial"] for r in reps]))
    assert 0.01 < share < 0.15


def test_session_follows_posture_flow_and_sides() -> None:
    for seed in STATS:
        truth = _gen(seed).truth
        exs = [k for k, _ in itertools.groupby(s["exercise"] for s in truth["sets"])]
        assert len(exs) == len(set(exs)) == len(truth["metadata"]["exercises"])
        assert 2 <= len(exs) <= 4
        ranks = [POSTURE_RANK[gm.EXERCISES[x].posture] for x in exs]
        assert ranks == sorted(ranks) or ranks == sorted(ranks, reverse=True)
        for name in exs:
            sides = [s["side"] for s in truth["sets"] if s["exercise"] == name]
            assert sides.count("left") == sides.count("right")
            if name == "sidelying_hip_er":  # blocked: turn over once
                assert sum(a != b for a, b in itertools.pairwise(sides)) == 1
            if name == "single_leg_bridge":  # legs alternate
                assert all(a != b for a, b in itertools.pairwise(sides))


def test_sets_to_failure_fade_and_end_with_failed_attempts() -> None:
    fail_sets = ended = slower = fewer = pairs = 0
    for seed in STATS:
        truth = _gen(seed).truth
        counts: dict[str, list[int]] = {}
        for s in truth["sets"]:
            own = _reps_of(truth, s["index"])
            if not s["to_failure"]:
                if s["kind"] == "reps":
                    assert s["exercise"] != "sidelying_hip_er"
                continue
            fail_sets += 1
            ended += int(own[-1]["partial"])  # it ends with a failed attempt
            counts.setdefault(s["side"], []).append(s["rep_count"])
            full = [r for r in own if not r["partial"]]
            if len(full) >= 8:
                k = len(full) // 3
                first = np.mean([r["range_mm"] for r in full[:k]])
                last = np.mean([r["range_mm"] for r in full[-k:]])
                assert last < first  # the range shrinks
                slower += int(np.mean([r["concentric_s"] for r in full[-k:]])
                              > np.mean([r["concentric_s"] for r in full[:k]]))
        for c in counts.values():  # W' not fully recovered: later sets are shorter
            for a, b in itertools.pairwise(c):
                pairs += 1
                fewer += int(b < a)
    assert fail_sets >= 5 and slower >= 3 and ended == fail_sets
    assert pairs == 0 or fewer >= 0.7 * pairs


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


def test_breathing_and_tremor_at_the_top_only_when_not_still() -> None:
    for still, lo, hi in ((False, 0.3, 30.0), (True, 0.0, 1e-6)):
        g = _gen(1, 137.0, clean=True, hold=True, stretch=True, still=still)
        assert g.stretch_mm is not None
        for h in g.truth["holds"]:
            m = (g.time_s > h["top_start_s"] + 0.5) & (g.time_s < h["top_end_s"] - 0.5)
            assert lo <= float(np.std(g.stretch_mm[m])) <= hi
        if not still:  # tremor (8-12 Hz) is in the spectrum of the top of the reps
            t, e = g.time_s, g.stretch_mm
            r = max((x for x in g.truth["reps"] if x["pause_s"] > 1.0),
                    key=lambda x: x["pause_s"], default=None)
            if r is not None:
                seg = e[(t > r["top_start_s"] + 0.1) & (t < r["top_end_s"] - 0.1)]
                seg = seg - np.polyval(np.polyfit(np.arange(len(seg)), seg, 3),
                                       np.arange(len(seg)))
                spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
                fr = np.fft.rfftfreq(len(seg), 1.0 / 137.0)
                assert np.sum(spec[(fr > 7.5) & (fr < 13.0)] ** 2) > np.sum(
                    spec[(fr > 20.0) & (fr < 40.0)] ** 2)


def test_faults_on_by_default_and_off_when_clean() -> None:
    gaps = spikes = drifted = 0
    for seed in SEEDS[:4]:
        g = _gen(seed)
        gaps += len(g.truth["gaps"])
        faults = g.truth["metadata"]["faults"]
        spikes += faults["knocks"] + faults["bus_errors"]
        for gap in g.truth["gaps"]:
            assert gap["samples"] > 0 and gap["end_s"] >= gap["start_s"]
            inside = (g.time_s > gap["start_s"] - 1e-6) & (g.time_s < gap["end_s"] + 1e-6)
            assert not np.any(inside)
        assert _outliers(g.force_n, 8.0) >= 1
        c = _gen(seed, clean=True)
        assert not c.truth["gaps"] and not c.truth["link_drops"]
        assert np.all(np.diff(c.time_s) > 0)
        assert _outliers(c.force_n, 8.0) == 0
        # noise and quantisation: the force at rest is not smooth unless clean
        assert np.median(np.abs(np.diff(g.force_n, 2))) > 0.0
        # drift: the sensor warms up on the skin, so the error at rest changes slowly
        quiet = np.ones(len(g.time_s), dtype=bool)
        for x in g.truth["sets"] + g.truth["fidgets"]:
            quiet &= (g.time_s < x["start_s"] - 2.0) | (g.time_s > x["end_s"] + 2.0)
        err = (g.force_n - np.interp(g.time_s, c.time_s, c.force_n))[quiet]
        third = len(err) // 3
        drifted += int(abs(np.median(err[-third:]) - np.median(err[:third])) > 0.1)
    assert gaps > 0 and spikes > 0 and drifted >= 3


def test_stretch_counter_is_coarser_at_high_rates() -> None:
    errs = {}
    for rate in (20.0, 200.0):
        g = _gen(0, rate, stretch=True)
        assert g.stretch_mm is not None
        quiet = np.ones(len(g.time_s), dtype=bool)
        for x in g.truth["sets"] + g.truth["fidgets"]:
            quiet &= (g.time_s < x["start_s"] - 2.0) | (g.time_s > x["end_s"] + 2.0)
        steps = np.abs(np.diff(g.stretch_mm))[quiet[1:] & quiet[:-1]]
        errs[rate] = float(np.percentile(steps[steps > 0], 25))
    assert errs[200.0] > 2.0 * errs[20.0]


def test_a_200_hz_session_lasts_minutes() -> None:
    # Generation speed is measured by bench/generators_speed.py, not asserted here.
    g = gm.generate(11, gm.GenConfig(rate_hz=200.0))
    assert len(g.time_s) > 200.0 * 60 * 5
