"""Live analysis: batch by batch, bounded memory, and the same result as offline."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.live import LiveAnalyzer
from analysis.offline import analyze
from bandsense.model import Hold, LiveState, Rep, SetSummary
from tests.analysis.conftest import Sample, gen_recording, sim_recording


def _feed_randomly(s: Sample, seed: int, max_batch: int) -> tuple[LiveAnalyzer, list[object]]:
    rng = np.random.default_rng(seed)
    live = LiveAnalyzer(band_id="band-1")
    events: list[object] = []
    i, n = 0, len(s.time_s)
    while i < n:
        k = int(rng.integers(1, max_batch + 1))
        st = s.stretch_mm[i:i + k] if s.stretch_mm is not None else None
        events += live.feed(s.time_s[i:i + k], s.force_n[i:i + k], st)
        i += k
    events += live.finish()
    return live, events


@pytest.mark.parametrize(("seed", "rate", "max_batch"),
                         [(9101, 40.0, 7), (9102, 150.0, 300), (9103, 90.0, 60)])
def test_live_equals_offline_generator(seed: int, rate: float, max_batch: int) -> None:
    s = gen_recording(seed, rate_hz=rate, exercises=1)
    live, _ = _feed_randomly(s, seed, max_batch)
    assert live.summary() == analyze(s.time_s, s.force_n, s.stretch_mm)


def test_live_equals_offline_simulator(bridge_50hz: Sample) -> None:
    live, events = _feed_randomly(bridge_50hz, 1, 40)
    offline = analyze(bridge_50hz.time_s, bridge_50hz.force_n, bridge_50hz.stretch_mm)
    summary = live.summary()
    assert summary == offline
    assert len(offline.reps) >= 30

    # Every rep was announced live, before its set's summary; the set summaries and the
    # final rep versions carry the band id.
    reps = [e for e in events if isinstance(e, Rep)]
    sets = [e for e in events if isinstance(e, SetSummary)]
    assert {r.index for r in reps} == {r.index for r in offline.reps}
    assert [x.model_copy(update={"band_id": None}) for x in sets] == offline.sets
    assert all(x.band_id == "band-1" for x in reps + sets)
    first_rep = {}
    for pos, e in enumerate(events):
        if isinstance(e, Rep):
            first_rep.setdefault(e.index, pos)
    set_pos = {e.index: pos for pos, e in enumerate(events) if isinstance(e, SetSummary)}
    for r in offline.reps:
        assert first_rep[r.index] < set_pos[r.set]


def test_live_state_and_holds(sim_dir) -> None:  # type: ignore[no-untyped-def]
    s = sim_recording(sim_dir, "table_top_reach", 40.0, 9104)
    live, events = _feed_randomly(s, 2, 20)
    states = [e for e in events if isinstance(e, LiveState)]
    holds = [e for e in events if isinstance(e, Hold)]
    assert len(holds) == len(s.truth["holds"]) > 0
    assert {st.phase for st in states} >= {"rest", "concentric", "top", "eccentric"}
    # Time at the top grows while held: the longest one is close to a hold's duration.
    longest = max(st.time_at_top_s for st in states)
    assert longest > 0.6 * min(h.duration_s for h in holds)
    assert live.summary() == analyze(s.time_s, s.force_n, s.stretch_mm)


def test_memory_is_bounded() -> None:
    s = gen_recording(9105, rate_hz=200.0, exercises=2)
    live = LiveAnalyzer(band_id="b")
    peak = 0
    for i in range(0, len(s.time_s), 50):
        st = s.stretch_mm[i:i + 50] if s.stretch_mm is not None else None
        live.feed(s.time_s[i:i + 50], s.force_n[i:i + 50], st)
        peak = max(peak, live.engine.buffered)
    # The buffer holds one window of activity (a hold is the longest), never the session.
    assert peak < 0.25 * len(s.time_s)
    assert peak < 200.0 * 60


def test_live_confirms_a_held_back_first_set_late_and_equals_offline() -> None:
    # A first set that moves like rocking is held back until the next set of reps (see
    # analysis.sets.FIRST_OSCILLATION_FRACTION): live, its summary comes with the next
    # set's, in set order, and the session equals the offline one.
    from tests.analysis.test_rest_structure import _rocking, _session, _set

    t, f = _session(160.0, 74)
    f += _rocking(t, 3.0, 20.0, 0.5, 8.0)  # a first set of 10 back-to-back reps
    f += _set(t, 60.0, 8, 12.0)
    s = Sample("held back", t, f, None, {})
    live, events = _feed_randomly(s, 75, 50)
    offline = analyze(t, f)
    assert live.summary() == offline
    assert [(x.kind, x.rep_count) for x in offline.sets] == [("reps", 10), ("reps", 8)]
    sets = [(pos, e) for pos, e in enumerate(events) if isinstance(e, SetSummary)]
    assert [e.index for _, e in sets] == [0, 1]
    # the first set's summary is not out before the second set's reps are
    first_of_second = min(pos for pos, e in enumerate(events)
                          if isinstance(e, Rep) and e.start_s >= 59.0)
    assert sets[0][0] > first_of_second
    # every final rep of both sets was sent (the held-back set's reps were provisional)
    last: dict[int, Rep] = {}
    for e in events:
        if isinstance(e, Rep):
            last[e.index] = e
    assert [r.model_copy(update={"band_id": None}) for r in last.values()] == offline.reps
