"""A seventh, independent band-and-movement model (gen_model_g): a simulated neuromuscular joint.

Written WITHOUT looking at how bandsense analyses a recording. Read for it: the seed text
(``/work/shared/seeds/glute-exercises-for-lower-back-pain.txt``), ``analysis/scoring.py``,
``firmware_sim/truth.py``, the module docstrings of ``gen_model.py`` and ``gen_model_c.py``
to ``gen_model_f.py`` (to choose different modelling) and the public interface and truth
layout of ``gen_model_f.py``. It was never run against the analysis nor tuned to it.

Where the other generators draw a *closed-form* position or velocity profile per phase,
here no phase has a prescribed shape: the movement is the solution of an ODE.

- movement: a normalised joint coordinate ``q`` (0 = rest, 1 = the person's full range)
  with inertia, driven by a Hill-type muscle against the band and gravity:
  ``q'' = A (C a fL(q) fV(q') - L(q) - b q' - friction)``. ``a`` is the activation, a
  first-order activation/deactivation ODE (Thelen form, tau 10-20 ms up, 35-65 ms down)
  from the neural excitation ``u``; ``fL`` a Gaussian force-length curve (the glute is
  weaker at end range), ``fV`` a Hill force-velocity curve with eccentric enhancement
  (1.3-1.8); ``L(q)`` the band torque (from the band law and the geometry) plus gravity;
  ``C`` the capacity left by a two-compartment fatigue model (fast and slow fatigue
  driven by ``a^2``, recovering with 30-90 s and 5-15 min time constants). The person
  controls ``u`` with an internal-model feedforward (holding torque with a 0-15 % model
  error, inverse dynamics, ignorant of its own fatigue) plus *delayed* (25-45 ms)
  proprioceptive PD feedback, with multiplicative (signal-dependent) low-pass motor noise,
  saturating at 0 and 1. The intention is a sum of sub-movement commands (minimum-jerk,
  time-warped "exhale bursts", two pushes, stepped lowering). Stops are *finite-time*: when
  a command ends the person locks the joint (co-contraction modelled as a Coulomb/static
  friction that engages with tau 50-150 ms and releases with tau 15-40 ms when the next
  command starts); a full release ends on the floor contact (the knee or the hips land,
  an inelastic contact). So velocity profiles, overshoots, the electromechanical delay at
  a start, slow creeping arrivals under fatigue, all *emerge*. In sets to failure (side-
  lying hip ER) the range shrinks and the concentric slows by itself when the fatigued
  capacity no longer holds the end of the range; the person then makes 1-3 failed attempts
  (aborted at 12-38 % of the range) and stops. Some people *count out loud*: every phase
  and rest is a whole number of their count (0.7-1.1 s); others are free (log-normal).
  Some sets keep a little tension at the bottom (the lowering stops on a lock, not on the
  contact). Ordinary sets have a few % aborted reps. At the top: tremor (a 7-11 Hz
  resonator, more with fatigue) windowed inside the plateau; holds (table-top reach) last
  3-7 balloon breaths (inhale 1.5-3 s, exhale 3-6 s), with a breathing waveform, postural
  sway and a fatigue sag, all tapered to zero at the plateau's ends.
- band: latex threads as a Mooney-Rivlin solid in uniaxial tension, in about half the
  bands inside a knitted fabric sleeve (hip-circle band) that *locks up* (a softplus
  stiffening onset at 50-90 % of the range); the entropic modulus follows the band's
  temperature (warming from the room towards the skin over 3-8 min: +2-5 %); Mullins
  softening below a decaying memory of the maximum elongation (virgin response beyond it,
  the memory fades over 2-8 min, so the first rep after a long rest is stiffer); linear
  viscoelasticity with a Tobolsky box relaxation spectrum (6 log-spaced Prony terms between
  0.03-0.1 s and 10-60 s). Slack (zero force) for elongation <= 0.
- force sensor: a strain-gauge bridge on a sigma-delta ADC whose output is the sinc^3
  decimation filter (a quadratic B-spline average over three output periods, group delay
  1.5 periods, compensated in the time stamps by half the devices); gain error; offset
  warm-up plus an integrated Ornstein-Uhlenbeck drift; EMI bursts *before* the filter (they
  come out as 2-3 sample bumps) and SPI read glitches after it (isolated outliers: a high
  bit flipped, or a saturated code); white noise; the firmware's unit (0.01 N, 1 g or 10 g).
- link and time axis: the ADC's data-ready instants run on the device crystal (+-150 ppm);
  the MCU reads each sample after an interrupt latency (exponential, sometimes blocked by
  the radio for 1-12 ms: a read later than the next data-ready loses that sample) and
  stamps it with its millisecond counter (so stamps are irregular, on whole ms). The host
  maps the counter to its clock with an online skew estimator (converging from the crystal
  error, then wandering a few tens of ppm). Samples queue in a ring buffer (64-256
  samples) drained by BLE notifications; radio stalls (lognormal 0.05-1.5 s) overflow the
  buffer and lose the *oldest* samples; disconnects (1-5 s) lose everything and give a
  small re-synchronisation step. The axis starts at an offset (0, an uptime or an epoch).
- stretch (about half the recordings): ultrasonic ranging between pods on the two knees
  (its own 20-50 Hz ping clock, zero-order held onto the force samples): the elongation is
  derived from the knee separation and calibrated once at power-on, so it follows the
  movement but *not* later pre-tension changes (re-adjusting the band); speed-of-sound
  gain error drifting with temperature, noise, 0.25 mm steps, echo drop-outs (the last
  value repeats) and multipath outliers (one ping reads 20-60 mm long).
- session: 2-4 of the four seed exercises in random order (the hold in about 70 %):
  side-lying hip ER to failure, single-leg bridge ~10 with a pause at the top, table-top
  reach holds, table-top hip ER ~10 with a brief pause; 1-3 sets a side (sides blocked or
  alternating), sessions of about 9-20 min; rests of 12-75 s (30-110 s between exercises).
  Fidgets in rests (never within 1.5 s of a set): ``tug`` (a quick pull of the band by
  hand, 1-2 pulls), ``flutter`` (knees bouncing at 1.5-3.5 Hz), ``settle`` (a shift of the
  hips: new pre-tension), ``readjust`` (the band slid off to slack and pulled back on: new
  pre-tension), ``turn`` (turning over / changing exercise: irregular pulls, new
  pre-tension), plus slow postural drift in all rests.

Truth conventions (times on the recording's own axis: the physical time mapped through
the host's clock map, i.e. ``metadata["time_offset_s"]`` plus the skew-estimator error;
recorded stamps add the read latency, the whole-ms counter and, when uncompensated, the
filter's group delay): a rep's ``start_s`` is the breakaway (the joint starts to move),
``top_start_s`` the instant it stops at the top (locks: velocity zero), ``top_end_s`` the
breakaway from the top, ``end_s`` the stop at the bottom (contact or lock); for reps that
turn without stopping ``top_start_s == top_end_s`` is the reversal (velocity zero).
``range_mm`` is the displacement (elongation above the pre-stretch) at the top minus that
at ``start_s``; ``floor_start_mm``/``floor_end_mm`` the displacements at start and end.
Partial reps (range under half the median range of the full reps of their set) are in
``reps`` with ``partial`` True and not counted in ``rep_count``. Hold sets have ``kind``
"hold", ``rep_count`` 0 and their hold only in ``holds`` (``duration_s = top_end_s -
top_start_s``). Sets are >= 10 s apart; reps of a set < 3 s apart. Fidgets have ``kind``,
``start_s``, ``end_s`` and ``amplitude_mm``. Gaps list the first and last *missing*
sample times (on the truth axis) and their number; ``link_drops`` the disconnects.

``GenConfig.extra``: ``clean`` (ideal sensor and link: instantaneous exact samples at the
configured rate on a uniform axis, no filter, drift, noise, glitches, quantisation,
losses or latency; the stretch is the exact band elongation), ``still`` (no tremor,
breathing, sway, rest drift or motor noise), ``ideal_band`` (Mooney-Rivlin only: no knit,
temperature, Mullins or viscoelasticity), ``no_fidgets``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal

FS = 400.0  # internal grid of the physics and of the movement ODE (Hz)
DT = 1.0 / FS


@dataclass(frozen=True)
class _Exercise:
    name: str
    kind: str  # "reps" or "hold"
    range_mm: tuple[float, float]
    conc_s: tuple[float, float]
    pause_s: tuple[float, float]
    ecc_s: tuple[float, float]
    effort: tuple[float, float]  # holding need at the top / fresh capacity
    gravity: float  # share of the load from gravity
    no_pause_p: float = 0.0
    failure: bool = False
    reps: int = 10


EXERCISES: dict[str, _Exercise] = {
    "sidelying_hip_er": _Exercise("sidelying_hip_er", "reps", (110.0, 240.0), (0.7, 1.2),
                                  (0.15, 0.5), (0.9, 1.6), (0.75, 0.92), 0.15,
                                  no_pause_p=0.6, failure=True, reps=0),
    "single_leg_bridge": _Exercise("single_leg_bridge", "reps", (40.0, 110.0), (0.9, 1.5),
                                   (0.6, 1.8), (1.1, 2.0), (0.35, 0.6), 0.35),
    "table_top_reach": _Exercise("table_top_reach", "hold", (70.0, 180.0), (1.2, 2.2),
                                 (0.0, 0.0), (1.0, 2.0), (0.3, 0.5), 0.2),
    "table_top_hip_er": _Exercise("table_top_hip_er", "reps", (90.0, 200.0), (0.8, 1.3),
                                  (0.3, 1.4), (0.9, 1.7), (0.35, 0.6), 0.25,
                                  no_pause_p=0.1),
}


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 70 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    stalls_per_min: float = 1.5  # radio stalls (buffer overflow when long)
    disconnects_per_min: float = 0.06  # link drops of 1-5 s
    glitches_per_min: float = 0.8  # SPI read glitches (isolated outliers)
    emi_per_min: float = 0.5  # EMI bursts before the decimation filter
    time_offset_s: float | None = None  # None: random (0, an uptime or an epoch)
    # extra: "clean", "still", "ideal_band", "no_fidgets" (see the module docstring)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


# ------------------------------------------------------------------------ the person


@dataclass
class _Person:
    tempo: float
    counting: bool
    count_s: float
    conc_w: np.ndarray  # minjerk, burst, twopush
    ecc_w: np.ndarray  # minjerk, brake, stepped
    accel: float  # A: max torque / inertia (1/s^2)
    tau_act: float
    tau_deact: float
    v_max: float
    kappa: float
    f_ecc: float
    kappa_e: float
    ecc_trust: float  # how much of the eccentric enhancement the internal model expects
    q_opt: float
    w_len: float
    damping: float
    kp: float
    kd: float
    delay_steps: int
    motor_noise: float
    mu_lock: float
    tau_eng: float
    tau_rel: float
    fat_fast: float
    tau_fast: float
    fat_slow: float
    tau_slow: float
    model_err: float
    shrink: float  # behavioural range loss per unit of fatigue
    slow: float  # behavioural slowing per unit of fatigue
    tremor_hz: float
    tremor_mm: float


def _person(rng: np.random.Generator, still: bool) -> _Person:
    return _Person(
        tempo=float(rng.lognormal(0.0, 0.18)),
        counting=bool(rng.random() < 0.35),
        count_s=float(rng.uniform(0.7, 1.1)),
        conc_w=rng.dirichlet([2.0, 1.2, 0.8]),
        ecc_w=rng.dirichlet([2.0, 1.2, 0.8]),
        accel=float(rng.uniform(60.0, 140.0)),
        tau_act=float(rng.uniform(0.010, 0.020)),
        tau_deact=float(rng.uniform(0.035, 0.065)),
        v_max=float(rng.uniform(8.0, 15.0)),
        kappa=float(rng.uniform(0.2, 0.35)),
        f_ecc=float(rng.uniform(1.3, 1.8)),
        kappa_e=float(rng.uniform(0.05, 0.15)),
        ecc_trust=float(rng.uniform(0.0, 0.4)),
        q_opt=float(rng.uniform(-0.2, 0.3)),
        w_len=float(rng.uniform(1.2, 1.8)),
        damping=float(rng.uniform(0.02, 0.06)),
        kp=float(rng.uniform(1.5, 3.0)),
        kd=float(rng.uniform(0.15, 0.35)),
        delay_steps=round(rng.uniform(0.02, 0.035) * FS),
        motor_noise=0.0 if still else float(rng.uniform(0.03, 0.08)),
        mu_lock=float(rng.uniform(0.1, 0.22)),
        tau_eng=float(rng.uniform(0.05, 0.15)),
        tau_rel=float(rng.uniform(0.015, 0.04)),
        fat_fast=float(rng.uniform(0.016, 0.032)),
        tau_fast=float(rng.uniform(30.0, 90.0)),
        fat_slow=float(rng.uniform(0.0003, 0.001)),
        tau_slow=float(rng.uniform(300.0, 900.0)),
        model_err=float(rng.uniform(-0.15, 0.15)),
        shrink=float(rng.uniform(0.2, 0.6)),
        slow=float(rng.uniform(0.6, 1.6)),
        tremor_hz=float(rng.uniform(7.0, 11.0)),
        tremor_mm=0.0 if still else float(rng.uniform(0.08, 0.4)),
    )


# ------------------------------------------------------------------------ band law


@dataclass
class _Band:
    k: float  # initial stiffness (N/mm)
    length: float  # loop length (mm)
    r01: float  # Mooney-Rivlin C01/C10
    knit: bool
    knit_k: float
    knit_w: float
    knit_at: float  # lock-up elongation (mm)
    temp_gain: float  # relative modulus rise when warm
    tau_temp: float
    mullins: float
    mullins_p: float
    tau_memory: float
    visc: float
    tau_lo: float
    tau_hi: float


def _band(rng: np.random.Generator, pre: float, s_typ: float) -> _Band:
    return _Band(
        k=float(rng.uniform(0.12, 0.45)), length=float(rng.uniform(250.0, 420.0)),
        r01=float(rng.uniform(0.05, 0.3)), knit=bool(rng.random() < 0.5),
        knit_k=float(rng.uniform(0.4, 1.2)), knit_w=float(rng.uniform(8.0, 25.0)),
        knit_at=pre + float(rng.uniform(0.5, 0.9)) * s_typ,
        temp_gain=float(rng.uniform(0.02, 0.05)), tau_temp=float(rng.uniform(180.0, 480.0)),
        mullins=float(rng.uniform(0.05, 0.15)), mullins_p=float(rng.uniform(0.5, 1.0)),
        tau_memory=float(rng.uniform(120.0, 480.0)), visc=float(rng.uniform(0.06, 0.18)),
        tau_lo=float(rng.uniform(0.03, 0.1)), tau_hi=float(rng.uniform(10.0, 60.0)),
    )


def _mooney(e: np.ndarray, band: _Band) -> np.ndarray:
    lam = 1.0 + np.maximum(e, 0.0) / band.length
    f = band.k * band.length / 3.0 * (lam - lam ** -2) * (1.0 + band.r01 / lam) / (1.0 + band.r01)
    out: np.ndarray = np.where(e > 0.0, f, 0.0)
    return out


def _elastic(e: np.ndarray, band: _Band, ideal: bool) -> np.ndarray:
    f = _mooney(e, band)
    if band.knit and not ideal:
        z = (e - band.knit_at) / band.knit_w
        f = f + band.knit_k * band.k * band.knit_w * np.logaddexp(0.0, z) * (e > 0.0)
    return f


def _band_force(e: np.ndarray, band: _Band, ideal: bool) -> np.ndarray:
    f = _elastic(e, band, ideal)
    if ideal:
        return f
    n = len(e)
    t = np.arange(n) * DT
    f = f * (1.0 + band.temp_gain * (1.0 - np.exp(-t / band.tau_temp)))
    # Mullins: softened below a fading memory of the maximum elongation (log-domain scan)
    ep = np.maximum(e, 1e-3)
    kdec = 1.0 / (band.tau_memory * FS)
    idx = np.arange(n)
    mem = np.exp(np.maximum.accumulate(np.log(ep) + idx * kdec) - idx * kdec)
    below = np.clip((mem - ep) / np.maximum(mem, 1.0), 0.0, 1.0) ** band.mullins_p
    f = f * (1.0 - band.mullins * below * (e > 0.0))
    # box relaxation spectrum: 6 log-spaced Prony terms on the elastic force
    taus = np.geomspace(band.tau_lo, band.tau_hi, 6)
    extra = np.zeros(n)
    for tau in taus:
        alpha = math.exp(-DT / tau)
        low = signal.lfilter([1.0 - alpha], [1.0, -alpha], f, zi=[alpha * f[0]])[0]
        extra += (band.visc / 6.0) * (f - low)
    out: np.ndarray = np.maximum(f + extra, 0.0)
    return out


# ------------------------------------------------------------------------ commands


def _minjerk(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    out: np.ndarray = u ** 3 * (10.0 - 15.0 * u + 6.0 * u * u)
    return out


@dataclass
class _Sub:
    t0: float  # relative to the segment's command start
    dur: float
    amp: float
    warp: float = 1.0  # time warp exponent (burst < 1 < brake)


def _reference(subs: list[_Sub], q0: float, n: int) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
    t = np.arange(n) * DT
    q = np.full(n, q0)
    for s in subs:
        u = np.clip((t - s.t0) / s.dur, 0.0, 1.0)
        q = q + s.amp * _minjerk(u ** s.warp)
    v = np.gradient(q, DT)
    a = np.gradient(v, DT)
    return q, v, a


def _command(rng: np.random.Generator, w: np.ndarray, up: bool, dur: float, amp: float,
             t0: float = 0.0) -> list[_Sub]:
    fam = int(rng.choice(3, p=w))
    if fam == 0:
        return [_Sub(t0, dur, amp)]
    if fam == 1:  # up: an exhale burst (early peak); down: let go then brake (late peak)
        warp = float(rng.uniform(0.6, 0.85)) if up else float(rng.uniform(1.2, 1.6))
        return [_Sub(t0, dur, amp, warp)]
    first = float(rng.uniform(0.45, 0.7))  # two pushes / stepped lowering, overlapping
    d1 = dur * float(rng.uniform(0.5, 0.65))
    d2 = dur - d1 * float(rng.uniform(0.45, 0.7))
    return [_Sub(t0, d1, amp * first), _Sub(t0 + dur - d2, d2, amp * (1.0 - first))]


# ------------------------------------------------------------------------ the joint ODE


@dataclass
class _Load:
    table: np.ndarray  # L(q) on the grid
    fl: np.ndarray  # force-length on the grid
    q_lo: float = -0.3
    q_hi: float = 1.5

    def at(self, arr: np.ndarray, q: float) -> float:
        x = (q - self.q_lo) / (self.q_hi - self.q_lo) * (len(arr) - 1)
        i = min(max(int(x), 0), len(arr) - 2)
        f = x - i
        return float(arr[i] + f * (arr[i + 1] - arr[i]))


@dataclass
class _Joint:
    q: float = 0.0
    a: float = 0.0
    phi_f: float = 0.0
    phi_s: float = 0.0
    contact: bool = True  # resting on the floor contact (else locked)

    def rest(self, person: _Person, dur: float, a_hold: float | None = None) -> None:
        """Fatigue over a still interval (holding ``a_hold``, or relaxed)."""
        a2 = 0.0 if a_hold is None else a_hold * a_hold
        for attr, rate, tau in (("phi_f", person.fat_fast, person.tau_fast),
                                ("phi_s", person.fat_slow, person.tau_slow)):
            eq = rate * a2 * tau
            val = getattr(self, attr)
            setattr(self, attr, eq + (val - eq) * math.exp(-dur / tau))

    @property
    def capacity(self) -> float:
        return max(1.0 - self.phi_f - self.phi_s, 0.2)


@dataclass
class _Seg:
    k0: int  # grid index of the command start
    q: np.ndarray  # positions from k0 on
    t_break: float | None = None
    t_turn: float | None = None
    q_turn: float = 0.0
    q_break: float = 0.0
    t_stop: float | None = None


def _simulate(person: _Person, load: _Load, joint: _Joint, k0: int, subs: list[_Sub],
              turn_from: float | None, to_contact: bool, noise: np.ndarray) -> _Seg:
    """Run the joint from rest under a command; stop when it is at rest again."""
    cmd_end = max(s.t0 + s.dur for s in subs)
    n_cmd = math.ceil(cmd_end * FS) + 1
    n_max = n_cmd + int(3.0 * FS)
    q_r, v_r, a_r = _reference(subs, joint.q, n_cmd)
    t_rel = np.arange(n_max) * DT
    mu = np.where(t_rel < cmd_end, person.mu_lock * np.exp(-t_rel / person.tau_rel),
                  person.mu_lock * (1.0 - np.exp(-(t_rel - cmd_end) / person.tau_eng)))
    mu_l = mu.tolist()
    qr_l, vr_l, ar_l = q_r.tolist(), v_r.tolist(), a_r.tolist()
    nz = noise.tolist()
    p = person
    tab, fl_tab = load.table, load.fl
    lo, span = load.q_lo, (len(tab) - 1) / (load.q_hi - load.q_lo)
    top_i = len(tab) - 2
    A, dt, b = p.accel, DT, p.damping
    vmax, kap, fe, ke = p.v_max, p.kappa, p.f_ecc, p.kappa_e
    trust = (fe - 1.0) * p.ecc_trust
    kp, kd, nd = p.kp, p.kd, max(p.delay_steps, 1)
    c_est = 1.0 - 0.4 * (joint.phi_f + joint.phi_s)
    err = 1.0 + p.model_err
    q, v, a = joint.q, 0.0, joint.a
    phi_f, phi_s = joint.phi_f, joint.phi_s
    ff_dt, fs_dt = p.fat_fast * dt, p.fat_slow * dt
    rf, rs = dt / p.tau_fast, dt / p.tau_slow
    hist_q = [q] * nd
    hist_v = [0.0] * nd
    out = [q]
    stuck = True
    seg = _Seg(k0, np.empty(0))
    turn_i = -1 if turn_from is None else int(turn_from * FS)
    rising = subs[0].amp > 0.0
    if rising and not joint.contact:  # pre-activates to hold the floor before unlocking
        need = load.at(load.table, joint.q) / max(joint.capacity * load.at(load.fl, joint.q),
                                                  0.05)
        joint.a = max(joint.a, min(need, 1.0))
    prev_excess = -1.0
    last = n_cmd - 1
    for i in range(n_max):
        j = i if i <= last else last
        qr, vr, ar = qr_l[j], vr_l[j], ar_l[j]
        # internal model: static load, force-length and force-velocity at the reference
        x = (qr - lo) * span
        ii = min(max(int(x), 0), top_i)
        fr_ = x - ii
        lr = tab[ii] + fr_ * (tab[ii + 1] - tab[ii])
        flr = fl_tab[ii] + fr_ * (fl_tab[ii + 1] - fl_tab[ii])
        vn = vr / vmax
        fvr = (1.0 - vn) / (1.0 + vn / kap) if vn >= 0.0 else 1.0 + trust * (-vn) / (
            -vn + ke)
        den = c_est * flr * max(fvr, 0.2)
        u_ff = (lr * err + ar / A + b * vr) / max(den, 0.05)
        qd, vd = hist_q[i % nd], hist_v[i % nd]
        u = (u_ff + kp * (qr - qd) + kd * (vr - vd)) * (1.0 + nz[i])
        u = 0.0 if u < 0.0 else (1.0 if u > 1.0 else u)
        tau = p.tau_act * (0.5 + 1.5 * a) if u > a else p.tau_deact / (0.5 + 1.5 * a)
        a += (u - a) * dt / (tau + dt)
        phi_f += ff_dt * a * a - rf * phi_f
        phi_s += fs_dt * a * a - rs * phi_s
        cap = 1.0 - phi_f - phi_s
        cap = 0.2 if cap < 0.2 else cap
        # the joint
        x = (q - lo) * span
        ii = min(max(int(x), 0), top_i)
        fr_ = x - ii
        lq = tab[ii] + fr_ * (tab[ii + 1] - tab[ii])
        flq = fl_tab[ii] + fr_ * (fl_tab[ii + 1] - fl_tab[ii])
        vn = v / vmax
        fv = (1.0 - vn) / (1.0 + vn / kap) if vn >= 0.0 else 1.0 + (fe - 1.0) * (-vn) / (
            -vn + ke)
        fv = 0.0 if fv < 0.0 else fv
        tq = cap * a * flq * fv - lq - b * v
        m = mu_l[i]
        if stuck:
            excess = abs(tq) - m
            if (joint.contact or rising) and tq <= 0.0:  # held until it pushes up
                excess = -1.0
            if excess > 0.0 and i > 0:
                stuck = False
                joint.contact = False
                if seg.t_break is None:
                    frac = -prev_excess / (excess - prev_excess) if prev_excess < 0.0 else 1.0
                    seg.t_break = (k0 + i - 1 + frac) * dt
                    seg.q_break = q
            prev_excess = excess
        if not stuck:
            v_free = v + dt * A * tq
            fr = dt * A * m
            if abs(v_free) <= fr and i >= n_cmd - 1:
                v_new = 0.0
                stuck = True
                seg.t_stop = (k0 + i) * dt
            elif abs(v_free) <= fr:
                v_new = 0.0
            else:
                v_new = v_free - fr if v_free > 0.0 else v_free + fr
            if turn_i >= 0 and i >= turn_i and seg.t_turn is None and v > 0.0 >= v_new:
                seg.t_turn = (k0 + i) * dt
                seg.q_turn = q
            v = v_new
            q_new = q + dt * v
            if q_new < 0.0 and v < 0.0:  # the floor contact (always there)
                frac = q / (q - q_new)
                if not rising or i >= n_cmd - 1 or seg.t_turn is not None:
                    seg.t_stop = (k0 + i + frac) * dt  # back at rest
                else:
                    seg.t_break = None  # fell back early: a twitch, not the start
                    prev_excess = -1.0
                q_new, v = 0.0, 0.0
                stuck = True
                joint.contact = True
            q = q_new
        hist_q[i % nd] = q
        hist_v[i % nd] = v
        out.append(q)
        if seg.t_stop is not None:
            break
        if seg.t_break is None and i > n_cmd + int(1.0 * FS):
            break  # it never moved (too weak): the attempt is given up
    if seg.t_break is not None and seg.t_stop is None:  # safety: it settles at the end
        seg.t_stop = (k0 + len(out) - 1) * dt
    joint.q, joint.a, joint.phi_f, joint.phi_s = q, a, phi_f, phi_s
    seg.q = np.asarray(out)
    return seg


# ------------------------------------------------------------------------ planning


@dataclass
class _Rep:
    t0: float
    t1: float
    t2: float
    t3: float
    q0: float
    q_top: float
    q1: float
    partial: bool


@dataclass
class _Set:
    index: int
    exercise: str
    kind: str
    side: str
    to_failure: bool
    scale_mm: float
    shape: float
    reps: list[_Rep] = field(default_factory=list)
    segs: list[_Seg] = field(default_factory=list)
    hold_breaths: list[tuple[float, float]] = field(default_factory=list)

    def disp(self, q: np.ndarray | float) -> np.ndarray:
        qa = np.asarray(q, dtype=float)
        out: np.ndarray = self.scale_mm * qa * (1.0 + self.shape * (1.0 - qa))
        return out

    @property
    def start(self) -> float:
        return self.reps[0].t0

    @property
    def end(self) -> float:
        return self.reps[-1].t3


def _load_table(ex: _Exercise, person: _Person, band: _Band, pre: float, s_mm: float,
                shape: float, effort: float, ideal: bool) -> _Load:
    qg = np.linspace(-0.3, 1.5, 361)
    h = qg * (1.0 + shape * (1.0 - qg))
    dh = 1.0 + shape * (1.0 - 2.0 * qg)
    fl = np.exp(-(((qg - person.q_opt) / person.w_len) ** 2))
    band_t = _elastic(pre + s_mm * h, band, ideal) * dh
    f_top = float(np.interp(1.0, qg, band_t))
    fl_top = float(np.interp(1.0, qg, fl))
    l_top = effort * fl_top  # the load at the top: ``effort`` of the fresh capacity there
    grav = ex.gravity * l_top * (1.0 - 0.3 * qg) / 0.7
    table = (1.0 - ex.gravity) * l_top * band_t / max(f_top, 1e-6) + grav
    return _Load(table=table, fl=fl)


def _dur(rng: np.random.Generator, person: _Person, lo: float, hi: float, slow: float,
         whole: bool = True) -> float:
    d = float(rng.uniform(lo, hi)) * person.tempo * slow * float(rng.lognormal(0.0, 0.08))
    if person.counting and whole:
        d = max(1, round(d / person.count_s)) * person.count_s * float(rng.normal(1.0, 0.04))
    return d


def _noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    if sigma <= 0.0:
        return np.zeros(n)
    w = rng.standard_normal(n + 64)
    bb, aa = signal.butter(1, 6.0 / (FS / 2))
    y = signal.lfilter(bb, aa, w)[64:]
    out: np.ndarray = sigma * y / max(float(np.std(y)), 1e-9)
    return out


def _run_set(rng: np.random.Generator, person: _Person, ex: _Exercise, st: _Set,
             load: _Load, joint: _Joint, t_start: float, partial_prob: float) -> None:
    """Simulate every rep (or the hold) of a set from its first command at ``t_start``."""
    keep_floor = ex.kind == "reps" and rng.random() < 0.25
    floor_q = float(rng.uniform(0.05, 0.15)) if keep_floor else 0.0
    n_planned = ex.reps + int(rng.integers(-1, 2)) if ex.reps else 0
    no_pause = rng.random() < ex.no_pause_p
    t_cmd = t_start
    ranges: list[float] = []
    r_stop = float(rng.uniform(0.62, 0.8))
    attempts_left = -1
    max_reps = 24
    while True:
        phi = joint.phi_f + joint.phi_s
        slow = 1.0 + person.slow * phi
        k0 = math.ceil(t_cmd * FS)
        partial = False
        if ex.kind == "hold":
            target = 1.0 + float(rng.normal(0.0, 0.02))
        elif attempts_left > 0:
            partial = True
            target = joint.q + float(rng.uniform(0.15, 0.38)) * (np.median(ranges)
                                                                 / st.scale_mm)
        elif rng.random() < partial_prob and len(st.reps) >= 1:
            partial = True
            target = joint.q + float(rng.uniform(0.15, 0.38)) * (1.0 - joint.q)
        else:
            target = (1.0 - person.shrink * phi) * (1.0 + float(rng.normal(0.0, 0.03)))
        dc = _dur(rng, person, *ex.conc_s, slow)
        de = _dur(rng, person, *ex.ecc_s, slow)
        q0 = joint.q
        floor_t = floor_q if floor_q > 0.0 else -float(rng.uniform(0.003, 0.015))
        to_contact = floor_q <= 0.0
        up = _command(rng, person.conc_w, True, dc, target - q0)
        if ex.kind == "hold" or (not partial and not no_pause):
            seg = _simulate(person, load, joint, k0, up, None, False,
                            _noise(rng, int((dc + 4.0) * FS), person.motor_noise))
            if seg.t_break is None or seg.t_stop is None:
                break
            t1 = seg.t_stop
            q_top = joint.q
            st.segs.append(seg)
            if ex.kind == "hold":
                n_br = int(rng.integers(3, 8))
                settle = float(rng.uniform(0.5, 1.5))
                breaths = [(float(rng.uniform(1.5, 3.0)), float(rng.uniform(3.0, 6.0)))
                           for _ in range(n_br)]
                st.hold_breaths = breaths
                pause = settle + sum(a + b for a, b in breaths)
            else:
                pause = _dur(rng, person, *ex.pause_s, slow)
            a_hold = joint.a
            joint.rest(person, pause, a_hold)
            joint.a = a_hold
            k1 = math.ceil((t1 + pause) * FS)
            down = _command(rng, person.ecc_w, False, de, floor_t - q_top)
            seg2 = _simulate(person, load, joint, k1, down, None, to_contact,
                             _noise(rng, int((de + 4.0) * FS), person.motor_noise))
            if seg2.t_break is None or seg2.t_stop is None:
                break
            st.segs.append(seg2)
            rep = _Rep(seg.t_break, t1, seg2.t_break, seg2.t_stop, seg.q_break, q_top,
                       joint.q, partial)
        else:
            overlap = float(rng.uniform(0.0, 0.15))
            down = _command(rng, person.ecc_w, False, de, floor_t - target,
                            t0=dc * (1.0 - overlap))
            seg = _simulate(person, load, joint, k0, up + down, dc * 0.5, to_contact,
                            _noise(rng, int((dc + de + 4.0) * FS), person.motor_noise))
            if seg.t_break is None or seg.t_stop is None or seg.t_turn is None:
                break
            st.segs.append(seg)
            rep = _Rep(seg.t_break, seg.t_turn, seg.t_turn, seg.t_stop, seg.q_break,
                       seg.q_turn, joint.q, partial)
        rng_mm = float(st.disp(rep.q_top) - st.disp(rep.q0))
        typ = float(np.median(ranges)) if ranges else st.scale_mm
        if ex.kind == "reps" and rng_mm < 0.06 * typ:
            break  # it hardly moved: exhausted, the set is over (not a rep)
        st.reps.append(rep)
        if not partial:
            ranges.append(rng_mm)
        if ex.kind == "hold":
            break
        if not st.to_failure and not partial and len(ranges) > 3 and rng_mm < 0.6 * typ:
            break  # too tired to go on with this set
        # what next
        if attempts_left > 0:
            attempts_left -= 1
            if attempts_left == 0:
                break
        elif st.to_failure:
            typ = float(np.median(ranges[:3])) if ranges else rng_mm
            if (len(ranges) >= 4 and rng_mm < r_stop * typ) or len(ranges) >= max_reps:
                attempts_left = int(rng.choice([1, 2, 2, 3]))
        elif len(ranges) >= n_planned:
            break
        rest = _dur(rng, person, 0.25, 1.6, slow, whole=True)
        rest = min(rest, 2.0)
        if not to_contact:
            rest = min(rest, 1.2)
        if rest > 0.5 and to_contact:
            joint.a = min(joint.a, float(rng.uniform(0.02, 0.1)))
        joint.rest(person, rest, joint.a if not to_contact else None)
        t_cmd = rep.t3 + rest


def _choose_exercises(rng: np.random.Generator, cfg: GenConfig) -> list[str]:
    n = cfg.exercises if cfg.exercises is not None else int(rng.choice([2, 3, 3, 4]))
    hold = cfg.hold_exercise if cfg.hold_exercise is not None else bool(rng.random() < 0.7)
    others = ["sidelying_hip_er", "single_leg_bridge", "table_top_hip_er"]
    chosen = list(rng.choice(others, size=min(n - int(hold), 3), replace=False))
    if hold:
        chosen.append("table_top_reach")
    if not chosen:
        chosen = ["single_leg_bridge"]
    order = rng.permutation(len(chosen))
    return [str(chosen[i]) for i in order]


# ------------------------------------------------------------------------ fidgets


@dataclass
class _Fidget:
    kind: str
    t0: float
    t1: float
    amplitude_mm: float
    shape: np.ndarray  # displacement over [t0, t1] on the grid
    pre_change: float = 0.0  # new pre-stretch minus old, reached at t1


def _smooth(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    out: np.ndarray = u ** 3 * (10.0 - 15.0 * u + 6.0 * u * u)
    return out


def _fidget(rng: np.random.Generator, kind: str, t0: float, s_typ: float, pre: float
            ) -> _Fidget:
    if kind == "tug":
        pulls = int(rng.integers(1, 3))
        segs = []
        amp = float(rng.uniform(0.2, 0.6)) * s_typ
        for _ in range(pulls):
            d = float(rng.uniform(0.35, 0.8))
            u = np.arange(int(d * FS) + 1) / (d * FS)
            segs.append(amp * float(rng.uniform(0.7, 1.0)) * np.sin(np.pi * u ** 0.8) ** 2)
            segs.append(np.zeros(int(rng.uniform(0.1, 0.5) * FS)))
        shape = np.concatenate(segs[:-1])
        return _Fidget(kind, t0, t0 + len(shape) * DT, amp, shape)
    if kind == "flutter":
        d = float(rng.uniform(2.0, 6.0))
        t = np.arange(int(d * FS) + 1) * DT
        amp = float(rng.uniform(2.0, 10.0))
        f = float(rng.uniform(1.5, 3.5))
        shape = amp * np.sin(np.pi * t / d) ** 2 * np.sin(2 * np.pi * f * t)
        return _Fidget(kind, t0, t0 + d, amp, shape)
    if kind == "settle":
        d = float(rng.uniform(0.8, 2.0))
        dp = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(3.0, 15.0))
        dp = max(dp, 5.0 - pre)
        u = np.arange(int(d * FS) + 1) / (d * FS)
        return _Fidget(kind, t0, t0 + d, abs(dp), dp * _smooth(u), dp)
    if kind == "readjust":
        new_pre = pre * float(rng.uniform(0.6, 1.5))
        off = float(rng.uniform(1.5, 5.0))
        d_off, d_on = float(rng.uniform(0.3, 0.8)), float(rng.uniform(0.6, 1.4))
        over = float(rng.uniform(10.0, 30.0))
        u1 = np.arange(int(d_off * FS)) / (d_off * FS)
        down = -(pre + 8.0) * _smooth(u1)
        mid = -(pre + 8.0) + 2.0 * np.sin(np.linspace(0, 3 * np.pi, int(off * FS)))
        u2 = np.arange(int(d_on * FS) + 1) / (d_on * FS)
        up = -(pre + 8.0) + (new_pre + 8.0) * _smooth(u2) + over * np.sin(np.pi * u2) ** 2
        shape = np.concatenate([down, mid, up])
        return _Fidget(kind, t0, t0 + (len(shape) - 1) * DT, pre + over, shape, new_pre - pre)
    # turn: turning over / changing position
    d = float(rng.uniform(3.0, 8.0))
    n = int(d * FS) + 1
    t = np.arange(n) * DT
    shape = np.zeros(n)
    amp = 0.0
    for _ in range(int(rng.integers(2, 6))):
        c, w = float(rng.uniform(0.5, d - 0.5)), float(rng.uniform(0.3, 1.0))
        a = float(rng.uniform(-0.15, 0.4)) * s_typ
        amp = max(amp, abs(a))
        shape += a * np.exp(-0.5 * ((t - c) / (0.35 * w)) ** 2)
    dp = pre * float(rng.uniform(0.8, 1.25)) - pre
    shape = shape * np.sin(np.pi * t / d) ** 2 + dp * _smooth(t / d)
    return _Fidget("turn", t0, t0 + d, amp, shape, dp)


_KINDS = ("tug", "flutter", "settle", "readjust")
_KIND_W = np.array([0.35, 0.2, 0.25, 0.2])


# ------------------------------------------------------------------------ sensor and link


def _ou(rng: np.random.Generator, n: int, tau_steps: float, sigma: float) -> np.ndarray:
    alpha = math.exp(-1.0 / tau_steps)
    w = rng.standard_normal(n) * sigma * math.sqrt(1.0 - alpha * alpha)
    out: np.ndarray = signal.lfilter([1.0], [1.0, -alpha], w)
    return out


def _sinc3(t_k: np.ndarray, tg: np.ndarray, f: np.ndarray, period: float) -> np.ndarray:
    """Output of a sinc^3 decimator: a quadratic B-spline average over three periods."""
    m = 12
    tau = (np.arange(m) + 0.5) * 3.0 / m  # in periods, 0..3
    w = np.where(tau < 1, 0.5 * tau ** 2,
                 np.where(tau < 2, 0.5 * (-2 * tau ** 2 + 6 * tau - 3), 0.5 * (3 - tau) ** 2))
    w = w / w.sum()
    out = np.zeros(len(t_k))
    for wj, tj in zip(w, tau, strict=True):
        out += wj * np.interp(t_k - tj * period, tg, f)
    return out


def _clock_map(rng: np.random.Generator, tg: np.ndarray, ppm: float, clean: bool
               ) -> np.ndarray:
    """Error of the host's map of the device counter (seconds, on the physical grid)."""
    if clean:
        return np.zeros(len(tg))
    tau_est = float(rng.uniform(20.0, 90.0))
    wander = _ou(rng, len(tg), float(rng.uniform(30.0, 120.0)) * FS,
                 float(rng.uniform(10e-6, 60e-6)))
    rate_err = ppm * 1e-6 * np.exp(-tg / tau_est) + wander
    out: np.ndarray = np.cumsum(rate_err) * DT
    return out


