"""A fifth, independent band-and-movement model (gen_model_e): muscle-driven knee band work.

Written WITHOUT looking at how bandsense analyses a recording (only at the seed exercise
text, ``analysis/scoring.py``, ``firmware_sim/truth.py``, the module docstrings of
``gen_model.py``, ``gen_model_c.py`` and ``gen_model_d.py`` and the public interface of
``gen_model_d.py``), and deliberately different from all of them in every modelling choice:

- movement (of a joint coordinate ``q``, 0 = rest, 1 = the person's reference amplitude):
  every phase is the *minimum-variance* optimal command (Harris & Wolpert 1998: motor noise
  whose variance grows with the command) of a linear neuromuscular model: excitation ->
  two first-order activation stages (tau 20-50 ms and 30-80 ms) -> torque on a joint with
  viscous damping and a weak (over-damped) stiffness. The command minimises the positional
  variance over a post-movement hold period (0.15-0.5 s) plus an effort term, subject to
  reaching the target *at rest* (position, velocity and both activations at equilibrium)
  after exactly the phase duration. It is solved in closed form (weighted minimum norm,
  10 ms zero-order hold) and rendered by cubic Hermite interpolation of the exact
  position/velocity at the knots. Velocity profiles are smooth, single-peaked, with a
  peak at 30-60 % of the phase depending on the person's dynamics (concentric and
  eccentric have their own dynamics). Some phases are a primary movement undershooting by
  2-7 % plus an overlapping corrective sub-movement (the velocity dips but stays > 0).
  Rep timing within a set follows the Wing-Kristofferson two-level timing model (central
  timekeeper intervals + motor delays, so successive intervals are negatively
  correlated); a rest that would be negative makes the reps back to back. Fatigue
  (a power of the rep's position in the set) slows the phases, shrinks the range (at most
  30 %) and raises tremor. Sets to failure end with 1-3 failed partial attempts; other
  sets have occasional aborted (partial) reps; some sets keep a little tension between
  reps (floor above rest). At the top (pause 0-2.5 s): a sag (or a squeeze) in ``q`` with
  zero velocity at both ends of the pause, physiological tremor (narrow-band noise from a
  resonator at 7-12 Hz, all the time, stronger at the top and with fatigue), and on
  holds (table-top reach, 4-8 balloon breaths: short inhale, long exhale, 10-40 s)
  breathing, postural sway (low-pass noise) and a fatigue sag.
- geometry: the band loops around both knees; its elongation is twice the change of the
  knee separation, a chord ``2 r sin(theta / 2)`` of the hip opening angle
  ``theta = theta0 + q theta_r`` (concave, monotone), scaled per exercise and person.
- band: a Yeoh hyperelastic law (``F = (k L / 3)(lam - lam^-2)(1 + 2 c2 (I1 - 3) + 3 c3
  (I1 - 3)^2)``, ``c2 < 0 < c3``: softening then stiffening), a fractional Kelvin-Voigt
  springpot (``nu k D^alpha e``, alpha 0.1-0.35, Grunwald-Letnikov, FFT convolution) and
  rate-independent fabric friction (a Dahl model in the arc length of the elongation,
  its force proportional to the tension): hysteresis and relaxation at the top. Slack
  (zero force) for a total elongation <= 0. A slow permanent set lowers the stiffness by
  0-3 % over the session. Pre-tension changes only through listed fidgets (re-adjusting,
  shifting weight, repositioning), and is sometimes negative (the band is slack at rest).
- force sensor: a strain-gauge bridge amplifier: gain error and temperature coefficient,
  tare error, a thermal warm-up and ambient temperature drift of the offset, white noise,
  random telegraph (popcorn) noise, 50 or 60 Hz mains pickup with a third harmonic and a
  slowly modulated amplitude through a first-order RC anti-alias filter (5-40 Hz corner,
  which also filters the signal) and sampled instantaneously (sample-and-hold) at the
  device rate, so that it aliases (e.g. to a slow beat at 100 Hz, to 10 Hz at 20 Hz);
  EMI spikes of 1-4 samples (decaying or flat); rare clipping at the ADC full scale
  (about 10 % of the recordings clip their strongest pulls); ADC quantisation.
- link and time axis: the device clock has a crystal error (ppm); samples travel in BLE
  frames of 1-10 samples (30-100 ms); frames are lost by a Gilbert-Elliott two-state
  channel (sparse single losses and bursts) and by occasional disconnects of 0.8-4 s
  (whole frames are lost); the host stamps each frame at its arrival (at the next
  connection event, every 7.5-50 ms, plus link-layer retries of whole connection
  intervals, OS jitter, FIFO queueing so delayed frames arrive in bursts, sometimes a
  1 ms host clock) and back-dates the samples of the frame at the nominal rate, but never
  before the previous frame's arrival (after a late frame the next samples are squeezed:
  bursts of short intervals, never backwards); the constant part (median) of the latency
  is removed and the stamps are made non-decreasing. The
  axis starts at a random offset (small, a device uptime or an epoch time).
- stretch (about half the recordings): a draw-wire potentiometer on the band's total
  elongation (negative when the band is slack): gain and offset error, a periodic
  winding-drum non-linearity, mechanical backlash (a play operator, 0.2-1.2 mm), wiper
  noise and rare wiper lift-offs (1-2 samples read low), 12-bit quantisation.
- session: 2-4 of the four seed exercises in random order (the hold exercise in about
  75 %): side-lying banded hip external rotation to failure (sets blocked by side), single
  leg hip bridge ~10 reps with a pause, table-top reach held for 4-8 breaths (a hold set
  per side), table-top hip external rotation ~10 reps with a pause; 1-3 sets a side (fewer
  when there are more exercises: sessions of about 5-15 min); rests of 12-90 s between
  sets (30-90 s between exercises and when turning over) with fidgets: ``scratch`` (irregular
  2-5 Hz jiggle), ``swing`` (leg swing, a few slow cycles), ``pull`` (a single pull),
  ``shift`` (weight shift: a new rest elongation), ``adjust`` (band slackened and
  re-tensioned to a new pre-tension), ``release`` (band briefly released and put back),
  ``reposition`` (between exercises: turning over, a few irregular pulls, new posture).

Truth conventions (all times on the recording's own axis = physical time plus
``metadata["time_offset_s"]``; stamps carry only zero-median jitter around it): a rep's
``start_s`` is the first motion (the concentric command starts from rest), ``top_start_s``
the arrival at the top (the concentric phase is at equilibrium: velocity zero),
``top_end_s`` the departure (the eccentric phase starts), ``end_s`` back at rest (the
eccentric phase is at equilibrium). Tremor, breathing and sway at the top are windowed
inside ``[top_start_s, top_end_s]`` (tremor also exists, small, everywhere). ``range_mm``
is the elongation at ``top_start_s`` minus that at ``start_s``. Partial reps (range under
half the median range of the full reps of their set) are in ``reps`` with ``partial``
True and not counted in ``rep_count``; hold sets have ``rep_count`` 0 and their hold in
``holds`` only (``duration_s`` = ``top_end_s - top_start_s``). Sets are separated by at
least 10 s of rest; reps within a set by less than 3 s. Fidgets (never overlapping a set)
have ``kind``, ``start_s``, ``end_s`` and ``amplitude_mm``. Gaps list the first and last
missing sample times and their number of samples.

``GenConfig.extra``: ``clean`` (an ideal sensor and link: no noise, drift, mains, filter,
spikes, clipping, quantisation, losses, jitter or backlash; exact sample times),
``ideal_band`` (linear elastic band), ``still`` (no tremor, sway, breathing or sag),
``no_fidgets``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import linalg, signal

FS_INT = 500.0  # internal simulation rate (Hz)
DT_SOLVE = 0.01  # zero-order-hold step of the optimal command (s)
MAX_STEPS = 600  # longest phase solved (6 s)

EXERCISES: dict[str, dict[str, Any]] = {
    "side_lying_hip_external_rotation": {
        "kind": "reps", "to_failure": True, "blocked": True, "range_mm": (60.0, 150.0),
        "conc": (0.7, 1.3), "ecc": (0.9, 1.7), "pause": (0.0, 0.7), "pause_zero": 0.45,
        "geometry": (0.15, 0.45, 0.7, 1.1),
    },
    "single_leg_hip_bridge": {
        "kind": "reps", "to_failure": False, "blocked": False, "range_mm": (20.0, 55.0),
        "conc": (0.8, 1.6), "ecc": (1.0, 2.2), "pause": (0.4, 2.5), "pause_zero": 0.0,
        "geometry": (0.3, 0.6, 0.3, 0.6),
    },
    "table_top_reach": {
        "kind": "hold", "to_failure": False, "blocked": False, "range_mm": (25.0, 70.0),
        "conc": (1.2, 2.5), "ecc": (1.0, 2.3), "pause": (0.0, 0.0), "pause_zero": 0.0,
        "geometry": (0.2, 0.5, 0.4, 0.8),
    },
    "table_top_hip_external_rotation": {
        "kind": "reps", "to_failure": False, "blocked": False, "range_mm": (50.0, 130.0),
        "conc": (0.8, 1.5), "ecc": (1.0, 2.0), "pause": (0.3, 2.0), "pause_zero": 0.0,
        "geometry": (0.15, 0.4, 0.6, 1.0),
    },
}


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 75 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    spikes_per_min: float = 0.8  # EMI spikes (1-4 samples)
    disconnects_per_min: float = 0.08  # BLE disconnects of 0.8-4 s
    frame_loss: bool = True  # Gilbert-Elliott frame losses
    mains: bool = True  # mains pickup (in most recordings)
    clip_prob: float = 0.1  # share of recordings whose ADC full scale is below the peaks
    jitter: bool = True  # host arrival-time stamping
    time_offset_s: float | None = None  # None: random (small, uptime or epoch)
    # extra: "clean", "ideal_band", "still", "no_fidgets" (see the module docstring)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


# ------------------------------------------------------------ minimum-variance phases


class _Dynamics:
    """A linear neuromuscular joint and its minimum-variance point-to-point commands."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.tau1 = float(rng.uniform(0.02, 0.05))
        self.tau2 = float(rng.uniform(0.03, 0.08))
        self.beta = float(rng.uniform(0.8, 7.0))
        self.kappa = float(rng.uniform(0.0, 0.9) * self.beta**2 / 4.0)  # over-damped
        self.post = round(float(rng.uniform(0.15, 0.5)) / DT_SOLVE)
        self.effort = float(rng.uniform(0.15, 0.6))
        ac = np.array([[0.0, 1.0, 0.0, 0.0],
                       [-self.kappa, -self.beta, 1.0, 0.0],
                       [0.0, 0.0, -1.0 / self.tau2, 1.0 / self.tau2],
                       [0.0, 0.0, 0.0, -1.0 / self.tau1]])
        aug = np.zeros((5, 5))
        aug[:4, :4] = ac
        aug[3, 4] = 1.0 / self.tau1
        ez = linalg.expm(aug * DT_SOLVE)
        a_d, b_d = ez[:4, :4], ez[:4, 4]
        m = MAX_STEPS + self.post
        # impulse responses A^m B via repeated squaring-free doubling (m <= ~650)
        h = np.empty((m, 4))
        h[0] = b_d
        pw = a_d.copy()
        filled = 1
        while filled < m:
            take = min(filled, m - filled)
            h[filled:filled + take] = h[:take] @ pw.T
            pw = pw @ pw
            filled += take
        self.h = h
        self.cum_h2 = np.concatenate([[0.0], np.cumsum(h[:, 0] ** 2)])
        self.cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def profile(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Position and velocity (per step) at the n + 1 knots of a 0 -> 1 movement."""
        n = int(min(max(n, 8), MAX_STEPS))
        hit = self.cache.get(n)
        if hit is not None:
            return hit
        k = np.arange(n)
        p = self.post
        target = np.array([1.0, 0.0, self.kappa, self.kappa])
        mat = self.h[n - 1 - k].T  # 4 x n: state at step n from the command at step k
        var_w = self.cum_h2[n + p - k] - self.cum_h2[n - k]
        effort = self.effort
        for _ in range(8):
            w = var_w + effort * float(np.mean(var_w)) + 1e-12
            wi = 1.0 / w
            lam = np.linalg.solve((mat * wi) @ mat.T, target)
            u = wi * (mat.T @ lam)
            q = np.concatenate([[0.0], np.convolve(self.h[:n, 0], u)[:n]])
            v = np.concatenate([[0.0], np.convolve(self.h[:n, 1], u)[:n]]) * DT_SOLVE
            if np.all(np.diff(q) >= -1e-9) and q.max() <= 1.0 + 1e-9:
                break
            effort *= 2.0  # a lazier (smoother) optimum until it is monotone
        q[-1], v[-1] = 1.0, 0.0
        q = np.maximum.accumulate(np.clip(q, 0.0, 1.0))
        v = np.maximum(v, 0.0)
        self.cache[n] = (q, v)
        return q, v


def _hermite(q: np.ndarray, v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Cubic Hermite through knots (value q, slope v per knot step) at fractional knot x."""
    n = len(q) - 1
    x = np.clip(x, 0.0, float(n))
    i = np.minimum(np.floor(x).astype(int), n - 1)
    s = x - i
    s2, s3 = s * s, s * s * s
    out: np.ndarray = ((2 * s3 - 3 * s2 + 1) * q[i] + (s3 - 2 * s2 + s) * v[i]
                       + (-2 * s3 + 3 * s2) * q[i + 1] + (s3 - s2) * v[i + 1])
    return out


# ------------------------------------------------------------------ plan records


@dataclass
class _Phase:
    """A movement of the joint coordinate q by ``dq`` over ``[t0, t0 + dur]``."""

    t0: float
    dur: float
    dq: float
    dyn: _Dynamics | None  # None: a smoothstep (sag, pre-tension ramps)
    warp: float = 1.0


@dataclass
class _Offset:
    """An additive elongation (mm) on ``[t0, t1]`` that is zero at both ends."""

    t0: float
    t1: float
    kind: str
    prm: dict[str, Any]


@dataclass
class _Person:
    tempo: float
    pause_style: float
    fatigue: float
    corr_prob: float
    wk_clock: float
    wk_motor: float
    tremor_mm: float
    tremor_hz: float
    breath_sign: float


@dataclass
class _Plan:
    phases: list[_Phase] = field(default_factory=list)
    pre: list[_Phase] = field(default_factory=list)
    offsets: list[_Offset] = field(default_factory=list)
    top_windows: list[tuple[float, float, float]] = field(default_factory=list)
    sets: list[dict[str, Any]] = field(default_factory=list)
    reps: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    fidgets: list[dict[str, Any]] = field(default_factory=list)


class _Geometry:
    """Band elongation (mm, from rest) as a chord of the hip opening angle."""

    def __init__(self, rng: np.random.Generator, spec: dict[str, Any], ref_mm: float) -> None:
        lo0, hi0, lor, hir = spec["geometry"]
        self.th0 = float(rng.uniform(lo0, hi0))
        self.thr = float(rng.uniform(lor, hir))
        self.ref = ref_mm
        self.s0 = np.sin(self.th0 / 2)
        self.span = np.sin((self.th0 + self.thr) / 2) - self.s0

    def elong(self, q: np.ndarray) -> np.ndarray:
        qq = np.clip(q, -0.2, 1.5)
        out: np.ndarray = self.ref * (np.sin((self.th0 + qq * self.thr) / 2) - self.s0) / self.span
        return out

    def q_of(self, e_mm: float) -> float:
        arg = self.s0 + e_mm / self.ref * self.span
        return float((2 * np.arcsin(np.clip(arg, -1.0, 1.0)) - self.th0) / self.thr)


# ------------------------------------------------------------------ session plan


def _choose_exercises(rng: np.random.Generator, cfg: GenConfig) -> list[str]:
    names = list(EXERCISES)
    n = cfg.exercises or int(rng.choice([2, 3, 4], p=[0.35, 0.45, 0.2]))
    n = int(min(max(n, 1), 4))
    want_hold = cfg.hold_exercise if cfg.hold_exercise is not None else rng.random() < 0.75
    others = [x for x in names if x != "table_top_reach"]
    chosen = list(rng.choice(others, size=min(n - int(want_hold), 3), replace=False))
    if want_hold:
        chosen.append("table_top_reach")
    order = rng.permutation(len(chosen))
    return [str(chosen[i]) for i in order]


def _sets_per_side(rng: np.random.Generator, n_ex: int) -> int:
    if n_ex <= 2:
        return int(rng.choice([2, 3], p=[0.4, 0.6]))
    if n_ex == 3:
        return int(rng.choice([1, 2, 3], p=[0.4, 0.45, 0.15]))
    return int(rng.choice([1, 2], p=[0.6, 0.4]))


def _phase_with_correction(rng: np.random.Generator, person: _Person, t0: float, dur: float,
                           dq: float, dyn: _Dynamics, corr_dyn: _Dynamics,
                           allow: bool) -> tuple[list[_Phase], str]:
    """One phase, sometimes a primary undershoot plus an overlapping correction."""
    if not allow or dur < 0.6 or rng.random() >= person.corr_prob:
        return [_Phase(t0, dur, dq, dyn)], "min_variance"
    under = float(rng.uniform(0.02, 0.07))
    d_corr = float(rng.uniform(0.2, 0.4))
    overlap = float(rng.uniform(0.3, 0.9)) * d_corr
    d1 = dur - d_corr + overlap
    return ([_Phase(t0, d1, dq * (1 - under), dyn),
             _Phase(t0 + d1 - overlap, d_corr, dq * under, corr_dyn)],
            "min_variance+correction")


def _plan_reps_set(rng: np.random.Generator, cfg: GenConfig, plan: _Plan, person: _Person,
                   spec: dict[str, Any], geo: _Geometry, dyns: dict[str, _Dynamics],
                   t: float, n_full: int, set_fatigue: float, still: bool) -> float:
    """Plan one set of reps starting at ``t``; return its end time."""
    ref = geo.ref
    to_failure = bool(spec["to_failure"])
    ranges = ref * np.clip(1 + 0.05 * rng.standard_normal(n_full), 0.88, 1.12)
    pos = np.arange(n_full) / max(n_full - 1, 1)
    fat = set_fatigue * (pos ** rng.uniform(1.5, 3.0) if to_failure else pos)
    ranges = ranges * (1 - 0.3 * np.clip(fat, 0.0, 1.0))
    med_full = float(np.median(ranges))
    # the rep list: (range_mm, partial, fatigue)
    items: list[tuple[float, bool, float]] = []
    for i in range(n_full):
        if i > 0 and rng.random() < cfg.partial_prob:
            items.append((med_full * float(rng.uniform(0.15, 0.42)), True, float(fat[i])))
        items.append((float(ranges[i]), False, float(fat[i])))
    if to_failure:
        for j in range(int(rng.integers(1, 4))):
            frac = float(rng.uniform(0.12, 0.42)) * (0.85 ** j)
            items.append((med_full * frac, True, 1.0))
    keep_tension = rng.random() < 0.15
    rest_nom = 0.0 if rng.random() < 0.3 else float(rng.uniform(0.2, 1.6))
    pause_lo, pause_hi = spec["pause"]
    zero_pause = rng.random() < spec["pause_zero"]
    conc_b = float(rng.uniform(*spec["conc"])) * person.tempo
    ecc_b = float(rng.uniform(*spec["ecc"])) * person.tempo
    pause_b = float(np.clip(rng.uniform(pause_lo, pause_hi) * person.pause_style,
                            pause_lo, pause_hi))
    floor = 0.0
    onset = t
    motor_prev = float(rng.gamma(4.0, person.wk_motor))
    set_reps: list[dict[str, Any]] = []
    for n, (rng_mm, partial, f) in enumerate(items):
        slow = 1 + person.fatigue * f
        conc = conc_b * slow * float(np.exp(0.07 * rng.standard_normal()))
        ecc = ecc_b * slow * float(np.exp(0.08 * rng.standard_normal()))
        if partial:
            conc *= float(rng.uniform(0.5, 0.9)) if not to_failure or f < 1 else 1.3
            ecc *= float(rng.uniform(0.5, 0.8))
            pause = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.05, 0.3))
        elif zero_pause:
            pause = 0.0
        else:
            pause = float(np.clip(pause_b * np.exp(0.15 * rng.standard_normal()), 0.0, 2.5))
        conc, ecc = max(conc, 0.35), max(ecc, 0.35)
        last = n == len(items) - 1
        floor_end = 0.0
        if keep_tension and not last:
            floor_end = float(rng.uniform(0.02, 0.08)) * rng_mm
        start = onset
        q0 = geo.q_of(floor)
        q_top = geo.q_of(floor + rng_mm)
        ph, conc_kind = _phase_with_correction(rng, person, start, conc, q_top - q0,
                                               dyns["conc"], dyns["corr"], not partial)
        plan.phases.extend(ph)
        top_start = start + conc
        top_end = top_start + pause
        q_end_top = q_top
        if pause > 0 and not still:
            sag_mm = rng_mm * float(rng.uniform(0.01, 0.05)) * (1 + f)
            sag_mm *= -1.0 if rng.random() < 0.7 else 0.5
            q_end_top = geo.q_of(floor + rng_mm + sag_mm)
            plan.phases.append(_Phase(top_start, pause, q_end_top - q_top, None,
                                      float(rng.uniform(0.6, 1.0))))
            plan.top_windows.append((top_start, top_end, 1.0 + 2.0 * f))
        q_floor_end = geo.q_of(floor_end)
        ph_e, ecc_kind = _phase_with_correction(rng, person, top_end, ecc,
                                                q_floor_end - q_end_top, dyns["ecc"],
                                                dyns["corr"], not partial and rng.random() < 0.5)
        plan.phases.extend(ph_e)
        end = top_end + ecc
        set_reps.append({
            "start_s": start, "top_start_s": top_start, "top_end_s": top_end, "end_s": end,
            "concentric_s": conc, "pause_s": pause, "eccentric_s": ecc, "partial": partial,
            "range_mm": rng_mm, "floor_start_mm": floor, "floor_end_mm": floor_end,
            "concentric_profile": conc_kind, "eccentric_profile": ecc_kind,
        })
        floor = floor_end
        # Wing-Kristofferson: next onset = timekeeper interval + motor delay difference
        period = conc + pause + ecc + rest_nom
        clock = period * (1 + person.wk_clock * float(rng.standard_normal()))
        motor = float(rng.gamma(4.0, person.wk_motor))
        nxt = onset + clock + motor - motor_prev
        motor_prev = motor
        if partial and to_failure and f >= 1:
            nxt = end + float(rng.uniform(0.3, 1.8))  # a failed attempt, then another try
        onset = float(np.clip(nxt, end, end + 2.8))
    plan.reps.extend(set_reps)
    return float(set_reps[-1]["end_s"])


