"""An eighth, independent band-and-movement model (gen_model_h): warped templates and a Hall scale.

Written WITHOUT looking at how bandsense analyses a recording and never run against the
analysis nor tuned to it. Read for it: the seed text
(``/work/shared/seeds/glute-exercises-for-lower-back-pain.txt``), ``analysis/scoring.py``,
``firmware_sim/truth.py``, the module docstrings of ``gen_model.py`` and ``gen_model_c.py``
to ``gen_model_g.py`` (to choose different modelling in every part) and the public interface
and truth layout of ``gen_model_g.py`` (mirrored here: ``GenConfig``, ``Generated``,
``generate`` and the keys of the truth dict).

- movement (motor control): the person has a *personal template* for each phase of each
  exercise and every rep is that template under a random *time warp*, the functional-data
  view of movement variability (amplitude variation x phase variation) rather than a
  family of shapes or an optimal-control solution. A phase is
  ``P(u) = K(w(u))`` on ``u in [0, 1]``: ``K(w) = 1 - (1 - w^a)^b`` is the Kumaraswamy
  distribution function (``a`` 2-3, ``b`` 2-3.8 per person, exercise and phase: zero
  velocity at both ends, peak earlier or later), ``w(u) = int_0^u exp(g) / int_0^1 exp(g)`` a
  monotone warp with ``g`` a random 3-term sine series (sigma 0.1-0.35; some reps
  *hesitant*, a stronger warp whose velocity dips mid-range without stopping). The profile
  is exactly 0 before the phase and exactly 1 after it. The motion is of a joint angle; the
  band's elongation is a *law-of-cosines lever geometry* ``x = 2 (d(theta) - d(theta_0))``,
  ``d^2 = a^2 + l^2 - 2 a l cos(theta)`` (distance of a point on a rotating thigh from the
  other knee, with an offset pivot), so the elongation profile is a non-linear image of the
  angle profile. Fatigue is a *W' balance* (critical-power) state per side (the glute of
  that side, shared by all the exercises): every rep spends W' in proportion to its range
  and pause, holds spend it per second, rests recover it exponentially (tau 30-75 s). Low
  W' shrinks the range (up to 35 %), slows the concentric, speeds the eccentric (the
  lowering gets less controlled), shortens pauses and raises tremor. Sets to failure (side-
  lying hip external rotation) go on until W' falls below the person's failure level
  (at least 3 reps; later sets have fewer reps), then 1-3 failed attempts (25-42 % of the
  median range, decreasing) end the set. Ordinary sets (10 reps, sometimes miscounted to 9
  or 11) have aborted reps at ``partial_prob`` (15-42 % of the range, then a longer reset). Rests
  at the bottom are *first-passage times of a drift-diffusion "readiness"*: Wald (inverse
  Gaussian) distributed; some people go back to back. Some sets keep tension (a floor of
  4-12 % of the range between reps). At the top (pauses > 0.4 s and holds) *intermittent
  control*: the limb sags slowly (zero velocity at arrival) and each time the error passes
  the person's threshold a quick corrective sub-movement lifts it back (act-and-wait
  sawtooth). Tremor is a phase-diffusing oscillator (8-12 Hz with a slowly wandering
  frequency, waxing and waning amplitude), proportional to the square of the lift (zero at
  rest, full at the top), larger with fatigue. Side-lying hip ER often turns at the top
  without a pause; the bridge pauses ("for a moment"), table-top hip ER briefly.
- holds (table-top reach): the person breathes into a *balloon* until it is full: each
  exhale adds 0.7-1.3 l (less as they tire), inhales in between, 4-9 breaths; the bracing
  during an exhale follows the balloon's pressure ``p ~ 1/lam - 1/lam^7`` (a thin neo-
  Hookean sphere: the first breath is the hardest), the inhale gives a small dip; plus the
  sag-and-correct process and tremor. All of it starts and ends with zero velocity.
- band: a looped latex band (rest perimeter 480-700 mm) with a three-term *Ogden* law in
  uniaxial tension (``F = A0 sum mu_i (lam^(alpha_i - 1) - lam^(-alpha_i / 2 - 1))``, a main
  term, a stiffening term and a negative-alpha term), and *Schapery-type non-linear
  viscoelasticity with a strain clock*: three Prony branches (tau 0.05-0.2 s, 0.8-3 s,
  15-60 s) running in a reduced time ``d xi = dt / a(lam)``, ``a = exp(-c (lam - 1))`` (the
  material relaxes faster when stretched). The force is clamped at zero (slack).
  Pre-stretch depends on the posture and changes only through listed fidgets.
- force sensor (an in-line Hall-effect spring scale): the band pulls a steel spring, its
  deflection moves a magnet in front of a Hall sensor (field ``~ (d0 / (d0 - y))^3 - 1``,
  non-linear, linearised by the firmware with a 3-point quadratic calibration made at
  another temperature with a 0.5 % reference error); the housing on the spring rings at its
  resonance (30-70 Hz, light damping) when knocked (knees or floor: *knocks*, in fidgets,
  rests and when the knees meet at the end of a side-lying rep). The sensor's temperature
  follows *skin contact*, a first-order approach (tau 2-5 min) to a posture-dependent
  target (side-lying warmer, quadruped cooler) from room temperature, and drives the Hall
  offset (+-0.5-2 codes/K) and the magnet's field (about -0.12 %/K): a structured
  baseline and gain drift. Hall noise, the chip's one-pole digital averaging (k = 1, 1/2
  or 1/4), a 12-bit ADC with *differential non-linearity* (uneven code widths, bigger steps
  at major carries), *torn reads* of the two-byte register (high nibble of the previous
  sample with the low byte of the new one: a +-256-code error when the high nibble just
  changed) and I2C bus errors (a read of all ones or zeros), the firmware's power-on tare
  (sometimes taken with the band already on), 0.01 N output.
- stretch (about half the recordings): a stretchable *inductive* sensor: a coil along the
  band in an LC oscillator whose frequency rises with the coil's elongation
  (``f0 (1 + e / Lc)^beta``), *counted* over a gate of 60-95 % of the sample period, so the
  reading is a boxcar average with a +-1 count quantisation that is coarse at high rates
  and fine at low ones; a temperature coefficient, a body-proximity shift that changes with
  the posture, a calibration error in ``f0``, ``Lc`` and ``beta``; reads about 0 when slack.
- link and time axis: the device samples on a 32.768 kHz RTC: the sample timer is a whole
  number of ticks with a fractional accumulator (intervals alternate between two tick
  counts, stamps are on a 30.5 us grid); the RTC crystal has an offset (+-20 ppm) and the
  parabolic temperature curve of a tuning-fork crystal (-0.034 ppm/K^2 about 25 C) driven by
  the sensor temperature. Stamps are the device's own times (the recording's axis), offset
  by 0, an uptime or an epoch. Samples go over BLE in packets of 4-8; the radio is shadowed
  by the body depending on the *posture* (lying on the side that carries the sensor is
  worst): fades (log-normal durations) fill the device queue (6-20 packets); when it is full
  the *newest* samples are dropped until the fade ends; fades longer than the supervision
  timeout (2-4 s) disconnect the link (the queue is flushed, reconnection 0.3-1.5 s later);
  the phone also drops single notifications (a whole packet) now and then.
- session: 2-4 of the seed exercises ordered by *posture flow* (side-lying, then supine,
  then table-top, or the reverse) so the person turns over as little as possible:
  side-lying hip ER to failure (sides blocked: all sets on one side, turn over, the other
  side), single-leg bridge ~10 with a pause (legs alternating), table-top reach holds
  (sides alternating), table-top hip ER ~10 with a brief pause (blocked or alternating);
  1-3 sets a side depending on the number of exercises. Rests are either a *rest timer*
  (30/45/60/90 s plus a Wald reaction time) or free (Wald, mean 20-55 s), at least 12 s;
  shorter when alternating legs, longer when turning over or changing exercise. Fidgets in
  rests (never within 1.5 s of a set): ``tap`` (knees tapping apart 2-5 times at 1.5-3 Hz),
  ``slide`` (the band slides down the thighs: lower pre-stretch), ``reseat`` (a thumb
  under the band lifts it off and sets it down: a pull, then a new pre-stretch),
  ``sit_up`` (sitting up to drink or look at the phone: slow large excursions) and
  ``posture`` (turning over / changing position: irregular pulls, the new posture's
  pre-stretch); plus tiny unlisted postural adjustments (0.3-2 mm bumps) in rests.

Truth conventions (times on the recording's own axis: ``metadata["time_offset_s"]`` plus the
device clock's reading of the physical instant; the stamps are exactly that clock at each
sample): a rep's ``start_s`` is the onset of movement (the concentric template leaves its
floor), ``top_start_s`` the arrival at the top (the template reaches 1, velocity zero),
``top_end_s`` the departure (the eccentric template leaves the top), ``end_s`` back at rest
(the eccentric template reaches its floor). Reps turning without a pause have
``top_start_s == top_end_s``. ``range_mm`` is the elongation at ``top_start_s`` minus that at
``start_s`` (without tremor); ``floor_start_mm``/``floor_end_mm`` the elongation above the
pre-stretch at start and end. Partial reps (range under half the median range of the full
reps of their set) are in ``reps`` with ``partial`` True and not counted in ``rep_count``.
Hold sets have ``kind`` "hold", ``rep_count`` 0 and their hold only in ``holds``
(``duration_s = top_end_s - top_start_s``). Sets are >= 12 s apart; reps of a set < 3 s
apart. Fidgets have ``kind``, ``start_s``, ``end_s`` and ``amplitude_mm``. Gaps list the
first and last *missing* sample stamps and their number; ``link_drops`` the disconnects
(at, duration).

``GenConfig.extra``: ``clean`` (ideal sensor and link: exact uniform stamps at the configured
rate from the physical time, the exact band force and elongation, no ringing, drift, noise,
filter, quantisation, glitches or losses), ``still`` (no tremor, sag, corrections, breathing
effect or rest micro-movements), ``ideal_band`` (Ogden law only, no viscoelasticity),
``no_fidgets``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FS = 500.0  # internal grid of the physics (Hz)
DT = 1.0 / FS
RTC_HZ = 32768.0
_P_PEAK = 7.0 ** (-1.0 / 6.0) * (6.0 / 7.0)  # peak of 1/lam - 1/lam^7
_WGRID = np.linspace(0.0, 1.0, 129)


@dataclass(frozen=True)
class _Exercise:
    name: str
    kind: str  # "reps" or "hold"
    posture: str  # "side", "supine", "quad"
    range_mm: tuple[float, float]
    conc_s: tuple[float, float]
    pause_s: tuple[float, float]
    turn_p: tuple[float, float]  # share of reps that turn at the top without a pause
    ecc_s: tuple[float, float]
    rest_s: tuple[float, float]  # mean rest at the bottom between reps
    reps: int
    failure: bool
    drain: tuple[float, float]  # W' per full rep (per second at the top for holds)
    lever_mm: tuple[float, float]  # l: pivot to band point
    other_mm: tuple[float, float]  # a: pivot to the other knee
    gap_mm: tuple[float, float]  # d at rest


EXERCISES: dict[str, _Exercise] = {
    "sidelying_hip_er": _Exercise(
        "sidelying_hip_er", "reps", "side", (100.0, 230.0), (0.55, 1.1), (0.1, 0.45),
        (0.3, 0.8), (0.8, 1.6), (0.1, 0.8), 0, True, (0.0, 0.0),
        (330.0, 450.0), (350.0, 480.0), (60.0, 120.0)),
    "single_leg_bridge": _Exercise(
        "single_leg_bridge", "reps", "supine", (35.0, 100.0), (0.8, 1.5), (0.7, 2.0),
        (0.0, 0.0), (1.2, 2.4), (0.4, 1.5), 10, False, (0.02, 0.045),
        (250.0, 350.0), (300.0, 420.0), (120.0, 200.0)),
    "table_top_reach": _Exercise(
        "table_top_reach", "hold", "quad", (60.0, 170.0), (1.2, 2.4), (0.0, 0.0),
        (0.0, 0.0), (1.0, 2.0), (0.0, 0.0), 0, False, (0.004, 0.01),
        (400.0, 500.0), (150.0, 300.0), (150.0, 250.0)),
    "table_top_hip_er": _Exercise(
        "table_top_hip_er", "reps", "quad", (80.0, 190.0), (0.7, 1.3), (0.3, 1.2),
        (0.03, 0.12), (0.9, 1.8), (0.2, 1.0), 10, False, (0.02, 0.04),
        (350.0, 450.0), (350.0, 450.0), (100.0, 180.0)),
}

FIDGET_KINDS = ("tap", "slide", "reseat", "sit_up", "posture")


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 65 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    fade_scale: float = 1.0  # multiplies the posture-dependent radio fade rates
    phone_drops_per_min: float = 0.4  # single notifications dropped by the phone
    torn_reads_per_min: float = 3.0  # two-byte register reads that may tear
    bus_errors_per_min: float = 0.15  # I2C reads of all ones / zeros
    knocks_per_min: float = 0.5  # knocks on the sensor housing (rings the spring)
    time_offset_s: float | None = None  # None: random (0, an uptime or an epoch)
    # extra: "clean", "still", "ideal_band", "no_fidgets" (see the module docstring)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


# ------------------------------------------------------------------------ shapes


def _kuma(w: np.ndarray, a: float, b: float) -> np.ndarray:
    """Kumaraswamy distribution function: 0 -> 1 with zero slope at both ends (a, b > 1)."""
    wc = np.clip(w, 0.0, 1.0)
    out: np.ndarray = 1.0 - (1.0 - wc ** a) ** b
    return out


def _bump(u: np.ndarray) -> np.ndarray:
    """0 -> 1 -> 0 on [0, 1], zero velocity at the ends and at the peak."""
    uc = np.clip(u, 0.0, 1.0)
    return np.where(uc <= 0.5, _kuma(2.0 * uc, 2.0, 2.5), _kuma(2.0 - 2.0 * uc, 2.0, 2.5))


@dataclass(frozen=True)
class _Profile:
    """A template phase ``K(w(u))`` under a monotone warp ``w``."""

    a: float
    b: float
    warp: tuple[float, float, float]

    def __call__(self, u: np.ndarray) -> np.ndarray:
        g = sum(c * np.sin((k + 1) * np.pi * _WGRID) for k, c in enumerate(self.warp))
        e = np.exp(g)
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (e[1:] + e[:-1]))])
        w = np.interp(np.clip(u, 0.0, 1.0), _WGRID, cum / cum[-1])
        return _kuma(w, self.a, self.b)


def _balloon_p(v: np.ndarray, v0: float) -> np.ndarray:
    lam = np.cbrt((v0 + np.maximum(v, 0.0)) / v0)
    out: np.ndarray = (1.0 / lam - lam ** -7.0) / _P_PEAK
    return out


# ------------------------------------------------------------------------ person


@dataclass
class _ExPerson:
    conc: float
    pause: float
    ecc: float
    turn_p: float
    rest_mean: float
    kw: tuple[float, float, float, float]  # a_c, b_c, a_e, b_e
    drain: float
    range_mm: float


@dataclass
class _Person:
    tempo: float
    jitter_k: float  # gamma shape of the per-phase jitter
    warp_sigma: float
    hesitate_p: float
    back_to_back: bool
    rest_shape: float  # Wald shape / mean of the bottom rests
    timer_s: float | None
    free_rest_s: float
    fidget_per_min: float
    tremor_hz: float
    tremor_mm: float
    sag_q_per_s: float
    corr_thr_q: float
    tau_rec_s: float
    w_fail: float
    failure_reps: float
    v_full_l: float
    dv_l: float
    exhale_s: float
    inhale_s: float
    balloon_v0_l: float
    brace_q: float
    inhale_q: float
    miscount_p: float
    tension_p: float
    ex: dict[str, _ExPerson] = field(default_factory=dict)


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _person(rng: np.random.Generator, still: bool) -> _Person:
    timer = bool(rng.random() < 0.45)
    p = _Person(
        tempo=float(rng.uniform(0.8, 1.3)), jitter_k=float(rng.uniform(40.0, 150.0)),
        warp_sigma=float(rng.uniform(0.1, 0.35)), hesitate_p=float(rng.uniform(0.0, 0.15)),
        back_to_back=bool(rng.random() < 0.25), rest_shape=float(rng.uniform(4.0, 12.0)),
        timer_s=float(rng.choice([30.0, 45.0, 60.0, 90.0], p=[0.3, 0.3, 0.3, 0.1]))
        if timer else None,
        free_rest_s=float(rng.uniform(20.0, 55.0)),
        fidget_per_min=float(rng.uniform(0.6, 2.5)),
        tremor_hz=float(rng.uniform(8.0, 12.0)),
        tremor_mm=0.0 if still else float(rng.uniform(0.08, 0.4)),
        sag_q_per_s=0.0 if still else float(rng.uniform(0.006, 0.03)),
        corr_thr_q=float(rng.uniform(0.012, 0.035)),
        tau_rec_s=float(rng.uniform(30.0, 75.0)), w_fail=float(rng.uniform(0.05, 0.12)),
        failure_reps=float(rng.uniform(9.0, 18.0)),
        v_full_l=0.0, dv_l=float(rng.uniform(0.7, 1.3)),
        exhale_s=float(rng.uniform(2.0, 3.8)), inhale_s=float(rng.uniform(1.0, 2.0)),
        balloon_v0_l=float(rng.uniform(0.1, 0.3)),
        brace_q=0.0 if still else float(rng.choice([-1.0, 1.0]) * rng.uniform(0.01, 0.035)),
        inhale_q=0.0 if still else float(rng.uniform(0.003, 0.012)),
        miscount_p=float(rng.uniform(0.0, 0.15)), tension_p=float(rng.uniform(0.0, 0.35)),
    )
    p.v_full_l = p.dv_l * float(rng.uniform(3.6, 7.5))
    for name, ex in EXERCISES.items():
        drain = _u(rng, ex.drain)
        if ex.failure:
            drain = (1.0 - p.w_fail) / p.failure_reps
        p.ex[name] = _ExPerson(
            conc=_u(rng, ex.conc_s) * p.tempo, pause=_u(rng, ex.pause_s) * math.sqrt(p.tempo),
            ecc=_u(rng, ex.ecc_s) * p.tempo, turn_p=_u(rng, ex.turn_p),
            rest_mean=_u(rng, ex.rest_s) if ex.kind == "reps" else 0.0,
            kw=(float(rng.uniform(2.0, 3.0)), float(rng.uniform(2.0, 3.5)),
                float(rng.uniform(2.0, 2.8)), float(rng.uniform(2.0, 3.8))),
            drain=drain, range_mm=_u(rng, ex.range_mm),
        )
    return p


@dataclass
class _Fatigue:
    tau: float
    w: dict[str, float] = field(default_factory=lambda: {"left": 1.0, "right": 1.0})
    t: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})

    def at(self, side: str, now: float) -> float:
        dt = max(now - self.t[side], 0.0)
        self.w[side] = 1.0 - (1.0 - self.w[side]) * math.exp(-dt / self.tau)
        self.t[side] = max(now, self.t[side])
        return self.w[side]

    def spend(self, side: str, amount: float, now: float) -> None:
        """Working: no recovery until ``now`` (the muscle is above its critical power)."""
        self.t[side] = max(now, self.t[side])
        self.w[side] = max(self.w[side] - amount, 0.0)


# ------------------------------------------------------------------------ geometry


@dataclass
class _Geom:
    a: float
    lever: float
    th0: float
    span: float
    d0: float

    def x(self, q: np.ndarray | float) -> np.ndarray:
        qa = np.asarray(q, dtype=float)
        th = self.th0 + qa * self.span
        d = np.sqrt(self.a ** 2 + self.lever ** 2 - 2.0 * self.a * self.lever * np.cos(th))
        out: np.ndarray = np.where(qa == 0.0, 0.0, 2.0 * (d - self.d0))
        return out

    def q_of_x(self, x: float) -> float:
        qs = np.linspace(0.0, 1.6, 1601)
        return float(np.interp(x, self.x(qs), qs))


def _geom(rng: np.random.Generator, ex: _Exercise, range_mm: float) -> _Geom:
    lever, a = _u(rng, ex.lever_mm), _u(rng, ex.other_mm)
    gap = float(np.clip(_u(rng, ex.gap_mm), abs(a - lever) + 15.0, a + lever - 15.0))
    th0 = math.acos((a * a + lever * lever - gap * gap) / (2.0 * a * lever))
    ths = np.linspace(th0, math.pi - 0.05, 4000)
    xs = 2.0 * (np.sqrt(a * a + lever * lever - 2.0 * a * lever * np.cos(ths)) - gap)
    th1 = float(np.interp(range_mm, xs, ths))
    return _Geom(a=a, lever=lever, th0=th0, span=th1 - th0, d0=gap)


# ------------------------------------------------------------------------ sets and reps


@dataclass
class _Plateau:
    dur: float
    sag: float  # q/s
    corr: list[tuple[float, float, float]]  # (start, duration, size) in q
    exhales: list[tuple[float, float, float, float]] = field(default_factory=list)
    inhales: list[tuple[float, float]] = field(default_factory=list)
    brace: float = 0.0
    inhale_q: float = 0.0
    v0: float = 0.2

    def __call__(self, tau: np.ndarray) -> np.ndarray:
        ts = 0.25
        out = -self.sag * (tau - ts * (1.0 - np.exp(-tau / ts)))
        for s, d, size in self.corr:
            out = out + size * _kuma((tau - s) / d, 2.0, 2.5)
        for s, d, vb, ve in self.exhales:
            m = (tau >= s) & (tau <= s + d)
            if not np.any(m):
                continue
            u = (tau[m] - s) / d
            ramp = min(0.3, 0.4 * d)
            win = _kuma(u * d / ramp, 2.0, 2.0) * _kuma((1.0 - u) * d / ramp, 2.0, 2.0)
            out[m] += self.brace * _balloon_p(vb + (ve - vb) * u, self.v0) * win
        for s, d in self.inhales:
            m = (tau >= s) & (tau <= s + d)
            out[m] -= self.inhale_q * _bump((tau[m] - s) / d)
        return out


@dataclass
class _Rep:
    t0: float
    t1: float
    t2: float
    t3: float
    q0: float
    qtop: float
    q1: float
    partial: bool
    frac: float
    conc: _Profile
    ecc: _Profile
    fatigue: float
    plateau: _Plateau | None = None
    knock: bool = False


@dataclass
class _Set:
    index: int
    exercise: str
    kind: str
    side: str
    to_failure: bool
    geom: _Geom
    reps: list[_Rep] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.reps[0].t0

    @property
    def end(self) -> float:
        return self.reps[-1].t3


def _profiles(rng: np.random.Generator, person: _Person, ep: _ExPerson
              ) -> tuple[_Profile, _Profile]:
    def one(a: float, b: float) -> _Profile:
        sig = person.warp_sigma * (2.5 if rng.random() < person.hesitate_p else 1.0)
        warp = rng.normal(0.0, sig, 3)
        return _Profile(a=float(a * rng.uniform(0.9, 1.1)), b=float(b * rng.uniform(0.9, 1.1)),
                        warp=(float(warp[0]), float(warp[1]), float(warp[2])))

    ac, bc, ae, be = ep.kw
    return one(ac, bc), one(ae, be)


def _sag_plateau(rng: np.random.Generator, dur: float, sag: float, thr: float) -> _Plateau:
    """Sag with zero initial velocity, corrected each time the error passes ``thr``."""
    pl = _Plateau(dur=dur, sag=sag, corr=[])
    if sag <= 0.0 or dur < 0.4:
        pl.sag = 0.0
        return pl
    tau = np.arange(0.0, dur, 0.01)
    ts = 0.25
    s = sag * (tau - ts * (1.0 - np.exp(-tau / ts)))
    level, after = 0.0, 0.2
    while True:
        cand = np.nonzero((s - level >= thr) & (tau >= after))[0]
        if not len(cand):
            break
        tc = float(tau[cand[0]])
        d = float(rng.uniform(0.15, 0.35))
        if tc + d > dur - 0.1:
            break
        size = float((s[cand[0]] - level) * rng.uniform(1.0, 1.3))
        pl.corr.append((tc, d, size))
        level += size
        after = tc + d
    return pl


def _run_reps(rng: np.random.Generator, person: _Person, ex: _Exercise, st: _Set,
              t_start: float, fat: _Fatigue, partial_prob: float, still: bool) -> None:
    ep = person.ex[ex.name]
    side = st.side
    target = ex.reps
    if rng.random() < person.miscount_p:
        target += int(rng.choice([-1, 1]))
    floor = float(rng.uniform(0.04, 0.12)) if rng.random() < person.tension_p else 0.0
    amp_set = float(1.0 + rng.normal(0.0, 0.04))
    rush = float(rng.uniform(0.0, 0.12))
    k = person.jitter_k

    def jit() -> float:
        return float(rng.gamma(k, 1.0 / k))

    def rest_bottom() -> float:
        if person.back_to_back and rng.random() < 0.6:
            return 0.0
        mean = max(ep.rest_mean, 0.05)
        return float(min(rng.wald(mean, mean * person.rest_shape), 2.8))

    t, q, full = t_start, 0.0, 0
    reps = st.reps
    fat.at(side, t_start)  # recovered during the rest before the set
    while True:
        w = fat.w[side]
        if ex.failure and ((w < person.w_fail and full >= 3) or full >= 35):
            break
        if not ex.failure and full >= target:
            break
        if not ex.failure and w < 0.6 * person.w_fail and full >= 3:
            break
        phi = 1.0 - w
        aborted = full >= 1 and rng.random() < partial_prob
        speed = 1.0 - rush * (1.0 - math.exp(-len(reps) / 3.0))
        dc = ep.conc * jit() * (1.0 + 0.9 * phi * phi) * speed
        turn = ep.pause <= 0.0 or rng.random() < ep.turn_p
        dp = 0.0 if turn else ep.pause * jit() * (1.0 - 0.4 * phi)
        de = ep.ecc * jit() * (1.0 - 0.2 * phi * phi) * speed
        qtop = amp_set * (1.0 - 0.35 * phi * phi) * float(1.0 + rng.normal(0.0, 0.03))
        conc, ecc = _profiles(rng, person, ep)
        frac = 0.0
        last_full = not ex.failure and full + 1 >= target and not aborted
        q1 = 0.0 if last_full else floor
        if aborted:
            frac = float(rng.uniform(0.15, 0.42))
            dc *= float(rng.uniform(0.45, 0.8))
            dp = 0.0 if rng.random() < 0.7 else float(rng.uniform(0.1, 0.35))
            de *= float(rng.uniform(0.5, 0.9))
            q1 = q
        t1 = t + max(dc, 0.25)
        t2 = t1 + dp
        t3 = t2 + max(de, 0.25)
        rep = _Rep(t0=t, t1=t1, t2=t2, t3=t3, q0=q, qtop=qtop, q1=q1, partial=aborted,
                   frac=frac, conc=conc, ecc=ecc, fatigue=phi)
        if not aborted and dp > 0.4:
            rep.plateau = _sag_plateau(rng, dp,
                                       person.sag_q_per_s * (1.0 + 1.5 * phi),
                                       person.corr_thr_q)
        rep.knock = ex.name == "sidelying_hip_er" and rng.random() < 0.08
        reps.append(rep)
        fat.spend(side, ep.drain * (0.4 * frac if aborted else qtop) * (1.0 + 0.25 * dp), t3)
        full += int(not aborted)
        q = q1
        if last_full:
            break
        t = t3 + (float(rng.uniform(1.0, 2.6)) if aborted else rest_bottom())
    # failed attempts that end a set to failure (or an exhausted ordinary set)
    if ex.failure or not (full >= target):
        n_att = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))
        frac = float(rng.uniform(0.25, 0.42))
        for i in range(n_att):
            if i > 0:
                t = reps[-1].t3 + float(rng.uniform(0.6, 2.4))
            dc = ep.conc * float(rng.uniform(0.8, 1.6))
            dp = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.15, 0.6))
            de = ep.ecc * float(rng.uniform(0.4, 0.8))
            conc, ecc = _profiles(rng, person, ep)
            q1 = 0.0 if i == n_att - 1 else q
            t1 = t + max(dc, 0.3)
            reps.append(_Rep(t0=t, t1=t1, t2=t1 + dp, t3=t1 + dp + max(de, 0.25), q0=q,
                             qtop=0.0, q1=q1, partial=True, frac=frac, conc=conc, ecc=ecc,
                             fatigue=1.0 - fat.w[side]))
            fat.spend(side, ep.drain * 0.4 * frac, reps[-1].t3)
            q = q1
            frac = max(frac * float(rng.uniform(0.5, 0.85)), 0.08)
    # ranges: partial tops from the median range of the full reps of the set
    g = st.geom
    full_r = [float(g.x(r.qtop) - g.x(r.q0)) for r in reps if not r.partial]
    med = float(np.median(full_r)) if full_r else float(g.x(1.0))
    for r in reps:
        base = float(g.x(r.q0))
        if r.partial:
            r.qtop = g.q_of_x(base + r.frac * med)
        elif float(g.x(r.qtop)) - base < 0.6 * med:
            r.qtop = g.q_of_x(base + 0.6 * med)


def _run_hold(rng: np.random.Generator, person: _Person, ex: _Exercise, st: _Set,
              t_start: float, fat: _Fatigue) -> None:
    ep = person.ex[ex.name]
    w = fat.at(st.side, t_start)
    phi = 1.0 - w
    k = person.jitter_k
    dc = ep.conc * float(rng.gamma(k, 1.0 / k))
    de = ep.ecc * float(rng.gamma(k, 1.0 / k))
    v_full = person.v_full_l * float(rng.uniform(0.9, 1.1))
    t, v, n = float(rng.uniform(0.6, 1.5)), 0.0, 0
    exhales: list[tuple[float, float, float, float]] = []
    inhales: list[tuple[float, float]] = []
    while v < v_full - 1e-6 and n < 12:
        dv = person.dv_l * float(rng.uniform(0.85, 1.15)) * (1.0 - 0.03 * n - 0.2 * phi)
        dv = max(min(dv, v_full - v), 0.2)
        pk = float(_balloon_p(np.array([v + 0.5 * dv]), person.balloon_v0_l)[0])
        ed = person.exhale_s * float(rng.uniform(0.85, 1.2)) * (0.8 + 0.4 * pk)
        exhales.append((t, ed, v, v + dv))
        t += ed
        v += dv
        n += 1
        if v < v_full - 1e-6:
            idur = person.inhale_s * float(rng.uniform(0.85, 1.2))
            inhales.append((t, idur))
            t += idur
    dp = t + float(rng.uniform(0.4, 1.0))
    pl = _sag_plateau(rng, dp, 0.4 * person.sag_q_per_s * (1.0 + phi),
                      person.corr_thr_q * 1.3)
    pl.exhales, pl.inhales = exhales, inhales
    pl.brace, pl.inhale_q, pl.v0 = person.brace_q, person.inhale_q, person.balloon_v0_l
    conc, ecc = _profiles(rng, person, ep)
    t1 = t_start + dc
    st.reps.append(_Rep(t0=t_start, t1=t1, t2=t1 + dp, t3=t1 + dp + de, q0=0.0,
                        qtop=float(1.0 + rng.normal(0.0, 0.04)), q1=0.0, partial=False,
                        frac=0.0, conc=conc, ecc=ecc, fatigue=phi, plateau=pl))
    fat.spend(st.side, ep.drain * dp, t1 + dp)


# ------------------------------------------------------------------------ session plan


def _choose_exercises(rng: np.random.Generator, cfg: GenConfig) -> list[str]:
    n = cfg.exercises if cfg.exercises is not None else int(rng.choice([2, 3, 3, 4]))
    hold = cfg.hold_exercise if cfg.hold_exercise is not None else bool(rng.random() < 0.65)
    others = ["sidelying_hip_er", "single_leg_bridge", "table_top_hip_er"]
    chosen = [str(x) for x in rng.choice(others, size=min(max(n - int(hold), 0), 3),
                                         replace=False)]
    if hold:
        chosen.append("table_top_reach")
    if not chosen:
        chosen = ["single_leg_bridge"]
    # posture flow: side-lying -> supine -> table top (or the reverse)
    rank = {"side": 0, "supine": 1, "quad": 2}
    jitter = {name: float(rng.random()) for name in chosen}
    order = sorted(chosen, key=lambda x: (rank[EXERCISES[x].posture], jitter[x]))
    if rng.random() < 0.3:
        order = sorted(chosen, key=lambda x: (-rank[EXERCISES[x].posture], jitter[x]))
    return order


def _plan(rng: np.random.Generator, exercises: list[str]) -> list[tuple[str, str]]:
    n = len(exercises)
    per_side = {1: [2, 3], 2: [2, 2, 3], 3: [1, 2, 2], 4: [1, 1, 2]}[min(max(n, 1), 4)]
    plan: list[tuple[str, str]] = []
    for name in exercises:
        k = int(rng.choice(per_side))
        s = str(rng.choice(["left", "right"]))
        o = "right" if s == "left" else "left"
        blocked = name == "sidelying_hip_er" or (name == "table_top_hip_er"
                                                 and rng.random() < 0.4)
        sides = [s] * k + [o] * k if blocked else [s, o] * k
        plan.extend((name, x) for x in sides)
    return plan


def _posture_of(name: str, side: str) -> str:
    p = EXERCISES[name].posture
    if p == "side":  # lying on the other side, the working leg on top
        return "lie_right" if side == "left" else "lie_left"
    return p


def _rest(rng: np.random.Generator, person: _Person, prev: tuple[str, str],
          nxt: tuple[str, str]) -> float:
    if person.timer_s is not None:
        r = person.timer_s + float(rng.wald(2.5, 15.0)) + float(rng.uniform(0.5, 3.0))
    else:
        r = float(rng.wald(person.free_rest_s, 6.0 * person.free_rest_s))
    if prev[0] != nxt[0]:
        r = max(r, 30.0) + float(rng.uniform(10.0, 40.0))
    elif prev[1] != nxt[1]:
        if prev[0] == "sidelying_hip_er":
            r += float(rng.uniform(8.0, 20.0))  # turning over
        else:
            r *= float(rng.uniform(0.45, 0.9))  # alternating legs
    if EXERCISES[nxt[0]].kind == "hold" and prev[0] == nxt[0]:
        r = float(rng.uniform(12.0, 30.0))
    return float(np.clip(r, 12.0, 160.0))


# ------------------------------------------------------------------------ band


@dataclass
class _Band:
    length: float  # rest perimeter (mm)
    mu: tuple[float, float, float]
    alpha: tuple[float, float, float]
    scale: float
    g: tuple[float, float, float]
    tau: tuple[float, float, float]
    clock: float

    def elastic(self, e: np.ndarray) -> np.ndarray:
        lam = 1.0 + np.maximum(e, 0.0) / self.length
        s = np.zeros_like(lam)
        for m, a in zip(self.mu, self.alpha, strict=True):
            s = s + m * (lam ** (a - 1.0) - lam ** (-a / 2.0 - 1.0))
        out: np.ndarray = self.scale * s
        return out


def _band(rng: np.random.Generator) -> _Band:
    alpha = (float(rng.uniform(1.6, 2.6)), float(rng.uniform(4.5, 7.5)),
             float(rng.uniform(-2.5, -1.5)))
    mu = (1.0, float(rng.uniform(0.005, 0.03)), -float(rng.uniform(0.05, 0.2)))
    b = _Band(length=float(rng.uniform(480.0, 700.0)), mu=mu, alpha=alpha, scale=1.0,
              g=(float(rng.uniform(0.04, 0.1)), float(rng.uniform(0.03, 0.08)),
                 float(rng.uniform(0.03, 0.08))),
              tau=(float(rng.uniform(0.05, 0.2)), float(rng.uniform(0.8, 3.0)),
                   float(rng.uniform(15.0, 60.0))),
              clock=float(rng.uniform(0.5, 2.0)))
    f_ref = float(rng.uniform(15.0, 55.0))
    b.scale = f_ref / float(b.elastic(np.array([0.5 * b.length]))[0])
    return b


def _recursion(decay: np.ndarray, inp: np.ndarray, block: int = 64) -> np.ndarray:
    """``y[n] = decay[n] y[n-1] + inp[n]`` (y[-1] = 0), blockwise in closed form."""
    n = len(decay)
    nb = -(-n // block)
    d = np.ones(nb * block)
    x = np.zeros(nb * block)
    d[:n], x[:n] = decay, inp
    logp = np.cumsum(np.log(d.reshape(nb, block)), axis=1)
    local = np.exp(logp) * np.cumsum(x.reshape(nb, block) * np.exp(-logp), axis=1)
    p_end = np.exp(logp[:, -1])
    ends = local[:, -1]
    carry = np.empty(nb)
    c = 0.0
    for j in range(nb):
        c = float(ends[j]) + float(p_end[j]) * c
        carry[j] = c
    prev = np.concatenate([[0.0], carry[:-1]])
    y: np.ndarray = (local + np.exp(logp) * prev[:, None]).reshape(-1)[:n]
    return y


def _branches(band: _Band, e: np.ndarray, fe: np.ndarray) -> list[np.ndarray]:
    """Overstress of the Prony branches in the strain-clock reduced time."""
    lam = 1.0 + np.maximum(e, 0.0) / band.length
    shift = np.exp(-band.clock * (lam - 1.0))
    dfe = np.diff(fe, prepend=fe[0])
    out = []
    for g, tau in zip(band.g, band.tau, strict=True):
        decay = np.exp(-DT / (tau * shift))
        out.append(_recursion(decay, g * dfe * np.sqrt(decay)))
    return out


# ------------------------------------------------------------------------ fidgets


@dataclass
class _Fidget:
    kind: str
    t0: float
    t1: float
    amplitude_mm: float
    bumps: list[tuple[float, float, float]]  # (start, duration, mm) on the elongation
    pre_step: tuple[float, float, float] | None  # (start, duration, mm) of the pre-stretch
    pre_target: float | None = None  # a new posture's pre-stretch (mm)


def _fidget(rng: np.random.Generator, kind: str, t0: float, r_mm: float, pre: float,
            pre_min: float, new_pre: float | None = None) -> _Fidget:
    bumps: list[tuple[float, float, float]] = []
    step: tuple[float, float, float] | None = None
    if kind == "tap":
        n, f = int(rng.integers(2, 6)), float(rng.uniform(1.5, 3.0))
        a = float(rng.uniform(0.08, 0.3)) * r_mm
        bumps = [(t0 + i / f, 1.0 / f, a * float(rng.uniform(0.8, 1.1))) for i in range(n)]
        dur, amp = n / f, a
    elif kind == "slide":
        dur = float(rng.uniform(0.4, 1.2))
        d = min(float(rng.uniform(4.0, 15.0)), max(pre - pre_min, 0.0))
        step, amp = (t0, dur, -d), d
    elif kind == "reseat":
        dur = float(rng.uniform(1.2, 2.8))
        h = float(rng.uniform(20.0, 60.0))
        bumps = [(t0, 0.7 * dur, h)]
        d = float(rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 15.0))
        d = max(d, pre_min - pre)
        step, amp = (t0 + 0.4 * dur, 0.6 * dur, d), h
    elif kind == "sit_up":
        dur = float(rng.uniform(2.0, 5.0))
        n = int(rng.integers(2, 5))
        for _ in range(n):
            w = float(rng.uniform(0.6, 1.8))
            s = t0 + float(rng.uniform(0.0, max(dur - w, 0.01)))
            bumps.append((s, w, float(rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.7) * r_mm)))
        amp = max(abs(b[2]) for b in bumps)
    else:  # posture
        dur = float(rng.uniform(3.0, 7.0))
        n = int(rng.integers(3, 7))
        for _ in range(n):
            w = float(rng.uniform(0.4, 1.5))
            s = t0 + float(rng.uniform(0.0, max(dur - w, 0.01)))
            bumps.append((s, w, float(rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.8) * r_mm)))
        target = max(new_pre if new_pre is not None else pre, pre_min)
        step = (t0 + 0.2 * dur, 0.6 * dur, target - pre)
        amp = max(abs(b[2]) for b in bumps)
        return _Fidget(kind=kind, t0=t0, t1=t0 + dur, amplitude_mm=float(amp), bumps=bumps,
                       pre_step=step, pre_target=target)
    return _Fidget(kind=kind, t0=t0, t1=t0 + dur, amplitude_mm=float(amp), bumps=bumps,
                   pre_step=step)


def _add_step(arr: np.ndarray, t0: float, dur: float, value: float) -> None:
    i0 = max(math.ceil(t0 * FS), 0)
    i1 = max(math.ceil((t0 + dur) * FS), i0)
    if i0 >= len(arr):
        return
    tt = np.arange(i0, min(i1, len(arr))) * DT
    arr[i0:i0 + len(tt)] += value * _kuma((tt - t0) / dur, 2.0, 2.0)
    arr[min(i1, len(arr)):] += value


def _add_bump(arr: np.ndarray, t0: float, dur: float, value: float) -> None:
    i0 = max(math.ceil(t0 * FS), 0)
    i1 = min(math.ceil((t0 + dur) * FS), len(arr))
    if i1 > i0:
        arr[i0:i1] += value * _bump((np.arange(i0, i1) * DT - t0) / dur)


# ------------------------------------------------------------------------ generate


# ------------------------------------------------------------------------ the device


def _device(rng: np.random.Generator, cfg: GenConfig, band: _Band, sets: list[_Set],
            fidgets: list[_Fidget], tg: np.ndarray, t_s: np.ndarray, stamps: np.ndarray,
            f_s: np.ndarray, e_tot: np.ndarray, temp_arr: np.ndarray, post_idx: np.ndarray,
            names: list[str], sensor_side: str, rate: float, has_stretch: bool,
            faults: dict[str, int], gaps: list[dict[str, Any]],
            drops: list[tuple[float, float]], tm: Callable[[float], float]
            ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Hall spring scale, inductive stretch counter and the BLE link (non-clean)."""
    n_s = len(t_s)
    total = float(tg[-1])
    # knocks ring the housing on its spring
    f_n, zeta = float(rng.uniform(30.0, 70.0)), float(rng.uniform(0.05, 0.2))
    wn = 2.0 * np.pi * f_n
    wd = wn * math.sqrt(1.0 - zeta * zeta)
    noisy = [f for f in fidgets if f.kind in ("tap", "posture", "sit_up", "reseat")]
    knocks: list[tuple[float, float]] = []
    for _ in range(int(rng.poisson(cfg.knocks_per_min * total / 60.0))):
        if noisy and rng.random() < 0.7:
            fd = noisy[int(rng.integers(len(noisy)))]
            tk = float(rng.uniform(fd.t0, fd.t1))
        else:
            tk = float(rng.uniform(0.0, total))
        knocks.append((tk, float(rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 30.0))))
    for st in sets:
        knocks += [(r.t3, float(rng.uniform(1.0, 4.0))) for r in st.reps if r.knock]
    ring = np.zeros(n_s)
    for tk, amp in knocks:
        i0, i1 = np.searchsorted(t_s, [tk, tk + 6.0 / (zeta * wn)])
        d = t_s[i0:i1] - tk
        ring[i0:i1] += amp * np.exp(-zeta * wn * d) * np.sin(wd * d)
    faults["knocks"] = len(knocks)
    f_mech = f_s + ring

    # Hall sensor: magnet on the spring in front of the Hall plate
    temp_s = np.interp(t_s, tg, temp_arr)
    f_fs = float(rng.uniform(150.0, 300.0))
    d0, r_max = float(rng.uniform(2.0, 4.0)), float(rng.uniform(0.12, 0.22))
    k_s = f_fs / (r_max * d0)
    sens = 3300.0 / ((1.0 / (1.0 - r_max)) ** 3 - 1.0)

    def fieldf(f: np.ndarray) -> np.ndarray:
        y = np.minimum(f / k_s, 0.9 * d0)
        out: np.ndarray = (d0 / (d0 - y)) ** 3 - 1.0
        return out

    t_cal = float(rng.uniform(20.0, 24.0))
    bias = float(rng.uniform(300.0, 700.0))
    tc_off = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0))
    tc_mag = -float(rng.uniform(0.0009, 0.0015))
    codes = (bias + tc_off * (temp_s - t_cal)
             + sens * (1.0 + tc_mag * (temp_s - t_cal)) * fieldf(f_mech)
             + rng.normal(0.0, float(rng.uniform(0.5, 2.0)), n_s))
    k = float(rng.choice([1.0, 0.5, 0.25]))
    if k < 1.0:  # the chip's one-pole averaging
        codes = (_recursion(np.full(n_s, 1.0 - k), k * codes)
                 + codes[0] * (1.0 - k) ** (np.arange(n_s) + 1.0))
    widths = 1.0 + rng.normal(0.0, 0.15, 4094)
    widths[63::64] += rng.normal(0.0, 0.4, len(widths[63::64]))
    widths = np.maximum(widths, 0.0)
    levels = 0.5 + np.concatenate([[0.0], np.cumsum(widths)]) * (4094.0 / np.sum(widths))
    c = np.clip(np.searchsorted(levels, codes, side="right"), 0, 4095).astype(np.int64)
    for _ in range(int(rng.poisson(cfg.torn_reads_per_min * total / 60.0))):
        i = int(rng.integers(1, n_s))
        torn = (c[i - 1] & 0xF00) | (c[i] & 0xFF)
        faults["torn_reads"] += int(torn != c[i])
        c[i] = torn
    for _ in range(int(rng.poisson(cfg.bus_errors_per_min * total / 60.0))):
        c[int(rng.integers(0, n_s))] = 4095 if rng.random() < 0.6 else 0
        faults["bus_errors"] += 1
    # firmware: quadratic calibration at t_cal, power-on tare
    f_pts = np.array([0.0, 0.5 * f_fs, f_fs])
    poly = np.polyfit(sens * fieldf(f_pts), f_pts * (1.0 + float(rng.normal(0.0, 0.005))), 2)
    tare = bias + tc_off * (float(temp_arr[0]) - t_cal) + float(rng.normal(0.0, 1.0))
    if rng.random() < 0.1:  # tared with the band already on
        tare += sens * float(fieldf(np.array([f_s[0]]))[0])
    force = np.round(np.polyval(poly, c - round(tare)), 2)

    # inductive stretch sensor: an LC oscillator counted over a gate
    stretch: np.ndarray | None = None
    if has_stretch:
        f0, lc, beta = (float(rng.uniform(0.4e6, 2.0e6)), float(rng.uniform(300.0, 700.0)),
                        float(rng.uniform(0.5, 0.8)))
        prox_by = rng.normal(0.0, 0.0015, len(names))
        prox = prox_by[post_idx]
        tcf = float(rng.uniform(-80e-6, 80e-6))
        freq = (f0 * (1.0 + np.maximum(e_tot, 0.0) / lc) ** beta
                * (1.0 + tcf * (temp_arr - 22.0)) * (1.0 + prox)
                * (1.0 + rng.normal(0.0, 2e-5, len(tg))))
        phase = np.concatenate([[0.0], np.cumsum(freq[:-1]) * DT])
        gate = float(rng.uniform(0.6, 0.95)) / rate

        def ph(x: np.ndarray) -> np.ndarray:
            out: np.ndarray = np.interp(x, tg, phase) + np.minimum(x, 0.0) * freq[0]
            return out

        counts = np.floor(ph(t_s)) - np.floor(ph(t_s - gate))
        f0c = f0 * (1.0 + float(rng.normal(0.0, 0.002)))
        lcc = lc * (1.0 + float(rng.normal(0.0, 0.02)))
        bc = beta * (1.0 + float(rng.normal(0.0, 0.02)))
        stretch = np.round(lcc * ((counts / gate / f0c) ** (1.0 / bc) - 1.0), 2)

    # link: posture-dependent fades fill the queue, then the newest samples are dropped
    lie_sensor = "lie_left" if sensor_side == "left" else "lie_right"
    per_min = {"lie_left": 0.4, "lie_right": 0.4, "supine": 0.5, "quad": 0.8}
    per_min[lie_sensor] = 4.0
    spp, q_pk = int(rng.integers(4, 9)), int(rng.integers(6, 21))
    q_s = q_pk * spp / rate
    timeout, lost = float(rng.uniform(2.0, 4.0)), np.zeros(n_s, dtype=bool)
    bounds = np.nonzero(np.diff(post_idx))[0] + 1
    seg_starts = np.concatenate([[0], bounds])
    seg_ends = np.concatenate([bounds, [len(tg)]])
    for a, b in zip(seg_starts.tolist(), seg_ends.tolist(), strict=True):
        lam = per_min[names[int(post_idx[a])]] * cfg.fade_scale * (b - a) * DT / 60.0
        for _ in range(int(rng.poisson(lam))):
            ts = float(rng.uniform(a * DT, b * DT))
            dur = float(rng.lognormal(math.log(0.35), 1.0))
            faults["fades"] += 1
            if dur > timeout:
                t_rec = ts + dur + float(rng.uniform(0.3, 1.5))
                i0, i1 = np.searchsorted(t_s, [ts, t_rec])
                lost[i0:i1] = True
                drops.append((tm(ts + timeout), t_rec - ts - timeout))
                faults["disconnects"] += 1
            elif dur > q_s:
                i0, i1 = np.searchsorted(t_s, [ts + q_s, ts + dur])
                lost[i0:i1] = True
    for _ in range(int(rng.poisson(cfg.phone_drops_per_min * total / 60.0))):
        pk = int(rng.integers(0, max(n_s // spp, 1)))
        lost[pk * spp:(pk + 1) * spp] = True
        faults["phone_drops"] += 1
    drops.sort()
    for i0, i1 in _runs(lost):
        gaps.append({"start_s": float(stamps[i0]), "end_s": float(stamps[i1 - 1]),
                     "samples": int(i1 - i0)})
    keep = ~lost
    return force[keep], None if stretch is None else stretch[keep], stamps[keep]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) of the runs of True."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(d == 1)[0].tolist(), np.nonzero(d == -1)[0].tolist(),
                    strict=True))


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg if cfg is not None else GenConfig()
    rng = np.random.default_rng([int(seed), 0x6D68])
    clean = bool(cfg.extra.get("clean", False))
    still = bool(cfg.extra.get("still", False))
    ideal = bool(cfg.extra.get("ideal_band", False))
    no_fidgets = bool(cfg.extra.get("no_fidgets", False))
    rate = float(cfg.rate_hz)

    person = _person(rng, still)
    band = _band(rng)
    exercises = _choose_exercises(rng, cfg)
    has_stretch = (bool(cfg.has_stretch) if cfg.has_stretch is not None
                   else bool(rng.random() < 0.5))
    if cfg.time_offset_s is not None:
        offset = float(cfg.time_offset_s)
    else:
        which = rng.choice(3, p=[0.4, 0.35, 0.25])
        offset = [0.0, float(rng.uniform(5.0, 3.0e4)),
                  float(rng.uniform(1.6e9, 1.8e9))][int(which)]
    geoms = {name: _geom(rng, EXERCISES[name], person.ex[name].range_mm) for name in exercises}
    plan = _plan(rng, exercises)

    # ---------------------------------------------------------------- timeline
    fat = _Fatigue(tau=person.tau_rec_s)
    sets: list[_Set] = []
    t = float(rng.uniform(5.0, 15.0))
    for i, (name, side) in enumerate(plan):
        ex = EXERCISES[name]
        if i > 0:
            t = sets[-1].end + _rest(rng, person, plan[i - 1], plan[i])
        st = _Set(index=i, exercise=name, kind=ex.kind, side=side, to_failure=ex.failure,
                  geom=geoms[name])
        if ex.kind == "hold":
            _run_hold(rng, person, ex, st, t, fat)
        else:
            _run_reps(rng, person, ex, st, t, fat, cfg.partial_prob, still)
        sets.append(st)
    total = sets[-1].end + float(rng.uniform(5.0, 12.0))
    n_grid = math.ceil(total * FS) + 2
    tg = np.arange(n_grid) * DT

    # ---------------------------------------------------------------- postures, fidgets
    postures = [_posture_of(s.exercise, s.side) for s in sets]
    pre_base = band.length * float(rng.uniform(0.06, 0.2))
    pre_f = {"lie_left": float(rng.uniform(0.7, 1.0)), "supine": float(rng.uniform(0.9, 1.2)),
             "quad": float(rng.uniform(0.9, 1.3))}
    pre_f["lie_right"] = pre_f["lie_left"] * float(rng.uniform(0.9, 1.1))
    pre_min = 0.03 * band.length
    windows = [(0.5, sets[0].start - 1.5)]
    windows += [(a.end + 1.5, b.start - 1.5) for a, b in itertools.pairwise(sets)]
    windows.append((sets[-1].end + 1.5, total - 0.5))
    fidgets: list[_Fidget] = []
    changes: list[tuple[float, str]] = [(0.0, postures[0])]  # (instant, posture)
    pre_now = pre_base * pre_f[postures[0]]
    pre_init = pre_now
    for w_i, (a, b) in enumerate(windows):
        nxt = min(w_i, len(sets) - 1)
        r_mm = person.ex[sets[nxt].exercise].range_mm
        placed: list[_Fidget] = []
        change = 0 < w_i < len(sets) and postures[w_i - 1] != postures[w_i]
        if change:
            mid = 0.5 * (a + b)
            if not no_fidgets:
                new_pre = pre_base * pre_f[postures[w_i]] + float(rng.normal(0.0, 3.0))
                fd = _fidget(rng, "posture", mid - 2.5 + float(rng.uniform(-0.2, 0.2) * (b - a)),
                             r_mm, pre_now, pre_min, new_pre)
                if fd.t0 < a or fd.t1 > b:  # keep it inside the rest
                    fd = _fidget(rng, "posture", a, r_mm, pre_now, pre_min, new_pre)
                placed.append(fd)
                mid = 0.5 * (fd.t0 + fd.t1)
            changes.append((mid, postures[w_i]))
        if not no_fidgets and b - a > 2.0:
            n = int(rng.poisson(person.fidget_per_min * (b - a) / 60.0))
            for _ in range(n):
                kind = str(rng.choice(["tap", "slide", "reseat", "sit_up"],
                                      p=[0.35, 0.2, 0.25, 0.2]))
                for _try in range(8):
                    t0 = float(rng.uniform(a, b))
                    fd = _fidget(rng, kind, t0, r_mm, pre_now, pre_min)
                    if fd.t1 <= b and all(fd.t1 + 0.5 <= o.t0 or fd.t0 >= o.t1 + 0.5
                                          for o in placed):
                        placed.append(fd)
                        break
        placed.sort(key=lambda f: f.t0)
        for fd in placed:  # the pre-stretch steps chain in time order
            if fd.pre_step is not None:
                s0, d0, v = fd.pre_step
                if fd.pre_target is not None:
                    v = fd.pre_target - pre_now
                v = max(v, pre_min - pre_now)
                fd.pre_step = (s0, d0, v)
                pre_now += v
        fidgets.extend(placed)
    fidgets.sort(key=lambda f: f.t0)

    # ---------------------------------------------------------------- movement on the grid
    x = np.zeros(n_grid)  # elongation above the pre-stretch (mm)
    pre = np.full(n_grid, pre_init)
    trem_env = np.zeros(n_grid)
    rep_ranges: dict[int, list[float]] = {}
    for st in sets:
        g = st.geom
        i_s = math.ceil(st.start * FS)
        i_e = math.ceil(st.end * FS)
        q = np.zeros(i_e - i_s)
        amp = np.zeros(i_e - i_s)
        for k, r in enumerate(st.reps):
            i0 = math.ceil(r.t0 * FS) - i_s
            i1 = math.ceil(r.t1 * FS) - i_s
            i2 = math.ceil(r.t2 * FS) - i_s
            i3 = math.ceil(r.t3 * FS) - i_s
            inext = (math.ceil(st.reps[k + 1].t0 * FS) - i_s if k + 1 < len(st.reps)
                     else len(q))
            tt = (np.arange(i0, i1) + i_s) * DT
            q[i0:i1] = r.q0 + (r.qtop - r.q0) * r.conc((tt - r.t0) / (r.t1 - r.t0))
            qdep = r.qtop
            if r.t2 > r.t1:
                tt = (np.arange(i1, i2) + i_s) * DT
                if r.plateau is not None:
                    q[i1:i2] = r.qtop + r.plateau(tt - r.t1)
                    qdep = r.qtop + float(r.plateau(np.array([r.t2 - r.t1]))[0])
                else:
                    q[i1:i2] = r.qtop
            tt = (np.arange(i2, i3) + i_s) * DT
            q[i2:i3] = qdep + (r.q1 - qdep) * r.ecc((tt - r.t2) / (r.t3 - r.t2))
            q[i3:inext] = r.q1
            gain = (1.5 if st.kind == "hold" else 1.0) * (1.0 + 3.0 * r.fatigue ** 2)
            amp[i0:inext] = person.tremor_mm * gain
        x[i_s:i_e] = g.x(q)
        ref = max(float(np.median([r.qtop for r in st.reps if not r.partial] or [1.0])), 0.1)
        trem_env[i_s:i_e] = amp * np.clip(q / ref, 0.0, 1.3) ** 2
        rep_ranges[st.index] = [float(g.x(r.qtop) - g.x(r.q0)) for r in st.reps]
    if not still and person.tremor_mm > 0.0:
        slow = (0.7 * np.sin(2 * np.pi * 0.13 * tg + rng.uniform(0, 2 * np.pi))
                + 0.5 * np.sin(2 * np.pi * 0.31 * tg + rng.uniform(0, 2 * np.pi))
                + 0.3 * np.sin(2 * np.pi * 0.047 * tg + rng.uniform(0, 2 * np.pi)))
        phase = 2 * np.pi * np.cumsum(person.tremor_hz + slow) * DT
        wax = 0.6 + 0.4 * np.abs(np.sin(2 * np.pi * 0.35 * tg + rng.uniform(0, 2 * np.pi)))
        x += trem_env * wax * np.sin(phase)
    for fd in fidgets:
        for s0, d0, v in fd.bumps:
            _add_bump(x, s0, d0, v)
        if fd.pre_step is not None:
            _add_step(pre, *fd.pre_step)
    if not still:  # tiny unlisted postural adjustments in the rests
        busy = [(s.start - 1.5, s.end + 1.5) for s in sets]
        busy += [(f.t0 - 0.3, f.t1 + 0.3) for f in fidgets]
        for _ in range(int(rng.poisson(0.1 * total))):
            d0 = float(rng.uniform(0.4, 1.5))
            s0 = float(rng.uniform(0.0, total - d0))
            if all(s0 + d0 <= b0 or s0 >= b1 for b0, b1 in busy):
                _add_bump(x, s0, d0, float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 2.0)))
    e_tot = pre + x

    # ---------------------------------------------------------------- band force
    fe = band.elastic(e_tot)
    fe[e_tot <= 0.0] = 0.0
    if ideal:
        g_inf, br = 1.0, [np.zeros(n_grid)]
    else:
        g_inf, br = 1.0 - sum(band.g), _branches(band, e_tot, fe)
    h_sum = np.sum(br, axis=0)
    f_band = np.maximum(g_inf * fe + h_sum, 0.0)

    # ---------------------------------------------------------------- posture timeline
    post_idx = np.zeros(n_grid, dtype=np.int64)
    names = ["lie_left", "lie_right", "supine", "quad"]
    for tc, pname in changes:
        post_idx[math.ceil(tc * FS):] = names.index(pname)
    sensor_side = str(rng.choice(["left", "right"]))
    room = float(rng.uniform(20.0, 25.0))
    skin = {"lie_left": float(rng.uniform(30.0, 33.0)), "supine": float(rng.uniform(27.0, 30.0)),
            "quad": float(rng.uniform(26.0, 29.0))}
    skin["lie_right"] = skin["lie_left"]
    target = np.array([skin[nm] for nm in names])[post_idx]
    tau_t = float(rng.uniform(120.0, 300.0))
    temp = room + float(rng.uniform(0.0, 3.0))
    alpha = DT / tau_t
    temp_arr = _recursion(np.full(n_grid, 1.0 - alpha), alpha * target)
    temp_arr += temp * (1.0 - alpha) ** (np.arange(n_grid) + 1.0)

    # ---------------------------------------------------------------- device clock, samples
    if clean:
        tau_dev = tg.copy()
        n_s = math.floor(tg[-1] * rate) + 1
        t_s = np.arange(n_s) / rate
        stamps = offset + t_s
    else:
        ppm = float(rng.uniform(-20.0, 20.0)) * 1e-6 - 0.034e-6 * (temp_arr - 25.0) ** 2
        tau_dev = tg + np.concatenate([[0.0], np.cumsum(ppm[:-1]) * DT])
        per = RTC_HZ / rate
        phi0 = float(rng.random())
        n_s = math.floor((tau_dev[-1] * RTC_HZ - phi0) / per) + 1
        ticks = np.floor(np.arange(n_s) * per + phi0)
        tau_s = ticks / RTC_HZ
        t_s = np.interp(tau_s, tau_dev, tg)
        stamps = offset + tau_s

    def tm(x_s: float) -> float:
        return offset + float(np.interp(x_s, tg, tau_dev))

    e_s = np.interp(t_s, tg, e_tot)
    f_s = np.maximum(g_inf * np.where(e_s > 0.0, band.elastic(e_s), 0.0)
                     + np.interp(t_s, tg, h_sum), 0.0)
    faults = {"knocks": 0, "torn_reads": 0, "bus_errors": 0, "fades": 0, "phone_drops": 0,
              "disconnects": 0}
    gaps: list[dict[str, Any]] = []
    drops: list[tuple[float, float]] = []
    stretch_s: np.ndarray | None = None
    if clean:
        force_n = f_s
        if has_stretch:
            stretch_s = np.maximum(e_s, 0.0)
        time_s = stamps
    else:
        force_n, stretch_s, time_s = _device(rng, cfg, band, sets, fidgets, tg, t_s, stamps,
                                             f_s, e_tot, temp_arr, post_idx, names,
                                             sensor_side, rate, has_stretch, faults, gaps,
                                             drops, tm)

    # ---------------------------------------------------------------- truth
    def at(arr: np.ndarray, xs: float) -> float:
        return float(np.interp(xs, tg, arr))

    t_sets: list[dict[str, Any]] = []
    t_reps: list[dict[str, Any]] = []
    t_holds: list[dict[str, Any]] = []
    for st in sets:
        g = st.geom
        rngs = rep_ranges[st.index]
        if st.kind == "reps":
            full = [xr for xr, r in zip(rngs, st.reps, strict=True) if not r.partial]
            med = float(np.median(full)) if full else 0.0
            flags = [xr < 0.5 * med for xr in rngs]
        else:
            flags = [False]
        t_sets.append({
            "index": st.index, "kind": st.kind, "side": st.side, "start_s": tm(st.start),
            "end_s": tm(st.end),
            "rep_count": 0 if st.kind == "hold" else int(sum(not p for p in flags)),
            "partial_count": 0 if st.kind == "hold" else int(sum(flags)),
            "exercise": st.exercise, "to_failure": st.to_failure,
            "pre_tension_n": at(f_band, max(st.start - 0.5, 0.0)),
        })
        for r, xr, part in zip(st.reps, rngs, flags, strict=True):
            t0, t1, t2, t3 = tm(r.t0), tm(r.t1), tm(r.t2), tm(r.t3)
            if r.t2 == r.t1:
                t2 = t1
            if st.kind == "hold":
                sl = slice(math.ceil(r.t1 * FS), int(r.t2 * FS) + 1)
                t_holds.append({
                    "set": st.index, "start_s": t0, "end_s": t3, "duration_s": t2 - t1,
                    "top_start_s": t1, "top_end_s": t2, "side": st.side,
                    "mean_force_n": float(np.mean(f_band[sl])),
                })
                continue
            sl = slice(math.ceil(r.t0 * FS), int(r.t3 * FS) + 1)
            t_reps.append({
                "index": len(t_reps), "set": st.index, "start_s": t0, "top_start_s": t1,
                "top_end_s": t2, "end_s": t3, "concentric_s": t1 - t0, "pause_s": t2 - t1,
                "eccentric_s": t3 - t2, "partial": bool(part),
                "peak_force_n": float(np.max(f_band[sl])),
                "range_mm": xr, "floor_start_mm": float(g.x(r.q0)),
                "floor_end_mm": float(g.x(r.q1)), "side": st.side,
                "concentric_profile": "kumaraswamy_warped",
                "eccentric_profile": "kumaraswamy_warped",
            })
    t_fidgets = [{"kind": f.kind, "start_s": tm(f.t0), "end_s": tm(f.t1),
                  "amplitude_mm": float(f.amplitude_mm)} for f in fidgets]
    meta = {
        "model": "gen_model_h", "seed": int(seed), "rate_hz": rate, "time_offset_s": offset,
        "has_stretch": bool(has_stretch), "clean": clean, "still": still, "ideal_band": ideal,
        "no_fidgets": no_fidgets, "exercises": exercises, "duration_s": float(total),
        "person": {"tempo": person.tempo, "rest_timer_s": person.timer_s,
                   "back_to_back": person.back_to_back, "tau_rec_s": person.tau_rec_s},
        "band": {"length_mm": band.length, "ogden_alpha": list(band.alpha),
                 "pre_stretch_mm": pre_base},
        "sensor_side": sensor_side,
        "faults": faults,
    }
    truth = {"sets": t_sets, "reps": t_reps, "holds": t_holds, "fidgets": t_fidgets,
             "gaps": gaps, "link_drops": drops, "metadata": meta}
    return Generated(time_s=np.asarray(time_s, dtype=np.float64),
                     force_n=np.asarray(force_n, dtype=np.float64),
                     stretch_mm=None if stretch_s is None
                     else np.asarray(stretch_s, dtype=np.float64),
                     truth=truth)