# ------------------------------------------------------------------------ generate


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    extra = cfg.extra or {}
    clean = bool(extra.get("clean", False))
    still = bool(extra.get("still", False))
    ideal = bool(extra.get("ideal_band", False))
    no_fidgets = bool(extra.get("no_fidgets", False))
    rng = np.random.default_rng([seed, 7])
    rate = float(cfg.rate_hz)
    has_stretch = (cfg.has_stretch if cfg.has_stretch is not None
                   else bool(rng.random() < 0.5))
    person = _person(rng, still)
    exercises = _choose_exercises(rng, cfg)
    pre0 = float(rng.uniform(15.0, 70.0))
    s_typ0 = float(rng.uniform(90.0, 200.0))
    band = _band(rng, pre0, s_typ0)

    # ---------------------------------------------------------------- the session
    n_ex = len(exercises)
    sets_per_side = {1: (2, 3), 2: (2, 3), 3: (1, 2), 4: (1, 2)}[min(n_ex, 4)]
    joint = _Joint()
    sets: list[_Set] = []
    fidgets: list[_Fidget] = []
    pre = pre0
    t = float(rng.uniform(5.0, 20.0))
    first_side = str(rng.choice(["left", "right"]))
    other = "right" if first_side == "left" else "left"
    for ei, name in enumerate(exercises):
        ex = EXERCISES[name]
        n_sets = int(rng.integers(sets_per_side[0], sets_per_side[1] + 1))
        blocked = rng.random() < 0.6
        order = ([first_side] * n_sets + [other] * n_sets if blocked
                 else [first_side, other] * n_sets)
        s_mm = {side: float(rng.uniform(*ex.range_mm)) for side in ("left", "right")}
        shape = float(rng.uniform(-0.25, 0.35))
        effort = {side: float(rng.uniform(*ex.effort)) for side in ("left", "right")}
        prev_side = None
        for side in order:
            if sets and prev_side is not None:
                gap = float(rng.lognormal(math.log(28.0), 0.4))
                gap = float(np.clip(gap, 12.0, 75.0)) + (8.0 if side != prev_side else 0.0)
                t = sets[-1].end + gap
            elif sets:
                t = sets[-1].end + float(rng.uniform(30.0, 110.0))
            if sets and sets[-1].exercise == name and t > 14.0 * 60.0:
                break  # the session is long enough: skip the remaining sets
            prev_side = side
            # recovery over the rest
            if sets:
                joint.rest(person, t - sets[-1].end)
            joint.q, joint.a, joint.contact = 0.0, 0.02, True
            load = _load_table(ex, person, band, pre, s_mm[side], shape, effort[side], ideal)
            st = _Set(len(sets), name, ex.kind, side, ex.failure, s_mm[side], shape)
            _run_set(rng, person, ex, st, load, joint, t, cfg.partial_prob)
            if not st.reps:
                continue
            sets.append(st)
        if ei == n_ex - 1:
            break
    total = sets[-1].end + float(rng.uniform(5.0, 15.0))
    rests = [(0.0, sets[0].start, False)]
    for sa, sb in itertools.pairwise(sets):
        rests.append((sa.end, sb.start, sa.side != sb.side or sa.exercise != sb.exercise))
    rests.append((sets[-1].end, total, False))

    # ---------------------------------------------------------------- fidgets in rests
    n = int(total * FS) + 2
    tg = np.arange(n) * DT
    pre_arr = np.full(n, pre0)
    fid_disp = np.zeros(n)
    if not no_fidgets:
        cur_pre = pre0
        for a, b, turn in rests:
            lo, hi = a + 1.5, b - 1.5
            kinds: list[str] = []
            if turn and rng.random() < 0.8:
                kinds.append("turn")
            kinds += [str(k) for k in rng.choice(_KINDS, size=int(rng.poisson(0.9)),
                                                 p=_KIND_W)]
            cursor = lo
            for kind in kinds:
                if hi - cursor < 2.0:
                    break
                t0 = cursor + float(rng.uniform(0.0, 0.5)) * (hi - cursor)
                fd = _fidget(rng, kind, t0, s_typ0, cur_pre)
                if fd.t1 > hi:
                    continue
                fidgets.append(fd)
                cursor = fd.t1 + 0.5
                i0 = round(fd.t0 * FS)
                m = min(len(fd.shape), n - i0)
                fid_disp[i0:i0 + m] += fd.shape[:m]
                if fd.pre_change:
                    # the shape ends at the change; after it the pre-stretch carries it
                    pre_arr[i0 + m:] += fd.pre_change
                    cur_pre += fd.pre_change
    # rest drift (slow postural sway), zero within 1 s of every set
    in_set = np.zeros(n, dtype=bool)
    for st in sets:
        in_set[max(int((st.start - 1.0) * FS), 0):int((st.end + 1.0) * FS)] = True
    if not still:
        sway = _ou(rng, n, float(rng.uniform(2.0, 8.0)) * FS, float(rng.uniform(0.5, 2.5)))
        taper = signal.lfilter([0.02], [1.0, -0.98], (~in_set).astype(float))
        taper = np.minimum(taper, signal.lfilter([0.02], [1.0, -0.98],
                                                 (~in_set[::-1]).astype(float))[::-1])
        fid_disp += sway * taper * (~in_set)

    # ---------------------------------------------------------------- movement
    move = np.zeros(n)
    for st in sets:
        # piecewise: hold the last position between the simulated segments
        base = st.segs[0].k0
        q_grid = np.zeros(max(sg.k0 + len(sg.q) for sg in st.segs) - base + 1)
        q_last = st.reps[0].q0
        cursor = 0
        for seg in st.segs:
            i0 = seg.k0 - base
            q_grid[cursor:max(i0, cursor)] = q_last
            m = min(len(seg.q), len(q_grid) - i0)
            q_grid[i0:i0 + m] = seg.q[:m]
            q_last = float(seg.q[m - 1])
            cursor = i0 + m
        q_grid[cursor:] = q_last
        disp = st.disp(q_grid)
        tt = (base + np.arange(len(q_grid))) * DT
        # tremor and hold modulation, windowed inside every top plateau
        for r in st.reps:
            if r.t2 - r.t1 < 0.05:
                continue
            w = _smooth((tt - r.t1) / 0.3) * _smooth((r.t2 - tt) / 0.3)
            sel = w > 0
            if not np.any(sel):
                continue
            k = int(np.sum(sel))
            phi = 0.3 * r.q_top
            add = np.zeros(k)
            if person.tremor_mm > 0:
                wn = rng.standard_normal(k + 200)
                f0 = person.tremor_hz / (FS / 2)
                bb, aa = signal.iirpeak(f0, 4.0)
                tr = signal.lfilter(bb, aa, wn)[200:]
                add += person.tremor_mm * (1.0 + 2.0 * phi) * tr / max(float(np.std(tr)), 1e-9)
            if st.kind == "hold" and not still:
                tl = tt[sel] - r.t1
                knots_t, knots_v = [0.0], [0.0]
                tc = float(rng.uniform(0.5, 1.5))
                amp = st.scale_mm * float(rng.uniform(0.01, 0.035))
                for ti, te in st.hold_breaths:
                    knots_t += [tc + ti, tc + ti + te]
                    knots_v += [-0.4 * amp * float(rng.uniform(0.6, 1.2)),
                                amp * float(rng.uniform(0.6, 1.2))]
                    tc += ti + te
                kt, kv = np.array(knots_t), np.array(knots_v)
                j = np.clip(np.searchsorted(kt, tl) - 1, 0, len(kt) - 2)
                u = np.clip((tl - kt[j]) / np.maximum(kt[j + 1] - kt[j], 1e-6), 0.0, 1.0)
                breath = kv[j] + (kv[j + 1] - kv[j]) * (0.5 - 0.5 * np.cos(np.pi * u))
                sag = -st.scale_mm * float(rng.uniform(0.02, 0.07)) * _smooth(
                    tl / max(r.t2 - r.t1, 1e-6))
                sway = _ou(rng, k, float(rng.uniform(0.3, 1.0)) * FS,
                           float(rng.uniform(0.5, 2.0)))
                add += breath + sag + sway
            disp[sel] += w[sel] * add
        i0 = base
        i1 = min(i0 + len(disp), n)
        move[max(i0, 0):i1] += disp[max(-i0, 0):i1 - i0]
    # full displacement above the pre-stretch, and the band's total elongation
    disp_total = move + fid_disp
    elong = pre_arr + disp_total
    f_band = _band_force(elong, band, ideal)

    # ---------------------------------------------------------------- sensor and link
    ppm = 0.0 if clean else float(rng.uniform(-150.0, 150.0))
    period = 1.0 / rate
    dev_period = period * (1.0 + ppm * 1e-6)
    phase0 = 0.0 if clean else float(rng.uniform(0.0, period))
    k_all = np.arange(int((total - 3 * period - phase0) / dev_period))
    t_k = phase0 + 3 * period + k_all * dev_period  # physical data-ready instants
    cmap = _clock_map(rng, tg, ppm, clean)
    if cfg.time_offset_s is not None:
        offset = float(cfg.time_offset_s)
    else:
        offset = float(rng.choice([0.0, float(rng.uniform(5.0, 4e4)),
                                   float(rng.uniform(1.6e9, 1.8e9))]))
    if clean:
        offset = float(np.round(offset * rate) / rate)

    def tm(x: float) -> float:
        return float(offset + x + np.interp(x, tg, cmap))

    keep = np.ones(len(t_k), dtype=bool)
    nominal_shift = 0.0  # stamps of lost samples (gaps) as the device would have made them
    drops: list[list[float]] = []
    meta_faults: dict[str, int] = {"emi": 0, "glitches": 0, "stalls": 0, "missed_reads": 0}
    if clean:
        force = np.interp(t_k, tg, f_band)
        stamps = offset + t_k
    else:
        f_in = f_band * (1.0 + float(rng.normal(0.0, 0.02)))
        n_emi = int(rng.poisson(cfg.emi_per_min * total / 60.0))
        for _ in range(n_emi):
            i0 = int(rng.integers(0, n - 8))
            f_in[i0:i0 + int(rng.integers(1, 5))] += float(rng.choice([-1, 1])) * float(
                rng.uniform(20.0, 200.0))
        meta_faults["emi"] = n_emi
        force = _sinc3(t_k, tg, f_in, dev_period)
        warm = float(rng.uniform(-1.5, 1.5)) * (1.0 - np.exp(-t_k / float(rng.uniform(60, 360))))
        ou = _ou(rng, len(t_k), float(rng.uniform(20.0, 120.0)) * rate,
                 float(rng.uniform(0.02, 0.2)))
        drift = warm + np.cumsum(ou) / (rate * float(rng.uniform(20.0, 60.0)))
        force = force + drift + float(rng.normal(0.0, 0.3))
        force = force + rng.standard_normal(len(t_k)) * float(rng.uniform(0.02, 0.12))
        n_gl = int(rng.poisson(cfg.glitches_per_min * total / 60.0))
        lsb = float(rng.uniform(2e-5, 6e-5))  # N per ADC count
        for _ in range(n_gl):
            i = int(rng.integers(0, len(force)))
            if rng.random() < 0.25:
                force[i] = (2 ** 23 - 1) * lsb  # saturated code
            else:
                force[i] += float(rng.choice([-1, 1])) * 2.0 ** int(rng.integers(17, 22)) * lsb
        meta_faults["glitches"] = n_gl
        unit = float(rng.choice([0.01, 0.00980665, 0.0980665]))
        force = np.round(force / unit) * unit
        # MCU read latency: exponential, sometimes blocked by the radio
        lat = rng.exponential(float(rng.uniform(0.1, 0.6)) * 1e-3, len(t_k))
        block = rng.random(len(t_k)) < 0.05 / rate  # about 3 a minute
        lat[block] += rng.uniform(1e-3, 12e-3, int(block.sum()))
        missed = lat > 0.95 * dev_period
        keep &= ~missed
        meta_faults["missed_reads"] = int(missed.sum())
        read = t_k + np.minimum(lat, 0.95 * dev_period)
        read = np.maximum.accumulate(read)
        compensate = rng.random() < 0.5
        if compensate:
            read = read - 1.5 * dev_period
            nominal_shift = -1.5 * dev_period
        counter_ms = np.floor(read * (1.0 + ppm * 1e-6) * 1000.0)
        # the host maps the counter (already in device ms) to its clock
        dev_t = counter_ms / 1000.0 / (1.0 + ppm * 1e-6)
        stamps = offset + dev_t + np.interp(np.clip(dev_t, 0.0, total), tg, cmap)
        # radio stalls overflow the ring buffer: the oldest samples are lost
        cap = int(rng.choice([64, 128, 256]))
        n_st = int(rng.poisson(cfg.stalls_per_min * total / 60.0))
        for _ in range(n_st):
            a = float(rng.uniform(0.0, total))
            d = float(np.exp(rng.uniform(math.log(0.05), math.log(1.5))))
            lost_to = a + d - cap * dev_period
            if lost_to > a:
                keep &= ~((t_k >= a) & (t_k < lost_to))
        meta_faults["stalls"] = n_st
        n_dc = int(rng.poisson(cfg.disconnects_per_min * total / 60.0))
        for _ in range(n_dc):
            a = float(rng.uniform(10.0, total - 10.0))
            d = float(rng.uniform(1.0, 5.0))
            keep &= ~((t_k >= a) & (t_k < a + d))
            drops.append([tm(a), d])
            step = float(rng.normal(0.0, 0.004))
            cmap = cmap + step * (tg >= a + d)
            stamps = stamps + step * (t_k >= a + d)
        stamps = np.maximum.accumulate(stamps)

    # gaps: runs of lost samples
    gaps: list[dict[str, Any]] = []
    lost = ~keep
    if np.any(lost):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], lost.astype(int), [0]])))
        for a0, a1 in zip(edges[::2], edges[1::2], strict=True):
            gaps.append({"start_s": tm(float(t_k[a0]) + nominal_shift),
                         "end_s": tm(float(t_k[a1 - 1]) + nominal_shift),
                         "samples": int(a1 - a0)})
    time_s = np.asarray(stamps[keep], dtype=np.float64)
    force_n = np.asarray(force[keep], dtype=np.float64)

    # ---------------------------------------------------------------- stretch
    stretch_mm: np.ndarray | None = None
    if has_stretch:
        tk = t_k[keep]
        if clean:
            stretch_mm = np.interp(tk, tg, elong)
        else:
            f_us = float(rng.uniform(20.0, 50.0))
            pings = np.arange(0.0, total, 1.0 / f_us) + float(rng.uniform(0, 1.0 / f_us))
            geo = pre0 + disp_total  # calibrated once, at power-on
            gain = 1.0 + float(rng.normal(0.0, 0.01)) + np.interp(pings, tg, np.linspace(
                0.0, float(rng.uniform(-0.01, 0.01)), n))
            val = np.interp(pings, tg, geo) * gain + rng.standard_normal(len(pings)) * float(
                rng.uniform(0.3, 1.0))
            drop = rng.random(len(pings)) < 0.01
            for ii in np.flatnonzero(drop).tolist():
                val[ii:ii + int(rng.integers(1, 6))] = val[max(ii - 1, 0)]
            multi = rng.random(len(pings)) < 0.004
            val[multi] += rng.uniform(20.0, 60.0, int(multi.sum()))
            val = np.round(val / 0.25) * 0.25
            done = pings + 0.003  # time of flight and processing
            j = np.clip(np.searchsorted(done, tk, side="right") - 1, 0, len(val) - 1)
            stretch_mm = np.asarray(val[j], dtype=np.float64)

    # ---------------------------------------------------------------- truth
    def at(arr: np.ndarray, x: float) -> float:
        return float(np.interp(x, tg, arr))

    t_sets: list[dict[str, Any]] = []
    t_reps: list[dict[str, Any]] = []
    t_holds: list[dict[str, Any]] = []
    for st in sets:
        if st.kind == "reps":
            rng_mm = [float(st.disp(r.q_top) - st.disp(r.q0)) for r in st.reps]
            full = [x for x, r in zip(rng_mm, st.reps, strict=True) if not r.partial]
            med = float(np.median(full)) if full else 0.0
            flags = [x < 0.5 * med for x in rng_mm]
        else:
            rng_mm, flags = [0.0], [False]
        t_sets.append({
            "index": st.index, "kind": st.kind, "side": st.side, "start_s": tm(st.start),
            "end_s": tm(st.end),
            "rep_count": 0 if st.kind == "hold" else int(sum(not p for p in flags)),
            "partial_count": 0 if st.kind == "hold" else int(sum(flags)),
            "exercise": st.exercise, "to_failure": st.to_failure,
            "pre_tension_n": at(f_band, max(st.start - 0.5, 0.0)),
        })
        for r, x, part in zip(st.reps, rng_mm, flags, strict=True):
            t0, t1, t2, t3 = tm(r.t0), tm(r.t1), tm(r.t2), tm(r.t3)
            if r.t1 == r.t2:
                t2 = t1
            if st.kind == "hold":
                sl = slice(int(r.t1 * FS), int(r.t2 * FS) + 1)
                t_holds.append({
                    "set": st.index, "start_s": t0, "end_s": t3, "duration_s": t2 - t1,
                    "top_start_s": t1, "top_end_s": t2, "side": st.side,
                    "mean_force_n": float(np.mean(f_band[sl])),
                })
                continue
            sl = slice(int(r.t0 * FS), int(r.t3 * FS) + 1)
            t_reps.append({
                "index": len(t_reps), "set": st.index, "start_s": t0, "top_start_s": t1,
                "top_end_s": t2, "end_s": t3, "concentric_s": t1 - t0, "pause_s": t2 - t1,
                "eccentric_s": t3 - t2, "partial": bool(part),
                "peak_force_n": float(np.max(f_band[sl])),
                "range_mm": x, "floor_start_mm": float(st.disp(r.q0)),
                "floor_end_mm": float(st.disp(r.q1)), "side": st.side,
                "concentric_profile": "ode", "eccentric_profile": "ode",
            })
    t_fidgets = [{"kind": f.kind, "start_s": tm(f.t0), "end_s": tm(f.t1),
                  "amplitude_mm": float(f.amplitude_mm)} for f in fidgets]
    meta = {
        "model": "gen_model_g", "seed": int(seed), "rate_hz": rate, "time_offset_s": offset,
        "has_stretch": bool(has_stretch), "clean": clean, "still": still, "ideal_band": ideal,
        "exercises": exercises, "duration_s": float(total),
        "person": {"tempo": person.tempo, "counting": person.counting,
                   "count_s": person.count_s},
        "band": {"k_n_per_mm": band.k, "length_mm": band.length, "knit": band.knit},
        "faults": meta_faults,
    }
    truth = {"sets": t_sets, "reps": t_reps, "holds": t_holds, "fidgets": t_fidgets,
             "gaps": gaps, "link_drops": [(a, d) for a, d in drops], "metadata": meta}
    return Generated(time_s=time_s, force_n=force_n, stretch_mm=stretch_mm, truth=truth)
