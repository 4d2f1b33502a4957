"""Compiled (numba) versions of the window analysis' filters.

Each window of activity (about one movement) is despiked and low-passed a few times on
arrays of a few hundred samples. There scipy's ``sosfilt`` and ``ndimage.median_filter``
spend most of their time validating arguments and moving axes (~150 us a call); the
loops below do the same arithmetic in a few microseconds. Results equal scipy's to
rounding (``tests/analysis_speed/test_filter_kernels.py`` checks them against scipy).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from analysis.median_kernels import median5, median7, median9, median11, median13, median15

# Outlying runs removed before the running median (see despike_runs).
_SPIKE_RUN = 4
_SPIKE_JUMP = 10.0  # robust sd of the sample-to-sample change
_SPIKE_FLOOR_N = 0.3
_SPIKE_FLOOR_MM = 1.0
# Readings that jump to another level and back within this long (see remove_dropouts).
_DROPOUT_MAX_S = 0.4
# Brief excursions off a raised plateau removed on the grid (see flatten_excursions).
_EXC_MAX_S = 0.5
_EXC_SIDE_S = 0.5
_EXC_MEDIAN_S = 1.5
_EXC_UP = 0.25


@njit(cache=True)
def _select(a: np.ndarray, k: int) -> float:
    """The ``k``-th smallest value of ``a`` (reordered in place; Hoare's selection).

    Plain loops rather than ``np.median``/``np.partition``: the generic numpy versions
    take seconds to compile, this takes a fraction of one.
    """
    lo, hi = 0, len(a) - 1
    while lo < hi:
        pivot = a[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


@njit(cache=True)
def median_of(a: np.ndarray) -> float:
    """``np.median`` of a non-empty finite 1-D array (``a`` is reordered in place)."""
    n = len(a)
    h = n // 2
    hi = _select(a, h)
    if n % 2:
        return hi
    lo = a[0]
    for i in range(1, h):  # after selection, a[:h] holds the h smallest values
        lo = max(lo, a[i])
    return (lo + hi) / 2.0


@njit(cache=True)
def _sosfilt(sos: np.ndarray, y: np.ndarray, scale: float, backward: bool) -> None:
    """``scipy.signal.sosfilt(sos, y, zi=zi * scale)`` in place, on ``y`` or reversed.

    ``sos[:, 6:8]`` holds the sections' steady state ``zi`` (transposed direct form II).
    """
    n = len(y)
    for s in range(sos.shape[0]):
        b0, b1, b2 = sos[s, 0], sos[s, 1], sos[s, 2]
        a1, a2 = sos[s, 4], sos[s, 5]
        z0, z1 = sos[s, 6] * scale, sos[s, 7] * scale
        for m in range(n):
            i = n - 1 - m if backward else m
            xi = y[i]
            yi = b0 * xi + z0
            z0 = b1 * xi - a1 * yi + z1
            z1 = b2 * xi - a2 * yi
            y[i] = yi


@njit(cache=True)
def filtfilt_odd(x: np.ndarray, sos: np.ndarray, pad: int) -> np.ndarray:
    """Zero-phase filtering (forward, then backward) with odd extension by ``pad`` samples.

    ``sos`` rows are a section's 6 coefficients followed by its 2 steady-state values
    (``scipy.signal.sosfilt_zi``), scaled by the first value of each pass (as
    ``scipy.signal.sosfiltfilt`` does), so a constant signal passes unchanged.
    """
    n = len(x)
    ext = np.empty(n + 2 * pad)
    for i in range(pad):
        ext[i] = 2.0 * x[0] - x[pad - i]
        ext[n + pad + i] = 2.0 * x[n - 1] - x[n - 2 - i]
    for i in range(n):
        ext[pad + i] = x[i]
    _sosfilt(sos, ext, ext[0], False)
    _sosfilt(sos, ext, ext[len(ext) - 1], True)
    return ext[pad:pad + n].copy()


@njit(cache=True)
def running_median(x: np.ndarray, size: int) -> np.ndarray:
    """``scipy.ndimage.median_filter(x, size, mode="nearest")`` for odd ``size``.

    A sorted copy of the window is kept and updated per sample: the outgoing value's slot
    is reused for the incoming one, shifting only the entries between the two positions
    (few: consecutive samples of a smooth signal are close; often none at all).
    """
    n = len(x)
    h = size // 2
    out = np.empty(n)
    buf = np.empty(size)
    for j in range(size):  # insertion sort (numba's sort takes seconds to compile)
        v = x[min(max(j - h, 0), n - 1)]
        m = j
        while m > 0 and buf[m - 1] > v:
            buf[m] = buf[m - 1]
            m -= 1
        buf[m] = v
    out[0] = buf[h]
    for i in range(1, n):
        old = x[max(i - 1 - h, 0)]
        new = x[min(i + h, n - 1)]
        if old != new:
            j = 0
            while j < size - 1 and buf[j] != old:  # (bounded: NaN never compares equal)
                j += 1
            if new > old:
                while j + 1 < size and buf[j + 1] < new:
                    buf[j] = buf[j + 1]
                    j += 1
            else:
                while j > 0 and buf[j - 1] > new:
                    buf[j] = buf[j - 1]
                    j -= 1
            buf[j] = new
        out[i] = buf[h]
    return out


@njit(cache=True)
def running_median_small(x: np.ndarray, size: int) -> np.ndarray:
    """:func:`running_median` for the odd sizes of :data:`median_networks.SIZES` (5..15),
    by comparator networks (branch-free; ~5x faster on noisy signals); others fall back.

    Edges are repeated (``mode="nearest"``) by padding; the result is the same to the bit.
    """
    n = len(x)
    h = size // 2
    if n == 0 or size % 2 == 0 or not 5 <= size <= 15:
        return running_median(x, size)
    xp = np.empty(n + 2 * h)
    xp[:h] = x[0]
    xp[h:h + n] = x
    xp[h + n:] = x[n - 1]
    out = np.empty(n)
    if size == 5:
        median5(xp, out)
    elif size == 7:
        median7(xp, out)
    elif size == 9:
        median9(xp, out)
    elif size == 11:
        median11(xp, out)
    elif size == 13:
        median13(xp, out)
    else:
        median15(xp, out)
    return out


@njit(cache=True)
def hampel(x: np.ndarray, size: int) -> np.ndarray:
    """Replace samples far from the running median (beyond 6 robust sd) by that median."""
    med = running_median_small(x, size)
    dev = np.abs(x - med)
    scale = 1.4826 * median_of(dev.copy()) + 1e-9
    limit = max(6.0 * scale, 0.05)
    out = x.copy()
    for i in range(len(x)):
        if dev[i] > limit:
            out[i] = med[i]
    return out


@njit(cache=True)
def _jump(x: np.ndarray, factor: float, floor: float) -> float:
    """``factor`` robust sd of the sample-to-sample change of ``x`` (at least ``floor``):
    a step that no movement makes between two samples."""
    n = len(x)
    d = np.empty(n - 1)
    for i in range(n - 1):
        d[i] = abs(x[i + 1] - x[i])
    return max(factor * 1.4826 * median_of(d), floor)


@njit(cache=True)
def despike_runs(x: np.ndarray, max_run: int, factor: float, floor: float) -> np.ndarray:
    """Replace short runs of outliers (up to ``max_run`` samples) by the line between
    their neighbours.

    A run is a step away from the signal steeper than ``factor`` robust sd of the sample
    to sample change (and than ``floor``), every sample of it on the far side, and a step
    back to within a quarter of it of the level before, all within ``max_run`` samples.
    The running median of :func:`hampel` removes runs shorter than half its window only;
    an EMI burst or an ADC pinned at full scale for 3-4 samples (60-200 ms at 20-60 Hz)
    otherwise cut a hold in two or became a rep's peak. A movement, even a tap, does not
    leave and return to its level within a few samples.
    """
    n = len(x)
    out = x.copy()
    if n < 3:
        return out
    jump = _jump(x, factor, floor)
    i = 1
    while i < n - 1:
        base = out[i - 1]
        step = x[i] - base
        end = -1
        if abs(step) > jump:
            for j in range(i + 1, min(i + max_run, n - 1) + 1):
                back = x[j] - base
                if abs(back) < 0.25 * abs(step):
                    end = j
                    break
                if back * step < 0.0 or abs(back) < 0.5 * abs(step):
                    break  # drifting back slowly, or across: not one outlying run
        if end > 0:
            for k in range(i, end):
                w = (k - i + 1) / (end - i + 1)
                out[k] = base + w * (x[end] - base)
            i = end + 1
        else:
            i += 1
    return out


@njit(cache=True)
def _back(dv: float, lead: float) -> bool:
    """After a jump of ``lead``, a reading ``dv`` from the level before it is back: within
    a quarter of the jump of that level, or past it by less than the jump (the signal
    moved on meanwhile: a dropout over a rep's valley ends on the next rise)."""
    r = dv / lead
    return r < 0.25 and r > -1.0


@njit(cache=True)
def remove_dropouts(t: np.ndarray, x: np.ndarray, max_s: float, factor: float,
                    floor: float) -> np.ndarray:
    """Replace dropouts by the line between their neighbours: the reading leaves its level
    within 2 samples by more than ``factor`` robust sd of the sample-to-sample change (and
    than ``floor``), stays on the far side between half and twice that departure, and is
    back within 2 samples (see ``_back``: within a quarter of it, or past the level before
    it by less than the departure, as the signal moved on meanwhile), all within ``max_s``.

    A sensor saturated for a moment (a flash of light into an optical load cell pinning
    its amplifier at a rail, a connector glitch: the twelfth model's readings at -32 N
    for 0.05-0.35 s, 6-8 samples at 25 Hz) outlives the running median and the short-run
    despiking; as the window's floor it hid two whole sets of reps. A band's force does
    not jump to a level and back within a few hundred milliseconds, and a movement that
    quick (a tap) is no rep either.
    """
    n = len(x)
    out = x.copy()
    if n < 4:
        return out
    jump = _jump(x, factor, floor)
    i = 1
    while i < n - 2:
        base = out[i - 1]
        lead = x[i] - base
        if abs(lead) <= jump:
            i += 1
            continue
        j = i + 1
        nxt = x[j] - base
        if nxt * lead > 0.0 and abs(nxt) > abs(lead):
            lead = nxt  # a two-sample edge: the level is the second sample's
            j += 1
        while (j < n and t[j] - t[i - 1] <= max_s and (x[j] - base) * lead > 0.0
               and 0.5 * abs(lead) <= abs(x[j] - base) <= 2.0 * abs(lead)):
            j += 1
        end = -1
        if j < n and t[j] - t[i - 1] <= max_s:
            if _back(x[j] - base, lead):
                end = j
            elif (j + 1 < n and t[j + 1] - t[i - 1] <= max_s
                  and _back(x[j + 1] - base, lead) and (x[j] - base) * lead > 0.0):
                end = j + 1  # a two-sample edge back
        if end > 0:
            span = t[end] - t[i - 1]
            for k in range(i, end):
                # by time (repeated stamps: by index)
                w = (t[k] - t[i - 1]) / span if span > 0.0 else (k - i + 1) / (end - i + 1)
                out[k] = base + w * (x[end] - base)
            i = end + 1
        else:
            i += 1
    return out


@njit(cache=True)
def flatten_excursions(t: np.ndarray, fd: np.ndarray, tg: np.ndarray, g: np.ndarray,
                       grid_hz: float, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Remove brief excursions off a raised plateau from the gridded force ``g`` and from
    the despiked samples ``fd`` (the line between the plateau on either side instead).

    An excursion leaves a steady level and comes back to it within ``_EXC_MAX_S``, with
    ``_EXC_SIDE_S`` of steady signal at the same level on both sides, and that level lies
    at least ``_EXC_UP`` of the window's range above its floor (a hold, a long top). A
    hand on the sensor, a knock on the band or a burst of bad readings during a hold
    (0.1-0.4 s, tenth model) is not a movement: as a peak it hid the hold under it, which
    was lost (the bump was read as a movement rising from the hold's level), and a dip
    cut the hold in two. No movement of a limb leaves its position and comes back within
    half a second; at rest such blips are taps, left to the set rules.
    """
    m = len(g)
    half = int(_EXC_MEDIAN_S * grid_hz) // 2
    side = int(_EXC_SIDE_S * grid_hz)
    longest = int(_EXC_MAX_S * grid_hz)
    if m < 2 * side + 3 or m < 2 * half + 1:
        return fd, g
    # The reference level: a running median over _EXC_MEDIAN_S, on every third grid
    # point (blips of up to half its span vanish from it either way; a ninth of the cost).
    coarse = running_median(g[::3].copy(), 2 * (half // 3) + 1)
    med = np.empty(m)
    for k in range(m):
        med[k] = coarse[k // 3]
    lo, hi = np.min(med), np.max(med)
    thr = max(6.0 * noise, 0.3, 0.1 * (hi - lo))
    out_g = g
    out_f = fd
    changed = False
    i = side
    while i < m - side:
        if abs(g[i] - med[i]) <= thr:
            i += 1
            continue
        b = i
        while b < m and abs(g[b] - med[b]) > thr:
            b += 1
        a = i
        i = b
        if b - a > longest or b >= m:
            continue
        # The run's feet, still on the way out and back (under the threshold).
        while a > side and a > i - longest and abs(g[a - 1] - med[a - 1]) > 0.25 * thr:
            a -= 1
        while b < m - side and abs(g[b] - med[b]) > 0.25 * thr:
            b += 1
        if b - a > longest or a < side or b + side > m:
            continue
        left = g[a - side:a]
        right = g[b:b + side]
        lvl_l = median_of(left.copy())
        lvl_r = median_of(right.copy())
        if (abs(lvl_l - lvl_r) > 0.5 * thr or np.max(left) - np.min(left) > thr
                or np.max(right) - np.min(right) > thr
                or min(lvl_l, lvl_r) - lo < _EXC_UP * (hi - lo)):
            continue
        base = 0.5 * (lvl_l + lvl_r)
        peak = 0.0
        for k in range(a, b):
            peak = max(peak, abs(g[k] - base))
        if peak < 2.0 * thr:
            continue
        if not changed:
            out_g = g.copy()
            out_f = fd.copy()
            changed = True
        g0, g1 = g[a - 1], g[b]
        for k in range(a, b):
            out_g[k] = g0 + (g1 - g0) * (k - a + 1) / (b - a + 1)
        t0, t1 = tg[a - 1], tg[b]
        for k in range(np.searchsorted(t, t0, side="right"), np.searchsorted(t, t1)):
            out_f[k] = g0 + (g1 - g0) * (t[k] - t0) / (t1 - t0)
    return out_f, out_g


@njit(cache=True)
def box_average(x: np.ndarray, size: int) -> np.ndarray:
    """``scipy.ndimage.uniform_filter1d(x, size, mode="nearest")`` (running mean).

    The window of output ``i`` is ``x[i - size // 2 : i - size // 2 + size]`` (scipy's
    centring for even sizes too), edges repeated. A running sum keeps it O(n).
    """
    n = len(x)
    lo = size // 2
    out = np.empty(n)
    acc = 0.0
    for j in range(-lo, size - lo):
        acc += x[min(max(j, 0), n - 1)]
    out[0] = acc / size
    for i in range(1, n):
        acc += x[min(i - lo + size - 1, n - 1)] - x[max(i - 1 - lo, 0)]
        out[i] = acc / size
    return out


@njit(cache=True)
def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally long series; NaN when either is constant."""
    n = len(a)
    ma = mb = 0.0
    for i in range(n):
        ma += a[i]
        mb += b[i]
    ma /= n
    mb /= n
    saa = sbb = sab = 0.0
    for i in range(n):
        da, db = a[i] - ma, b[i] - mb
        saa += da * da
        sbb += db * db
        sab += da * db
    if saa <= 0.0 or sbb <= 0.0:
        return np.nan
    return sab / np.sqrt(saa * sbb)


@njit(cache=True)
def first_quiet_run(seg: np.ndarray, width: int, tol: float, below: float) -> int:
    """First ``k`` where ``seg[k:k + width]`` spans less than ``tol`` and ``seg[k] < below``.

    -1 when there is none. (A sliding range, stopping at the first hit: the caller walks
    outwards from a peak and wants the nearest quiet stretch.)
    """
    for k in range(len(seg) - width + 1):
        if seg[k] >= below:
            continue
        lo = hi = seg[k]
        ok = True
        for j in range(k + 1, k + width):
            v = seg[j]
            if v < lo:
                lo = v
            elif v > hi:
                hi = v
            if hi - lo >= tol:
                ok = False
                break
        if ok:
            return k
    return -1


@njit(cache=True)
def _lowpass(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    if len(x) < 16:
        return x.copy()
    return filtfilt_odd(x, sos, min(len(x) - 1, 30))


@njit(cache=True)
def _to_grid(t: np.ndarray, x: np.ndarray, tg: np.ndarray, step: float,
             grid_hz: float) -> np.ndarray:
    """``np.interp(tg, t, x)`` after a box average over one grid step (anti-aliasing at
    fast rates); both time axes ascending, so one merge-like walk."""
    k = int((1.0 / grid_hz) / step) if step > 0 else 1
    if k >= 2:
        x = box_average(x, k)
    n = len(t)
    out = np.empty(len(tg))
    j = 0
    for i in range(len(tg)):
        ti = tg[i]
        while j < n - 1 and t[j + 1] <= ti:
            j += 1
        if ti <= t[0]:
            out[i] = x[0]
        elif j >= n - 1:
            out[i] = x[n - 1]
        else:
            dt = t[j + 1] - t[j]
            out[i] = x[j] + (x[j + 1] - x[j]) * (ti - t[j]) / dt if dt > 0 else x[j + 1]
    return out


@njit(cache=True)
def prepare_window(
    t: np.ndarray, f: np.ndarray, s: np.ndarray, grid_hz: float, gap_s: float,
    sos_seg: np.ndarray, sos_fit: np.ndarray, min_corr: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The signals a window's analysis works on, in one pass (see analysis.window).

    Returns ``(fd, tg, valid, y_seg, y_fit, sg, noise)``: despiked force, the grid,
    grid points with a raw sample within ``gap_s``, the force on the grid low-passed twice
    (``y_fit`` is ``y_seg`` when stretch times the phases), stretch on the grid low-passed
    for fitting (empty when absent, not finite or not moving with the force) and the
    noise scale of the gridded force. ``s`` is empty for force only.
    """
    n = len(t)
    d = np.empty(n - 1)
    for i in range(n - 1):
        d[i] = t[i + 1] - t[i]
    step = median_of(d)
    # The median spans ~50 ms (5..15 samples): wide enough for spikes of a few samples,
    # short enough that a smooth movement is monotone inside it (and so untouched).
    k = int(min(15, max(5, 2 * round(0.025 / step) + 1))) if step > 0 else 5
    # Runs longer than half the median's window outlive it: removed first where the
    # window is that short (rates under ~140 Hz; above, the median takes runs of 4).
    runs = k < 2 * _SPIKE_RUN + 1
    f = remove_dropouts(t, f, _DROPOUT_MAX_S, _SPIKE_JUMP, _SPIKE_FLOOR_N)
    if runs:
        f = despike_runs(f, _SPIKE_RUN, _SPIKE_JUMP, _SPIKE_FLOOR_N)
    fd = hampel(f, k) if len(f) >= k else f.copy()
    dg = 1.0 / grid_hz
    m = int(np.floor((t[n - 1] + 1e-9 - t[0]) / dg)) + 1
    tg = np.empty(m)
    for i in range(m):
        tg[i] = t[0] + i * dg
    while m > 0 and tg[m - 1] >= t[n - 1] + 1e-9:  # np.arange's end is exclusive
        m -= 1
    tg = tg[:m]
    valid = np.empty(m, dtype=np.bool_)
    j = 0
    for i in range(m):
        # Valid grid points: a raw sample within gap_s (no fit across gaps).
        while j < n and t[j] < tg[i]:
            j += 1
        dist = np.inf
        if j < n:
            dist = t[j] - tg[i]
        if j > 0:
            dist = min(dist, tg[i] - t[j - 1])
        valid[i] = dist <= gap_s
    g = _to_grid(t, fd, tg, step, grid_hz)
    fd, g = flatten_excursions(t, fd, tg, g, grid_hz, _grid_noise(g))
    y_seg = _lowpass(g, sos_seg)
    sg = np.empty(0)
    usable = len(s) == n
    for i in range(len(s)):
        if not math.isfinite(s[i]):
            usable = False
    if usable:
        if runs:
            s = despike_runs(s, _SPIKE_RUN, _SPIKE_JUMP, _SPIKE_FLOOR_MM)
        sd = hampel(s, k) if len(s) >= k else s.copy()
        sg = _lowpass(_to_grid(t, sd, tg, step, grid_hz), sos_fit)
        # Stretch times the phases only if it moves with the force (a stuck, absent or
        # miswired stretch sensor must not override good force data).
        if not correlation(sg, y_seg) >= min_corr:  # NaN (one is constant) fails too
            sg = np.empty(0)
    y_fit = _lowpass(g, sos_fit) if len(sg) == 0 else y_seg
    return fd, tg, valid, y_seg, y_fit, sg, _grid_noise(g)


@njit(cache=True)
def _grid_noise(g: np.ndarray) -> float:
    """Noise scale of the gridded force (robust sd of the step to step change)."""
    m = len(g)
    dev = np.empty(max(m - 1, 1))
    dev[0] = 0.0
    for i in range(m - 1):
        dev[i] = abs(g[i + 1] - g[i])
    out: float = 1.4826 * median_of(dev) / np.sqrt(2.0)
    return out


@njit(cache=True)
def trailing_extreme(x: np.ndarray, k: int, maximum: bool) -> np.ndarray:
    """Min (or max) of every ``k`` consecutive samples: ``len(x) - k + 1`` values.

    A monotonic queue of candidate indices: each sample enters and leaves it once.
    """
    n = len(x)
    out = np.empty(n - k + 1)
    q = np.empty(n, dtype=np.int64)
    head = tail = 0
    for i in range(n):
        v = x[i]
        if maximum:
            while tail > head and x[q[tail - 1]] <= v:
                tail -= 1
        else:
            while tail > head and x[q[tail - 1]] >= v:
                tail -= 1
        q[tail] = i
        tail += 1
        if q[head] <= i - k:
            head += 1
        if i >= k - 1:
            out[i - k + 1] = x[q[head]]
    return out


@njit(cache=True)
def peaks_with_prominences(x: np.ndarray, min_prominence: float
                           ) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.find_peaks(x, prominence=min_prominence)``: the peaks and their
    prominences, compiled.

    Local maxima (the middle of a flat top, as scipy) whose prominence (height above the
    higher of the lowest points on either side before a higher sample) is at least
    ``min_prominence``. scipy's version costs ~50 us of argument handling per call.
    """
    n = len(x)
    out = np.empty(n, dtype=np.int64)
    proms = np.empty(n, dtype=np.float64)
    n_out = 0
    i = 1
    while i < n - 1:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < n - 1 and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                peak = (i + ahead - 1) // 2
                top = x[peak]
                left_min = top
                j = peak
                while j >= 0 and x[j] <= top:
                    left_min = min(left_min, x[j])
                    j -= 1
                right_min = top
                j = peak
                while j <= n - 1 and x[j] <= top:
                    right_min = min(right_min, x[j])
                    j += 1
                prom = top - max(left_min, right_min)
                if prom >= min_prominence:
                    out[n_out] = peak
                    proms[n_out] = prom
                    n_out += 1
                i = ahead
        i += 1
    return out[:n_out].copy(), proms[:n_out].copy()


@njit(cache=True)
def peaks_by_prominence(x: np.ndarray, min_prominence: float) -> np.ndarray:
    """``scipy.signal.find_peaks(x, prominence=min_prominence)[0]``, compiled."""
    return peaks_with_prominences(x, min_prominence)[0]
