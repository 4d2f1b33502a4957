"""The profile fit of :mod:`analysis.fit`, compiled (numba).

A fit is a small dense problem (tens of points, 102 or 312 shapes, a few Gauss-Newton
steps on 5 candidates) repeated ~750 times per hour of recording. Written as numpy array
expressions it costs ~1.5 ms, almost all of it in the fixed cost of ~150 small numpy
calls and their temporaries; the same arithmetic as one compiled loop nest costs tens of
microseconds. The algorithm is the one described in :mod:`analysis.fit` (same
linearised estimate, scoring, Gauss-Newton with the same step limits, same sanity checks)
with three changes that do not change its result: the linearised estimate of all shapes
is accumulated point by point from z-major tables (contiguous reads; its weights
``S'(S^-1(z))^2`` are interpolated in z rather than composed from two interpolations),
a shape's scoring stops once its error cannot make the candidates, and sums run
sequentially instead of numpy's pairwise order. Instants agree with the numpy version
(``tests/analysis_speed/reference_fit.py``) to a few microseconds.

Compiled once per machine and cached next to this file (``cache=True``; numba falls back
to a per-user cache directory when the package folder is read-only).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Averaging over the candidates (analysis.fit): the tempering of the residual evidence
# (4 residual samples of the 6 Hz low-passed signal on the 50 Hz grid per independent one,
# times 8 because the true profile is rarely in the family, so a smaller SSE overstates
# how much more right a shape's instants are; docs/analysis.md, rounds 8 and 17), and how
# far (share of the duration, plus 50 ms) a candidate's instants may lie from the pick's
# to take part.
_AVERAGE_K = 32.0
_AVERAGE_NEAR = 0.3


@njit(cache=True)
def _lookup(table: np.ndarray, k: int, x: float) -> float:
    """Linear interpolation of ``table[k]`` (uniform on [0, 1]) at ``x`` clipped to [0, 1]."""
    nu = table.shape[1]
    pos = min(max(x, 0.0), 1.0) * (nu - 1)
    i0 = min(int(pos), nu - 2)
    lo = table[k, i0]
    return lo + (table[k, i0 + 1] - lo) * (pos - i0)


@njit(cache=True)
def _solve(a: np.ndarray, b: np.ndarray) -> bool:
    """Solve ``a x = b`` in place (``b`` becomes ``x``); Gaussian elimination, pivoting.

    Returns False for a singular system (then ``b`` is undefined)."""
    n = a.shape[0]
    for c in range(n):
        piv = c
        for r in range(c + 1, n):
            if abs(a[r, c]) > abs(a[piv, c]):
                piv = r
        if a[piv, c] == 0.0 or not math.isfinite(a[piv, c]):
            return False
        if piv != c:
            for j in range(n):
                a[c, j], a[piv, j] = a[piv, j], a[c, j]
            b[c], b[piv] = b[piv], b[c]
        for r in range(c + 1, n):
            f = a[r, c] / a[c, c]
            for j in range(c, n):
                a[r, j] -= f * a[c, j]
            b[r] -= f * b[c]
    for c in range(n - 1, -1, -1):
        acc = b[c]
        for j in range(c + 1, n):
            acc -= a[c, j] * b[j]
        b[c] = acc / a[c, c]
    return True


@njit(cache=True)
def _sse(value: np.ndarray, k: int, t: np.ndarray, y: np.ndarray, p: np.ndarray,
         bound: float = np.inf) -> float:
    """Squared error of ``y = L + A S_k((t - t0) / D) + B max(t - t0 - D, 0)``.

    Stops (returning a partial sum above ``bound``) once the error exceeds ``bound``:
    a sum of squares only grows, so such a shape cannot beat the one that set the bound.
    """
    low, amp, t0, d, b = p[0], p[1], p[2], p[3], p[4]
    acc = 0.0
    for i in range(len(t)):
        m = low + amp * _lookup(value, k, (t[i] - t0) / d) + b * max(t[i] - t0 - d, 0.0)
        r = y[i] - m
        acc += r * r
        if acc > bound:
            return acc
    return acc


@njit(cache=True)
def fit_rise_kernel(
    t: np.ndarray, y: np.ndarray, low0: float, amp0: float, high0: float, value: np.ndarray,
    slope: np.ndarray, inverse_by_z: np.ndarray, weight_by_z: np.ndarray, refine: int,
    fix_high: bool, average: bool, fix_low: bool = False,
) -> tuple[bool, float, float, float, float, float, int, float, float]:
    """``(ok, low, amp, t0, duration, sse, shape index, t0_avg, duration_avg)``.

    The first seven describe the best sane fit; with ``average`` the last two are its
    instants averaged over the refined candidates (see :mod:`analysis.fit`), else they
    repeat ``t0`` and ``duration``. ``t`` starts at 0 (local axis). See
    :func:`analysis.fit.fit_rise` for the model.
    """
    n = len(t)
    n_shapes = value.shape[0]
    fail = (False, 0.0, 0.0, 0.0, 0.0, 0.0, -1, 0.0, 0.0)
    z = (y - low0) / amp0
    n_mid = 0
    for i in range(n):
        if 0.1 < z[i] < 0.9:
            n_mid += 1
    if n_mid < 3:
        return fail

    # 1. Linearised estimate per shape: weighted regression of t on S^-1(z) (weights
    #    S'(u)^2: inverse timing variance), then the squared error in y with those levels.
    t0s = np.empty(n_shapes)
    durs = np.empty(n_shapes)
    sse = np.empty(n_shapes)
    # The regression sums of every shape, accumulated point by point: each point's z
    # falls at one position of the z-major tables, where all shapes sit side by side.
    nu = inverse_by_z.shape[0]
    sw = np.zeros(n_shapes)
    su = np.zeros(n_shapes)
    st = np.zeros(n_shapes)
    suu = np.zeros(n_shapes)
    sut = np.zeros(n_shapes)
    for i in range(n):
        if not (0.1 < z[i] < 0.9):
            continue
        pos = z[i] * (nu - 1)
        i0 = min(int(pos), nu - 2)
        fr = pos - i0
        ti = t[i]
        inv0, inv1 = inverse_by_z[i0], inverse_by_z[i0 + 1]
        w0, w1 = weight_by_z[i0], weight_by_z[i0 + 1]
        for k in range(n_shapes):
            u = inv0[k] + (inv1[k] - inv0[k]) * fr
            w = w0[k] + (w1[k] - w0[k]) * fr
            sw[k] += w
            su[k] += w * u
            st[k] += w * ti
            suu[k] += w * u * u
            sut[k] += w * u * ti
    n_ok = 0
    par = np.zeros(5)
    # Only the `refine` smallest errors matter (the candidates refined below): once
    # `refine` shapes are scored, a shape's scoring stops as soon as its error passes
    # the current refine-th smallest (exact: the same candidates as scoring all fully).
    top = np.full(max(refine, 1), np.inf)
    for k in range(n_shapes):
        det = sw[k] * suu[k] - su[k] * su[k]
        dur = (sw[k] * sut[k] - su[k] * st[k]) / det if det > 0 else np.nan
        t0 = (st[k] - dur * su[k]) / sw[k]
        t0s[k], durs[k] = t0, dur
        if math.isfinite(dur) and dur > 0:
            par[0], par[1], par[2], par[3], par[4] = low0, amp0, t0, dur, 0.0
            e = _sse(value, k, t, y, par, top[-1])
            sse[k] = e
            n_ok += 1
            if e < top[-1]:  # keep `top` sorted: insert e
                q = len(top) - 1
                while q > 0 and top[q - 1] > e:
                    top[q] = top[q - 1]
                    q -= 1
                top[q] = e
        else:
            sse[k] = np.inf
    if n_ok == 0:
        return fail
    n_best = max(1, min(refine, n_ok))
    # The n_best smallest errors, in order (a selection: n_best is 3, the shapes ~300).
    order = np.empty(n_best, dtype=np.int64)
    taken = np.zeros(n_shapes, dtype=np.bool_)
    for j in range(n_best):
        arg = -1
        for k in range(n_shapes):
            if not taken[k] and (arg < 0 or sse[k] < sse[arg]):
                arg = k
        order[j] = arg
        taken[arg] = True
    # Candidates far worse than the best linearised one are not worth refining for the
    # pick; for averaging (below) the pick's competitors are refined all the same.
    best_list = np.empty(n_best, dtype=np.int64)
    refinable = np.zeros(n_best, dtype=np.bool_)
    n_c = 0
    for j in range(n_best):
        keep = j == 0 or sse[order[j]] <= 4.0 * sse[order[0]] + 1e-12
        if keep or average:
            best_list[n_c] = order[j]
            refinable[n_c] = keep
            n_c += 1

    # 2. Gauss-Newton on (L, A, t0, D) (+ plateau slope B when the top is free), all
    #    candidates stepped until each has converged (as the numpy version).
    p = np.zeros((n_c, 5))
    for c in range(n_c):
        k = best_list[c]
        p[c, 0], p[c, 1], p[c, 2], p[c, 3] = low0, amp0, t0s[k], durs[k]
        if fix_high:
            p[c, 1] = high0 - p[c, 0]
    use_slope = not fix_high
    npar = 3 if fix_high else (5 if use_slope else 4)
    if fix_low:
        npar -= 1  # the level before is held at low0 as well
    jac = np.empty(npar)
    jtj = np.empty((npar, npar))
    jtr = np.empty(npar)
    step = np.zeros((n_c, 5))
    done = np.zeros(n_c, dtype=np.bool_)
    for _ in range(5):
        singular = False
        for c in range(n_c):
            if done[c]:
                continue  # converged: its steps would move it by under 0.1 ms
            k = best_list[c]
            low, amp, t0, d, b = p[c, 0], p[c, 1], p[c, 2], p[c, 3], p[c, 4]
            jtj[:, :] = 0.0
            jtr[:] = 0.0
            for i in range(n):
                u = (t[i] - t0) / d
                s = _lookup(value, k, u)
                ds = _lookup(slope, k, u) if 0.0 < u < 1.0 else 0.0
                after = max(t[i] - t0 - d, 0.0)
                m = low + amp * s + b * after
                r = y[i] - m
                past = 1.0 if after > 0 else 0.0
                j_t0 = -amp * ds / d - b * past
                j_d = -amp * ds * u / d - b * past
                sv = (m - low - b * after) / (1.0 if amp == 0 else amp)
                if fix_low and fix_high:
                    jac[0], jac[1] = j_t0, j_d
                elif fix_low:
                    jac[0], jac[1], jac[2], jac[3] = sv, j_t0, j_d, after
                elif fix_high:
                    jac[0], jac[1], jac[2] = 1.0 - sv, j_t0, j_d
                else:
                    jac[0], jac[1], jac[2], jac[3] = 1.0, sv, j_t0, j_d
                    if use_slope:
                        jac[4] = after
                for a_ in range(npar):
                    jtr[a_] += jac[a_] * r
                    for b_ in range(npar):
                        jtj[a_, b_] += jac[a_] * jac[b_]
            for a_ in range(npar):
                jtj[a_, a_] += 1e-9
            if not _solve(jtj, jtr):
                singular = True
                break
            if fix_low and fix_high:
                step[c, 0], step[c, 1], step[c, 2], step[c, 3], step[c, 4] = (
                    0.0, 0.0, jtr[0], jtr[1], 0.0)
            elif fix_low:
                step[c, 0], step[c, 1], step[c, 2], step[c, 3], step[c, 4] = (
                    0.0, jtr[0], jtr[1], jtr[2], jtr[3])
            elif fix_high:
                step[c, 0], step[c, 1], step[c, 2], step[c, 3], step[c, 4] = (
                    jtr[0], -jtr[0], jtr[1], jtr[2], 0.0)
            else:
                for a_ in range(4):
                    step[c, a_] = jtr[a_]
                step[c, 4] = jtr[4] if use_slope else 0.0
        if singular:
            break
        converged = True
        for c in range(n_c):
            if done[c]:
                continue
            # Keep steps sane: never let the duration collapse or jump by more than half.
            lim = 0.5 * p[c, 3]
            step[c, 3] = min(max(step[c, 3], -lim), lim)
            step[c, 2] = min(max(step[c, 2], -lim), lim)
            for a_ in range(5):
                p[c, a_] += step[c, a_]
            p[c, 3] = max(p[c, 3], 1e-3)
            if abs(step[c, 2]) >= 1e-4 or abs(step[c, 3]) >= 1e-4:
                converged = False
            else:
                done[c] = True  # converged to 0.1 ms; the others go on
        if converged:
            break

    # 3. Reject diverged candidates: the transition must lie within the data, with an
    #    amplitude close to the one seen, and its flat ends may only extend the 10%-90%
    #    part seen in the data by a bounded amount.
    span = t[n - 1]
    i90 = n - 1
    for i in range(n):
        if z[i] >= 0.9:
            i90 = i
            break
    i10 = 0
    for i in range(i90 - 1, -1, -1):
        if z[i] < 0.1:
            i10 = i
            break
    c10, c90 = t[i10], t[i90]
    ext = 0.8 * (c90 - c10) + 0.1
    best_c = -1
    best_sse = np.inf
    errors = np.full(n_c, np.inf)
    for c in range(n_c):
        finite = True
        for a_ in range(5):
            if not math.isfinite(p[c, a_]):
                finite = False
        if not finite:
            continue
        errors[c] = _sse(value, best_list[c], t, y, p[c])
        low, amp, t0, d = p[c, 0], p[c, 1], p[c, 2], p[c, 3]
        if not (refinable[c] and d > 0 and d < 1.5 * span + 0.2 and t0 > -0.5 * d
                and t0 < span and t0 >= c10 - ext and t0 + d <= c90 + ext
                and amp > 0.5 * amp0 and amp < 2.0 * amp0):
            continue
        if errors[c] < best_sse:
            best_sse, best_c = errors[c], c
    if best_c < 0 or not math.isfinite(best_sse):
        return fail
    t0b, db = p[best_c, 2], p[best_c, 3]
    t0_avg, d_avg = t0b, db
    if average:
        # Candidates whose instants are near the pick's, weighted by how much worse they
        # fit: exp(-(SSE - SSE_min) / (2 K sigma^2)), sigma^2 = SSE_min / n.
        near = _AVERAGE_NEAR * db + 0.05
        good = np.zeros(n_c, dtype=np.bool_)
        s_min = np.inf
        for c in range(n_c):
            st_c, en_c = p[c, 2], p[c, 2] + p[c, 3]
            if (math.isfinite(errors[c]) and p[c, 3] > 0 and abs(st_c - t0b) < near
                    and abs(en_c - (t0b + db)) < near):
                good[c] = True
                s_min = min(s_min, errors[c])
        if good.sum() >= 2:
            sigma2 = max(s_min / n, 1e-12)
            w_sum = st_acc = en_acc = 0.0
            for c in range(n_c):
                if good[c]:
                    w = math.exp(-0.5 * (errors[c] - s_min) / (_AVERAGE_K * sigma2))
                    w_sum += w
                    st_acc += w * p[c, 2]
                    en_acc += w * (p[c, 2] + p[c, 3])
            t0_avg = st_acc / w_sum
            d_avg = en_acc / w_sum - t0_avg
    return (True, p[best_c, 0], p[best_c, 1], t0b, db, best_sse, best_list[best_c],
            t0_avg, d_avg)
