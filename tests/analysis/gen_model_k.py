"""An eleventh, independent band-and-movement model (gen_model_k): VITE reps, a piezo, a USB logger.

Written WITHOUT looking at how bandsense analyses a recording and never run against the
analysis nor tuned to it. Read for it: the seed text
(``/work/shared/seeds/glute-exercises-for-lower-back-pain.txt``), ``analysis/scoring.py``,
``firmware_sim/truth.py``, ``tests/analysis/truth_checks.py``, the module docstrings of
``gen_model.py`` and ``gen_model_c.py`` to ``gen_model_j.py`` (to choose different modelling in
every part) and the public interface and truth layout of ``gen_model_j.py`` (mirrored here:
``GenConfig``, ``Generated``, ``generate`` and the keys of the truth dict).

- movement (motor control): every phase is a trajectory of the *VITE* neural circuit (Bullock
  & Grossberg's Vector Integration To Endpoint): a difference vector ``V' = a (T - P - V)``
  and an outflow position ``P' = G(t) [V]+`` gated by a GO signal that grows as
  ``G0 t^n / (b^n + t^n)`` (n 2 or 3). The GO signal carries *signal-dependent* motor noise
  (a multiplicative low-pass log-normal modulation). Because the outflow is rectified the
  path is monotone and stops in finite time: when the difference vector reaches zero (the
  circuit's small overshoot of the target) the limb stops with zero velocity; the stop value
  is the phase's end (the profile is normalised by it, exactly 1 there). The GO onset
  latency before the limb has moved 0.02 % of the way is not part of the phase. Every person
  has a bank of such profiles per direction (their own ``a / G0``, ``b``, ``n``, noise), from
  which each phase draws. Variants: *hesitant* (the GO drive wavers half-way: a dip of the
  gain tied to the position, the velocity dips without stopping) and *retarget* (the target
  is first an undershoot, 80-92 %, and is moved to the full range once the limb has covered
  55-85 % of it: a second, corrective acceleration). The position is the band's elongation
  above its pre-stretch, in mm (twice the change of the knees' separation, the loop's two
  strands).
- rep timing: *scalar timing* (Gibbon's scalar expectancy): every phase duration is gamma
  distributed with a constant coefficient of variation (6-15 %) around the person's intended
  duration, scaled by a *pacemaker* whose log-rate random-walks from rep to rep within a set.
  Rests at the bottom: back to back (a per-person share) or scalar-timed (gamma, CV 0.35); an
  aborted rep is followed by a 0.8-2.2 s re-brace; failed attempts by 0.3-1.5 s.
- fatigue: a rep-scale *fitness-fatigue impulse-response* model (Banister) per side: every rep
  (or hold second) is an impulse of work ``w`` (load x range share x (1 + 0.4 pause));
  performance is ``1 + kp sum w e^(-dt/tp) - kf sum w e^(-dt/tf)`` with a slow *potentiation*
  (tp 5-12 min: a first set warms the glute up) and a faster, larger *fatigue* (tf 45-150 s).
  The deficit below 1, relative to the person's failure level, shrinks the range (up to 30 %),
  slows the concentric, shortens the pause and speeds the lowering; potentiation enlarges the
  range a little. Sets to failure (side-lying hip external rotation, "as many reps as you can")
  go on until the performance falls under the failure level (at least 3 reps; a set soon after
  another of the same side has fewer), then 1-3 failed attempts (12-40 % of the set's median
  range). Ordinary sets have their target of full reps plus aborted reps at ``partial_prob``
  (15-42 % of the median range). Some sets keep tension between reps (a floor of 3-10 % of the
  range). Rests between sets are *fatigue-gated*: the person waits until the next side's
  fatigue has decayed to their comfort level (plus a log-normal chat time), at least 13 s.
- at the top (not ``still``): in pauses of 0.4 s or more, 0-2 *micro-steps* (small smooth
  steps, 0.3-1.5 % of the range, mostly downwards: the person settles into the band); tremor
  is *burst shot noise*: Gabor wavelets (8-12 Hz, 0.08-0.2 s wide) at Poisson times during
  sets, scaled by the square of the lift and growing with the deficit. In rests a breathing
  sway (0.18-0.32 Hz) faded out 1.5 s around every set.
- holds (table-top reach, blowing up a balloon): 3-8 breaths; each exhale is an
  *intra-abdominal pressure pulse* (a gamma-function bracing of 0.5-3 mm, weaker breath after
  breath), a slow sag of 1-4 % of the range, and now and then a *cough* (a sharp drop and
  rebound) or a *laugh* (a 4-6 Hz shake of 1-2 s); all tapered to zero with zero velocity at
  the ends of the hold. The top is reached and left by VITE phases like any rep.
- band: a latex loop with the *van der Waals (Kilian) network* law in uniaxial tension,
  ``F = (k0 L / 3) (lam - lam^-2) (1 / (1 - eta) - a sqrt((I1 - 3) / 2))``, ``eta =
  sqrt((I1 - 3) / (lam_m^2 - 3))`` (finite extensibility lam_m 2.8-4 and a global attraction
  ``a`` 0-0.35: softening, then locking), initial stiffness 0.12-0.38 N/mm; slack (zero force)
  for an elongation <= 0. Quasi-linear viscoelasticity with a *fractional Zener* reduced
  relaxation function ``g_inf + (1 - g_inf) E_alpha(-(t / tau)^alpha)`` (Mittag-Leffler,
  alpha 0.3-0.75, from its spectral integral), a hereditary integral by FFT convolution (the
  kernel cut at 60 s, the rest of it treated as elastic). *Ratcheting*: a small permanent set
  (up to a few mm) grows with the loading work and recovers in rests (first order, 30-120 s),
  lowering the effective elongation. Pre-stretch depends on the posture and changes only
  through listed fidgets.
- force sensor: a *piezoelectric* PVDF film in the band's clip read by a *charge amplifier*
  (time constant 2-20 s: the charge leaks, the DC level decays). The firmware restores the DC
  with an inverse filter built on a slightly wrong time constant (+-4 %: a slow transient after
  every change of load) and a leaky integrator (25-70 min, so the static level still decays a
  little over the session); at power-on it starts from the pre-tension the user typed in the
  app (+-30 % of the truth). The film is also *pyroelectric*: its temperature (a first-order
  approach to a posture-dependent skin temperature) adds charge, and the amplifier's bias
  current doubles every 10 K (an integrated offset drift). Faults: *triboelectric* cable noise
  (charge from the cable flexing, proportional to the limb's speed), *electrostatic
  discharges* (clothing on the cable: 1-3 sample spikes of 10-40 N), clipping at the amplifier
  rails (+-320 N). A second-order Bessel anti-alias filter (0.35 x rate), point sampling,
  16-bit ADC, gain calibration error (+-4 %), the firmware reports integer grams-force.
- stretch (about half the recordings): a *fibre Bragg grating* on the leaf spring of a
  tether reel along the band (the tether is slack when the band is; its extension is the
  band's elongation): 3-5 microstrain per mm, a 1-3 % spring non-linearity, a strain-transfer
  lag (glue, 10-40 ms); the Bragg shift ``1.2 pm / microstrain`` plus 10 pm/K, compensated by a
  strain-free reference grating up to a 2-8 % mismatch; the interrogator's noise (0.4-2 pm),
  1 pm resolution and rare *peak-detection jumps* (a split spectrum: one sample off by
  50-200 pm); the firmware's calibration error (+-2 %), 0.05 mm steps; about 0 when slack.
- link and time axis: a wired *USB-serial data logger*. The device samples on its crystal
  (+-80 ppm) and sends binary frames with a sequence number over a UART (CRC-checked: frames hit
  by EMI on the cable are rejected, single samples lost) to a USB bridge that flushes its
  62-byte buffer when full or when its *latency timer* (1-16 ms) expires; USB 1 ms frames; the
  host logger polls the port every 4-20 ms (exponential OS jitter) and stalls now and then
  (log-normal hiccups: garbage collection, disk flushes); while it stalls the driver's buffer
  (4-16 kB) fills and the newest samples are dropped. The logger stamps reads with its clock
  and, once every 0.2-1 s, takes the first read as an *anchor* (the last sample's sequence
  number, the read's time); it *spreads the samples between anchors by their sequence numbers*
  (linear interpolation), so the intervals change from one anchor segment to the next with
  the read latency (a late read after a hiccup stretches its segment), and lost samples keep
  their place; the median latency is removed. Cable *disconnects* (a loose connector: 1-6 s,
  re-enumeration) lose everything. The axis starts at an offset (0, an uptime or an epoch).
- session: 2-4 of the seed exercises (the hold exercise in about 60 %), in the article's order
  or shuffled: side-lying hip ER to failure (sides blocked, or alternating), single-leg bridge
  with a pause at the top, table-top reach holds, table-top hip ER with a brief pause (legs
  alternating or blocked); 1-3 sets a side depending on the number of exercises. Three
  *programs*: ``straight`` (about 10 reps a set), ``pyramid`` (8, 10, 12 reps or the reverse
  over the sets of a side) and ``warmup`` (with 2-3 exercises: an extra warm-up set per side
  first, 8-10 quick reps at 55-75 % of the range, hardly a pause). Fidgets in rests (never
  within 1.5 s of a set): ``retie`` (the band untied: slack, re-tied to a new pre-stretch),
  ``partner`` (a partner checks the band: pulls it out 20-70 mm and lets it back), ``roller``
  (rolling the glute on a ball: a slow 0.3-0.7 Hz rocking), ``sneeze`` (a sharp jerk and
  rebound) and ``turnover`` (changing posture or exercise: irregular pulls, the new posture's
  pre-stretch; every change of posture has one).

Truth conventions (times on the recording's own axis: ``metadata["time_offset_s"]`` plus the
logger's stamp of the physical instant, interpolated between the samples' stamps; the recorded
stamps are exactly those of the samples): a rep's ``start_s`` is the onset of movement (the
VITE path leaves its floor), ``top_start_s`` the arrival at the top (the difference vector
reaches zero: the limb stops), ``top_end_s`` the departure (the lowering's onset), ``end_s`` back
at rest (the lowering stops on its floor). Reps turning without a pause have ``top_start_s ==
top_end_s``. ``range_mm`` is the elongation at ``top_start_s`` minus that at ``start_s`` (without
tremor); ``floor_start_mm``/``floor_end_mm`` the elongation above the pre-stretch at start and
end. Partial reps (range under half the median range of the full reps of their set) are in
``reps`` with ``partial`` True and not counted in ``rep_count``. Hold sets have ``kind`` "hold",
``rep_count`` 0 and their hold only in ``holds`` (``duration_s = top_end_s - top_start_s``, at
least 8 s). Sets are >= 12 s apart; reps of a set < 3 s apart. Fidgets have ``kind``,
``start_s``, ``end_s`` and ``amplitude_mm``. Gaps list the first and last *missing* sample
stamps and their number; ``link_drops`` the disconnects (at, duration).

``GenConfig.extra``: ``clean`` (ideal sensor and link: exact uniform stamps at the configured
rate from the physical time, the exact band force and elongation (negative when slack), no
piezo, FBG, logger or loss effects), ``still`` (no tremor, micro-steps, hold breathing, coughs,
sag or rest breathing), ``ideal_band`` (the van der Waals law only: no viscoelasticity and no
ratcheting), ``no_fidgets``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal

FS = 500.0  # internal grid of the physics (Hz)
DT = 1.0 / FS
_M = 1000  # points of a phase's normalised profile table
_U = np.linspace(0.0, 1.0, _M)
GRAM_N = 0.00980665


@dataclass(frozen=True)
class _Exercise:
    name: str
    kind: str  # "reps" or "hold"
    posture: str  # "side", "supine", "quad"
    range_mm: tuple[float, float]
    conc_s: tuple[float, float]
    pause_s: tuple[float, float]
    turn_p: float  # share of people who turn at the top without a pause
    ecc_s: tuple[float, float]
    reps: int
    failure: bool
    load: float  # relative load


EXERCISES: dict[str, _Exercise] = {
    "sidelying_hip_er": _Exercise(
        "sidelying_hip_er", "reps", "side", (70.0, 180.0), (0.55, 1.1), (0.1, 0.6), 0.55,
        (0.6, 1.3), 0, True, 0.5),
    "single_leg_bridge": _Exercise(
        "single_leg_bridge", "reps", "supine", (28.0, 85.0), (0.7, 1.4), (0.6, 2.0), 0.0,
        (1.0, 2.1), 10, False, 0.32),
    "table_top_reach": _Exercise(
        "table_top_reach", "hold", "quad", (55.0, 150.0), (1.0, 2.0), (0.0, 0.0), 0.0,
        (0.9, 1.8), 0, False, 0.25),
    "table_top_hip_er": _Exercise(
        "table_top_hip_er", "reps", "quad", (60.0, 170.0), (0.6, 1.2), (0.25, 1.1), 0.08,
        (0.8, 1.6), 10, False, 0.3),
}
ORDER = ("sidelying_hip_er", "single_leg_bridge", "table_top_reach", "table_top_hip_er")
FIDGET_KINDS = ("retie", "partner", "roller", "sneeze", "turnover")
PROGRAMS = ("straight", "pyramid", "warmup")
PROFILE_NAMES = ("vite", "hesitant", "retarget")


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 60 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    loss_scale: float = 1.0  # multiplies host stalls, CRC losses and disconnects
    stalls_per_min: float = 2.0  # host logger hiccups (the driver buffer may overflow)
    link_drops_per_hour: float = 6.0  # cable disconnects (USB re-enumeration)
    crc_errors_per_min: float = 0.5  # frames rejected by the CRC (single samples lost)
    esd_per_min: float = 0.4  # electrostatic discharges on the piezo cable (spikes)
    peak_jumps_per_min: float = 0.3  # FBG peak-detection jumps (stretch spikes)
    time_offset_s: float | None = None  # None: random (0, an uptime or an epoch)
    # extra: "clean", "still", "ideal_band", "no_fidgets" (see the module docstring)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


# ------------------------------------------------------------------------ helpers

def _smoother(u: np.ndarray) -> np.ndarray:
    """Smootherstep on [0, 1] (zero slope and curvature at both ends)."""
    x = np.clip(u, 0.0, 1.0)
    out: np.ndarray = x * x * x * (x * (6.0 * x - 15.0) + 10.0)
    return out


def _window(tau: np.ndarray, dur: float, ramp: float) -> np.ndarray:
    """1 inside ``[0, dur]``, fading to 0 (zero slope) within ``ramp`` of its ends."""
    r = max(min(ramp, 0.5 * dur), 1e-6)
    out: np.ndarray = _smoother(tau / r) * _smoother((dur - tau) / r)
    return out


def _keys(tau: np.ndarray, times: list[float], values: list[float]) -> np.ndarray:
    """Smootherstep through key values (zero velocity at every key)."""
    tk, vk = np.asarray(times), np.asarray(values)
    k = np.clip(np.searchsorted(tk, tau, side="right") - 1, 0, len(tk) - 2)
    u = (tau - tk[k]) / np.maximum(tk[k + 1] - tk[k], 1e-9)
    out: np.ndarray = vk[k] + (vk[k + 1] - vk[k]) * _smoother(u)
    return out


def _smooth_noise(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Unit-sd Gaussian noise low-passed by a Gaussian kernel of ``width`` samples (sd)."""
    w = max(int(width), 1)
    k = np.exp(-0.5 * (np.arange(-3 * w, 3 * w + 1) / w) ** 2)
    raw = rng.standard_normal(n + len(k))
    x = signal.fftconvolve(raw, k / k.sum(), mode="same")[len(k) // 2: len(k) // 2 + n]
    sd = float(np.std(x))
    out: np.ndarray = x / sd if sd > 0 else x
    return out


def _gi(t: float) -> int:
    """First grid index at or after ``t``."""
    return max(math.ceil(t * FS - 1e-9), 0)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of the runs of True."""
    if not np.any(mask):
        return []
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return [(int(a), int(b) - 1) for a, b in
            zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True)]


def _gamma(rng: np.random.Generator, mean: float, cv: float) -> float:
    """Gamma distributed with a given mean and coefficient of variation (scalar timing)."""
    k = 1.0 / max(cv, 1e-3) ** 2
    return float(rng.gamma(k, mean / k))


# ------------------------------------------------------------------------ VITE movement

@dataclass(frozen=True)
class _ViteStyle:
    ratio: float  # a / G0 (damping of the circuit: 0.6-2.2)
    beta: float  # half-rise time of the GO signal (circuit time units)
    n_go: int  # GO signal exponent
    noise: float  # signal-dependent noise of the GO gain (log sd)
    p_hesitant: float
    p_retarget: float


def _vite_bank(rng: np.random.Generator, style: _ViteStyle, n: int,
               steps: int = 2000, dt: float = 0.01) -> tuple[np.ndarray, list[str]]:
    """``n`` normalised VITE phase profiles (rows, on ``_U``) with their variant names."""
    ratio = style.ratio * np.exp(0.15 * rng.standard_normal(n))
    beta = style.beta * np.exp(0.2 * rng.standard_normal(n))
    kind = rng.choice(3, size=n, p=[1.0 - style.p_hesitant - style.p_retarget,
                                    style.p_hesitant, style.p_retarget])
    hes = kind == 1
    ret = kind == 2
    dip_d = np.where(hes, rng.uniform(0.7, 0.92, n), 0.0)
    dip_p = rng.uniform(0.3, 0.65, n)
    dip_w = rng.uniform(0.05, 0.1, n)
    t1 = np.where(ret, rng.uniform(0.8, 0.92, n), 1.0)
    switch = rng.uniform(0.55, 0.85, n) * t1
    tt = (np.arange(steps) + 1.0) * dt
    go = tt[:, None] ** style.n_go / (beta[None, :] ** style.n_go + tt[:, None] ** style.n_go)
    noise = np.exp(style.noise * np.column_stack(
        [_smooth_noise(rng, steps, 40) for _ in range(n)]))
    go = go * noise
    alpha = ratio
    p = np.zeros(n)
    v = np.zeros(n)
    target = t1.copy()
    out = np.empty((steps, n))
    for k in range(steps):
        target = np.where(ret & (p > switch), 1.0, target)
        v += dt * alpha * (target - p - v)
        g = go[k] * (1.0 - dip_d * np.exp(-(((p - dip_p) / dip_w) ** 2)))
        p = p + dt * g * np.maximum(v, 0.0)
        out[k] = p
    prof = np.empty((n, _M))
    names: list[str] = []
    valid = np.ones(n, dtype=bool)
    for j in range(n):
        col = out[:, j]
        end = col[-1]
        if col[-2] != end or end <= 0.0:
            valid[j] = False
            continue
        i0 = int(np.argmax(col >= 2e-4 * end))
        i1 = int(np.argmax(col >= end))
        seg = (col[i0: i1 + 1] - col[i0]) / (end - col[i0])
        u = (tt[i0: i1 + 1] - tt[i0]) / (tt[i1] - tt[i0])
        y = np.interp(_U, u, seg)
        y[0], y[-1] = 0.0, 1.0
        prof[j] = np.maximum.accumulate(y)
        names.append(PROFILE_NAMES[int(kind[j])])
    if not np.all(valid):  # never expected; keep the stopped ones
        keep = np.flatnonzero(valid)
        prof = prof[keep]
    return prof, names


# ------------------------------------------------------------------------ person and band

@dataclass
class _ExPerson:
    conc: float
    pause: float
    ecc: float
    turns: bool
    range_mm: float


@dataclass
class _Person:
    ex: dict[str, _ExPerson]
    conc_bank: np.ndarray
    conc_names: list[str]
    ecc_bank: np.ndarray
    ecc_names: list[str]
    cv: float
    pm_sd: float
    p_bb: float
    bottom: float
    floor_p: float
    tau_p: float
    tau_f: float
    k_p: float
    k_f: float
    p_fail: float
    comfort: float  # share of the way to failure at which the person is ready again
    trem_amp: float
    trem_f: float
    trem_rate: float
    breath_amp: float
    breath_f: float
    pre: dict[str, float]
    conc_style: _ViteStyle
    ecc_style: _ViteStyle


def _person(rng: np.random.Generator) -> _Person:
    tempo = float(rng.uniform(0.85, 1.2))
    ex: dict[str, _ExPerson] = {}
    for name, e in EXERCISES.items():
        ex[name] = _ExPerson(
            conc=tempo * float(rng.uniform(*e.conc_s)),
            pause=float(rng.uniform(*e.pause_s)),
            ecc=tempo * float(rng.uniform(*e.ecc_s)),
            turns=bool(rng.random() < e.turn_p),
            range_mm=float(rng.uniform(*e.range_mm)))
    cs = _ViteStyle(float(rng.uniform(0.7, 2.0)), float(rng.uniform(0.4, 2.5)),
                    int(rng.choice([2, 3])), float(rng.uniform(0.05, 0.2)),
                    float(rng.uniform(0.03, 0.12)), float(rng.uniform(0.05, 0.2)))
    es = _ViteStyle(float(rng.uniform(0.6, 1.6)), float(rng.uniform(0.8, 3.0)),
                    int(rng.choice([2, 3])), float(rng.uniform(0.05, 0.2)),
                    float(rng.uniform(0.02, 0.08)), float(rng.uniform(0.03, 0.12)))
    cb, cn = _vite_bank(rng, cs, 36)
    eb, en = _vite_bank(rng, es, 36)
    n_cap = int(rng.integers(10, 25))  # fresh reps to failure at the side-lying load
    p_fail = float(rng.uniform(0.55, 0.7))
    k_p = float(rng.uniform(0.002, 0.008))
    tau_p = float(rng.uniform(300.0, 720.0))
    tau_f = float(rng.uniform(90.0, 240.0))
    sl = ex["sidelying_hip_er"]
    w_ref = EXERCISES["sidelying_hip_er"].load * (1.0 + 0.4 * (0.0 if sl.turns else sl.pause))
    period = sl.conc + (0.0 if sl.turns else sl.pause) + sl.ecc + 0.5
    lags = np.arange(n_cap) * period
    pot = w_ref * float(np.sum(np.exp(-lags / tau_p)))
    fat = w_ref * float(np.sum(np.exp(-lags / tau_f)))
    k_f = (1.0 - p_fail + k_p * pot) / fat
    return _Person(
        ex=ex, conc_bank=cb, conc_names=cn, ecc_bank=eb, ecc_names=en,
        cv=float(rng.uniform(0.06, 0.15)), pm_sd=float(rng.uniform(0.02, 0.06)),
        p_bb=float(rng.uniform(0.0, 0.5)), bottom=float(rng.uniform(0.3, 1.5)),
        floor_p=float(rng.uniform(0.0, 0.35)),
        tau_p=tau_p, tau_f=tau_f, k_p=k_p, k_f=k_f, p_fail=p_fail,
        comfort=float(rng.uniform(0.1, 0.3)),
        trem_amp=float(rng.uniform(0.05, 0.3)), trem_f=float(rng.uniform(8.5, 11.5)),
        trem_rate=float(rng.uniform(1.5, 4.0)),
        breath_amp=float(rng.uniform(0.05, 0.4)), breath_f=float(rng.uniform(0.18, 0.32)),
        pre={"side_left": float(rng.uniform(10.0, 45.0)),
             "side_right": float(rng.uniform(10.0, 45.0)),
             "supine": float(rng.uniform(5.0, 35.0)), "quad": float(rng.uniform(8.0, 40.0))},
        conc_style=cs, ecc_style=es)


@dataclass(frozen=True)
class _Band:
    length: float  # strand length (mm)
    k0: float  # initial stiffness (N/mm)
    lam_m: float  # locking stretch
    attraction: float  # van der Waals global attraction
    g_inf: float
    ml_alpha: float
    ml_tau: float
    set_gain: float  # ratcheting per unit of loading work
    set_tau: float  # recovery of the set (s)

    def elastic(self, e: np.ndarray) -> np.ndarray:
        """Van der Waals (Kilian) network in uniaxial tension; zero when slack."""
        lam = 1.0 + np.maximum(e, 0.0) / self.length
        d = lam * lam + 2.0 / lam - 3.0
        eta = np.minimum(np.sqrt(np.maximum(d, 0.0) / (self.lam_m ** 2 - 3.0)), 0.95)
        brk = 1.0 / (1.0 - eta) - self.attraction * np.sqrt(np.maximum(d, 0.0) / 2.0)
        f = self.k0 * self.length / 3.0 * (lam - lam ** -2) * brk
        out: np.ndarray = np.where(e > 0.0, f, 0.0)
        return out


def _band(rng: np.random.Generator) -> _Band:
    return _Band(length=float(rng.uniform(300.0, 480.0)), k0=float(rng.uniform(0.12, 0.38)),
                 lam_m=float(rng.uniform(2.8, 4.0)), attraction=float(rng.uniform(0.0, 0.35)),
                 g_inf=float(rng.uniform(0.72, 0.9)), ml_alpha=float(rng.uniform(0.3, 0.75)),
                 ml_tau=float(rng.uniform(0.2, 5.0)), set_gain=float(rng.uniform(0.002, 0.008)),
                 set_tau=float(rng.uniform(30.0, 120.0)))


def _mittag_leffler(alpha: float, x: np.ndarray) -> np.ndarray:
    """``E_alpha(-x^alpha)`` for x >= 0 (0 < alpha < 1) from its spectral integral."""
    r = np.logspace(-7.0, 7.0, 700)
    ra = r ** alpha
    k = (np.sin(alpha * np.pi) / np.pi) * ra / (ra * ra + 2.0 * ra * np.cos(alpha * np.pi) + 1.0)
    lr = np.log(r)
    w = np.gradient(lr)
    out: np.ndarray = np.exp(-np.outer(x, r)) @ (k * w)
    return out


def _ml_kernel(band: _Band, n: int) -> np.ndarray:
    """The fractional Zener relaxation on the grid, on a log grid then interpolated."""
    t = np.arange(n) * DT
    tl = np.concatenate(([0.0], np.logspace(-4.0, math.log10(max(t[-1], 1e-3)), 200)))
    el = _mittag_leffler(band.ml_alpha, tl / band.ml_tau)
    el[0] = 1.0
    out: np.ndarray = np.interp(t, tl, el)
    return out


def _band_force(band: _Band, e_total: np.ndarray, ideal: bool) -> tuple[np.ndarray, np.ndarray]:
    """(force, ratcheting set) of the band for a total elongation on the grid."""
    if ideal:
        return band.elastic(e_total), np.zeros_like(e_total)
    rate = np.maximum(np.diff(e_total, prepend=e_total[0]), 0.0)
    drive = band.set_gain * rate * np.maximum(e_total, 0.0) / band.length
    a = 1.0 - DT / band.set_tau
    dset = signal.lfilter([1.0], [1.0, -a], drive)
    fe = band.elastic(e_total - dset)
    n_k = min(int(60.0 * FS), len(fe))
    phi = _ml_kernel(band, n_k)
    tail = float(phi[-1])
    dfe = np.diff(fe, prepend=fe[0])
    conv = signal.fftconvolve(dfe, phi - tail)[: len(fe)]
    f = (band.g_inf + (1.0 - band.g_inf) * tail) * fe + (1.0 - band.g_inf) * conv
    out: np.ndarray = np.maximum(f, 0.0)
    return out, np.asarray(dset)


# ------------------------------------------------------------------------ fatigue

class _Fatigue:
    """Fitness-fatigue impulse response per side (rep scale)."""

    def __init__(self, person: _Person) -> None:
        self.p = person
        self.imp: dict[str, list[tuple[float, float]]] = {"left": [], "right": []}

    def add(self, side: str, t: float, w: float) -> None:
        self.imp[side].append((t, w))

    def parts(self, side: str, t: float) -> tuple[float, float]:
        pot = fat = 0.0
        for tk, w in self.imp[side]:
            if tk <= t:
                pot += w * math.exp(-(t - tk) / self.p.tau_p)
                fat += w * math.exp(-(t - tk) / self.p.tau_f)
        return pot, fat

    def perf(self, side: str, t: float) -> float:
        pot, fat = self.parts(side, t)
        return 1.0 + self.p.k_p * pot - self.p.k_f * fat


# ------------------------------------------------------------------------ session

@dataclass
class _Rep:
    t0: float
    t1: float
    t2: float
    t3: float
    rng_mm: float
    frac: float  # aborted / failed: share of the set's median range; 0 for full reps
    f0: float = 0.0
    f1: float = 0.0
    conc_i: int = 0
    ecc_i: int = 0
    deficit: float = 0.0
    steps: list[tuple[float, float, float]] = field(default_factory=list)  # (t, dur, mm)
    breaths: list[tuple[float, float, float]] = field(default_factory=list)  # (t, dur, mm)
    coughs: list[tuple[float, float]] = field(default_factory=list)  # (t, mm)
    laugh: tuple[float, float, float] | None = None  # (t, dur, mm)

    @property
    def aborted(self) -> bool:
        return self.frac > 0.0


@dataclass
class _Set:
    index: int
    exercise: str
    kind: str
    side: str
    to_failure: bool
    warmup: bool
    reps: list[_Rep]
    start: float = 0.0
    end: float = 0.0


@dataclass
class _Fidget:
    kind: str
    t0: float
    t1: float
    amplitude_mm: float
    keys_t: list[float]
    keys_v: list[float]
    osc: tuple[float, float] | None = None  # (frequency, amplitude) of a rocking
    pre_from: float = 0.0
    pre_to: float = 0.0
    pre_keys: tuple[float, float] | None = None  # the pre-stretch moves between these


@dataclass
class _Session:
    sets: list[_Set]
    fidgets: list[_Fidget]
    exercises: list[str]
    program: str
    order: str
    total: float
    pre0: float


def _posture(exercise: str, side: str) -> str:
    p = EXERCISES[exercise].posture
    return f"side_{side}" if p == "side" else p


def _plan_reps(rng: np.random.Generator, person: _Person, fat: _Fatigue, st: _Set, t: float,
               target: int, cfg: GenConfig, still: bool) -> float:
    """Fill a set of reps starting at ``t``; returns its end."""
    ex = EXERCISES[st.exercise]
    ep = person.ex[st.exercise]
    warm = st.warmup
    r0 = ep.range_mm * float(np.exp(0.04 * rng.standard_normal())) * (
        float(rng.uniform(0.55, 0.75)) if warm else 1.0)
    floor = float(rng.uniform(0.03, 0.1)) * r0 if rng.random() < person.floor_p else 0.0
    pm = 1.0
    n_full = 0
    reps: list[_Rep] = []
    nb_c, nb_e = len(person.conc_bank), len(person.ecc_bank)
    while True:
        perf = fat.perf(st.side, t)
        d = float(np.clip((1.0 - perf) / (1.0 - person.p_fail), 0.0, 1.2))
        boost = max(perf - 1.0, 0.0)
        if st.to_failure:
            if (n_full >= 3 and perf < person.p_fail) or n_full >= 45:
                break
        elif n_full >= target:
            break
        abort = (not st.to_failure and n_full >= 1 and rng.random() < cfg.partial_prob)
        pm *= float(np.exp(person.pm_sd * rng.standard_normal()))
        tempo = 0.85 if warm else 1.0
        conc = _gamma(rng, ep.conc * tempo * pm * (1.0 + 0.9 * d * d), person.cv)
        pause = 0.0 if ep.turns else _gamma(
            rng, ep.pause * pm * (0.4 if warm else 1.0) * (1.0 - 0.5 * min(d, 1.0)),
            person.cv * 1.5)
        ecc = _gamma(rng, ep.ecc * tempo * pm * (1.0 - 0.2 * min(d, 1.0)), person.cv)
        rng_mm = r0 * (1.0 - 0.3 * min(d, 1.0) ** 1.5) * (1.0 + min(0.1, 2.0 * boost)) * float(
            np.exp(0.025 * rng.standard_normal()))
        frac = 0.0
        if abort:
            frac = float(rng.uniform(0.15, 0.42))
            rng_mm = frac * r0
            conc *= float(rng.uniform(0.5, 0.8))
            pause = float(rng.uniform(0.0, 0.25))
            ecc = float(rng.uniform(0.45, 0.9))
        conc, ecc = max(conc, 0.3), max(ecc, 0.3)
        pause = min(pause, 2.2)
        rep = _Rep(t, t + conc, t + conc + pause, t + conc + pause + ecc, rng_mm, frac,
                   conc_i=int(rng.integers(nb_c)), ecc_i=int(rng.integers(nb_e)), deficit=d)
        reps.append(rep)
        fat.add(st.side, rep.t1, ex.load * rng_mm / ep.range_mm * (1.0 + 0.4 * pause))
        n_full += int(not abort)
        if abort:
            rest = float(rng.uniform(0.8, 2.2))
        elif rng.random() < person.p_bb:
            rest = 0.0
        else:
            rest = min(_gamma(rng, person.bottom, 0.35), 2.5)
        t = rep.t3 + rest
    if st.to_failure:  # failed attempts, decreasing
        fr = np.sort(rng.uniform(0.12, 0.4, int(rng.integers(1, 4))))[::-1]
        t = reps[-1].t3 + float(rng.uniform(0.3, 1.5))
        for f in fr:
            conc = ep.conc * float(rng.uniform(0.8, 1.6))
            pause = float(rng.uniform(0.0, 0.3))
            ecc = float(rng.uniform(0.35, 0.8))
            rep = _Rep(t, t + conc, t + conc + pause, t + conc + pause + ecc, 0.0, float(f),
                       conc_i=int(rng.integers(nb_c)), ecc_i=int(rng.integers(nb_e)),
                       deficit=1.0)
            reps.append(rep)
            fat.add(st.side, rep.t1, ex.load * float(f))
            t = rep.t3 + float(rng.uniform(0.3, 1.5))
    med = float(np.median([r.rng_mm for r in reps if not r.aborted]))
    for r in reps:
        if r.aborted:
            r.rng_mm = r.frac * med
    for k, r in enumerate(reps):  # floors: from rest and back to it
        r.f0 = reps[k - 1].f1 if k else 0.0
        r.f1 = floor if k < len(reps) - 1 else 0.0
    if not still:
        for r in reps:
            pause = r.t2 - r.t1
            if pause >= 0.4:
                for _ in range(int(rng.integers(0, 3))):
                    dur = float(rng.uniform(0.08, 0.15))
                    at = float(rng.uniform(r.t1 + 0.05, r.t2 - dur - 0.05)) if (
                        pause > dur + 0.1) else r.t1
                    sgn = -1.0 if rng.random() < 0.7 else 1.0
                    if pause > dur + 0.1:
                        r.steps.append((at, dur, sgn * float(rng.uniform(0.003, 0.015))
                                        * r.rng_mm))
    st.reps = reps
    st.start, st.end = reps[0].t0, reps[-1].t3
    return st.end


def _plan_hold(rng: np.random.Generator, person: _Person, fat: _Fatigue, st: _Set, t: float,
               still: bool) -> float:
    ex = EXERCISES[st.exercise]
    ep = person.ex[st.exercise]
    conc = _gamma(rng, ep.conc, person.cv)
    ecc = _gamma(rng, ep.ecc, person.cv)
    n_b = int(rng.integers(3, 9))
    lead = float(rng.uniform(0.5, 1.5))
    breaths: list[tuple[float, float, float]] = []
    tb = lead
    amp0 = float(rng.uniform(0.5, 3.0))
    for k in range(n_b):
        inhale = float(rng.uniform(1.0, 2.0))
        exhale = float(rng.uniform(2.5, 5.0))
        breaths.append((tb + inhale, exhale, amp0 * 0.85 ** k))
        tb += inhale + exhale
    dur = float(np.clip(tb + float(rng.uniform(0.3, 1.2)), 8.5, 55.0))
    d = float(np.clip((1.0 - fat.perf(st.side, t)) / (1.0 - person.p_fail), 0.0, 1.0))
    rng_mm = ep.range_mm * float(np.exp(0.04 * rng.standard_normal())) * (1.0 - 0.2 * d)
    rep = _Rep(t, t + conc, t + conc + dur, t + conc + dur + ecc, rng_mm, 0.0,
               conc_i=int(rng.integers(len(person.conc_bank))),
               ecc_i=int(rng.integers(len(person.ecc_bank))), deficit=d)
    if not still:
        rep.breaths = [(rep.t1 + a, b, c) for a, b, c in breaths if a + 0.5 < dur]
        if rng.random() < 0.3:
            for _ in range(int(rng.integers(1, 3))):
                rep.coughs.append((rep.t1 + float(rng.uniform(1.0, dur - 1.0)),
                                   float(rng.uniform(1.0, 4.0))))
        if rng.random() < 0.12 and dur > 6.0:
            ld = float(rng.uniform(1.0, 2.0))
            rep.laugh = (rep.t1 + float(rng.uniform(1.0, dur - ld - 1.0)), ld,
                         float(rng.uniform(0.5, 1.5)))
    fat.add(st.side, rep.t2, ex.load * 0.12 * dur)
    st.reps = [rep]
    st.start, st.end = rep.t0, rep.t3
    return st.end


def _make_fidget(rng: np.random.Generator, kind: str, t0: float, person: _Person,
                 range_mm: float, pre_from: float, pre_to: float) -> _Fidget:
    if kind == "retie":
        dur = float(rng.uniform(6.0, 14.0))
        slack = -float(rng.uniform(20.0, 60.0))
        ks = [0.0, float(rng.uniform(0.8, 1.5))]
        vs = [0.0, slack - pre_from]
        tt = ks[-1]
        for _ in range(int(rng.integers(2, 5))):  # pulling the knot tight
            tt += float(rng.uniform(0.6, 1.4))
            ks += [tt, tt + float(rng.uniform(0.25, 0.5))]
            vs += [slack - pre_from + float(rng.uniform(8.0, 25.0)), slack - pre_from]
        dur = max(dur, tt + 2.5)
        t_on = tt + float(rng.uniform(0.3, 0.8))
        ks += [t_on, dur]
        vs += [slack - pre_from, 0.0]
        f = _Fidget(kind, t0, t0 + dur, float(abs(slack - pre_from)), ks, vs,
                    pre_from=pre_from, pre_to=pre_to, pre_keys=(t_on, dur))
        # the re-tied band: before t_on the keys are relative to the old pre-stretch,
        # after it the pre-stretch moves to the new one while the key offset vanishes
        return f
    if kind == "partner":
        a = float(rng.uniform(20.0, 70.0))
        up, hold, down = (float(rng.uniform(1.0, 2.0)), float(rng.uniform(0.5, 2.0)),
                          float(rng.uniform(0.6, 1.2)))
        wob = float(rng.uniform(-3.0, 3.0))
        ks = [0.0, up, up + 0.5 * hold, up + hold, up + hold + down]
        vs = [0.0, a, a + wob, a, 0.0]
        return _Fidget(kind, t0, t0 + ks[-1], a, ks, vs)
    if kind == "roller":
        dur = float(rng.uniform(8.0, 20.0))
        a = float(rng.uniform(2.0, 10.0))
        return _Fidget(kind, t0, t0 + dur, a, [0.0, dur], [0.0, 0.0],
                       osc=(float(rng.uniform(0.3, 0.7)), a))
    if kind == "sneeze":
        a = float(rng.uniform(5.0, 25.0))
        rise = float(rng.uniform(0.15, 0.25))
        ks = [0.0, rise, rise + float(rng.uniform(0.2, 0.35)), rise + 0.55, rise + 0.9]
        vs = [0.0, a, -0.2 * a, 0.08 * a, 0.0]
        return _Fidget(kind, t0, t0 + ks[-1], a, ks, vs)
    # turnover: irregular pulls, the new posture's pre-stretch
    n = int(rng.integers(3, 7))
    ks = [0.0]
    vs = [0.0]
    tt = 0.0
    for _ in range(n):
        tt += float(rng.uniform(0.4, 1.2))
        ks.append(tt)
        vs.append(float(rng.uniform(-8.0, 40.0)))
    tt += float(rng.uniform(0.5, 1.0))
    ks.append(tt)
    vs.append(0.0)
    amp = float(max(abs(v) for v in vs))
    mid = ks[len(ks) // 2]
    return _Fidget("turnover", t0, t0 + tt, amp, ks, vs, pre_from=pre_from, pre_to=pre_to,
                   pre_keys=(mid - 0.3, mid + 0.5))


def _session(rng: np.random.Generator, person: _Person, cfg: GenConfig, no_fidgets: bool,
             still: bool) -> _Session:
    hold = bool(rng.random() < 0.6) if cfg.hold_exercise is None else bool(cfg.hold_exercise)
    n_ex = int(rng.choice([2, 3, 4], p=[0.35, 0.4, 0.25])) if cfg.exercises is None else int(
        cfg.exercises)
    reps_ex = ["sidelying_hip_er", "single_leg_bridge", "table_top_hip_er"]
    n_ex = int(np.clip(n_ex, 2, 4 if hold else 3))
    if hold:
        chosen = ["table_top_reach"] + [reps_ex[i] for i in rng.permutation(3)[: n_ex - 1]]
    else:
        chosen = [reps_ex[i] for i in rng.permutation(3)[:n_ex]]
    order = "article" if rng.random() < 0.5 else "shuffled"
    if order == "article":
        chosen.sort(key=ORDER.index)
    else:
        chosen = [chosen[i] for i in rng.permutation(len(chosen))]
    program = str(rng.choice(PROGRAMS, p=[0.5, 0.25, 0.25]))
    if program == "warmup" and len(chosen) == 4:  # no time for warm-ups in a long session
        program = "straight"
    per_side = {2: ([1, 2, 3], [0.2, 0.5, 0.3]), 3: ([1, 2], [0.4, 0.6]),
                4: ([1, 2], [0.6, 0.4])}[len(chosen)]
    plan: list[tuple[str, str, int, bool]] = []  # exercise, side, target, warm-up
    for name in chosen:
        ex = EXERCISES[name]
        n = int(rng.choice(per_side[0], p=per_side[1]))
        first = "left" if rng.random() < 0.5 else "right"
        other = "right" if first == "left" else "left"
        blocked = rng.random() < (0.7 if ex.failure else 0.4)
        if program == "pyramid" and n > 1:
            tg = list(np.round(np.linspace(8, 12, n) / 2.0).astype(int) * 2)
            if rng.random() < 0.5:
                tg = tg[::-1]
        else:
            tg = [int(rng.choice([9, 10, 10, 10, 10, 11])) for _ in range(n)]
        warm = program == "warmup" and ex.kind == "reps" and not ex.failure
        seq: list[list[tuple[str, int, bool]]] = []
        for side in (first, other):
            side_sets = [(side, int(rng.integers(8, 11)), True)] if warm else []
            side_sets += [(side, int(k), False) for k in tg]
            seq.append(side_sets)
        if blocked:
            flat = seq[0] + seq[1]
        else:
            flat = [x for pair in zip(seq[0], seq[1], strict=True) for x in pair]
        plan += [(name, s, k, w) for s, k, w in flat]
    fat = _Fatigue(person)
    sets: list[_Set] = []
    fidgets: list[_Fidget] = []
    t = float(rng.uniform(6.0, 25.0))
    pre0 = person.pre[_posture(plan[0][0], plan[0][1])]
    pre = pre0
    prev_end = 0.0
    for i, (name, side, target, warm) in enumerate(plan):
        ex = EXERCISES[name]
        if i:
            prev = sets[-1]
            pot, f_now = fat.parts(side, prev_end)
            ready = person.comfort * (1.0 - person.p_fail) + person.k_p * pot
            need = person.tau_f * math.log(person.k_f * f_now / ready) if (
                person.k_f * f_now > ready) else 0.0
            rest = 13.0 + min(need, 60.0) * float(rng.uniform(0.5, 1.0)) + float(
                rng.lognormal(math.log(8.0), 0.6))
            if prev.exercise != name:
                rest += float(rng.uniform(10.0, 30.0))
            t = prev_end + rest
        # fidgets of the rest before this set (or of the lead-in)
        kinds: list[str] = []
        new_post = _posture(name, side)
        old_post = _posture(sets[-1].exercise, sets[-1].side) if sets else new_post
        if new_post != old_post:
            kinds.append("turnover")
        if not no_fidgets:
            u = rng.random()
            nr = 2 if u < 0.15 else (1 if u < 0.6 else 0)
            for _ in range(nr):
                kinds.append(str(rng.choice(["retie", "partner", "roller", "sneeze"],
                                            p=[0.2, 0.25, 0.3, 0.25])))
        if kinds:
            kinds = [kinds[i] for i in rng.permutation(len(kinds))]
            made: list[_Fidget] = []
            for kind in kinds:
                if no_fidgets and kind == "turnover":
                    # without fidgets the posture still changes, but quietly (no listed pulls)
                    pre = person.pre[new_post]
                    continue
                to = pre
                if kind == "turnover":
                    to = person.pre[new_post]
                elif kind == "retie":
                    to = float(np.clip(pre + rng.uniform(-15.0, 15.0), 3.0, 60.0))
                f = _make_fidget(rng, kind, 0.0, person, person.ex[name].range_mm, pre, to)
                pre = to
                made.append(f)
            if made:
                need_s = sum(f.t1 - f.t0 for f in made) + 0.6 * (len(made) - 1) + 3.2
                start = prev_end if sets else 0.0
                t = max(t, start + need_s)
                slack = (t - start) - need_s
                gaps = rng.dirichlet(np.ones(len(made) + 1)) * slack
                tt = start + 1.6 + float(gaps[0])
                for k, f in enumerate(made):
                    d = f.t1 - f.t0
                    f.t0, f.t1 = tt, tt + d
                    tt = f.t1 + 0.6 + float(gaps[k + 1])
                fidgets += made
        elif new_post != old_post:
            pre = person.pre[new_post]
        st = _Set(len(sets), name, ex.kind, side, ex.failure, warm, [])
        if ex.kind == "hold":
            prev_end = _plan_hold(rng, person, fat, st, t, still)
        else:
            prev_end = _plan_reps(rng, person, fat, st, t, target, cfg, still)
        sets.append(st)
    total = prev_end + float(rng.uniform(5.0, 20.0))
    return _Session(sets, fidgets, chosen, program, order, total, pre0)


# ------------------------------------------------------------------------ rendering

def _render(rng: np.random.Generator, person: _Person, sess: _Session, still: bool,
            no_fidgets: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(grid times, movement above the pre-stretch, pre-stretch, set mask) on the grid."""
    n = math.ceil(sess.total * FS) + 1
    tg = np.arange(n) * DT
    x = np.zeros(n)
    in_set = np.zeros(n, dtype=bool)
    for st in sess.sets:
        in_set[_gi(st.start): _gi(st.end) + 1] = True
        ref = person.ex[st.exercise].range_mm
        for r in st.reps:
            top = r.f0 + r.rng_mm
            i0, i1, i2, i3 = _gi(r.t0), _gi(r.t1), _gi(r.t2), _gi(r.t3)
            u = (tg[i0:i1] - r.t0) / (r.t1 - r.t0)
            x[i0:i1] = r.f0 + (top - r.f0) * np.interp(u, _U, person.conc_bank[r.conc_i])
            level = np.full(i2 - i1, top)
            tau = tg[i1:i2] - r.t1
            for at, dur, mm in r.steps:
                level += mm * _smoother((tg[i1:i2] - at) / dur)
            top_end = top + sum(mm for _, _, mm in r.steps)
            if r.breaths or r.coughs or r.laugh is not None:
                hold_d = r.t2 - r.t1
                z = np.zeros(i2 - i1)
                for at, dur, mm in r.breaths:  # exhale: a gamma-function bracing pulse
                    s = np.clip((tg[i1:i2] - at) / dur, 0.0, None)
                    z += mm * (s / 0.3) ** 2 * np.exp(2.0 * (1.0 - s / 0.3))
                for at, mm in r.coughs:  # a sharp drop and rebound
                    s = tg[i1:i2] - at
                    z += -mm * np.exp(-0.5 * (s / 0.06) ** 2) + 0.35 * mm * np.exp(
                        -0.5 * ((s - 0.18) / 0.08) ** 2)
                if r.laugh is not None:
                    at, ld, mm = r.laugh
                    s = tg[i1:i2] - at
                    z += mm * np.sin(2 * np.pi * 5.0 * s) * _window(s, ld, 0.3)
                sag = -float(rng.uniform(0.01, 0.04)) * r.rng_mm * tau / hold_d
                z += sag
                level += z * _window(tau, hold_d, 0.4)
            x[i1:i2] = level
            u = (tg[i2:i3] - r.t2) / (r.t3 - r.t2)
            x[i2:i3] = top_end + (r.f1 - top_end) * np.interp(u, _U, person.ecc_bank[r.ecc_i])
        # rest between reps: at the floor
        for a, b in zip(st.reps[:-1], st.reps[1:], strict=True):
            x[_gi(a.t3): _gi(b.t0)] = a.f1
        if not still:  # tremor: Gabor bursts at Poisson times, scaled by the lift squared
            dur = st.end - st.start
            nb = int(rng.poisson(person.trem_rate * dur))
            i0, i1 = _gi(st.start), _gi(st.end) + 1
            trem = np.zeros(i1 - i0)
            tt = tg[i0:i1]
            dmean = float(np.mean([r.deficit for r in st.reps]))
            for c in rng.uniform(st.start, st.end, nb):
                sd = float(rng.uniform(0.08, 0.2))
                j0, j1 = max(_gi(c - 3 * sd) - i0, 0), min(_gi(c + 3 * sd) - i0, len(tt))
                s = tt[j0:j1] - c
                f = person.trem_f + float(rng.uniform(-1.0, 1.0))
                trem[j0:j1] += float(rng.standard_normal()) * np.exp(-0.5 * (s / sd) ** 2) \
                    * np.sin(2 * np.pi * f * s + float(rng.uniform(0, 2 * np.pi)))
            lift = np.clip(x[i0:i1] / ref, 0.0, 1.2) ** 2
            x[i0:i1] += person.trem_amp * (1.0 + 2.0 * dmean) * lift * trem
    pre = np.full(n, sess.pre0)
    for fd in sorted(sess.fidgets, key=lambda q: q.t0):
        i0, i1 = _gi(fd.t0), _gi(fd.t1) + 1
        tau = tg[i0:i1] - fd.t0
        mv = _keys(tau, fd.keys_t, fd.keys_v)
        if fd.osc is not None:
            fr, amp_o = fd.osc
            mv = mv + amp_o * 0.5 * (1.0 - np.cos(2 * np.pi * fr * tau)) * _window(
                tau, fd.t1 - fd.t0, 1.0)
        x[i0:i1] += mv
        if fd.pre_keys is not None:
            ka, kb = fd.pre_keys
            pre[i0:i1] = fd.pre_from + (fd.pre_to - fd.pre_from) * _smoother((tau - ka) / (kb - ka))
            pre[i1:] = fd.pre_to
    # a posture change without a listed fidget (no_fidgets): a quiet change mid-rest
    if no_fidgets:
        for sa, sb in zip(sess.sets[:-1], sess.sets[1:], strict=True):
            pa = person.pre[_posture(sa.exercise, sa.side)]
            pb = person.pre[_posture(sb.exercise, sb.side)]
            if pa != pb:
                tm = 0.5 * (sa.end + sb.start)
                i0, i1 = _gi(tm - 1.5), _gi(tm + 1.5)
                pre[i0:i1] = pa + (pb - pa) * _smoother((tg[i0:i1] - (tm - 1.5)) / 3.0)
                pre[i1:] = pb
    if not still:  # breathing sway in rests, faded out around sets
        near = np.zeros(n, dtype=bool)
        for st in sess.sets:
            near[_gi(st.start - 1.5): _gi(st.end + 1.5) + 1] = True
        fade = signal.fftconvolve((~near).astype(float), np.hanning(int(FS)) / (FS / 2),
                                  mode="same")
        fade = np.clip(fade, 0.0, 1.0) * (~near)
        ph = 2 * np.pi * np.cumsum(person.breath_f * (1.0 + 0.1 * _smooth_noise(
            rng, n, int(5 * FS)))) * DT
        amp = person.breath_amp * (1.0 + 0.3 * _smooth_noise(rng, n, int(8 * FS)))
        x += fade * amp * np.sin(ph)
    return tg, x, pre, in_set


# ------------------------------------------------------------------------ sensors

def _skin_temperature(rng: np.random.Generator, tg: np.ndarray, sess: _Session) -> np.ndarray:
    """Film temperature (deg C): first-order approach to a posture-dependent target."""
    target = np.full(len(tg), float(rng.uniform(22.0, 26.0)))
    skin = {"side": float(rng.uniform(31.0, 33.5)), "supine": float(rng.uniform(30.0, 32.5)),
            "quad": float(rng.uniform(28.0, 31.0))}
    for st in sess.sets:
        target[_gi(st.start - 5.0):] = skin[EXERCISES[st.exercise].posture]
    tau = float(rng.uniform(60.0, 240.0))
    a = math.exp(-DT / tau)
    out: np.ndarray = signal.lfilter([1.0 - a], [1.0, -a], target - target[0]) + target[0]
    return out


def _piezo(dev: np.random.Generator, cfg: GenConfig, tg: np.ndarray, f_band: np.ndarray,
           x: np.ndarray, temp: np.ndarray, t_s: np.ndarray,
           faults: dict[str, int]) -> np.ndarray:
    """Piezo film + charge amplifier + firmware DC restoration, sampled at ``t_s``."""
    rate = float(cfg.rate_hz)
    t0 = float(temp[0])
    gain = 1.0 + float(dev.uniform(-0.04, 0.04))
    q = f_band * (1.0 + 0.003 * (temp - t0)) * gain
    q = q + float(dev.uniform(0.05, 0.25)) * (temp - t0)  # pyroelectric charge (N equivalent)
    speed = np.abs(np.gradient(x, DT))
    tribo = float(dev.uniform(0.002, 0.01)) * speed * _smooth_noise(dev, len(tg), 2)
    q = q + tribo
    tau = float(dev.uniform(2.0, 20.0))
    tau_hat = tau * (1.0 + float(dev.uniform(-0.04, 0.04)))
    tau_l = float(dev.uniform(1500.0, 4200.0))
    # H(s) = s (s + 1/tau_l + 1/tau_hat) / ((s + 1/tau) (s + 1/tau_l))
    b_s = np.array([1.0, 1.0 / tau_l + 1.0 / tau_hat, 0.0])
    a_s = np.array([1.0, 1.0 / tau + 1.0 / tau_l, 1.0 / (tau * tau_l)])
    bz, az = signal.bilinear(b_s, a_s, fs=FS)
    y = signal.lfilter(bz, az, q - q[0])
    y0 = float(f_band[0]) * float(dev.uniform(0.7, 1.3))  # typed-in pre-tension
    y = y + y0 * np.exp(-tg / tau_l)
    bias = float(dev.uniform(0.2, 1.0)) * (2.0 ** ((temp - t0) / 10.0) - 1.0)
    a1 = math.exp(-DT / (0.1 * tau_l))
    y = y + signal.lfilter([1.0 - a1], [1.0, -a1], bias)  # bias current through the integrator
    y = y + float(dev.uniform(0.02, 0.08)) * dev.standard_normal(len(tg))
    fc = min(0.35 * rate, 0.4 * FS)
    bb, ab = signal.bessel(2, fc, btype="low", fs=FS, norm="phase")
    y = signal.lfilter(bb, ab, y - y[0]) + y[0]
    out = np.interp(t_s, tg, y)
    n_esd = int(dev.poisson(cfg.esd_per_min * cfg.loss_scale * tg[-1] / 60.0))
    for i in dev.integers(0, len(out) - 3, n_esd):
        amp = float(dev.uniform(10.0, 40.0)) * (1.0 if dev.random() < 0.5 else -1.0)
        for k in range(int(dev.integers(1, 4))):
            out[i + k] += amp * 0.45 ** k
    faults["esd"] = n_esd
    rail = 320.0
    faults["clipped_samples"] = int(np.sum(np.abs(out) > rail))
    out = np.clip(out, -rail, rail)
    lsb = 2 * rail / 65536.0
    out = np.round(out / lsb) * lsb
    res: np.ndarray = np.round(out / GRAM_N) * GRAM_N
    return res


def _fbg(dev: np.random.Generator, cfg: GenConfig, tg: np.ndarray, e_total: np.ndarray,
         temp: np.ndarray, t_s: np.ndarray, faults: dict[str, int]) -> np.ndarray:
    """Fibre Bragg grating on a tether reel's leaf spring, sampled at ``t_s`` (mm)."""
    ue_per_mm = float(dev.uniform(3.0, 5.0))
    nonlin = float(dev.uniform(0.01, 0.03))
    ext = np.maximum(e_total, 0.0)
    strain = ue_per_mm * ext * (1.0 + nonlin * ext / 300.0)  # microstrain
    tau = float(dev.uniform(0.01, 0.04))
    a = math.exp(-DT / tau)
    strain = signal.lfilter([1.0 - a], [1.0, -a], strain - strain[0]) + strain[0]
    shift = 1.2 * strain + 10.0 * (temp - 25.0) * float(dev.uniform(0.02, 0.08)) * (
        1.0 if dev.random() < 0.5 else -1.0)  # pm, after the reference grating
    pm = np.interp(t_s, tg, shift) + float(dev.uniform(0.4, 2.0)) * dev.standard_normal(len(t_s))
    n_j = int(dev.poisson(cfg.peak_jumps_per_min * cfg.loss_scale * tg[-1] / 60.0))
    for i in dev.integers(0, len(pm), n_j):
        pm[i] += float(dev.uniform(50.0, 200.0)) * (1.0 if dev.random() < 0.5 else -1.0)
    faults["peak_jumps"] = n_j
    pm = np.round(pm)
    mm = pm / (1.2 * ue_per_mm * (1.0 + float(dev.uniform(-0.02, 0.02))))
    out: np.ndarray = np.round(mm / 0.05) * 0.05
    return out


# ------------------------------------------------------------------------ link

def _link(dev: np.random.Generator, cfg: GenConfig, t_s: np.ndarray, bytes_per_sample: int,
          faults: dict[str, int]) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """(kept mask, logger stamps of all samples, disconnects (at, duration)) of the logger."""
    n = len(t_s)
    total = float(t_s[-1])
    minutes = total / 60.0
    keep = np.ones(n, dtype=bool)
    # UART to the bridge, the bridge's latency timer and 62-byte buffer
    baud = float(dev.choice([115200.0, 230400.0, 460800.0]))
    arrive = t_s + bytes_per_sample * 10.0 / baud
    lat = float(dev.choice([0.001, 0.002, 0.004, 0.008, 0.016]))
    phase = float(dev.uniform(0.0, lat))
    tick = np.ceil((arrive - phase) / lat)
    cap = max(62 // bytes_per_sample, 1)
    first = np.searchsorted(tick, tick, side="left")
    pos = np.arange(n) - first
    chunk = pos // cap
    send = tick * lat + phase
    full_last = first + (chunk + 1) * cap - 1
    same_tick = full_last < n
    full_last_c = np.minimum(full_last, n - 1)
    is_full = same_tick & (tick[full_last_c] == tick)
    send = np.where(is_full, arrive[full_last_c], send)
    avail = np.ceil(send * 1000.0) / 1000.0 + 0.000125  # USB 1 ms frames
    # host reads: polls with OS jitter, hiccups (stalls)
    poll = float(dev.uniform(0.004, 0.02))
    jit = float(dev.uniform(0.0001, 0.0015))
    n_r = int(total / poll * 1.05) + 100
    reads = float(dev.uniform(0.0, poll)) + np.cumsum(poll + dev.exponential(jit, n_r))
    n_st = int(dev.poisson(cfg.stalls_per_min * cfg.loss_scale * minutes))
    buf = int(float(dev.choice([4096.0, 8192.0, 16384.0])) / bytes_per_sample)
    overrun = 0
    stalls = np.sort(dev.uniform(1.0, total, n_st))
    durs = np.minimum(dev.lognormal(math.log(0.12), 1.1, n_st), 6.0)
    if n_st:
        # samples per second at the rate of the link decide whether the buffer overflows
        rate_s = (n - 1) / total
        cap_s = buf / rate_s
        durs = np.where(dev.random(n_st) < 0.04, np.maximum(durs, cap_s * dev.uniform(
            1.05, 1.6, n_st)), durs)
    for at, d in zip(stalls, durs, strict=True):
        reads = np.concatenate((reads[(reads < at) | (reads > at + d)], [at + d]))
        reads.sort()
    reads = np.concatenate((reads, [max(float(avail[-1]), float(reads[-1])) + poll]))
    for at, d in zip(stalls, durs, strict=True):  # the driver's buffer overflows
        prev = float(reads[np.searchsorted(reads, at) - 1]) if np.searchsorted(reads, at) else 0.0
        m = np.flatnonzero((avail > prev) & (avail <= at + d))
        if len(m) > buf:
            keep[m[buf:]] = False
            overrun += len(m) - buf
    faults["stalls"] = n_st
    faults["overrun_samples"] = overrun
    # CRC-rejected frames (EMI on the cable)
    n_crc = int(dev.poisson(cfg.crc_errors_per_min * cfg.loss_scale * minutes))
    for i in dev.integers(1, n - 2, n_crc):
        keep[i: i + int(dev.integers(1, 3))] = False
    faults["crc_rejected"] = n_crc
    # cable disconnects
    drops: list[tuple[float, float]] = []
    n_dc = int(dev.poisson(cfg.link_drops_per_hour * cfg.loss_scale * total / 3600.0))
    for at in np.sort(dev.uniform(5.0, max(total - 10.0, 6.0), n_dc)):
        d = float(dev.uniform(1.0, 6.0))
        keep[(t_s >= at) & (t_s <= at + d)] = False
        drops.append((float(at), d))
    faults["disconnects"] = len(drops)
    keep[0] = keep[-1] = True
    # each sample's read; anchors: the last kept sample of every read that delivered data
    rd = np.searchsorted(reads, avail, side="left")
    rd = np.minimum(rd, len(reads) - 1)
    kept_idx = np.flatnonzero(keep)
    last_of_read = kept_idx[np.r_[rd[kept_idx][1:] != rd[kept_idx][:-1], True]]
    r_t = reads[rd[last_of_read]]
    every = float(dev.uniform(0.2, 1.0))  # the logger re-anchors once per interval
    win = np.floor(r_t / every)
    pick = np.r_[True, win[1:] != win[:-1]]
    pick[-1] = True
    anc_seq = last_of_read[pick].astype(np.float64)
    anc_t = r_t[pick]
    seq = np.arange(n, dtype=np.float64)
    period = total / max(n - 1, 1)
    stamps = np.interp(seq, anc_seq, anc_t)
    lo = seq < anc_seq[0]
    stamps[lo] = anc_t[0] - (anc_seq[0] - seq[lo]) * period
    hi = seq > anc_seq[-1]
    stamps[hi] = anc_t[-1] + (seq[hi] - anc_seq[-1]) * period
    stamps -= float(np.median(stamps - t_s))
    stamps = np.round(stamps * 1e6) / 1e6
    return keep, stamps, drops


# ------------------------------------------------------------------------ generate

def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    rng = np.random.default_rng(seed)
    extra = cfg.extra
    clean = bool(extra.get("clean", False))
    still = bool(extra.get("still", False))
    ideal = bool(extra.get("ideal_band", False))
    no_fidgets = bool(extra.get("no_fidgets", False))
    rate = float(cfg.rate_hz)
    person = _person(rng)
    band = _band(rng)
    sess = _session(rng, person, cfg, no_fidgets, still)
    has_stretch = bool(rng.random() < 0.5) if cfg.has_stretch is None else bool(cfg.has_stretch)
    if cfg.time_offset_s is not None:
        offset = float(cfg.time_offset_s)
    else:
        u = rng.random()
        offset = 0.0 if u < 0.3 else (float(rng.uniform(100.0, 1e5)) if u < 0.65
                                      else float(rng.uniform(1.6e9, 1.8e9)))
    sub = np.random.default_rng([seed, 5])
    tg, x, pre, _in_set = _render(sub, person, sess, still, no_fidgets)
    e_total = pre + x
    f_band, dset = _band_force(band, e_total, ideal)
    dev = np.random.default_rng([seed, 13])
    faults: dict[str, int] = {}
    gaps: list[dict[str, Any]] = []
    drops: list[tuple[float, float]] = []
    ppm = 0.0 if clean else float(dev.uniform(-80.0, 80.0)) * 1e-6
    period = (1.0 / rate) * (1.0 + ppm)
    phase0 = 0.0 if clean else float(dev.uniform(0.0, period))
    n_s = int((float(tg[-1]) - phase0) / period) + 1
    t_s = phase0 + np.arange(n_s) * period
    stretch_all: np.ndarray | None = None
    if clean:
        time_s = offset + np.arange(n_s) / rate
        force_n = np.interp(t_s, tg, f_band)
        if has_stretch:
            stretch_all = np.interp(t_s, tg, e_total)
        stamps_all = t_s.copy()
    else:
        temp = _skin_temperature(dev, tg, sess)
        force_all = _piezo(dev, cfg, tg, f_band, x, temp, t_s, faults)
        if has_stretch:
            stretch_all = _fbg(dev, cfg, tg, e_total, temp, t_s, faults)
        keep, stamps_all, drops_dev = _link(dev, cfg, t_s, 12 if has_stretch else 8, faults)
        drops = [(float(offset + np.interp(at, t_s, stamps_all)), d) for at, d in drops_dev]
        for i0, i1 in _runs(~keep):
            gaps.append({"start_s": float(offset + stamps_all[i0]),
                         "end_s": float(offset + stamps_all[i1]), "samples": int(i1 - i0 + 1)})
        time_s = offset + stamps_all[keep]
        force_n = force_all[keep]
        if stretch_all is not None:
            stretch_all = stretch_all[keep]

    def tm(ts: float) -> float:
        if ts <= t_s[0]:
            return float(offset + stamps_all[0] + (ts - t_s[0]))
        if ts >= t_s[-1]:
            return float(offset + stamps_all[-1] + (ts - t_s[-1]))
        return float(offset + np.interp(ts, t_s, stamps_all))

    # ---------------------------------------------------------------- truth
    def at(arr: np.ndarray, xs: float) -> float:
        return float(np.interp(xs, tg, arr))

    t_sets: list[dict[str, Any]] = []
    t_reps: list[dict[str, Any]] = []
    t_holds: list[dict[str, Any]] = []
    for st in sess.sets:
        if st.kind == "reps":
            ranges = [r.rng_mm for r in st.reps]
            med = float(np.median([r.rng_mm for r in st.reps if not r.aborted]))
            flags = [xr < 0.5 * med for xr in ranges]
        else:
            flags = [False]
        t_sets.append({
            "index": st.index, "kind": st.kind, "side": st.side, "start_s": tm(st.start),
            "end_s": tm(st.end),
            "rep_count": 0 if st.kind == "hold" else int(sum(not p for p in flags)),
            "partial_count": 0 if st.kind == "hold" else int(sum(flags)),
            "exercise": st.exercise, "to_failure": st.to_failure,
            "pre_tension_n": at(f_band, max(st.start - 0.5, 0.0)),
            "warmup": st.warmup,
        })
        for r, part in zip(st.reps, flags, strict=True):
            t0, t1, t2, t3 = tm(r.t0), tm(r.t1), tm(r.t2), tm(r.t3)
            if r.t2 == r.t1:
                t2 = t1
            i0, i3 = _gi(r.t0), _gi(r.t3) + 1
            if st.kind == "hold":
                t_holds.append({
                    "set": st.index, "start_s": t0, "end_s": t3, "duration_s": t2 - t1,
                    "top_start_s": t1, "top_end_s": t2, "side": st.side,
                    "mean_force_n": float(np.mean(f_band[_gi(r.t1): _gi(r.t2) + 1])),
                })
                continue
            t_reps.append({
                "index": len(t_reps), "set": st.index, "start_s": t0, "top_start_s": t1,
                "top_end_s": t2, "end_s": t3, "concentric_s": t1 - t0, "pause_s": t2 - t1,
                "eccentric_s": t3 - t2, "partial": bool(part),
                "peak_force_n": float(np.max(f_band[i0:i3])),
                "range_mm": float(r.rng_mm), "floor_start_mm": float(r.f0),
                "floor_end_mm": float(r.f1), "side": st.side,
                "concentric_profile": person.conc_names[r.conc_i],
                "eccentric_profile": person.ecc_names[r.ecc_i],
            })
    t_fidgets = [{"kind": f.kind, "start_s": tm(f.t0), "end_s": tm(f.t1),
                  "amplitude_mm": float(f.amplitude_mm)} for f in sess.fidgets]
    meta = {
        "model": "gen_model_k", "seed": int(seed), "rate_hz": rate, "time_offset_s": offset,
        "has_stretch": bool(has_stretch), "clean": clean, "still": still, "ideal_band": ideal,
        "no_fidgets": no_fidgets, "exercises": list(sess.exercises), "program": sess.program,
        "order": sess.order, "duration_s": float(sess.total),
        "person": {"conc_ratio": person.conc_style.ratio, "conc_beta": person.conc_style.beta,
                   "ecc_ratio": person.ecc_style.ratio, "ecc_beta": person.ecc_style.beta,
                   "timing_cv": person.cv, "tau_fatigue_s": person.tau_f,
                   "tau_potentiation_s": person.tau_p, "failure_level": person.p_fail},
        "band": {"length_mm": band.length, "k0_n_per_mm": band.k0, "lam_m": band.lam_m,
                 "attraction": band.attraction, "g_inf": band.g_inf,
                 "ml_alpha": band.ml_alpha, "ml_tau_s": band.ml_tau,
                 "max_set_mm": float(np.max(dset)), "pre_stretch_mm": sess.pre0},
        "clock_ppm": ppm * 1e6,
        "faults": faults,
    }
    truth = {"sets": t_sets, "reps": t_reps, "holds": t_holds, "fidgets": t_fidgets,
             "gaps": gaps, "link_drops": drops, "metadata": meta}
    return Generated(time_s=np.asarray(time_s, dtype=np.float64),
                     force_n=np.asarray(force_n, dtype=np.float64),
                     stretch_mm=None if stretch_all is None
                     else np.asarray(stretch_all, dtype=np.float64),
                     truth=truth)