def _breathing_prm(rng: np.random.Generator, n_breaths: int) -> list[tuple[float, float, float]]:
    out = []
    for _ in range(n_breaths):
        out.append((float(rng.uniform(0.9, 1.8)), float(rng.uniform(2.0, 5.0)),
                    float(rng.uniform(0.0, 0.5))))
    return out


def _plan_hold(rng: np.random.Generator, plan: _Plan, person: _Person, spec: dict[str, Any],
               geo: _Geometry, dyns: dict[str, _Dynamics], t: float,
               still: bool) -> dict[str, Any]:
    rng_mm = geo.ref * float(np.clip(1 + 0.05 * rng.standard_normal(), 0.88, 1.12))
    conc = float(rng.uniform(*spec["conc"])) * person.tempo
    ecc = float(rng.uniform(*spec["ecc"])) * person.tempo
    settle_in = float(rng.uniform(0.5, 1.5))
    settle_out = float(rng.uniform(0.3, 1.0))
    n_breaths = int(rng.integers(4, 9))
    breaths = _breathing_prm(rng, n_breaths)
    total = settle_in + settle_out + sum(a + b + c for a, b, c in breaths)
    while total > 40.0 and len(breaths) > 4:
        breaths.pop()
        total = settle_in + settle_out + sum(a + b + c for a, b, c in breaths)
    if total < 10.0:
        settle_out += 10.0 - total
        total = 10.0
    total = min(total, 40.0)
    ph, kind = _phase_with_correction(rng, person, t, conc, geo.q_of(rng_mm), dyns["conc"],
                                      dyns["corr"], True)
    plan.phases.extend(ph)
    top_start = t + conc
    top_end = top_start + total
    q_top = geo.q_of(rng_mm)
    q_end_top = q_top
    if not still:
        sag_mm = -rng_mm * float(rng.uniform(0.02, 0.08))
        q_end_top = geo.q_of(rng_mm + sag_mm)
        plan.phases.append(_Phase(top_start, total, q_end_top - q_top, None,
                                  float(rng.uniform(0.6, 1.0))))
        plan.top_windows.append((top_start, top_end, 1.5))
        plan.offsets.append(_Offset(top_start + settle_in, top_end - settle_out, "breathing", {
            "breaths": breaths, "amp_mm": person.breath_sign * float(rng.uniform(0.5, 3.0))}))
        plan.offsets.append(_Offset(top_start, top_end, "sway", {
            "amp_mm": float(rng.uniform(0.3, 1.2)), "fc": float(rng.uniform(0.3, 0.8))}))
    ph_e, _ = _phase_with_correction(rng, person, top_end, ecc, -q_end_top, dyns["ecc"],
                                     dyns["corr"], rng.random() < 0.5)
    plan.phases.extend(ph_e)
    return {"start_s": t, "top_start_s": top_start, "top_end_s": top_end,
            "end_s": top_end + ecc, "duration_s": total, "range_mm": rng_mm,
            "breaths": len(breaths), "concentric_profile": kind}


