"""Phase instants by fitting a smooth movement profile to a whole transition.

A rising phase (rest -> top) is modelled as ``y(t) = L + A * S((t - t0) / D)`` with
``S`` a monotone profile on ``[0, 1]`` (``S(0) = 0``, ``S(1) = 1``, flat outside), so
``t0`` is the onset and ``t0 + D`` the arrival. Smooth human movements leave and reach
their plateaus so flatly that any threshold crossing lands 100 ms or more from these
instants; a fit uses the whole phase, including the steep middle that pins the timing
down, and extrapolates the flat ends with the right curvature.

Human movement profiles differ (minimum jerk, cosine, skewed, with a cruise phase, ...)
and the band law bends them further, so ``S`` is chosen per phase from a family:
regularised incomplete beta functions ``I_u(a, b)`` over a grid of ``(a, b)`` (``I(3, 3)``
is minimum jerk, ``I(4, 4)`` minimum snap, asymmetric ``a != b`` are skewed profiles) and
raised-cosine-ramp trapezoids (a cruise at constant speed). The family member with the
smallest squared error wins. All shapes are fitted at once (vectorised): a closed-form
linearised estimate (regress ``t`` on ``S^-1(z)``) seeds a few Gauss-Newton steps of the
full 4-parameter least squares for the best candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

_NU = 2049  # resolution of the profile tables
_MAX_POINTS = 80  # points per fit (thinned beyond)


def _trapezoid(u: np.ndarray, ramp: float) -> np.ndarray:
    vmax = 1.0 / (1.0 - ramp)

    def rising(x: np.ndarray) -> np.ndarray:
        return vmax * (x / 2.0 - ramp / (2.0 * np.pi) * np.sin(np.pi * x / ramp))

    out = np.where(u < ramp, rising(np.minimum(u, ramp)), vmax * (ramp / 2.0 + (u - ramp)))
    return np.where(u > 1.0 - ramp, 1.0 - rising(np.minimum(1.0 - u, ramp)), out)


@dataclass(frozen=True)
class ShapeTables:
    """Profiles sampled on a uniform grid: value, slope and inverse, one row per shape."""

    names: tuple[str, ...]
    value: np.ndarray  # (K, _NU) S(u)
    slope: np.ndarray  # (K, _NU) S'(u)
    inverse: np.ndarray  # (K, _NU) S^-1(z) on a uniform z grid


@lru_cache(maxsize=1)
def shape_tables() -> ShapeTables:
    u = np.linspace(0.0, 1.0, _NU)
    names: list[str] = []
    rows: list[np.ndarray] = []
    exps = (1.6, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
    for a in exps:
        for b in exps:
            names.append(f"beta({a:g},{b:g})")
            rows.append(special.betainc(a, b, u))
    for ramp in (0.12, 0.2, 0.3, 0.4):
        names.append(f"trapezoid({ramp:g})")
        rows.append(_trapezoid(u, ramp))
    # Time-warped (velocity peak early or late) minimum jerk and raised cosine.
    for skew in (-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6):
        w = u + skew * u * (1.0 - u)
        names.append(f"warped_min_jerk({skew:g})")
        rows.append(w**3 * (10.0 - 15.0 * w + 6.0 * w**2))
        names.append(f"warped_cosine({skew:g})")
        rows.append(0.5 - 0.5 * np.cos(np.pi * w))
    return _tables(u, names, rows)


@lru_cache(maxsize=1)
def knee_tables() -> ShapeTables:
    """The family plus *hysteretic falls*, for falls timed on force alone.

    Latex unloads on a lower branch than it loads: when the release starts the force
    drops by a fraction ``q`` of the top level over the first few percent of the travel
    (``s``: the switching travel as a fraction of the range), then follows the movement
    on the lower branch. In the band's force the departure is then a knee, not a smooth
    start; a smooth profile fitted to it leaves too late and (to follow the quick drop)
    too steeply, so it lands at rest too early. Force of the fall at normalised time
    ``v`` of a movement profile ``S``: ``F(v) = (1 - S) (1 - q (1 - exp(-S / s)))``
    (1 at departure, 0 at rest), fitted like every profile on the time-reversed fall:
    ``R(u) = F(1 - u)`` as a rising shape. Without hysteresis the plain shapes still win.
    """
    base = shape_tables()
    u = np.linspace(0.0, 1.0, _NU)
    names, rows = list(base.names), list(base.value)
    bases = ("beta(3,3)", "beta(2.5,2.5)", "beta(4,4)", "warped_cosine(0)",
             "trapezoid(0.3)")
    for name in bases:
        # Rising shape R(u) = F(v) at v = 1 - u (the fall fitted on reversed time).
        travel = base.value[base.names.index(name)][::-1]  # S(v): share of the travel done
        for q in (0.03, 0.05, 0.07, 0.09, 0.12, 0.15, 0.18):
            for sw in (0.02, 0.04, 0.06, 0.09, 0.13, 0.2):
                names.append(f"knee({name},{q:g},{sw:g})")
                rows.append((1.0 - travel) * (1.0 - q * (1.0 - np.exp(-travel / sw))))
    return _tables(u, names, rows)


def _tables(u: np.ndarray, names: list[str], rows: list[np.ndarray]) -> ShapeTables:
    value = np.clip(np.array(rows), 0.0, 1.0)
    value[:, 0], value[:, -1] = 0.0, 1.0
    slope = np.gradient(value, u, axis=1)
    inverse = np.empty_like(value)
    for k in range(len(rows)):
        # S is strictly increasing inside (0, 1); np.maximum.accumulate guards rounding.
        inverse[k] = np.interp(u, np.maximum.accumulate(value[k]), u)
    return ShapeTables(tuple(names), value, slope, inverse)


def _lookup(table: np.ndarray, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table[rows]`` at ``x`` in ``[0, 1]`` (x shape (K, n))."""
    pos = np.minimum(np.maximum(x, 0.0), 1.0) * (_NU - 1)
    i0 = np.minimum(pos.astype(np.int64), _NU - 2)
    frac = pos - i0
    flat = i0 + (rows * _NU)[:, None]
    tv = table.ravel()
    lo = tv.take(flat)
    out: np.ndarray = lo + (tv.take(flat + 1) - lo) * frac
    return out


@dataclass(frozen=True, slots=True)
class TransitionFit:
    start_s: float  # onset of the transition (t0)
    end_s: float  # arrival (t0 + D)
    low: float  # level before (L)
    high: float  # level after (L + A)
    rms: float
    shape: str


def fit_rise(
    t: np.ndarray, y: np.ndarray, low0: float, high0: float, *, refine: int = 3,
    fix_high: bool = True, tables: ShapeTables | None = None,
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
    tab = tables if tables is not None else shape_tables()
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
        p = p + step
        p[:, 3] = np.maximum(p[:, 3], 1e-3)
        if np.all(np.abs(step[:, 2:4]) < 1e-4):
            break  # converged to 0.1 ms
    return p
