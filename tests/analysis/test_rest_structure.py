"""What happens between sets must neither merge two sets, nor add one, nor hide one.

Each case is a clean synthetic session (smooth bumps on a noisy rest) with one thing in
the rest that the third test model (``gen_model_c.py``) showed going wrong.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import numpy as np

from analysis.offline import analyze
from analysis.sets import ClosedSet, SetBuilder
from analysis.types import Movement
from bandsense.model import SessionSummary


def _bump(t: np.ndarray, at: float, up: float, top: float, down: float) -> np.ndarray:
    u = np.clip((t - at) / up, 0.0, 1.0)
    d = np.clip((t - at - up - top) / down, 0.0, 1.0)
    out: np.ndarray = u * u * (3 - 2 * u) - d * d * (3 - 2 * d)
    return out


def _session(duration_s: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s, 0.01)
    return t, 6.0 + rng.normal(0.0, 0.05, len(t))


def _set(t: np.ndarray, first: float, reps: int, range_n: float) -> np.ndarray:
    return sum((range_n * _bump(t, first + 4.5 * k, 1.3, 0.6, 1.5) for k in range(reps)),
               np.zeros_like(t))


def _counts(result: SessionSummary) -> list[tuple[str, int]]:
    return [(s.kind, s.rep_count) for s in result.sets]


def test_a_light_exercise_after_a_heavy_one_is_kept() -> None:
    # Bridges at 100 N, then table-top hip rotation at 13 N: 13% of the set before, under
    # the share below which one or two movements are a tug. Eight regular reps are a set.
    t, f = _session(150.0, 1)
    f += _set(t, 3.0, 8, 100.0) + _set(t, 75.0, 8, 13.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def _movement(start: float, rise: float, top: float, fall: float, range_n: float) -> Movement:
    return Movement(start_s=start, top_start_s=start + rise, top_end_s=start + rise + top,
                    end_s=start + rise + top + fall, peak_s=start + rise, peak_force_n=range_n,
                    mean_force_n=range_n / 2, impulse_ns=range_n, range_n=range_n,
                    range_mm=None, rest_n=0.0, top_mean_n=range_n, top_cv=0.01)


def test_a_band_left_half_released_does_not_merge_two_sets() -> None:
    # In gen_model_c a re-wrap in the rest moved the rest level while the band was half
    # released: the detector saw one small movement 28 s long, touching the last rep of
    # one set and the first of the next. No rep moves that slowly: it is the rest.
    builder = SetBuilder()
    closed: list[ClosedSet] = []
    reps = [_movement(4.5 * k, 1.3, 0.6, 1.5, 20.0) for k in range(8)]
    slow = _movement(reps[-1].end_s + 1.0, 1.0, 0.3, 27.0, 5.0)
    later = [_movement(slow.end_s + 0.3 + 4.5 * k, 1.3, 0.6, 1.5, 20.0) for k in range(8)]
    for m in [*reps, slow, *later]:
        closed += builder.add(m)
    closed += builder.close()
    assert [c.summary.rep_count for c in closed] == [8, 8]


def test_a_tug_in_the_rest_does_not_hold_the_set_open() -> None:
    # The rest is 12 s, a tug of 20% of the range in the middle of it: both gaps are
    # under the 7 s that separate sets, but a failed attempt comes sooner after the set.
    t, f = _session(90.0, 3)
    f += _set(t, 3.0, 8, 20.0)
    last_end = 3.0 + 4.5 * 7 + 3.4
    f += 4.0 * _bump(t, last_end + 5.5, 0.8, 0.2, 0.8)
    f += _set(t, last_end + 12.0, 8, 20.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_a_weak_plateau_after_a_set_is_not_a_hold() -> None:
    # 3 s after the set the band stays at 20% of its range for 15 s, then goes slack.
    t, f = _session(80.0, 4)
    f += _set(t, 3.0, 8, 20.0)
    f += 4.0 * _bump(t, 3.0 + 4.5 * 7 + 6.5, 1.0, 15.0, 1.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert not result.holds


def test_a_band_rewrapped_tighter_is_not_a_hold() -> None:
    # gen_model_c seed 1004 (115 Hz): between the first two sets the band is re-wrapped
    # tighter (the rest rises from 0 to 5 N, 28% of the set's range, and stays) and a tug
    # 8 s later ends a "top" that never comes back down. A hold returns to rest; this is
    # the rest moving.
    from tests.analysis import gen_model_c

    g = gen_model_c.generate(1004, gen_model_c.GenConfig(rate_hz=115.17662461160947))
    t0 = g.time_s[0]
    w = g.time_s < t0 + 240.0
    truth = [(s["kind"], s["rep_count"]) for s in g.truth["sets"] if s["start_s"] < t0 + 230]
    assert truth == [("reps", 11), ("reps", 11)]
    fidgets = [f["kind"] for f in g.truth["fidgets"] if t0 + 95 < f["start_s"] < t0 + 110]
    assert fidgets == ["rewrap", "tug"]
    for stretch in (g.stretch_mm[w], None):
        result = analyze(g.time_s[w], g.force_n[w], stretch)
        assert _counts(result) == truth
        assert not result.holds


def test_a_band_rewrapped_looser_right_after_a_set_does_not_hold_it_open() -> None:
    # 3 s after the set the band is re-wrapped: it is pulled (a bump of 30% of the range)
    # and let go looser, the rest 5 N lower. As a failed attempt it would keep the set
    # open, and the next set 6.5 s later would join it. A failed attempt starts and ends
    # at rest; this one moved the rest.
    t, f = _session(110.0, 8)
    f += _set(t, 3.0, 8, 20.0)
    end = 3.0 + 4.5 * 7 + 3.4
    f += 6.0 * _bump(t, end + 3.0, 0.8, 0.2, 0.8)
    f -= 5.0 * np.clip((t - end - 3.9) / 0.9, 0.0, 1.0)
    f += _set(t, end + 3.0 + 1.8 + 6.5, 8, 20.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_sway_that_does_not_return_to_its_level_is_not_a_light_set() -> None:
    # gen_model_c seed 5003 (23.6 Hz), 6167-6198 s: after a set at 8.3 N the leg sways
    # in the rest; 8 swings of ~1 N (12.03% of the sets before, the floor is 12%) are
    # alike enough in range and duration to pass for a lighter exercise. Each rep comes
    # back to the level it left; each swing ends 24% of its range away from it.
    from tests.analysis import gen_model_c

    g = gen_model_c.generate(5003, gen_model_c.GenConfig(rate_hz=23.634197629535723))
    truth = [(s["kind"], s["rep_count"]) for s in g.truth["sets"]]
    assert len(truth) == 7
    assert _counts(analyze(g.time_s, g.force_n, g.stretch_mm)) == truth


def test_a_noisy_band_rewrapped_tighter_settles_before_the_next_holds() -> None:
    # gen_model_c seed 7035 (106 Hz): the band is re-wrapped tighter in the rest after
    # the first hold (rest 5 -> 15 N) with a noisy load cell (0.3 N). The settling cut
    # never saw 3 s of "calm": the noise scale had shrunk to the median-filtered
    # signal's differences (0.025 N) while the quiet range stayed ~1 N. The detector ran
    # to its 120 s checkpoint, which fell inside the third hold, and the hold was lost.
    # Calm is now also judged against the rest's own quiet range before the activity.
    from tests.analysis import gen_model_c

    g = gen_model_c.generate(7035, gen_model_c.GenConfig(rate_hz=106.12078804771225))
    t0 = g.time_s[0]
    w = g.time_s < t0 + 270.0
    truth = np.array([(h["start_s"], h["end_s"]) for h in g.truth["holds"]
                      if h["start_s"] < t0 + 270.0])
    assert len(truth) == 3
    for stretch in (g.stretch_mm[w], None):
        result = analyze(g.time_s[w], g.force_n[w], stretch)
        found = np.array([(h.start_s, h.end_s) for h in result.holds])
        assert found.shape == truth.shape and np.allclose(found, truth, atol=1.0), found
        assert _counts(result) == [("hold", 0)] * 3


def test_a_real_hold_of_another_exercise_is_kept() -> None:
    # The guard above must not drop a genuine hold that is lighter than the reps before.
    t, f = _session(110.0, 5)
    f += _set(t, 3.0, 8, 40.0)
    f += 18.0 * _bump(t, 70.0, 1.5, 15.0, 1.5)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("hold", 0)]
    assert len(result.holds) == 1 and abs(result.holds[0].duration_s - 15.0) < 0.5


def test_a_few_small_movements_after_a_set_are_not_a_set() -> None:
    # After a set at 20 N: seven movements of which only two reach 3.5 N (the rest 1 N),
    # 17% of the range: sway and shifting on the band, not a lighter exercise.
    t, f = _session(100.0, 6)
    f += _set(t, 3.0, 8, 20.0)
    for k, a in enumerate((3.5, 3.3, 1.2, 1.0, 1.1, 1.0, 1.4)):
        f += a * _bump(t, 48.0 + 4.0 * k, 1.2, 0.3, 1.2)
    assert _counts(analyze(t, f)) == [("reps", 8)]


def test_a_band_rewrapped_tighter_does_not_hide_the_next_hold() -> None:
    # gen_model_c seed 3024 (28 Hz), 200-420 s: the band is re-wrapped tighter (the rest
    # rises from 4 to 11.5 N), then two holds of ~32 N. Back from the first, the force sits
    # at 27% of the excursion from the old rest, never "back near rest": the detector
    # stayed active until its 120 s checkpoint, which cut the second hold in two and lost
    # it. Settled there (calm for 3 s, below half the excursion), it is a new rest.
    from tests.analysis import gen_model_c

    g = gen_model_c.generate(3024, gen_model_c.GenConfig(rate_hz=27.962271417999997))
    truth = np.array([(h["start_s"], h["end_s"]) for h in g.truth["holds"]
                      if 200.0 < h["start_s"] < 400.0])
    assert np.allclose(truth, [(250, 269), (328, 357)], atol=1.0)
    w = (g.time_s > 200.0) & (g.time_s < 420.0)
    for stretch in (g.stretch_mm[w], None):
        result = analyze(g.time_s[w], g.force_n[w], stretch)
        found = np.array([(h.start_s, h.end_s) for h in result.holds])
        assert found.shape == truth.shape and np.allclose(found, truth, atol=0.5), found


def _recording(model: str, seed: int, base: int) -> tuple[np.ndarray, np.ndarray, Any]:
    """Recording ``seed`` of ``tests.analysis.<model>`` at the rate bench/accuracy.py
    draws for it (seeds ``base``, ``base + 1``, ...)."""
    module: Any = importlib.import_module(f"tests.analysis.{model}")
    rng = np.random.default_rng(base)
    rate = [float(rng.uniform(20.0, 200.0)) for _ in range(seed - base + 1)][-1]
    g = module.generate(seed, module.GenConfig(rate_hz=rate))
    return g.time_s, g.force_n, g


def _fourth(seed: int, base: int = 7000) -> tuple[np.ndarray, np.ndarray, Any]:
    return _recording("gen_model_d", seed, base)


def _truth_counts(g: Any, until_s: float) -> list[tuple[str, int]]:
    t0 = g.time_s[0]
    return [(s["kind"], s["rep_count"]) for s in g.truth["sets"] if s["end_s"] < t0 + until_s]


def test_a_leg_swinging_in_the_rest_or_a_band_put_back_on_is_not_a_set() -> None:
    # gen_model_d seed 7010 (the fourth model, written without reading the analysis):
    # - 105-127 s: after a set of 27 N reps the leg swings the band about its rest, 12
    #   swings of 2-4 N, regular and alike (a light exercise would pass the same tests).
    #   Reps rise from the rest; these reach only ~60% of their range above it.
    # - 458-464 s: the band taken off (0 N) and put on again, a pull of 14.6 N (half the
    #   reps' range) that leaves the rest 3.6 N higher than it started: alone in its
    #   rest it read as a set of one rep.
    t, f, g = _fourth(7010)
    kinds = [x["kind"] for x in g.truth["fidgets"]
             if t[0] + 100 < x["start_s"] < t[0] + 130 or t[0] + 455 < x["start_s"] < t[0] + 465]
    assert kinds == ["sway", "sway", "rewrap"]
    for stretch in (g.stretch_mm, None):
        assert _counts(analyze(t, f, stretch)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_pulls_well_before_the_first_rep_are_not_attempts() -> None:
    # gen_model_d seed 7002 (force only), 864-872 s: repositioning in the rest, three
    # small pulls 6 s before the set's first rep joined the set as partial reps.
    t, f, g = _fourth(7002)
    w = (t > t[0] + 660.0) & (t < t[0] + 930.0)
    result = analyze(t[w], f[w])
    assert [s.rep_count for s in result.sets] == [22, 8]
    true_reps = [r for r in g.truth["reps"] if t[0] + 660.0 < r["start_s"] < t[0] + 925.0]
    assert len(result.reps) == len(true_reps) and result.sets[1].start_s > t[0] + 876.0


def test_back_to_back_reps_keep_their_rest() -> None:
    # gen_model_d seed 7015, 363-426 s: reps back to back; the end reported for one rep
    # lay on the next one's rise, and that rep's rest was read there (6.3 instead of
    # 3.0 N): a range of 1.7 N, dropped. Its rest is the valley between the two.
    t, f, g = _fourth(7015)
    w = (t > t[0] + 355.0) & (t < t[0] + 440.0)
    result = analyze(t[w], f[w], g.stretch_mm[w])
    assert [s.rep_count for s in result.sets] == [10]


def test_a_band_put_on_before_a_set_or_among_pulls_is_not_a_rep() -> None:
    # gen_model_d seed 7002 (force only), 964 s: the band put on 5 s before a set, a
    # pull of 86% of the reps' range that leaves the rest 2.7 N higher: it joined the set
    # as its first rep. Seed 7009, 348 s: the band put on (18.7 N) followed by six small
    # pulls: one "full rep" and six partials, read as a set of one rep.
    for seed, inputs in ((7002, (False,)), (7009, (True, False))):
        t, f, g = _fourth(seed)
        for with_stretch in inputs:
            result = analyze(t, f, g.stretch_mm if with_stretch else None)
            assert _counts(result) == _truth_counts(g, t[-1] - t[0] + 1.0), (seed, with_stretch)


def test_a_light_set_after_the_band_was_loosened_rises_from_its_own_rest() -> None:
    # Bridges at 40 N, the band re-wrapped looser in the rest (rest 4 N lower), then a
    # light exercise at 12 N. Its reps rise from the new rest, not from the old one: judged
    # against the old level they reach only 8 N above a rest 4 N too high and looked like
    # swings about it (third model seed 1000, before the rest level followed the re-wrap).
    t, f = _session(170.0, 9)
    f += _set(t, 3.0, 8, 40.0)
    f -= 4.0 * np.clip((t - 60.0) / 1.0, 0.0, 1.0)
    f += _set(t, 90.0, 8, 12.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_quick_pulls_in_the_rest_are_not_a_set() -> None:
    # gen_model_d seeds 11024, 11028 and 11038 (force only): repositioning, tugs and a
    # band put back on read as "sets" of one to four reps. Each pull lasted 1.0-1.5 s
    # with a range of 10-60% of the reps': reps of these exercises take longer (the
    # fastest true sets in four models: 1.4 s a rep, to failure with 14 reps).
    for seed in (11024, 11028, 11038):
        t, f, g = _fourth(seed, base=11000)
        assert _counts(analyze(t, f)) == _truth_counts(g, t[-1] - t[0] + 1.0), seed


def test_a_brief_tug_after_a_set_does_not_bridge_to_the_next() -> None:
    # gen_model_d seed 3037 (force only), 470-484 s: repositioning between two sets;
    # its brief pulls (under 0.9 s: dropped when the set closes) kept the set open until
    # the next set began 7.5 s after the last real movement, and the two were one.
    t, f, g = _fourth(3037, base=3000)
    assert _counts(analyze(t, f)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_a_hold_after_the_rest_moved_up_is_not_lost_at_the_checkpoint() -> None:
    # The simulator's full session (seed 3010): the band re-adjusted after a set moves the
    # rest up by 4.5 N and stays there, so the detector never sees the band back near its
    # old rest and cuts only at its 120 s checkpoint, which fell inside the next hold. The
    # window then ended on the hold's top, no peak yet, and the hold was dropped; it is
    # now carried into the next window.
    t, f = _session(220.0, 11)
    f += _set(t, 3.0, 8, 40.0)
    f += 4.5 * np.clip((t - 45.0) / 1.0, 0.0, 1.0)
    f += 50.0 * _bump(t, 150.0, 1.5, 25.0, 1.5)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("hold", 0)]
    assert abs(result.holds[0].duration_s - 25.0) < 0.3


def test_a_light_set_after_pulls_at_another_level_rises_from_its_own_rest() -> None:
    # gen_model_d seed 7037 (force only), 403-499 s: the band shifted in the rest (3.2 ->
    # 0.9 N) with pulls before a light set (9 N, 41% of the sets before). Judged against
    # the level before the shift its reps reached 74% of their range above it and the
    # whole set was dropped as swings; the level is the last quiet rest before its first rep.
    t, f, _ = _fourth(7037)
    w = (t > t[0] + 320.0) & (t < t[0] + 520.0)  # the set before, then the light one
    assert _counts(analyze(t[w], f[w])) == [("reps", 9), ("reps", 10)]


def test_a_band_taken_off_between_two_sets_does_not_join_them() -> None:
    # gen_model_d seed 11000 (force only), 770-785 s: between two sets the band is taken
    # off (0.3 N) and put on again at another level; the pull back on is as large as a
    # rep and bridged the 14.6 s rest, one set of 20 reps. A movement that starts from a
    # rest far from where the set's last rep came back to ends the set.
    t, f, g = _fourth(11000, base=11000)
    assert _counts(analyze(t, f)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_a_partial_rep_is_judged_by_stretch_when_the_band_has_it() -> None:
    # A stiffening band: a quarter of the stretch is an eighth of the force. A partial rep
    # (defined on the movement) of 25% of the reps' stretch is 12.5% of their force, under
    # the share below which a movement is fidgeting: with stretch it is a partial rep.
    # (Simulator seeds 3000/7000/11000 lost 1 rep in 300-500 this way.)
    t, _ = _session(60.0, 12)
    rng = np.random.default_rng(12)
    x = 60.0 * sum((_bump(t, 3.0 + 4.5 * k, 1.3, 0.6, 1.5) for k in range(8)),
                   np.zeros_like(t))
    x += 15.0 * _bump(t, 3.0 + 4.5 * 8, 1.0, 0.2, 1.0)  # a failed last attempt
    f = 6.0 + 0.2 * (x + x * x / 30.0) + rng.normal(0.0, 0.05, len(t))
    s = x + rng.normal(0.0, 0.05, len(t))
    with_stretch = analyze(t, f, s)
    last = with_stretch.reps[-1]
    assert len(with_stretch.reps) == 9 and last.partial
    assert last.range_mm is not None and abs(last.range_mm - 15.0) < 2.0
    assert [s.rep_count for s in with_stretch.sets] == [8]
    assert [s.rep_count for s in analyze(t, f).sets] == [8]


def test_one_pull_and_two_small_ones_in_the_rest_are_not_a_set() -> None:
    # gen_model_d seeds 7033 and 3019 (with stretch): repositioning in the rest, one pull
    # of 47-56% of the sets before (over the 45% that lets a set of few movements stand)
    # and one or two smaller ones. True sets with fewer than 4 full reps, in four models,
    # were as large as the sets before.
    for seed, base in ((7033, 7000), (3019, 3000)):
        t, f, g = _fourth(seed, base=base)
        assert _counts(analyze(t, f, g.stretch_mm)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_movements_from_scattered_rest_levels_are_not_a_set() -> None:
    # gen_model_d seed 3023 (force only), 381-401 s: the leg sways, then repositions: five
    # movements of 2-3.5 N (a quarter of the sets before), slow enough to pass for reps,
    # but each starts from another level (-0.05 to 1.9 N). Reps come back to one rest.
    t, f, g = _fourth(3023, base=3000)
    assert _counts(analyze(t, f)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_reps_on_a_band_re_tightened_after_hanging_slack_are_reps() -> None:
    # gen_model_e seed 7000 (the fifth model, written without reading the analysis),
    # 306-388 s: the band hangs slack (0 N) while the person repositions, is put back on
    # at 18 N, and a set of 10 N reps follows. The detector's rest was the slack band, so
    # the set was one window whose floor was 0 N: every valley between reps (at 18 N) sat
    # above 60% of the excursion from there, and the reps were merged into one long "top"
    # (read as a hold or lost). The excursion is measured from the rest they rose from.
    t, f = _session(120.0, 13)
    f -= 6.0 * ((t > 5.0) & (t < 20.0))  # slack: 0 N
    f += 12.0 * np.clip((t - 20.0) / 0.5, 0.0, 1.0)  # back on, tighter: 18 N
    f += _set(t, 35.0, 10, 10.0)
    assert _counts(analyze(t, f)) == [("reps", 10)]


def test_a_band_tensioned_by_hand_in_the_rest_is_not_a_hold() -> None:
    # gen_model_e (the fifth model): in the rest the band, hanging slack, is pulled taut by
    # hand, left there for 10-60 s and let go: steps of a fraction of a second each way,
    # read as holds (33 extra holds in 40 recordings). A hold is moved into and out of by
    # the limb: the longer of the two took at least 1.1 s in every true hold of five models.
    t, f = _session(150.0, 14)
    f += _set(t, 3.0, 8, 20.0)
    f += 9.0 * _bump(t, 60.0, 0.3, 25.0, 0.3)  # the band taken up by hand, then let go
    f += 20.0 * _bump(t, 110.0, 1.5, 20.0, 1.5)  # a real hold
    assert _counts(analyze(t, f)) == [("reps", 8), ("hold", 0)]


def _fifth(seed: int, base: int = 7000) -> tuple[np.ndarray, np.ndarray, Any]:
    return _recording("gen_model_e", seed, base)


def test_one_quick_pull_as_large_as_a_rep_is_not_a_set() -> None:
    # gen_model_e seed 7000, 28118-28126: repositioning, a pull of 23 N (as large as the
    # reps) lasting 1.2 s and a smaller one, read as a set of one rep. A set of fewer than
    # 4 full movements that are all quick is pulls, whatever their size.
    t, f, g = _fifth(7000)
    assert _counts(analyze(t, f, g.stretch_mm)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_one_rest_read_on_the_next_rise_does_not_split_a_set() -> None:
    # gen_model_e seed 7017, 1906-1913 s: back to back, the rest after one rep was read on
    # the next one's rise (12.9 N instead of 4.7 N), and the set was cut there as if the
    # band had been re-wrapped. The set's rest is that of its last reps.
    t, f, g = _fifth(7017)
    result = analyze(t, f, g.stretch_mm)
    assert _counts(result)[0] == ("reps", 10)
    assert abs(result.sets[1].start_s - g.truth["sets"][1]["start_s"]) < 1.0


def test_quick_pulls_at_either_end_of_a_set_are_not_attempts() -> None:
    # gen_model_c/d/e: repositioning just before a set or right after it, pulls of a
    # second or less next to reps of 3-5 s, joined the set as partial (or full) reps.
    # Failed attempts are slow struggles: at the ends of true sets in five models they
    # lasted at least 36% of the set's typical rep; these pulls under 30%.
    t, f = _session(80.0, 15)
    f += _set(t, 6.0, 8, 20.0)  # reps of 3.4 s from 6 s, the last ends at 40.9 s
    f += 8.0 * _bump(t, 3.0, 0.4, 0.1, 0.4)  # a pull 2 s before the first rep
    f += 12.0 * _bump(t, 42.5, 0.4, 0.1, 0.4)  # and one right after the last
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert len(result.reps) == 8


def test_a_long_pause_among_the_reps_of_a_set_is_a_rep() -> None:
    # gen_model_f (the sixth model): some sets pause 2.5-5 s at the top; a top of 5 s or
    # more was read as a hold, a set of its own, splitting the set in three. No true hold
    # in six models started within 3 s of a rep: a hold is a set of its own, after a rest.
    t, f = _session(100.0, 16)
    f += _set(t, 3.0, 4, 20.0)  # reps of 3.4 s every 4.5 s: the 4th ends at 19.9 s
    f += 20.0 * _bump(t, 21.0, 1.3, 6.0, 1.5)  # a rep paused 6 s at the top
    f += _set(t, 31.0, 4, 20.0)
    f += 20.0 * _bump(t, 70.0, 1.5, 15.0, 1.5)  # then, after a rest, a real hold
    result = analyze(t, f)
    assert _counts(result) == [("reps", 9), ("hold", 0)]
    assert max(r.pause_s for r in result.reps) > 5.5


def test_small_failed_attempts_right_after_a_set_to_failure_are_partial_reps() -> None:
    # gen_model_e/f (fifth and sixth models): at failure the last attempts moved the band
    # 8-13% of the set's range, under the 14% below which a movement is fidgeting, and were
    # dropped. They follow the previous movement within a second or so and take as long
    # as a struggling rep: attempts, not tugs.
    t, f = _session(80.0, 17)
    f += _set(t, 3.0, 8, 20.0)  # reps of 3.4 s every 4.5 s: the last ends at 37.9 s
    f += 2.4 * _bump(t, 38.6, 0.9, 0.2, 1.0)  # 12%, 0.7 s after the last rep
    f += 2.0 * _bump(t, 41.3, 0.8, 0.1, 0.9)  # 10%, 0.6 s after that one
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert [r.partial for r in result.reps] == [False] * 8 + [True, True]
    assert result.reps[-1].start_s > 41.0


def test_a_small_movement_long_after_or_long_lasting_is_not_an_attempt() -> None:
    # The same small movements are fidgeting when they come well after the set's last
    # movement, last many seconds (the band creeping and swaying, gen_model_c), or rise
    # back to the set's rest from below it (the band let go past its rest after the last
    # rep, gen_model_c).
    def last(start: float, rise: float, fall: float, rest_n: float) -> Movement:
        m = _movement(start, rise, 0.1, fall, 2.4)
        return dataclasses.replace(m, rest_n=rest_n, rest_after_n=rest_n)

    reps = [_movement(4.5 * k, 1.3, 0.6, 1.5, 20.0) for k in range(8)]
    end = reps[-1].end_s
    cases = {
        "attempt": last(end + 0.7, 0.9, 1.0, 0.0),
        "later": last(end + 2.5, 0.9, 1.0, 0.0),
        "slow": last(end + 0.7, 4.5, 1.0, 0.0),
        "from below": last(end + 0.5, 1.0, 1.0, -2.4),
    }
    partials = {}
    for name, m in cases.items():
        builder = SetBuilder()
        closed: list[ClosedSet] = []
        for x in [*reps, m]:
            closed += builder.add(x)
        closed += builder.close()
        assert [c.summary.rep_count for c in closed] == [8]
        partials[name] = sum(r.partial for r in closed[0].reps)
    assert partials == {"attempt": 1, "later": 0, "slow": 0, "from below": 0}


def test_a_first_rep_that_leaves_the_band_under_tension_is_a_rep() -> None:
    # gen_model_f (the sixth model): some sets keep slight tension between reps, so the
    # first rep starts from the rest and comes back 5 N above it, like the band put on
    # just before a set (gen_model_d), and was dropped. It is in the set's rhythm: the
    # next reps follow it as they follow each other, and it takes as long as they do.
    t, f = _session(60.0, 18)
    first, last = 3.0, 3.0 + 4.5 * 7  # reps of 3.4 s every 4.5 s
    f += _set(t, first, 8, 20.0)
    f += 5.0 * (np.clip((t - first - 1.9) / 1.5, 0.0, 1.0)
                - np.clip((t - last - 1.9) / 1.5, 0.0, 1.0))
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert result.reps[0].start_s < first + 0.5


def test_a_long_pause_on_the_first_or_after_a_partial_rep_is_a_rep() -> None:
    # gen_model_f (the sixth model), sets paused 2.5-5 s at the top: the first rep's top,
    # read at 5 s or more, was a hold of its own; so was the last rep's, after a failed
    # (partial) attempt half its size. No true hold in seven models is followed by a rep
    # within 6 s or starts within 3 s of one.
    t, f = _session(110.0, 19)
    f += 20.0 * _bump(t, 3.0, 1.3, 6.0, 1.5)  # the first rep paused 6 s: ends at 11.8 s
    f += _set(t, 12.5, 6, 20.0)  # the last of these ends at 38.9 s
    f += 8.0 * _bump(t, 39.5, 1.0, 0.2, 1.0)  # a failed attempt, 40% of the range
    f += 20.0 * _bump(t, 42.3, 1.3, 6.0, 1.5)  # and a last rep, paused 6 s
    f += 20.0 * _bump(t, 75.0, 1.5, 15.0, 1.5)  # then, after a rest, a real hold
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("hold", 0)]
    assert [r.partial for r in result.reps].count(True) == 1


def test_a_band_left_stretched_after_a_set_is_neither_a_rep_nor_a_hold() -> None:
    # gen_model_e (the fifth model): the band left stretched for 40 s right after a set
    # became a rep of that set with a 40 s pause (or a hold). No true rep pauses over 5 s
    # in six models and no true hold starts within 3 s of a rep.
    t, f = _session(120.0, 20)
    f += _set(t, 3.0, 8, 20.0)  # the last rep ends at 37.9 s
    f += 12.0 * _bump(t, 39.0, 1.0, 30.0, 1.0)
    f += _set(t, 85.0, 8, 20.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)]
    assert max(r.pause_s for r in result.reps) < 1.5


def test_a_hold_followed_closely_by_pulls_is_still_a_hold() -> None:
    # A hold may not lead a set when what follows it within 3 s is pulls, not reps: the
    # hold is judged on its own and the pulls as fidgeting.
    t, f = _session(110.0, 21)
    f += _set(t, 3.0, 8, 20.0)
    f += 20.0 * _bump(t, 55.0, 1.5, 8.0, 1.5)  # a hold, back at rest at 66 s
    f += 14.0 * _bump(t, 67.5, 0.4, 0.1, 0.4) + 12.0 * _bump(t, 69.5, 0.4, 0.1, 0.4)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("hold", 0)]
    assert len(result.holds) == 1 and result.holds[0].duration_s > 7.0


def test_a_small_attempt_in_a_window_that_starts_on_the_last_rep_is_found() -> None:
    # gen_model_g (the seventh model): the detector's window began on the set's last rep,
    # already reported; a failed attempt of 11% of the rep's range 1.2 s after it was
    # measured against the rep's range (peaks need 12% of the window's range) and lost.
    # What is new in the window is what sets the scale.
    from analysis.window import analyze_window

    t, f = _session(16.0, 22)
    f += 45.0 * _bump(t, 1.0, 1.3, 0.4, 1.8)  # the last rep: back at rest at 4.5 s
    f += 5.0 * _bump(t, 5.7, 1.2, 0.2, 1.4)  # the attempt, 11% of it
    result = analyze_window(t, f, None, 6.0, after_s=4.6)
    assert len(result.movements) == 1
    assert abs(result.movements[0].start_s - 5.7) < 0.3
    assert 4.0 < result.movements[0].range_n < 6.0


def test_one_pull_as_large_as_a_rep_in_the_rest_is_not_a_set() -> None:
    # gen_model_g (the seventh model): turning over between exercises pulls the band
    # once as far as a rep, and slowly (2-4 s): a "set" of one rep. No true set in seven
    # models has fewer than two reps.
    t, f = _session(120.0, 23)
    f += _set(t, 3.0, 8, 20.0)  # the last rep ends at 37.9 s
    f += 20.0 * _bump(t, 58.0, 1.2, 0.3, 1.5)
    f += _set(t, 80.0, 8, 20.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_a_hold_right_after_brief_tugs_is_a_hold_when_like_the_sessions_holds() -> None:
    # gen_model_g (the seventh model): the fourth of four holds began 2 s after two brief
    # tugs of the band in the rest and was dropped as the band left stretched after a
    # set. Brief tugs are no set, and the long top is as large as the holds before it.
    t, f = _session(200.0, 24)
    for start in (3.0, 45.0, 87.0):
        f += 20.0 * _bump(t, start, 1.5, 20.0, 1.5)
    f += 7.0 * _bump(t, 130.0, 0.25, 0.05, 0.25) + 6.0 * _bump(t, 130.7, 0.3, 0.05, 0.3)
    f += 20.0 * _bump(t, 133.4, 1.5, 20.0, 1.5)
    result = analyze(t, f)
    assert _counts(result) == [("hold", 0)] * 4
    assert all(h.duration_s > 19.0 for h in result.holds)


def test_a_stretch_held_in_the_rest_is_not_a_partial_rep() -> None:
    # gen_model_f (the sixth model): a hip stretch against the band in the rest, opened
    # to a third of the range and held 4 s, 2 s after a set's last rep, joined the set
    # as a partial rep and bridged to the next set. Aborted reps do not pause longer than
    # the full ones (true partial reps in seven models: at most 0.6 s more).
    t, f = _session(110.0, 25)
    f += _set(t, 3.0, 8, 20.0)  # reps paused 0.6 s; the last ends at 37.9 s
    f += 6.5 * _bump(t, 40.0, 1.5, 4.0, 1.5)  # back at rest at 47 s
    f += _set(t, 52.5, 8, 20.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)]
    assert not any(r.partial for r in result.reps)


def test_attempts_after_a_set_that_began_with_the_band_put_on_are_found() -> None:
    # gen_model_g (the seventh model): the band was put on (0 -> 6 N) a few seconds before
    # the set, in the same window of activity, so the window spanned 6 N of rest change
    # plus the reps' 8 N. Two failed attempts of 1.4 N (17% of the reps) after the last
    # rep were under 12% of that span and never reached the set builder. They are
    # measured against the movements in the window, not its span.
    rng = np.random.default_rng(31)
    t = np.arange(0.0, 70.0, 0.01)
    f = 6.0 * _bump(t, 1.5, 0.6, 100.0, 1.0) + rng.normal(0.0, 0.05, len(t))
    f += _set(t, 4.0, 8, 8.0)  # the last rep ends at 38.9 s
    f += 1.4 * _bump(t, 39.8, 0.9, 0.0, 0.9)
    f += 1.4 * _bump(t, 42.6, 0.9, 0.0, 0.9)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert [r.partial for r in result.reps] == [False] * 8 + [True, True]
    assert result.reps[-1].start_s > 42.2


def test_a_last_attempt_after_which_the_limb_is_let_down_is_a_partial_rep() -> None:
    # gen_model_f/g (sixth and seventh models), confirmed on the eighth: the band keeps a
    # little tension between reps, and after the last failed attempt the person lets the
    # limb down to the floor, so the rest after it is lower than before. That looked
    # like the band re-wrapped looser, and the attempt was dropped. It follows the set in
    # its rhythm: an attempt. The next set, after a rest, stays a set of its own.
    t, f = _session(100.0, 41)
    f += 3.0 * (1.0 - np.clip((t - 40.3) / 1.1, 0.0, 1.0))  # tension, let go in the fall
    f += _set(t, 3.0, 8, 20.0)  # the last rep ends at 37.9 s
    f += 4.0 * _bump(t, 39.0, 1.0, 0.2, 1.2)  # 20%, 1.1 s after it, down to 3 N lower
    f += _set(t, 50.0, 8, 20.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)]
    assert [r.partial for r in result.reps][:9] == [False] * 8 + [True]
    assert abs(result.reps[8].start_s - 39.0) < 0.3


def _drop(t: np.ndarray, f: np.ndarray, start: float, end: float
          ) -> tuple[np.ndarray, np.ndarray]:
    keep = (t < start) | (t >= end)
    return t[keep], f[keep]


def test_a_link_drop_in_the_middle_of_a_set_does_not_split_it() -> None:
    # gen_model_h (the eighth model): the link dropped for 6.9 s in the middle of a set,
    # while two partial reps were done; the movements seen on either side were 7.7 s
    # apart, and the set was split in two. Time with no samples is no evidence of rest.
    t, f = _session(110.0, 43)
    f += _set(t, 3.0, 8, 20.0)  # reps every 4.5 s, 1.1 s of rest between them
    f += _set(t, 3.0 + 8 * 4.5 + 6.0, 6, 20.0)  # the same set after two lost reps
    f += _set(t, 96.0, 2, 20.0)  # the next set, after a 14 s rest
    t, f = _drop(t, f, 38.1, 44.8)  # the eighth rep ends at 37.9 s, the ninth starts at 45
    result = analyze(t, f)
    assert _counts(result) == [("reps", 14), ("reps", 2)]


def test_a_rest_between_sets_with_lost_samples_still_ends_the_set() -> None:
    # A link drop inside a real rest: the rest seen is shorter than 7 s, but 10 s or
    # more in all end the set (no rest between sets was shorter than 10.1 s in seven
    # models); one seen for 7 s ends it whatever was lost before.
    t, f = _session(130.0, 44)
    f += _set(t, 3.0, 6, 20.0)  # the last rep ends at 28.9 s
    f += _set(t, 40.0, 6, 20.0)  # 11.1 s later: 4 s of it lost
    f += _set(t, 75.0 + 9.5, 6, 20.0)  # 9.5 s after the second set, 1 s of it lost
    t, f = _drop(t, f, 31.0, 35.0)
    t, f = _drop(t, f, 66.5, 67.5)
    assert _counts(analyze(t, f)) == [("reps", 6), ("reps", 6), ("reps", 6)]


def test_live_equals_offline_across_link_drops() -> None:
    from analysis.live import LiveAnalyzer

    t, f = _session(110.0, 43)
    f += _set(t, 3.0, 8, 20.0) + _set(t, 3.0 + 8 * 4.5 + 6.0, 6, 20.0) + _set(t, 96.0, 2, 20.0)
    t, f = _drop(t, f, 38.1, 44.8)
    t, f = _drop(t, f, 90.0, 91.0)
    offline = analyze(t, f)
    for batch in (1, 7, 50):
        live = LiveAnalyzer(band_id="b")
        for i in range(0, len(t), batch):
            live.feed(t[i:i + batch], f[i:i + batch], None)
        live.finish()
        assert live.summary() == offline


def test_a_quick_tap_after_a_set_is_not_a_failed_attempt() -> None:
    # gen_model_h (the eighth model), and the fourth to seventh: knees tapping or the band
    # re-seated just after a set were read as failed attempts. Attempts at the end of a
    # set take at least half as long as its reps (1st percentile over six models: 0.49)
    # and start from its rest; this tap takes 0.4 of a rep.
    t, f = _session(70.0, 45)
    f += _set(t, 3.0, 8, 20.0)  # reps of 3.4 s; the last ends at 37.9 s
    f += 4.0 * _bump(t, 39.5, 0.6, 0.0, 0.75)  # 20%, 1.35 s
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert len(result.reps) == 8
    # A real attempt, as slow as a struggling rep, stays.
    t, f = _session(70.0, 46)
    f += _set(t, 3.0, 8, 20.0)
    f += 4.0 * _bump(t, 39.5, 1.2, 0.1, 1.3)  # 20%, 2.6 s
    result = analyze(t, f)
    assert [r.partial for r in result.reps] == [False] * 8 + [True]


def test_a_pull_three_seconds_before_a_set_is_not_a_failed_attempt() -> None:
    # gen_model_h (the eighth model): taps and re-seats 2.5-5 s before a set's first rep
    # were read as partial reps of the set. True partial reps before a set's first full
    # rep come at most 2.2 s before it (six models): in the set's rhythm.
    t, f = _session(60.0, 47)
    f += 4.0 * _bump(t, 2.0, 0.8, 0.0, 0.8)  # 20%, ends at 3.6 s
    f += _set(t, 6.6, 8, 20.0)  # 3.0 s later
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert len(result.reps) == 8


def test_two_unalike_pulls_in_the_rest_are_not_a_set() -> None:
    # gen_model_e/h (fifth and eighth models): two pulls in a rest, as large as the reps
    # but one three times as long as the other, made a set of two. Reps of one exercise
    # take alike times (true sets under 4 reps in six models: durations within a CV of
    # 0.13; these fakes 0.38-0.92).
    t, f = _session(110.0, 48)
    f += _set(t, 3.0, 6, 20.0)  # ends at 29.9 s
    f += 20.0 * _bump(t, 45.0, 0.6, 0.1, 0.7)  # 1.4 s
    f += 20.0 * _bump(t, 48.0, 1.6, 0.4, 1.6)  # 3.6 s
    f += _set(t, 66.0, 6, 20.0)
    assert _counts(analyze(t, f)) == [("reps", 6), ("reps", 6)]


def test_a_stretch_held_for_six_seconds_in_the_rest_is_not_a_hold() -> None:
    # gen_model_f (the sixth model): a hip stretch held 5-6 s between sets was read as a
    # hold, a set of its own. The table-top reach is held for several breaths (8 s or
    # more in eight models); a real hold of 12 s stays one.
    t, f = _session(140.0, 49)
    f += _set(t, 3.0, 6, 20.0)  # ends at 29.9 s
    f += 10.0 * _bump(t, 45.0, 1.5, 6.0, 1.5)  # held 6 s
    f += _set(t, 70.0, 6, 20.0)  # ends at 96.9 s
    f += 15.0 * _bump(t, 112.0, 1.5, 12.0, 1.5)  # a hold of 12 s
    result = analyze(t, f)
    assert _counts(result) == [("reps", 6), ("reps", 6), ("hold", 0)]
    assert abs(result.holds[0].duration_s - 12.0) < 1.0


def _band_off(t: np.ndarray, f: np.ndarray, start: float, end: float) -> None:
    """The band taken off (or hanging slack) strictly between ``start`` and ``end``:
    0 N with a little ripple, in place."""
    off = (t > start) & (t < end)
    f[off] = 0.05 * np.sin(t[off] * 30.0)


def test_reps_after_a_re_seat_that_let_the_band_go_slack_are_found() -> None:
    # gen_model_e/h (fifth and eighth models): the band re-seated in the rest (a tug, a
    # moment slack at 0 N, then back at its rest) and 10-45 s of rest later a set. The
    # first rep was measured from the slack moment: one movement 35 s long, lost as a band
    # left stretched (12 full reps on the dev seeds of two models). The rep rises from the
    # rest just before it.
    t, f = _session(90.0, 50)
    f += 9.0 * _bump(t, 10.0, 0.2, 0.1, 0.2)  # the tug
    _band_off(t, f, 10.6, 11.4)
    f[t >= 11.4] -= 0.3  # seated a little looser
    f += _set(t, 45.0, 8, 6.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)]
    assert len(result.reps) == 8
    assert abs(result.reps[0].start_s - 45.0) < 0.3


def test_an_adc_pinned_at_its_rail_for_a_few_samples_does_not_cut_a_hold() -> None:
    # gen_model_e (the fifth model): EMI and ADC clipping put runs of 3-4 samples at the
    # rail (-3 N, or 60 N) at 50-90 Hz; the running median (5 samples there) kept them,
    # and a hold was cut in two or a rep peaked at 60 N.
    rng = np.random.default_rng(51)
    t = np.arange(0.0, 80.0, 1.0 / 56.0)
    f = 6.0 + rng.normal(0.0, 0.05, len(t))
    f += _set(t, 3.0, 6, 12.0)  # ends at 29.9 s
    f += 8.0 * _bump(t, 45.0, 1.5, 16.0, 1.5)  # a hold of 16 s
    for at, level in ((50.0, -3.0), (55.0, -3.0), (14.0, 60.0)):
        i = int(np.searchsorted(t, at))
        f[i:i + 4] = level
    result = analyze(t, f)
    assert _counts(result) == [("reps", 6), ("hold", 0)]
    assert abs(result.holds[0].duration_s - 16.0) < 1.0
    assert max(r.peak_force_n for r in result.reps) < 19.0


def test_a_hold_ends_at_its_rest_when_the_band_is_taken_off_later() -> None:
    # gen_model_e seed 7020, force only: the band off (0 N), back on at its rest, a hold,
    # 50 s of rest, the band off again, all in one analysis window. The hold was measured
    # from one band-off to the other: it lasted 50 s longer and took the rest in. It
    # rises from and returns to the rest beside it.
    t, f, g = _fifth(7020)
    true = g.truth["holds"][1]
    found = [h for h in analyze(t, f).holds
             if h.end_s > true["start_s"] and h.start_s < true["end_s"]]
    assert len(found) == 1
    assert abs(found[0].start_s - true["start_s"]) < 1.0
    assert abs(found[0].end_s - true["end_s"]) < 1.0
    # A hold that sags by a fifth of its height keeps its length: the still, lower end
    # of it is no rest (the rest must be at the level on the movement's other side).
    t, f = _session(130.0, 52)
    f += _set(t, 3.0, 6, 12.0)  # ends at 29.9 s
    _band_off(t, f, 38.0, 41.0)
    hold = 8.0 * _bump(t, 45.0, 1.5, 14.0, 1.5)
    sag = np.clip((t - 50.0) / 5.0, 0.0, 1.0) * (t < 60.5)
    f += hold - 1.6 * sag * (hold > 7.9)
    _band_off(t, f, 110.0, 118.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 6), ("hold", 0)]
    assert abs(result.holds[0].duration_s - 14.0) < 1.0


def test_a_pull_that_puts_the_band_back_on_ends_the_set() -> None:
    # gen_model_d seed 7028, 1754061242-267 s: taps after a set, the band off for 4 s, put
    # back on with a pull to twice its rest, then the next set 6 s later. With the taps
    # timed on their own rests (not down to the band off), nothing ended the set and the
    # two sets were one. A movement that rises from well below the set's rest and
    # returns to it puts the band back on: the set is over.
    t, f, g = _fourth(7028)
    assert _counts(analyze(t, f)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_reps_on_a_band_put_back_on_tighter_after_a_tug_are_a_set() -> None:
    # gen_model_e seed 7014 (fifth model): the band off, put back on tighter with a tug,
    # a swing, then a set of reps a quarter of the rest's height. Measured from the rest
    # before the band went off, every valley of the set looked high and the tug, the
    # swing and all the reps merged into one top: the set was lost. The rest between two
    # peaks is looked for before their valley is judged.
    t, f = _session(150.0, 53)
    f += _set(t, 3.0, 6, 12.0)  # ends at 29.9 s
    _band_off(t, f, 40.0, 50.0)
    f += 2.0 * _bump(t, 50.0, 0.3, 0.2, 0.6)  # put back on with a tug
    f += 1.0 * _bump(t, 70.0, 0.5, 0.0, 0.5)  # a swing
    f += _set(t, 90.0, 8, 3.5)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 6), ("reps", 8)]
    assert len(result.reps) == 14


def test_a_hold_just_after_the_band_is_put_back_on_is_a_hold() -> None:
    # The band off, put back on with a tug, and a hold 1.7 s later (gen_model_e seed 3038,
    # gen_model_h): the tug moved the rest up, it is no rep the hold follows, and the hold
    # is no band left stretched after a set.
    t, f = _session(120.0, 54)
    f += _set(t, 3.0, 6, 12.0)  # ends at 29.9 s
    _band_off(t, f, 40.0, 60.0)
    f += 2.0 * _bump(t, 60.0, 0.3, 0.2, 0.6)  # put back on with a tug, ends at 61.1 s
    f += 8.0 * _bump(t, 62.8, 1.5, 15.0, 1.5)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 6), ("hold", 0)]
    assert abs(result.holds[0].duration_s - 15.0) < 1.0


def test_a_weak_hold_after_a_re_seat_pull_does_not_open_a_set() -> None:
    # gen_model_d seed 9001 (base 9000): a pull that moved the rest down, then the band
    # resting a little stretched for 12 s (a "hold" of 1 N against reps of 7 N). Read as
    # a hold (the pull before it ignored, see _last_in_place), it held a set open that
    # chained fidgets into the next set, which was lost. A hold that weak stays a band
    # left stretched.
    t, f, g = _recording("gen_model_d", 9001, 9000)
    assert _counts(analyze(t, f, g.stretch_mm)) == _truth_counts(g, t[-1] - t[0] + 1.0)


def test_a_hold_weaker_than_the_last_set_but_not_than_the_session_is_a_hold() -> None:
    # gen_model_e seed 7037: two sets of bridges (reps of 6 N), two of table-top hip
    # rotation (15 N), then the table-top reach held for 30 s, 3.7 N above the rest: 25%
    # of the last set, 35% of the session's sets. A hold is "weak" (a band left
    # stretched) only when it is under 25% of both; the last set alone dropped it.
    t, f, g = _recording("gen_model_e", 7037, 7000)
    res = analyze(t, f, g.stretch_mm)
    assert _counts(res) == _truth_counts(g, t[-1] - t[0] + 1.0)
    first = g.truth["holds"][0]
    assert any(abs(h.start_s - first["start_s"]) < 1.0 for h in res.holds)


def test_the_band_let_slack_and_back_to_its_rest_is_not_a_hold() -> None:
    # gen_model_i: after a set the person reaches for a drink, the band goes slack (5 N
    # below its rest for a few seconds), comes back to its rest and stays there until the
    # band slips off a knee. The rest reference had followed the band down, so the way
    # back up read as a 20 s "hold" as strong as the sets' reps: a "hold" that only
    # returns to the rest seen before it is the rest.
    t, f = _session(150.0, 55)
    f += _set(t, 3.0, 8, 5.0)  # ends at 40.9 s
    f -= 5.0 * _bump(t, 48.0, 1.5, 4.0, 1.5)  # back at the rest at 55 s
    _band_off(t, f, 75.0, 77.0)
    f += _set(t, 100.0, 8, 5.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_a_drink_in_the_rest_does_not_add_a_hold() -> None:
    # gen_model_i seed 9032 (base 9000): after a set to failure (reps of 16-35 N on 27 N
    # of pre-tension) a bottle reached for left the band at 11 N for 4 s; back at its
    # rest for 16 s, then unhooked: a 16 s "hold" at the band's own rest.
    t, f, g = _recording("gen_model_i", 9032, 9000)
    truth = [kind for kind, _ in _truth_counts(g, t[-1] - t[0] + 1.0)]
    assert [kind for kind, _ in _counts(analyze(t, f, g.stretch_mm))] == truth


def test_cramps_in_the_rest_are_not_a_set() -> None:
    # gen_model_i: in the rest between two sets the leg cramps twice: the band jerks to
    # the reps' range in 0.3 s, shakes there and is let down. Two alike movements as
    # large as reps passed as a set of two; reps of these exercises rise under control.
    t, f = _session(150.0, 56)
    f += _set(t, 3.0, 8, 10.0)  # ends at 40.9 s
    for at in (55.0, 61.0):
        f += 10.0 * _bump(t, at, 0.3, 1.5, 1.2)
    f += _set(t, 90.0, 8, 10.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_a_slow_small_set_is_still_a_set() -> None:
    # The same rest with two slow reps (a set of two to failure): reps rise in 1.3 s.
    t, f = _session(150.0, 56)
    f += _set(t, 3.0, 8, 10.0)
    f += _set(t, 55.0, 2, 10.0)
    f += _set(t, 90.0, 8, 10.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 2), ("reps", 8)]


def _step(t: np.ndarray, at: float, rise: float) -> np.ndarray:
    u = np.clip((t - at) / rise, 0.0, 1.0)
    out: np.ndarray = u * u * (3 - 2 * u)
    return out


def test_turning_over_to_a_new_rest_is_not_a_hold() -> None:
    # gen_model_i seed 9019: the person turns over between sets: the band is pulled up
    # and let down below its rest, then settles 1.5 N higher and stays there 12 s until
    # it slips off a knee. Measured from the dip, that is a 12 s "hold" of 4 N; it rose
    # only a third of that above the quiet rest before it.
    t, f = _session(150.0, 57)
    f += _set(t, 3.0, 8, 5.0)  # ends at 40.9 s
    f += 3.0 * _bump(t, 50.0, 0.4, 0.0, 0.4)
    f -= 4.5 * _bump(t, 50.9, 0.3, 0.3, 1.2)
    f += 1.5 * _step(t, 51.6, 1.2)
    _band_off(t, f, 65.0, 68.0)
    f += _set(t, 90.0, 8, 5.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_frames_lost_into_a_rep_do_not_split_its_set() -> None:
    # gen_model_i seeds 9005 and 9037: the link drops 5-7 s in the middle of a set and
    # comes back at the top of a rep. The window took its first samples for the rest it
    # rose from: a small movement from far above the set's rest, judged a re-wrap, and
    # with the time lost the rest seemed long enough to end the set: one set became two.
    t, f = _session(120.0, 58)
    f += _set(t, 3.0, 12, 10.0)
    # Reps start every 4.5 s from 3 s, reach the top 1.3 s later and hold it 0.6 s: lose
    # 23.8-32.4 s, from the middle of the 5th rep's fall to the middle of the 7th's. The
    # 6th is gone; the 7th, seen only falling, is a rep of the set.
    keep = (t < 23.8) | (t > 32.4)
    assert _counts(analyze(t[keep], f[keep])) == [("reps", 11)]


def test_a_cramp_after_a_set_does_not_join_it_to_the_next() -> None:
    # gen_model_i seeds 3008 and 9025: 3.5 s after a set the leg cramps, the band jerks to
    # half the reps' range in 0.3 s; the next set starts 6 s after the cramp. Taken for
    # a failed attempt, it held the set open into the next one: two sets became one.
    t, f = _session(120.0, 59)
    f += _set(t, 3.0, 8, 10.0)  # the last rep ends at 37.9 s
    f += 4.5 * _bump(t, 41.4, 0.3, 1.5, 1.2)  # ends at 44.4 s
    f += _set(t, 50.5, 8, 10.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 8)]


def test_a_hold_after_a_drink_is_a_hold() -> None:
    # gen_model_i seeds 7008, 7020, 7022, 7030: a slow pull in the rest (reaching for a
    # drink), the band back at its rest for 2 s, then the table-top reach rises over 2 s
    # and is held for 30 s. Within 3 s of a pull, it was read as the band left
    # stretched and lost; a band left stretched never came back to a quiet rest.
    t, f = _session(160.0, 60)
    f += _set(t, 3.0, 8, 10.0)  # ends at 40.9 s
    f += 5.0 * _bump(t, 60.0, 1.2, 2.0, 1.2)  # ends at 64.4 s
    f += 12.0 * _bump(t, 66.4, 2.0, 30.0, 2.0)
    assert _counts(analyze(t, f)) == [("reps", 8), ("hold", 0)]


def test_a_big_pull_after_a_set_is_not_its_size() -> None:
    # gen_model_j (the tenth model, written without reading the analysis): a pet, a child
    # or the phone pulls the band to 2-6 times the reps' range 4-7 s after a set. Taken
    # into the set, it became the set's typical range, every rep a partial rep before its
    # "first full one", and the whole set of 10 was lost (11 sets on the dev seeds).
    t, f = _session(120.0, 61)
    f += _set(t, 3.0, 10, 10.0)  # the last rep ends at 47.9 s
    f += 22.0 * _bump(t, 52.0, 0.6, 1.2, 0.7)
    assert _counts(analyze(t, f)) == [("reps", 10)]


def test_the_tenth_models_sets_before_a_pull_are_kept() -> None:
    # gen_model_j seeds 9000, 9019 and 7027 (see above): a pet pulling 4 s after bridges,
    # the phone on the sensor 7 s after table-top hip rotations, a pull after bridges.
    # Every set of reps is found (matched by overlap), its count within one rep (a
    # to-failure set of 17 read as 18 on seed 9000 is another error).
    from analysis.scoring import match

    for seed, base in ((9000, 9000), (9019, 9000), (7027, 7000)):
        _, _, g = _recording("gen_model_j", seed, base)
        result = analyze(g.time_s, g.force_n, g.stretch_mm)
        truth = [s for s in g.truth["sets"] if s["kind"] == "reps"]
        found = [s.model_dump() for s in result.sets if s.kind == "reps"]
        pairs = match(truth, found)
        assert len(pairs) == len(truth), (seed, found)
        for i, j in pairs:
            assert abs(truth[i]["rep_count"] - found[j]["rep_count"]) <= 1, (seed, truth[i])


def test_a_hand_on_the_sensor_is_no_movement_of_the_band() -> None:
    # gen_model_j (the tenth model): the phone put down on the band's sensor pad presses
    # it a few times in the rest; the force jumps like reps, the stretch does not move.
    t, f = _session(150.0, 62)
    reps = _set(t, 3.0, 8, 10.0)
    f += reps
    s = 20.0 + 5.0 * reps + np.random.default_rng(63).normal(0.0, 0.2, len(t))
    f += _set(t, 70.0, 4, 10.0)  # presses like reps, stretch still
    with_stretch = analyze(t, f, s)
    assert _counts(with_stretch) == [("reps", 8)], with_stretch.sets
    # Without stretch the force alone cannot tell: a set of 4.
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 4)]


def test_two_pulls_seconds_apart_are_no_set_but_a_short_set_in_rhythm_is() -> None:
    # gen_model_j (the tenth model): the phone touched twice, a child pulling the band
    # twice, 3-6 s apart in a rest, made a "set" of 2. True sets of 2-4 reps in ten
    # models follow each other within 2.5 s (seventh model: a set cut short).
    t, f = _session(160.0, 64)
    f += _set(t, 3.0, 8, 10.0)  # ends at 37.9 s
    f += 10.0 * (_bump(t, 70.0, 1.0, 0.5, 1.0) + _bump(t, 77.0, 1.0, 0.5, 1.0))
    f += 10.0 * (_bump(t, 110.0, 1.3, 0.6, 1.5) + _bump(t, 115.4, 1.3, 0.6, 1.5)
                 + _bump(t, 120.8, 1.3, 0.6, 1.5))  # 3 reps, 2 s apart
    assert _counts(analyze(t, f)) == [("reps", 8), ("reps", 3)]


def test_a_pull_after_a_break_in_the_rhythm_is_not_the_sets_last_rep() -> None:
    # gen_model_j (the tenth model): turning over 4 s after a set, one slow pull, was
    # read as the set's last rep (70 such tails on the dev seeds of ten models, 13 true).
    t, f = _session(120.0, 65)
    f += _set(t, 3.0, 8, 10.0)  # ends at 37.9 s, reps 3.4 s long, 1.1 s apart
    f += 9.0 * _bump(t, 42.5, 3.5, 0.5, 3.0)  # 7 s long, 4.6 s after the set
    assert [(s.kind, s.rep_count) for s in analyze(t, f).sets] == [("reps", 8)]


def test_a_rest_pause_before_the_last_reps_keeps_them() -> None:
    # A set to failure with a rest-pause (the sixth model): the reps after it are alike.
    t, f = _session(120.0, 66)
    f += _set(t, 3.0, 8, 10.0)  # ends at 37.9 s
    f += _set(t, 43.0, 2, 9.0)  # 5.1 s later, two more of the same tempo
    assert [(s.kind, s.rep_count) for s in analyze(t, f).sets] == [("reps", 10)]


def test_rocking_in_the_rest_is_not_a_light_set() -> None:
    # gen_model_k (the eleventh model, written without reading the analysis), seeds 3003
    # and 3035: rolling the glute on a ball rocks the band at 0.3-0.7 Hz for 8-20 s; at
    # 12-24% of the session's sets it read as a light set of alike reps, back to back
    # and turning at the top without a pause. The true sets that light rest between
    # reps or pause at the top.
    for seed in (3003, 3035):
        _, _, g = _recording("gen_model_k", seed, 3000)
        result = analyze(g.time_s, g.force_n, g.stretch_mm)
        rocking = [(x["start_s"], x["end_s"]) for x in g.truth["fidgets"]
                   if x["kind"] == "roller"]
        assert rocking
        on_rocking = [s for s in result.sets
                      if any(a <= s.start_s and s.end_s <= b for a, b in rocking)]
        assert not on_rocking, (seed, on_rocking)
        assert len(result.sets) == len(g.truth["sets"])


def _rocking(t: np.ndarray, at: float, seconds: float, hz: float, size: float) -> np.ndarray:
    """A band rocked from its rest (rolling on a ball): a raised cosine, whole cycles."""
    u = t - at
    cycles = np.floor(seconds * hz) / hz
    on = (u >= 0.0) & (u <= cycles)
    return np.where(on, size * 0.5 * (1.0 - np.cos(2 * np.pi * hz * u)), 0.0)


def test_rocking_between_two_sets_neither_joins_them_nor_adds_reps() -> None:
    # gen_model_k (the eleventh model) seeds 7009, 3000, 3021: rolling on a ball 4 s after
    # a set and until 5 s before the next, at under half the reps' range, back to back
    # and turning without a pause, kept the rest from ever starting: the two sets were one
    # with 6 "partial reps" in it, or the rocking trailed a set as partial reps.
    t, f = _session(200.0, 67)
    f += _set(t, 3.0, 8, 10.0)  # ends at 37.9 s
    f += _rocking(t, 42.0, 14.0, 0.4, 3.5)  # 5 cycles, to 54.5 s
    f += _set(t, 59.5, 8, 10.0)  # ends at 94.4 s
    f += _rocking(t, 97.0, 12.0, 0.5, 3.5)  # 6 cycles after the last set
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)], result.sets
    assert not any(r.partial for r in result.reps)


def test_failed_attempts_resting_between_them_stay_partial_reps() -> None:
    # The other side of the rule above: four failed attempts at the end of a set, each
    # back at rest 0.6 s before the next (true runs of partial reps in eleven models rest
    # 0.34 s or more between them), are the set's partial reps.
    t, f = _session(120.0, 68)
    f += _set(t, 3.0, 8, 10.0)  # ends at 37.9 s
    f += sum((3.0 * _bump(t, 38.9 + 2.6 * k, 0.9, 0.1, 1.0) for k in range(4)),
             np.zeros_like(t))
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)], result.sets
    assert sum(r.partial for r in result.reps) == 4


def test_a_pull_off_the_sets_rhythm_at_its_edge_is_not_a_rep() -> None:
    # gen_model_k (the eleventh model): a partner checking the band 4-5 s before or after
    # a set, one pull 30% harder than the reps and held, was read as the set's first or
    # last rep (dev seeds of eleven models: 103 such edges false, 1 true).
    t, f = _session(160.0, 69)
    f += 13.0 * _bump(t, 2.0, 1.4, 1.5, 1.0)  # ends at 5.9 s
    f += _set(t, 10.5, 8, 10.0)  # 1.1 s between reps; ends at 45.4 s
    f += _set(t, 90.0, 8, 10.0)  # ends at 124.9 s
    f += 13.0 * _bump(t, 129.5, 1.4, 1.5, 1.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)], result.sets
    assert len(result.reps) == 16


def test_rocking_at_over_a_quarter_of_the_sets_is_no_set() -> None:
    # gen_model_k: rocking at 25-30% of the range of the sets before was a set of 8-14.
    # Back-to-back, pause-less groups of movements on the dev seeds of eleven models: the
    # false ones anywhere from 0.02 to 1.1 of the sets before, the true ones at 0.59 or
    # more (0.41 on a reporting seed: side-lying rotations after bridges).
    t, f = _session(200.0, 70)
    f += _set(t, 3.0, 8, 10.0)  # ends at 37.9 s
    f += _rocking(t, 60.0, 15.0, 0.55, 2.8)
    f += _set(t, 100.0, 8, 10.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)], result.sets


def test_rocking_before_the_first_set_is_no_set() -> None:
    # gen_model_k seeds 7020, 7036, 9017: rolling on a ball right before the session's
    # first set was a first "set" of 10-13 alike reps, with no set before it to be judged
    # against. Held back until the next set of reps: at under 0.3 of it, dropped.
    t, f = _session(160.0, 71)
    f += _rocking(t, 2.0, 16.0, 0.5, 2.5)  # 8 cycles, to 18 s
    f += _set(t, 22.0, 8, 10.0)
    f += _set(t, 100.0, 8, 10.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)], result.sets
    assert result.sets[0].start_s > 21.0


def test_a_first_set_that_never_pauses_is_kept() -> None:
    # The other side: a first set of quick back-to-back reps without a pause (side-lying
    # hip rotation to failure), then heavier sets, then a hold; and one alone in its
    # session (the end of the session accepts it).
    t, f = _session(260.0, 72)
    f += _rocking(t, 3.0, 20.0, 0.5, 8.0)  # 10 reps back to back, 8 N
    f += _set(t, 60.0, 8, 12.0)
    f += 12.0 * _bump(t, 180.0, 2.0, 30.0, 2.0)
    assert _counts(analyze(t, f)) == [("reps", 10), ("reps", 8), ("hold", 0)]
    t, f = _session(60.0, 73)
    f += _rocking(t, 3.0, 20.0, 0.5, 8.0)
    assert _counts(analyze(t, f)) == [("reps", 10)]


def test_a_fidget_filling_the_rest_does_not_join_two_sets() -> None:
    # gen_model_l (the twelfth model) seeds 3034, 7012: a yawn or a stretch 3-3.5 s after
    # a set and 4 s before the next (a slow 6 s pull at 40% of the reps' range) kept the
    # 7 s rest from coming: one set of 21 with the yawn as a partial rep.
    t, f = _session(160.0, 78)
    f += _set(t, 3.0, 8, 10.0)  # 1.1 s between reps; ends at 37.9 s
    f += 4.0 * _bump(t, 41.4, 2.5, 1.0, 2.5)  # 41.4-47.4 s
    f += _set(t, 51.4, 8, 10.0)
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8), ("reps", 8)], result.sets
    assert not any(r.partial for r in result.reps)


def test_a_much_longer_pull_nearer_the_set_is_not_its_last_rep() -> None:
    # The same as a pull off the rhythm (above), nearer: 2 s over the set's median gap, a
    # pull 1.6 times as long as its reps (a partner holding the band out) is no rep; a
    # true last rep that near is alike (dev seeds: 28 such edges false, 2 true).
    t, f = _session(120.0, 79)
    f += _set(t, 3.0, 8, 10.0)  # 3.4 s reps, 1.1 s apart; ends at 37.9 s
    f += 10.0 * _bump(t, 41.0, 2.0, 2.0, 1.4)  # 5.4 s, 3.1 s after the set
    result = analyze(t, f)
    assert _counts(result) == [("reps", 8)], result.sets
    assert len(result.reps) == 8
