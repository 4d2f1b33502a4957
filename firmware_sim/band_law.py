"""The band's force/stretch law, with stiffening and rate-independent hysteresis.

``force = pre_tension + k * x * (1 + c * x) * (1 + h * z)`` where ``x`` is the displacement
beyond the rest position (mm), ``c`` the stiffening per mm and ``z`` in ``[-1, 1]`` the
hysteresis branch: it moves towards +1 while the band is being stretched and towards -1
while it is released, exponentially in the *travel* (``hysteresis_mm``), not in time. So
unloading is lower than loading, the force stays still during a pause at the top, and it
drops over a few millimetres when the person starts to release, as with real latex.
Two smaller effects complete it: a viscous (rate-dependent) term ``eta * velocity``, and
stress relaxation of the elastic force while the band is held at the top.
"""

from __future__ import annotations

import numpy as np

# exp() of the cumulative travel stays finite if each chunk covers at most this much.
_CHUNK_TRAVEL = 500.0


def hysteresis_branch(x_mm: np.ndarray, scale_mm: np.ndarray | float) -> np.ndarray:
    """Branch state ``z`` in ``[-1, 1]`` along the displacement path ``x_mm``.

    Solves ``z[n] = a[n] z[n-1] + (1 - a[n]) sign(dx[n])`` with ``a = exp(-|dx| / scale)``
    in closed form (prefix sums), in a few chunks instead of a per-sample loop.
    """
    dx = np.diff(x_mm, prepend=x_mm[:1])
    step = np.abs(dx) / scale_mm
    travel = np.cumsum(step)
    sign = np.sign(dx)
    z = np.empty_like(x_mm, dtype=float)
    bounds: list[int] = []
    if len(travel):
        marks = np.arange(_CHUNK_TRAVEL, travel[-1] + _CHUNK_TRAVEL, _CHUNK_TRAVEL)
        bounds = [int(b) for b in np.searchsorted(travel, marks)]
    start = 0
    z_prev = -1.0  # the band starts released
    for stop in [*bounds, len(x_mm)]:
        stop = int(min(max(stop, start + 1), len(x_mm)))
        if start >= len(x_mm):
            break
        base = travel[start - 1] if start else 0.0
        rel = travel[start:stop] - base
        e = np.exp(rel)
        e_prev = np.exp(rel - step[start:stop])
        acc = z_prev + np.cumsum((e - e_prev) * sign[start:stop])
        z[start:stop] = acc / e
        z_prev = float(z[stop - 1])
        start = stop
    return z


def band_force(
    x_mm: np.ndarray,
    path_mm: np.ndarray,
    pre_tension_n: np.ndarray | float,
    stiffness_n_per_mm: np.ndarray | float,
    nonlinear_per_mm: np.ndarray | float,
    hysteresis: np.ndarray | float,
    hysteresis_mm: np.ndarray | float,
    *,
    viscous_n_s_per_mm: np.ndarray | float = 0.0,
    rate_hz: float = 1.0,
    relaxation: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Physical band force (N) at displacement ``x_mm``.

    The hysteresis branch follows ``path_mm``, the smooth movement without tremor and
    breathing ripple: millimetre-sized wobbles make only narrow minor loops in real latex,
    whereas feeding them to the branch model would walk it to the middle of the loop and
    relax the force at the top by the whole hysteresis width.

    ``viscous_n_s_per_mm`` adds a rate-dependent force along the smooth path (sampled at
    ``rate_hz``); ``relaxation`` (a factor <= 1 per sample) scales the elastic force while
    it relaxes at the top. ``x_mm`` may dip slightly below 0 (body sway at rest): the band
    then pulls a little less than its pre-tension.
    """
    path = np.maximum(path_mm, 0.0)
    z = hysteresis_branch(path, hysteresis_mm)
    elastic = stiffness_n_per_mm * x_mm * (1.0 + nonlinear_per_mm * np.maximum(x_mm, 0.0))
    force = pre_tension_n + elastic * (1.0 + hysteresis * z) * relaxation
    if np.any(viscous_n_s_per_mm):
        force = force + viscous_n_s_per_mm * np.gradient(path) * rate_hz
    return np.asarray(force)


def band_stretch(
    x_mm: np.ndarray, pre_tension_n: np.ndarray | float, stiffness_n_per_mm: np.ndarray | float
) -> np.ndarray:
    """Total band elongation (mm): the pre-stretch that gives the pre-tension plus ``x``."""
    return np.maximum(pre_tension_n / stiffness_n_per_mm + x_mm, 0.0)
