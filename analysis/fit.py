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
is minimum jerk, ``I(4, 4)`` minimum snap, asymmetric ``a != b`` are skewed profiles),
raised-cosine-ramp trapezoids (a cruise at constant speed), time-warped minimum jerk and
cosine, pairs of overlapping minimum-jerk sub-movements (a sticking point, a
correction at the end), and tau-guided gap closures (a quadratic onset and an abrupt
arrival; mirrored in the falls' family). The family member with the smallest squared
error wins. Every shape gets a closed-form linearised estimate (regress ``t`` on
``S^-1(z)``) and its squared error; the best few seed Gauss-Newton steps of the full
4-parameter least squares (compiled: :mod:`analysis.fit_kernel`).

Several shapes often fit almost equally well (flat tails under noise, a profile between
two family members, a band law that bends the shape): the pick is then a coin toss
between instants that can differ by 100 ms and more while the data cannot tell them
apart. With ``average`` the instants are a weighted mean over the refined candidates,
weights ``exp(-(SSE - SSE_min) / (2 K sigma^2))`` (``sigma^2 = SSE_min / n``, ``K = 32``:
low-passed residuals are correlated over about 4 grid points, and the true profile is
rarely in the family, so an SSE difference says less than noise alone would imply), so a
clearly better shape keeps almost all the weight and ambiguous ones share it. Five
candidates are refined: the data rarely tell the best few apart, and their mean is
closer to the truth than any one of them (docs/analysis.md, round 17).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from analysis.fit_kernel import fit_rise_kernel

_NU = 513  # resolution of the profile tables
_MAX_POINTS = 80  # points per fit (thinned beyond)


def _trapezoid(u: np.ndarray, ramp: float) -> np.ndarray:
    vmax = 1.0 / (1.0 - ramp)

    def rising(x: np.ndarray) -> np.ndarray:
        return vmax * (x / 2.0 - ramp / (2.0 * np.pi) * np.sin(np.pi * x / ramp))

    out = np.where(u < ramp, rising(np.minimum(u, ramp)), vmax * (ramp / 2.0 + (u - ramp)))
    return np.where(u > 1.0 - ramp, 1.0 - rising(np.minimum(1.0 - u, ramp)), out)


@dataclass(frozen=True)
class ShapeTables:
    """Profiles sampled on a uniform grid: value, slope and inverse, one row per shape.

    ``inverse_by_z`` and ``weight_by_z`` are the linearised estimate's inputs laid out
    z-major (one row per z, the shapes side by side): every shape is looked up at the
    same z, so the estimate for all shapes reads contiguous memory.
    """

    names: tuple[str, ...]
    value: np.ndarray  # (K, _NU) S(u)
    slope: np.ndarray  # (K, _NU) S'(u)
    inverse: np.ndarray  # (K, _NU) S^-1(z) on a uniform z grid
    inverse_by_z: np.ndarray  # (_NU, K) S^-1(z)
    weight_by_z: np.ndarray  # (_NU, K) S'(S^-1(z))^2 + 1e-6: inverse timing variance


@lru_cache(maxsize=2)
def shape_tables(fall: bool = False) -> ShapeTables:
    """The family for rises, or with ``fall`` for falls (fitted on reversed time as
    rises). Only the tau-guided closures differ: they are time-asymmetric in forward time
    whichever way the band moves, so a fall's are mirrored."""
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
    _add_submovements(u, names, rows)
    _add_tau_guided(u, names, rows, fall)
    return _tables(u, names, rows)


def _add_tau_guided(u: np.ndarray, names: list[str], rows: list[np.ndarray],
                    fall: bool) -> None:
    """Gap closures guided by Lee's tau-G (general tau theory); for a fall (fitted on
    reversed time) mirrored in time.

    A gap whose tau (gap over closing rate) is ``k`` times that of a closure at constant
    acceleration from rest is ``(1 - u^2)^(1/k)`` of its size at normalised time ``u``: the
    movement leaves rest with a quadratic onset (a finite acceleration, not the flat start
    of minimum jerk) and for ``k`` between 0.5 and 1 arrives with zero velocity but a hard
    deceleration. The betas cannot make both ends: the nearest, beta(3, 1.6), starts
    flatter to follow the abrupt arrival, and read onsets 100-300 ms early on noise-free
    tau-guided rises with ``k`` 0.75-0.9 (``tests/analysis/test_fit_shapes.py``). Smaller
    ``k`` (flatter arrivals) the betas already hold; more couplings made every other
    model's timing a few ms worse (more shapes to share the averaging; docs/analysis.md,
    round 17). In forward time a lowering is tau-guided as a rise is; the mirrored shapes
    in the rises' family (an abrupt onset, a quadratic arrival: no tau-guided movement)
    only made other models' concentric timing worse.
    """
    for k in (0.5, 0.7, 0.9):
        row = 1.0 - (1.0 - u * u) ** (1.0 / k)
        names.append(f"tau_guided({k:g})")
        rows.append(1.0 - row[::-1] if fall else row)


def _min_jerk(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    out: np.ndarray = x**3 * (10.0 - 15.0 * x + 6.0 * x * x)
    return out


def _add_submovements(u: np.ndarray, names: list[str], rows: list[np.ndarray]) -> None:
    """Two overlapping minimum-jerk sub-movements (share ``w`` of the travel over
    ``[0, a]``, the rest over ``[b, 1]``), and each mirrored in time.

    A movement is often a sum of sub-movements: a sticking point or a hesitation
    mid-range (the velocity dips between two peaks), a main movement completed by a small
    slow correction (``w`` 0.9), or a small first one before the main movement (the
    mirror). No single bell-shaped profile has such a velocity; fitted with one, the
    flat ends land 100 ms and more off (measured on the simulator's sticking point and the
    third test model's via-points and corrections).
    """
    for w in (0.5, 0.7, 0.9):
        for a in (0.5, 0.7, 0.9):
            if w >= 0.9 and a <= 0.5:
                continue  # 90% of the travel in half the time, then 10%: never picked
            for r in (0.6, 0.9):
                b = r * a  # the second starts while the first is still moving
                row = w * _min_jerk(u / a) + (1.0 - w) * _min_jerk((u - b) / (1.0 - b))
                names.append(f"submovements({w:g},{a:g},{b:g})")
                rows.append(row)
                names.append(f"submovements_mirrored({w:g},{a:g},{b:g})")
                rows.append(1.0 - row[::-1])


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
    base = shape_tables(fall=True)
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
    weight = np.array([np.interp(inverse[k], u, slope[k]) ** 2 + 1e-6
                       for k in range(len(rows))])
    return ShapeTables(tuple(names), value, slope, inverse,
                       np.ascontiguousarray(inverse.T), np.ascontiguousarray(weight.T))


@dataclass(frozen=True, slots=True)
class TransitionFit:
    start_s: float  # onset of the transition (t0)
    end_s: float  # arrival (t0 + D)
    low: float  # level before (L)
    high: float  # level after (L + A)
    rms: float
    shape: str


def fit_rise(
    t: np.ndarray, y: np.ndarray, low0: float, high0: float, *, refine: int = 5,
    fix_high: bool = True, tables: ShapeTables | None = None, average: bool = False,
    fix_low: bool = False,
) -> TransitionFit | None:
    """Fit a rising transition to ``(t, y)`` (rest data before, plateau data after).

    With ``average`` the instants are averaged over the refined candidate shapes (see
    the module's docstring); levels, rms and shape stay those of the best fit.

    With ``fix_high`` the top level is held at ``high0`` (the level of the top plateau,
    measured on the whole top): the data of one side alone cannot tell a lower top reached
    earlier from a higher one reached later when the pause is short. With ``fix_low`` the
    level before is held at ``low0`` likewise (a turning point at the bottom: a valley
    between two movements with no rest between them).
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
    tc = t - t[0]  # conditioning: fit on a local time axis
    ok, low, amp, _t0, _dur, sse, k, t0, dur = fit_rise_kernel(
        np.ascontiguousarray(tc, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
        float(low0), float(amp0), float(high0), tab.value, tab.slope, tab.inverse_by_z,
        tab.weight_by_z, int(refine), bool(fix_high), bool(average), bool(fix_low))
    if not ok:
        return None
    return TransitionFit(
        start_s=float(t[0] + t0), end_s=float(t[0] + t0 + dur), low=low, high=low + amp,
        rms=float(np.sqrt(sse / len(t))), shape=tab.names[k],
    )
