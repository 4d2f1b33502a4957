"""Checks of a test model's ground truth that every model's truth layout must pass.

The models themselves stay independent (each written without reading the others'
code); these are the conventions their truth shares with ``analysis.scoring``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pytest

from analysis.scoring import Score


def assert_scores_perfectly(truths: Iterable[dict[str, Any]]) -> None:
    """Each truth scored against itself is perfect: the scorer and the layout agree."""
    score = Score()
    n = 0
    for truth in truths:
        score.add(truth, truth)
        n += 1
    s = score.summary()
    assert s["recordings"] == n
    assert s["sets_exact_pct"] == 100.0 and s["set_rep_count_exact_pct"] == 100.0
    assert s["rep_f1"] == 1.0
    for key in ("concentric_mae_ms", "pause_mae_ms", "eccentric_mae_ms"):
        assert s[key] == 0.0
    assert s["pause_0.5s_agreement_pct"] == 100.0
    assert s["holds_found_once"] == s["holds_true"] and s["holds_extra"] == 0


def assert_sets_hold_their_reps(truth: dict[str, Any], exercises: Mapping[str, Any]) -> None:
    """Every set of reps spans its reps, counts its full and partial ones (partial: under
    half the median range of the full ones), and its reps follow each other within 3 s
    from and back to the band's pre-stretch; a hold set has no reps."""
    for s in truth["sets"]:
        assert s["side"] in ("left", "right") and s["exercise"] in exercises
        assert s["to_failure"] == exercises[s["exercise"]].failure
        own = [r for r in truth["reps"] if r["set"] == s["index"]]
        if s["kind"] == "hold":
            assert not own and s["rep_count"] == 0
            continue
        assert own[0]["start_s"] == s["start_s"] and own[-1]["end_s"] == s["end_s"]
        assert s["rep_count"] == sum(not r["partial"] for r in own)
        assert s["partial_count"] == sum(r["partial"] for r in own)
        assert s["rep_count"] >= (3 if s["to_failure"] else 8)
        med = float(np.median([r["range_mm"] for r in own if not r["partial"]]))
        for r in own:
            assert (r["range_mm"] < 0.5 * med) == r["partial"]
        for a, b in itertools.pairwise(own):
            assert 0.0 <= b["start_s"] - a["end_s"] < 3.0
            assert b["floor_start_mm"] == pytest.approx(a["floor_end_mm"], abs=1e-9)
        assert own[0]["floor_start_mm"] == 0.0 and own[-1]["floor_end_mm"] == 0.0


def assert_deterministic(generate: Callable[[int], Any]) -> None:
    """``generate(seed)`` gives the same recording and truth twice, another for another
    seed."""
    a, b, c = generate(3), generate(3), generate(4)
    assert np.array_equal(a.time_s, b.time_s)
    assert np.array_equal(a.force_n, b.force_n)
    assert (a.stretch_mm is None) == (b.stretch_mm is None)
    if a.stretch_mm is not None and b.stretch_mm is not None:
        assert np.array_equal(a.stretch_mm, b.stretch_mm)
    assert a.truth == b.truth
    assert len(c.time_s) != len(a.time_s) or not np.array_equal(c.force_n, a.force_n)


def assert_truth_moves_with_the_axis(at_zero: Any, shifted: Any, shift: float) -> None:
    """Two clean recordings of one session, their axes starting at 0 and at ``shift``:
    samples and every rep instant move by ``shift``, and the truth records it."""
    assert at_zero.time_s[0] == 0.0 and shifted.time_s[0] == pytest.approx(shift)
    assert np.allclose(shifted.time_s - at_zero.time_s, shift)
    for key in ("start_s", "top_start_s", "top_end_s", "end_s"):
        da = np.array([r[key] for r in at_zero.truth["reps"]])
        db = np.array([r[key] for r in shifted.truth["reps"]])
        assert np.allclose(db - da, shift)
    assert shifted.truth["metadata"]["time_offset_s"] == shift


def assert_rep_truth_is_consistent(truth: dict[str, Any]) -> None:
    """The truth's keys, indices in order, and every rep's instants in order with its
    phase durations their differences, inside its set of reps; sets >= 12 s apart."""
    sets, reps = truth["sets"], truth["reps"]
    assert set(truth) >= {"sets", "reps", "holds", "fidgets", "gaps", "link_drops",
                          "metadata"}
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
        assert r["range_mm"] > 0.0 and r["peak_force_n"] >= 0.0
        s = sets[r["set"]]
        assert s["kind"] == "reps" and r["side"] == s["side"]
        assert s["start_s"] - 1e-9 <= r["start_s"] and r["end_s"] <= s["end_s"] + 1e-9
    for a, b in itertools.pairwise(sets):
        assert b["start_s"] - a["end_s"] >= 12.0


