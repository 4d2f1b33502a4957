"""The detector's scan over a long batch, compiled (numba).

Offline the whole recording is one batch: its rolling features (the rest reference and
the quiet range of every sample) are computed up front in three filter passes, and what
is left is a walk through the samples alternating between rest and activity. The numpy
walk (:meth:`analysis.detect.Detector._scan_rest` / ``_scan_active``) pays ~15 array
calls per chunk of 2,048+ samples whether the activity ends after 50 samples or not;
this loop makes the same per-sample decisions in one pass (checked by
``tests/analysis_speed/test_detect_equivalence.py``: same cuts, rest levels and noise
scale as the reference detector).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from analysis.filter_kernels import median_of


@njit(cache=True)
def scan_batch(
    buf: np.ndarray, p0: int, n: int, base: int, ref: np.ndarray, qrange: np.ndarray,
    state: np.ndarray, k_quiet: int, k_max: int, g0: int, k_settle: int, k_age: int,
    k_lag: int, calm_rest: float,
) -> np.ndarray:
    """Walk samples ``0..n-1`` of the batch (filtered values ``buf[p0 + j]``).

    ``state`` (float64, updated in place) is ``[active, trigger, rest, peak, low_seen,
    sigma, settled, rest_q]`` (``settled``: calm samples in a row below half the excursion,
    once the activity is ``k_age`` samples old; ``rest_q``: the range of the quiet window
    ending ``k_lag`` samples before the onset).
    ``ref[j]``: the rest reference of sample j; ``qrange[j]``: the range of the
    ``k_quiet`` samples ending at j. Returns the cuts as rows ``(trigger, cut, rest)``
    (global sample indices; ``g0`` is the global index of ``buf[0]``).
    """
    cuts = np.empty((16, 3))
    n_cuts = 0
    active = state[0] > 0
    trigger = int(state[1])
    rest, peak, low_seen, sigma = state[2], state[3], state[4] > 0, state[5]
    settled = int(state[6])
    rest_q = state[7]
    j = 0
    while j < n:
        thr = max(0.3, 8.0 * sigma)
        v = buf[p0 + j]
        if not active:
            if v > ref[j] + thr:
                active = True
                low_seen = False
                trigger = base + j
                rest = ref[j]
                peak = v
                settled = 0
                end = p0 + j - k_lag
                lo_q = hi_q = buf[end]
                for q in range(end - k_quiet + 1, end):
                    lo_q = min(lo_q, buf[q])
                    hi_q = max(hi_q, buf[q])
                rest_q = hi_q - lo_q
            j += 1
            continue
        peak = max(peak, v)
        amp = peak - rest
        rel = v - rest
        low = rel < 0.2 * amp
        # Continuous reps never rest quietly: cut in the valley once the next rise is
        # under way (back low since the last cut, now above 35% again).
        valley = low_seen and rel > 0.35 * amp and amp > 3.0 * thr
        # A whole quiet window inside the activity, near rest.
        stop = (low and qrange[j] < max(4.0 * sigma, 0.015 * amp)
                and base + j >= trigger + k_quiet - 1)
        too_long = base + j >= trigger + k_max
        # Quiet for long below half the excursion: the band settled at a new rest level
        # (re-wrapped tighter) that "back near rest" would never see.
        calm = qrange[j] < max(6.0 * sigma, 0.03 * amp, calm_rest * rest_q)
        old = base + j - trigger >= k_age
        settled = settled + 1 if (old and rel < 0.5 * amp and calm) else 0
        level = settled >= k_settle
        low_seen = low_seen or low
        if not (stop or valley or too_long or level):
            j += 1
            continue
        g = base + j
        if n_cuts == len(cuts):
            grown = np.empty((2 * len(cuts), 3))
            grown[:n_cuts] = cuts
            cuts = grown
        cuts[n_cuts, 0], cuts[n_cuts, 1], cuts[n_cuts, 2] = trigger, g, rest
        n_cuts += 1
        low_seen = False
        settled = 0
        if valley and not (stop or level):
            trigger = g  # stay active: the next movement has begun
            peak = v
            j += 1
            continue
        active = False
        peak = -np.inf
        # Noise scale follows the sensor (the quiet window just seen), slowly.
        lo = max(0, g - k_quiet + 1) - g0
        hi = g + 1 - g0
        if hi - lo - 1 > 2:
            d = np.empty(hi - lo - 1)
            for q in range(hi - lo - 1):
                d[q] = abs(buf[lo + q + 1] - buf[lo + q])
            s_new = 1.4826 * median_of(d) / np.sqrt(2.0)
            sigma = 0.8 * sigma + 0.2 * max(s_new, 0.2 * sigma)
        j += 1
    state[0] = 1.0 if active else 0.0
    state[1] = trigger
    state[2], state[3] = rest, peak
    state[4] = 1.0 if low_seen else 0.0
    state[5] = sigma
    state[6] = settled
    state[7] = rest_q
    return cuts[:n_cuts].copy()