FIDGET_KINDS = ("scratch", "swing", "pull", "shift", "adjust", "release")


def _fidget_duration(rng: np.random.Generator, kind: str) -> float:
    lo, hi = {"scratch": (1.0, 4.0), "swing": (2.0, 6.0), "pull": (0.4, 1.2),
              "shift": (0.6, 1.6), "adjust": (2.5, 6.0), "release": (1.5, 4.0),
              "reposition": (5.0, 15.0)}[kind]
    return float(rng.uniform(lo, hi))


def _plan_fidgets(rng: np.random.Generator, plan: _Plan, t0: float, t1: float, ref_mm: float,
                  pre_now: float, between_exercises: bool, enabled: bool) -> float:
    """Fidgets during the rest ``[t0, t1]``; returns the pre-tension after the rest."""
    lo, hi = t0 + 1.5, t1 - 1.5
    if hi - lo < 1.0:
        return pre_now
    kinds: list[str] = []
    if between_exercises:
        kinds.append("reposition")
    if enabled:
        n = int(rng.poisson((hi - lo) / 25.0))
        kinds += [str(k) for k in rng.choice(FIDGET_KINDS, size=n,
                                             p=[0.2, 0.15, 0.2, 0.15, 0.15, 0.15])]
    if not kinds:
        return pre_now
    durs = [_fidget_duration(rng, k) for k in kinds]
    while sum(durs) + 0.5 * len(durs) > hi - lo and len(kinds) > 1:
        kinds.pop()
        durs.pop()
    if sum(durs) > hi - lo:
        durs = [min(durs[0], hi - lo)]
    slack = hi - lo - sum(durs)
    cuts = np.sort(rng.uniform(0.0, slack, size=len(kinds)))
    # spread them: cut i is the free time before fidget i (cumulative)
    starts = lo + cuts + np.concatenate([[0.0], np.cumsum(durs)[:-1]])
    pre = pre_now
    for kind, s, d in zip(kinds, starts, durs, strict=True):
        s, e = float(s), float(s + d)
        amp = 0.0
        if kind == "scratch":
            amp = float(rng.uniform(0.5, 3.0))
            plan.offsets.append(_Offset(s, e, "scratch", {"amp_mm": amp,
                                                          "f": float(rng.uniform(2.0, 5.0))}))
        elif kind == "swing":
            amp = float(rng.uniform(3.0, 15.0))
            plan.offsets.append(_Offset(s, e, "swing", {"amp_mm": amp,
                                                        "f": float(rng.uniform(0.4, 1.2))}))
        elif kind == "pull":
            amp = ref_mm * float(rng.uniform(0.08, 0.35))
            plan.offsets.append(_Offset(s, e, "pull", {"amp_mm": amp,
                                                       "skew": float(rng.uniform(0.3, 0.6))}))
        elif kind == "shift":
            new = float(np.clip(pre + rng.uniform(-8.0, 8.0), -6.0, 60.0))
            amp = abs(new - pre)
            plan.pre.append(_Phase(s, d, new - pre, None))
            pre = new
        elif kind in ("adjust", "release", "reposition"):
            down = float(rng.uniform(0.3, 0.7))
            up = float(rng.uniform(0.4, 1.0))
            depth = float(rng.uniform(5.0, 25.0))  # below zero: slack
            if kind == "release":
                new = pre
            elif rng.random() < 0.1:
                new = float(rng.uniform(-6.0, -1.0))  # left slack at rest
            else:
                new = float(rng.uniform(5.0, 45.0))
            plan.pre.append(_Phase(s, down, -depth - pre, None))
            plan.pre.append(_Phase(e - up, up, new + depth, None))
            amp = max(depth + pre, abs(new - pre))
            if kind == "reposition":
                for _ in range(int(rng.integers(2, 5))):
                    ts = float(rng.uniform(s + down, max(s + down, e - up - 1.2)))
                    plan.offsets.append(_Offset(ts, ts + float(rng.uniform(0.5, 1.2)), "pull", {
                        "amp_mm": float(rng.uniform(10.0, 60.0)),
                        "skew": float(rng.uniform(0.3, 0.6))}))
            pre = new
        plan.fidgets.append({"kind": kind, "start_s": s, "end_s": e, "amplitude_mm": amp})
    return pre


