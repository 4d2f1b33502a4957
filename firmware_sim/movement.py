"""Movement model: the band's displacement over time, rep by rep.

Each phase of a rep follows a normalised displacement profile ``u(tau)`` on ``[0, 1]``
(``u(0) = 0``, ``u(1) = 1``, zero velocity at both ends), chosen at random per phase among
several families on purpose: the analysis is scored on data from an independent model and
must not be tuned to one shape. On top of the profile: overshoot and settling on arrival,
tremor, breathing ripple and sag during the top. All rendering is vectorised per rep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from firmware_sim.scenario import ProfileName

FloatArray = np.ndarray


def _minimum_jerk(tau: FloatArray) -> FloatArray:
    return tau**3 * (10.0 - 15.0 * tau + 6.0 * tau**2)


def _minimum_snap(tau: FloatArray) -> FloatArray:
    # Flatter start and end than minimum jerk (zero velocity, acceleration and jerk).
    return tau**4 * (35.0 - 84.0 * tau + 70.0 * tau**2 - 20.0 * tau**3)


def _cosine(tau: FloatArray) -> FloatArray:
    # Half-sine velocity: a sharper onset (acceleration jumps at the ends).
    return 0.5 - 0.5 * np.cos(np.pi * tau)


def _skewed(tau: FloatArray, skew: float) -> FloatArray:
    # A monotone time warp moves the velocity peak earlier (skew > 0) or later (< 0).
    return _minimum_jerk(tau + skew * tau * (1.0 - tau))


def _sticking(tau: FloatArray, depth: float) -> FloatArray:
    # A sticking point: the warp's speed 1 + d cos(2 pi t) dips to 1 - d mid-movement, so
    # the movement slows half-way and picks up again (typical of a tiring rep).
    return _minimum_jerk(tau + depth * np.sin(2.0 * np.pi * tau) / (2.0 * np.pi))


def _trapezoidal(tau: FloatArray, ramp: float) -> FloatArray:
    # Velocity ramps up over `ramp` with a raised cosine, cruises, ramps down symmetrically.
    vmax = 1.0 / (1.0 - ramp)

    def rising(x: FloatArray) -> FloatArray:
        return vmax * (x / 2.0 - ramp / (2.0 * np.pi) * np.sin(np.pi * x / ramp))

    mid = vmax * (ramp / 2.0 + (tau - ramp))
    out = np.where(tau < ramp, rising(np.minimum(tau, ramp)), mid)
    return np.where(tau > 1.0 - ramp, 1.0 - rising(np.minimum(1.0 - tau, ramp)), out)


def profile(name: ProfileName, tau: FloatArray, param: float = 0.0) -> FloatArray:
    """Normalised displacement of profile ``name`` at ``tau`` (clipped to ``[0, 1]``)."""
    t = np.clip(tau, 0.0, 1.0)
    if name == "minimum_jerk":
        return _minimum_jerk(t)
    if name == "minimum_snap":
        return _minimum_snap(t)
    if name == "cosine":
        return _cosine(t)
    if name == "skewed_minimum_jerk":
        return _skewed(t, param)
    if name == "trapezoidal":
        return _trapezoidal(t, param)
    if name == "sticking_point":
        return _sticking(t, param)
    raise ValueError(f"unknown profile {name!r}")


@dataclass(frozen=True, slots=True)
class Phase:
    """One moving phase: its profile family and shape parameter."""

    name: ProfileName
    param: float = 0.0


@dataclass(frozen=True, slots=True)
class RepMotion:
    """Everything needed to render one rep (or hold) of displacement."""

    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float
    amplitude_mm: float
    concentric: Phase
    eccentric: Phase
    overshoot: float = 0.0  # arrival above the plateau, fraction of range; settles back
    overshoot_tau_s: float = 0.08
    tremor: float = 0.0  # fraction of range
    tremor_hz: tuple[float, float] = (8.0, 9.5)
    tremor_phase: tuple[float, float] = (0.0, 0.0)
    breath: float = 0.0  # breathing ripple at the top, fraction of range
    breath_period_s: float = 4.0
    breath_phase: float = 0.0
    sag: float = 0.0  # fraction of range lost linearly over the top
    floor_start_mm: float = 0.0  # not fully released: the rep starts from here...
    floor_end_mm: float = 0.0  # ...and returns to here (the next rep starts from it)


def _smoothstep(x: FloatArray) -> FloatArray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def render_rep(rep: RepMotion, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Displacement (mm) of ``rep`` at times ``t`` (zero outside the rep).

    Returns ``(displacement, smooth)``: ``smooth`` is the bare profile without tremor,
    breathing, overshoot or sag (the band's hysteresis branch follows it: see band_law).
    """
    conc = rep.top_start_s - rep.start_s
    ecc = rep.end_s - rep.top_end_s
    pause = rep.top_end_s - rep.top_start_s
    up = profile(rep.concentric.name, (t - rep.start_s) / conc, rep.concentric.param)
    down = 1.0 - profile(rep.eccentric.name, (t - rep.top_end_s) / ecc, rep.eccentric.param)
    p = np.where(t < rep.top_start_s, up, np.where(t <= rep.top_end_s, 1.0, down))
    outside = (t < rep.start_s) | (t > rep.end_s)
    p = np.where(outside, 0.0, p)
    floor = np.where(t < rep.top_start_s, rep.floor_start_mm, rep.floor_end_mm)
    floor = np.where(outside, 0.0, floor)

    # Modulations are multiplied by p so that they vanish at rest and the rep stays
    # continuous; they are what makes the top plateau imperfect like a real one.
    mod = np.ones_like(t)
    since_top = t - rep.top_start_s
    if rep.overshoot > 0:
        # The movement reaches (1 + overshoot) of its range exactly at top_start_s (so the
        # truth instant stays the physical arrival) and then settles back critically damped:
        # (1 + x) e^-x starts with zero velocity, so the rep stays smooth.
        x = np.maximum(since_top, 0.0) / rep.overshoot_tau_s
        mod += rep.overshoot * (1.0 + x) * np.exp(-x)
    if rep.tremor > 0 or rep.breath > 0 or rep.sag > 0:
        ramp = 0.15
        at_top = _smoothstep((since_top + ramp) / (2 * ramp)) * _smoothstep(
            (rep.top_end_s + ramp - t) / (2 * ramp)
        )
        if rep.tremor > 0:
            wobble = 0.6 * np.sin(2 * np.pi * rep.tremor_hz[0] * t + rep.tremor_phase[0])
            wobble += 0.4 * np.sin(2 * np.pi * rep.tremor_hz[1] * t + rep.tremor_phase[1])
            mod += rep.tremor * wobble * (0.3 + 0.7 * at_top)
        if rep.breath > 0:
            mod += rep.breath * at_top * np.sin(
                2 * np.pi * since_top / rep.breath_period_s + rep.breath_phase
            )
        if rep.sag > 0 and pause > 0:
            mod -= rep.sag * np.clip(since_top / pause, 0.0, 1.0)
    return floor * (1.0 - p) + rep.amplitude_mm * p * mod, floor * (1.0 - p) + rep.amplitude_mm * p