def assert_holds_are_hold_sets(truth: dict[str, Any], no_hold_truth: dict[str, Any],
                               longest_s: float) -> None:
    """Every hold is a table-top reach set of its own, held 8 s to ``longest_s`` at a
    force above the band's pre-tension, as often on each side; a session generated
    without the hold exercise has none."""
    holds = truth["holds"]
    assert holds
    for h in holds:
        s = truth["sets"][h["set"]]
        assert s["kind"] == "hold" and s["rep_count"] == 0
        assert s["exercise"] == "table_top_reach"
        assert not [r for r in truth["reps"] if r["set"] == h["set"]]
        assert h["start_s"] < h["top_start_s"] < h["top_end_s"] < h["end_s"]
        assert h["duration_s"] == pytest.approx(h["top_end_s"] - h["top_start_s"], abs=1e-9)
        assert 8.0 <= h["duration_s"] < longest_s  # several breaths
        assert s["start_s"] == h["start_s"] and s["end_s"] == h["end_s"]
        assert h["mean_force_n"] > s["pre_tension_n"]
    assert len(holds) == sum(s["kind"] == "hold" for s in truth["sets"])
    sides = [h["side"] for h in holds]
    assert sides.count("left") == sides.count("right")
    assert not no_hold_truth["holds"]
    assert all(s["kind"] == "reps" for s in no_hold_truth["sets"])


def assert_time_axis(g: Any, rate: float, *, jitter_sd_min: float, rate_tol: float,
                     minutes: tuple[float, float]) -> None:
    """Float64 samples of one length, stamps strictly increasing, as many as the rate
    gives over the span with the lost ones, irregular (standard deviation of the regular
    intervals over ``jitter_sd_min``) around the nominal period (within ``rate_tol``),
    a session ``minutes`` long, force finite."""
    t = g.time_s
    dt = np.diff(t)
    assert t.dtype == np.float64 and g.force_n.dtype == np.float64
    assert len(t) == len(g.force_n)
    if g.stretch_mm is not None:
        assert len(g.stretch_mm) == len(t)
    assert np.all(dt > 0.0)
    span = t[-1] - t[0]
    lost = sum(gap["samples"] for gap in g.truth["gaps"])
    assert abs(span * rate / (len(t) - 1 + lost) - 1.0) < 2e-3
    regular = dt[dt < 1.5 / rate]
    assert np.std(regular) > jitter_sd_min
    assert abs(np.median(regular) * rate - 1.0) < rate_tol
    assert minutes[0] < span / 60.0 < minutes[1]
    assert np.all(np.isfinite(g.force_n))


@cache
def cached_generator(module: Any) -> Callable[..., Any]:
    """``generate`` of a model with the knobs its tests turn (``GenConfig.extra``'s
    ``clean``, ``still`` and ``ideal_band``, the hold exercise, stretch, the axis
    offset), each recording generated once per test session (one cache per model, shared
    by every test module that asks for it)."""

    @lru_cache(maxsize=64)
    def gen(seed: int, rate: float = 50.0, clean: bool = False, hold: bool | None = None,
            stretch: bool | None = None, still: bool = False, ideal: bool = False,
            offset: float | None = None) -> Any:
        extra: dict[str, Any] = {}
        if clean:
            extra["clean"] = True
        if still:
            extra["still"] = True
        if ideal:
            extra["ideal_band"] = True
        cfg = module.GenConfig(rate_hz=rate, hold_exercise=hold, has_stretch=stretch,
                               time_offset_s=offset, extra=extra)
        return module.generate(seed, cfg)

    return gen


def reps_of(truth: dict[str, Any], set_index: int) -> list[dict[str, Any]]:
    return [r for r in truth["reps"] if r["set"] == set_index]


def outliers(f: np.ndarray, thr: float) -> int:
    """Samples far from both neighbours."""
    jump = np.minimum(np.abs(f[1:-1] - f[:-2]), np.abs(f[1:-1] - f[2:]))
    return int(np.sum(jump > thr))


def quiet_mask(g: Any, margin: float = 2.0) -> np.ndarray:
    """Samples more than ``margin`` from every set and fidget."""
    quiet = np.ones(len(g.time_s), dtype=bool)
    for x in g.truth["sets"] + g.truth["fidgets"]:
        quiet &= (g.time_s < x["start_s"] - margin) | (g.time_s > x["end_s"] + margin)
    return quiet


def assert_sets_where_the_clean_recording_has_them(g: Any, clean: Any, tol_s: float) -> None:
    """The faulty recording of a session puts its sets within ``tol_s`` of where the clean
    recording of the same session has them (the truth follows the recorded time axis),
    inside the recording."""
    for s, sc in zip(g.truth["sets"], clean.truth["sets"], strict=True):
        assert abs(s["start_s"] - sc["start_s"]) < tol_s
        assert g.time_s[0] <= s["start_s"] <= g.time_s[-1]


