"""Sanity of the twelfth independent model (gen_model_l) itself, not of the analysis."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest

from tests.analysis import gen_model_l as gm
from tests.analysis.truth_checks import (
    cached_generator,
    events_still_between,
    outliers,
    quiet_mask,
    reps_of,
)

SEEDS = tuple(range(6))
STATS = tuple(range(8))

_gen = cached_generator(gm)


def _empty_session(total: float) -> gm._Session:
    return gm._Session([], [], total, [], "", "", 0.0, [])


# ------------------------------------------------------------------ movement

def test_tau_g_closed_form_and_peak_position() -> None:
    """Constant coupling: the gap is (1 - s^2)^(1/k), peak velocity at sqrt(k / (2 - k))."""
    s = gm._S
    for k in (0.25, 0.5, 0.8):
        y = gm.tau_profile(np.full(gm._M - 1, k))
        assert np.allclose(y, 1.0 - (1.0 - s * s) ** (1.0 / k), atol=2e-3)
        v = np.gradient(y, s)
        assert s[int(np.argmax(v))] == pytest.approx(math.sqrt(k / (2.0 - k)), abs=0.02)
    # a small coupling brakes early and arrives softly, a large one brakes late
    soft = np.gradient(gm.tau_profile(np.full(gm._M - 1, 0.3)), s)
    hard = np.gradient(gm.tau_profile(np.full(gm._M - 1, 0.9)), s)
    assert soft[-20] / soft.max() < hard[-20] / hard.max()


@pytest.mark.parametrize("kind", gm.PROFILE_NAMES)
def test_tau_phases_are_monotone_stop_at_the_top_and_vary(kind: str) -> None:
    rng = np.random.default_rng(7)
    bank = []
    dips = 0
    for _ in range(16):
        k = gm._coupling(rng, kind, rng.uniform(0.3, 0.7), rng.uniform(0.25, 0.55), 0.25)
        y = gm.tau_profile(k)
        bank.append(y)
        assert y[0] == 0.0 and y[-1] == 1.0 and np.all(np.diff(y) >= 0.0)
        v = np.gradient(y, gm._S)
        assert v[1] < 0.05 * v.max() and v[-2] < 0.1 * v.max()  # leaves and arrives at rest
        assert np.searchsorted(y, 0.02) < 0.4 * gm._M and np.searchsorted(y, 0.98) > 0.6 * gm._M
        if kind == "hesitant":  # the velocity dips without stopping
            mid = v[int(0.1 * gm._M): int(0.85 * gm._M)]
            peaks = np.flatnonzero((mid[1:-1] > mid[:-2]) & (mid[1:-1] >= mid[2:]))
            dips += int(len(peaks) >= 2)
            assert float(mid.min()) > 0.0
    assert kind != "hesitant" or dips >= 10
    assert np.min(np.ptp(np.array(bank), axis=0)[gm._M // 4: 3 * gm._M // 4]) > 0.01


def test_bayesian_tempo_regresses_to_the_prior() -> None:
    person = gm._person(np.random.default_rng(0))
    rng = np.random.default_rng(1)
    one = np.mean([gm._produce(rng, person, 1.0) for _ in range(400)]) / person.tempo
    three = np.mean([gm._produce(rng, person, 3.0) for _ in range(400)]) / person.tempo
    assert one > 1.0 if person.prior_s > 1.0 else one < 1.0
    assert three < 3.0 and three > one  # long counts come out short, still longer
    assert three / one < 3.0


def test_margaria_morton_tanks_drain_and_recover() -> None:
    person = gm._person(np.random.default_rng(2))
    tanks = gm._Tanks(person)
    caps = []
    for i in range(12):
        tanks.advance(2.5 * i, working=True)
        tanks.work(0.6)
        caps.append(tanks.capacity())
    assert np.all(np.diff(caps) < 0.0) and tanks.m > 0.0
    low = tanks.capacity()
    tanks.advance(30.0 + 60.0)
    assert tanks.capacity() > low + 0.2  # PCr refills within a minute
    m = tanks.m
    tanks.advance(30.0 + 600.0)
    assert tanks.m < 0.3 * m + 1e-9  # metabolites clear slowly


# ---------------------------------------------------------------------- band

def test_hart_smith_band() -> None:
    e = np.linspace(-30.0, 400.0, 4000)
    for seed in range(6):
        band = gm._band(np.random.default_rng(seed))
        f = band.elastic(e)
        assert np.all(f[e <= 0.0] == 0.0) and np.all(np.diff(f) >= 0.0)
        assert band.elastic(np.array([0.2]))[0] / 0.2 == pytest.approx(band.k0, rel=0.02)
        # the exponential term stiffens the band at large stretch
        slope = np.gradient(f, e)
        assert slope[-1] > slope[np.searchsorted(e, 60.0)]


def test_bergstrom_boyce_relaxes_non_linearly_and_is_causal() -> None:
    band = gm._band(np.random.default_rng(3))
    t = np.arange(int(30 * gm.FS)) * gm.DT
    one = np.ones(len(t))

    def ramp_hold(top: float) -> tuple[np.ndarray, np.ndarray]:
        el = 10.0 + top * np.clip((t - 5.0) / 1.0, 0.0, 1.0)
        return el, gm._band_force(band, el, one, [], ideal=False)

    el, fv = ramp_hold(150.0)
    fi = gm._band_force(band, el, one, [], ideal=True)
    assert np.array_equal(fi, band.elastic(el))
    el0, f0 = ramp_hold(0.0)
    assert np.array_equal(fv[: int(4.9 * gm.FS)], f0[: int(4.9 * gm.FS)])  # causal
    assert np.all(np.diff(f0) <= 1e-9)  # the pre-stretched band relaxes
    assert np.all(f0 >= band.elastic(el0) - 1e-9)
    i6 = int(6.05 * gm.FS)
    assert fv[i6] > fi[i6] * 1.03  # the viscous network adds force while loading
    hold = fv[i6:]
    assert np.all(np.diff(hold) <= 1e-9) and hold[-1] < hold[0]  # relaxes at the top
    assert hold[-1] >= fi[-1] - 1e-6  # towards the equilibrium (Hart-Smith) force
    # stress-driven flow: a bigger load relaxes a bigger share within the first second
    el2, fv2 = ramp_hold(40.0)
    fi2 = band.elastic(el2)
    j = int(7.0 * gm.FS)
    big = (fv[i6] - fv[j]) / (fv[i6] - fi[i6])
    small = (fv2[i6] - fv2[j]) / (fv2[i6] - fi2[i6])
    assert big > small


def test_band_swap_changes_the_stiffness() -> None:
    band = gm._band(np.random.default_rng(4))
    el = np.full(int(10 * gm.FS), 50.0)
    scale = np.ones(len(el))
    scale[len(el) // 2:] = 1.3
    f = gm._band_force(band, el, scale, [len(el) // 2], ideal=True)
    assert f[-1] == pytest.approx(1.3 * f[0])


# (the truth layout: tests/analysis/test_truth_layouts.py)

# ---------------------------------------------------------------- movement

@pytest.mark.parametrize(("seed", "rate"), [(1, 137.0), (3, 200.0)])
def test_clean_movement_at_truth_instants(seed: int, rate: float) -> None:
    g = _gen(seed, rate, clean=True, hold=True, stretch=True, still=True, ideal=True)
    assert g.stretch_mm is not None
    t, e, f = g.time_s, g.stretch_mm, g.force_n
    h = 1.0 / rate
    for r, rng_mm, el in events_still_between(g, h, 3.0):
        conc, ecc = r["top_start_s"] - r["start_s"], r["end_s"] - r["top_end_s"]
        assert el(r["start_s"] + 0.05 * conc) - el(r["start_s"]) < 0.05 * rng_mm
        assert el(r["start_s"] + 0.5 * conc) - el(r["start_s"]) > 0.1 * rng_mm
        assert el(r["top_start_s"] - 0.25 * conc) < el(r["top_start_s"]) - 0.005 * rng_mm
        assert el(r["top_end_s"] + 0.25 * ecc) < el(r["top_end_s"]) - 0.005 * rng_mm
        m = (t > r["start_s"]) & (t < r["top_start_s"])
        assert np.all(np.diff(e[m]) >= -1e-9) and np.all(np.diff(f[m]) >= -1e-9)
        m = (t > r["top_end_s"]) & (t < r["end_s"])
        assert np.all(np.diff(e[m]) <= 1e-9) and np.all(np.diff(f[m]) <= 1e-9)
        if r["top_end_s"] > r["top_start_s"]:
            top = e[(t >= r["top_start_s"] + h) & (t <= r["top_end_s"] - h)]
            assert len(top) == 0 or np.ptp(top) < 1e-6 * max(rng_mm, 1.0) + 1e-6
        if r["range_mm"] is not None:
            assert rng_mm == pytest.approx(r["range_mm"], abs=0.01 * r["range_mm"] + 0.1)
    assert np.all(f >= 0.0)


def test_viscoelastic_band_loads_above_unloading() -> None:
    g = _gen(5, 50.0, clean=True, stretch=True, ideal=True, still=True)
    r = _gen(5, 50.0, clean=True, stretch=True, still=True)
    assert r.stretch_mm is not None and g.stretch_mm is not None
    assert np.array_equal(r.stretch_mm, g.stretch_mm)
    t, e, f = r.time_s, r.stretch_mm, r.force_n
    above = []
    for rep in r.truth["reps"]:
        if rep["partial"]:
            continue
        up = (t > rep["start_s"]) & (t < rep["top_start_s"])
        down = (t > rep["top_end_s"]) & (t < rep["end_s"])
        mid = float(np.interp(rep["start_s"], t, e)) + 0.5 * rep["range_mm"]
        f_up = np.interp(mid, e[up], f[up])
        f_down = np.interp(mid, e[down][::-1], f[down][::-1])
        above.append(f_up > f_down)  # a hysteresis loop at equal elongation
    assert np.mean(above) > 0.9
    order = np.argsort(g.stretch_mm, kind="stable")
    assert np.all(np.diff(g.force_n[order]) >= -1e-9)


def test_pauses_span_zero_to_two_seconds_and_rests_at_the_bottom() -> None:
    pauses, b2b, longer = [], 0, 0
    for seed in STATS:
        truth = _gen(seed).truth
        pauses += [r["pause_s"] for r in truth["reps"] if not r["partial"]]
        for s in truth["sets"]:
            for a, b in itertools.pairwise(reps_of(truth, s["index"])):
                rest = b["start_s"] - a["end_s"]
                assert 0.0 <= rest < 3.0
                b2b += int(rest < 0.05)
                longer += int(rest > 0.8)
    p = np.array(pauses)
    assert np.max(p) <= 2.35
    assert np.sum(p == 0.0) > 20  # turns without a pause
    assert np.sum((p > 0.3) & (p < 1.0)) > 20 and np.sum(p > 1.4) > 10
    assert b2b > 10 and longer > 10


def test_tempo_varies_across_people() -> None:
    conc = []
    for seed in range(10):
        truth = _gen(seed).truth
        c = [r["concentric_s"] / int(truth["sets"][r["set"]]["tempo"][0])
             for r in truth["reps"] if not r["partial"]]
        conc.append(float(np.median(c)))
    assert max(conc) / min(conc) > 1.5


def test_sets_to_failure_fade_and_end_with_failed_attempts() -> None:
    fail_sets = ended = slower = shrinks = pairs = fewer = 0
    for seed in range(10):
        truth = _gen(seed).truth
        sets = truth["sets"]
        for s in sets:
            own = reps_of(truth, s["index"])
            if not s["to_failure"]:
                if s["kind"] == "reps":
                    assert 8 <= s["rep_count"] <= 12
                continue
            fail_sets += 1
            ended += int(own[-1]["partial"])
            n_part = sum(r["partial"] for r in own)
            assert 1 <= n_part <= 3 and all(r["partial"] for r in own[-n_part:])
            full = [r for r in own if not r["partial"]]
            if len(full) >= 6:
                k = len(full) // 3
                shrinks += int(np.mean([r["range_mm"] for r in full[-k:]])
                               < np.mean([r["range_mm"] for r in full[:k]]))
                slower += int(np.mean([r["concentric_s"] for r in full[-k:]])
                              > np.mean([r["concentric_s"] for r in full[:k]]))
        for a, b in itertools.pairwise(sets):
            if a["to_failure"] and b["to_failure"] and a["side"] == b["side"]:
                pairs += 1
                fewer += int(b["rep_count"] <= a["rep_count"])
    assert fail_sets >= 6 and ended == fail_sets
    assert shrinks >= 0.7 * fail_sets - 1 and slower >= 0.6 * fail_sets - 1
    assert pairs == 0 or fewer >= 0.6 * pairs


def test_stretch_in_about_half_and_partials_a_few_percent() -> None:
    with_stretch = [_gen(seed).stretch_mm is not None for seed in STATS]
    assert 2 <= sum(with_stretch) <= 6
    reps = [r for seed in STATS for r in _gen(seed).truth["reps"]]
    assert 0.01 < float(np.mean([r["partial"] for r in reps])) < 0.2


def test_hopf_tremor_at_the_top_and_nothing_when_still() -> None:
    for still, lo, hi in ((False, 0.05, 30.0), (True, 0.0, 1e-6)):
        g = _gen(1, 137.0, clean=True, hold=True, stretch=True, still=still)
        assert g.stretch_mm is not None
        for h in g.truth["holds"]:
            m = (g.time_s > h["top_start_s"] + 0.5) & (g.time_s < h["top_end_s"] - 0.5)
            assert lo <= float(np.std(g.stretch_mm[m])) <= hi
    g = _gen(1, 137.0, clean=True, hold=True, stretch=True)
    c = _gen(1, 137.0, clean=True, hold=True, stretch=True, still=True)
    assert g.stretch_mm is not None and c.stretch_mm is not None
    d = g.stretch_mm - c.stretch_mm
    t = g.time_s
    top_amp, low_amp = [], []
    for r in g.truth["reps"]:
        if r["pause_s"] > 0.6:
            top_amp.append(float(np.std(d[(t > r["top_start_s"] + 0.1)
                                          & (t < r["top_end_s"] - 0.1)])))
    for s in g.truth["sets"]:  # the oscillator is damped at rest: little before the set
        low_amp.append(float(np.std(d[(t > s["start_s"] - 1.0) & (t < s["start_s"] - 0.2)])))
    if top_amp:
        assert np.median(top_amp) > 2.0 * np.median(low_amp)
    for s in g.truth["sets"]:
        if s["kind"] != "reps":
            continue
        seg = d[(t > s["start_s"]) & (t < s["end_s"])]
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
        fr = np.fft.rfftfreq(len(seg), 1.0 / 137.0)
        assert np.sum(spec[(fr > 7.0) & (fr < 13.0)]) > np.sum(spec[(fr > 15.0) & (fr < 40.0)])
    quiet = quiet_mask(g, 3.0)
    assert float(np.ptp(d[quiet])) > 0.03  # counted breaths sway the band in rests


# ------------------------------------------------------------------ fidgets

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
    for a, b in itertools.pairwise(truth["sets"]):  # a change of posture has a set-up
        if gm._posture(a["exercise"], a["side"]) != gm._posture(b["exercise"], b["side"]):
            assert any(fd["kind"] == "setup" and a["end_s"] < fd["start_s"] < b["start_s"]
                       for fd in truth["fidgets"])
        if any(fd["kind"] == "swap" and a["end_s"] < fd["start_s"] < b["start_s"]
               for fd in truth["fidgets"]):
            assert a["exercise"] != b["exercise"]
    bare = gm.generate(seed, gm.GenConfig(rate_hz=20.0, extra={"no_fidgets": True}))
    assert not bare.truth["fidgets"]


def test_fidgets_move_the_band_in_rests() -> None:
    seen: set[str] = set()
    for seed in STATS:
        g = _gen(seed, 50.0, clean=True, stretch=True)
        assert g.stretch_mm is not None
        seen |= {fd["kind"] for fd in g.truth["fidgets"]}
        for fd in g.truth["fidgets"]:
            m = (g.time_s >= fd["start_s"]) & (g.time_s <= fd["end_s"])
            seg = g.stretch_mm[m]
            if fd["kind"] in ("drop", "swap"):  # slack: no force
                assert np.min(seg) < 0.0 and np.all(g.force_n[m][seg <= 0.0] == 0.0)
            if fd["kind"] == "yawn":
                assert np.max(seg) - seg[0] > 15.0
            if fd["kind"] == "towel":
                assert 0.5 < np.ptp(seg) < 30.0
    assert seen == set(gm.FIDGET_KINDS)


# ----------------------------------------------------------- sensor and link

def test_faults_on_by_default_and_off_when_clean() -> None:
    gaps = drops = spikes = drifted = 0
    for seed in SEEDS[:4]:
        g = _gen(seed)
        gaps += len(g.truth["gaps"])
        drops += len(g.truth["link_drops"])
        faults = g.truth["metadata"]["faults"]
        spikes += faults["glitches"] + faults["flashes"]
        assert outliers(g.force_n, 5.0) >= 1
        c = _gen(seed, clean=True)
        assert not c.truth["gaps"] and not c.truth["link_drops"]
        assert c.truth["metadata"]["faults"] == {}
        assert outliers(c.force_n, 5.0) == 0
        assert np.allclose(g.force_n, np.round(g.force_n / gm.FORCE_LSB) * gm.FORCE_LSB)
        quiet = quiet_mask(g)
        err = (g.force_n - np.interp(g.time_s, c.time_s, c.force_n))[quiet]
        third = len(err) // 3
        drifted += int(abs(np.median(err[-third:]) - np.median(err[:third])) > 0.05)
    assert gaps > 0 and drops > 0 and spikes > 0 and drifted >= 2


def test_fault_counts_follow_their_configured_rates() -> None:
    cfg = gm.GenConfig(rate_hz=20.0, has_stretch=True, glitches_per_min=6.0, flashes_per_min=3.0,
                       snags_per_min=2.0, connector_steps_per_hour=60.0, hiccups_per_min=10.0)
    g = gm.generate(21, cfg)
    minutes = g.truth["metadata"]["duration_s"] / 60.0
    faults = g.truth["metadata"]["faults"]
    for key, per_min in (("glitches", 6.0), ("flashes", 3.0), ("snags", 2.0),
                         ("connector_steps", 1.0)):
        expected = per_min * minutes
        assert abs(faults[key] - expected) < 4.0 * math.sqrt(expected) + 1.0
    base = _gen(21, 20.0)
    assert faults["hiccups"] > base.truth["metadata"]["faults"]["hiccups"]


def test_microbend_sensor_saturates_at_its_stop_and_quantises() -> None:
    tg = np.arange(int(120 * gm.FS)) * gm.DT
    fb = 60.0 * np.clip((tg - 10.0) / 100.0, 0.0, 1.0)
    t_read = np.arange(1.0, 119.0, 0.01)
    cfg = gm.GenConfig(glitches_per_min=0.0, flashes_per_min=0.0, connector_steps_per_hour=0.0)
    found = False
    for seed in range(40):
        faults: dict[str, int] = {}
        y, info = gm._optical(np.random.default_rng(seed), cfg, tg, fb, np.zeros(len(tg)),
                              _empty_session(tg[-1]), t_read, 100.0, faults)
        truth = np.interp(t_read, tg, fb)
        assert np.allclose(y, np.round(y / gm.FORCE_LSB) * gm.FORCE_LSB)
        assert np.corrcoef(y, truth)[0, 1] > 0.99
        if info["f_stop_n"] < 55.0:  # a deformer that bottoms out within the ramp
            found = True
            assert faults["saturated"] > 0
            hi = y[truth > info["f_stop_n"] * 1.05]
            lo = y[(truth > 5.0) & (truth < 0.5 * info["f_stop_n"])]
            slope_hi = np.polyfit(truth[truth > info["f_stop_n"] * 1.05], hi, 1)[0]
            slope_lo = np.polyfit(truth[(truth > 5.0) & (truth < 0.5 * info["f_stop_n"])],
                                  lo, 1)[0]
            assert slope_hi < 0.3 * slope_lo
    assert found


def test_draw_wire_encoder_loses_counts_on_fast_moves_and_snaps_at_the_index() -> None:
    tg = np.arange(int(60 * gm.FS)) * gm.DT
    fast = 30.0 + 80.0 * (1 - np.cos(2 * np.pi * 1.5 * tg)) / 2  # up to ~380 mm/s
    slow = 30.0 + 80.0 * (1 - np.cos(2 * np.pi * 0.1 * tg)) / 2
    t_read = np.arange(0.5, 59.5, 0.01)
    cfg = gm.GenConfig(snags_per_min=0.0)
    lost_fast = lost_slow = 0
    for seed in range(8):
        f1: dict[str, int] = {}
        f2: dict[str, int] = {}
        yf, _ = gm._encoder(np.random.default_rng(seed), cfg, tg, fast, t_read, f1)
        ys, _ = gm._encoder(np.random.default_rng(seed), cfg, tg, slow, t_read, f2)
        lost_fast += f1["missed_counts"]
        lost_slow += f2["missed_counts"]
        assert np.corrcoef(ys, np.interp(t_read, tg, slow))[0, 1] > 0.999
        assert np.corrcoef(yf, np.interp(t_read, tg, fast))[0, 1] > 0.98
        steps = np.unique(np.round(np.diff(np.sort(np.unique(ys))), 2))
        assert steps.min() >= gm.STRETCH_LSB - 1e-9  # counts, not a continuum
    assert lost_fast > 10 * max(lost_slow, 1)


@pytest.mark.parametrize("rate", [20.0, 200.0])
def test_modbus_gaps_are_in_the_truth(rate: float) -> None:
    g = _gen(4, rate)
    t = g.time_s
    faults = g.truth["metadata"]["faults"]
    assert faults["lost_rows"] == sum(gap["samples"] for gap in g.truth["gaps"])
    assert g.truth["gaps"] and faults["failed_replies"] > 0
    for gap in g.truth["gaps"]:
        assert gap["samples"] > 0 and gap["end_s"] >= gap["start_s"]
        inside = (t > gap["start_s"] - 1e-6) & (t < gap["end_s"] + 1e-6)
        assert not np.any(inside)
        span = (gap["end_s"] - gap["start_s"]) * rate + 1.0
        assert span == pytest.approx(gap["samples"], abs=0.01)
    for at, dur in g.truth["link_drops"]:  # adapter resets: nothing for their duration
        assert not np.any((t > at + 0.05) & (t < at + dur - 0.05))
        assert 1.5 <= dur <= 6.0
    # stamps: the request instants around absolute deadlines (late, never early)
    frac = np.mod((t - t[0]) * rate + 0.25, 1.0) - 0.25
    dev = frac - np.median(frac)
    assert np.percentile(np.abs(dev), 90) < 0.1  # mostly on time
    assert np.max(dev) > 0.2 and np.min(dev) > -0.2  # hiccups make rows late, never early


def test_generation_speed_is_reported() -> None:
    t0 = time.perf_counter()
    g = gm.generate(11, gm.GenConfig(rate_hz=200.0))
    took = time.perf_counter() - t0
    minutes = g.truth["metadata"]["duration_s"] / 60.0
    print(f"gen_model_l: {minutes:.1f} min at 200 Hz in {took:.2f} s "
          f"(x{minutes * 60.0 / took:.0f} real time)")
    lost = sum(gap["samples"] for gap in g.truth["gaps"])
    assert abs(len(g.time_s) + lost - 200.0 * 60.0 * minutes) < 2.0 * 200.0 * 60.0 * 0.02
    assert math.isfinite(took)
