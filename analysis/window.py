"""Analysis of one window of activity: movements and the physical instants of their phases.

Input: the raw samples of one window (from before the onset of activity to a quiet
moment near rest, see :mod:`analysis.detect`). Steps, all vectorised:

1. Spikes: a Hampel filter (running median of 5 samples, outliers beyond 6 robust sd
   replaced by the median). A smooth movement is monotone over 5 samples, so the median
   leaves it untouched; only isolated spikes change.
2. Uniform grid: samples are averaged over the grid step (anti-aliasing for fast rates)
   and linearly interpolated onto a 50 Hz grid on the window's own time axis. Grid points
   inside a gap (no sample within ``_GAP_S``) are marked invalid: filters run over the
   interpolated values, but no fit uses them, so nothing is invented across a gap.
   Brief excursions (under 0.5 s) off a raised plateau are flattened (a hand on the
   sensor during a hold is no movement; see ``filter_kernels.flatten_excursions``).
3. Two zero-phase low-passes: 2 Hz to find movements (tremor and noise gone), 6 Hz to fit.
4. Movements: peaks of the 2 Hz signal whose prominence is a useful fraction of the
   window's range (breathing ripple and tremor at the top never make a second peak), each
   spanning the valleys to its neighbours.
5. Instants: the rising and the falling side of every movement are each fitted with a
   smooth monotone profile (:func:`analysis.fit.fit_rise`): onset, arrival at the top,
   departure from the top and return to rest come from the fit, not from thresholds.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from analysis.fastfilters import median
from analysis.filter_kernels import first_quiet_run, peaks_with_prominences, prepare_window
from analysis.fit import TransitionFit, fit_rise, knee_tables, shape_tables
from analysis.movement_kernels import crossing, force_metrics, top_region
from analysis.types import Movement

GRID_HZ = 50.0
_GAP_S = 0.15  # no raw sample within this distance -> grid point invalid
_SEG_HZ = 2.0
_FIT_HZ = 6.0
_MIN_PROMINENCE = 0.12  # of the window's range
_FOOT_S = 0.5  # a quiet stretch this long next to a movement is its rest
_PLATEAU_S = 0.4  # a top at least this long is a plateau (else a turning point)
_PLATEAU_FIT_S = 1.0  # each side's fit reaches this far into the plateau
_HOLD_PLATEAU_FIT_S = 0.5  # ... into the top of a hold (longer than _AVERAGE_MAX_TOP_S)
_EDGE_S = 1.0  # a long top's ends are judged against the highest point this close
# ... and the departure end of any top against its highest point this close when the
# force relaxed down to it (see _top_region).
_RELAX_S = 0.5
_MERGE_VALLEY = 0.6  # of the excursion: a valley higher than this is not a return to rest
_REST_S = 1.0  # a quiet stretch this long before a movement, well below its top, is a rest
_REST_DROP = 0.25  # ... "well below": by this share of the excursion from the window's floor
# A short top (up to this long above 95%) may be a slow turning point rather than a
# pause: both readings are fitted and the smaller residual wins.
_TURN_CHECK_MAX_S = 1.0
_AVERAGE_MAX_TOP_S = 3.0  # tops longer than this (holds) keep the single best shape
# Back to back (no quiet rest beside a movement, and the signal rising again by this
# share of the excursion within _BOTTOM_S of its lowest point there): the valley is a
# turning point (see _fit_phases).
_BOTTOM_RISE = 0.2
_BOTTOM_S = 1.0
_MIN_STRETCH_CORR = 0.7  # stretch must move with the force to time the phases
_NO_STRETCH = np.empty(0)


@dataclass(frozen=True, slots=True)
class WindowResult:
    movements: list[Movement]
    # Time from which the next window must start again (an unfinished movement at the end
    # of this window), or None when everything in it was complete.
    carry_from_s: float | None


@lru_cache(maxsize=8)
def _sos(hz: float) -> np.ndarray:
    """2nd-order Butterworth low-pass on the grid as one section with its steady state
    appended (the layout :func:`analysis.filter_kernels.filtfilt_odd` takes).

    Closed form of ``scipy.signal.butter(2, hz / (GRID_HZ / 2), output="sos")`` (bilinear
    transform with pre-warping) and of ``sosfilt_zi`` (the state that passes a constant
    unchanged): importing scipy.signal costs a second at every start of the CLI.
    """
    k = math.tan(math.pi * hz / GRID_HZ)
    norm = 1.0 + math.sqrt(2.0) * k + k * k
    b0 = k * k / norm
    a1 = 2.0 * (k * k - 1.0) / norm
    a2 = (1.0 - math.sqrt(2.0) * k + k * k) / norm
    return np.array([[b0, 2.0 * b0, b0, 1.0, a1, a2, 1.0 - b0, b0 - a2]])


def analyze_window(
    t: np.ndarray, f: np.ndarray, s: np.ndarray | None, rest_n: float, after_s: float,
    min_range: float = 0.0,
) -> WindowResult:
    """Movements after ``after_s`` (end of the last one reported) in the window."""
    if len(t) < 8 or t[-1] - t[0] < 0.5:
        return WindowResult([], None)
    fd, tg, valid, y_seg, y_fit, sg_arr, noise = prepare_window(
        np.ascontiguousarray(t, dtype=np.float64), np.ascontiguousarray(f, dtype=np.float64),
        _NO_STRETCH if s is None else np.ascontiguousarray(s, dtype=np.float64),
        GRID_HZ, _GAP_S, _sos(_SEG_HZ), _sos(_FIT_HZ), _MIN_STRETCH_CORR)
    # Stretch (when present, finite and moving with the force) times the phases: it is
    # the band's elongation, the movement itself, while force passes through the band law
    # (stiffening, hysteresis) that bends every transition (measured: about half the
    # force-only errors on the simulator). Force is fitted only where stretch fails.
    sg = sg_arr if len(sg_arr) else None
    s_raw = s if s is not None and len(s) == len(t) and bool(np.all(np.isfinite(s))) else None
    lo_all, hi_all = float(np.min(y_seg)), float(np.max(y_seg))
    rng_all = hi_all - lo_all
    # The prominence is relative to what is new in the window: a window that starts on
    # the movement reported before (the detector's overlap) would otherwise measure a
    # small failed attempt right after the set's last rep against that rep's range.
    new = tg > after_s
    rng_new = float(np.ptp(y_seg[new])) if np.count_nonzero(new) >= 8 else rng_all
    floor = max(6.0 * noise, 0.3, min_range)
    cand, cand_prom = peaks_with_prominences(y_seg, floor)
    prom = max(_MIN_PROMINENCE * rng_new, floor)
    keep = cand_prom >= prom
    if np.any(keep):
        # Failed attempts after the window's last movement are measured against the
        # movements, not the window's span: a window that also holds the band being put
        # on (rest 0 -> 7 N before reps of 7 N) measured attempts of 1.4 N against 16 N.
        # (Only after it: smaller peaks before a movement are fidgets and re-wraps in
        # the rest, and as peaks they would hide the rest the movements rise from.)
        last = int(np.flatnonzero(keep)[-1])
        top_prom = float(np.max(cand_prom[keep & (tg[cand] > after_s)], initial=0.0))
        if top_prom > 0.0:
            late = max(_MIN_PROMINENCE * min(rng_new, top_prom), floor)
            keep[last + 1:] = cand_prom[last + 1:] >= late
    peaks = cand[keep]
    # A window cut while the band is up (the detector's checkpoint inside a long
    # activity: a hold after a band re-adjusted to a higher rest) ends on a rise that is
    # no peak yet: carry it, from the lowest point after the last peak, to the next window.
    tail = int(peaks[-1]) if len(peaks) else 0
    foot = tail + int(np.argmin(y_seg[tail:]))
    rising_at_end: float | None = None
    if y_seg[-1] - lo_all > 0.5 * rng_all and y_seg[-1] - y_seg[foot] > prom:
        rising_at_end = float(tg[foot])
    if len(peaks) == 0:
        return WindowResult([], rising_at_end)
    peaks = _merge_high_valleys(y_seg, peaks, lo_all, noise)
    # Valleys between consecutive peaks (and the window edges).
    bounds = [0]
    level, begins = _rest_before(y_seg, 0, int(peaks[0]), lo_all, noise)
    if begins >= 0 and level - lo_all > _REST_DROP * (float(y_seg[peaks[0]]) - lo_all):
        # The band rested well above the window's floor before the first movement (put
        # back on tighter after hanging slack): the movement rises from there.
        bounds[0] = begins
    # Each movement spans from its left bound to its right bound; between two peaks both
    # are the valley, unless the band rested, still, well above that valley between the
    # two (a tap or a re-seat dipping the band to slack, or the band taken off, with the
    # band at its rest on the other side): that rest is where the movement next to it
    # rises from or returns to. Measured from the dip, the rise took in the whole rest
    # (35-45 s) and the rep was lost as a band left stretched; a hold's fall took in the
    # rest after it and the hold lasted 50 s longer. The rest must lie at the level the
    # movement has on its other side: a still moment of a sagging hold is no rest.
    for a, b in itertools.pairwise(peaks):
        bounds.append(a + int(np.argmin(y_seg[a:b + 1])))
    bounds.append(len(y_seg) - 1)
    p_last = int(peaks[-1])
    valleys_r = [*bounds[1:-1], p_last + int(np.argmin(y_seg[p_last:]))]
    lefts: list[int] = []
    rights: list[int] = []
    for n, p in enumerate(peaks):
        vl, vr = bounds[n], valleys_r[n]
        left = _rest_above_dip(y_seg, vl, int(p), noise) if n else None
        right = _rest_above_dip(y_seg, vr, int(p), noise)
        # (Without a rest above a dip, a side's level is its lowest point: the first
        # bound may be the window's start, high on the fall of a movement reported before.)
        level_l = left[1] if left else float(np.min(y_seg[vl:p + 1]))
        level_r = right[1] if right else float(np.min(y_seg[p:vr + 1]))
        tol = _REST_DROP * (float(y_seg[p]) - min(float(y_seg[vl]), float(y_seg[vr])))
        lefts.append(left[0] if left and abs(level_l - level_r) <= tol else vl)
        rights.append(right[0] if right and abs(level_r - level_l) <= tol
                      else bounds[n + 1])
    movements: list[Movement] = []
    carry: float | None = None
    for n, p in enumerate(peaks):
        vl, vr = lefts[n], rights[n]
        low_l, low_r = float(y_seg[vl]), float(y_seg[vr])
        if n == len(peaks) - 1 and vr == bounds[n + 1]:
            # The next movement may be rising at the end of the window: the level after
            # the last peak is its lowest point, not the last sample.
            low_r = float(np.min(y_seg[p:]))
        top = float(y_seg[p])
        amp = top - min(low_l, low_r)
        if n == len(peaks) - 1 and (np.min(y_seg[p:]) - low_l) > 0.25 * (top - low_l):
            # Still up at the end of the window: analyse it with the next window.
            carry = float(tg[vl])
            break
        if tg[p] <= after_s:
            continue
        vl0 = vl
        if tg[vl] < after_s:
            # The previous window already reported the movement before: the fits start
            # after its end. The rest stays the lowest point before this peak: back to
            # back, the reported end of the one before may lie on this one's rise (its
            # level there is no rest).
            low_l = float(np.min(y_seg[vl:p + 1]))
            vl = min(int(np.searchsorted(tg, after_s)), p)
            amp = top - min(low_l, low_r)
        mv = _movement(tg, y_seg, y_fit, valid, sg, t, fd, vl, p, vr, low_l, low_r, amp, noise,
                       vl0=vl0)
        if mv is not None and sg is None and s_raw is not None:
            # Stretch present but not moving with the force: how little it moved is
            # still evidence (a hand on the force sensor; see sets.STILL_BAND_FRACTION).
            i0, i1 = np.searchsorted(t, [mv.start_s, mv.end_s])
            if i1 - i0 >= 2:
                span = float(np.ptp(s_raw[i0:i1]))
                mv = dataclasses.replace(mv, stretch_span_mm=span)
        if mv is not None:
            movements.append(mv)
    _ = rest_n
    return WindowResult(movements, carry if carry is not None else rising_at_end)


def _merge_high_valleys(y: np.ndarray, peaks: np.ndarray, floor: float,
                        noise: float) -> np.ndarray:
    """One movement per return towards rest: peaks whose valley stays high are one top.

    Deep breathing on a long hold (amplified by the band's stiffening) can dip by more
    than the prominence threshold, but the person never lets the band go back: a valley
    above ``_MERGE_VALLEY`` of the lower peak's excursion is part of the top, not the end
    of a movement. The highest of the merged peaks stands for the top. The excursion is
    measured from the rest the movements rose from (see :func:`_rest_before`), not from
    the lowest point of the window: a band slack for a while, then re-wrapped tighter,
    puts reps on a rest far above the window's floor, and all their valleys looked high.
    """
    merged = [int(peaks[0])]
    base = _rest_before(y, 0, int(peaks[0]), floor, noise)[0]
    for q in peaks[1:]:
        prev = merged[-1]
        valley = float(np.min(y[prev:q + 1]))
        # The rest is looked for between the two peaks before judging their valley: a
        # band put back on tighter (a step from 0 N to its new rest, then reps of a
        # quarter of that) made every valley look high against the rest before the step,
        # and a whole set merged into one top.
        rest = _rest_before(y, prev, int(q), base, noise)[0]
        if valley - rest > _MERGE_VALLEY * (min(float(y[prev]), float(y[q])) - rest):
            merged[-1] = prev if y[prev] >= y[q] else int(q)
        else:
            merged.append(int(q))
            base = rest
    return np.asarray(merged, dtype=np.int64)


def _quiet_rest(y: np.ndarray, p: int, stop: int, floor: float, noise: float
                ) -> tuple[float, int] | None:
    """The nearest quiet stretch of ``_REST_S`` walking from the peak ``p`` towards
    ``stop`` (either side) that lies well below the peak (by ``_REST_DROP`` of its
    excursion above ``floor``; a still moment at the top of a hold is no rest): its
    level and its far end from the peak, or None."""
    w = int(_REST_S * GRID_HZ)
    seg = np.ascontiguousarray(y[stop:p + 1][::-1] if stop < p else y[p:stop + 1])
    amp = float(y[p]) - floor
    if len(seg) <= w or amp <= 0:
        return None
    tol = max(0.04 * amp, 5.0 * noise)
    k = first_quiet_run(seg, w, tol, float(y[p]) - _REST_DROP * amp)
    if k < 0:
        return None
    return median(seg[k:k + w]), (p - k - w + 1 if stop < p else p + k + w - 1)


def _rest_above_dip(y: np.ndarray, v: int, p: int, noise: float
                    ) -> tuple[int, float] | None:
    """A rest of the movement with its peak at ``p`` on the side of the valley ``v``,
    above that valley: the far end and the level of the nearest quiet stretch between
    the peak and the valley that lies well below the peak and well above the valley (by
    ``_REST_DROP`` of the excursion from the valley), or None."""
    dip = float(y[v])
    rest = _quiet_rest(y, p, v, dip, noise)
    if rest is None or rest[0] - dip <= _REST_DROP * (float(y[p]) - dip):
        return None
    return rest[1], rest[0]


def _rest_before(y: np.ndarray, stop: int, p: int, floor: float, noise: float
                 ) -> tuple[float, int]:
    """The level the band rested at before the peak ``p`` and where that rest begins (see
    :func:`_quiet_rest`), not lower than ``floor``; ``(floor, -1)`` when there is none."""
    rest = _quiet_rest(y, p, stop, floor, noise)
    if rest is None:
        return floor, -1
    return max(floor, rest[0]), rest[1]


def _crossing(y: np.ndarray, level: float, a: int, b: int, forward: bool) -> int:
    """First index from ``a`` towards ``b`` where ``y`` reaches ``level``."""
    if forward != (b >= a) and a != b:
        return b  # nothing between (an empty span)
    return int(crossing(y, level, a, b))


def _fit_side(tg: np.ndarray, y: np.ndarray, valid: np.ndarray, a: int, b: int,
              low: float, high: float, rising: bool, fix_high: bool,
              force: bool = False, average: bool = True, fix_low: bool = False
              ) -> TransitionFit | None:
    sl = slice(max(a, 0), b + 1)
    tt, yy = tg[sl][valid[sl]], y[sl][valid[sl]]
    # Instants averaged over the shapes that fit about as well (analysis.fit); the ends
    # of a long top (a hold) keep the single best shape.
    if rising:
        return fit_rise(tt, yy, low, high, fix_high=fix_high, average=average,
                        fix_low=fix_low)
    # A fall is a rise of -y; the fixed level is then the *start* level, so the model is
    # mirrored in time as well: fit the reversed sequence, with the falls' family (its
    # time-asymmetric shapes mirrored). A fall timed on force may start with the band's
    # hysteresis knee (see analysis.fit.knee_tables).
    fit = fit_rise(-tt[::-1], yy[::-1], low, high, fix_high=fix_high,
                   tables=knee_tables() if force else shape_tables(fall=True),
                   average=average, fix_low=fix_low)
    if fit is None:
        return None
    return TransitionFit(-fit.end_s, -fit.start_s, fit.low, fit.high, fit.rms, fit.shape)


def _quiet_foot(y: np.ndarray, p: int, stop: int, amp: float, noise: float) -> int | None:
    """Nearest quiet stretch of rest walking from the peak ``p`` towards ``stop``.

    Returns the index (on the peak's side) of the first ``_FOOT_S`` long stretch whose
    range stays under a tolerance while low, or None (continuous reps: no rest between).
    Limits a movement to its own rise or fall, away from tugs and re-adjustments in
    the rest beyond.
    """
    w = int(_FOOT_S * GRID_HZ)
    seg = y[stop:p + 1][::-1] if stop < p else y[p:stop + 1]
    if len(seg) <= w:
        return None
    tol = max(0.04 * amp, 5.0 * noise)
    k = first_quiet_run(np.ascontiguousarray(seg), w, tol, float(seg[0]) - 0.7 * amp)
    if k < 0:
        return None
    return p - k if stop < p else p + k


def _movement(tg: np.ndarray, y_seg: np.ndarray, y_fit: np.ndarray, valid: np.ndarray,
              sg: np.ndarray | None, t: np.ndarray, fd: np.ndarray, vl: int, p: int, vr: int,
              low_l: float, low_r: float, amp: float, noise: float,
              vl0: int | None = None) -> Movement | None:
    rate = GRID_HZ
    w = int(_FOOT_S * rate)
    foot_l = _quiet_foot(y_seg, p, vl, amp, noise)
    if foot_l is not None:
        vl = max(vl, foot_l - w)
        low_l = median(y_seg[vl:foot_l + 1])
    foot_r = _quiet_foot(y_seg, p, vr, amp, noise)
    if foot_r is not None:
        vr = min(vr, foot_r + w)
        low_r = median(y_seg[foot_r:vr + 1])
    top = float(y_seg[p])
    # Top region: contiguous samples around the peak above 80% of the excursion.
    up80 = _crossing(y_seg, low_l + 0.8 * (top - low_l), vl, p, forward=True)
    dn80 = _crossing(y_seg, low_r + 0.8 * (top - low_r), vr, p, forward=False)
    up10 = _crossing(y_seg, low_l + 0.1 * (top - low_l), vl, p, forward=True)
    dn10 = _crossing(y_seg, low_r + 0.1 * (top - low_r), vr, p, forward=False)
    if dn80 < up80:
        up80 = dn80 = p
    rise_n = max(up80 - up10, 2)
    fall_n = max(dn10 - dn80, 2)
    a = max(vl, up10 - max(2 * rise_n, int(1.0 * rate)))
    d = min(vr, dn10 + max(2 * fall_n, int(1.0 * rate)))
    conc = ecc = conc_f = ecc_f = None
    # No quiet rest on a side, and the signal rises again beyond the lowest point there:
    # another movement follows (or precedes) back to back; the valley between is a
    # turning point (the original valley bound when the window starts after a movement
    # an earlier window reported).
    # The valley must lie within the side's usual fit span and the other movement turn
    # within _BOTTOM_S of it (a rest too noisy for a quiet foot is no valley).
    bot_l = bot_r = None
    reach = int(_BOTTOM_S * rate)
    if foot_l is None:
        lo = max(vl if vl0 is None else min(vl, vl0), up10 - max(2 * rise_n, int(1.0 * rate)))
        il = lo + int(np.argmin(y_seg[lo:p + 1]))
        before = y_seg[max(il - reach, 0):il + 1]
        if float(np.max(before)) - y_seg[il] > _BOTTOM_RISE * amp:
            bot_l = il
    if foot_r is None:
        ir = p + int(np.argmin(y_seg[p:d + 1]))
        after = y_seg[ir:ir + reach + 1]
        if float(np.max(after)) - y_seg[ir] > _BOTTOM_RISE * amp:
            bot_r = ir
    if sg is not None:
        conc, ecc = _fit_phases(tg, sg, valid, a, p, d, float(sg[vl]), float(sg[vr]),
                                bot_l=bot_l, bot_r=bot_r)
    if conc is None or ecc is None:
        conc_f, ecc_f = _fit_phases(tg, y_fit, valid, a, p, d, low_l, low_r, force=True,
                                    bot_l=bot_l, bot_r=bot_r)
        conc, ecc = conc or conc_f, ecc or ecc_f
    # Fallbacks: threshold crossings (only when a fit failed).
    start = conc.start_s if conc else float(tg[up10])
    top_start = conc.end_s if conc else float(tg[up80])
    top_end = ecc.start_s if ecc else float(tg[dn80])
    end = ecc.end_s if ecc else float(tg[dn10])
    # Keep the instants inside the movement's span and in order.
    start = max(start, float(tg[vl]) - 0.5)
    end = min(end, float(tg[vr]) + 0.5)
    if top_end < top_start:
        m = 0.5 * (top_start + top_end)
        top_start = top_end = m
    top_start = max(top_start, start)
    top_end = min(max(top_end, top_start), end)
    # Levels on force: the rests found beside the movement and the smoothed peak; they
    # must not depend on the fits (a poor fit must not turn a partial rep into
    # fidgeting and split its set).
    rest, rest_r, high = low_l, low_r, top
    if high <= rest:
        return None  # a wobble in the rest: its quiet foot sits above its peak
    # Force metrics on the despiked raw samples.
    ok, peak_force, mean_force, impulse, top_mean, top_cv = force_metrics(
        t, fd, start, end, top_start, top_end, rest, rest_r)
    if not ok:
        return None
    range_mm = None
    if sg is not None:
        range_mm = float(np.max(sg[vl:vr + 1]) - 0.5 * (sg[vl] + sg[vr]))
    return Movement(
        start_s=start, top_start_s=top_start, top_end_s=top_end, end_s=end,
        peak_s=float(tg[p]), peak_force_n=peak_force, mean_force_n=mean_force,
        impulse_ns=impulse, range_n=float(high - rest), range_mm=range_mm, rest_n=rest,
        top_mean_n=top_mean, top_cv=top_cv, rest_after_n=rest_r,
        rest_quiet=foot_l is not None,
    )


def _top_region(y: np.ndarray, a: int, pk: int, d: int, low_l: float, low_r: float,
                frac: float, relax: bool = False) -> tuple[int, int]:
    """First and last index of the top: above ``frac`` of the excursion at each end.

    Each end is judged against its *own* top (the highest point within ``_EDGE_S`` inside
    the outer 80% crossing), not the overall peak: a long top that sags, relaxes or
    breathes dips below a share of the peak in its middle, and the departure must not be
    read at the first dip.

    With ``relax`` the departure end of a shorter top too is judged against its own
    highest point within ``_RELAX_S`` when the force fell to it the way a band relaxes
    (quickly, then ever slower: on average below the chord). A band's force relaxes by
    up to ~10% of the range over a pause after arrival; judged against the peak, a 0.6 s
    pause was above 95% for its first 0.4 s only and the fall's fit, starting there,
    read the relaxation as the start of the release (pause ~0, eccentric ~pause too
    long: fifth model on force, 51 of 1245 reps). A slow turning point's release falls
    ever faster (above the chord) and keeps the peak as its reference.
    """
    up, dn = top_region(y, a, pk, d, low_l, low_r, frac, int(_EDGE_S * GRID_HZ),
                        int((_RELAX_S if relax else _EDGE_S) * GRID_HZ))
    return int(up), int(dn)


def _fit_plateau(tg: np.ndarray, y: np.ndarray, valid: np.ndarray, a: int, d: int,
                 up: int, dn: int, low_l: float, low_r: float, force: bool,
                 fix_l: bool = False, fix_r: bool = False
                 ) -> tuple[TransitionFit | None, TransitionFit | None]:
    mid = (up + dn) // 2
    average = (dn - up) / GRID_HZ <= _AVERAGE_MAX_TOP_S
    # A pause's level is pinned best by a second of it; a hold's level wanders with
    # breathing and fatigue, so its ends see only the half second next to them.
    k = int((_PLATEAU_FIT_S if average else _HOLD_PLATEAU_FIT_S) * GRID_HZ)
    b, c = min(mid, up + k), max(mid, dn - k)
    h_l = median(y[up:b + 1])
    h_r = median(y[c:dn + 1])
    conc = _fit_side(tg, y, valid, a, b, low_l, h_l, rising=True, fix_high=False,
                     average=average, fix_low=fix_l)
    ecc = _fit_side(tg, y, valid, c, d, low_r, h_r, rising=False, fix_high=False,
                    force=force, average=average, fix_low=fix_r)
    return conc, ecc


def _bottom(y: np.ndarray, v: int, pk: int) -> tuple[int, float]:
    """The lowest point of a valley between back-to-back movements on the fitted signal
    ``y`` (within 0.2 s of ``v``, the valley found on the 2 Hz signal, on its side of the
    peak ``pk``) and its level."""
    lo, hi = max(v - 10, 0), min(v + 10, len(y) - 1)
    if v > pk:
        lo = max(lo, pk)
    else:
        hi = min(hi, pk)
    vi = lo + int(np.argmin(y[lo:hi + 1]))
    return vi, float(y[vi])


def _fit_phases(tg: np.ndarray, y: np.ndarray, valid: np.ndarray, a: int, p: int, d: int,
                low_l: float, low_r: float, force: bool = False,
                bot_l: int | None = None, bot_r: int | None = None,
                ) -> tuple[TransitionFit | None, TransitionFit | None]:
    """Fit the rise over ``[a, top]`` and the fall over ``[top, d]`` of one signal.

    ``bot_l`` / ``bot_r``: the valley before / after the movement when it follows / is
    followed by another with no rest between (a turning point at the bottom, see
    :func:`_bottom`); None beside a rest.

    With a real plateau at the top (>= ``_PLATEAU_S`` above 95%), each side is fitted
    up to ``_PLATEAU_FIT_S`` into the plateau with a free top level: the level right
    after arrival (before sag, breathing or relaxation change it) is what the approach
    aims at. Without a plateau the turning point is the top: the level is fixed at the
    peak, and each side ends there. A sagging pause is not above 95% for long but is
    above 85%: then both readings are fitted and the one with the smaller residual wins;
    likewise a short plateau (up to ``_TURN_CHECK_MAX_S``) may be a slow turning point.
    """
    pk = int(np.argmax(y[max(p - 10, a): min(p + 11, d + 1)])) + max(p - 10, a)
    top = float(y[pk])
    # Back to back (no rest between two movements) the valley is a turning point, as a
    # top without a pause is: the level there is held at its lowest point and the side's
    # fit ends there (with the rest level free, the flat end was extrapolated past the
    # valley, up to 1 s into the next movement, or short of it).
    fix_l, fix_r = bot_l is not None, bot_r is not None
    if bot_l is not None:
        a, low_l = _bottom(y, bot_l, pk)
    if bot_r is not None:
        d, low_r = _bottom(y, bot_r, pk)
    # (Relaxation judged on the 95% reading only: the 85% one below is already the
    # reading of a top that sags.)
    up95, dn95 = _top_region(y, a, pk, d, low_l, low_r, 0.95, relax=True)
    if (dn95 - up95) / GRID_HZ >= _PLATEAU_S:
        c1, e1 = _fit_plateau(tg, y, valid, a, d, up95, dn95, low_l, low_r, force,
                              fix_l, fix_r)
        if (dn95 - up95) / GRID_HZ <= _TURN_CHECK_MAX_S and c1 is not None and e1 is not None:
            # A slow rep without a pause spends 0.4 s and more above 95% too; read as a
            # plateau it gets a spurious pause of 20-120 ms.
            c0 = _fit_side(tg, y, valid, a, pk, low_l, top, rising=True, fix_high=True,
                           fix_low=fix_l)
            e0 = _fit_side(tg, y, valid, pk, d, low_r, top, rising=False, fix_high=True,
                           force=force, fix_low=fix_r)
            if c0 is not None and e0 is not None and c0.rms + e0.rms < c1.rms + e1.rms:
                return c0, e0
        return c1, e1
    conc = _fit_side(tg, y, valid, a, pk, low_l, top, rising=True, fix_high=True,
                     fix_low=fix_l)
    ecc = _fit_side(tg, y, valid, pk, d, low_r, top, rising=False, fix_high=True,
                    force=force, fix_low=fix_r)
    up85, dn85 = _top_region(y, a, pk, d, low_l, low_r, 0.85)
    if (dn85 - up85) / GRID_HZ >= _PLATEAU_S and conc is not None and ecc is not None:
        c2, e2 = _fit_plateau(tg, y, valid, a, d, up85, dn85, low_l, low_r, force,
                              fix_l, fix_r)
        if c2 is not None and e2 is not None and c2.rms + e2.rms < conc.rms + ecc.rms:
            return c2, e2
    return conc, ecc