# ------------------------------------------------------------------ rendering


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    out: np.ndarray = x * x * (3 - 2 * x)
    return out


def _render_phases(phases: list[_Phase], t: np.ndarray, base: float) -> np.ndarray:
    n = len(t)
    out = np.full(n, base)
    steps = np.zeros(n + 1)
    for ph in phases:
        i0 = int(np.ceil(ph.t0 * FS_INT - 1e-9))
        i1 = int(np.ceil((ph.t0 + ph.dur) * FS_INT - 1e-9))
        i0, i1 = max(i0, 0), min(i1, n)
        if i1 <= i0:
            steps[min(i0, n)] += ph.dq
            continue
        u = (t[i0:i1] - ph.t0) / ph.dur
        if ph.dyn is None:
            shape = _smoothstep(np.clip(u, 0.0, 1.0) ** ph.warp)
        else:
            q, v = ph.dyn.profile(round(ph.dur / DT_SOLVE))
            shape = _hermite(q, v, u * (len(q) - 1))
        out[i0:i1] += ph.dq * shape
        steps[i1] += ph.dq
    out += np.cumsum(steps)[:n]
    return out


def _window(t: np.ndarray, t0: float, t1: float, ramp: float) -> np.ndarray:
    r = max(min(ramp, (t1 - t0) / 2), 1e-3)
    out: np.ndarray = _smoothstep((t - t0) / r) * _smoothstep((t1 - t) / r)
    return out