def render_bump(
    start_s: float, duration_s: float, amplitude_mm: float, t: FloatArray
) -> FloatArray:
    """A brief tug on the band: a raised-cosine bump (used for fidgeting, not a rep)."""
    x = np.clip((t - start_s) / duration_s, 0.0, 1.0)
    return amplitude_mm * 0.5 * (1.0 - np.cos(2.0 * np.pi * x))


def body_sway(
    rng: np.random.Generator, n: int, rate_hz: float, sd_mm: float, bandwidth_hz: float
) -> FloatArray:
    """Slow random sway of the body (mm, zero mean, sd ``sd_mm``): the leg is never still."""
    if sd_mm <= 0 or n < 8:
        return np.zeros(n)
    cutoff = min(bandwidth_hz, 0.45 * rate_hz) / (0.5 * rate_hz)
    sos = signal.butter(2, cutoff, output="sos")
    sway = signal.sosfilt(sos, rng.normal(0.0, 1.0, n))
    return np.asarray(sway * (sd_mm / (np.std(sway) or 1.0)))


def open_slice(start_s: float, end_s: float, rate_hz: float, n: int) -> slice:
    """Indices of grid samples strictly inside ``(start_s, end_s)``."""
    i0 = max(0, int(np.floor(start_s * rate_hz + 1e-9)) + 1)
    i1 = min(n, int(np.ceil(end_s * rate_hz - 1e-9)))
    return slice(i0, max(i0, i1))


def sample_slice(start_s: float, end_s: float, rate_hz: float, n: int) -> slice:
    """Indices of the uniform sample grid ``i / rate_hz`` that fall in ``[start_s, end_s]``."""
    i0 = max(0, int(np.ceil(start_s * rate_hz - 1e-9)))
    i1 = min(n, int(np.floor(end_s * rate_hz + 1e-9)) + 1)
    return slice(i0, max(i0, i1))
