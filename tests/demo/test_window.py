"""--seconds: the played window and its truth (no services needed)."""

from __future__ import annotations

import numpy as np

from bandsense.demo import CUT_MARGIN_S, cut_time, window_source, window_truth
from firmware_sim.sample_source import demo_source
from firmware_sim.truth import Truth, TruthHold, TruthRep, TruthSet


def rep(index: int, start: float, end: float) -> TruthRep:
    third = (end - start) / 3
    return TruthRep(
        index=index, set=0, start_s=start, top_start_s=start + third,
        top_end_s=end - third, end_s=end, concentric_s=third, pause_s=third,
        eccentric_s=third, peak_force_n=50.0,
    )  # fmt: skip


TRUTH = Truth(
    sets=[
        TruthSet(index=0, kind="reps", side=None, start_s=2.0, end_s=14.0, rep_count=3,
                 partial_count=0),
        TruthSet(index=1, kind="hold", side=None, start_s=30.0, end_s=45.0, rep_count=0,
                 partial_count=0),
    ],
    reps=[rep(0, 2.0, 6.0), rep(1, 6.5, 10.0), rep(2, 10.5, 14.0)],
    holds=[
        TruthHold(
            set=1, start_s=30.0, end_s=45.0, duration_s=12.0, top_start_s=31.5, top_end_s=43.5
        )
    ],
)


def test_a_cut_inside_a_rep_moves_past_its_end() -> None:
    assert cut_time(TRUTH, 8.0, 60.0) == 10.0 + CUT_MARGIN_S
    assert cut_time(TRUTH, 20.0, 60.0) == 20.0  # in the rest: as asked
    assert cut_time(TRUTH, 40.0, 60.0) == 45.0 + CUT_MARGIN_S  # inside the hold
    assert cut_time(TRUTH, None, 60.0) == 60.0
    assert cut_time(TRUTH, 100.0, 60.0) == 60.0


def test_window_truth_keeps_what_ended_in_the_window() -> None:
    cut = window_truth(TRUTH, 10.5)
    assert [r.index for r in cut.reps] == [0, 1]
    assert [s.index for s in cut.sets] == [0]
    assert cut.holds == []
    assert len(window_truth(TRUTH, 50.0).holds) == 1


def test_window_source_cuts_samples_and_the_frames_lost_after_the_cut() -> None:
    source = demo_source(duration_s=10.0, rate_hz=100.0, drop_every=3)
    cut = window_source(source, 4.0)
    assert len(cut) == 401 and cut.time_s[-1] == 4.0
    assert cut.stretch_mm is not None and len(cut.stretch_mm) == 401
    np.testing.assert_array_equal(cut.force_n, source.force_n[:401])
    frames = cut.dropped_frames(10)
    assert frames.size and (frames * 10 < 401).all()
    np.testing.assert_array_equal(frames, source.dropped_frames(10)[: frames.size])
    assert window_source(source, 20.0) is source