def _lowpass_noise(rng: np.random.Generator, n: int, fc: float) -> np.ndarray:
    b, a = signal.butter(2, fc / (FS_INT / 2))
    x = signal.lfilter(b, a, rng.standard_normal(n + 2000))[2000:]
    out: np.ndarray = x / max(float(np.std(x)), 1e-12)
    return out


def _render_offsets(rng: np.random.Generator, offsets: list[_Offset], t: np.ndarray) -> np.ndarray:
    out = np.zeros(len(t))
    for off in offsets:
        i0 = max(int(np.floor(off.t0 * FS_INT)), 0)
        i1 = min(int(np.ceil(off.t1 * FS_INT)) + 1, len(t))
        if i1 - i0 < 3:
            continue
        tt = t[i0:i1]
        w = _window(tt, off.t0, off.t1, 0.3)
        p = off.prm
        if off.kind == "breathing":
            y = np.zeros(len(tt))
            ts = off.t0
            for inh, exh, rest in p["breaths"]:
                b_amp = p["amp_mm"] * float(rng.uniform(0.7, 1.3))
                up = _smoothstep((tt - ts) / inh)
                down = 1 - _smoothstep(((tt - ts - inh) / exh).clip(0.0, 1.0) ** 0.7)
                y += b_amp * np.where(tt < ts + inh, up, down) * (tt >= ts)
                ts += inh + exh + rest
            out[i0:i1] += y * w
        elif off.kind == "sway":
            out[i0:i1] += p["amp_mm"] * _lowpass_noise(rng, len(tt), p["fc"]) * w
        elif off.kind == "scratch":
            y = _lowpass_noise(rng, len(tt), p["f"]) * p["amp_mm"] * 0.6
            out[i0:i1] += np.abs(y) * w
        elif off.kind == "swing":
            ph = 2 * np.pi * p["f"] * (tt - off.t0)
            out[i0:i1] += p["amp_mm"] * 0.5 * (1 - np.cos(ph)) * w
        elif off.kind == "pull":
            u = (tt - off.t0) / (off.t1 - off.t0)
            sk = p["skew"]
            y = np.where(u < sk, _smoothstep(u / sk), 1 - _smoothstep((u - sk) / (1 - sk)))
            out[i0:i1] += p["amp_mm"] * y
    return out


def _tremor(rng: np.random.Generator, n: int, f0: float) -> np.ndarray:
    """Narrow-band physiological tremor: white noise through a resonator at f0."""
    r = float(np.exp(-np.pi * 2.0 / FS_INT))  # bandwidth ~ 2 Hz
    th = 2 * np.pi * f0 / FS_INT
    x = signal.lfilter([1.0], [1.0, -2 * r * np.cos(th), r * r], rng.standard_normal(n + 1000))
    x = x[1000:]
    out: np.ndarray = x / max(float(np.std(x)), 1e-12)
    return out


def _frac_derivative(x: np.ndarray, alpha: float) -> np.ndarray:
    """Grunwald-Letnikov derivative of order alpha (memory truncated at 60 s)."""
    m = min(len(x), int(60 * FS_INT))
    j = np.arange(1, m)
    w = np.concatenate([[1.0], np.cumprod(1 - (alpha + 1) / j)])
    out: np.ndarray = signal.oaconvolve(x, w)[: len(x)] * FS_INT**alpha
    return out


def _dahl(e: np.ndarray, xc: float) -> np.ndarray:
    """Normalised Dahl friction state (-1..1) driven by the elongation e."""
    de = np.diff(e, prepend=e[0])
    sgn = np.sign(de)
    # carry the last non-zero direction through flat stretches
    idx = np.where(sgn != 0, np.arange(len(e)), 0)
    np.maximum.accumulate(idx, out=idx)
    sgn = sgn[idx]
    sgn[sgn == 0] = 1.0
    arc = np.cumsum(np.abs(de))
    change = np.flatnonzero(np.diff(sgn) != 0) + 1
    seg_start = np.concatenate([[0], change])
    seg_end = np.concatenate([change, [len(e)]])
    z0 = np.empty(len(seg_start))
    z = 0.0
    arc_l = arc.tolist()
    sgn_l = sgn[seg_start].tolist()
    for k, (a, b) in enumerate(zip(seg_start.tolist(), seg_end.tolist(), strict=True)):
        z0[k] = z
        d = sgn_l[k]
        z = d + (z - d) * float(np.exp(-(arc_l[b - 1] - arc_l[a]) / xc))
    lens = seg_end - seg_start
    d_rep = np.repeat(sgn[seg_start], lens)
    z_rep = np.repeat(z0, lens)
    a_rep = np.repeat(arc[seg_start], lens)
    out: np.ndarray = d_rep + (z_rep - d_rep) * np.exp(-(arc - a_rep) / xc)
    return out


