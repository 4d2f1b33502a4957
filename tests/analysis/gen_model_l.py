"""A twelfth, independent band-and-movement model (gen_model_l): tau-guided reps, light, Modbus.

Written WITHOUT looking at how bandsense analyses a recording and never run against the
analysis nor tuned to it. Read for it: the seed text
(``/work/shared/seeds/glute-exercises-for-lower-back-pain.txt``), ``analysis/scoring.py``,
``firmware_sim/truth.py``, ``tests/analysis/truth_checks.py``, the module docstrings of
``gen_model.py`` and ``gen_model_c.py`` to ``gen_model_k.py`` (to choose different modelling in
every part) and the public interface and truth layout of ``gen_model_k.py`` (mirrored here:
``GenConfig``, ``Generated``, ``generate`` and the keys of the truth dict).

- movement (motor control): every phase closes a *gap* by Lee's *general tau theory* (Lee
  1998): the gap's tau (gap / closing rate) is coupled to the intrinsic tau-G guide,
  ``tau_x(t) = k(t) tau_G(t)``, ``tau_G = (t^2 - T^2) / (2 t)``. Integrated, the gap is
  ``exp(int (1 / k) d ln(1 - s^2))`` on ``s = t / T``: it leaves rest with zero velocity (a
  quadratic onset, ``s^2 / k``), is monotone, and closes *exactly* at ``T``; for ``k < 1`` the
  velocity is zero there (``k <= 0.5``: a soft touch with the deceleration going to zero,
  ``0.5 < k < 1``: a controlled collision, used for the lowering that lands on the floor). The
  coupling constant is not constant: per phase a smooth log-normal wander of ``k(s)`` around
  the person's value (the peak velocity sits at ``s = sqrt(k / (2 - k))``: early for a small
  ``k``, late for a large one), tapered to the person's arrival coupling at the end. Variants:
  ``hesitant`` (the coupling weakens mid-way, ``k`` rises 2.5-5x in a window: the velocity dips
  without stopping) and ``switch`` (the person re-tunes the coupling part-way, from one ``k``
  to another: an early or late braking). The position is the band's elongation above its
  pre-stretch, in mm.
- rep timing: each set has a *prescribed tempo* (conc-pause-ecc-bottom counts, e.g. 2-1-2-0)
  reproduced by the *Bayesian interval reproduction* observer (Jazayeri & Shadlen 2010): the
  produced interval is the posterior mean of the noisy measured count under the person's prior
  of their preferred phase duration (regression to the mean: long counts come out short, short
  ones long), times the person's tempo (0.65-1.45), with scalar production noise. A "0" pause
  is mostly a turn without a pause, "1" about a second, "2" up to about 2.3 s.
- fatigue: a two-tank *Margaria-Morton hydraulic* bioenergetic model per side: a fast
  phosphocreatine tank drained by every rep's work (load x range x time under tension) and
  refilled exponentially (tau 25-60 s; 3x slower within a set, the contracting muscle
  occluding its blood flow), and a metabolite (H+/Pi) tank that fills with the work
  done while the PCr is low and clears slowly (tau 150-420 s). Capacity ``sqrt(PCr) (1 -
  metabolite)``; its deficit relative to the person's failure level shrinks the range (up to
  30 %), slows the concentric, shortens the pause and quickens the lowering. Sets to failure
  go on until the capacity falls under the failure level (at least 3 full reps, at most 30; a
  later set of the same side starts with depleted tanks and ends sooner), then 1-3 failed
  attempts (18-42 % of the range, decreasing). Ordinary sets have 10 reps (sometimes
  miscounted 9 or 11) with aborted reps at ``partial_prob`` (15-42 % of the range) followed by
  a re-brace. Some sets keep tension between reps (a floor of 3-10 % of the range).
- rests between sets are *breath-counted*: the person takes 4-14 slow breaths (each gamma
  distributed around their breath period), longer when changing exercise or turning over, now
  and then a long break; at least 12.5 s. The same counted breaths sway the band a little in
  the rests (faded out 1.5 s around every set).
- tremor (not ``still``): a *noisy Hopf oscillator* (the normal form of a supercritical Hopf
  bifurcation, in the rotating frame, at 8-12 Hz with a wandering frequency): its bifurcation
  parameter rises with the effort (the lift of the limb; more in sets to failure and holds),
  so tremor is only noise-driven, damped ringing at low effort and becomes a limit cycle at
  the top. It is simulated from 1 s before to 1 s after every set (none in the rests).
- holds (table-top reach, blowing up a balloon): breaths until the balloon is full (each
  exhale adds less as the person tires, 3-9 breaths, at least 8 s), breath periods an AR(1)
  process with occasional sighs; the leg moves with a person-specific three-harmonic breath
  template, and sags as the PCr tank drains (re-lifted before lowering); all tapered to zero
  with zero velocity at the ends of the hold. The top is reached and left by tau-guided phases.
- band: a latex loop as a *Hart-Smith* hyperelastic solid in uniaxial tension (``W_1 = G
  exp(k1 (I1 - 3)^2)``, ``W_2 = 3 G k2 / I2``: softening through the ``I2`` term, exponential
  stiffening), scaled to an initial stiffness of 0.10-0.35 N/mm, plus a *Bergstrom-Boyce*
  non-linear viscous network: a neo-Hookean network on the elastic part ``lam / lam_v`` of the
  stretch whose viscous stretch flows at ``C (lam_v - 1 + xi)^c (|F_B| / F_ref)^m`` (m 2.5-5):
  stress-driven, strongly non-linear relaxation and rate-dependent hysteresis; integrated at
  50 Hz (explicit, never past equilibrium) and interpolated. Slack (zero force) for an
  elongation <= 0. A ``swap`` fidget replaces the band (new stiffness, relaxed network).
- force sensor: a *fibre-optic microbend* load cell read by a Modbus slave: the load closes a
  corrugated deformer (with a soft mechanical stop: the reading *saturates* near the stop, in
  about 15 % of devices within the session's forces), the microbend loss (dB) is proportional
  to the closure; the LED (self-heating warm-up and room drift, -0.3 to -0.8 %/K) is divided
  out by a reference photodiode up to a temperature mismatch (a thermal drift); the fibre lead
  bends with the leg (a small movement-correlated loss), the connector's loss wanders and now
  and then steps; ambient light leaks in (a posture-dependent level, a 100/120 Hz lamp flicker
  sampled by the ADC, and *flashes* from a phone: multi-sample low readings, clipping the
  transimpedance amplifier); 10- or 12-bit conversions on a free-running RC clock (2-8x the
  poll rate), noise, EMI *glitches* (one conversion at full scale or zero: a one-sample spike),
  the last N conversions averaged (a boxcar over 50-90 % of the poll period), the firmware's
  linear dB calibration (a few % off) and an int16 register of 0.01 N.
- stretch (about half the recordings): a *draw-wire quadrature encoder* on the band (spring
  reel: a 15-40 Hz second-order wire/reel response, a cosine error of the wire's angle, a drum
  calibration error); counts of 10-40 per mm decoded by polling the A/B lines at 3-12 kHz, so
  fast movements *lose counts* (an illegal double step is dropped); the firmware snaps the
  count back at the drum's index pulse (once a revolution) in 60 % of devices, in the others
  the error accumulates; the wire *snags* on clothing now and then (a brief long reading). It
  reads the distance between the clips: negative when the band is slack.
- link and time axis: a host (a small Linux box) polls the sensor as a *Modbus RTU master*
  over RS-485 at the configured rate on absolute deadlines of its own clock (+-40 ppm against
  physical time): each row is stamped with the host clock when the request is sent (OS wake-up
  latency: exponential 0.05-0.4 ms), the slave answers with its latest registers after the
  request frame; the baud rate (115200-921600) keeps a transaction under half the period.
  *Missed messages*: CRC errors and timeouts (single, and bursts in EMI episodes) lose the row,
  the master waits its response timeout and skips the deadlines it overslept; *host hiccups*
  (log-normal) make it skip deadlines and poll the latest due one late; *adapter resets* (the
  USB/RS-485 adapter re-enumerates, 1.5-6 s) lose everything. Stamps to the microsecond; the
  axis starts at an offset (0, an uptime or an epoch).
- session: 2-4 of the seed exercises (the hold exercise in about 60 %), in the article's order
  or shuffled: side-lying hip external rotation to failure, single-leg bridge with a pause at
  the top, table-top reach holds, table-top hip ER with a brief pause; sides blocked or
  alternating; 1-3 sets a side depending on the number of exercises. Fidgets in rests (never
  within 1.5 s of a set, never overlapping): ``drop`` (the band snaps off a knee, lies slack,
  is put back on to a new pre-stretch), ``swap`` (between exercises: the band is changed for
  another of a different stiffness), ``yawn`` (a full-body stretch: a slow pull held a moment),
  ``towel`` (wiping sweat: small irregular 1-4 Hz pulls) and ``setup`` (getting into the next
  posture and setting the band: irregular pulls, the new posture's pre-stretch; every change
  of posture has one).

Truth conventions (times on the recording's own axis: ``metadata["time_offset_s"]`` plus the
host clock's reading of the physical instant; the recorded stamps are the host clock at each
request, the data a few ms (the request frame, the conversion age and half the averaging
window: up to ~25 ms at 20 Hz) older or newer): a rep's ``start_s`` is the onset of movement
(the tau-guided gap starts to close), ``top_start_s`` the arrival at the top (the gap is closed:
velocity zero), ``top_end_s`` the departure (the lowering's onset), ``end_s`` back at rest (the
lowering's gap is closed). Reps turning without a pause have ``top_start_s == top_end_s``.
``range_mm`` is the elongation at ``top_start_s`` minus that at ``start_s`` (without tremor);
``floor_start_mm``/``floor_end_mm`` the elongation above the pre-stretch at start and end.
Partial reps (range under half the median range of the full reps of their set) are in ``reps``
with ``partial`` True and not counted in ``rep_count``. Hold sets have ``kind`` "hold",
``rep_count`` 0 and their hold only in ``holds`` (``duration_s = top_end_s - top_start_s``, at
least 8 s). Sets are >= 12 s apart; reps of a set < 3 s apart. Fidgets have ``kind``,
``start_s``, ``end_s`` and ``amplitude_mm``. Gaps list the first and last *missing* sample
stamps (the skipped deadlines) and their number; ``link_drops`` the adapter resets (at,
duration).

``GenConfig.extra``: ``clean`` (ideal sensor and link: exact uniform stamps at the configured
rate from the physical time, the exact band force and elongation (negative when slack), no
optics, encoder, Modbus or loss effects), ``still`` (no tremor, hold breathing or sag, rest
breathing sway), ``ideal_band`` (the Hart-Smith law only: no Bergstrom-Boyce network),
``no_fidgets``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal

FS = 500.0  # internal grid of the physics (Hz)
DT = 1.0 / FS
_M = 801  # points of a phase's normalised profile table
_S = np.linspace(0.0, 1.0, _M)
FORCE_LSB = 0.01  # the Modbus register's unit (N)
STRETCH_LSB = 0.01  # mm


@dataclass(frozen=True)
class _Exercise:
    name: str
    kind: str  # "reps" or "hold"
    range_mm: tuple[float, float]
    tempos: tuple[tuple[int, int, int, int], ...]  # prescribed conc-pause-ecc-bottom counts
    reps: int
    failure: bool
    load: float  # relative load (drain of the PCr tank)


EXERCISES: dict[str, _Exercise] = {
    "sidelying_hip_er": _Exercise(
        "sidelying_hip_er", "reps", (70.0, 170.0),
        ((1, 0, 1, 0), (1, 0, 2, 0), (1, 1, 1, 0), (2, 0, 2, 0)), 0, True, 0.6),
    "single_leg_bridge": _Exercise(
        "single_leg_bridge", "reps", (30.0, 85.0),
        ((2, 1, 2, 0), (1, 2, 2, 0), (2, 2, 3, 0), (1, 1, 2, 1)), 10, False, 0.3),
    "table_top_reach": _Exercise(
        "table_top_reach", "hold", (55.0, 140.0), ((2, 0, 2, 0),), 0, False, 0.25),
    "table_top_hip_er": _Exercise(
        "table_top_hip_er", "reps", (60.0, 160.0),
        ((1, 1, 2, 0), (2, 1, 2, 0), (1, 1, 1, 0), (2, 1, 2, 1)), 10, False, 0.3),
}
ORDER = ("sidelying_hip_er", "single_leg_bridge", "table_top_reach", "table_top_hip_er")
FIDGET_KINDS = ("drop", "swap", "yawn", "towel", "setup")
PROFILE_NAMES = ("tau_g", "hesitant", "switch")


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 60 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    loss_scale: float = 1.0  # multiplies CRC errors, EMI episodes, hiccups and adapter resets
    crc_errors_per_min: float = 1.0  # single lost Modbus replies (CRC error or timeout)
    emi_episodes_per_min: float = 0.25  # bursts of lost replies (0.3-2 s)
    hiccups_per_min: float = 2.0  # host scheduling hiccups (skipped deadlines)
    link_drops_per_hour: float = 6.0  # USB/RS-485 adapter resets
    glitches_per_min: float = 0.5  # EMI glitches of one ADC conversion (force spikes)
    flashes_per_min: float = 0.3  # phone flashes into the fibre (multi-sample low readings)
    connector_steps_per_hour: float = 4.0  # fibre connector loss steps
    snags_per_min: float = 0.2  # draw wire catching on clothing
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

def _sstep(u: np.ndarray) -> np.ndarray:
    """Smootherstep on [0, 1] (zero slope and curvature at both ends)."""
    v = np.clip(u, 0.0, 1.0)
    out: np.ndarray = v * v * v * (v * (6.0 * v - 15.0) + 10.0)
    return out


def _gi(t: float) -> int:
    return round(t * FS)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """First and last index of every run of True."""
    if not np.any(mask):
        return []
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), (np.flatnonzero(d == -1) - 1).tolist(),
                    strict=True))


def _smooth_noise(rng: np.random.Generator, n: int, width: float) -> np.ndarray:
    """Unit-variance low-pass noise (Gaussian kernel of ``width`` samples)."""
    pad = int(4 * width) + 1
    w = rng.standard_normal(n + 2 * pad)
    k = np.exp(-0.5 * (np.arange(-pad, pad + 1) / max(width, 1e-3)) ** 2)
    y = np.convolve(w, k / np.sqrt(np.sum(k * k)), mode="same")[pad: pad + n]
    return np.asarray(y, dtype=np.float64)


def _lognormal(rng: np.random.Generator, median: float, sigma: float) -> float:
    return float(median * math.exp(sigma * rng.standard_normal()))


def _gamma(rng: np.random.Generator, mean: float, cv: float) -> float:
    shape = 1.0 / (cv * cv)
    return float(rng.gamma(shape, mean / shape))


# ------------------------------------------------------------------ tau guidance

def tau_profile(k: np.ndarray) -> np.ndarray:
    """Normalised closure ``y(s)`` of a gap tau-coupled to the tau-G guide with coupling
    ``k`` (one value per interval of ``_S``): ``y = 1 - exp(int (1 / k) d ln(1 - s^2))``."""
    w = np.log1p(-_S[:-1] ** 2)  # ln(1 - s^2), -inf at s = 1 (left out)
    lg = np.concatenate(([0.0], np.cumsum(np.diff(w) / k[:-1])))
    g = np.exp(lg)
    y = np.concatenate((1.0 - g, [1.0]))
    y[0] = 0.0
    return np.maximum.accumulate(y)


def _coupling(rng: np.random.Generator, kind: str, k_mean: float, k_end: float,
              sd: float) -> np.ndarray:
    """The coupling ``k(s)`` of one phase (per interval of ``_S``)."""
    mid = 0.5 * (_S[1:] + _S[:-1])
    noise = _smooth_noise(rng, len(mid), len(mid) * rng.uniform(0.08, 0.2))
    lk = math.log(k_mean) + sd * noise
    if kind == "switch":
        k2 = k_mean * math.exp(rng.choice([-1.0, 1.0]) * rng.uniform(0.35, 0.8))
        c, wd = rng.uniform(0.3, 0.6), rng.uniform(0.08, 0.2)
        sw = _sstep((mid - c + wd) / (2 * wd))
        lk = lk * (1 - sw) + (math.log(k2) + sd * noise) * sw
    lk = np.minimum(lk, math.log(0.95))  # k < 1: the gap closes with zero velocity
    if kind == "hesitant":
        c, wd = rng.uniform(0.35, 0.6), rng.uniform(0.12, 0.25)
        bump = np.where(np.abs(mid - c) < wd, np.cos(0.5 * np.pi * (mid - c) / wd) ** 2, 0.0)
        lk = lk + math.log(rng.uniform(2.5, 5.0)) * bump
    # the arrival is governed by the person's arrival coupling (k < 1: zero velocity)
    end = _sstep((mid - 0.6) / 0.3)
    lk = lk * (1 - end) + math.log(k_end) * end
    return np.asarray(np.clip(np.exp(lk), 0.12, 6.0), dtype=np.float64)


# ---------------------------------------------------------------------- person

@dataclass
class _Person:
    tempo: float  # multiplies the produced counts
    prior_s: float  # preferred phase duration (Bayesian prior mean)
    w_bayes: float  # weight of the measured count in the posterior
    cv: float  # scalar production noise
    k_conc: float
    k_conc_end: float
    k_ecc: float
    k_ecc_end: float
    k_sd: float
    p_hes: float
    p_switch: float
    range_mm: dict[str, float]
    tau_pcr: float
    tau_met: float
    drain: float
    kappa: float
    c_fail: float
    breaths: int  # counted breaths in a rest
    breath_s: float
    harmonics: tuple[float, float, float, float, float]  # breath template: a2, a3, ph1..ph3
    floor_p: float
    b2b_p: float
    tremor_hz: float
    tremor_mm: float
    mu_cross: float  # effort at which the tremor oscillator bifurcates


def _person(rng: np.random.Generator) -> _Person:
    return _Person(
        tempo=float(rng.uniform(0.65, 1.45)), prior_s=float(rng.uniform(0.9, 1.7)),
        w_bayes=float(rng.uniform(0.5, 0.9)), cv=float(rng.uniform(0.05, 0.13)),
        k_conc=float(rng.uniform(0.3, 0.7)), k_conc_end=float(rng.uniform(0.25, 0.55)),
        k_ecc=float(rng.uniform(0.3, 0.65)), k_ecc_end=float(rng.uniform(0.35, 0.8)),
        k_sd=float(rng.uniform(0.05, 0.3)), p_hes=float(rng.uniform(0.0, 0.2)),
        p_switch=float(rng.uniform(0.1, 0.4)),
        range_mm={n: float(rng.uniform(*e.range_mm)) for n, e in EXERCISES.items()},
        tau_pcr=float(rng.uniform(25.0, 60.0)), tau_met=float(rng.uniform(150.0, 420.0)),
        drain=float(rng.uniform(0.07, 0.15)), kappa=float(rng.uniform(0.3, 0.8)),
        c_fail=float(rng.uniform(0.35, 0.55)), breaths=int(rng.integers(4, 12)),
        breath_s=float(rng.uniform(3.0, 5.0)),
        harmonics=(float(rng.uniform(0.1, 0.5)), float(rng.uniform(0.0, 0.25)),
                   float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(0, 2 * np.pi)),
                   float(rng.uniform(0, 2 * np.pi))),
        floor_p=float(rng.uniform(0.0, 0.5)), b2b_p=float(rng.uniform(0.2, 0.8)),
        tremor_hz=float(rng.uniform(8.0, 12.0)), tremor_mm=float(rng.uniform(0.1, 0.45)),
        mu_cross=float(rng.uniform(0.45, 0.85)),
    )


class _Tanks:
    """Two-tank Margaria-Morton bioenergetics of one side: PCr and metabolites."""

    def __init__(self, person: _Person) -> None:
        self.p = 1.0
        self.m = 0.0
        self.t = 0.0
        self.person = person

    def advance(self, t: float, working: bool = False) -> None:
        """Recover until ``t``; ``working``: the contracting muscle occludes its blood flow
        (the PCr refills three times slower, more so with metabolites)."""
        dt = max(t - self.t, 0.0)
        tau = self.person.tau_pcr * ((3.0 + 3.0 * self.m) if working else 1.0)
        self.p = 1.0 - (1.0 - self.p) * math.exp(-dt / tau)
        self.m *= math.exp(-dt / self.person.tau_met)
        self.t = max(t, self.t)

    def work(self, w: float) -> None:
        d = self.person.drain * w
        self.m = min(self.m + self.person.kappa * d * (1.0 - self.p), 0.9)
        self.p = max(self.p - d, 0.0)

    def capacity(self) -> float:
        return math.sqrt(self.p) * (1.0 - self.m)

    def deficit(self) -> float:
        return float(np.clip((1.0 - self.capacity()) / (1.0 - self.person.c_fail), 0.0, 1.2))


# ------------------------------------------------------------------------ band

@dataclass(frozen=True)
class _Band:
    length: float  # loop perimeter (mm)
    k0: float  # initial stiffness (N/mm)
    k1: float  # Hart-Smith exponential stiffening
    k2: float  # Hart-Smith I2 (softening) term
    s_b: float  # Bergstrom-Boyce network share of the initial stiffness
    t_rel: float  # relaxation time of the viscous network at the reference force
    m: float  # stress exponent of the flow
    c: float  # stretch exponent of the flow
    xi: float

    def elastic(self, e: np.ndarray) -> np.ndarray:
        """Hart-Smith force (N) at elongation ``e`` (mm); zero when slack."""
        lam = 1.0 + np.maximum(e, 0.0) / self.length
        i1 = lam * lam + 2.0 / lam
        i2 = 2.0 * lam + 1.0 / (lam * lam)
        p = 2.0 * (lam - lam ** -2) * (np.exp(self.k1 * (i1 - 3.0) ** 2)
                                       + 3.0 * self.k2 / (i2 * lam))
        out: np.ndarray = self.k0 * self.length / (6.0 * (1.0 + self.k2)) * p
        return out


def _band(rng: np.random.Generator) -> _Band:
    return _Band(length=float(rng.uniform(450.0, 700.0)), k0=float(rng.uniform(0.10, 0.35)),
                 k1=float(rng.uniform(0.4, 2.5)), k2=float(rng.uniform(0.0, 0.5)),
                 s_b=float(rng.uniform(0.1, 0.3)), t_rel=float(rng.uniform(0.5, 4.0)),
                 m=float(rng.uniform(2.5, 5.0)), c=float(rng.uniform(-0.8, -0.4)),
                 xi=float(rng.uniform(0.01, 0.05)))


def _band_force(band: _Band, e_total: np.ndarray, scale: np.ndarray, resets: list[int],
                ideal: bool) -> np.ndarray:
    """Band force on the physics grid: Hart-Smith plus the Bergstrom-Boyce network."""
    fa = band.elastic(e_total)
    if ideal:
        out: np.ndarray = scale * fa
        return out
    lam = 1.0 + np.maximum(e_total, 0.0) / band.length
    step = int(FS / 50.0)
    idx = np.arange(0, len(lam), step)
    lnl = np.log(lam[idx]).tolist()
    reset_c = {int(r // step) for r in resets}
    kb = band.s_b * band.k0 * band.length / 3.0
    f_ref = band.s_b * band.k0 * 50.0
    c0 = math.log(1.0 + 50.0 / band.length) / (band.t_rel * band.xi ** band.c)
    dtc = step * DT
    lnv = 0.0
    lnv_c = np.zeros(len(idx))
    m, cexp, xi = band.m, band.c, band.xi
    for i, ll in enumerate(lnl):
        if i in reset_c:
            lnv = 0.0
        d = ll - lnv  # ln of the network's elastic stretch
        if d != 0.0:
            le = math.exp(d)
            fb = kb * (le - 1.0 / (le * le))
            rate = c0 * (math.expm1(lnv) + xi) ** cexp * (abs(fb) / f_ref) ** m
            mv = rate * dtc
            lnv = ll if mv >= abs(d) else lnv + math.copysign(mv, d)
        lnv_c[i] = lnv
    lnv_f = np.interp(np.arange(len(lam)), idx, lnv_c)
    le = lam / np.exp(lnv_f)
    fb = kb * (le - le ** -2)
    out = scale * np.where(e_total > 0.0, np.maximum(fa + fb, 0.0), 0.0)
    return out


# ---------------------------------------------------------------------- session

@dataclass
class _Rep:
    t0: float
    t1: float
    t2: float
    t3: float
    rng_mm: float
    f0: float
    f1: float
    aborted: bool
    conc: np.ndarray
    ecc: np.ndarray
    conc_name: str
    ecc_name: str


@dataclass
class _Set:
    index: int
    exercise: str
    side: str
    kind: str
    to_failure: bool
    tempo: tuple[int, int, int, int]
    base_mm: float
    reps: list[_Rep] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    breaths: list[tuple[float, float, float]] = field(default_factory=list)  # (t, period, amp)
    sag_mm: float = 0.0


@dataclass
class _Fidget:
    kind: str
    t0: float
    t1: float
    amplitude_mm: float
    pre_to: float | None = None  # the pre-stretch after it (None: unchanged)
    slack_mm: float = 0.0
    scale_to: float | None = None  # a new band (swap)
    params: dict[str, float] = field(default_factory=dict)


@dataclass
class _Session:
    sets: list[_Set]
    fidgets: list[_Fidget]
    total: float
    exercises: list[str]
    order: str
    sides: str
    pre0: float
    rest_breaths: list[tuple[float, float]]  # (t, period) of counted breaths in rests


def _posture(exercise: str, side: str) -> str:
    if exercise == "sidelying_hip_er":
        return f"side_{side}"
    return "supine" if exercise == "single_leg_bridge" else "quad"


def _produce(rng: np.random.Generator, person: _Person, count: float) -> float:
    """Bayesian interval reproduction of a prescribed count (seconds)."""
    measured = count * (1.0 + 0.1 * rng.standard_normal())
    est = person.w_bayes * measured + (1.0 - person.w_bayes) * person.prior_s
    return float(person.tempo * est * math.exp(person.cv * rng.standard_normal()))


def _pause_for(rng: np.random.Generator, person: _Person, code: int) -> float:
    if code == 0:
        return 0.0 if rng.random() < 0.7 else float(rng.uniform(0.05, 0.3))
    p = _produce(rng, person, float(code)) * (0.75 if code == 1 else 0.85)
    return float(np.clip(p, 0.35, 2.3))


def _phase(rng: np.random.Generator, person: _Person, conc: bool) -> tuple[np.ndarray, str]:
    u = rng.random()
    kind = "hesitant" if u < person.p_hes else ("switch" if u < person.p_hes + person.p_switch
                                                else "tau_g")
    if conc:
        k = _coupling(rng, kind, person.k_conc, person.k_conc_end, person.k_sd)
    else:
        k = _coupling(rng, kind, person.k_ecc, person.k_ecc_end, person.k_sd)
    return tau_profile(k), kind


def _plan_reps(rng: np.random.Generator, person: _Person, tanks: _Tanks, st: _Set, t: float,
               partial_prob: float) -> float:
    ex = EXERCISES[st.exercise]
    c_code, p_code, e_code, b_code = st.tempo
    target = ex.reps
    if not ex.failure and rng.random() < 0.2:
        target += int(rng.choice([-1, 1]))
    floor_frac = float(rng.uniform(0.03, 0.1)) if rng.random() < person.floor_p else 0.0
    full = 0
    fails_left = n_fails = -1
    f_prev = 0.0
    t_now = t
    tanks.advance(t)
    while True:
        tanks.advance(t_now, working=True)
        d = tanks.deficit()
        failing = False
        if ex.failure:
            if fails_left < 0 and ((tanks.capacity() < person.c_fail and full >= 3)
                                   or full >= 30):
                fails_left = n_fails = int(rng.integers(1, 4))
            if fails_left == 0:
                break
            failing = fails_left > 0
        elif full >= target:
            break
        aborted = failing or (not ex.failure and full > 0 and rng.random() < partial_prob)
        conc = max(_produce(rng, person, c_code) * (1.0 + 0.6 * d ** 1.2), 0.4)
        pause = _pause_for(rng, person, p_code) * (1.0 - 0.35 * min(d, 1.0))
        ecc = max(_produce(rng, person, e_code) * (1.0 - 0.15 * min(d, 1.0)), 0.4)
        rng_mm = st.base_mm * (1.0 - 0.3 * min(d, 1.0) ** 1.5) * (1.0 + 0.03 *
                                                                  rng.standard_normal())
        if aborted:
            if failing:
                frac = [0.4, 0.3, 0.2][n_fails - fails_left] * rng.uniform(0.9, 1.05)
                conc *= rng.uniform(1.0, 1.4)
            else:
                frac = float(rng.uniform(0.15, 0.42))
                conc *= rng.uniform(0.45, 0.75)
            rng_mm = st.base_mm * frac
            pause = 0.0 if rng.random() < 0.8 else float(rng.uniform(0.05, 0.3))
            ecc = max(ecc * rng.uniform(0.5, 0.8), 0.35)
        cp, cn = _phase(rng, person, True)
        ep, en = _phase(rng, person, False)
        t0 = t_now
        t1 = t0 + conc
        t2 = t1 + pause
        t3 = t2 + ecc
        rep = _Rep(t0, t1, t2, t3, float(rng_mm), f_prev, 0.0, aborted, cp, ep, cn, en)
        st.reps.append(rep)
        tanks.work(ex.load * (rng_mm / st.base_mm) * (0.7 + 0.15 * (conc + pause + ecc)))
        if failing:
            fails_left -= 1
        if not aborted:
            full += 1
        # the bottom: back to back, a prescribed count, or a re-brace after an aborted rep
        if aborted and not failing:
            bottom = float(rng.uniform(0.8, 2.2))
        elif failing:
            bottom = float(rng.uniform(0.3, 1.5))
        elif b_code == 0:
            bottom = 0.0 if rng.random() < person.b2b_p else float(rng.uniform(0.05, 0.6))
        else:
            bottom = float(np.clip(_produce(rng, person, b_code) * 0.7, 0.3, 2.5))
        t_now = t3 + bottom
        f_prev = floor_frac * st.base_mm * float(rng.uniform(0.7, 1.3))
        rep.f1 = f_prev
    st.reps[-1].f1 = 0.0
    # partial reps: well under half the median full range
    med = float(np.median([r.rng_mm for r in st.reps if not r.aborted]))
    for r in st.reps:
        if r.aborted:
            r.rng_mm = min(r.rng_mm, 0.45 * med)
    st.start, st.end = st.reps[0].t0, st.reps[-1].t3
    return st.end


def _plan_hold(rng: np.random.Generator, person: _Person, tanks: _Tanks, st: _Set,
               t: float) -> float:
    tanks.advance(t)
    conc = max(_produce(rng, person, 2.0), 0.6)
    ecc = max(_produce(rng, person, 2.0), 0.6)
    cp, cn = _phase(rng, person, True)
    ep, en = _phase(rng, person, False)
    t1 = t + conc
    # breaths until the balloon is full
    capacity = rng.uniform(2.5, 6.0)
    vol, filled = rng.uniform(0.7, 1.2), 0.0
    tb = t1 + rng.uniform(0.3, 1.0)
    lp = 0.0
    period0 = rng.uniform(3.5, 6.0)
    while filled < capacity or tb - t1 < 8.5:
        lp = 0.6 * lp + 0.12 * rng.standard_normal()
        period = float(period0 * math.exp(lp))
        amp = float(rng.uniform(0.5, 2.5)) * (1.8 if rng.random() < 0.1 else 1.0)
        st.breaths.append((tb, period, amp))
        tb += period
        filled += vol
        vol *= rng.uniform(0.85, 0.97)
        if tb - t1 > 50.0:
            break
    t2 = tb + rng.uniform(0.2, 0.8)
    tanks.work(EXERCISES[st.exercise].load * 0.04 * (t2 - t1))
    st.sag_mm = float(st.base_mm * rng.uniform(0.01, 0.04) * (1.0 + tanks.deficit()))
    st.reps.append(_Rep(t, t1, t2, t2 + ecc, st.base_mm, 0.0, 0.0, False, cp, ep, cn, en))
    st.start, st.end = t, t2 + ecc
    return st.end


def _make_fidget(rng: np.random.Generator, kind: str, pre_now: float,
                 pre_next: float | None) -> _Fidget:
    if kind == "setup":
        dur = float(rng.uniform(3.0, 8.0))
        return _Fidget(kind, 0.0, dur, 0.0, pre_to=pre_next)
    if kind == "drop":
        dur = float(rng.uniform(4.0, 10.0))
        new = pre_now + float(rng.uniform(-10.0, 10.0))
        return _Fidget(kind, 0.0, dur, 0.0, pre_to=max(new, 5.0),
                       slack_mm=float(rng.uniform(10.0, 40.0)))
    if kind == "swap":
        dur = float(rng.uniform(8.0, 18.0))
        return _Fidget(kind, 0.0, dur, 0.0, pre_to=pre_next if pre_next is not None else pre_now,
                       slack_mm=float(rng.uniform(20.0, 60.0)),
                       scale_to=float(rng.uniform(0.7, 1.4)))
    if kind == "yawn":
        dur = float(rng.uniform(3.5, 7.0))
        return _Fidget(kind, 0.0, dur, float(rng.uniform(20.0, 60.0)))
    dur = float(rng.uniform(3.0, 8.0))  # towel
    return _Fidget(kind, 0.0, dur, float(rng.uniform(2.0, 8.0)),
                   params={"hz": float(rng.uniform(1.0, 4.0))})


def _session(rng: np.random.Generator, person: _Person, cfg: GenConfig,
             no_fidgets: bool) -> _Session:
    names = list(ORDER)
    with_hold = (rng.random() < 0.6) if cfg.hold_exercise is None else bool(cfg.hold_exercise)
    n_ex = int(rng.integers(2, 5)) if cfg.exercises is None else int(cfg.exercises)
    n_ex = int(np.clip(n_ex, 1, 4))
    pool = [n for n in names if n != "table_top_reach"]
    n_reps_ex = max(n_ex - 1, 1) if with_hold else min(n_ex, 3)
    chosen = [str(c) for c in rng.permutation(pool)[:n_reps_ex]]
    if with_hold:
        chosen.append("table_top_reach")
    order = "article" if rng.random() < 0.5 else "shuffled"
    chosen = sorted(chosen, key=ORDER.index) if order == "article" else \
        [str(c) for c in rng.permutation(chosen)]
    sides_mode = "blocked" if rng.random() < 0.5 else "alternating"
    per_side = {2: (1, 4), 3: (1, 3), 4: (1, 3)}.get(len(chosen), (2, 4))
    first = str(rng.choice(["left", "right"]))
    other = "right" if first == "left" else "left"
    plan: list[tuple[str, str]] = []
    for name in chosen:
        n = int(rng.integers(*per_side))
        blocked = sides_mode == "blocked" or (name == "sidelying_hip_er" and rng.random() < 0.7)
        seq = [first] * n + [other] * n if blocked else [first, other] * n
        plan += [(name, s) for s in seq]
    pre_of = {p: float(rng.uniform(10.0, 55.0)) for p in
              ("side_left", "side_right", "supine", "quad")}
    tanks = {"left": _Tanks(person), "right": _Tanks(person)}
    tempos = {n: EXERCISES[n].tempos[int(rng.integers(len(EXERCISES[n].tempos)))]
              for n in chosen}
    sets: list[_Set] = []
    fidgets: list[_Fidget] = []
    rest_breaths: list[tuple[float, float]] = []
    t = float(rng.uniform(6.0, 20.0))
    pre_now = pre_of[_posture(*plan[0])]
    pre0 = pre_now
    for i, (name, side) in enumerate(plan):
        ex = EXERCISES[name]
        if i > 0:
            prev = sets[-1]
            change = prev.exercise != name
            turn = _posture(prev.exercise, prev.side) != _posture(name, side)
            # the rest: counted breaths
            n_b = max(person.breaths + int(rng.integers(-2, 3)), 3)
            if change or turn:
                n_b += int(rng.integers(3, 9))
            bt = [_gamma(rng, person.breath_s, 0.15) for _ in range(n_b)]
            rest = 1.5 + float(np.sum(bt)) + (float(rng.uniform(60.0, 150.0))
                                             if rng.random() < 0.08 else 0.0)
            rest += 10.0 * tanks[side].deficit() if prev.to_failure else 0.0
            pre_next = pre_of[_posture(name, side)]
            todo: list[_Fidget] = []
            if not no_fidgets:
                if change and rng.random() < 0.35:
                    todo.append(_make_fidget(rng, "swap", pre_now, None))
                if turn or change:
                    todo.append(_make_fidget(rng, "setup", pre_now, pre_next))
                for kind in ("drop", "yawn", "towel"):
                    if rng.random() < (0.12 if kind == "drop" else 0.25):
                        todo.append(_make_fidget(rng, kind, pre_now, None))
                rng.shuffle(todo)
                if any(f.kind == "setup" for f in todo):  # the set-up comes last
                    todo.sort(key=lambda f: f.kind == "setup")
            need = sum(f.t1 - f.t0 + 1.0 for f in todo) + 4.0
            rest = max(rest, need, 12.5)
            t_rest0 = prev.end
            # counted breaths through the rest (their sway)
            tb = t_rest0 + 0.5
            for b in bt:
                if tb + b > t_rest0 + rest:
                    break
                rest_breaths.append((tb, b))
                tb += b
            # place the fidgets, in order, in the free time of the rest
            slack = rest - need
            tf = t_rest0 + 1.5 + 0.5
            for f in todo:
                tf += float(rng.uniform(0.0, slack / max(len(todo), 1)))
                dur = f.t1 - f.t0
                f.t0, f.t1 = tf, tf + dur
                tf = f.t1 + 1.0
                if f.pre_to is not None:
                    pre_now = f.pre_to
                fidgets.append(f)
            t = t_rest0 + rest
        st = _Set(index=i, exercise=name, side=side, kind=ex.kind, to_failure=ex.failure,
                  tempo=tempos[name],
                  base_mm=person.range_mm[name] * (1.0 + 0.04 * rng.standard_normal()))
        if ex.kind == "hold":
            _plan_hold(rng, person, tanks[side], st, t)
        else:
            _plan_reps(rng, person, tanks[side], st, t, cfg.partial_prob)
        sets.append(st)
        t = st.end
    total = t + float(rng.uniform(6.0, 15.0))
    return _Session(sets, fidgets, total, chosen, order, sides_mode, pre0, rest_breaths)


# ----------------------------------------------------------------------- render

def _keys(tt: np.ndarray, times: list[float], values: list[float]) -> np.ndarray:
    """Piecewise smootherstep through (time, value) keys on the times ``tt``, constant
    outside."""
    out = np.full(len(tt), float(values[0]))
    for k in range(len(times) - 1):
        ta, tb, va, vb = times[k], times[k + 1], values[k], values[k + 1]
        i0, i1 = np.searchsorted(tt, [ta, tb])
        u = (tt[i0:i1] - ta) / max(tb - ta, 1e-9)
        out[i0:i1] = va + (vb - va) * _sstep(u)
    out[np.searchsorted(tt, times[-1]):] = values[-1]
    return out


def _render(rng: np.random.Generator, person: _Person, sess: _Session, still: bool,
            no_fidgets: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                       np.ndarray, list[int]]:
    """Physics grid, movement (mm above the pre-stretch), pre-stretch, band scale, effort
    and the grid indices of band swaps."""
    n = int(sess.total * FS) + 1
    tg = np.arange(n) * DT
    x = np.zeros(n)
    effort = np.zeros(n)
    for st in sess.sets:
        for k, r in enumerate(st.reps):
            top = r.f0 + r.rng_mm
            i0, i1 = math.ceil(r.t0 * FS), math.floor(r.t1 * FS)
            u = (tg[i0: i1 + 1] - r.t0) / (r.t1 - r.t0)
            x[i0: i1 + 1] = r.f0 + r.rng_mm * np.interp(u, _S, r.conc)
            i2, i3 = math.ceil(r.t2 * FS), math.floor(r.t3 * FS)
            x[i1 + 1: i2] = top
            u = (tg[i2: i3 + 1] - r.t2) / (r.t3 - r.t2)
            x[i2: i3 + 1] = r.f1 + (top - r.f1) * (1.0 - np.interp(u, _S, r.ecc))
            if k + 1 < len(st.reps):
                j0 = math.ceil(st.reps[k + 1].t0 * FS)
                x[i3 + 1: j0] = r.f1
        j0, j1 = _gi(st.start), _gi(st.end) + 1
        effort[j0:j1] = x[j0:j1] / st.base_mm
        if st.kind == "hold" and not still:
            r = st.reps[0]
            h0, h1 = math.ceil(r.t1 * FS), math.floor(r.t2 * FS)
            th = tg[h0: h1 + 1]
            a2, a3, p1, p2, p3 = person.harmonics
            b = np.zeros(len(th))
            for tb, period, amp in st.breaths:
                m = (th >= tb) & (th < tb + period)
                ph = 2 * np.pi * (th[m] - tb) / period
                wave = (np.sin(ph + p1) + a2 * np.sin(2 * ph + p2) + a3 * np.sin(3 * ph + p3))
                b[m] = amp * (wave - (np.sin(p1) + a2 * np.sin(p2) + a3 * np.sin(p3)))
            u = (th - r.t1) / (r.t2 - r.t1)
            taper = _sstep(u * (r.t2 - r.t1) / 0.6) * _sstep((1.0 - u) * (r.t2 - r.t1) / 0.6)
            sag = -st.sag_mm * _sstep(u / 0.85) * (1.0 - _sstep((u - 0.88) / 0.1))
            x[h0: h1 + 1] += taper * (0.5 * b) + sag
    pre = np.full(n, sess.pre0)
    scale = np.ones(n)
    resets: list[int] = []
    level, s_now = sess.pre0, 1.0
    for f in sess.fidgets:
        i0, i1 = _gi(f.t0), min(_gi(f.t1) + 1, n)
        tt = tg[i0:i1]
        d = f.t1 - f.t0
        if f.kind in ("drop", "swap"):
            new = f.pre_to if f.pre_to is not None else level
            off = -f.slack_mm
            pull = float(rng.uniform(10.0, 30.0))
            times = [f.t0, f.t0 + 0.15, f.t1 - 1.8, f.t1 - 0.8, f.t1]
            vals = [level, off, off, new + pull, new]
            pre[i0:] = _keys(tg[i0:], times, vals)
            f.amplitude_mm = float(level + f.slack_mm)
            if f.kind == "swap" and f.scale_to is not None:
                s_now = f.scale_to
                im = _gi(0.5 * (f.t0 + f.t1))
                scale[im:] = s_now
                resets.append(im)
            level = new
        elif f.kind == "setup":
            new = f.pre_to if f.pre_to is not None else level
            bumps = np.zeros(len(tt))
            for _ in range(int(rng.integers(3, 7))):
                c = rng.uniform(f.t0 + 0.5, f.t1 - 0.5)
                w = rng.uniform(0.4, 1.2)
                a = rng.uniform(5.0, 40.0)
                m = np.abs(tt - c) < w / 2
                bumps[m] = np.maximum(bumps[m], a * np.cos(np.pi * (tt[m] - c) / w) ** 2)
            x[i0:i1] += bumps
            pre[i0:] = _keys(tg[i0:], [f.t0 + 0.2 * d, f.t1 - 0.2 * d], [level, new])
            f.amplitude_mm = float(np.max(bumps)) if len(bumps) else 0.0
            level = new
        elif f.kind == "yawn":
            rise, fall = rng.uniform(1.0, 2.0), rng.uniform(1.0, 2.0)
            env = _keys(tt, [f.t0, f.t0 + rise, f.t1 - fall, f.t1], [0.0, 1.0, 1.0, 0.0])
            shiver = 0.6 * np.sin(2 * np.pi * rng.uniform(5.0, 8.0) * tt)
            x[i0:i1] += env * (f.amplitude_mm + shiver * _sstep(env * 3.0))
        else:  # towel
            nz = np.abs(_smooth_noise(rng, len(tt), FS / (2.0 * f.params["hz"])))
            env = np.sin(np.pi * (tt - f.t0) / d) ** 2
            x[i0:i1] += f.amplitude_mm * env * nz / max(float(np.max(nz)), 1e-9)
            f.amplitude_mm = float(np.max(f.amplitude_mm * env * nz / max(float(np.max(nz)),
                                                                          1e-9)))
    if not still:
        # breathing sway in rests (the counted breaths), faded out around the sets
        sway = np.zeros(n)
        amp = rng.uniform(0.1, 0.4)
        for tb, period in sess.rest_breaths:
            i0, i1 = _gi(tb), min(_gi(tb + period), n)
            ph = (tg[i0:i1] - tb) / period
            sway[i0:i1] = amp * np.sin(np.pi * ph) ** 2
        mask = np.ones(n)
        for st in sess.sets:
            i0, i1 = max(_gi(st.start - 2.5), 0), min(_gi(st.end + 2.5), n)
            mask[i0:i1] = 0.0
        kern = np.ones(int(FS)) / FS
        mask = np.minimum(mask, np.convolve(mask, kern, mode="same"))
        x += sway * mask
        x += _tremor(rng, person, tg, effort, sess)
    return tg, x, pre, scale, effort, resets


def _tremor(rng: np.random.Generator, person: _Person, tg: np.ndarray, effort: np.ndarray,
            sess: _Session) -> np.ndarray:
    """Noisy supercritical Hopf oscillator (rotating frame, 50 Hz), effort-driven."""
    out = np.zeros(len(tg))
    dtc = 0.02
    step = int(FS * dtc)
    mu_top = 2.0
    sigma = 0.35
    for st in sess.sets:
        a, b = max(_gi(st.start - 1.0), 0), min(_gi(st.end + 1.0), len(tg))
        idx = np.arange(a, b, step)
        eff = np.clip(effort[idx], 0.0, 1.3) / person.mu_cross
        deficit = 1.0 + 0.5 * (st.to_failure or st.kind == "hold")
        mu = (-3.0 + 3.0 * eff * deficit).tolist()
        nz = (sigma * math.sqrt(dtc) * (rng.standard_normal(len(idx))
                                        + 1j * rng.standard_normal(len(idx)))).tolist()
        w = 0j
        env = np.zeros(len(idx), dtype=np.complex128)
        for i in range(len(idx)):
            w = w + (mu[i] - (w.real * w.real + w.imag * w.imag)) * w * dtc + nz[i]
            env[i] = w
        tt = tg[a:b]
        er = np.interp(tt, tg[idx], env.real)
        ei = np.interp(tt, tg[idx], env.imag)
        f = person.tremor_hz + 0.8 * _smooth_noise(rng, len(tt), FS * 0.7)
        ph = 2 * np.pi * np.cumsum(f) * DT
        out[a:b] = (person.tremor_mm / math.sqrt(mu_top)) * (er * np.cos(ph) - ei * np.sin(ph))
    return out


# --------------------------------------------------------------- sensor and link

def _optical(dev: np.random.Generator, cfg: GenConfig, tg: np.ndarray, f_band: np.ndarray,
             x: np.ndarray, sess: _Session, t_read: np.ndarray, rate: float,
             faults: dict[str, int]) -> tuple[np.ndarray, dict[str, float]]:
    """Fibre-optic microbend load cell read by the Modbus slave at ``t_read`` (physical)."""
    fmax = float(np.max(f_band)) if len(f_band) else 1.0
    low_stop = dev.random() < 0.15
    f_stop = fmax * (dev.uniform(0.85, 1.05) if low_stop else dev.uniform(2.0, 4.0))
    f_stop = max(f_stop, 20.0)
    loss_fs = dev.uniform(4.0, 9.0)  # dB at the stop
    alpha = loss_fs / f_stop
    n_stop = 8.0
    closure = f_band / (1.0 + (np.maximum(f_band, 0.0) / f_stop) ** n_stop) ** (1.0 / n_stop)
    loss = alpha * closure
    loss += dev.uniform(0.003, 0.015) * np.maximum(x, 0.0) / 100.0  # the lead bends
    # connector: slow wander plus steps
    conn = dev.uniform(0.005, 0.02) * _smooth_noise(dev, len(tg) // 250 + 2,
                                                    dev.uniform(30.0, 150.0))
    loss += np.interp(tg, np.arange(len(conn)) * 250 * DT, conn)
    n_steps = int(dev.poisson(cfg.connector_steps_per_hour * tg[-1] / 3600.0))
    for _ in range(n_steps):
        i = int(dev.integers(len(tg)))
        loss[i:] += dev.choice([-1.0, 1.0]) * dev.uniform(0.02, 0.1)
    faults["connector_steps"] = n_steps
    # LED and reference temperatures
    t_room = dev.uniform(18.0, 27.0) + dev.uniform(-1.0, 1.0) * tg / 600.0
    t_led = t_room + dev.uniform(5.0, 15.0) * (1.0 - np.exp(-tg / dev.uniform(60.0, 240.0)))
    tc = dev.uniform(-0.008, -0.003)
    tc_ref = tc * (1.0 - dev.uniform(0.03, 0.1) * dev.choice([-1.0, 1.0]))
    led = 1.0 + tc * (t_led - t_led[0])
    ref = 1.0 + tc_ref * (t_led - t_led[0])
    light = led * 10.0 ** (-loss / 10.0)
    # ambient light: posture-dependent level, lamp flicker, phone flashes
    amb = np.full(len(tg), dev.uniform(0.002, 0.02))
    for st in sess.sets:
        if st.exercise == "sidelying_hip_er":
            amb[_gi(st.start): _gi(st.end)] *= 1.5
    n_fl = int(dev.poisson(cfg.flashes_per_min * tg[-1] / 60.0))
    for _ in range(n_fl):
        i = int(dev.integers(len(tg)))
        w = int(dev.uniform(0.04, 0.3) * FS)
        amb[i: i + w] += dev.uniform(0.05, 0.6)
    faults["flashes"] = n_fl
    mains = 100.0 if dev.random() < 0.5 else 120.0
    flick = dev.uniform(0.05, 0.3)  # modulation depth of the room light
    # the ADC: free-running RC clock, N conversions averaged
    bits = 12 if dev.random() < 0.6 else 10
    fsc = float(2 ** bits - 1)
    f_adc = rate * dev.uniform(2.0, 8.0)
    n_avg = max(1, int(dev.uniform(0.5, 0.9) * f_adc / rate))
    phase = dev.uniform(0.0, 1.0 / f_adc)
    amb_f = 0.005  # ambient light at the factory calibration
    gain = 0.85 * fsc / (1.0 + amb_f)
    gain_r = 0.7 * fsc
    dark = dev.uniform(2.0, 12.0)
    noise = dev.uniform(0.3, 1.5)
    j = np.floor((t_read - phase) * f_adc)
    tc_conv = phase + (j[:, None] - np.arange(n_avg)[None, :]) / f_adc
    tcf = tc_conv.ravel()
    sig = np.interp(tcf, tg, light) + np.interp(tcf, tg, amb) * (
        1.0 + flick * np.sin(2 * np.pi * mains * tcf))
    codes = gain * sig + dark + noise * dev.standard_normal(len(tcf))
    n_gl = int(dev.poisson(cfg.glitches_per_min * tg[-1] / 60.0))
    gl = dev.integers(0, len(tcf), n_gl)
    codes[gl] = np.where(dev.random(n_gl) < 0.5, fsc, 0.0)
    faults["glitches"] = n_gl
    codes = np.clip(np.floor(codes), 0.0, fsc)
    rc = np.clip(np.floor(gain_r * np.interp(tcf, tg, ref) + noise * dev.standard_normal(
        len(tcf))), 1.0, fsc)
    s_avg = codes.reshape(-1, n_avg).mean(axis=1)
    r_avg = rc.reshape(-1, n_avg).mean(axis=1)
    # firmware: ratio against its factory zero, linear dB calibration
    dark_cal = dark * dev.uniform(0.8, 1.2)
    zero = (gain * (1.0 + amb_f) + dark - dark_cal) / gain_r * dev.uniform(0.99, 1.01)
    ratio = np.maximum(s_avg - dark_cal, 1.0) / r_avg / zero
    f_read = -10.0 * np.log10(ratio) / (alpha * dev.uniform(0.97, 1.03))
    faults["saturated"] = int(np.sum(np.interp(t_read, tg, f_band) > 0.97 * f_stop))
    reg = np.clip(np.round(f_read / FORCE_LSB), -32768, 32767)
    info = {"f_stop_n": float(f_stop), "loss_fs_db": float(loss_fs), "adc_bits": float(bits),
            "f_adc_hz": float(f_adc), "n_avg": float(n_avg), "mains_hz": mains}
    return reg * FORCE_LSB, info


def _encoder(dev: np.random.Generator, cfg: GenConfig, tg: np.ndarray, e_total: np.ndarray,
             t_read: np.ndarray, faults: dict[str, int]) -> tuple[np.ndarray, dict[str, float]]:
    """Draw-wire quadrature encoder read at ``t_read`` (physical)."""
    fn, zeta = dev.uniform(15.0, 40.0), dev.uniform(0.25, 0.6)
    b, a = signal.bilinear([(2 * np.pi * fn) ** 2], [1.0, 2 * zeta * 2 * np.pi * fn,
                                                     (2 * np.pi * fn) ** 2], fs=FS)
    zi = signal.lfilter_zi(b, a) * e_total[0]
    wire, _ = signal.lfilter(b, a, e_total, zi=zi)
    d0, h = dev.uniform(100.0, 250.0), dev.uniform(10.0, 40.0)
    reading = (np.sqrt((d0 + wire) ** 2 + h * h) - math.hypot(d0, h)) * (
        1.0 + dev.uniform(-0.015, 0.015))
    # snags: the wire catches on clothing
    n_sn = int(dev.poisson(cfg.snags_per_min * tg[-1] / 60.0))
    for _ in range(n_sn):
        i = int(dev.integers(len(tg)))
        w = int(dev.uniform(0.1, 0.6) * FS)
        reading[i: i + w] += dev.uniform(5.0, 25.0) * np.sin(np.linspace(0, np.pi, len(
            reading[i: i + w])))
    faults["snags"] = n_sn
    cpm = dev.uniform(10.0, 40.0)
    poll = dev.uniform(3000.0, 12000.0)
    v = np.gradient(reading, DT)
    r = np.abs(v) * cpm  # edges per second
    lam = 0.02 * r * np.clip((r / poll - 0.5) / 0.5, 0.0, 1.0) ** 2 / 2.0
    lost = dev.poisson(lam * DT) * 2.0 * -np.sign(v)
    cum = np.cumsum(lost)
    circ = dev.uniform(80.0, 120.0)
    index_on = dev.random() < 0.6
    if index_on:
        rev = np.floor((reading + d0 - dev.uniform(0.0, circ)) / circ)
        reset = np.concatenate(([0], np.flatnonzero(np.diff(rev) != 0) + 1))
        last = np.zeros(len(tg), dtype=np.int64)
        last[reset] = reset
        last = np.maximum.accumulate(last)
        err = cum - cum[last]
    else:
        err = cum
    faults["missed_counts"] = int(np.sum(np.abs(lost)))
    cont = np.interp(t_read, tg, reading)
    k = np.clip(np.searchsorted(tg, t_read, side="right") - 1, 0, len(tg) - 1)
    counts = np.floor(cont * cpm) + err[k]
    out = counts / (cpm * dev.uniform(0.99, 1.01))
    info = {"counts_per_mm": float(cpm), "decoder_hz": float(poll), "index": float(index_on),
            "reel_hz": float(fn)}
    return np.round(out / STRETCH_LSB) * STRETCH_LSB, info


def _modbus(dev: np.random.Generator, cfg: GenConfig, rate: float, h_end: float,
            faults: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                             list[tuple[float, float]], dict[str, float]]:
    """Deadlines, send stamps (host clock), request arrival (host clock), kept mask, drops."""
    period = 1.0 / rate
    h0 = dev.uniform(0.0, period)
    n = int((h_end - h0) / period)
    dl = h0 + np.arange(n) * period
    bauds = (115200.0, 230400.0, 460800.0, 921600.0)
    t_proc = float(dev.uniform(0.3e-3, 1.2e-3))
    baud = bauds[-1]
    for bd in bauds:
        if (8 + 11 + 7) * 10.0 / bd + t_proc < 0.45 * period:
            baud = bd
            break
    t_req = 8 * 10.0 / baud + 3.5 * 10.0 / baud
    t_trans = t_req + t_proc + (11 + 3.5) * 10.0 / baud
    wake = np.minimum(dev.exponential(dev.uniform(0.05e-3, 0.4e-3), n),
                      max(0.4 * period - t_trans, 0.0) + 0.05e-3)
    send = dl + wake
    keep = np.ones(n, dtype=bool)
    ls = cfg.loss_scale
    span_min = (h_end - h0) / 60.0
    events: list[tuple[float, str, float]] = []  # (host time, kind, value)
    for _ in range(int(dev.poisson(cfg.hiccups_per_min * ls * span_min))):
        events.append((float(dev.uniform(h0, h_end)), "hiccup",
                       min(_lognormal(dev, 0.015, 1.0), 0.4)))
    fail_p = cfg.crc_errors_per_min * ls / (60.0 * rate)
    fails = np.flatnonzero(dev.random(n) < fail_p)
    for _ in range(int(dev.poisson(cfg.emi_episodes_per_min * ls * span_min))):
        a = dev.uniform(h0, h_end)
        ka, kb = np.searchsorted(dl, [a, a + dev.uniform(0.3, 2.0)])
        p = dev.uniform(0.2, 0.7)
        fails = np.concatenate((fails, ka + np.flatnonzero(dev.random(kb - ka) < p)))
    t_out = float(dev.uniform(0.015, 0.06))
    for k in np.unique(fails):
        events.append((float(dl[k]), "fail", t_out))
    drops: list[tuple[float, float]] = []
    for _ in range(int(dev.poisson(cfg.link_drops_per_hour * ls * span_min / 60.0))):
        a, d = float(dev.uniform(h0 + 5.0, max(h_end - 10.0, h0 + 6.0))), float(
            dev.uniform(1.5, 6.0))
        events.append((a, "drop", d))
    events.sort()
    n_h = n_f = 0
    for at, kind, val in events:
        k = int(np.searchsorted(dl, at))
        if k >= n or not keep[k]:
            continue
        if kind == "drop":
            kb = int(np.searchsorted(dl, at + val))
            if kb > k:
                keep[k:kb] = False
                drops.append((at, val))
            continue
        if kind == "hiccup":
            w = dl[k] + val
            kl = min(int((w - h0) / period), n - 1)
            keep[k:kl] = False
            if kl > k:
                n_h += 1
            send[kl] = max(send[kl], min(w, dl[kl] + 0.5 * period))
            busy = send[kl] + t_trans
        else:
            keep[k] = False
            n_f += 1
            busy = send[k] + val
            kl = k
        kn = min(int((busy - h0) / period) + 1, n)
        if kn - 1 > kl:
            keep[kl + 1: kn - 1] = False
            # the master wakes after its timeout and polls the deadline it is in
            if kn - 1 < n:
                send[kn - 1] = max(send[kn - 1], busy)
        elif kl + 1 < n:
            send[kl + 1] = max(send[kl + 1], busy)
    # a row sent later than its slot would be polled at the next deadline instead
    late = send >= dl + period
    keep &= ~late
    faults["hiccups"] = n_h
    faults["failed_replies"] = n_f
    faults["lost_rows"] = int(np.sum(~keep))
    info = {"baud": baud, "t_trans_s": t_trans, "timeout_s": t_out}
    return dl, send, send + t_req + t_proc * 0.5, keep, drops, info


# ---------------------------------------------------------------------- generate

def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    rng = np.random.default_rng([seed, 1])
    extra = cfg.extra
    clean = bool(extra.get("clean", False))
    still = bool(extra.get("still", False))
    ideal = bool(extra.get("ideal_band", False))
    no_fidgets = bool(extra.get("no_fidgets", False))
    rate = float(cfg.rate_hz)
    person = _person(rng)
    band = _band(rng)
    sess = _session(rng, person, cfg, no_fidgets)
    meta_rng = np.random.default_rng([seed, 2])
    has_stretch = bool(meta_rng.random() < 0.5) if cfg.has_stretch is None \
        else bool(cfg.has_stretch)
    u = meta_rng.random()
    auto_offset = 0.0 if u < 0.3 else (float(meta_rng.uniform(100.0, 1e5)) if u < 0.65
                                       else float(meta_rng.uniform(1.6e9, 1.8e9)))
    offset = auto_offset if cfg.time_offset_s is None else float(cfg.time_offset_s)
    tg, x, pre, scale, _effort, resets = _render(np.random.default_rng([seed, 3]), person, sess,
                                                 still, no_fidgets)
    e_total = pre + x
    f_band = _band_force(band, e_total, scale, resets, ideal)
    dev = np.random.default_rng([seed, 4])
    faults: dict[str, int] = {}
    gaps: list[dict[str, Any]] = []
    drops: list[tuple[float, float]] = []
    link: dict[str, float] = {}
    sensor: dict[str, float] = {}
    ppm = 0.0 if clean else float(dev.uniform(-40.0, 40.0)) * 1e-6
    stretch: np.ndarray | None = None
    if clean:
        n_s = int(float(tg[-1]) * rate) + 1
        t_s = np.arange(n_s) / rate
        time_s = offset + t_s
        force_n = np.interp(t_s, tg, f_band)
        if has_stretch:
            stretch = np.interp(t_s, tg, e_total)
    else:
        h_end = float(tg[-1]) * (1.0 + ppm) - 0.01
        dl, send, arrive, keep, drops_h, link = _modbus(dev, cfg, rate, h_end, faults)
        t_read = arrive[keep] / (1.0 + ppm)
        sdev = np.random.default_rng([seed, 5])
        force_n, sensor = _optical(sdev, cfg, tg, f_band, x, sess, t_read, rate, faults)
        if has_stretch:
            edev = np.random.default_rng([seed, 6])
            stretch, enc = _encoder(edev, cfg, tg, e_total, t_read, faults)
            sensor.update({f"encoder_{k}": v for k, v in enc.items()})
        time_s = offset + np.round(send[keep], 6)
        for i0, i1 in _runs(~keep):
            gaps.append({"start_s": float(offset + dl[i0]), "end_s": float(offset + dl[i1]),
                         "samples": int(i1 - i0 + 1)})
        drops = [(float(offset + a), float(d)) for a, d in drops_h]

    def tm(ts: float) -> float:
        return float(offset + ts * (1.0 + ppm))

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
            "tempo": "-".join(str(c) for c in st.tempo),
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
                "concentric_profile": r.conc_name, "eccentric_profile": r.ecc_name,
            })
    t_fidgets = [{"kind": f.kind, "start_s": tm(f.t0), "end_s": tm(f.t1),
                  "amplitude_mm": float(f.amplitude_mm)} for f in sess.fidgets]
    meta = {
        "model": "gen_model_l", "seed": int(seed), "rate_hz": rate, "time_offset_s": offset,
        "has_stretch": bool(has_stretch), "clean": clean, "still": still, "ideal_band": ideal,
        "no_fidgets": no_fidgets, "exercises": list(sess.exercises), "order": sess.order,
        "sides": sess.sides, "duration_s": float(sess.total),
        "person": {"tempo": person.tempo, "prior_s": person.prior_s,
                   "w_bayes": person.w_bayes, "k_conc": person.k_conc,
                   "k_conc_end": person.k_conc_end, "k_ecc": person.k_ecc,
                   "k_ecc_end": person.k_ecc_end, "tau_pcr_s": person.tau_pcr,
                   "tau_met_s": person.tau_met, "c_fail": person.c_fail,
                   "tremor_hz": person.tremor_hz},
        "band": {"length_mm": band.length, "k0_n_per_mm": band.k0, "k1": band.k1,
                 "k2": band.k2, "bb_share": band.s_b, "bb_t_rel_s": band.t_rel,
                 "bb_m": band.m, "bb_c": band.c, "pre_stretch_mm": sess.pre0},
        "host_ppm": ppm * 1e6,
        "link": link,
        "sensor": sensor,
        "faults": faults,
    }
    truth = {"sets": t_sets, "reps": t_reps, "holds": t_holds, "fidgets": t_fidgets,
             "gaps": gaps, "link_drops": drops, "metadata": meta}
    return Generated(time_s=np.asarray(time_s, dtype=np.float64),
                     force_n=np.asarray(force_n, dtype=np.float64),
                     stretch_mm=None if stretch is None
                     else np.asarray(stretch, dtype=np.float64),
                     truth=truth)
