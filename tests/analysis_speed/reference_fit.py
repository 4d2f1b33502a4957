"""The profile fit as it was written in numpy before it was compiled (analysis.fit_kernel).

Kept as the reference the compiled kernel must reproduce (the same role as
reference_detect.py for the detector): same linearised estimate, scoring, Gauss-Newton
and sanity checks, vectorised over the shapes with numpy.
"""

from __future__ import annotations

import numpy as np

from analysis.fit import _MAX_POINTS, ShapeTables, TransitionFit


def _lookup(table: np.ndarray, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table[rows]`` at ``x`` in ``[0, 1]`` (x shape (K, n))."""
    pos = np.minimum(np.maximum(x, 0.0), 1.0) * (table.shape[1] - 1)
    i0 = np.minimum(pos.astype(np.int64), table.shape[1] - 2)
    frac = pos - i0
    flat = i0 + (rows * table.shape[1])[:, None]
    tv = table.ravel()
    lo = tv.take(flat)
    out: np.ndarray = lo + (tv.take(flat + 1) - lo) * frac
    return out


def fit_rise(
    t: np.ndarray, y: np.ndarray, low0: float, high0: float, *, refine: int = 5,
    fix_high: bool = True, tables: ShapeTables,
) -> TransitionFit | None:
    """Fit a rising transition to ``(t, y)`` (rest data before, plateau data after).

    With ``fix_high`` the top level is held at ``high0`` (the level of the top plateau,
    measured on the whole top): the data of one side alone cannot tell a lower top reached
    earlier from a higher one reached later when the pause is short.
    Returns ``None`` when the data hold no usable transition.
    """
    amp0 = high0 - low0
    if len(t) < 6 or not np.isfinite(amp0) or amp0 <= 0:
        return None
    if len(t) > _MAX_POINTS:
        # The fitted signal is low-passed well below the grid rate: thinning it loses no
        # timing information and bounds the cost of a fit.
        step = -(-len(t) // _MAX_POINTS)
        t, y = t[::step], y[::step]
    tab = tables
    k_all = np.arange(len(tab.names))
    tc = t - t[0]  # conditioning: fit on a local time axis

    # 1. Linearised estimate for every shape: regress t on S^-1(z) over the steep middle,
    #    weighting each point by S'(u)^2 (the inverse of its timing variance).
    z = (y - low0) / amp0
    mid = (z > 0.1) & (z < 0.9)
    if mid.sum() < 3:
        return None
    zm, tm = z[mid], tc[mid]
    zz = np.broadcast_to(zm, (len(k_all), len(zm)))
    u = _lookup(tab.inverse, k_all, zz)
    w = _lookup(tab.slope, k_all, u) ** 2 + 1e-6
    sw, su, st = w.sum(1), (w * u).sum(1), (w * tm).sum(1)
    suu, sut = (w * u * u).sum(1), (w * u * tm).sum(1)
    det = sw * suu - su * su
    dur = (sw * sut - su * st) / np.where(det > 0, det, np.nan)
    t0 = (st - dur * su) / sw
    ok = np.isfinite(dur) & (dur > 0)
    if not ok.any():
        return None
    # Score every shape in y-space with its best levels (linear least squares).
    params = np.stack([np.full(len(k_all), low0), np.full(len(k_all), amp0), t0, dur,
                       np.zeros(len(k_all))], 1)
    sse = _sse(tab, k_all, tc, y, params)
    sse[~ok] = np.inf
    best = np.argsort(sse)[: max(1, min(refine, int(ok.sum())))]
    # Candidates far worse than the best linearised one are not worth refining.
    best = best[sse[best] <= 4.0 * sse[best[0]] + 1e-12]

    # 2. Gauss-Newton on (L, A, t0, D) for the best candidates.
    p = params[best]
    p = _gauss_newton(tab, best, tc, y, p, iterations=5, high=high0 if fix_high else None,
                      slope=not fix_high)
    sse_b = _sse(tab, best, tc, y, p)
    # Reject diverged candidates: the transition must lie within the data, with an
    # amplitude close to the one seen, and its flat ends may only extend the 10%-90%
    # part seen in the data by a bounded amount (no profile is flatter than that); a
    # readjusted band or a tug in the rest next to a rep must not stretch the fit.
    span = tc[-1]
    i90 = int(np.argmax(z >= 0.9)) if np.any(z >= 0.9) else len(z) - 1
    below = np.flatnonzero(z[:i90] < 0.1)
    i10 = int(below[-1]) if len(below) else 0
    c10, c90 = tc[i10], tc[i90]
    ext = 0.8 * (c90 - c10) + 0.1
    sane = (
        np.all(np.isfinite(p), axis=1)
        & (p[:, 3] > 0) & (p[:, 3] < 1.5 * span + 0.2)
        & (p[:, 2] > -0.5 * p[:, 3]) & (p[:, 2] < span)
        & (p[:, 2] >= c10 - ext) & (p[:, 2] + p[:, 3] <= c90 + ext)
        & (p[:, 1] > 0.5 * amp0) & (p[:, 1] < 2.0 * amp0)
    )
    sse_b = np.where(sane, sse_b, np.inf)
    j = int(np.argmin(sse_b))
    if not np.isfinite(sse_b[j]):
        return None
    low, amp, t0j, dj, _ = (float(v) for v in p[j])
    return TransitionFit(
        start_s=float(t[0] + t0j), end_s=float(t[0] + t0j + dj), low=low, high=low + amp,
        rms=float(np.sqrt(sse_b[j] / len(t))), shape=tab.names[best[j]],
    )


def _model(tab: ShapeTables, rows: np.ndarray, t: np.ndarray, p: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Model values and the pieces the Jacobian needs: (y, u, S'(u) inside, after-arrival)."""
    d = p[:, 3:4]
    u = (t[None, :] - p[:, 2:3]) / d
    s = _lookup(tab.value, rows, u)
    ds = np.where((u > 0) & (u < 1), _lookup(tab.slope, rows, u), 0.0)
    after = np.maximum(t[None, :] - p[:, 2:3] - d, 0.0)
    y = p[:, 0:1] + p[:, 1:2] * s + p[:, 4:5] * after
    return y, u, ds, after


def _sse(tab: ShapeTables, rows: np.ndarray, t: np.ndarray, y: np.ndarray,
         p: np.ndarray) -> np.ndarray:
    m, _, _, _ = _model(tab, rows, t, p)
    r = y[None, :] - m
    out: np.ndarray = (r * r).sum(1)
    return out


def _gauss_newton(tab: ShapeTables, rows: np.ndarray, t: np.ndarray, y: np.ndarray,
                  p: np.ndarray, iterations: int, high: float | None,
                  slope: bool = False) -> np.ndarray:
    """Least squares of ``y = L + A S(u) + B max(t - t0 - D, 0)``, ``u = (t - t0) / D``.

    ``p`` rows are ``(L, A, t0, D, B)``. ``B`` (with ``slope``) is a slow drift of the
    plateau after arrival: sag, stress relaxation, the start of a breath. Without it a
    sloping plateau drags the fitted arrival towards the plateau's mean level.
    With ``high`` the top level is fixed (``A = high - L``) and there is no plateau term.
    (A term proportional to speed, for a viscous band, was tried: on force alone it is
    nearly indistinguishable from a shift of ``t0`` and made both simulators worse.)
    """
    p = p.copy()
    if high is not None:
        p[:, 1] = high - p[:, 0]
    active = np.ones(len(p), dtype=bool)  # rows not yet converged (to 0.1 ms)
    for _ in range(iterations):
        m, u, ds, after = _model(tab, rows, t, p)
        d = p[:, 3:4]
        amp, b = p[:, 1:2], p[:, 4:5]
        r = y[None, :] - m
        past = (after > 0).astype(float)
        j_t0 = -amp * ds / d - b * past
        j_d = -amp * ds * u / d - b * past
        s = (m - p[:, 0:1] - b * after) / np.where(amp == 0, 1.0, amp)
        cols = [np.ones_like(s), s] if high is None else [1.0 - s]
        cols += [j_t0, j_d]
        if slope and high is None:
            cols.append(after)
        jac = np.stack(cols, axis=2)
        npar = jac.shape[2]
        jtj = np.einsum("kni,knj->kij", jac, jac) + 1e-9 * np.eye(npar)[None]
        jtr = np.einsum("kni,kn->ki", jac, r)
        try:
            step = np.linalg.solve(jtj, jtr[..., None])[..., 0]
        except np.linalg.LinAlgError:
            break
        if high is not None:
            step = np.stack([step[:, 0], -step[:, 0], step[:, 1], step[:, 2],
                             np.zeros(len(step))], axis=1)
        elif not slope:
            step = np.concatenate([step, np.zeros((len(step), 1))], axis=1)
        # Keep steps sane: never let the duration collapse or jump by more than half.
        step[:, 3] = np.clip(step[:, 3], -0.5 * p[:, 3], 0.5 * p[:, 3])
        step[:, 2] = np.clip(step[:, 2], -0.5 * p[:, 3], 0.5 * p[:, 3])
        p = np.where(active[:, None], p + step, p)
        p[:, 3] = np.maximum(p[:, 3], 1e-3)
        active &= ~np.all(np.abs(step[:, 2:4]) < 1e-4, axis=1)
        if not active.any():
            break  # every row converged to 0.1 ms
    return p