def _band_force(rng: np.random.Generator, e_tot: np.ndarray, ideal: bool,
                meta: dict[str, Any]) -> np.ndarray:
    k0 = float(rng.uniform(0.12, 0.45))  # small-strain stiffness (N/mm)
    length = float(rng.uniform(500.0, 800.0))  # loop length (mm)
    c2 = float(rng.uniform(-0.1, -0.02))
    c3 = float(rng.uniform(c2 * c2 / 3 + 0.002, 0.03))
    alpha = float(rng.uniform(0.1, 0.35))
    nu = float(rng.uniform(0.04, 0.18))
    mu = float(rng.uniform(0.02, 0.08))
    xc = float(rng.uniform(0.5, 3.0))
    set_loss = float(rng.uniform(0.0, 0.03))
    meta["band"] = {"law": "linear" if ideal else "yeoh", "k0_n_per_mm": k0,
                    "length_mm": length, "c2": c2, "c3": c3, "alpha": alpha, "nu": nu,
                    "friction_mu": mu, "dahl_mm": xc, "permanent_set": set_loss}
    taut = np.maximum(e_tot, 0.0)
    if ideal:
        out: np.ndarray = k0 * taut
        return out
    lam = 1 + taut / length
    i1 = lam**2 + 2 / lam - 3
    f_el = (k0 * length / 3) * (lam - lam**-2) * (1 + 2 * c2 * i1 + 3 * c3 * i1 * i1)
    f_el *= 1 - set_loss * np.linspace(0.0, 1.0, len(e_tot))
    f_v = nu * k0 * _frac_derivative(taut - taut[0], alpha)
    f_fr = mu * f_el * _dahl(taut, xc)
    f = f_el + f_v + f_fr
    out = np.where(e_tot > 0, np.maximum(f, 0.0), 0.0)
    return out


# ------------------------------------------------------------------ sensor and link


def _play(x: np.ndarray, width: float) -> np.ndarray:
    """Backlash (play operator) of total width ``width``."""
    h = width / 2
    out = np.empty(len(x))
    y = float(x[0])
    for i, xi in enumerate(x.tolist()):
        if xi > y + h:
            y = xi - h
        elif xi < y - h:
            y = xi + h
        out[i] = y
    return out


