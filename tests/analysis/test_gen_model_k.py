"""Sanity of the eleventh independent model (gen_model_k) itself, not of the analysis."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from scipy import special

from tests.analysis import gen_model_k as gm
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


def _style(ratio: float = 1.2, beta: float = 1.0, n_go: int = 2, p_hes: float = 0.0,
           p_ret: float = 0.0) -> gm._ViteStyle:
    return gm._ViteStyle(ratio, beta, n_go, 0.1, p_hes, p_ret)


def test_vite_phases_are_monotone_stop_at_the_top_and_vary() -> None:
    rng = np.random.default_rng(0)
    u = gm._U
    for st in (_style(), _style(0.7, 2.5, 3), _style(2.0, 0.4), _style(p_hes=0.5, p_ret=0.5)):
        bank, names = gm._vite_bank(rng, st, 24)
        assert bank.shape == (24, gm._M) and len(names) == 24
        assert set(names) <= set(gm.PROFILE_NAMES)
        for y in bank:
            assert y[0] == 0.0 and y[-1] == 1.0
            assert np.all(np.diff(y) >= 0.0)
            v = np.gradient(y, u)
            # leaves rest gently and arrives with the velocity going to zero (the stop)
            assert v[2] < 0.05 * v.max() and v[-3] < 0.1 * v.max()
            # moving in between: 1 % and 99 % of the way well inside the phase
            assert np.searchsorted(y, 0.01) < 0.35 * gm._M
            assert np.searchsorted(y, 0.99) > 0.6 * gm._M
        # every profile is its own (signal-dependent noise, parameters per profile)
        assert np.min(np.ptp(bank, axis=0)[gm._M // 4: 3 * gm._M // 4]) > 0.005
    # hesitant phases: the velocity dips mid-way without stopping
    bank, names = gm._vite_bank(rng, _style(p_hes=0.95, p_ret=0.0), 12)
    dips = 0
    for y, name in zip(bank, names, strict=True):
        if name != "hesitant":
            continue
        v = np.gradient(y, u)
        v = np.convolve(v, np.ones(15) / 15, mode="same")
        mid = v[int(0.08 * gm._M): int(0.85 * gm._M)]
        peaks = np.flatnonzero((mid[1:-1] > mid[:-2]) & (mid[1:-1] >= mid[2:]))
        dips += int(len(peaks) >= 2)
        assert float(np.min(mid)) > 0.0
    assert dips >= 6


def test_mittag_leffler_relaxation_and_van_der_waals_band() -> None:
    x = np.array([0.0, 0.01, 0.3, 1.0, 4.0, 20.0])
    # E_1/2(-sqrt(x)) = exp(x) erfc(sqrt(x))
    assert np.allclose(gm._mittag_leffler(0.5, x), special.erfcx(np.sqrt(x)), atol=2e-3)
    band = gm._band(np.random.default_rng(1))
    e = np.linspace(-20.0, 320.0, 3000)
    f = band.elastic(e)
    assert np.all(f[e <= 0.0] == 0.0) and np.all(np.diff(f) >= 0.0)
    assert (band.elastic(np.array([0.5]))[0] / 0.5) == pytest.approx(band.k0, rel=0.02)
    # a ramp and hold: the fractional Zener band overshoots and relaxes, causally
    t = np.arange(int(40 * gm.FS)) * gm.DT
    el = 20.0 + 60.0 * np.clip((t - 5.0) / 1.0, 0.0, 1.0)
    fv, dset = gm._band_force(band, el, ideal=False)
    fi, zero = gm._band_force(band, el, ideal=True)
    assert np.array_equal(fi, band.elastic(el)) and not np.any(zero)
    assert np.max(dset) > 0.0  # ratcheting while loading
    i6 = int(6.0 * gm.FS)
    assert fv[i6] > fv[-1] * 1.03
    hold = fv[i6 + 10:]
    assert np.all(np.diff(hold) <= 1e-9)
    assert np.allclose(fv[: int(4.9 * gm.FS)], fv[0])  # nothing before the load


def test_piezo_charge_amplifier_restores_the_dc_and_lets_it_decay() -> None:
    dev = np.random.default_rng(4)
    cfg = gm.GenConfig(rate_hz=50.0, esd_per_min=0.0)
    tg = np.arange(int(900 * gm.FS)) * gm.DT
    fb = np.where(tg > 100.0, 40.0, 10.0)
    t_s = np.arange(0.0, 899.0, 0.02)
    faults: dict[str, int] = {}
    y = gm._piezo(dev, cfg, tg, fb, np.zeros_like(tg), np.full(len(tg), 30.0), t_s, faults)
    assert faults["esd"] == 0 and np.allclose(y, np.round(y / gm.GRAM_N) * gm.GRAM_N)
    at = lambda s: float(np.median(y[(t_s > s - 1.0) & (t_s < s + 1.0)]))  # noqa: E731
    assert at(160.0) == pytest.approx(40.0 * at(95.0) / 10.0, rel=0.35)  # follows the step
    assert at(160.0) - at(95.0) == pytest.approx(30.0, rel=0.12)
    assert 0.6 * at(160.0) < at(890.0) < at(160.0)  # the DC level decays slowly


@pytest.mark.parametrize(("seed", "rate"), [(1, 137.0), (2, 200.0)])
def test_clean_movement_at_truth_instants(seed: int, rate: float) -> None:
    g = _gen(seed, rate, clean=True, hold=True, stretch=True, still=True, ideal=True)
    assert_moves_at_truth_instants(g, gm.DT, min_range_mm=3.0, min_rise_n=0.5, top_margin_s=gm.DT)


def test_viscoelastic_band_loads_above_unloading() -> None:
    assert_band_loads_above_unloading(
        _gen(5, 50.0, clean=True, stretch=True, still=True),
        _gen(5, 50.0, clean=True, stretch=True, ideal=True, still=True))


@pytest.mark.parametrize("seed", SEEDS)
def test_fidgets_are_outside_sets(seed: int) -> None:
    truth = _gen(seed).truth
    assert truth["fidgets"]
    assert {fd["kind"] for fd in truth["fidgets"]} <= set(gm.FIDGET_KINDS)
    for fd in truth["fidgets"]:
        assert fd["end_s"] > fd["start_s"] and fd["amplitude_mm"] >= 0.0
        for s in truth["sets"]:
            assert fd["end_s"] <= s["start_s"] - 1.5 or fd["start_s"] >= s["end_s"] + 1.5
    for a, b in itertools.pairwise(sorted(truth["fidgets"], key=lambda x: x["start_s"])):
        assert b["start_s"] >= a["end_s"]
    sets = truth["sets"]
    for a, b in itertools.pairwise(sets):  # a change of posture comes with a turnover
        if gm._posture(a["exercise"], a["side"]) != gm._posture(b["exercise"], b["side"]):
            assert any(fd["kind"] == "turnover" and a["end_s"] < fd["start_s"] < b["start_s"]
                       for fd in truth["fidgets"])
    bare = gm.generate(seed, gm.GenConfig(rate_hz=20.0, extra={"no_fidgets": True}))
    assert not bare.truth["fidgets"]


def test_fidget_kinds_all_occur() -> None:
    kinds = {fd["kind"] for seed in STATS for fd in _gen(seed).truth["fidgets"]}
    assert kinds == set(gm.FIDGET_KINDS)


def test_fidgets_move_the_band_in_rests() -> None:
    """A re-tie slackens the band, a partner pulls it far, a roller rocks it."""
    seen = set()
    for seed in STATS:
        g = _gen(seed, 50.0, clean=True, stretch=True)
        assert g.stretch_mm is not None
        for fd in g.truth["fidgets"]:
            m = (g.time_s >= fd["start_s"]) & (g.time_s <= fd["end_s"])
            seg = g.stretch_mm[m]
            if fd["kind"] == "retie":
                assert np.min(seg) < 0.0
                assert np.all(g.force_n[m][seg < 0.0] == 0.0)
                seen.add("retie")
            if fd["kind"] == "partner":
                assert np.max(seg) - seg[0] > 15.0
                seen.add("partner")
            if fd["kind"] == "roller":
                assert np.ptp(seg) > 1.5
                seen.add("roller")
    assert seen == {"retie", "partner", "roller"}


def test_stretch_in_about_half_and_partials_a_few_percent() -> None:
    with_stretch = [_gen(seed).stretch_mm is not None for seed in STATS]
    assert 2 <= sum(with_stretch) <= 6
    reps = [r for seed in STATS for r in _gen(seed).truth["reps"]]
    share = float(np.mean([r["partial"] for r in reps]))
    assert 0.01 < share < 0.15


def test_session_structure() -> None:
    programs = set()
    for seed in range(12):
        truth = _gen(seed).truth
        meta = truth["metadata"]
        programs.add(meta["program"])
        exs = meta["exercises"]
        assert 2 <= len(exs) <= 4 and len(set(exs)) == len(exs)
        assert {s["exercise"] for s in truth["sets"]} == set(exs)
        if meta["order"] == "article":
            assert exs == sorted(exs, key=gm.ORDER.index)
        blocks = [k for k, _ in itertools.groupby(s["exercise"] for s in truth["sets"])]
        assert blocks == exs  # one exercise after the other
        for name in exs:
            own = [s for s in truth["sets"] if s["exercise"] == name]
            sides = [s["side"] for s in own]
            assert sides.count("left") == sides.count("right")
            assert 1 <= sides.count("left") <= 4
            warm = [s for s in own if s["warmup"]]
            if meta["program"] == "warmup" and not gm.EXERCISES[name].failure and \
                    gm.EXERCISES[name].kind == "reps":
                assert len(warm) == 2
                for side in ("left", "right"):
                    mine = [s for s in own if s["side"] == side]
                    assert mine[0]["warmup"]  # the warm-up comes first on each side
                    w_rng = np.median([r["range_mm"] for r in reps_of(truth, mine[0]["index"])])
                    o_rng = np.median([r["range_mm"] for r in reps_of(truth, mine[-1]["index"])])
                    assert w_rng < o_rng
            else:
                assert not warm
            if meta["program"] == "pyramid" and gm.EXERCISES[name].kind == "reps" and \
                    not gm.EXERCISES[name].failure and len(own) > 2:
                for side in ("left", "right"):
                    counts = [s["rep_count"] for s in own if s["side"] == side]
                    assert counts in (sorted(counts), sorted(counts, reverse=True))
                    assert counts[0] != counts[-1]
        assert 5.0 < meta["duration_s"] / 60.0 < 25.0
    assert programs == set(gm.PROGRAMS)


def test_rests_are_gated_by_fatigue() -> None:
    """A rest before the other (fresh) side is shorter than one before the same side."""
    same: list[float] = []
    other: list[float] = []
    for seed in STATS:
        sets = _gen(seed, clean=True).truth["sets"]
        for a, b in itertools.pairwise(sets):
            if a["exercise"] != b["exercise"]:
                continue
            rest = b["start_s"] - a["end_s"]
            assert rest >= 12.0
            (same if a["side"] == b["side"] else other).append(rest)
    assert same and other and np.median(other) < np.median(same)


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
                    assert 8 <= s["rep_count"] <= 12
                continue
            fail_sets += 1
            ended += int(own[-1]["partial"])
            full = [r for r in own if not r["partial"]]
            n_part = sum(r["partial"] for r in own)
            assert 1 <= n_part <= 3 and all(r["partial"] for r in own[-n_part:])
            if len(full) >= 8:
                k = len(full) // 3
                shrinks += int(np.mean([r["range_mm"] for r in full[-k:]])
                               < np.mean([r["range_mm"] for r in full[:k]]))
                slower += int(np.mean([r["concentric_s"] for r in full[-k:]])
                              > np.mean([r["concentric_s"] for r in full[:k]]))
        for a, b in itertools.pairwise(sets):
            if a["to_failure"] and b["to_failure"] and a["side"] == b["side"]:
                pairs += 1
                fewer += int(b["rep_count"] < a["rep_count"])
    assert fail_sets >= 6 and ended == fail_sets
    assert shrinks >= 0.7 * fail_sets - 1 and slower >= 0.7 * fail_sets - 1
    assert pairs >= 2 and fewer >= 0.6 * pairs


def test_pauses_by_exercise_and_rests_at_the_bottom() -> None:
    bridge, turns, b2b, longer = [], 0, 0, 0
    for seed in STATS:
        truth = _gen(seed).truth
        for r in truth["reps"]:
            ex = truth["sets"][r["set"]]["exercise"]
            if ex == "single_leg_bridge" and not r["partial"]:
                bridge.append(r["pause_s"])
            turns += int(r["top_start_s"] == r["top_end_s"])
            assert r["pause_s"] <= 2.5
        for s in truth["sets"]:
            for a, b in itertools.pairwise(reps_of(truth, s["index"])):
                rest = b["start_s"] - a["end_s"]
                assert 0.0 <= rest < 3.0
                b2b += int(rest < 0.05)
                longer += int(rest > 0.8)
                if a["partial"] and not s["to_failure"]:
                    assert rest > 0.6  # an aborted rep is followed by a re-brace
    assert bridge and np.median(bridge) > 0.5
    assert turns > 20 and b2b > 20 and longer > 20


def test_top_motion_and_tremor_only_when_not_still() -> None:
    for still, lo, hi in ((False, 0.05, 30.0), (True, 0.0, 1e-6)):
        g = _gen(1, 137.0, clean=True, hold=True, stretch=True, still=still)
        assert g.stretch_mm is not None
        for h in g.truth["holds"]:
            m = (g.time_s > h["top_start_s"] + 0.5) & (g.time_s < h["top_end_s"] - 0.5)
            assert lo <= float(np.std(g.stretch_mm[m])) <= hi
        if still:
            continue
        t, e = g.time_s, g.stretch_mm
        seg_pow = []
        for s in g.truth["sets"]:
            if s["kind"] != "reps":
                continue
            seg = e[(t > s["start_s"]) & (t < s["end_s"])]
            seg = seg - np.convolve(seg, np.ones(15) / 15, mode="same")
            spec = np.abs(np.fft.rfft(seg[20:-20] * np.hanning(len(seg) - 40))) ** 2
            fr = np.fft.rfftfreq(len(seg) - 40, 1.0 / 137.0)
            seg_pow.append(np.sum(spec[(fr > 7.0) & (fr < 13.0)]) > np.sum(
                spec[(fr > 20.0) & (fr < 40.0)]))
        assert np.mean(seg_pow) > 0.7  # tremor bursts at 8-12 Hz
        quiet = quiet_mask(g, 3.0)
        assert float(np.ptp(e[quiet][:2000])) > 0.03  # breathing in rests


def test_faults_on_by_default_and_off_when_clean() -> None:
    gaps = spikes = drops = overruns = drifted = 0
    for seed in SEEDS[:4]:
        g = _gen(seed)
        gaps += len(g.truth["gaps"])
        drops += len(g.truth["link_drops"])
        faults = g.truth["metadata"]["faults"]
        spikes += faults["esd"]
        overruns += faults["overrun_samples"] + faults["crc_rejected"]
        for gap in g.truth["gaps"]:
            assert gap["samples"] > 0 and gap["end_s"] >= gap["start_s"]
            inside = (g.time_s > gap["start_s"] - 1e-6) & (g.time_s < gap["end_s"] + 1e-6)
            assert not np.any(inside)
        assert outliers(g.force_n, 8.0) >= 1
        c = _gen(seed, clean=True)
        assert not c.truth["gaps"] and not c.truth["link_drops"]
        assert outliers(c.force_n, 8.0) == 0
        assert np.median(np.abs(np.diff(g.force_n, 2))) > 0.0
        assert np.allclose(g.force_n, np.round(g.force_n / gm.GRAM_N) * gm.GRAM_N)
        # the piezo's DC restoration and pyroelectric/bias drift: the rest level wanders
        quiet = quiet_mask(g)
        err = (g.force_n - np.interp(g.time_s, c.time_s, c.force_n))[quiet]
        third = len(err) // 3
        drifted += int(abs(np.median(err[-third:]) - np.median(err[:third])) > 0.05)
    assert gaps > 0 and spikes > 0 and drops > 0 and overruns > 0 and drifted >= 3


def test_stretch_is_a_fibre_bragg_grating_on_a_tether() -> None:
    g = _gen(3, 50.0, stretch=True)
    c = _gen(3, 50.0, stretch=True, clean=True)
    assert g.stretch_mm is not None and c.stretch_mm is not None
    ce = np.interp(g.time_s, c.time_s, c.stretch_mm)
    assert np.corrcoef(g.stretch_mm, ce)[0, 1] > 0.95
    assert np.allclose(g.stretch_mm, np.round(g.stretch_mm / 0.05) * 0.05)
    err = g.stretch_mm - ce
    assert float(np.median(np.abs(err))) > 0.05  # noise, temperature, calibration
    # the tether is slack when the band is: about 0 there, never the negative elongation
    slack = ce < -5.0
    if np.any(slack):
        assert np.all(np.abs(g.stretch_mm[slack]) < 5.0)
    # peak-detection jumps: single samples far off (a split Bragg spectrum)
    assert g.truth["metadata"]["faults"]["peak_jumps"] > 0 and outliers(g.stretch_mm, 30.0) > 0
    assert c.truth["metadata"]["faults"] == {} and outliers(c.stretch_mm, 30.0) == 0


def test_logger_spreads_chunks_and_keeps_lost_samples_in_place() -> None:
    g = _gen(4, 200.0)
    dt = np.diff(g.time_s)
    assert np.all(dt > 0.0)
    regular = dt[dt < 1.5 / 200.0]
    # anchor segment by segment: equal intervals within a segment, different between them
    same = np.isclose(regular[1:], regular[:-1], atol=2e-6)
    assert 0.5 < float(np.mean(same)) < 0.999
    assert np.std(regular) > 1e-5
    for gap in g.truth["gaps"]:  # a gap leaves room for exactly its samples
        i = int(np.searchsorted(g.time_s, gap["start_s"]))
        span = g.time_s[i] - g.time_s[i - 1]
        assert span == pytest.approx((gap["samples"] + 1) / 200.0, rel=0.1, abs=0.02)


def test_generation_time_is_reported() -> None:
    t0 = time.perf_counter()
    g = gm.generate(11, gm.GenConfig(rate_hz=200.0))
    took = time.perf_counter() - t0
    minutes = g.truth["metadata"]["duration_s"] / 60.0
    print(f"gen_model_k: {minutes:.1f} min at 200 Hz in {took:.2f} s "
          f"({took / minutes * 15.0:.2f} s per 15 min)")
    lost = sum(gap["samples"] for gap in g.truth["gaps"])
    assert abs(len(g.time_s) + lost - 200.0 * 60.0 * minutes) < 200.0
    assert math.isfinite(took)
