"""The fourth independent generator (gen_model_d): its truth is consistent and reproducible."""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from tests.analysis.gen_model_d import (
    FAMILIES,
    GRID,
    GenConfig,
    Generated,
    draw_profile,
    generate,
    velocity_shape,
)

RATES = {25: 20.0, 20: 75.0, 19: 200.0, 29: 33.3, 16: 50.0}  # with holds, with and without stretch


@lru_cache(maxsize=32)
def _gen(seed: int, rate: float, **kw: Any) -> Generated:
    return generate(seed, GenConfig(rate_hz=rate, **kw))


def _times(item: dict[str, Any]) -> list[float]:
    return [item[k] for k in ("start_s", "top_start_s", "top_end_s", "end_s")]


@pytest.mark.parametrize("seed", sorted(RATES))
def test_truth_consistent(seed: int) -> None:
    g = _gen(seed, RATES[seed])
    tr = g.truth
    assert len(g.time_s) == len(g.force_n)
    assert g.stretch_mm is None or len(g.stretch_mm) == len(g.time_s)
    assert 2 <= len(tr["metadata"]["exercises"]) <= 3
    assert tr["metadata"]["time_offset_s"] >= 0.0
    prev_end = -np.inf
    for i, r in enumerate(tr["reps"]):
        assert r["index"] == i
        assert r["start_s"] < r["top_start_s"] <= r["top_end_s"] < r["end_s"]
        assert r["start_s"] >= prev_end - 1e-9  # reps do not overlap
        prev_end = r["end_s"]
        assert r["concentric_s"] == pytest.approx(r["top_start_s"] - r["start_s"], abs=1e-6)
        assert r["pause_s"] == pytest.approx(r["top_end_s"] - r["top_start_s"], abs=1e-6)
        assert r["eccentric_s"] == pytest.approx(r["end_s"] - r["top_end_s"], abs=1e-6)
        assert 0.4 <= r["concentric_s"] <= 3.2 and 0.5 <= r["eccentric_s"] <= 4.2
        assert r["concentric_profile"] in FAMILIES and r["eccentric_profile"] in FAMILIES
        assert r["range_mm"] > 0
    for h in tr["holds"]:
        assert h["start_s"] < h["top_start_s"] < h["top_end_s"] < h["end_s"]
        assert 8.0 <= h["duration_s"] <= 30.0
        assert h["duration_s"] == pytest.approx(h["top_end_s"] - h["top_start_s"], abs=1e-6)
    for i, s in enumerate(tr["sets"]):
        assert s["index"] == i and s["kind"] in ("reps", "hold")
        mine = [r for r in tr["reps"] if r["set"] == s["index"]]
        if s["kind"] == "hold":
            hold = [h for h in tr["holds"] if h["set"] == s["index"]]
            assert s["rep_count"] == 0 and not mine and len(hold) == 1
            assert s["start_s"] == pytest.approx(hold[0]["start_s"])
            assert s["end_s"] == pytest.approx(hold[0]["end_s"])
        else:
            assert s["rep_count"] == sum(not r["partial"] for r in mine) >= 5
            assert s["partial_count"] == sum(r["partial"] for r in mine)
            assert s["start_s"] == pytest.approx(mine[0]["start_s"])
            assert s["end_s"] == pytest.approx(mine[-1]["end_s"])
            if s["to_failure"]:
                assert mine[-1]["partial"]  # a set to failure ends with failed attempts
    for a, b in itertools.pairwise(tr["sets"]):
        assert b["start_s"] - a["end_s"] >= 10.0
        # alternating sides within an exercise
        if a["exercise"] == b["exercise"]:
            assert a["side"] != b["side"]
    # every movement lies inside its set, and everything is inside the recording
    for item in [*tr["reps"], *tr["holds"]]:
        s = tr["sets"][item["set"]]
        assert s["start_s"] - 1e-9 <= item["start_s"] and item["end_s"] <= s["end_s"] + 1e-9
        assert g.time_s[0] - 0.1 <= item["start_s"] and item["end_s"] <= g.time_s[-1]
    # fidgets happen during rests, never inside a set, and do not overlap each other
    fid = tr["fidgets"]
    assert fid, "rests have fidgets"
    for f in fid:
        assert f["kind"] in ("sway", "tug", "shift", "rewrap", "reposition")
        assert f["start_s"] < f["end_s"] and f["amplitude_mm"] != 0
        for s in tr["sets"]:
            assert f["end_s"] < s["start_s"] or f["start_s"] > s["end_s"]
    for a, b in itertools.pairwise(fid):
        assert a["end_s"] <= b["start_s"]