def _gilbert_elliott(rng: np.random.Generator, n: int) -> np.ndarray:
    """Lost-frame mask of a two-state (good / bad) channel."""
    lost = np.zeros(n, dtype=bool)
    mean_good = float(rng.uniform(300.0, 3000.0))
    mean_bad = float(rng.uniform(2.0, 8.0))
    p_good, p_bad = float(rng.uniform(0.0002, 0.002)), float(rng.uniform(0.3, 0.8))
    i = 0
    good = True
    while i < n:
        run = int(rng.geometric(1 / (mean_good if good else mean_bad)))
        seg = slice(i, min(i + run, n))
        lost[seg] = rng.random(seg.stop - seg.start) < (p_good if good else p_bad)
        i += run
        good = not good
    return lost


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    rng = np.random.default_rng(seed)  # the session plan
    rng_m, rng_b, rng_s, rng_l = (np.random.default_rng([seed, i]) for i in (11, 12, 13, 14))
    extra = cfg.extra
    clean = bool(extra.get("clean", False))
    still = bool(extra.get("still", False))
    fidgets_on = not bool(extra.get("no_fidgets", False))
    rate = float(cfg.rate_hz)

    person = _Person(
        tempo=float(np.exp(rng.normal(0.0, 0.18))),
        pause_style=float(np.exp(rng.normal(0.0, 0.35))),
        fatigue=float(rng.uniform(0.15, 0.6)),
        corr_prob=float(rng.uniform(0.05, 0.35)),
        wk_clock=float(rng.uniform(0.03, 0.08)),
        wk_motor=float(rng.uniform(0.01, 0.04)),
        tremor_mm=0.0 if still else float(rng.uniform(0.015, 0.06)),
        tremor_hz=float(rng.uniform(7.0, 12.0)),
        breath_sign=1.0 if rng.random() < 0.6 else -1.0,
    )
    exercises = _choose_exercises(rng, cfg)
    plan = _Plan()
    pre_now = float(rng.uniform(5.0, 40.0))
    pre_initial = pre_now
    geos: list[tuple[float, float, _Geometry]] = []  # (from, to, geometry)
    t = float(rng.uniform(3.0, 12.0))
    set_index = 0
    prev_end: float | None = None
    per_sides = [_sets_per_side(rng, len(exercises)) for _ in exercises]
    # keep the session to about 5-15 minutes (a set with its rest takes ~85 s)
    budget = float(rng.uniform(400.0, 900.0))
    while 2 * 85.0 * sum(per_sides) + 60.0 * len(exercises) > budget and max(per_sides) > 1:
        per_sides[int(np.argmax(per_sides))] -= 1
    for ex_i, name in enumerate(exercises):
        spec = EXERCISES[name]
        ref = float(rng.uniform(*spec["range_mm"]))
        geo = _Geometry(rng, spec, ref)
        dyns = {"conc": _Dynamics(rng), "ecc": _Dynamics(rng), "corr": _Dynamics(rng)}
        per_side = per_sides[ex_i]
        first = "left" if rng.random() < 0.5 else "right"
        other = "right" if first == "left" else "left"
        if spec["blocked"] or (name == "table_top_hip_external_rotation" and rng.random() < 0.4):
            sides = [first] * per_side + [other] * per_side
        else:
            sides = [first, other] * per_side
        endurance = float(rng.uniform(10.0, 22.0))
        ex_start = t
        for k, side in enumerate(sides):
            if prev_end is not None:
                if k == 0 or (spec["blocked"] and sides[k - 1] != side):
                    rest = float(rng.uniform(30.0, 90.0))
                else:
                    rest = float(np.clip(rng.lognormal(np.log(32.0), 0.45), 12.0, 90.0))
                turn = k == 0 or (sides[k - 1] != side and bool(spec["blocked"]))
                t = prev_end + rest
                pre_now = _plan_fidgets(rng, plan, prev_end, t, ref, pre_now, turn,
                                        fidgets_on)
                if k == 0:
                    ex_start = t
            set_start = t
            if spec["kind"] == "hold":
                hold = _plan_hold(rng, plan, person, spec, geo, dyns, t, still)
                plan.holds.append({"set": set_index, "side": side, **hold})
                set_end = float(hold["end_s"])
                rep_count = 0
                partial_count = 0
            else:
                if spec["to_failure"]:
                    n_full = round(endurance * (0.85 ** (k % per_side))
                                   * float(np.exp(0.1 * rng.standard_normal())))
                    n_full = max(n_full, 4)
                    set_fat = 1.0
                else:
                    n_full = 10 if rng.random() < 0.85 else int(rng.integers(8, 13))
                    set_fat = float(rng.uniform(0.1, 0.35)) * (1 + 0.3 * k / len(sides))
                n_before = len(plan.reps)
                set_end = _plan_reps_set(rng, cfg, plan, person, spec, geo, dyns, t, n_full,
                                         set_fat, still)
                new = plan.reps[n_before:]
                for r in new:
                    r["set"] = set_index
                    r["side"] = side
                rep_count = sum(1 for r in new if not r["partial"])
                partial_count = len(new) - rep_count
            plan.sets.append({
                "index": set_index, "kind": spec["kind"], "start_s": set_start,
                "end_s": set_end, "rep_count": rep_count, "partial_count": partial_count,
                "side": side, "exercise": name, "to_failure": bool(spec["to_failure"]),
                "pre_tension_mm": pre_now,
            })
            set_index += 1
            prev_end = set_end
        geos.append((ex_start if ex_i else 0.0, prev_end or t, geo))
    assert prev_end is not None
    t_end = prev_end + float(rng.uniform(3.0, 10.0))

    # ---------------------------------------------------------- the movement (500 Hz)
    n_int = int(np.ceil(t_end * FS_INT)) + 1
    t_int = np.arange(n_int) / FS_INT
    q = _render_phases(plan.phases, t_int, 0.0)
    e_move = np.zeros(n_int)
    bounds = [g[0] for g in geos[1:]]
    which = np.searchsorted(np.asarray(bounds), t_int, side="right") if bounds else np.zeros(
        n_int, dtype=int)
    for gi, (_, _, geo) in enumerate(geos):
        sel = which == gi
        e_move[sel] = geo.elong(q[sel])
    e_move += _render_offsets(rng_m, plan.offsets, t_int)
    if person.tremor_mm > 0:
        env = np.full(n_int, 0.4)
        spans = [(s["start_s"] - 0.5, s["end_s"] + 0.5, 0.5, 0.6) for s in plan.sets]
        spans += [(a, b, 0.2, gain) for a, b, gain in plan.top_windows]
        for a, b, ramp, gain in spans:
            i0, i1 = max(int(a * FS_INT), 0), min(int(b * FS_INT) + 2, n_int)
            env[i0:i1] += gain * _window(t_int[i0:i1], a, b, ramp)
        e_move += person.tremor_mm * env * _tremor(rng_m, n_int, person.tremor_hz)
    pre = _render_phases(plan.pre, t_int, pre_initial)
    e_tot = pre + e_move
    meta: dict[str, Any] = {}
    force_true = _band_force(rng_b, e_tot, bool(extra.get("ideal_band", False)), meta)

    # ---------------------------------------------------------- the sensor
    ppm = 0.0 if clean else float(rng_s.uniform(-150.0, 150.0))
    period = 1.0 / (rate * (1 + ppm * 1e-6))
    phase0 = float(rng_s.uniform(0.0, period))
    n_smp = int(np.floor((t_end - 0.05 - phase0) / period)) + 1
    t_smp = phase0 + np.arange(n_smp) * period
    sens: dict[str, Any] = {"clock_ppm": ppm}
    if clean:
        force = np.interp(t_smp, t_int, force_true)
    else:
        fc = float(rng_s.uniform(5.0, 40.0))
        a_rc = float(np.exp(-2 * np.pi * fc / FS_INT))
        temp = (float(rng_s.uniform(1.0, 6.0)) * (1 - np.exp(-t_int / rng_s.uniform(120, 480)))
                + float(rng_s.uniform(0.1, 0.8))
                * np.sin(2 * np.pi * t_int / rng_s.uniform(600, 1800) + rng_s.uniform(0, 6.3)))
        gain_t = float(rng_s.uniform(0.97, 1.03)) * (1 + float(rng_s.uniform(-2e-4, 2e-4)) * temp)
        filt = signal.lfilter([1 - a_rc], [1.0, -a_rc], force_true * gain_t,
                              zi=[force_true[0] * gain_t[0] * a_rc])[0]
        tare = float(rng_s.normal(0.0, 0.4))
        c_off = float(rng_s.uniform(-0.15, 0.15))
        force = np.interp(t_smp, t_int, filt + c_off * temp) + tare
        force += float(rng_s.uniform(0.005, 0.08)) * rng_s.standard_normal(n_smp)
        if rng_s.random() < 0.4:  # popcorn noise: a bistable offset
            h_rtn = float(rng_s.uniform(0.01, 0.08))
            dwell = float(rng_s.uniform(2.0, 20.0))
            n_sw = int(rng_s.poisson(t_end / dwell)) + 1
            sw = np.sort(rng_s.uniform(0.0, t_end, n_sw))
            force += h_rtn * (np.searchsorted(sw, t_smp) % 2)
        if cfg.mains and rng_s.random() < 0.8:
            f_m = (50.0 if rng_s.random() < 0.7 else 60.0) * (1 + float(rng_s.normal(0, 3e-4)))
            amp = float(rng_s.uniform(0.02, 0.4))
            mod = 1 + 0.5 * np.sin(2 * np.pi * t_smp / rng_s.uniform(20, 200) + rng_s.uniform(0, 6))
            h3 = float(rng_s.uniform(0.1, 0.4))
            for harm, a_h in ((1, 1.0), (3, h3)):
                f_h = harm * f_m
                hgain = 1 / np.sqrt(1 + (f_h / fc) ** 2)
                hph = -np.arctan(f_h / fc)
                force += amp * a_h * hgain * mod * np.sin(2 * np.pi * f_h * t_smp + hph
                                                          + rng_s.uniform(0, 6.3))
            sens["mains_hz"] = f_m
            sens["mains_amp_n"] = amp
        n_sp = int(rng_s.poisson(cfg.spikes_per_min * t_end / 60.0))
        for i in rng_s.integers(0, n_smp, n_sp):
            width = int(rng_s.integers(1, 5))
            mag = float(rng_s.uniform(3.0, 60.0)) * (1 if rng_s.random() < 0.5 else -1)
            decay = float(rng_s.uniform(0.3, 0.7)) if rng_s.random() < 0.6 else 1.0
            idx = np.arange(i, min(i + width, n_smp))
            force[idx] += mag * decay ** np.arange(len(idx))
        peak = float(force_true.max())
        full_scale = (peak * float(rng_s.uniform(0.82, 0.96)) if rng_s.random() < cfg.clip_prob
                      else max(peak, 20.0) * float(rng_s.uniform(2.0, 5.0)))
        force = np.clip(force, -0.05 * full_scale, full_scale)
        step = float(rng_s.uniform(0.002, 0.05))
        force = np.round(force / step) * step
        sens.update({"antialias_hz": fc, "tare_n": tare, "full_scale_n": full_scale,
                     "quant_n": step, "spikes": n_sp})

    has_stretch = cfg.has_stretch if cfg.has_stretch is not None else rng.random() < 0.5
    stretch: np.ndarray | None = None
    if has_stretch:
        e_smp = np.interp(t_smp, t_int, e_tot)
        if clean:
            stretch = e_smp
        else:
            drum = float(rng_s.uniform(50.0, 100.0))
            x = (e_smp * float(rng_s.uniform(0.96, 1.04)) + float(rng_s.normal(0.0, 2.0))
                 + float(rng_s.uniform(0.1, 0.4)) * np.sin(2 * np.pi * e_smp / drum))
            x = _play(x, float(rng_s.uniform(0.2, 1.2)))
            x += float(rng_s.uniform(0.02, 0.15)) * rng_s.standard_normal(n_smp)
            for i in rng_s.integers(0, n_smp, int(rng_s.poisson(0.3 * t_end / 60.0))):
                x[i:i + int(rng_s.integers(1, 3))] *= float(rng_s.uniform(0.0, 0.5))
            q_mm = float(rng_s.choice([0.1, 0.15, 0.25]))
            stretch = np.round(x / q_mm) * q_mm

    # ---------------------------------------------------------- link and time stamps
    if cfg.time_offset_s is not None:
        offset = float(cfg.time_offset_s)
    else:
        u = rng_l.random()
        offset = (float(rng_l.uniform(0.2, 5.0)) if u < 0.2 else
                  float(rng_l.uniform(50.0, 40000.0)) if u < 0.7 else
                  float(rng_l.uniform(1.70e9, 1.76e9)))
    frame_n = max(1, round(rate * float(rng_l.uniform(0.03, 0.1))))
    n_frames = int(np.ceil(n_smp / frame_n))
    frame_of = np.arange(n_smp) // frame_n
    lost = np.zeros(n_frames, dtype=bool)
    if not clean:
        if cfg.frame_loss:
            lost |= _gilbert_elliott(rng_l, n_frames)
        n_dc = int(rng_l.poisson(cfg.disconnects_per_min * t_end / 60.0))
        for _ in range(n_dc):
            a = float(rng_l.uniform(0.0, t_end))
            b = a + float(rng_l.uniform(0.8, 4.0))
            f_t = t_smp[np.minimum(np.arange(n_frames) * frame_n + frame_n - 1, n_smp - 1)]
            lost |= (f_t >= a) & (f_t <= b)
    keep = ~lost[frame_of]
    if clean or not cfg.jitter:
        stamps = t_smp + offset
    else:
        conn = float(rng_l.uniform(0.0075, min(0.05, frame_n / rate)))
        last_idx = np.minimum(np.arange(n_frames) * frame_n + frame_n - 1, n_smp - 1)
        send = t_smp[last_idx]
        retries = rng_l.geometric(1 - float(rng_l.uniform(0.02, 0.15)), n_frames) - 1
        # delivered at the next connection event (the phase drifts with the clock error)
        phi = float(rng_l.uniform(0.0, conn))
        event = phi + conn * np.ceil((send - phi) / conn)
        lat = (event - send + retries * conn
               + rng_l.exponential(float(rng_l.uniform(0.0005, 0.004)), n_frames))
        recv = np.flatnonzero(~lost)
        arr = send[recv] + lat[recv]
        gap_min = 0.0003
        j = np.arange(len(arr)) * gap_min
        arr = np.maximum.accumulate(arr - j) + j  # FIFO: a late frame delays those behind it
        if rng_l.random() < 0.3:
            arr = np.floor(arr * 1000.0) / 1000.0  # a 1 ms host clock
        # the host back-dates a frame's samples at the nominal rate from its arrival, but
        # never before the previous frame's arrival: a late frame followed by a prompt one
        # gets its samples squeezed in between (a burst of short intervals)
        k_in = np.minimum((recv + 1) * frame_n, n_smp) - recv * frame_n
        prev = np.concatenate([[-np.inf], arr[:-1]])
        first = np.minimum(np.maximum(arr - (k_in - 1) / rate, prev + 1e-4), arr)
        arrival = np.full(n_frames, np.nan)
        first_t = np.full(n_frames, np.nan)
        arrival[recv] = arr
        first_t[recv] = first
        k_all = np.ones(n_frames)
        k_all[recv] = k_in
        pos_in = np.arange(n_smp) - frame_of * frame_n
        frac = pos_in / np.maximum(k_all[frame_of] - 1, 1)
        stamps = first_t[frame_of] + frac * (arrival[frame_of] - first_t[frame_of])
        stamps = stamps - float(np.median(lat[recv])) + offset
    time_s = stamps[keep]
    time_s = np.maximum.accumulate(time_s)
    force_out = force[keep]
    stretch_out = stretch[keep] if stretch is not None else None

    gaps = []
    miss = np.flatnonzero(~keep)
    if len(miss):
        br = np.flatnonzero(np.diff(miss) > 1)
        for a, b in zip(np.concatenate([[0], br + 1]), np.concatenate([br, [len(miss) - 1]]),
                        strict=True):
            gaps.append({"start_s": float(t_smp[miss[a]] + offset),
                         "end_s": float(t_smp[miss[b]] + offset),
                         "samples": int(miss[b] - miss[a] + 1)})

    # ---------------------------------------------------------- truth
    def sh(x: float) -> float:
        return float(x) + offset

    f_at = lambda x: float(np.interp(x, t_int, force_true))  # noqa: E731
    reps_sorted = sorted(plan.reps, key=lambda r: r["start_s"])
    reps = []
    for i, r in enumerate(reps_sorted):
        reps.append({
            "index": i, "set": int(r["set"]),
            "start_s": sh(r["start_s"]), "top_start_s": sh(r["top_start_s"]),
            "top_end_s": sh(r["top_end_s"]), "end_s": sh(r["end_s"]),
            "concentric_s": float(r["concentric_s"]), "pause_s": float(r["pause_s"]),
            "eccentric_s": float(r["eccentric_s"]), "partial": bool(r["partial"]),
            "range_mm": float(r["range_mm"]), "peak_force_n": f_at(r["top_start_s"]),
            "floor_start_mm": float(r["floor_start_mm"]),
            "floor_end_mm": float(r["floor_end_mm"]), "side": r["side"],
            "concentric_profile": r["concentric_profile"],
            "eccentric_profile": r["eccentric_profile"],
        })
    sets = []
    for s in plan.sets:
        sets.append({**s, "start_s": sh(s["start_s"]), "end_s": sh(s["end_s"]),
                     "pre_tension_n": f_at(max(s["start_s"] - 0.5, 0.0))})
    holds = []
    for hd in plan.holds:
        sel = (t_int >= hd["top_start_s"]) & (t_int <= hd["top_end_s"])
        holds.append({
            "set": int(hd["set"]), "start_s": sh(hd["start_s"]), "end_s": sh(hd["end_s"]),
            "duration_s": float(hd["top_end_s"] - hd["top_start_s"]),
            "top_start_s": sh(hd["top_start_s"]), "top_end_s": sh(hd["top_end_s"]),
            "mean_force_n": float(force_true[sel].mean()), "side": hd["side"],
            "range_mm": float(hd["range_mm"]), "breaths": int(hd["breaths"]),
        })
    fidgets = [{**f, "start_s": sh(f["start_s"]), "end_s": sh(f["end_s"])}
               for f in sorted(plan.fidgets, key=lambda f: f["start_s"])]
    truth = {
        "sets": sets, "reps": reps, "holds": holds, "fidgets": fidgets, "gaps": gaps,
        "metadata": {
            "model": "gen_model_e", "seed": seed, "rate_hz": rate, "time_offset_s": offset,
            "duration_s": t_end, "exercises": exercises, "has_stretch": has_stretch,
            "clean": clean, "frame_samples": frame_n, "samples_sent": n_smp,
            "sensor": sens, **meta,
        },
    }
    return Generated(time_s=np.asarray(time_s, dtype=np.float64),
                     force_n=np.asarray(force_out, dtype=np.float64),
                     stretch_mm=None if stretch_out is None else np.asarray(stretch_out,
                                                                             dtype=np.float64),
                     truth=truth)

