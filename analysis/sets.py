"""From movements to sets, reps (full and partial), holds and per-set statistics.

Movements arrive in time order. A set is a run of movements separated by less than
``SET_GAP_S`` of rest (rest seen: time with no samples does not count, up to
``SET_GAP_UNSEEN_S`` in all, see ``DataGaps``); a movement whose top lasts ``HOLD_MIN_S``
or more is a hold and always forms a set of its own. A movement whose rise fell in a
data gap (no samples since the open set's last movement) rose from the set's rest: what
was seen first is not a rest. While a set is open:

- a movement under ``FIDGET_FRACTION`` of the set's typical range is fidgeting, dropped
  at once so that it never bridges two sets, unless it is a failed attempt: it follows
  the set's previous movement within ``ATTEMPT_GAP_S``, takes ``ATTEMPT_MIN_S`` to
  ``ATTEMPT_MAX_S`` and rises from the set's rest (then it is a partial rep);
- a small movement (under half the typical range) that starts ``FAIL_GAP_S`` or more
  after the set's last movement is a tug in the rest, not a failed attempt: dropped;
- so is one that starts ``JERK_GAP_S`` or more after it and jerks to its top in under
  ``JERK_RISE_S`` (a cramp: attempts are slow struggles in the set's rhythm);
- a small movement that takes ``SET_GAP_S`` or more (no rep moves that slowly: the band
  was re-wrapped or left half released) is rest: it closes the set.

After a rest, a small movement opens a set only if it is slow (a tug is brief): it may be
the first rep of a lighter exercise. When a set closes, its typical range (median range of
its larger movements) decides for each movement:

- range < ``FIDGET_FRACTION`` of typical (unless a failed attempt, as above), or under
  half of it *and* shorter than ``FIDGET_MAX_S`` -> fidgeting, dropped;
- range < half of typical -> partial rep (``partial: true``, not in ``rep_count``);
- otherwise a full rep.

A whole set is compared with the sets accepted so far (their median typical range, and
the last one: after a light exercise the median no longer shows what a set looks like).
It is dropped as fidgeting when

- its typical range is under ``LIGHT_SET_FLOOR`` of theirs;
- it is under half of ``FIDGET_SET_FRACTION`` of theirs and does not look like a set of
  reps (at least ``LIGHT_SET_MIN_REPS`` slow movements alike in range and duration, each
  back at the level it left to within ``LIGHT_SET_RETURN`` of the range: sway is neither
  regular nor alike, and swings about a level);
- it is under ``SMALL_SET_FRACTION`` of theirs with fewer than ``FEW_MOVEMENTS`` full
  movements, or with full movements fewer than half of its movements;
- it is under ``SMALL_SET_FRACTION`` of theirs and swings about the level the band rested
  at before it instead of rising from it (a leg swinging in the rest);
- it only holds brief tugs;
- it has fewer than ``FEW_MOVEMENTS`` full movements whose durations are unalike
  (coefficient of variation over ``SMALL_SET_DURATION_CV``);
- it has at most ``QUICK_SET_MAX_REPS`` full movements that rise to their top in under
  ``QUICK_RISE_S`` on median (jerks: cramps, the band snapped back on).

Partial reps at the end of a set that take under ``TAIL_MIN_DURATION`` of its reps'
median duration, or start from another rest, are taps and re-seats after it, not failed
attempts.

A set of fewer than ``FEW_MOVEMENTS`` full movements drops those that leave the rest at
another level (by more than ``REWRAP_SHIFT_FRACTION`` of their range), and any set drops
such movements at its start: the band was put on or re-wrapped. Small movements that
end ``ATTEMPT_GAP_S`` or more before a set's first full rep are pulls in the rest, not
attempts.

A small movement after a set that leaves the rest at another level (by more than
``REST_SHIFT_FRACTION`` of its range) is the band being re-wrapped: not a failed attempt,
and it does not keep the set open. Unless it leaves the rest lower and follows the set in
its rhythm (within ``ATTEMPT_GAP_S``, rising from the set's rest, at most
``ATTEMPT_MAX_S`` long): the last failed attempt, after which the limb was let down; the
set then goes on only if the next movement starts within ``LET_DOWN_SHIFT`` of the set's
range from the set's rest.

A hold under ``HOLD_MIN_FRACTION`` of the sets before is a band left slightly stretched
in a rest, not a hold; so is a top held under ``HOLD_ALONE_MIN_S`` on its own (a
stretch). Nor is one whose top is less than ``HOLD_RETURN_FRACTION`` of its range above
the rest after it: the rest level moved up (the band re-wrapped tighter). Nor is one that
rises from well below the rest seen before it back to that rest (to within
``BACK_TO_REST_FRACTION`` of its range): the band back from being let slack; nor one
that rises from a valley (no quiet rest before it) to under ``VALLEY_HOLD_RISE_FRACTION``
of its range above the last quiet rest: the band settled at a new rest. A top too long
for a rep that starts within ``HOLD_AFTER_REP_S`` of a movement is the band left
stretched after the set, unless it rose from a quiet rest ``HOLD_REST_GAP_S`` or more
after that movement and took ``HOLD_RISE_S`` or more to reach its top (a hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np

from analysis.fastfilters import median
from analysis.prescription import Prescription, Side
from analysis.types import Movement
from bandsense.model import Hold, Rep, SetSummary

SET_GAP_S = 7.0
# Time with no samples (the link dropped, frames lost) is no evidence of rest: a set
# closes after SET_GAP_S of rest that was seen, or after SET_GAP_UNSEEN_S in all (no rest
# between two sets in seven models was under 10.1 s; a 6.9 s link drop in the middle of
# a set of the eighth split it). Samples further apart than DATA_GAP_S leave the time
# between them unseen.
DATA_GAP_S = 0.5
SET_GAP_UNSEEN_S = 10.0
# A movement at either end of a set lasting under this share of the set's typical rep is
# a pull in the rest (repositioning, a tug), not a rep nor a failed attempt: attempts are
# slow struggles (true reps and attempts at the ends of sets, in five models: >= 0.36).
EDGE_PULL_FRACTION = 0.35
HOLD_MIN_S = 5.0
PARTIAL_FRACTION = 0.5
FIDGET_FRACTION = 0.14
FIDGET_MAX_S = 0.9
FIDGET_SET_FRACTION = 0.3
# A "set" of a few movements is a tug or a re-wrap of the band unless its range is a
# good share of the sets before (a real set of another exercise has several reps).
SMALL_SET_FRACTION = 0.45
FEW_MOVEMENTS = 4
# ... and one of fewer than FEW_MOVEMENTS full movements is, unless its range is this
# share of the sets before (true sets that short, in four models: 1.0x and more).
FEW_SET_FRACTION = 0.6
# Reps come back to one rest: a small set whose full movements start from rest levels
# scattered by more than this share of its range (median absolute deviation; true sets:
# at most 0.05 in four models) is repositioning and shifting in the rest.
REST_SCATTER_FRACTION = 0.1
# Failed (partial) attempts follow the set's last rep within FAIL_GAP_S; a small movement
# later than that is fidgeting in the rest and must not hold the set open.
FAIL_GAP_S = 5.0
HOLD_MIN_FRACTION = 0.25
# A hold comes back down: its top above the rest after it by at least this share of its
# range, else the "hold" is the rest moving up (a band re-wrapped tighter).
HOLD_RETURN_FRACTION = 0.5
# Moving into a hold and out of it are deliberate movements of the limb (true holds, in
# five models: the longer of the two >= 1.1 s); a band tensioned by hand and let go again
# (re-adjusted in the rest) rises and falls in well under a second.
HOLD_MIN_MOVE_S = 0.8
HOLD_AFTER_REP_S = 3.0
# ... unless it rose from a quiet rest HOLD_REST_GAP_S or more after the set's last
# movement and took HOLD_RISE_S or more to reach its top: a band left stretched never
# came back to rest. True holds lost to the 3 s rule on the dev seeds of four models
# (8): 1.6-2.8 s after a pull, rising in 1.4-2.7 s; of the 5 tops it rightly drops that
# rose from a quiet rest that late, 4 rose in 0.3-0.9 s (one, a band stretched by hand
# and held, in 1.5 s: now a false hold).
HOLD_REST_GAP_S = 1.5
HOLD_RISE_S = 1.2
# A "hold" rising from a level at least half its range below the rest seen before it, to
# within this share of its range of that rest, is the band coming back to its rest after
# it was let slack for a while (reaching for a drink, the band slipping off a knee): not
# a hold (such tops in three models: 0.05 above that rest or less, on median; true holds
# in nine models: 0.17 and more).
BACK_TO_REST_FRACTION = 0.12
# A "hold" measured from a valley (no quiet rest before it: the band pulled about while
# the person turned over) whose top is under this share of its range above the last quiet
# rest is the band settled at a new rest, not a hold (true holds from a valley in nine
# models: 0.88 and more; the ninth model's turns: 0.38 at most).
VALLEY_HOLD_RISE_FRACTION = 0.5
# A hold of the table-top reach lasts several breaths: 8 s or more in eight models (812
# holds on dev seeds of six independent ones: 8.6 s and more at the 0.5th percentile).
# A top of HOLD_MIN_S to this long on its own, away from reps, is a stretch held in the
# rest (the sixth model's hip stretches of 5-6 s), not a hold.
HOLD_ALONE_MIN_S = 7.0
LEAD_MAX_RATIO = 1.5
# ... and no rep pauses longer than this at the top (true reps in six models: 5 s at
# most): a longer top that close to a rep is the band left stretched after the set.
REP_MAX_PAUSE_S = 10.0
HOLD_LIKE_RATIO = 1.5
# Failed attempts at the end of a set take at least half as long as its reps and start
# from its rest (dev seeds of six models, 1,951 of them: 1st percentile 0.49 of the
# duration, rest within 0.07 of the range); taps and re-seats just after a set are
# quicker or start elsewhere.
TAIL_MIN_DURATION = 0.45
TAIL_REST_FRACTION = 0.1
PARTIAL_HELD_S = 1.5
PARTIAL_HELD_MIN_S = 3.0
# A small movement whose rest after differs from the rest before by more than this share
# of its range is a re-wrap of the band (a failed attempt starts and ends at rest).
REST_SHIFT_FRACTION = 0.5
# A leg swinging in the rest moves the band about its rest level: its "reps" rise on
# median under this share of their range above the level the band rested at before.
SWING_RISE_FRACTION = 0.75
# A set of fewer than FEW_MOVEMENTS full movements drops those that leave the rest at
# another level by more than this share of their range (the band put on or re-wrapped),
# and any set drops such movements at its start.
REWRAP_SHIFT_FRACTION = 0.2
# A lighter exercise after a heavier one is a set when at least LIGHT_SET_MIN_REPS
# movements of LIGHT_SET_MIN_S or more are alike; none is below LIGHT_SET_FLOOR.
LIGHT_SET_MIN_REPS = 6
LIGHT_SET_MIN_S = 1.2
LIGHT_SET_FLOOR = 0.12
LIGHT_SET_RETURN = 0.15
# Reps of these exercises take time: a "set" of fewer than BRIEF_SET_MAX_REPS full
# movements, under BRIEF_SET_FRACTION of the sets before, whose full movements last on
# median under BRIEF_REP_S is quick pulls (a tug, repositioning, a leg swing), not reps.
BRIEF_REP_S = 1.6
BRIEF_SET_MAX_REPS = 8
BRIEF_SET_FRACTION = 0.8
# These exercises rise to the top under control: a "set" of at most QUICK_SET_MAX_REPS
# full movements that rise in under QUICK_RISE_S on median is jerks (cramps, the band
# snapped back on, tugs), not reps. True sets that small in nine models rise in 0.64 s
# or more on median (the fastest set of reps, of 8 and more: 0.48 s); the ninth model's
# cramps and pulls in 0.25-0.5 s.
QUICK_RISE_S = 0.55
QUICK_SET_MAX_REPS = 5
# ... and a small movement out of the set's rhythm (JERK_GAP_S or more after its last
# movement: attempts follow within 3 s in three models) that rises in under JERK_RISE_S
# is a jerk (a cramp), not a failed attempt (none of 5,823 partial reps found on dev
# seeds of nine models; 18 false ones, 11 of them the ninth model's cramps).
JERK_GAP_S = 3.0
JERK_RISE_S = 0.45
# One full movement among fewer than FEW_MOVEMENTS is not a set (none in seven models
# has fewer than two reps; the seventh's turns in the rest are single pulls as large as
# its reps).
MIN_SET_REPS = 2
# A light "set" (typical range under OSCILLATION_FRACTION of the sets before) whose
# movements follow each other back to back (median gap under OSCILLATION_S) without a
# pause at the top (median under OSCILLATION_S) is the band rocking or swaying (rolling
# the glute on a ball, a leg swinging: the eleventh and fourth models), not reps. Such
# back-to-back, pause-less groups on the dev seeds of eleven models: the false ones
# anywhere from 0.02 to 1.1 of the sets before, the true sets at 0.59 or more; but a
# reporting seed had a true one at 0.41 (fourth model seed 5021: side-lying rotations to
# failure after bridges), lost at 0.45. 0.25 before round 16.
OSCILLATION_FRACTION = 0.3
OSCILLATION_S = 0.1
# Rocking before the session's first set (rolling on a ball to warm up: the eleventh
# model) has no set before it to be judged against: a first set of reps that moves like
# rocking is held back until the next set of reps, and dropped if its typical range is
# under FIRST_OSCILLATION_FRACTION of that set's. Such first "sets" on the dev seeds of
# eleven models: the false ones at 0.04-0.28 of the next set, the true ones at 0.90 and
# more; kept as low as the rule above (a light exercise may come first). A hold next, or
# the end of the session, accepts it. Its SetSummary comes late.
FIRST_OSCILLATION_FRACTION = 0.3
# Inside a set, OSCILLATION_RUN or more partial-sized movements in a row that follow each
# other back to back (median gap under OSCILLATION_S) and hardly pause at the top (median
# under OSCILLATION_RUN_PAUSE_S: a slow cosine's round top is timed as a pause of 0.1-0.3 s)
# are the band rocking in the rest next to the set (rolling on a ball after it, or between
# two sets that it then joined), not attempts: true runs of 3-4 partial reps in eleven
# models rest between them (median gap 0.34 s or more). Runs of 3 are left: failed
# attempts cut close together can overlap (third model seed 3022).
OSCILLATION_RUN = 4
OSCILLATION_RUN_PAUSE_S = 0.3
# After a set's last rep, turning over, untwisting the band or a child pulling it were
# taken in as its last reps (the tenth model; taps and re-seats in others). A tail of at
# most 2 full reps after a gap this much longer than the set's median gap, whose first
# movement takes or rises UNLIKE_RATIO times shorter or longer than the set's reps, is
# not the set's: such tails on the dev seeds of ten models held 70 false reps and 13
# true ones (a rest-pause before the last reps of a set to failure is alike).
RHYTHM_BREAK_S = 3.0
UNLIKE_RATIO = 1.8
# A movement FOREIGN_GAP_S or more further than the median gap from the movements on both
# sides, with FEW_MOVEMENTS full reps or more on each side, and unlike them (partial-sized
# or UNLIKE_RATIO off their duration) is a fidget that joined two sets: a yawn or stretch
# 3-4 s after a set and before the next kept the 7 s rest from ever coming (the twelfth
# model). The set is split there (dev seeds of eleven models: +20 recording-points of sets
# exact summed, twelfth 12.5 of them, none lost).
FOREIGN_GAP_S = 2.0
# A full movement at either end of a set, more than STRAY_EDGE_GAP_S further from the
# next than the set's median gap, that takes STRAY_EDGE_DURATION_RATIO times longer or
# shorter than the set's full reps, or peaks STRAY_EDGE_PEAK_RATIO times higher or lower,
# is a pull in the rest next to the set (a partner checking the band, turning over), not
# its first or last rep: such edges on the dev seeds of eleven models were 103 false reps
# and 1 true one (a true first or last rep that far off the set's rhythm is like its reps).
STRAY_EDGE_GAP_S = 2.5
STRAY_EDGE_DURATION_RATIO = 1.25
STRAY_EDGE_PEAK_RATIO = 1.15
# ... and one 1.5-2.5 s off the rhythm that is 1.5 times off in duration or 1.3 times in
# peak (such edges on the dev seeds: 28 false reps, 2 true; at 1.25 / 1.15: 35 and 20).
STRAY_EDGE_NEAR_GAP_S = 1.5
STRAY_EDGE_NEAR_DURATION_RATIO = 1.5
STRAY_EDGE_NEAR_PEAK_RATIO = 1.3
# A "set" of at most FEW_MOVEMENTS movements that follow each other on median this long
# after the one before is pulls in the rest, not reps (true sets of 2-4 reps in ten models:
# 2.5 s apart at most; the tenth model's pairs of pulls by a pet, a child or the phone:
# 0.3-6 s, and 7 of 16 at 3.1 s or more).
SMALL_SET_GAP_S = 3.5
# A movement whose stretch range is under this share of what its force range implies at
# the session's stretch per newton (median over the reps of the sets accepted so far) did
# not stretch the band: a hand on the sensor (true reps in ten models: 0.30 and more).
STILL_BAND_FRACTION = 0.2
# ... and one of fewer than FEW_MOVEMENTS whose full movements' durations vary by more than
# this (coefficient of variation) is pulls and fidgets: true sets that small in six
# models vary by 0.13 at most, the fake ones by 0.38-0.92 (9 of 11).
SMALL_SET_DURATION_CV = 0.35
# A failed attempt at the end of a set to failure may move the band less than
# FIDGET_FRACTION of the set's range (an eighth of it, in two models). It is still an
# attempt when it follows the set's previous movement within ATTEMPT_GAP_S (attempts keep
# the set's rhythm: at most 2.3 s in two models, under 3 s in a third; tugs in the rest
# come later), takes
# ATTEMPT_MIN_S to ATTEMPT_MAX_S (a struggle, not a twitch nor the band creeping and
# swaying for many seconds), rises from the set's rest (not back up to it after the band
# was let go below it), and is at least ATTEMPT_MIN_FRACTION of the range (anything
# smaller is not fitted at all).
ATTEMPT_MIN_FRACTION = 0.07
ATTEMPT_GAP_S = 2.5
ATTEMPT_MIN_S = 1.0
ATTEMPT_MAX_S = 4.5
# A movement that leaves the rest at another level just before a set is the band put
# on, unless it is the set's first rep in its rhythm (see _in_rhythm).
RHYTHM_SLACK_S = 1.0
# After a failed attempt that let the limb down (see _lets_go), a movement starting more
# than this share of the set's range away from the set's rest is after the set.
LET_DOWN_SHIFT = 0.25
RHYTHM_DURATION_RATIO = 1.5


@dataclass
class DataGaps:
    """Stretches of the stream with no samples, ``(start_s, end_s)`` in time order."""

    spans: list[tuple[float, float]] = field(default_factory=list)

    def rest_over_at(self, end_s: float) -> float:
        """When a rest that began at ``end_s`` has lasted long enough to end a set:
        ``SET_GAP_S`` of it seen, at most ``SET_GAP_UNSEEN_S`` in all."""
        due = end_s + SET_GAP_S
        for a, b in self.spans:
            if b <= end_s:
                continue
            if a >= due:
                break
            due += b - max(a, end_s)
        return min(due, end_s + SET_GAP_UNSEEN_S)

    def unseen_between(self, end_s: float, start_s: float) -> bool:
        """No samples from ``end_s`` to ``start_s`` (each to within ``DATA_GAP_S``)."""
        return any(a <= end_s + DATA_GAP_S and b >= start_s - DATA_GAP_S
                   for a, b in self.spans)

    def forget_before(self, time_s: float) -> None:
        if self.spans and self.spans[0][1] <= time_s:
            self.spans = [x for x in self.spans if x[1] > time_s]


def _attempt(m: Movement, before: list[Movement], ratio: float) -> bool:
    """``m``, under ``FIDGET_FRACTION`` of its set's range (``ratio``), is a failed attempt
    right after the set's movements ``before`` rather than fidgeting (see
    ``ATTEMPT_GAP_S``)."""
    if not before or not ATTEMPT_MIN_FRACTION <= ratio < FIDGET_FRACTION:
        return False
    return bool(ATTEMPT_MIN_S <= m.duration_s <= ATTEMPT_MAX_S
                and (_lets_go(m, before) or (not moves_the_rest(m, REST_SHIFT_FRACTION)
                     and _follows(m, before))))


def _follows(m: Movement, before: list[Movement]) -> bool:
    """``m`` follows the set's movements ``before`` within ``ATTEMPT_GAP_S`` and rises
    from their rest: its top at least half its range above the rest of the last three."""
    if not before:
        return False
    rest = _open_rest(before)
    return bool(m.start_s - before[-1].end_s < ATTEMPT_GAP_S
                and m.rest_n + m.range_n - rest >= PARTIAL_FRACTION * m.range_n)


def _lets_go(m: Movement, before: list[Movement]) -> bool:
    """``m``, a small movement that leaves the rest lower than it found it, is the set's
    last failed attempt, after which the person let the limb down to the floor, not the
    band re-wrapped looser: it follows the set in its rhythm (see ``_follows``)."""
    after = m.rest_after_n
    return (after is not None and after < m.rest_n and m.duration_s <= ATTEMPT_MAX_S
            and _follows(m, before))


def _gaps(mv: list[Movement]) -> np.ndarray:
    """Time from the end of each movement to the start of the next."""
    return np.array([b.start_s - a.end_s for a, b in pairwise(mv)])


def _off(x: float, ref: float, floor: float = 1e-3) -> float:
    """How far ``x`` is from ``ref``, as the absolute log of their ratio (both at least
    ``floor``): 1.8 times longer or shorter are the same distance."""
    return abs(math.log(max(x, floor) / max(ref, floor)))


def _in_rhythm(mv: list[Movement], typ: float) -> bool:
    """The first of ``mv`` is followed by the set's reps as they follow each other: the
    next four are full reps that come back to their rest, the first's gap to them is at
    most ``RHYTHM_SLACK_S`` over their median gap and it takes at most
    ``RHYTHM_DURATION_RATIO`` times as long as they do. It is a first rep, which may leave
    the band under slight tension for the set (the sixth model), not the band put on
    before the set (a pause to get into position, or more pulls, follow that)."""
    nxt = mv[1:5]
    if len(nxt) < 4 or any(m.range_n < PARTIAL_FRACTION * typ
                           or moves_the_rest(m, REWRAP_SHIFT_FRACTION) for m in nxt):
        return False
    gaps = _gaps(nxt)
    took = median(np.array([m.duration_s for m in nxt]))
    return bool(nxt[0].start_s - mv[0].end_s <= median(gaps) + RHYTHM_SLACK_S
                and mv[0].duration_s <= RHYTHM_DURATION_RATIO * took)


def _held_too_long(m: Movement, mv: list[Movement]) -> bool:
    """``m``, a small movement among ``mv``, stays at its top at least
    ``PARTIAL_HELD_MIN_S`` and ``PARTIAL_HELD_S`` longer than the larger movements of
    ``mv`` do on median: an aborted rep does not pause longer than the full ones (true
    partial reps in seven models: at most 0.6 s more, and under 2.8 s), a stretch held in
    the rest does (2-6 s in the sixth model)."""
    if m.pause_s < PARTIAL_HELD_MIN_S:
        return False
    big = max((x.range_n for x in mv), default=0.0)
    pauses = np.array([x.pause_s for x in mv if x.range_n >= PARTIAL_FRACTION * big
                       and not is_hold(x)])
    return bool(len(pauses) and m.pause_s > median(pauses) + PARTIAL_HELD_S)


def _full(mv: list[Movement], typ: float) -> list[Movement]:
    """The movements of ``mv`` at least ``PARTIAL_FRACTION`` of the typical range."""
    return [m for m in mv if m.range_n >= PARTIAL_FRACTION * typ]


def _rep_like(mv: list[Movement], typ: float) -> bool:
    full = [m for m in _full(mv, typ) if m.duration_s >= LIGHT_SET_MIN_S]
    if len(full) < LIGHT_SET_MIN_REPS:
        return False
    r = np.array([m.range_n for m in full])
    d = np.array([m.duration_s for m in full])
    # A rep comes back to the level it left; sway swings about a level, so each of its
    # "reps" ends higher or lower than it started.
    mismatch = median(np.array([abs(m.rest_after_n - m.rest_n) for m in full
                                if m.rest_after_n is not None] or [0.0]))
    return bool(np.std(r) < 0.25 * np.mean(r) and np.std(d) < 0.25 * np.mean(d)
                and mismatch < LIGHT_SET_RETURN * typ)


def _swings(mv: list[Movement], base: float) -> bool:
    """The movements swing about the level the band rested at before them (``base``)
    instead of rising from it (a leg swinging in the rest): their tops reach on median
    under ``SWING_RISE_FRACTION`` of their range above that level."""
    rise = np.array([(m.rest_n + m.range_n - base) / m.range_n for m in mv])
    return bool(median(rise) < SWING_RISE_FRACTION)


def _scattered(mv: list[Movement], typ: float) -> bool:
    """The full movements start from rest levels scattered by more than
    ``REST_SCATTER_FRACTION`` of the typical range: no common rest, no set of reps."""
    rests = np.array([m.rest_n for m in _full(mv, typ)])
    return bool(len(rests) and median(np.abs(rests - median(rests)))
                > REST_SCATTER_FRACTION * typ)


def _without_edge_pulls(kept: list[tuple[Movement, bool]]) -> list[tuple[Movement, bool]]:
    """``kept`` less the brief pulls at its start and end (see ``EDGE_PULL_FRACTION``),
    judged against the median duration of its full movements (at least 3 of them)."""
    full = np.array([m.duration_s for m, partial in kept if not partial])
    if len(full) < 3:
        return kept
    limit = EDGE_PULL_FRACTION * median(full)
    a, b = 0, len(kept)
    while a < b and kept[a][0].duration_s < limit:
        a += 1
    while b > a and kept[b - 1][0].duration_s < limit:
        b -= 1
    return kept[a:b]


def _without_late_strays(kept: list[tuple[Movement, bool]]) -> list[tuple[Movement, bool]]:
    """``kept`` less its tail after its last break of rhythm (a gap ``RHYTHM_BREAK_S``
    over the set's median gap, after at least ``FEW_MOVEMENTS`` movements) when that
    tail has at most 2 full reps and its first movement takes or rises unlike the set's
    full reps (``UNLIKE_RATIO`` or more off their median either way)."""
    full = [m for m, partial in kept if not partial]
    if len(full) < FEW_MOVEMENTS or len(kept) <= FEW_MOVEMENTS:
        return kept
    gaps = _gaps([m for m, _ in kept])
    breaks = np.flatnonzero(gaps - median(gaps) > RHYTHM_BREAK_S)
    if not len(breaks):
        return kept
    k = int(breaks[-1]) + 1
    tail = kept[k:]
    if k < FEW_MOVEMENTS or sum(not partial for _, partial in tail) > 2:
        return kept
    first = tail[0][0]
    took = median(np.array([m.duration_s for m in full]))
    rise = median(np.array([m.concentric_s for m in full]))
    off = max(_off(first.duration_s, took), _off(first.concentric_s, rise))
    return kept[:k] if off >= math.log(UNLIKE_RATIO) else kept


def _without_stray_edges(kept: list[tuple[Movement, bool]]) -> list[tuple[Movement, bool]]:
    """``kept`` less a full movement at its start or end that is off the set's rhythm and
    unlike its full reps (see ``STRAY_EDGE_GAP_S``; at least ``FEW_MOVEMENTS`` other
    full reps to judge by)."""
    full = [m for m, partial in kept if not partial]
    if len(full) <= FEW_MOVEMENTS:
        return kept
    took = median(np.array([m.duration_s for m in full]))
    peak = median(np.array([m.peak_force_n for m in full]))

    def stray(m: Movement, excess: float) -> bool:
        # The further off the rhythm, the less unlike the set's reps it needs to be.
        if excess > STRAY_EDGE_GAP_S:
            dur, pk = STRAY_EDGE_DURATION_RATIO, STRAY_EDGE_PEAK_RATIO
        elif excess > STRAY_EDGE_NEAR_GAP_S:
            dur, pk = STRAY_EDGE_NEAR_DURATION_RATIO, STRAY_EDGE_NEAR_PEAK_RATIO
        else:
            return False
        return (_off(m.duration_s, took) > math.log(dur)
                or _off(m.peak_force_n, peak, 1e-6) > math.log(pk))

    gaps = _gaps([m for m, _ in kept])
    a, b = 0, len(kept)
    if not kept[0][1] and stray(kept[0][0], gaps[0] - median(gaps[1:])):
        a = 1
    if not kept[-1][1] and stray(kept[-1][0], gaps[-1] - median(gaps[:-1])):
        b -= 1
    return kept[a:b]


def _without_stray_tail(kept: list[tuple[Movement, bool]]) -> list[tuple[Movement, bool]]:
    """``kept`` less the partial reps at its end that take under ``TAIL_MIN_DURATION`` of
    its full reps' median duration or start from a rest more than ``TAIL_REST_FRACTION``
    of their median range away from theirs: taps and re-seats after the set, not failed
    attempts (at least 3 full reps to judge by)."""
    full = [m for m, partial in kept if not partial]
    if len(full) < 3:
        return kept
    took = median(np.array([m.duration_s for m in full]))
    rest = median(np.array([m.rest_n for m in full]))
    size = median(np.array([m.range_n for m in full]))
    out = list(kept)
    k = len(out) - 1
    while k >= 0 and out[k][1]:
        m = out[k][0]
        if (m.duration_s < TAIL_MIN_DURATION * took
                or abs(m.rest_n - rest) > TAIL_REST_FRACTION * size):
            del out[k]
        k -= 1
    return out


def _unalike(mv: list[Movement], typ: float) -> bool:
    """The full movements take unalike times (coefficient of variation over
    ``SMALL_SET_DURATION_CV``): pulls and fidgets, not reps of one exercise."""
    d = np.array([m.duration_s for m in _full(mv, typ) if not is_hold(m)])
    return bool(len(d) >= 2 and np.std(d) > SMALL_SET_DURATION_CV * np.mean(d))


def _brief(mv: list[Movement], typ: float) -> bool:
    """The full movements last on median under ``BRIEF_REP_S``: quick pulls, not reps."""
    d = np.array([m.duration_s for m in _full(mv, typ)])
    return bool(len(d) and median(d) < BRIEF_REP_S)


def _quick(mv: list[Movement], typ: float) -> bool:
    """The full movements rise to their top in under ``QUICK_RISE_S`` on median."""
    d = np.array([m.concentric_s for m in _full(mv, typ)])
    return bool(len(d) and median(d) < QUICK_RISE_S)


def _oscillating(mv: list[Movement], typ: float) -> bool:
    """The full movements follow each other back to back and turn at the top without a
    pause (both medians under ``OSCILLATION_S``): an oscillation, not reps."""
    full = _full(mv, typ)
    if len(full) < 2:
        return False
    gaps = _gaps(mv)
    pauses = np.array([m.pause_s for m in full])
    return bool(median(gaps) < OSCILLATION_S and median(pauses) < OSCILLATION_S)


def _oscillation_run(mv: list[Movement]) -> tuple[int, int] | None:
    """The first run ``mv[i:j]`` of at least ``OSCILLATION_RUN`` partial-sized movements
    (by force range, against the typical range of ``mv``) that follow each other back to
    back without a pause at the top (see ``OSCILLATION_RUN``)."""
    typ = typical_range(np.array([m.range_n for m in mv]))
    small = np.array([m.range_n < PARTIAL_FRACTION * typ for m in mv])
    i = 0
    while i < len(mv):
        if not small[i]:
            i += 1
            continue
        j = i
        while j < len(mv) and small[j]:
            j += 1
        run = mv[i:j]
        if (len(run) >= OSCILLATION_RUN and median(_gaps(run)) < OSCILLATION_S
                and median(np.array([m.pause_s for m in run])) < OSCILLATION_RUN_PAUSE_S):
            return i, j
        i = j
    return None


def _foreign_between(mv: list[Movement]) -> int | None:
    """Index of a movement between two runs of at least ``FEW_MOVEMENTS`` full reps that is
    off their rhythm on both sides (gaps ``FOREIGN_GAP_S`` over the median gap) and unlike
    them (partial-sized, or taking ``UNLIKE_RATIO`` times longer or shorter): a fidget in
    the rest between two sets that it joined (see ``close``)."""
    if len(mv) < 2 * FEW_MOVEMENTS + 1:
        return None
    typ = typical_range(np.array([m.range_n for m in mv]))
    full = np.array([m.range_n >= PARTIAL_FRACTION * typ for m in mv])
    gaps = _gaps(mv)
    med = median(gaps)
    took = median(np.array([m.duration_s for m, f in zip(mv, full, strict=True) if f]))
    before = np.cumsum(full) - full  # full reps before each movement
    after = int(np.sum(full)) - np.cumsum(full)
    for k in range(1, len(mv) - 1):
        if (before[k] >= FEW_MOVEMENTS and after[k] >= FEW_MOVEMENTS
                and gaps[k - 1] - med > FOREIGN_GAP_S and gaps[k] - med > FOREIGN_GAP_S
                and (not full[k] or _off(mv[k].duration_s, took) >= math.log(UNLIKE_RATIO))):
            return k
    return None


def _far_apart(mv: list[Movement]) -> bool:
    """The movements follow each other on median ``SMALL_SET_GAP_S`` or more after the
    end of the one before (see there)."""
    gaps = _gaps(mv)
    return bool(len(gaps) and median(gaps) >= SMALL_SET_GAP_S)


def _outgrows(open_set: list[Movement], m: Movement, typ: float) -> bool:
    """``m`` is more than twice the typical range ``typ`` of the open set, which has at
    least ``FEW_MOVEMENTS`` full reps: every rep of the set would be a partial rep of it.
    A pull on the band (a pet, a child, the phone on the sensor) a few seconds after a set
    is not a rep of it; taken in, it became the set's size, its reps partial reps before
    its "first full one", and the whole set was lost (the tenth model's dev seeds: 11
    sets of 10-19 reps). Reps of a set do not double their range."""
    return (m.range_n * PARTIAL_FRACTION > typ
            and len(_full(open_set, typ)) >= FEW_MOVEMENTS)


def _open_rest(mv: list[Movement]) -> float:
    """The rest of a set as its last movements found it (median of the last three)."""
    return median(np.array([x.rest_n for x in mv[-3:]]))


def _rest_moved(open_set: list[Movement], m: Movement, typ: float) -> bool:
    """``m`` starts from a rest level that is not the one the open set's last reps rose
    from (median of the last three: one rest read on the next rise, back to back, does
    not count), by more than ``PARTIAL_FRACTION`` of the set's typical range: the band
    was taken off or re-wrapped in between, which ends a set (reps share their rest)."""
    rest = _open_rest(open_set)
    return abs(m.rest_n - rest) > PARTIAL_FRACTION * typ


def _put_back_on(open_set: list[Movement], m: Movement, typ: float) -> bool:
    """``m`` rises from well below the open set's rest (by ``LET_DOWN_SHIFT`` of its
    range) and returns most of the way up to it: the band was taken off or let go slack
    since the set, and this puts it back on. The set is over (gen_model_d: taps after a
    set, the band off for 4 s, then put back on with a pull, bridged two sets)."""
    rest = _open_rest(open_set)
    drop = rest - m.rest_n
    after = m.rest_after_n
    return (drop > LET_DOWN_SHIFT * typ and after is not None
            and after - m.rest_n > 0.5 * drop)


def _last_in_place(mv: list[Movement]) -> float:
    """End of the last of ``mv`` that returned to the rest it rose from (-inf if none):
    a band put back on or re-wrapped (the rest moved by half the movement or more)
    just before a hold is not a rep the hold would follow (gen_model_e: the band put on
    1.7 s before a hold, timed apart from it since round 13, lost the hold as a band
    left stretched)."""
    for x in reversed(mv):
        if not moves_the_rest(x, REST_SHIFT_FRACTION):
            return x.end_s
    return -math.inf


def moves_the_rest(m: Movement, fraction: float = 0.5) -> bool:
    """The rest after ``m`` is not the rest before it (by more than ``fraction`` of its
    range): the band was re-wrapped."""
    after = m.rest_after_n
    return after is not None and abs(after - m.rest_n) > fraction * m.range_n


def is_hold(m: Movement) -> bool:
    return m.pause_s >= HOLD_MIN_S


@dataclass
class ClosedSet:
    summary: SetSummary
    reps: list[Rep]
    hold: Hold | None


def typical_range(ranges: np.ndarray) -> float:
    big = ranges[ranges >= 0.6 * ranges.max()]
    return median(big)


def _typical_mm(mv: list[Movement]) -> float | None:
    """Typical stretch range of ``mv``, None unless every movement has stretch.

    Partial reps and fidgeting are judged on it when the band has stretch: the truth
    defines a partial rep on the movement, and a stiffening band makes a quarter of the
    stretch an eighth of the force."""
    mm = [m.range_mm for m in mv]
    if not mm or any(x is None for x in mm):
        return None
    typ = typical_range(np.array(mm, dtype=float))
    return typ if typ > 0 else None


def _slope(y: np.ndarray) -> float:
    """Least-squares slope of ``y`` against its index (np.polyfit's degree-1 term, in
    closed form: polyfit's SVD costs ~100 us per set)."""
    x = np.arange(len(y)) - (len(y) - 1) / 2.0
    return float(np.dot(x, y - y.mean()) / np.dot(x, x))


def _sd(x: np.ndarray) -> float | None:
    return float(np.std(x, ddof=1)) if len(x) >= 2 else None


@dataclass
class SetBuilder:
    """Groups movements into sets; numbering is session-wide and in time order."""

    prescription: Prescription | None = None
    band_id: str | None = None
    open: list[Movement] = field(default_factory=list)
    next_set: int = 0
    next_rep: int = 0
    accepted_ranges: list[float] = field(default_factory=list)
    # typical_range of the open set, recomputed only when the open set changed (it is
    # asked once per analysis window).
    _open_typ: tuple[int, Movement | None, float] | None = field(default=None, repr=False)
    # Last rest level measured on a quiet stretch, and that level when the open set began.
    _rest_level: float | None = field(default=None, repr=False)
    _base: float = field(default=0.0, repr=False)
    _hold_ranges: list[float] = field(default_factory=list, repr=False)
    # Stretch per newton of each set of reps accepted (where the band has stretch).
    _mm_per_n: list[float] = field(default_factory=list, repr=False)
    # After a small movement that left the rest lower (see _lets_go): the set's rest and
    # the rest it left, to judge the next movement by.
    _let_down: tuple[float, float] | None = field(default=None, repr=False)
    # Where the stream had no samples (filled in by the engine; see DataGaps).
    gaps: DataGaps = field(default_factory=DataGaps)
    # The session's first set of reps when it rocks (see FIRST_OSCILLATION_FRACTION): its
    # movements and typical range, until the next set decides.
    _pending: tuple[list[tuple[Movement, bool]], float] | None = field(default=None, repr=False)

    def should_close(self, m: Movement) -> bool:
        if not self.open:
            return False
        last = self.open[-1]
        if m.start_s >= self.gaps.rest_over_at(last.end_s):
            return True
        if is_hold(m):
            return not self._absorbs(m)
        # A hold ends its set; a long top absorbed among reps (see _absorbs) does not,
        # nor one that may lead a set of reps (see _leads): judged when the set closes.
        return (is_hold(last) and len(self.open) == 1
                and not (m.start_s - last.end_s < HOLD_AFTER_REP_S
                         and last.pause_s <= REP_MAX_PAUSE_S
                         and m.range_n >= PARTIAL_FRACTION * last.range_n))

    def _absorbs(self, m: Movement) -> bool:
        """A long top starting within ``HOLD_AFTER_REP_S`` of a rep, in a set whose reps
        are at least half its size, is part of that set (a rep with a long pause, or reps
        run together), not a hold: a hold is a set of its own, after a rest (no true hold
        in six models started that close to a rep)."""
        last = self.open[-1]
        typ = self.context_range()
        return (not is_hold(last) and m.start_s - last.end_s < HOLD_AFTER_REP_S
                and m.pause_s <= REP_MAX_PAUSE_S
                and typ is not None and typ >= PARTIAL_FRACTION * m.range_n)

    @staticmethod
    def _leads(mv: list[Movement]) -> bool:
        """The long top ``mv[0]`` is the first rep of the set of reps after it, which it
        is at most ``LEAD_MAX_RATIO`` times as large as and which starts within
        ``HOLD_AFTER_REP_S``
        (see should_close): no true hold in seven models is followed by a rep within
        6 s, while some first reps of a set pause for 5 s."""
        rest = [m for m in mv[1:] if not is_hold(m)]
        if not rest or mv[0].pause_s > REP_MAX_PAUSE_S:
            return False
        ranges = np.array([m.range_n for m in rest])
        typ = typical_range(ranges)
        return bool(np.sum(ranges >= PARTIAL_FRACTION * typ) >= FEW_MOVEMENTS
                    and mv[0].range_n <= LEAD_MAX_RATIO * typ)

    def _weak_hold(self, m: Movement) -> bool:
        """``m`` is far weaker than anything done in the session (under
        ``HOLD_MIN_FRACTION`` of the reference range and of the last set accepted).

        Both, not either: the table-top reach after a heavier exercise is a quarter of
        that last set and more of the session (gen_model_e seed 7037: 25% and 35%; it
        was lost to the last set alone)."""
        ref = self.reference_range()
        return ref is not None and m.range_n < HOLD_MIN_FRACTION * min(
            ref, self._last_range())

    def _back_to_rest(self, m: Movement) -> bool:
        """``m`` rose from well below the rest seen before it back to that rest (see
        ``BACK_TO_REST_FRACTION``)."""
        level = self._rest_level
        return (level is not None and level - m.rest_n > PARTIAL_FRACTION * m.range_n
                and m.top_mean_n - level < BACK_TO_REST_FRACTION * m.range_n)

    def _settled_higher(self, m: Movement) -> bool:
        """``m`` rose from a valley to little above the last quiet rest (see
        ``VALLEY_HOLD_RISE_FRACTION``)."""
        level = self._rest_level
        return (not m.rest_quiet and level is not None
                and m.top_mean_n - level < VALLEY_HOLD_RISE_FRACTION * m.range_n)

    def _held_from_rest(self, m: Movement) -> bool:
        """``m`` left a quiet rest ``HOLD_REST_GAP_S`` or more after the open set's last
        movement and rose into its top deliberately (``HOLD_RISE_S`` or longer): a hold of
        its own, not the band left stretched after the set (see add)."""
        return (m.rest_quiet and m.start_s - self.open[-1].end_s >= HOLD_REST_GAP_S
                and m.concentric_s >= HOLD_RISE_S and not self._weak_hold(m))

    def _band_still(self, m: Movement) -> bool:
        """``m`` changed the force but hardly the stretch (see ``STILL_BAND_FRACTION``):
        the phone or a hand on the sensor (the tenth model's pad) pressed it, the band did
        not move. Only where the band has stretch and sets of reps have been measured; the
        stretch moved is its range, or where it did not move with the force (not used for
        timing) its raw spread, noise included."""
        moved = m.range_mm if m.range_mm is not None else m.stretch_span_mm
        if moved is None or not self._mm_per_n or m.range_n <= 0:
            return False
        return moved < STILL_BAND_FRACTION * median(np.array(self._mm_per_n)) * m.range_n

    def _like_a_hold(self, m: Movement) -> bool:
        """``m``'s range is within ``HOLD_LIKE_RATIO`` of a hold accepted before."""
        return any(1.0 / HOLD_LIKE_RATIO <= m.range_n / r <= HOLD_LIKE_RATIO
                   for r in self._hold_ranges)

    def idle_close_due(self, now_s: float) -> bool:
        return bool(self.open) and now_s >= self.gaps.rest_over_at(self.open[-1].end_s)

    def context_range(self) -> float | None:
        """Typical range of the open set, else of the sets accepted so far."""
        if self.open:
            c = self._open_typ
            if c is None or c[0] != len(self.open) or c[1] is not self.open[-1]:
                typ = typical_range(np.array([x.range_n for x in self.open]))
                c = self._open_typ = (len(self.open), self.open[-1], typ)
            return c[2]
        return self.reference_range()

    def add(self, m: Movement) -> list[ClosedSet]:
        closed: list[ClosedSet] = []
        if self.open and m.start_s >= self.gaps.rest_over_at(self.open[-1].end_s):
            closed = self.close()  # after a rest a movement is judged on its own
        if (self.open and not m.rest_quiet
                and self.gaps.unseen_between(self.open[-1].end_s, m.start_s)):
            m = self._rise_unseen(m)
        if self._let_down is not None:
            before, after = self._let_down
            self._let_down = None
            typ = self.context_range() or 0.0
            shift = abs(m.rest_n - before)
            if self.open and shift > 0.5 * abs(before - after) and shift > LET_DOWN_SHIFT * typ:
                # Not back at the set's rest after an attempt that let the limb down:
                # the set is over (a band taken off must not hold it open). Sets whose
                # rest wanders with the tension kept between reps shift less.
                closed += self.close()
        if (self.open and not moves_the_rest(m, REWRAP_SHIFT_FRACTION)
                and all(is_hold(x) and moves_the_rest(x, REWRAP_SHIFT_FRACTION)
                        for x in self.open)):
            # The band put on and left there (a long top that never came back to the
            # rest it rose from): nothing to judge the next movement by (gen_model_e: a
            # first rep half as large as the band's put-on pull was dropped as a tug).
            closed += self.close()
        if is_hold(m) and (self._back_to_rest(m) or self._settled_higher(m)):
            return closed
        if self._band_still(m):
            return closed  # the sensor touched, the band not stretched: no movement
        if m.rest_quiet:
            self._rest_level = m.rest_n
        if not self.open:
            # The level the band rests at before whatever starts now (see _swings).
            self._base = m.rest_n if self._rest_level is None else self._rest_level
        # Fidgeting (tugs, sway) is dropped at once so that it never bridges two sets.
        # Alone after a rest, a slow small movement may be the first rep of a lighter
        # exercise: it opens a set, judged when the set closes.
        ref = self.context_range()
        rel = self._relative_to_open(m)
        if rel is None and ref is not None:
            rel = m.range_n / ref
        if rel is not None and rel < FIDGET_FRACTION and (
                self.open or m.duration_s < LIGHT_SET_MIN_S) and not _attempt(m, self.open, rel):
            return closed
        if self.open and max(x.range_n for x in self.open) < FIDGET_FRACTION * m.range_n:
            self.open = []  # what came before was fidgeting next to this movement
        if self.open and ref is not None and m.range_n < PARTIAL_FRACTION * ref:
            if m.duration_s < FIDGET_MAX_S:
                return closed  # a brief tug: dropped at closing anyway, it must not bridge
            if _held_too_long(m, self.open):
                return closed  # a stretch held in the rest, not an aborted rep
            if moves_the_rest(m, REST_SHIFT_FRACTION):
                if not _lets_go(m, self.open):
                    return closed  # a band re-wrapped, not a failed attempt: no rep, no delay
                # An attempt after which the limb was let down: the set goes on only if
                # the next movement rises from the set's rest again (see add's start).
                self._let_down = (_open_rest(self.open),
                                  float(m.rest_after_n or m.rest_n))
                self.open.append(m)
                return closed
            if m.duration_s - m.pause_s >= SET_GAP_S:
                # No rep moves that slowly: the band was re-wrapped or left half
                # released, and the time it spans is a rest.
                return closed + self.close()
            gap = m.start_s - self.open[-1].end_s
            if gap >= FAIL_GAP_S:
                return closed  # a tug well after the set, not a failed attempt
            if gap >= JERK_GAP_S and m.concentric_s < JERK_RISE_S:
                return closed  # a jerk out of the rhythm (a cramp), not a struggle
        if (is_hold(m) and m.pause_s > REP_MAX_PAUSE_S and self.open
                and not is_hold(self.open[-1])
                and m.start_s - (self.open[-1].end_s if self._weak_hold(m)
                                 else _last_in_place(self.open)) < HOLD_AFTER_REP_S
                and not (all(x.duration_s < FIDGET_MAX_S for x in self.open)
                         and self._like_a_hold(m))
                and not self._held_from_rest(m)):
            # Too long for a rep, too close to one for a hold (a hold is a set of its
            # own, after a rest): the band left stretched after the set, which is over.
            # (After brief tugs in the rest, one like the session's holds is a hold; the
            # band put on or re-wrapped just before a hold as strong as the session's
            # movements is no rep: see _last_in_place. A weak one is a band left
            # stretched in the rest: fifth model's fidgets chained into a set.)
            return closed + self.close()
        if self.should_close(m) or (self.open and ref is not None
                                    and (_rest_moved(self.open, m, ref)
                                         or _put_back_on(self.open, m, ref)
                                         or _outgrows(self.open, m, ref))):
            closed += self.close()
        self.open.append(m)
        return closed

    def _rise_unseen(self, m: Movement) -> Movement:
        """``m`` as a movement of the open set whose rise fell in a data gap: the rest it
        rose from was not seen (what the window took for it is a sample of the rise or of
        the top), so it rose from the set's rest (frames lost in the middle of a set: its
        next rep, seen from its top on, was judged a re-wrap and split the set)."""
        rest = _open_rest(self.open)
        high = m.rest_n + m.range_n
        if high <= rest:
            return m
        range_n = high - rest
        range_mm = m.range_mm
        typ_mm = _typical_mm(self.open)
        typ_n = self.context_range()
        if range_mm is not None and typ_mm is not None and typ_n:
            range_mm = range_n * typ_mm / typ_n  # stretch follows force within a set
        return replace(m, rest_n=rest, range_n=range_n, range_mm=range_mm)

    def _relative_to_open(self, m: Movement) -> float | None:
        """``m``'s range over the open set's typical range, by stretch when every
        movement has it (None without an open set or stretch)."""
        typ = _typical_mm(self.open) if self.open else None
        return None if typ is None or m.range_mm is None else m.range_mm / typ

    def reference_range(self) -> float | None:
        """Median typical range of the sets accepted so far; before any, that of the set
        held back (see ``FIRST_OSCILLATION_FRACTION``), which the next ones are judged
        against as if it had been accepted."""
        if self.accepted_ranges:
            return median(np.asarray(self.accepted_ranges))
        return self._pending[1] if self._pending is not None else None

    def _last_range(self) -> float:
        """Typical range of the last set accepted (or held back); only with a reference."""
        if self.accepted_ranges:
            return self.accepted_ranges[-1]
        assert self._pending is not None
        return self._pending[1]

    def provisional_partial(self, m: Movement) -> bool | None:
        """Classification of ``m`` with what is known now (None: looks like fidgeting)."""
        ranges = np.array([x.range_n for x in self.open] + [m.range_n])
        ref = typical_range(ranges)
        prev = self.reference_range()
        if len(ranges) == 1 and prev is not None:
            ref = prev
        rel = m.range_n / ref if ref > 0 else 0.0
        typ_mm = _typical_mm([*self.open, m]) if self.open else None
        if typ_mm is not None and m.range_mm is not None:
            rel = m.range_mm / typ_mm  # as at closing
        if rel < FIDGET_FRACTION and not _attempt(m, self.open, rel):
            return None
        return rel < PARTIAL_FRACTION

    def close(self) -> list[ClosedSet]:
        """Close the open set (if any) and return it (empty when it was fidgeting)."""
        if not self.open:
            return []
        mv, self.open = self.open, []
        if len(mv) > 1 and is_hold(mv[0]) and not self._leads(mv):
            # A hold, then movements right after it that are not a set it leads: the
            # hold is a set of its own, and they are judged on their own.
            return self._close_apart(mv[:1], mv[1:])
        if len(mv) == 1 and is_hold(mv[0]):
            # A band left slightly stretched in a rest (re-wrapped, leg resting on it)
            # looks like a hold, but far weaker than anything done in the session.
            if self._weak_hold(mv[0]):
                return []
            if max(mv[0].top_start_s - mv[0].start_s,
                   mv[0].end_s - mv[0].top_end_s) < HOLD_MIN_MOVE_S:
                return []
            if mv[0].pause_s < HOLD_ALONE_MIN_S:
                return []  # a stretch held in the rest for a few seconds, not a hold
            after = mv[0].rest_after_n
            if after is not None and (
                    mv[0].top_mean_n - after < HOLD_RETURN_FRACTION * mv[0].range_n):
                return []
            return [*self._resolve_pending(None), self._hold_set(mv[0])]
        run = _oscillation_run(mv) if len(mv) > OSCILLATION_RUN else None
        if run is not None:
            # The band rocking next to a set: the movements on each side of it are judged
            # as sets of their own.
            return self._close_apart(mv[:run[0]], mv[run[1]:])
        k = _foreign_between(mv)
        if k is not None:
            # Two sets joined by a fidget in the rest between them: each judged alone.
            return self._close_apart(mv[:k], mv[k + 1:])
        r0 = np.array([m.range_n for m in mv])
        if np.sum(r0 >= PARTIAL_FRACTION * typical_range(r0)) < FEW_MOVEMENTS:
            # A few movements that leave the band at another rest level: it was put on
            # or re-wrapped (a real set has more reps, and each comes back to its rest).
            mv = [m for m in mv if not moves_the_rest(m, REWRAP_SHIFT_FRACTION)]
            if not mv:
                return []
        while (len(mv) > 1 and moves_the_rest(mv[0], REWRAP_SHIFT_FRACTION)
               and not _in_rhythm(mv, typical_range(np.array([m.range_n for m in mv])))):
            mv = mv[1:]  # the band put on just before the set
        ranges = np.array([m.range_n for m in mv])
        typ = typical_range(ranges)
        ref = self.reference_range()
        # A long top absorbed among reps (see _absorbs) says nothing about whether the
        # rest is a set of reps: the set is judged without it.
        if ref is not None and self._fidgeting([m for m in mv if not is_hold(m)] or mv, ref):
            return []
        if len(mv) <= FEW_MOVEMENTS and _far_apart(mv):
            return []
        kept: list[tuple[Movement, bool]] = []
        first_full = next((m for m in mv if m.range_n >= PARTIAL_FRACTION * typ), None)
        typ_mm = _typical_mm(mv)
        for m in mv:
            ratio = m.range_n / typ if typ > 0 else 0.0
            if typ_mm is not None and m.range_mm is not None:
                ratio = m.range_mm / typ_mm  # by stretch, when the band has it
            brief = ratio < PARTIAL_FRACTION and m.duration_s < FIDGET_MAX_S
            if brief or (ratio < FIDGET_FRACTION
                         and not _attempt(m, [k for k, _ in kept], ratio)):
                continue
            if ratio < PARTIAL_FRACTION and _held_too_long(m, mv):
                continue
            if (ratio < PARTIAL_FRACTION and first_full is not None
                    and m.end_s <= first_full.start_s - ATTEMPT_GAP_S):
                # Small pulls before the set's first rep, not in its rhythm: no attempts
                # (true partial reps before a set's first full one, in six models: at
                # most 2.2 s before it; the eighth's taps and re-seats: 2.5-5 s).
                continue
            kept.append((m, ratio < PARTIAL_FRACTION))
        kept = _without_stray_edges(
            _without_late_strays(_without_stray_tail(_without_edge_pulls(kept))))
        if ((sum(not partial for _, partial in kept) < MIN_SET_REPS
             and len(kept) < FEW_MOVEMENTS)
                or all(m.duration_s < FIDGET_MAX_S for m, _ in kept)):
            return []
        if (not self.accepted_ranges and self._pending is None
                and _oscillating([m for m, _ in kept], typ)):
            # Rocking before the session's first set has nothing to be judged against
            # (see FIRST_OSCILLATION_FRACTION): the next set of reps decides.
            self._pending = (kept, typ)
            return []
        # In time order: the set held back, if accepted, comes first.
        return [*self._resolve_pending(typ), self._accept(kept, typ)]

    def _close_apart(self, first: list[Movement], then: list[Movement]) -> list[ClosedSet]:
        """``first`` and ``then`` closed as sets of their own, in that order."""
        self.open = first
        closed = self.close()
        self.open = then
        return closed + self.close()

    def _accept(self, kept: list[tuple[Movement, bool]], typ: float) -> ClosedSet:
        self.accepted_ranges.append(typ)
        per_n = [m.range_mm / m.range_n for m, partial in kept
                 if not partial and m.range_mm is not None and m.range_n > 0]
        if per_n:
            self._mm_per_n.append(median(np.array(per_n)))
        return self._rep_set(kept)

    def _resolve_pending(self, next_typ: float | None) -> list[ClosedSet]:
        """The set held back by ``close`` (if any), now that the set after it (of typical
        range ``next_typ``; None: a hold, or the end of the session) is known: dropped
        when it is under ``FIRST_OSCILLATION_FRACTION`` of that, else accepted."""
        if self._pending is None:
            return []
        kept, typ = self._pending
        self._pending = None
        if next_typ is not None and typ < FIRST_OSCILLATION_FRACTION * next_typ:
            return []
        return [self._accept(kept, typ)]

    def flush(self) -> list[ClosedSet]:
        """At the end of the session: the set still held back by ``close``, accepted."""
        return self._resolve_pending(None)

    def _fidgeting(self, mv: list[Movement], ref: float) -> bool:
        """The movements of a closing set are fidgeting, judged against the sets
        accepted so far (their median typical range ``ref``, and the last one)."""
        ranges = np.array([m.range_n for m in mv])
        typ = typical_range(ranges)
        # Another exercise may have a much smaller range than the previous ones: a small
        # set is fidgeting only if it is tiny, or small and unlike a set of reps.
        ref_hi = max(ref, self._last_range())
        n_full = int(np.sum(ranges >= PARTIAL_FRACTION * typ))
        # The level the band rested at before the first full movement: the last quiet
        # rest up to it (fidgets before a set may leave the band at another level).
        base = self._base
        for m in mv:
            if m.rest_quiet:
                base = m.rest_n
            if m.range_n >= PARTIAL_FRACTION * typ:
                break
        return bool((typ < 0.5 * FIDGET_SET_FRACTION * ref and not _rep_like(mv, typ))
                    or (typ < SMALL_SET_FRACTION * ref_hi
                        and n_full < max(FEW_MOVEMENTS, len(mv) / 2))
                    or (typ < FEW_SET_FRACTION * ref_hi and n_full < FEW_MOVEMENTS)
                    or (typ < SMALL_SET_FRACTION * ref_hi and _scattered(mv, typ))
                    or typ < LIGHT_SET_FLOOR * ref
                    or (typ < SMALL_SET_FRACTION * ref_hi and _swings(mv, base))
                    or (n_full < BRIEF_SET_MAX_REPS
                        and (typ < BRIEF_SET_FRACTION * ref_hi or n_full < FEW_MOVEMENTS)
                        and _brief(mv, typ))
                    or (n_full < FEW_MOVEMENTS and _unalike(mv, typ))
                    or (n_full <= QUICK_SET_MAX_REPS and _quick(mv, typ))
                    or (typ < OSCILLATION_FRACTION * ref and _oscillating(mv, typ)))

    def _hold_set(self, m: Movement) -> ClosedSet:
        idx = self.next_set
        self.next_set += 1
        self.accepted_ranges.append(m.range_n)
        self._hold_ranges.append(m.range_n)
        summary = SetSummary(index=idx, kind="hold", start_s=m.start_s, end_s=m.end_s,
                             rep_count=0, side=self._side(idx), band_id=self.band_id)
        hold = Hold(set=idx, start_s=m.start_s, end_s=m.end_s, duration_s=m.pause_s,
                    mean_force_n=m.top_mean_n, force_cv=max(m.top_cv, 0.0), band_id=self.band_id)
        return ClosedSet(summary, [], hold)

    def _side(self, set_index: int) -> Side | None:
        return None if self.prescription is None else self.prescription.side_of_set(set_index)

    def _rep_set(self, kept: list[tuple[Movement, bool]]) -> ClosedSet:
        idx = self.next_set
        self.next_set += 1
        pres = self.prescription
        side = self._side(idx)
        reps: list[Rep] = []
        for m, partial in kept:
            pause = m.top_end_s - m.top_start_s
            pause_ok = None
            if pres is not None:
                pause_ok = pres.pause_met(pause)
            reps.append(Rep(
                index=self.next_rep, set=idx, start_s=m.start_s, top_start_s=m.top_start_s,
                top_end_s=m.top_end_s, end_s=m.end_s,
                concentric_s=m.concentric_s, pause_s=pause,
                eccentric_s=m.end_s - m.top_end_s, peak_force_n=m.peak_force_n,
                mean_force_n=m.mean_force_n, impulse_ns=m.impulse_ns, partial=partial,
                range_n=m.range_n, range_mm=m.range_mm, time_under_tension_s=m.duration_s,
                pause_ok=pause_ok, side=side, band_id=self.band_id,
            ))
            self.next_rep += 1
        full = [r for r in reps if not r.partial]
        conc = np.array([r.concentric_s for r in full])
        paus = np.array([r.pause_s for r in full])
        ecc = np.array([r.eccentric_s for r in full])
        peaks = np.array([r.peak_force_n for r in full])
        trend = _slope(peaks) if len(peaks) >= 3 else None
        pauses_ok = None
        if pres is not None and pres.pause_s is not None:
            pauses_ok = sum(1 for r in full if r.pause_ok)
        summary = SetSummary(
            index=idx, kind="reps", start_s=reps[0].start_s, end_s=reps[-1].end_s,
            rep_count=len(full), partial_count=len(reps) - len(full),
            concentric_mean_s=float(conc.mean()) if len(conc) else None,
            concentric_sd_s=_sd(conc),
            pause_mean_s=float(paus.mean()) if len(paus) else None, pause_sd_s=_sd(paus),
            eccentric_mean_s=float(ecc.mean()) if len(ecc) else None, eccentric_sd_s=_sd(ecc),
            peak_force_trend_n_per_rep=trend, pauses_ok=pauses_ok, side=side,
            band_id=self.band_id,
        )
        return ClosedSet(summary, reps, None)
