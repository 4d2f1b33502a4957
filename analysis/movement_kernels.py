"""Compiled (numba) pieces of the per-movement bookkeeping in :mod:`analysis.window`.

Each movement needs a few threshold walks (crossings, the top region) and its force
metrics over the raw samples: ~30 small numpy calls in numpy, each a few microseconds
of fixed cost on arrays of a few hundred samples. These loops compute the same values
(``tests/analysis_speed/test_kernels.py`` checks them against the numpy expressions).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def crossing(y: np.ndarray, level: float, a: int, b: int) -> int:
    """First index from ``a`` towards ``b`` (either direction) where ``y >= level``;
    ``b`` when there is none."""
    step = 1 if b >= a else -1
    i = a
    while True:
        if y[i] >= level:
            return i
        if i == b:
            return b
        i += step


@njit(cache=True)
def top_region(y: np.ndarray, a: int, pk: int, d: int, low_l: float, low_r: float,
               frac: float, edge: int, relax: int) -> tuple[int, int]:
    """First and last index of the top (see analysis.window._top_region)."""
    top = y[pk]
    i_up = pk
    for i in range(a, pk + 1):
        if y[i] >= low_l + 0.8 * (top - low_l):
            i_up = i
            break
    i_dn = pk
    for i in range(d, pk - 1, -1):
        if y[i] >= low_r + 0.8 * (top - low_r):
            i_dn = i
            break
    if i_dn - i_up > 2 * edge:
        p_l = i_up
        for i in range(i_up, min(i_up + edge + 1, len(y))):
            if y[i] > y[p_l]:
                p_l = i
        lo = i_dn - edge
        p_r = lo
        for i in range(lo, i_dn + 1):
            if y[i] > y[p_r]:
                p_r = i
    else:
        p_l = p_r = pk
    if relax < edge and i_dn - i_up > 2 * relax:
        # The departure end's own level, closer in: taken when the force between the
        # reference and it relaxed (on average below their chord, decaying ever slower)
        # rather than fell away (above the chord: a slow turning point's release).
        lo = i_dn - relax
        p2 = lo
        for i in range(lo, i_dn + 1):
            if y[i] > y[p2]:
                p2 = i
        if p2 > p_r and y[p2] < y[p_r]:
            acc = 0.0
            for i in range(p_r, p2 + 1):
                acc += y[i]
            if acc / (p2 - p_r + 1) <= 0.5 * (y[p_r] + y[p2]):
                p_r = p2
    up = a
    lvl = low_l + frac * (y[p_l] - low_l)
    for i in range(p_l, a - 1, -1):
        if y[i] < lvl:
            up = i + 1
            break
    dn = d
    lvl = low_r + frac * (y[p_r] - low_r)
    for i in range(p_r, d + 1):
        if y[i] < lvl:
            dn = i - 1
            break
    return up, dn


@njit(cache=True)
def force_metrics(t: np.ndarray, f: np.ndarray, start: float, end: float, top_start: float,
                  top_end: float, rest: float, rest_r: float
                  ) -> tuple[bool, float, float, float, float, float]:
    """``(ok, peak, mean, impulse, top_mean, top_cv)`` of the samples in [start, end].

    The impulse is the trapezoid integral of the force above the rest line (``rest`` at
    the start to ``rest_r`` at the end); the top's mean and coefficient of variation come
    from the samples in [top_start, top_end] (the sample nearest its middle when it holds
    fewer than two). ``ok`` is False when no sample lies in the movement.
    """
    i0 = int(np.searchsorted(t, start, side="left"))
    i1 = int(np.searchsorted(t, end, side="right"))
    if i1 <= i0:
        return False, 0.0, 0.0, 0.0, 0.0, 0.0
    peak = -np.inf
    acc = 0.0
    impulse = 0.0
    slope = (rest_r - rest) / (end - start) if end > start else 0.0
    prev = 0.0
    for i in range(i0, i1):
        v = f[i]
        peak = max(peak, v)
        acc += v
        above = v - (rest + slope * (t[i] - start))
        if i > i0:
            impulse += 0.5 * (above + prev) * (t[i] - t[i - 1])
        prev = above
    mean = acc / (i1 - i0)
    j0 = int(np.searchsorted(t, top_start, side="left"))
    j1 = int(np.searchsorted(t, top_end, side="right"))
    if j1 - j0 < 2:
        mid = 0.5 * (top_start + top_end)
        best = 0
        for i in range(len(t)):
            if abs(t[i] - mid) < abs(t[best] - mid):
                best = i
        j0, j1 = best, best + 1
    m = 0.0
    for i in range(j0, j1):
        m += f[i]
    m /= j1 - j0
    var = 0.0
    for i in range(j0, j1):
        var += (f[i] - m) ** 2
    cv = np.sqrt(var / (j1 - j0)) / m if m > 0 else 0.0
    return True, peak, mean, impulse, m, cv
