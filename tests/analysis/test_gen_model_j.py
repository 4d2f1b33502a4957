"""Sanity of the tenth independent model (gen_model_j) itself, not of the analysis."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.analysis import gen_model_j as gm
from tests.analysis.truth_checks import (
    assert_band_loads_above_unloading,
    assert_moves_at_truth_instants,
    cached_generator,
    outliers,
    quiet_mask,
    reps_of,
)

SEEDS = tuple(range(6))
STATS = tuple(range(8))  # for the statistics (same recordings as the other tests)


_gen = cached_generator(gm)


def _burst(ag: float = 0.45, ant: float = 0.35, overlap: float = 0.0, ag2: float = 0.0,
           hesitate: bool = False) -> gm._Burst:
    return gm._Burst(ag, ant, overlap, ag2, hesitate, 0.2, 1.8, 2.2)


def test_burst_driven_phases_are_monotone_flat_ended_and_smooth() -> None:
    rng = np.random.default_rng(0)
    u = np.linspace(0.0, 1.0, gm._M)
    kinds = [_burst(), _burst(0.3, 0.5), _burst(0.2, 0.2), _burst(overlap=0.15),
             _burst(overlap=0.1, ag2=0.15), _burst(hesitate=True)]
    for b in kinds:
        for twitch in (0.06, 0.15, 0.25):
            for _ in range(5):
                y = gm._phase_profile(rng, b, twitch, 0.3)
                assert y[0] == 0.0 and y[-1] == 1.0
                assert np.all(np.diff(y) >= 0.0)
                v = np.gradient(y, u)
                # at rest at both ends (twitch-filtered torque: zero velocity)
                assert v[1] < 0.02 * v.max() and v[-2] < 0.02 * v.max()
                # the first twitch starts the phase, the last ends it: moving in between
                assert 1.0 - y[int(0.97 * gm._M)] > 0.0 and y[int(0.03 * gm._M)] > 0.0
                # but not creeping: 1 % and 99 % of the way within a quarter from the ends
                assert np.searchsorted(y, 0.01) < 0.25 * gm._M
                assert np.searchsorted(y, 0.99) > 0.75 * gm._M
                # smooth: no velocity jumps
                assert np.max(np.abs(np.diff(v))) < 0.1 * v.max()
    # a hesitant phase: the velocity dips mid-way without stopping
    dips = 0
    for _ in range(10):
        v = np.gradient(gm._phase_profile(rng, _burst(0.6, 0.3, hesitate=True), 0.1, 0.0), u)
        mid = v[int(0.1 * gm._M): int(0.7 * gm._M)]
        peaks = np.flatnonzero((mid[1:-1] > mid[:-2]) & (mid[1:-1] >= mid[2:]))
        dips += int(len(peaks) >= 2)
        assert float(np.min(mid)) > 0.0
    assert dips >= 7
    # speed-sensitive bursts leave a coasting plateau of velocity between the bursts
    v = np.gradient(gm._phase_profile(rng, _burst(0.2, 0.2), 0.1, 0.0), u)
    plateau = v[(u > 0.35) & (u < 0.6)]
    assert np.ptp(plateau) < 0.02 * v.max() and plateau.min() > 0.8 * v.max()


def test_brzycki_rohmert_and_fgn() -> None:
    assert gm._brzycki(0.5) == pytest.approx(19.0)
    assert gm._brzycki(0.3) > gm._brzycki(0.5)
    assert gm._rohmert(0.25) == pytest.approx(1236.5 / 10.0 ** 0.618 - 72.5)
    assert gm._rohmert(0.2) > gm._rohmert(0.3) > 0.0
    rng = np.random.default_rng(3)
    x = np.array([gm._fgn(rng, 40, 0.85) for _ in range(300)])
    assert np.std(x) == pytest.approx(1.0, abs=0.1)
    lag1 = float(np.mean(x[:, 1:] * x[:, :-1]))
    assert lag1 == pytest.approx(0.5 * (2 ** 1.7 - 2), abs=0.1)  # persistent


def test_extended_tube_band_havriliak_negami_and_capstan() -> None:
    band = gm._band(np.random.default_rng(1))
    e = np.linspace(-20.0, 0.6 * band.length, 2000)
    f = band.elastic(e)
    assert np.all(f[e <= 0.0] == 0.0) and np.all(np.diff(f) >= 0.0)
    small = np.array([0.0, 0.5])
    assert np.diff(band.elastic(small))[0] / 0.5 == pytest.approx(band.k0, rel=0.02)
    # a ramp and hold: the viscoelastic force overshoots and relaxes to the elastic one
    t = np.arange(int(40 * gm.FS)) * gm.DT
    el = 20.0 * np.clip((t - 5.0) / 1.0, 0.0, 1.0)
    fv = gm._havriliak_negami(band, el)
    assert fv[int(6.0 * gm.FS)] > 20.0 * (1.0 + 0.3 * band.hn_g)
    hold = fv[int(6.0 * gm.FS): int(39.0 * gm.FS)]
    assert np.all(np.diff(hold) <= 1e-9) and hold[-1] == pytest.approx(20.0, rel=0.05)
    assert np.max(np.abs(fv[: int(4.9 * gm.FS)])) < 0.05  # causal
    # capstan friction: the strand reads more when the band last slid outwards
    ee = 50.0 + 30.0 * np.sin(2 * np.pi * 0.2 * t)
    fs = gm._strand_force(band, ee, ideal=False)
    ideal = gm._strand_force(band, ee, ideal=True)
    assert np.array_equal(ideal, band.elastic(ee))
    rising = np.gradient(ee) > 0
    ratio = fs / ideal
    assert np.median(ratio[rising]) > np.median(ratio[~rising])


@pytest.mark.parametrize(("seed", "rate"), [(1, 137.0), (2, 200.0)])
def test_clean_movement_at_truth_instants(seed: int, rate: float) -> None:
    g = _gen(seed, rate, clean=True, hold=True, stretch=True, still=True, ideal=True)
    assert_moves_at_truth_instants(g, gm.DT, min_range_mm=5.0, min_rise_n=1.0)


def test_viscoelastic_band_loads_above_unloading() -> None:
    assert_band_loads_above_unloading(
        _gen(5, 50.0, clean=True, stretch=True, still=True),
        _gen(5, 50.0, clean=True, stretch=True, ideal=True, still=True))


@pytest.mark.parametrize("seed", SEEDS)
def test_fidgets_are_outside_sets(seed: int) -> None:
    truth = _gen(seed).truth
    assert truth["fidgets"]
    kinds = {fd["kind"] for fd in truth["fidgets"]}
    assert kinds <= set(gm.FIDGET_KINDS)
    for fd in truth["fidgets"]:
        assert fd["end_s"] > fd["start_s"] and fd["amplitude_mm"] >= 0.0
        for s in truth["sets"]:
            assert fd["end_s"] <= s["start_s"] - 1.4 or fd["start_s"] >= s["end_s"] + 1.4
    for a, b in itertools.pairwise(sorted(truth["fidgets"], key=lambda x: x["start_s"])):
        assert b["start_s"] >= a["end_s"]
    # a change of posture (another exercise's posture, turning over) comes with a transition
    sets = truth["sets"]
    for a, b in itertools.pairwise(sets):
        if gm._posture(a["exercise"], a["side"]) != gm._posture(b["exercise"], b["side"]):
            assert any(fd["kind"] == "transition" and a["end_s"] < fd["start_s"] < b["start_s"]
                       for fd in truth["fidgets"])
    bare = gm.generate(seed, gm.GenConfig(rate_hz=20.0, extra={"no_fidgets": True}))
    assert not bare.truth["fidgets"]


def test_fidget_kinds_all_occur() -> None:
    kinds = {fd["kind"] for seed in STATS for fd in _gen(seed).truth["fidgets"]}
    assert kinds == set(gm.FIDGET_KINDS)


def test_fidgets_move_the_band_in_rests() -> None:
    """A child's pull is large, a pet's jerks are sharp; the phone touch shows in the force."""
    seen = set()
    for seed in STATS:
        g = _gen(seed, 50.0, clean=True, stretch=True)
        n = _gen(seed, 50.0, stretch=True)
        assert g.stretch_mm is not None
        for fd in g.truth["fidgets"]:
            m = (g.time_s >= fd["start_s"]) & (g.time_s <= fd["end_s"])
            seg = g.stretch_mm[m]
            if fd["kind"] == "child":
                assert np.max(seg) - seg[0] > 20.0
                seen.add("child")
            if fd["kind"] == "getup":
                assert np.min(seg) < 0.0  # the band goes slack
                assert np.all(g.force_n[m][seg < 0.0] == 0.0)
                seen.add("getup")
            if fd["kind"] == "phone":
                # a hand on the capacitive pad: the reading rises although the band barely moves
                mm = (n.time_s >= fd["start_s"]) & (n.time_s <= fd["end_s"])
                ref = np.interp(n.time_s[mm], g.time_s, g.force_n)
                if mm.sum() > 10:
                    assert float(np.max(n.force_n[mm] - ref)) > float(
                        np.median(n.force_n[mm] - ref)) + 0.5
                    seen.add("phone")
    assert seen == {"child", "getup", "phone"}


def test_stretch_in_about_half_and_partials_a_few_percent() -> None:
    with_stretch = [_gen(seed).stretch_mm is not None for seed in STATS]
    assert 2 <= sum(with_stretch) <= 6
    reps = [r for seed in STATS for r in _gen(seed).truth["reps"]]
    share = float(np.mean([r["partial"] for r in reps]))
    assert 0.01 < share < 0.15


def test_session_structure() -> None:
    formats = set()
    for seed in range(12):
        truth = _gen(seed).truth
        meta = truth["metadata"]
        formats.add(meta["format"])
        exs = meta["exercises"]
        assert 2 <= len(exs) <= 4 and len(set(exs)) == len(exs)
        assert {s["exercise"] for s in truth["sets"]} == set(exs)
        if meta["order"] == "article":
            assert exs == sorted(exs, key=gm.ORDER.index)
        blocks = [k for k, _ in itertools.groupby(s["exercise"] for s in truth["sets"])]
        assert blocks == exs  # straight sets, one exercise after the other
        for name in exs:
            sides = [s["side"] for s in truth["sets"] if s["exercise"] == name]
            assert sides.count("left") == sides.count("right")
            assert 1 <= sides.count("left") <= 3
        assert 5.0 < meta["duration_s"] / 60.0 < 22.0
        if meta["format"] == "emom":  # every minute on the minute
            c = _gen(seed, clean=True, offset=0.0).truth["sets"]
            for s in c:
                lag = (s["start_s"] - c[0]["start_s"]) % 60.0
                assert lag < 2.6 or s["index"] == 0
    assert formats == set(gm.FORMATS)


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
                    assert 9 <= s["rep_count"] <= 11
                continue
            fail_sets += 1
            ended += int(own[-1]["partial"])
            full = [r for r in own if not r["partial"]]
            assert not any(r["partial"] for r in own[: len(full)])  # failed attempts last
            if len(full) >= 8:
                k = len(full) // 3
                shrinks += int(np.mean([r["range_mm"] for r in full[-k:]])
                               < np.mean([r["range_mm"] for r in full[:k]]))
                slower += int(np.mean([r["concentric_s"] for r in full[-k:]])
                              > np.mean([r["concentric_s"] for r in full[:k]]))
        for a, b in itertools.pairwise(sets):  # a set soon after another of the same side
            if a["to_failure"] and b["to_failure"] and a["side"] == b["side"]:
                pairs += 1
                fewer += int(b["rep_count"] < a["rep_count"])
    assert fail_sets >= 6 and ended == fail_sets
    assert shrinks >= 0.7 * fail_sets - 1 and slower >= 0.7 * fail_sets
    assert pairs >= 2 and fewer >= 0.6 * pairs


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
            assert r["pause_s"] <= 2.5
    assert bridge and np.median(bridge) > 0.5  # "pause at the top for a moment"
    assert turns > 20  # reps that turn at the top without a pause exist


def test_rests_at_the_bottom_flow_and_reset() -> None:
    flow = reset = 0
    for seed in STATS:
        truth = _gen(seed, clean=True).truth
        for s in truth["sets"]:
            own = reps_of(truth, s["index"])
            for a, b in itertools.pairwise(own):
                rest = b["start_s"] - a["end_s"]
                assert 0.0 <= rest < 3.0
                flow += int(rest < 0.3)
                reset += int(rest > 0.8)
                if a["partial"] and not s["to_failure"]:
                    assert rest > 0.6  # an aborted rep is followed by a reset
    assert flow > 30 and reset > 30


def test_tremor_bracing_and_heartbeat_only_when_not_still() -> None:
    for still, lo, hi in ((False, 0.1, 30.0), (True, 0.0, 1e-6)):
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
        seg = seg - np.polyval(np.polyfit(np.arange(len(seg)), seg, 4), np.arange(len(seg)))
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        fr = np.fft.rfftfreq(len(seg), 1.0 / 137.0)
        assert np.sum(spec[(fr > 5.0) & (fr < 14.0)] ** 2) > np.sum(
            spec[(fr > 20.0) & (fr < 40.0)] ** 2)
        # the heartbeat and the postural wander move the band a little in the rests
        quiet = quiet_mask(g, 3.0)
        assert float(np.ptp(e[quiet][:2000])) > 0.03


def test_faults_on_by_default_and_off_when_clean() -> None:
    gaps = spikes = drifted = drops = corrupted = 0
    for seed in SEEDS[:4]:
        g = _gen(seed)
        gaps += len(g.truth["gaps"])
        drops += len(g.truth["link_drops"])
        faults = g.truth["metadata"]["faults"]
        spikes += faults["timeouts"] + faults["touches"]
        corrupted += faults["corrupted_lines"]
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
        assert np.allclose(g.force_n, np.round(g.force_n, 2))
        # drift (sweat, temperature, body capacitance): the reading at rest wanders
        quiet = quiet_mask(g)
        err = (g.force_n - np.interp(g.time_s, c.time_s, c.force_n))[quiet]
        third = len(err) // 3
        drifted += int(abs(np.median(err[-third:]) - np.median(err[:third])) > 0.05)
    assert gaps > 0 and spikes > 0 and drops > 0 and corrupted > 0 and drifted >= 3


def test_stretch_is_a_magnetometer_on_the_band() -> None:
    g = _gen(3, 50.0, stretch=True)
    c = _gen(3, 50.0, stretch=True, clean=True)
    assert g.stretch_mm is not None and c.stretch_mm is not None
    ce = np.interp(g.time_s, c.time_s, c.stretch_mm)
    # it follows the band (movement and pre-stretch)...
    assert np.corrcoef(g.stretch_mm, ce)[0, 1] > 0.9
    assert np.allclose(g.stretch_mm, np.round(g.stretch_mm, 1))
    # ...with errors: the earth's field, calibration, noise, the dipole law's inversion
    assert float(np.median(np.abs(g.stretch_mm - ce))) > 0.3
    # the noise grows with the distance (B ~ 1 / r^3)
    far = ce > np.percentile(ce, 90)
    near = ce < np.percentile(ce, 30)
    d = np.abs(np.diff(g.stretch_mm - ce))
    assert np.median(d[far[1:]]) > np.median(d[near[1:]])