def events_still_between(g: Any, h: float, min_range_mm: float
                         ) -> Iterator[tuple[dict[str, Any], float, Callable[[float], float]]]:
    """The reps and holds of a clean, still recording with stretch (``g``) in time order,
    each checked to move the elongation by more than ``min_range_mm`` and to rest still
    for up to 0.5 s before and after it (``h``: the model's internal time step; the
    recording is sampled between its points). Yields ``(event, its range in mm, the
    elongation at a time)``; holds come with ``partial`` False and ``range_mm`` None."""
    assert g.stretch_mm is not None
    t, e = g.time_s, g.stretch_mm

    def el(x: float) -> float:
        return float(np.interp(x, t, e))

    events = list(g.truth["reps"]) + [{**x, "partial": False, "range_mm": None}
                                      for x in g.truth["holds"]]
    events.sort(key=lambda x: x["start_s"])
    for k, r in enumerate(events):
        rng_mm = el(r["top_start_s"]) - el(r["start_s"])
        assert rng_mm > min_range_mm
        prev_end = events[k - 1]["end_s"] if k else r["start_s"] - 0.5
        next_start = events[k + 1]["start_s"] if k + 1 < len(events) else r["end_s"] + 0.5
        before = e[(t >= max(prev_end, r["start_s"] - 0.5) + h) & (t <= r["start_s"] - h)]
        after = e[(t >= r["end_s"] + h) & (t <= min(next_start, r["end_s"] + 0.5) - h)]
        assert len(before) == 0 or np.ptp(before) < 1e-9  # at rest (still)
        assert len(after) == 0 or np.ptp(after) < 1e-9
        yield r, rng_mm, el


def assert_moves_at_truth_instants(g: Any, h: float, min_range_mm: float, min_rise_n: float,
                                   top_margin_s: float = 0.0) -> None:
    """A clean, still recording with stretch and an ideal band (``g``) moves where its
    truth says: at rest before and after each rep or hold, leaving gently, moving by
    mid-concentric and near the ends, monotone through each phase, still at the top for a
    pause (``top_margin_s`` in from its ends) and at its top for a turn; the elongation's
    range over at least ``min_range_mm`` and as recorded, the force up by ``min_rise_n``
    at a full rep's top. ``h``: the model's internal time step (the recording is sampled
    between its points)."""
    t, e, f = g.time_s, g.stretch_mm, g.force_n
    for r, rng_mm, el in events_still_between(g, h, min_range_mm):
        # leaving gently (zero velocity at the onset), moving by mid-concentric
        assert el(r["start_s"] + 0.02) - el(r["start_s"]) < 0.05 * rng_mm
        mid = 0.5 * (r["start_s"] + r["top_start_s"])
        assert el(mid) - el(r["start_s"]) > 0.02 * rng_mm
        # moving towards the arrival and from the departure (not creeping for long)
        conc, ecc = r["top_start_s"] - r["start_s"], r["end_s"] - r["top_end_s"]
        assert el(r["top_start_s"] - 0.25 * conc) < el(r["top_start_s"]) - 0.005 * rng_mm
        assert el(r["top_end_s"] + 0.25 * ecc) < el(r["top_end_s"]) - 0.005 * rng_mm
        # the elongation and the (ideal band's) force rise through the concentric phase
        m = (t > r["start_s"]) & (t < r["top_start_s"])
        assert np.all(np.diff(e[m]) >= -1e-9) and np.all(np.diff(f[m]) >= -1e-9)
        m = (t > r["top_end_s"]) & (t < r["end_s"])
        assert np.all(np.diff(e[m]) <= 1e-9) and np.all(np.diff(f[m]) <= 1e-9)
        if r["top_end_s"] > r["top_start_s"]:  # still at the top for the whole pause
            top = e[(t >= r["top_start_s"] + top_margin_s) & (t <= r["top_end_s"] - top_margin_s)]
            assert np.ptp(top) < 1e-6 * max(rng_mm, 1.0) + 1e-6
        else:  # a turn: the top of the movement
            top_v = el(r["top_start_s"])
            assert top_v >= float(np.max(e[(t >= r["start_s"]) & (t <= r["end_s"])])) - 0.01
        if r["range_mm"] is not None:
            assert rng_mm == pytest.approx(r["range_mm"], abs=0.01 * r["range_mm"] + 0.1)
        if not r["partial"]:
            assert np.interp(r["top_start_s"], t, f) > np.interp(r["start_s"], t, f) + min_rise_n
    assert np.all(f >= 0.0)  # a band cannot push


def assert_band_loads_above_unloading(real: Any, ideal: Any) -> None:
    """A viscoelastic band (``real``) loads above where it unloads (the force over the
    concentric against the eccentric, less the ideal band's, on the same elongation), and
    the ideal band (``ideal``, same session) is a function of the elongation alone."""
    r, g = real, ideal
    assert r.stretch_mm is not None and g.stretch_mm is not None
    assert np.array_equal(r.stretch_mm, g.stretch_mm)
    d = r.force_n - g.force_n
    load, unload = [], []
    for rep in r.truth["reps"]:
        if rep["partial"]:
            continue
        t = r.time_s
        load.append(float(np.mean(d[(t > rep["start_s"]) & (t < rep["top_start_s"])])))
        unload.append(float(np.mean(d[(t > rep["top_end_s"]) & (t < rep["end_s"])])))
    assert np.mean(np.array(load) > np.array(unload)) > 0.9
    order = np.argsort(g.stretch_mm, kind="stable")
    assert np.all(np.diff(g.force_n[order]) >= -1e-9)