def test_partial_reps_small() -> None:
    n_partial = 0
    for seed in sorted(RATES):
        tr = _gen(seed, RATES[seed]).truth
        for s in tr["sets"]:
            mine = [r for r in tr["reps"] if r["set"] == s["index"]]
            if not mine:
                continue
            typical = float(np.median([r["range_mm"] for r in mine if not r["partial"]]))
            for r in mine:
                if r["partial"]:
                    n_partial += 1
                    assert r["range_mm"] < 0.5 * typical
                else:
                    assert r["range_mm"] >= 0.5 * typical
    assert n_partial > 0


def test_reproducible_with_seed() -> None:
    a, b = _gen(25, RATES[25]), generate(25, GenConfig(rate_hz=RATES[25]))
    assert a.truth == b.truth
    np.testing.assert_array_equal(a.time_s, b.time_s)
    np.testing.assert_array_equal(a.force_n, b.force_n)
    assert (a.stretch_mm is None) == (b.stretch_mm is None)
    if a.stretch_mm is not None and b.stretch_mm is not None:
        np.testing.assert_array_equal(a.stretch_mm, b.stretch_mm)
    c = generate(19, GenConfig(rate_hz=RATES[25]))
    assert c.truth != a.truth


@pytest.mark.parametrize("seed", sorted(RATES))
def test_time_axis_and_rate(seed: int) -> None:
    rate = RATES[seed]
    g = _gen(seed, rate)
    dt = np.diff(g.time_s)
    assert np.all(dt > 0)
    assert np.median(dt) == pytest.approx(1.0 / rate, rel=0.03)
    offset = g.truth["metadata"]["time_offset_s"]
    assert g.time_s[0] >= offset
    assert g.time_s[0] - offset < 1.0
    assert g.truth["metadata"]["rate_hz"] == rate


def test_config_switches() -> None:
    g = generate(31, GenConfig(rate_hz=50.0, has_stretch=True, hold_exercise=True, exercises=2,
                               time_offset_s=100.0))
    assert g.stretch_mm is not None
    assert "table_top_reach" in g.truth["metadata"]["exercises"]
    assert len(g.truth["metadata"]["exercises"]) == 2
    assert len(g.truth["holds"]) >= 2
    assert g.time_s[0] >= 100.0 and g.truth["sets"][0]["start_s"] > 100.0
    g = generate(31, GenConfig(rate_hz=50.0, has_stretch=False, hold_exercise=False,
                               exercises=3))
    assert g.stretch_mm is None and not g.truth["holds"]
    assert len(g.truth["metadata"]["exercises"]) == 3
    # by default stretch is there in some recordings and not in others
    assert {_gen(s, r).stretch_mm is not None for s, r in RATES.items()} == {True, False}


def test_gaps_when_configured() -> None:
    rate = 50.0
    g = generate(41, GenConfig(rate_hz=rate, gaps_per_min=4.0, lost_packets_per_min=3.0))
    gaps = g.truth["gaps"]
    assert len(gaps) >= 5
    assert any(gp["end_s"] - gp["start_s"] > 0.3 for gp in gaps)  # a dropout
    t = g.time_s
    for gp in gaps:
        assert gp["samples"] >= 1 and gp["start_s"] <= gp["end_s"]
        i = int(np.searchsorted(t, gp["start_s"]))
        assert 0 < i < len(t) and t[i] > gp["end_s"]  # no sample inside the gap
        jump = t[i] - t[i - 1]
        assert jump == pytest.approx((gp["samples"] + 1) / rate, abs=1.6 / rate)
    g = generate(41, GenConfig(rate_hz=rate, gaps_per_min=0.0, lost_packets_per_min=0.0,
                               jitter_frac=0.0))
    assert not g.truth["gaps"]
    assert np.max(np.diff(g.time_s)) < 1.05 / rate


def test_stretch_follows_force() -> None:
    g = _gen(29, RATES[29])
    assert g.stretch_mm is not None and len(g.stretch_mm) == len(g.force_n)
    assert np.all(g.stretch_mm >= 0)
    good = np.abs(g.force_n - np.median(g.force_n)) < 100  # ignore bit-flip spikes
    assert np.corrcoef(g.stretch_mm[good], g.force_n[good])[0, 1] > 0.8


@pytest.mark.parametrize("seed", sorted(RATES))
def test_band_stretched_at_top(seed: int) -> None:
    """The force at each rep's (and hold's) top clearly exceeds the force at its start."""
    g = _gen(seed, RATES[seed])
    t, f = g.time_s, g.force_n
    k = g.truth["metadata"]["band"]["k_init_n_per_mm"]
    checked = 0
    for r in [*g.truth["reps"], *g.truth["holds"]]:
        before = f[(t >= r["start_s"] - 0.12) & (t <= r["start_s"] + 0.02)]
        top = f[(t >= r["top_start_s"] - 0.03) & (t <= r["top_end_s"] + 0.03)]
        if len(before) == 0 or len(top) == 0:  # lost to a gap
            continue
        rise = float(np.median(top) - np.median(before))
        assert rise > max(0.6, 0.3 * k * r["range_mm"]), (r, rise)
        checked += 1
    assert checked >= 0.8 * (len(g.truth["reps"]) + len(g.truth["holds"]))


def test_physical_instants_clean() -> None:
    """Without sensor errors the stretch shows the truth instants: still before the start,
    moving right after it, near-still at the top, back to the same rest level at the end."""
    g = generate(61, GenConfig(rate_hz=200.0, has_stretch=True, extra={"clean": True}))
    assert g.stretch_mm is not None
    t, s = g.time_s, g.stretch_mm
    moves = sorted([*g.truth["reps"], *g.truth["holds"]], key=lambda m: m["start_s"])
    for i, mv in enumerate(moves):
        start, top0, top1, end = _times(mv)
        prev_end = moves[i - 1]["end_s"] if i else start - 1.0
        nxt = moves[i + 1]["start_s"] if i + 1 < len(moves) else end + 1.0
        rest = s[(t >= max(prev_end, start - 0.5) + 0.005) & (t <= start - 0.005)]
        if len(rest):  # still before the start (not when reps run back to back)
            assert np.ptp(rest) < 1e-6
        base = float(s[np.searchsorted(t, start - 0.002) - 1])  # the last sample before
        assert float(np.interp(start + 0.1, t, s)) > base + 1e-6  # moving
        at_top = float(np.interp(top0, t, s))
        assert at_top - base == pytest.approx(mv["range_mm"], rel=0.01, abs=0.05)
        top = s[(t >= top0) & (t <= top1)]
        tol = 0.15 if "duration_s" in mv else 0.07
        assert np.all(np.abs(top - at_top) <= tol * mv["range_mm"] + 0.05)
        assert float(np.interp(end - 0.1, t, s)) > base + 1e-6  # still moving
        after = s[(t >= end + 0.005) & (t <= min(nxt, end + 0.5) - 0.005)]
        if len(after):  # still after the end, back at the rest level it started from
            assert np.ptp(after) < 1e-6
            assert after[0] == pytest.approx(rest[-1] if len(rest) else base, abs=0.1)
            if len(rest):
                assert after[0] == pytest.approx(rest[-1], abs=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_profiles_compact_and_monotone(family: str) -> None:
    rng = np.random.default_rng(7)
    weights = np.array([1.0 if f == family else 0.0 for f in FAMILIES])
    u = np.linspace(-0.2, 1.2, 4001)
    for _ in range(25):
        prof = draw_profile(rng, weights)
        assert prof.family == family
        p = prof(u)
        assert np.all(np.diff(p) >= -1e-12)
        assert np.all(p[u <= 0] == 0.0) and np.all(p[u >= 1] == 1.0)
        # at rest at both ends: little travel near them, and zero velocity there
        assert prof(np.array([0.01]))[0] < 0.01 and prof(np.array([0.99]))[0] > 0.99
        v = velocity_shape(family, prof.params)
        assert np.all(v >= 0) and v[0] == 0.0 and v[-1] == 0.0 and len(v) == len(GRID)
        b = prof.bump(u)
        assert np.all(b[(u <= 0) | (u >= 1)] == 0.0) and b.max() == pytest.approx(1.0)
