"""A ninth, independent band-and-movement model (gen_model_i): via-point reps, an FSR and Wi-Fi.

Written WITHOUT looking at how bandsense analyses a recording and never run against the
analysis nor tuned to it. Read for it: the seed text
(``/work/shared/seeds/glute-exercises-for-lower-back-pain.txt``), ``analysis/scoring.py``,
``firmware_sim/truth.py``, the module docstrings of ``gen_model.py`` and ``gen_model_c.py``
to ``gen_model_h.py`` (to choose different modelling in every part) and the public interface
and truth layout of ``gen_model_h.py`` (mirrored here: ``GenConfig``, ``Generated``,
``generate`` and the keys of the truth dict).

- movement (motor control): every phase is a *via-point optimal trajectory* (Flash & Hogan
  1985): the minimum-jerk (quintic pieces, ends at rest in position, velocity and
  acceleration) or minimum-snap (septic pieces, also zero jerk at the ends: an even flatter
  approach) path from 0 to 1 through 0-2 *stochastic via points*. A via point sits at a
  random fraction of the phase (0.2-0.8) and deviates from the via-free optimum by a random
  amount (per person 0.02-0.1); a deviation that would slow the middle half of the phase
  below 25 % of its mean velocity is halved (*hesitant* reps deviate more and may slow to
  2 %, so the velocity dips mid-range without stopping);
  the pieces join with continuous derivatives up to order 2m-2 (the optimum's conditions),
  solved as one linear system per phase. A deviation that would make the path go backwards
  is halved until the path is monotone. The profile is exactly 0 before and 1 after the
  phase. The motion is of a hip angle; the band's elongation is a *belt around two pulleys*
  (the knees, of unequal radii, tangent lengths plus the wrap change) whose centre distance
  follows the knee on an arc out of the plane. Fatigue is the *three-compartment motor-unit
  model* (Xia & Frey Law 2008: active, fatigued, resting units; fatigue rate F and recovery
  rate R, closed form per phase and per rest; recovery 2-4x faster when fully relaxed
  between sets) per side; the fatigued share relative to the
  rep's load shrinks the range (up to 35 %), slows the concentric, shortens the pause and
  raises tremor. Sets to failure (side-lying hip external rotation) go on until the fatigue
  passes the person's failure level (at least 3 reps; a set soon after another of the same
  side has fewer reps, the units have not fully recovered), then 1-3 failed attempts
  (15-42 % of the range) end the set.
  Ordinary sets have 10 reps (sometimes miscounted 8-12) with aborted reps at
  ``partial_prob``. Rep timing: some people follow a *metronome app* (beat 0.8-1.4 s): each rep
  starts on a beat with an asynchrony following linear phase correction (Vorberg-Wing,
  ``a_{n+1} = (1 - alpha) a_n + noise`` around a negative mean asynchrony); the others rest at
  the bottom for gamma-distributed times (some back to back). Some sets keep tension between
  reps (a floor of 3-12 % of the range). During pauses >= 0.4 s the limb drifts as a smoothed
  *Brownian bridge* (pinned at both ends, tapered: zero velocity at arrival and departure).
  Tremor is *motor-unit twitch summation*: 4-8 units firing as gamma renewal processes at
  8-12 Hz (CV 0.1-0.2), each spike a critically damped twitch (T 30-60 ms), the sum high-
  passed; its amplitude follows the lift (zero at rest) and grows with fatigue. In rests
  the person breathes (a 0.2-0.33 Hz waveform of 0.1-0.6 mm), faded out near every set.
- holds (table-top reach held while blowing up a balloon): 3-9 breaths until the balloon's
  capacity is reached (each exhale adds less as they tire); *respiratory mechanics*: the
  lung volume is a first-order (R-C, tau 0.4-1 s) response to the muscle drive (inhale
  half-sines, active exhales into the balloon), the leg moves with the volume and with the
  exhale bracing, plus a Brownian-bridge drift and tremor, all tapered to zero (with zero
  velocity) at the ends of the hold.
- band: a fabric hip-circle band as a *fibre bundle*: 48 latex threads with gamma-distributed
  crimp (slack strains, mean 1.5-6 %) recruited one by one (a toe region), each a neo-Hookean
  thread in uniaxial tension (``lam - lam^-2`` of its own stretch); zero force when all are
  slack. Viscoelasticity is quasi-linear with a *stretched-exponential (Kohlrausch-Williams-
  Watts)* reduced relaxation function ``g_inf + (1 - g_inf) exp(-(t/tau)^beta)`` (tau 0.3-4 s,
  beta 0.35-0.7), a hereditary integral by FFT convolution (the kernel is cut at 120 s, the
  remainder treated as elastic). Pre-stretch depends on the posture; it changes through
  listed fidgets and, in some people, the band slides down the thigh a little during a
  lowering (0.2-1 mm).
- force sensor: a *piezo-resistive force-sensing resistor* squeezed by the band's buckle in a
  voltage divider: conductance ``~ F^n`` (n 0.8-1.25) with a turn-on threshold (0.2-0.8 N),
  conductance *creep* under load (two first-order memories, tau 3-10 s and 1-5 min),
  hysteresis (unloading reads higher, against a decaying peak of the load) and a temperature
  coefficient (the pad warms against the skin); a 12-bit ESP32-style SAR ADC with its dead
  band near 0 V, a gain error, a bowed INL, noise averaged over 1-16 conversions; in 40 % of
  devices the supply sags during each Wi-Fi transmission (the sample read then is low).
  Glitches: failed ADC reads (full scale or zero) and contact bounce (the pad briefly loses
  contact: 1-3 samples read 20-80 % low). The firmware inverts an ideal divider and a power
  law calibrated with a few % error; the output is clipped to 0-300 N in 0.01 N.
- stretch (about half the recordings): a thigh *IMU* (gyro + accelerometer complementary
  filter, tau 0.5-3 s) calibrated at power-on: it follows the limb, not the band (pre-stretch
  changes are invisible), with gyro bias (a constant and a random walk: a slow error of bias
  x tau), accelerometer errors under acceleration, a posture-dependent gravity reference
  offset, a gain error, noise and 0.1 mm steps.
- link and time axis: an ESP32 samples on a timer (crystal error +-40 ppm); the task's
  scheduling delays each acquisition (exponential 0.1-0.8 ms, now and then blocked 2-12 ms by
  the Wi-Fi stack) and stamps it with its microsecond clock, so stamps are irregular. Samples
  go in UDP datagrams (40-120 ms each); datagrams have a heavy-tailed latency, are reordered
  and sometimes duplicated by the network; the host keeps a jitter buffer (150-500 ms),
  re-sorts by sequence number, merges duplicates and drops datagrams that are lost or later
  than the buffer (random losses plus interference episodes of 0.3-3 s with heavy loss and
  delay). Wi-Fi disconnects (1-8 s) lose all samples except the last 0.25-1.5 s kept in the
  device's ring buffer. The host maps the device clock to its own with an NTP-like slewed
  estimate (skew residual a few ppm, a piecewise-linear error of a few ms, continuous), and
  the axis starts at an offset (0, an uptime or an epoch).
- session: 2-4 of the seed exercises in random order (the hold exercise in about 60 %),
  either as *straight sets* (all sets of an exercise; side-lying blocked by side, the others
  alternating or blocked) or as a *circuit* (2-3 rounds, each exercise once a side per round).
  Rests follow an interval timer (20/30/45/60 s plus a gamma lag) or are self-paced
  (log-normal, with occasional long phone breaks), longer when changing exercise or turning
  over, at least 13 s. Fidgets in rests (never within 1.5 s of a set): ``clothing`` (pulling
  the shorts under the band: small pulls, a new pre-stretch), ``bottle`` (reaching for a
  drink: a slow excursion held a few seconds), ``massage`` (rubbing the glute: 1-2.5 Hz
  jiggle), ``unhook`` (the band slips off a knee: slack, then stretched back on to a new
  pre-stretch), ``cramp`` (an involuntary quick opening to 25-60 % of the range, shaking,
  slow release) and ``rollover`` (turning over / changing posture: irregular pulls, the new
  posture's pre-stretch); plus breathing in all rests.

Truth conventions (times on the recording's own axis: ``metadata["time_offset_s"]`` plus the
host's mapping of the device clock at the physical instant; recorded stamps are that mapping
at each acquisition instant, to the microsecond): a rep's ``start_s`` is the onset of movement
(the concentric path leaves its floor), ``top_start_s`` the arrival at the top (the path
reaches 1: velocity zero), ``top_end_s`` the departure (the eccentric path leaves the top),
``end_s`` back at rest (the eccentric path reaches its floor). Reps turning without a pause
have ``top_start_s == top_end_s``. ``range_mm`` is the elongation at ``top_start_s`` minus
that at ``start_s`` (without tremor); ``floor_start_mm``/``floor_end_mm`` the elongation above
the pre-stretch at start and end. Partial reps (range under half the median range of the
full reps of their set) are in ``reps`` with ``partial`` True and not counted in
``rep_count``. Hold sets have ``kind`` "hold", ``rep_count`` 0 and their hold only in
``holds`` (``duration_s = top_end_s - top_start_s``, at least 8 s). Sets are >= 12 s apart;
reps of a set < 3 s apart. Fidgets have ``kind``, ``start_s``, ``end_s`` and
``amplitude_mm``. Gaps list the first and last *missing* sample stamps and their number;
``link_drops`` the disconnects (at, duration).

``GenConfig.extra``: ``clean`` (ideal sensor and link: exact uniform stamps at the configured
rate from the physical time, the exact band force and elongation (negative when slack), no
jitter, losses, sensor errors, noise or glitches), ``still`` (no tremor, top drift, breathing
effect or rest breathing), ``ideal_band`` (the fibre bundle only, no viscoelasticity),
``no_fidgets``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import lfilter, oaconvolve

FS = 400.0  # internal grid of the physics (Hz)
DT = 1.0 / FS
KERNEL_S = 120.0  # length of the relaxation kernel


@dataclass(frozen=True)
class _Exercise:
    name: str
    kind: str  # "reps" or "hold"
    posture: str  # "side", "supine", "quad"
    range_mm: tuple[float, float]
    conc_s: tuple[float, float]
    pause_s: tuple[float, float]
    turn_p: tuple[float, float]  # share of reps turning at the top without a pause
    ecc_s: tuple[float, float]
    rest_s: tuple[float, float]  # mean rest at the bottom between reps
    reps: int
    failure: bool
    load: float  # share of the maximal voluntary contraction


EXERCISES: dict[str, _Exercise] = {
    "sidelying_hip_er": _Exercise(
        "sidelying_hip_er", "reps", "side", (90.0, 220.0), (0.5, 1.1), (0.1, 0.5),
        (0.35, 0.85), (0.7, 1.5), (0.2, 0.9), 0, True, 0.42),
    "single_leg_bridge": _Exercise(
        "single_leg_bridge", "reps", "supine", (35.0, 100.0), (0.8, 1.5), (0.6, 2.0),
        (0.0, 0.0), (1.1, 2.3), (0.4, 1.6), 10, False, 0.28),
    "table_top_reach": _Exercise(
        "table_top_reach", "hold", "quad", (60.0, 170.0), (1.2, 2.4), (0.0, 0.0),
        (0.0, 0.0), (1.0, 2.0), (0.0, 0.0), 0, False, 0.12),
    "table_top_hip_er": _Exercise(
        "table_top_hip_er", "reps", "quad", (80.0, 190.0), (0.6, 1.3), (0.3, 1.0),
        (0.0, 0.1), (0.8, 1.7), (0.2, 1.0), 10, False, 0.30),
}

FIDGET_KINDS = ("clothing", "bottle", "massage", "unhook", "cramp", "rollover")
POSTURES = ("lie_left", "lie_right", "supine", "quad")


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 60 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    loss_scale: float = 1.0  # multiplies the random datagram loss
    interference_per_min: float = 0.3  # Wi-Fi interference episodes (bursty loss and delay)
    link_drops_per_hour: float = 4.0  # Wi-Fi disconnects
    glitches_per_min: float = 0.3  # failed ADC reads (full scale or zero)
    bounces_per_min: float = 0.6  # FSR contact bounce (1-3 samples read low)
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


def _smooth(u: np.ndarray) -> np.ndarray:
    """Septic smoothstep 0 -> 1 (zero velocity, acceleration and jerk at both ends)."""
    x = np.clip(u, 0.0, 1.0)
    out: np.ndarray = x ** 4 * (35.0 - 84.0 * x + 70.0 * x ** 2 - 20.0 * x ** 3)
    return out


def _hump(u: np.ndarray) -> np.ndarray:
    """0 -> 1 -> 0 on [0, 1] with zero velocity at the ends and the peak."""
    x = np.clip(u, 0.0, 1.0)
    out: np.ndarray = (4.0 * x * (1.0 - x)) ** 3
    return out


def _taper(tau: np.ndarray, dur: float, ramp: float) -> np.ndarray:
    r = max(min(ramp, 0.45 * dur), 1e-3)
    return _smooth(tau / r) * _smooth((dur - tau) / r)


def _rows(x: float, deg: int, d: int) -> np.ndarray:
    """d-th derivative of the monomials u^0 .. u^deg at x."""
    out = np.zeros(deg + 1)
    for i in range(d, deg + 1):
        out[i] = math.perm(i, d) * x ** (i - d)
    return out


class _ViaPath:
    """Minimum-jerk (m=3) or minimum-snap (m=4) path 0 -> 1 through via points."""

    def __init__(self, m: int, vias: list[tuple[float, float]]) -> None:
        deg = 2 * m - 1
        npc = 2 * m
        p = len(vias) + 1
        a = np.zeros((npc * p, npc * p))
        b = np.zeros(npc * p)
        r = 0
        for d in range(m):
            a[r, :npc] = _rows(0.0, deg, d)
            r += 1
        for d in range(m):
            a[r, (p - 1) * npc:] = _rows(1.0, deg, d)
            b[r] = 1.0 if d == 0 else 0.0
            r += 1
        for k, (u, y) in enumerate(vias):
            a[r, k * npc:(k + 1) * npc] = _rows(u, deg, 0)
            b[r] = y
            r += 1
            a[r, (k + 1) * npc:(k + 2) * npc] = _rows(u, deg, 0)
            b[r] = y
            r += 1
            for d in range(1, 2 * m - 1):
                a[r, k * npc:(k + 1) * npc] = _rows(u, deg, d)
                a[r, (k + 1) * npc:(k + 2) * npc] = -_rows(u, deg, d)
                r += 1
        self.coef = np.linalg.solve(a, b).reshape(p, npc)
        self.breaks = np.array([u for u, _ in vias])
        self.m = m

    def __call__(self, u: np.ndarray) -> np.ndarray:
        x = np.clip(u, 0.0, 1.0)
        piece = np.searchsorted(self.breaks, x, side="right")
        out = np.zeros_like(x)
        for k in range(len(self.coef)):
            sel = piece == k
            if np.any(sel):
                out[sel] = np.polynomial.polynomial.polyval(x[sel], self.coef[k])
        out = np.clip(out, 0.0, 1.0)
        out[u >= 1.0] = 1.0
        out[u <= 0.0] = 0.0
        return out

    def velocity(self, u: np.ndarray) -> np.ndarray:
        piece = np.searchsorted(self.breaks, u, side="right")
        out = np.zeros_like(u)
        for k in range(len(self.coef)):
            sel = piece == k
            dc = np.polynomial.polynomial.polyder(self.coef[k])
            out[sel] = np.polynomial.polynomial.polyval(u[sel], dc)
        return out


_UCHK = np.linspace(0.0, 1.0, 401)


def _natural(m: int, u: float) -> float:
    return float(_ViaPath(m, [])(np.array([u]))[0])


def _via_path(rng: np.random.Generator, m: int, n_via: int, sd: float,
              min_v: float = 0.0) -> _ViaPath:
    """A via-point path with random via points; deviations are halved until the velocity
    stays >= ``min_v`` (x the mean velocity) inside the phase."""
    if n_via == 0:
        return _ViaPath(m, [])
    us = np.sort(rng.uniform(0.2, 0.8, n_via))
    if n_via == 2 and us[1] - us[0] < 0.15:
        us = np.array([us[0], min(us[0] + 0.15, 0.85)])
    dev = rng.normal(0.0, sd, n_via)
    for _ in range(8):
        vias = [(float(u), _natural(m, float(u)) + float(d)) for u, d in zip(us, dev,
                                                                           strict=True)]
        path = _ViaPath(m, vias)
        v = path.velocity(_UCHK)
        if float(np.min(v)) >= 0.0 and float(np.min(v[100:301])) >= min_v:
            return path
        dev = dev * 0.5
    return _ViaPath(m, [])


# ------------------------------------------------------------------------ person


@dataclass
class _ExPerson:
    conc: float
    pause: float
    ecc: float
    turn_p: float
    rest_mean: float
    range_mm: float


@dataclass
class _Person:
    tempo: float
    snap_p_conc: float
    snap_p_ecc: float
    via_p: tuple[float, float, float]
    via_sd: float
    hesitate_p: float
    metronome_s: float | None
    async_alpha: float
    async_sd: float
    async_mean: float
    rest_shape: float
    back_to_back: bool
    timer_s: float | None
    free_rest_s: float
    phone_p: float
    fidget_per_min: float
    tremor_mm: float
    drift_mm: float
    f_rate: float
    r_rate: float
    fail_level: float
    slide_p: float
    miscount_p: float
    tension_p: float
    breath_hz: float
    rest_breath_mm: float
    ex: dict[str, _ExPerson] = field(default_factory=dict)


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _person(rng: np.random.Generator, still: bool) -> _Person:
    metro = bool(rng.random() < 0.35)
    timer = bool(rng.random() < 0.45)
    vp = rng.dirichlet([3.0, 3.0, 1.5])
    p = _Person(
        tempo=float(rng.uniform(0.8, 1.3)), snap_p_conc=float(rng.uniform(0.2, 0.8)),
        snap_p_ecc=float(rng.uniform(0.2, 0.8)),
        via_p=(float(vp[0]), float(vp[1]), float(vp[2])), via_sd=float(rng.uniform(0.02, 0.1)),
        hesitate_p=float(rng.uniform(0.0, 0.12)),
        metronome_s=float(rng.uniform(0.8, 1.4)) if metro else None,
        async_alpha=float(rng.uniform(0.3, 0.7)), async_sd=float(rng.uniform(0.015, 0.05)),
        async_mean=float(rng.uniform(-0.08, -0.01)), rest_shape=float(rng.uniform(2.0, 5.0)),
        back_to_back=bool(rng.random() < 0.2),
        timer_s=float(rng.choice([20.0, 30.0, 45.0, 60.0])) if timer else None,
        free_rest_s=float(rng.uniform(20.0, 50.0)), phone_p=float(rng.uniform(0.0, 0.12)),
        fidget_per_min=float(rng.uniform(0.8, 2.5)),
        tremor_mm=0.0 if still else float(rng.uniform(0.15, 0.6)),
        drift_mm=0.0 if still else float(rng.uniform(0.2, 1.0)),
        f_rate=0.0, r_rate=float(rng.uniform(0.008, 0.016)),
        fail_level=float(rng.uniform(0.8, 0.95)), slide_p=float(rng.uniform(0.0, 0.3)),
        miscount_p=float(rng.uniform(0.0, 0.15)), tension_p=float(rng.uniform(0.0, 0.4)),
        breath_hz=float(rng.uniform(0.2, 0.33)),
        rest_breath_mm=0.0 if still else float(rng.uniform(0.1, 0.6)),
    )
    for name, ex in EXERCISES.items():
        p.ex[name] = _ExPerson(
            conc=_u(rng, ex.conc_s) * p.tempo, pause=_u(rng, ex.pause_s) * p.tempo,
            ecc=_u(rng, ex.ecc_s) * p.tempo, turn_p=_u(rng, ex.turn_p),
            rest_mean=_u(rng, ex.rest_s), range_mm=_u(rng, ex.range_mm))
    # fatigue rate F calibrated so that a fresh side-lying set fails after n0 reps
    er = p.ex["sidelying_hip_er"]
    load = EXERCISES["sidelying_hip_er"].load
    n0 = float(rng.uniform(10.0, 18.0))
    t_star = n0 * (er.conc + er.pause * 0.4 + er.ecc)
    m_star = (1.0 - load) * p.fail_level
    p.f_rate = m_star * p.r_rate / (load * (1.0 - math.exp(-p.r_rate * t_star)))
    return p


@dataclass
class _Fatigue:
    """Three-compartment model: ``MF' = F L - R MF`` while working at load L (per side)."""

    f_rate: float
    r_rate: float
    rest_boost: float  # recovery is faster when fully relaxed (between sets)
    mf: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})

    def run(self, side: str, load: float, dur: float, rest: bool = False) -> None:
        r = self.r_rate * (self.rest_boost if rest else 1.0)
        ss = self.f_rate * load / r
        self.mf[side] = min(ss + (self.mf[side] - ss) * math.exp(-r * dur), 1.0)

    def level(self, side: str, load: float) -> float:
        return float(np.clip(self.mf[side] / (1.0 - load), 0.0, 1.0))


# ------------------------------------------------------------------------ geometry


@dataclass
class _Geom:
    d0: float
    lever: float
    th_max: float
    dr: float
    lift: float

    def _belt(self, d: np.ndarray) -> np.ndarray:
        out: np.ndarray = (2.0 * np.sqrt(d ** 2 - self.dr ** 2)
                           + 2.0 * self.dr * np.arcsin(self.dr / d))
        return out

    def x(self, q: np.ndarray | float) -> np.ndarray:
        th = self.th_max * np.asarray(q, dtype=np.float64)
        d = np.sqrt((self.d0 + self.lever * np.sin(th)) ** 2
                    + (self.lift * self.lever * (1.0 - np.cos(th))) ** 2)
        out: np.ndarray = self._belt(d) - self._belt(np.array(self.d0))
        return out

    def xs(self, q: float) -> float:
        return float(self.x(q))


def _geom(rng: np.random.Generator, range_mm: float) -> _Geom:
    g = _Geom(d0=float(rng.uniform(70.0, 180.0)), lever=1.0,
              th_max=float(rng.uniform(0.5, 1.0)), dr=float(rng.uniform(-15.0, 15.0)),
              lift=float(rng.uniform(0.0, 0.6)))
    lo, hi = 1.0, 2000.0
    for _ in range(50):
        g.lever = 0.5 * (lo + hi)
        if g.xs(1.0) > range_mm:
            hi = g.lever
        else:
            lo = g.lever
    return g


# ------------------------------------------------------------------------ timeline

Top = Callable[[np.ndarray], np.ndarray]


@dataclass
class _Rep:
    t0: float
    t1: float
    t2: float
    t3: float
    q0: float
    qtop: float
    q1: float
    conc: _ViaPath
    ecc: _ViaPath
    partial: bool
    fatigue: float
    top: Top | None = None
    slide_mm: float = 0.0


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


def _path_name(p: _ViaPath) -> str:
    return f"{'minjerk' if p.m == 3 else 'minsnap'}_via{len(p.breaks)}"


def _phase_path(rng: np.random.Generator, person: _Person, conc: bool,
                hesitant: bool) -> _ViaPath:
    m = 4 if rng.random() < (person.snap_p_conc if conc else person.snap_p_ecc) else 3
    n_via = int(rng.choice(3, p=person.via_p))
    sd, min_v = person.via_sd, 0.25
    if hesitant:
        n_via, sd, min_v = max(n_via, 1), 3.0 * sd + 0.08, 0.02
    return _via_path(rng, m, n_via, sd, min_v)


def _drift_top(rng: np.random.Generator, dur: float, amp: float) -> Top:
    """A smoothed Brownian bridge, pinned and tapered at both ends."""
    n = max(int(dur / 0.1), 3)
    w = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, 1.0, n))])
    w = w - np.linspace(0.0, 1.0, n + 1) * w[-1]
    w = w * amp / max(float(np.std(w)), 1e-9)
    spl = CubicSpline(np.linspace(0.0, dur, n + 1), w)

    def top(tau: np.ndarray) -> np.ndarray:
        out: np.ndarray = spl(tau) * _taper(tau, dur, 0.3)
        return out

    return top


def _breath_top(rng: np.random.Generator, dur: float, lead: float,
                breaths: list[tuple[float, float]], k_v: float, k_b: float,
                drift: Top | None) -> Top:
    """Leg movement from the lung volume (R-C response to the drive) and exhale bracing."""
    tau_rc = float(rng.uniform(0.4, 1.0))
    edges = [lead]
    for ti, te in breaths:
        edges += [edges[-1] + ti, edges[-1] + ti + te]
    e_arr = np.array(edges)

    def top(tau: np.ndarray) -> np.ndarray:
        drive = np.zeros_like(tau)
        brace = np.zeros_like(tau)
        for k, (ti, te) in enumerate(breaths):
            a, b, c = e_arr[2 * k], e_arr[2 * k + 1], e_arr[2 * k + 2]
            m_i = (tau >= a) & (tau < b)
            drive[m_i] = np.sin(np.pi * (tau[m_i] - a) / ti)
            m_e = (tau >= b) & (tau < c)
            drive[m_e] = -0.6 * _hump((tau[m_e] - b) / te) ** 0.3
            brace[m_e] = _hump((tau[m_e] - b) / te) ** 0.5
        step = float(tau[1] - tau[0]) if len(tau) > 1 else DT
        al = math.exp(-step / tau_rc)
        vol = lfilter([1.0 - al], [1.0, -al], drive)
        out: np.ndarray = (k_v * vol + k_b * brace) * _taper(tau, dur, 0.8)
        if drift is not None:
            out = out + drift(tau)
        return out

    return top


def _run_reps(rng: np.random.Generator, person: _Person, ex: _Exercise, st: _Set, t: float,
              fat: _Fatigue, partial_prob: float, still: bool) -> None:
    ep = person.ex[ex.name]
    n_target = ex.reps
    if not ex.failure and rng.random() < person.miscount_p:
        n_target += int(rng.choice([-2, -1, 1, 2]))
    floor = float(rng.uniform(0.03, 0.12)) if rng.random() < person.tension_p else 0.0
    q = 0.0
    asyn = person.async_mean
    beat0 = t
    full = 0
    while True:
        f = fat.level(st.side, ex.load)
        if ex.failure:
            if (full >= 3 and f >= person.fail_level) or full >= 28:
                break
        elif full >= n_target:
            break
        fe = f if ex.failure else min(f, 0.75)
        partial = (not ex.failure and full > 0 and rng.random() < partial_prob)
        hes = rng.random() < person.hesitate_p
        amp = (1.0 - 0.35 * fe ** 2) * float(rng.lognormal(0.0, 0.04))
        conc = ep.conc * (1.0 + 0.8 * fe ** 2) * float(rng.lognormal(0.0, 0.1))
        ecc = ep.ecc * (1.0 - 0.15 * fe) * float(rng.lognormal(0.0, 0.1))
        turn = rng.random() < ep.turn_p
        pause = 0.0 if turn else ep.pause * (1.0 - 0.4 * fe) * float(rng.lognormal(0.0, 0.2))
        if partial:
            amp *= float(rng.uniform(0.15, 0.4))
            conc *= float(rng.uniform(0.5, 0.8))
            ecc *= float(rng.uniform(0.6, 0.9))
            pause = 0.0
        conc, ecc = max(conc, 0.3), max(ecc, 0.3)
        r = _Rep(t0=t, t1=t + conc, t2=t + conc + pause, t3=t + conc + pause + ecc,
                 q0=q, qtop=q + amp * (1.0 - q), q1=floor,
                 conc=_phase_path(rng, person, True, hes),
                 ecc=_phase_path(rng, person, False, False), partial=partial, fatigue=fe)
        r.qtop = max(r.qtop, q + 0.05)
        if pause >= 0.4 and not still:
            r.top = _drift_top(rng, pause, person.drift_mm * float(rng.uniform(0.5, 1.5)))
        if rng.random() < person.slide_p:
            r.slide_mm = float(rng.uniform(0.2, 1.0))
        st.reps.append(r)
        full += int(not partial)
        q = floor
        fat.run(st.side, ex.load, conc + ecc + pause)
        rest = _bottom_rest(rng, person, ep.rest_mean * (1.0 + 0.8 * fe))
        if person.metronome_s is not None:
            beat = person.metronome_s
            asyn = ((1.0 - person.async_alpha) * asyn + person.async_alpha * person.async_mean
                    + float(rng.normal(0.0, person.async_sd)))
            k = math.ceil((r.t3 + 0.05 - beat0 - asyn) / beat)
            t = beat0 + k * beat + asyn
            if t - r.t3 < 0.05:
                t += beat
        else:
            t = r.t3 + rest
        fat.run(st.side, 0.05, t - r.t3)
    if ex.failure:  # failed attempts end the set
        ref = float(np.median([x.qtop - x.q0 for x in st.reps if not x.partial]))
        fracs = np.sort(rng.uniform(0.15, 0.42, int(rng.integers(1, 4))))[::-1]
        for fr in fracs:
            conc = ep.conc * float(rng.uniform(1.2, 2.0))
            ecc = ep.ecc * float(rng.uniform(0.5, 0.9))
            r = _Rep(t0=t, t1=t + conc, t2=t + conc, t3=t + conc + ecc, q0=q,
                     qtop=q + float(fr) * ref, q1=floor,
                     conc=_phase_path(rng, person, True, True),
                     ecc=_phase_path(rng, person, False, False), partial=True, fatigue=1.0)
            st.reps.append(r)
            q = floor
            fat.run(st.side, ex.load, conc + ecc)
            t = r.t3 + float(rng.uniform(0.3, 1.5))
    st.reps[-1].q1 = 0.0


def _bottom_rest(rng: np.random.Generator, person: _Person, mean: float) -> float:
    if person.back_to_back and rng.random() < 0.6:
        return 0.0
    k = person.rest_shape
    return float(min(rng.gamma(k, mean / k), 2.8))


def _run_hold(rng: np.random.Generator, person: _Person, ex: _Exercise, st: _Set, t: float,
              fat: _Fatigue, still: bool) -> None:
    ep = person.ex[ex.name]
    f = fat.level(st.side, ex.load)
    cap = float(rng.uniform(2.5, 5.0))
    breaths: list[tuple[float, float]] = []
    filled = 0.0
    while (filled < cap or len(breaths) < 3) and len(breaths) < 9:
        filled += float(rng.uniform(0.5, 1.0)) * (1.0 - 0.3 * f) * (1.0 - 0.04 * len(breaths))
        breaths.append((float(rng.uniform(1.0, 2.2)), float(rng.uniform(2.5, 5.5))))
    lead = float(rng.uniform(0.5, 1.5))
    tail = float(rng.uniform(0.3, 1.2))
    hold = lead + sum(a + b for a, b in breaths) + tail
    conc = ep.conc * float(rng.lognormal(0.0, 0.1))
    ecc = ep.ecc * float(rng.lognormal(0.0, 0.1))
    r = _Rep(t0=t, t1=t + conc, t2=t + conc + hold, t3=t + conc + hold + ecc, q0=0.0,
             qtop=float(rng.uniform(0.95, 1.05)), q1=0.0,
             conc=_phase_path(rng, person, True, False),
             ecc=_phase_path(rng, person, False, False), partial=False, fatigue=f)
    if not still:
        sign = float(rng.choice([-1.0, 1.0]))
        r.top = _breath_top(rng, hold, lead, breaths, float(rng.uniform(0.5, 2.0)),
                            sign * float(rng.uniform(0.5, 3.0)),
                            _drift_top(rng, hold, person.drift_mm * 1.5))
    st.reps.append(r)
    fat.run(st.side, ex.load, conc + hold + ecc)


# ------------------------------------------------------------------------ session


def _choose_exercises(rng: np.random.Generator, cfg: GenConfig) -> list[str]:
    n = cfg.exercises if cfg.exercises is not None else int(rng.choice([2, 3, 3, 4]))
    hold = cfg.hold_exercise if cfg.hold_exercise is not None else bool(rng.random() < 0.6)
    others = ["sidelying_hip_er", "single_leg_bridge", "table_top_hip_er"]
    chosen = [str(x) for x in rng.choice(others, size=min(max(n - int(hold), 0), 3),
                                         replace=False)]
    if hold:
        chosen.append("table_top_reach")
    if not chosen:
        chosen = ["single_leg_bridge"]
    order = [chosen[i] for i in rng.permutation(len(chosen))]
    return order


def _plan(rng: np.random.Generator, exercises: list[str]) -> tuple[str, list[tuple[str, str]]]:
    n = len(exercises)
    sides = {name: str(rng.choice(["left", "right"])) for name in exercises}

    def other(s: str) -> str:
        return "right" if s == "left" else "left"

    plan: list[tuple[str, str]] = []
    if rng.random() < 0.45:
        rounds = {1: 3, 2: 3, 3: 2, 4: 2}[min(max(n, 1), 4)]
        for _ in range(rounds):
            for name in exercises:
                plan += [(name, sides[name]), (name, other(sides[name]))]
        return "circuit", plan
    per_side = {1: [2, 3], 2: [2, 3], 3: [2, 2, 3], 4: [1, 2, 2]}[min(max(n, 1), 4)]
    for name in exercises:
        k = int(rng.choice(per_side))
        s = sides[name]
        blocked = name == "sidelying_hip_er" or (name == "table_top_hip_er"
                                                 and rng.random() < 0.5)
        seq = [s] * k + [other(s)] * k if blocked else [s, other(s)] * k
        plan += [(name, x) for x in seq]
    return "straight", plan


def _posture_of(name: str, side: str) -> str:
    p = EXERCISES[name].posture
    if p == "side":  # lying on the other side, the working leg on top
        return "lie_right" if side == "left" else "lie_left"
    return p


def _rest(rng: np.random.Generator, person: _Person, prev: tuple[str, str],
          nxt: tuple[str, str]) -> float:
    if person.timer_s is not None:
        r = person.timer_s + float(rng.gamma(2.0, 1.5))
    else:
        r = person.free_rest_s * float(rng.lognormal(0.0, 0.35))
    if rng.random() < person.phone_p:
        r += float(rng.uniform(40.0, 120.0))
    if prev[0] != nxt[0]:
        r += float(rng.uniform(15.0, 45.0))
    elif prev[1] != nxt[1] and EXERCISES[prev[0]].posture != "side":
        r *= float(rng.uniform(0.5, 0.9))
    if _posture_of(*prev) != _posture_of(*nxt):
        r += float(rng.uniform(6.0, 15.0))
    return float(np.clip(r, 13.0, 200.0))


# ------------------------------------------------------------------------ band


@dataclass
class _Band:
    length: float
    slack: np.ndarray
    k: float
    g_inf: float
    tau: float
    beta: float
    _grid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _table: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def _bundle(self, eps: np.ndarray) -> np.ndarray:
        lam = (1.0 + eps[:, None]) / (1.0 + self.slack[None, :])
        th = np.where(lam > 1.0, lam - lam ** -2.0, 0.0)
        out: np.ndarray = self.k * np.sum(th, axis=1)
        return out

    def elastic(self, e: np.ndarray) -> np.ndarray:
        if len(self._grid) == 0:
            self._grid = np.linspace(0.0, 1.5, 3001)
            self._table = self._bundle(self._grid)
        eps = np.asarray(e, dtype=np.float64) / self.length
        out: np.ndarray = np.where(eps > 0.0, np.interp(eps, self._grid, self._table), 0.0)
        return out


def _band(rng: np.random.Generator) -> _Band:
    mean = float(rng.uniform(0.015, 0.06))
    shape = float(rng.uniform(2.0, 4.0))
    slack = np.sort(rng.gamma(shape, mean / shape, 48))
    b = _Band(length=float(rng.uniform(550.0, 750.0)), slack=slack, k=1.0,
              g_inf=float(rng.uniform(0.75, 0.9)), tau=float(rng.uniform(0.3, 4.0)),
              beta=float(rng.uniform(0.35, 0.7)))
    f35 = float(rng.uniform(20.0, 70.0))
    b.k = f35 / float(b._bundle(np.array([0.35]))[0])
    return b


def _kww(band: _Band, fe: np.ndarray) -> np.ndarray:
    """QLV hereditary integral with a stretched-exponential reduced relaxation function."""
    tk = np.arange(int(KERNEL_S * FS)) * DT
    phi = np.exp(-((tk / band.tau) ** band.beta))
    phi = (phi - phi[-1]) / (1.0 - phi[-1])
    dfe = np.diff(fe, prepend=fe[0])
    visc = oaconvolve(dfe, phi)[:len(fe)]
    out: np.ndarray = band.g_inf * fe + (1.0 - band.g_inf) * visc
    return out


# ------------------------------------------------------------------------ fidgets


@dataclass
class _Fidget:
    kind: str
    t0: float
    t1: float
    amplitude_mm: float
    parts: list[tuple[float, float, Top]] = field(default_factory=list)  # x contributions
    pre: list[tuple[float, float, float | None, float]] = field(default_factory=list)
    # pre changes: (start, duration, absolute target or None, delta)


def _hump_of(a: float) -> Top:
    def f(u: np.ndarray) -> np.ndarray:
        out: np.ndarray = a * _hump(u)
        return out

    return f


def _fidget(rng: np.random.Generator, kind: str, t0: float, r_mm: float,
            new_pre: float | None) -> _Fidget:
    fd = _Fidget(kind=kind, t0=t0, t1=t0, amplitude_mm=0.0)
    if kind == "clothing":
        t = t0
        amp = 0.0
        for _ in range(int(rng.integers(1, 3))):
            d = float(rng.uniform(0.3, 0.6))
            a = float(rng.uniform(2.0, 8.0))
            fd.parts.append((t, d, _hump_of(a)))
            amp = max(amp, a)
            t += d + float(rng.uniform(0.2, 0.8))
        fd.pre.append((t0 + 0.2, t - t0, None, float(rng.normal(0.0, 2.0))))
        fd.t1, fd.amplitude_mm = t + 0.3, amp
    elif kind == "bottle":
        up, hold, down = (float(rng.uniform(1.0, 2.0)), float(rng.uniform(2.0, 6.0)),
                          float(rng.uniform(1.0, 2.0)))
        a = float(rng.choice([-1.0, 1.0])) * r_mm * float(rng.uniform(0.1, 0.4))
        dur = up + hold + down

        def shape(u: np.ndarray, a: float = a, up: float = up, hold: float = hold,
                  down: float = down, dur: float = dur) -> np.ndarray:
            tau = u * dur
            out: np.ndarray = a * _smooth(tau / up) * _smooth((dur - tau) / down)
            return out

        fd.parts.append((t0, dur, shape))
        fd.t1, fd.amplitude_mm = t0 + dur, abs(a)
    elif kind == "massage":
        dur = float(rng.uniform(3.0, 8.0))
        hz = float(rng.uniform(1.0, 2.5))
        a = float(rng.uniform(1.0, 4.0))

        def massage_shape(u: np.ndarray, a: float = a, hz: float = hz,
                          dur: float = dur) -> np.ndarray:
            out: np.ndarray = a * np.sin(2 * np.pi * hz * u * dur) * _taper(u * dur, dur, 0.6)
            return out

        fd.parts.append((t0, dur, massage_shape))
        fd.t1, fd.amplitude_mm = t0 + dur, a
    elif kind == "unhook":
        off = float(rng.uniform(0.3, 0.6))
        gone = float(rng.uniform(1.0, 4.0))
        on = float(rng.uniform(0.6, 1.0))
        depth = float(rng.uniform(10.0, 30.0))
        pull = float(rng.uniform(20.0, 50.0))
        fd.pre.append((t0, off, -depth, 0.0))
        fd.pre.append((t0 + off + gone, on, new_pre, 0.0))
        fd.parts.append((t0 + off + gone - 0.2, on + 0.4,
                         _hump_of(pull)))
        fd.t1, fd.amplitude_mm = t0 + off + gone + on + 0.3, pull
    elif kind == "cramp":
        up, hold, down = (float(rng.uniform(0.25, 0.5)), float(rng.uniform(0.8, 3.0)),
                          float(rng.uniform(0.8, 2.0)))
        a = r_mm * float(rng.uniform(0.25, 0.6))
        hz = float(rng.uniform(4.0, 7.0))
        sh = float(rng.uniform(1.0, 3.0))
        dur = up + hold + down

        def cramp_shape(u: np.ndarray, a: float = a, up: float = up, hold: float = hold,
                  down: float = down, dur: float = dur, hz: float = hz,
                  sh: float = sh) -> np.ndarray:
            tau = u * dur
            env = _smooth(tau / up) * _smooth((dur - tau) / down)
            shake = sh * np.sin(2 * np.pi * hz * tau) * _hump((tau - up) / hold)
            out: np.ndarray = a * env + shake * (tau > up) * (tau < up + hold)
            return out

        fd.parts.append((t0, dur, cramp_shape))
        fd.t1, fd.amplitude_mm = t0 + dur, a
    else:  # rollover
        t = t0
        amp = 0.0
        for _ in range(int(rng.integers(2, 5))):
            d = float(rng.uniform(0.5, 1.5))
            a = float(rng.choice([-0.6, 1.0])) * float(rng.uniform(10.0, 60.0))
            fd.parts.append((t, d, _hump_of(a)))
            amp = max(amp, abs(a))
            t += d * float(rng.uniform(0.6, 1.1))
        fd.pre.append((t0 + 0.3, max(t - t0 - 0.3, 0.5), new_pre, 0.0))
        fd.t1, fd.amplitude_mm = max(t, t0 + 0.8) + 0.3, amp
    return fd


def _add_smooth_step(arr: np.ndarray, t0: float, dur: float, delta: float) -> None:
    i0 = max(math.ceil(t0 * FS), 0)
    i1 = min(math.ceil((t0 + dur) * FS), len(arr))
    if i0 >= len(arr):
        return
    tt = np.arange(i0, i1) * DT
    arr[i0:i1] += delta * _smooth((tt - t0) / dur)
    arr[i1:] += delta


def _add_part(arr: np.ndarray, t0: float, dur: float, f: Top) -> None:
    i0 = max(math.ceil(t0 * FS), 0)
    i1 = min(math.ceil((t0 + dur) * FS), len(arr))
    if i1 > i0:
        arr[i0:i1] += f((np.arange(i0, i1) * DT - t0) / dur)


# ------------------------------------------------------------------------ tremor


def _twitch_tremor(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-RMS fluctuation of the summed twitches of a few motor units."""
    total = n * DT
    spikes = np.zeros(n)
    mu_hz = float(rng.uniform(8.0, 12.0))
    for _ in range(int(rng.integers(4, 9))):
        rate = mu_hz * float(rng.uniform(0.9, 1.1))
        cv = float(rng.uniform(0.1, 0.2))
        k = 1.0 / cv ** 2
        isi = rng.gamma(k, 1.0 / (rate * k), int(total * rate * 1.3) + 10)
        ts = float(rng.uniform(0.0, 1.0 / rate)) + np.cumsum(isi)
        idx = np.round(ts[ts < total - DT] * FS).astype(np.int64)
        spikes += np.bincount(idx, minlength=n)[:n] * float(rng.uniform(0.6, 1.4))
    tw = float(rng.uniform(0.03, 0.06))
    tk = np.arange(int(6 * tw * FS)) * DT
    kern = (tk / tw) * np.exp(1.0 - tk / tw)
    force = oaconvolve(spikes, kern)[:n]
    w = int(0.25 * FS)
    c = np.cumsum(np.concatenate([[0.0], force]))
    lo = np.clip(np.arange(n) - w, 0, n)
    hi = np.clip(np.arange(n) + w + 1, 0, n)
    hp = force - (c[hi] - c[lo]) / (hi - lo)
    out: np.ndarray = hp / max(float(np.std(hp)), 1e-12)
    return out


# ------------------------------------------------------------------------ sensor


def _decaying_peak(f: np.ndarray, tau: float) -> np.ndarray:
    """``max_s f(s) exp(-(t - s) / tau)`` in the log domain."""
    k = np.arange(len(f)) * DT / tau
    out: np.ndarray = np.exp(np.maximum.accumulate(np.log(np.maximum(f, 1e-6)) + k) - k)
    return out


def _fsr(rng: np.random.Generator, cfg: GenConfig, tg: np.ndarray, f_band: np.ndarray,
         t_s: np.ndarray, tx: np.ndarray, faults: dict[str, int]) -> np.ndarray:
    n_exp = float(rng.uniform(0.8, 1.25))
    f_ref = 20.0
    g0 = float(rng.uniform(0.5, 0.9))  # divider conductance ratio at f_ref
    f_on = float(rng.uniform(0.2, 0.8))
    fr = f_band / f_ref
    c1, c2 = float(rng.uniform(0.01, 0.04)), float(rng.uniform(0.02, 0.06))
    a1 = math.exp(-DT / float(rng.uniform(3.0, 10.0)))
    a2 = math.exp(-DT / float(rng.uniform(60.0, 300.0)))
    z1 = [a1 * fr[0]]
    z2 = [a2 * fr[0]]
    m1 = lfilter([1.0 - a1], [1.0, -a1], fr, zi=z1)[0]
    m2 = lfilter([1.0 - a2], [1.0, -a2], fr, zi=z2)[0]
    hyst = float(rng.uniform(0.03, 0.1))
    pk = _decaying_peak(f_band, float(rng.uniform(2.0, 6.0)))
    t_room, t_skin = float(rng.uniform(19.0, 25.0)), float(rng.uniform(29.0, 33.0))
    temp = t_skin + (t_room - t_skin) * np.exp(-tg / float(rng.uniform(180.0, 480.0)))
    tc = float(rng.uniform(0.003, 0.01))
    mod = ((1.0 + c1 * m1 + c2 * m2) * (1.0 + hyst * (pk - f_band) / (pk + f_ref))
           * (1.0 + tc * (temp - t_room)))
    f_s = np.interp(t_s, tg, f_band)
    g = (g0 * (np.maximum(f_s, 0.0) / f_ref) ** n_exp
         * (1.0 - np.exp(-((f_s / f_on) ** 2))) * np.interp(t_s, tg, mod))
    n = len(t_s)
    bounce = np.ones(n)
    n_b = int(rng.poisson(cfg.bounces_per_min * (t_s[-1] - t_s[0]) / 60.0))
    for i in rng.integers(0, n, n_b):
        bounce[i:i + int(rng.integers(1, 4))] = float(rng.uniform(0.2, 0.8))
    faults["bounces"] = n_b
    g = g * bounce
    vcc = 3.3 * (1.0 + float(rng.normal(0.0, 0.005)))
    v = vcc * g / (1.0 + g)
    if rng.random() < 0.4:
        v = v * np.where(tx, 1.0 - float(rng.uniform(0.003, 0.012)), 1.0)
        faults["tx_sag"] = 1
    vfs = 3.1 * (1.0 + float(rng.normal(0.0, 0.015)))
    code = v / vfs * 4095.0
    bow = float(rng.uniform(3.0, 15.0)) * float(rng.choice([-1.0, 1.0]))
    x = np.clip(code / 4095.0, 0.0, 1.0)
    code = code + bow * 4.0 * x * (1.0 - x) + 1.5 * np.sin(2 * np.pi * 8.0 * x)
    k_avg = int(rng.choice([1, 4, 8, 16]))
    code = code + rng.normal(0.0, float(rng.uniform(2.0, 6.0)) / math.sqrt(k_avg), n)
    code = np.round(code * k_avg) / k_avg
    dead = float(rng.uniform(0.04, 0.1)) / vfs * 4095.0
    code = np.where(code < dead, 0.0, np.clip(code, 0.0, 4095.0))
    n_g = int(rng.poisson(cfg.glitches_per_min * (t_s[-1] - t_s[0]) / 60.0))
    gi = rng.integers(0, n, n_g)
    code[gi] = np.where(rng.random(n_g) < 0.5, 4095.0, 0.0)
    faults["glitches"] = n_g
    # firmware: ideal divider at 3.3 V, full scale 3.1 V, a power law calibrated with errors
    v_est = np.minimum(code / 4095.0 * 3.1, 3.2999)
    g_est = v_est / (3.3 - v_est)
    n_cal = n_exp * (1.0 + float(rng.normal(0.0, 0.03)))
    g0_cal = g0 * (1.0 + float(rng.normal(0.0, 0.05)))
    f_est = f_ref * (g_est / g0_cal) ** (1.0 / n_cal)
    out: np.ndarray = np.round(np.clip(f_est, 0.0, 300.0), 2)
    return out


def _imu(rng: np.random.Generator, tg: np.ndarray, limb: np.ndarray, post_idx: np.ndarray,
         pre_cal: float, t_s: np.ndarray) -> np.ndarray:
    tau_c = float(rng.uniform(0.5, 3.0))
    a = tau_c / (tau_c + DT)
    vel = np.gradient(limb, DT)
    acc = np.gradient(vel, DT)
    n = len(tg)
    bias = float(rng.normal(0.0, 2.0)) + np.cumsum(rng.normal(0.0, 0.02, n))
    omega = vel + bias + rng.normal(0.0, 3.0, n)
    offsets = rng.normal(0.0, 8.0, len(POSTURES))
    offsets[post_idx[0]] = 0.0
    y_acc = (limb + float(rng.uniform(0.0, 0.004)) * acc + offsets[post_idx]
             + rng.normal(0.0, 2.0, n))
    s = a * omega * DT + (1.0 - a) * y_acc
    y = lfilter([1.0], [1.0, -a], s, zi=[a * limb[0]])[0]
    gain = float(rng.uniform(0.9, 1.1))
    out = pre_cal + gain * np.interp(t_s, tg, y) + rng.normal(0.0, 0.15, len(t_s))
    res: np.ndarray = np.round(out, 1)
    return res


# ------------------------------------------------------------------------ link


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), (np.flatnonzero(d == -1) - 1).tolist(),
                    strict=True))


def _link(rng: np.random.Generator, cfg: GenConfig, rate: float, acq: np.ndarray,
          faults: dict[str, int]) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """Which samples reach the host; which are sent with a datagram; link drops (device s)."""
    n = len(acq)
    m = max(1, round(float(rng.uniform(0.04, 0.12)) * rate))
    j = np.arange(n) // m
    nd = int(j[-1]) + 1
    last = np.minimum(np.arange(nd) * m + m - 1, n - 1)
    send = acq[last] + float(rng.uniform(0.0002, 0.001))
    tx = np.zeros(n, dtype=bool)
    tx[last] = True
    base = float(rng.uniform(0.002, 0.008))
    lat = base + rng.lognormal(math.log(0.002), float(rng.uniform(0.8, 1.2)), nd)
    p_loss = np.full(nd, float(rng.uniform(0.001, 0.006)) * cfg.loss_scale)
    total = float(acq[-1])
    n_int = int(rng.poisson(cfg.interference_per_min * total / 60.0))
    for _ in range(n_int):
        a = float(rng.uniform(0.0, total))
        d = float(rng.uniform(0.3, 3.0))
        inside = (send >= a) & (send < a + d)
        p_loss[inside] = float(rng.uniform(0.2, 0.6))
        lat[inside] += rng.exponential(float(rng.uniform(0.08, 0.25)), int(inside.sum()))
    buffer_s = float(rng.uniform(0.15, 0.5))
    lost = rng.random(nd) < p_loss
    late = (lat - base) > buffer_s
    arrive = send + lat
    ok = ~lost & ~late
    order = np.argsort(arrive[ok], kind="stable")
    faults["datagrams_lost"] = int(lost.sum())
    faults["datagrams_late"] = int((late & ~lost).sum())
    faults["reordered"] = int(np.sum(np.diff(order) < 0))
    faults["duplicates"] = int(rng.binomial(nd, 0.002))  # merged by sequence number
    faults["interference"] = n_int
    keep = ok[j]
    drops: list[tuple[float, float]] = []
    n_drop = int(rng.poisson(cfg.link_drops_per_hour * total / 3600.0))
    ring = float(rng.uniform(0.25, 1.5))
    for _ in range(n_drop):
        at = float(rng.uniform(0.05 * total, 0.95 * total))
        dur = float(rng.uniform(1.0, 8.0))
        if any(at < b + d + 2.0 and b < at + dur + 2.0 for b, d in drops):
            continue
        drops.append((at, dur))
        keep[(acq >= at) & (acq < at + dur - ring)] = False
    faults["disconnects"] = len(drops)
    drops.sort()
    return keep, tx, drops


# ------------------------------------------------------------------------ generate


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg if cfg is not None else GenConfig()
    rng = np.random.default_rng([int(seed), 0x6D69])
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
        which = int(rng.choice(3, p=[0.4, 0.35, 0.25]))
        offset = [0.0, float(rng.uniform(5.0, 3.0e4)), float(rng.uniform(1.6e9, 1.8e9))][which]
    geoms = {name: _geom(rng, person.ex[name].range_mm) for name in exercises}
    fmt, plan = _plan(rng, exercises)

    # ---------------------------------------------------------------- timeline
    fat = _Fatigue(f_rate=person.f_rate, r_rate=person.r_rate,
                   rest_boost=float(rng.uniform(2.0, 4.0)))
    sets: list[_Set] = []
    t = float(rng.uniform(5.0, 15.0))
    for i, (name, side) in enumerate(plan):
        ex = EXERCISES[name]
        if i > 0:
            rest = _rest(rng, person, plan[i - 1], plan[i])
            for s in ("left", "right"):
                fat.run(s, 0.0, rest, rest=True)
            t = sets[-1].end + rest
        st = _Set(index=i, exercise=name, kind=ex.kind, side=side, to_failure=ex.failure,
                  geom=geoms[name])
        if ex.kind == "hold":
            _run_hold(rng, person, ex, st, t, fat, still)
        else:
            _run_reps(rng, person, ex, st, t, fat, cfg.partial_prob, still)
        other = "right" if side == "left" else "left"
        fat.run(other, 0.0, st.end - st.start, rest=True)
        sets.append(st)
    total = sets[-1].end + float(rng.uniform(5.0, 12.0))
    n_grid = math.ceil(total * FS) + 2
    tg = np.arange(n_grid) * DT

    # ---------------------------------------------------------------- postures, fidgets
    postures = [_posture_of(s.exercise, s.side) for s in sets]
    pre_base = band.length * float(rng.uniform(0.06, 0.15))
    pre_f = {p: float(rng.uniform(0.7, 1.3)) for p in POSTURES}
    pre_min = 0.02 * band.length
    pre_now = max(pre_base * pre_f[postures[0]], pre_min)
    pre_init = pre_now
    windows = [(0.5, sets[0].start - 1.5)]
    windows += [(a.end + 1.5, b.start - 1.5) for a, b in itertools.pairwise(sets)]
    windows.append((sets[-1].end + 1.5, total - 0.5))
    fidgets: list[_Fidget] = []
    changes: list[tuple[float, str]] = [(0.0, postures[0])]
    pre = np.full(n_grid, pre_init)
    for w_i, (a, b) in enumerate(windows):
        nxt = min(w_i, len(sets) - 1)
        if w_i > 0:  # the band slid down the thigh during some lowerings of the last set
            for r in sets[w_i - 1].reps:
                s_mm = min(r.slide_mm, max(pre_now - pre_min, 0.0))
                if s_mm > 0.0:
                    _add_smooth_step(pre, r.t2, r.t3 - r.t2, -s_mm)
                    pre_now -= s_mm
        r_mm = person.ex[sets[nxt].exercise].range_mm
        placed: list[_Fidget] = []
        if 0 < w_i < len(sets) and postures[w_i - 1] != postures[w_i]:
            mid = 0.5 * (a + b)
            target = max(pre_base * pre_f[postures[w_i]] + float(rng.normal(0.0, 3.0)), pre_min)
            if no_fidgets:
                pre_change = (mid - 1.0, 2.0, target)
                _add_smooth_step(pre, pre_change[0], pre_change[1], target - pre_now)
                pre_now = target
            else:
                fd = _fidget(rng, "rollover", mid - 3.0, r_mm, target)
                if fd.t1 > b:
                    fd = _fidget(rng, "rollover", a, r_mm, target)
                placed.append(fd)
                mid = 0.5 * (fd.t0 + fd.t1)
            changes.append((mid, postures[w_i]))
        if not no_fidgets and b - a > 2.0:
            for _ in range(int(rng.poisson(person.fidget_per_min * (b - a) / 60.0))):
                kind = str(rng.choice(["clothing", "bottle", "massage", "unhook", "cramp"],
                                      p=[0.25, 0.2, 0.2, 0.15, 0.2]))
                target = max(pre_base * pre_f[postures[nxt]] + float(rng.normal(0.0, 3.0)),
                             pre_min)
                for _try in range(8):
                    fd = _fidget(rng, kind, float(rng.uniform(a, b)), r_mm, target)
                    if fd.t1 <= b and all(fd.t1 + 0.5 <= o.t0 or fd.t0 >= o.t1 + 0.5
                                          for o in placed):
                        placed.append(fd)
                        break
        placed.sort(key=lambda f: f.t0)
        for fd in placed:  # pre-stretch changes chain in time order
            for s0, d0, target_v, delta in fd.pre:
                if target_v is not None:
                    v = target_v - pre_now
                    new = target_v
                else:
                    new = max(pre_now + delta, pre_min)
                    v = new - pre_now
                _add_smooth_step(pre, s0, d0, v)
                pre_now = new
        fidgets.extend(placed)
    fidgets.sort(key=lambda f: f.t0)

    # ---------------------------------------------------------------- movement on the grid
    x = np.zeros(n_grid)  # elongation above the pre-stretch from the limb (mm)
    lift = np.zeros(n_grid)  # share of the set's full range (tremor envelope)
    fat_env = np.zeros(n_grid)
    top_dev = np.zeros(n_grid)
    rep_ranges: dict[int, list[float]] = {}
    for st in sets:
        g = st.geom
        i_s = math.ceil(st.start * FS)
        i_e = math.ceil(st.end * FS)
        q = np.zeros(i_e - i_s)
        fe = np.zeros(i_e - i_s)
        for k, r in enumerate(st.reps):
            i0 = math.ceil(r.t0 * FS) - i_s
            i1 = math.ceil(r.t1 * FS) - i_s
            i2 = math.ceil(r.t2 * FS) - i_s
            i3 = math.ceil(r.t3 * FS) - i_s
            inext = (math.ceil(st.reps[k + 1].t0 * FS) - i_s if k + 1 < len(st.reps)
                     else len(q))
            tt = (np.arange(i0, i1) + i_s) * DT
            q[i0:i1] = r.q0 + (r.qtop - r.q0) * r.conc((tt - r.t0) / (r.t1 - r.t0))
            q[i1:i2] = r.qtop
            if r.top is not None and i2 > i1 + 1:
                tt = (np.arange(i1, i2) + i_s) * DT
                top_dev[i1 + i_s:i2 + i_s] += r.top(tt - r.t1)
            tt = (np.arange(i2, i3) + i_s) * DT
            q[i2:i3] = r.qtop + (r.q1 - r.qtop) * r.ecc((tt - r.t2) / (r.t3 - r.t2))
            q[i3:inext] = r.q1
            fe[i0:inext] = r.fatigue
        x[i_s:i_e] = g.x(q)
        ref = max(float(np.median([r.qtop for r in st.reps if not r.partial] or [1.0])), 0.1)
        lift[i_s:i_e] = np.clip(q / ref, 0.0, 1.2)
        fat_env[i_s:i_e] = fe
        rep_ranges[st.index] = [g.xs(r.qtop) - g.xs(r.q0) for r in st.reps]
    x += top_dev
    if not still:
        trem = _twitch_tremor(rng, n_grid)
        x += person.tremor_mm * lift * (1.0 + 2.0 * fat_env ** 2) * trem
        # breathing in the rests, faded out near every set
        fade = np.ones(n_grid)
        for st in sets:
            fade *= 1.0 - _smooth((tg - st.start + 2.5) / 1.5) * _smooth((st.end + 2.5 - tg) / 1.5)
        hz = person.breath_hz * (1.0 + 0.15 * np.sin(2 * np.pi * 0.01 * tg
                                                     + float(rng.uniform(0, 6.28))))
        ph = 2 * np.pi * np.cumsum(hz) * DT
        x += person.rest_breath_mm * fade * (0.5 - 0.5 * np.cos(ph)) ** 1.5
    for fd in fidgets:
        for s0, d0, f in fd.parts:
            _add_part(x, s0, d0, f)
    e_tot = pre + x

    # ---------------------------------------------------------------- band force
    fe_band = band.elastic(e_tot)
    f_band = fe_band if ideal else np.maximum(_kww(band, fe_band), 0.0)

    # ---------------------------------------------------------------- device clock, samples
    ppm = float(rng.uniform(-40.0, 40.0)) * 1e-6
    resid = float(rng.normal(0.0, 5.0)) * 1e-6
    dev_total = total * (1.0 + ppm)
    knots = [0.0]
    while knots[-1] < dev_total + 30.0:
        knots.append(knots[-1] + float(rng.uniform(8.0, 20.0)))
    k_arr = np.array(knots)
    err = rng.normal(0.0, float(rng.uniform(0.0005, 0.003)), len(k_arr))

    def host(d: np.ndarray) -> np.ndarray:
        out: np.ndarray = offset + d * (1.0 - ppm + resid) + np.interp(d, k_arr, err)
        return out

    def tm(x_s: float) -> float:
        if clean:
            return offset + x_s
        return float(host(np.array([x_s * (1.0 + ppm)]))[0])

    faults: dict[str, int] = {"glitches": 0, "bounces": 0, "tx_sag": 0, "datagrams_lost": 0,
                              "datagrams_late": 0, "reordered": 0, "duplicates": 0,
                              "interference": 0, "disconnects": 0, "blocked_reads": 0}
    gaps: list[dict[str, Any]] = []
    drops: list[tuple[float, float]] = []
    stretch_s: np.ndarray | None = None
    if clean:
        n_s = math.floor((total - 2 * DT) * rate) + 1
        t_s = np.arange(n_s) / rate
        time_s = offset + t_s
        force_n = np.interp(t_s, tg, f_band)
        if has_stretch:
            stretch_s = np.interp(t_s, tg, e_tot)
    else:
        n_s = math.floor((dev_total - 0.02) * rate) + 1
        sched = np.arange(n_s) / rate
        jit = rng.exponential(float(rng.uniform(0.0001, 0.0008)), n_s)
        blk = rng.random(n_s) < float(rng.uniform(0.003, 0.02))
        faults["blocked_reads"] = int(blk.sum())
        jit[blk] += rng.uniform(0.002, 0.012, int(blk.sum()))
        acq = sched + jit
        gap_min = 3e-5 * np.arange(n_s)
        acq = np.maximum.accumulate(acq - gap_min) + gap_min
        acq = np.round(acq * 1e6) / 1e6  # the device's microsecond clock
        t_s = np.minimum(acq / (1.0 + ppm), total - DT)
        keep, tx, drops_dev = _link(rng, cfg, rate, acq, faults)
        stamps = host(acq)
        force_all = _fsr(rng, cfg, tg, f_band, t_s, tx, faults)
        if has_stretch:
            post_idx = np.zeros(n_grid, dtype=np.int64)
            for tc, pname in changes:
                post_idx[math.ceil(tc * FS):] = POSTURES.index(pname)
            stretch_all = _imu(rng, tg, x, post_idx, pre_init, t_s)
            stretch_s = stretch_all[keep]
        for i0, i1 in _runs(~keep):
            gaps.append({"start_s": float(stamps[i0]), "end_s": float(stamps[i1]),
                         "samples": int(i1 - i0 + 1)})
        drops = [(tm(at / (1.0 + ppm)), dur) for at, dur in drops_dev]
        time_s = stamps[keep]
        force_n = force_all[keep]

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
                "range_mm": float(xr), "floor_start_mm": g.xs(r.q0),
                "floor_end_mm": g.xs(r.q1), "side": st.side,
                "concentric_profile": _path_name(r.conc),
                "eccentric_profile": _path_name(r.ecc),
            })
    t_fidgets = [{"kind": f.kind, "start_s": tm(f.t0), "end_s": tm(f.t1),
                  "amplitude_mm": float(f.amplitude_mm)} for f in fidgets]
    meta = {
        "model": "gen_model_i", "seed": int(seed), "rate_hz": rate, "time_offset_s": offset,
        "has_stretch": bool(has_stretch), "clean": clean, "still": still, "ideal_band": ideal,
        "no_fidgets": no_fidgets, "exercises": exercises, "format": fmt,
        "duration_s": float(total),
        "person": {"tempo": person.tempo, "metronome_s": person.metronome_s,
                   "rest_timer_s": person.timer_s, "back_to_back": person.back_to_back,
                   "fatigue_f": person.f_rate, "fatigue_r": person.r_rate},
        "band": {"length_mm": band.length, "g_inf": band.g_inf, "kww_tau_s": band.tau,
                 "kww_beta": band.beta, "pre_stretch_mm": pre_init},
        "clock_ppm": ppm * 1e6,
        "faults": faults,
    }
    truth = {"sets": t_sets, "reps": t_reps, "holds": t_holds, "fidgets": t_fidgets,
             "gaps": gaps, "link_drops": drops, "metadata": meta}
    return Generated(time_s=np.asarray(time_s, dtype=np.float64),
                     force_n=np.asarray(force_n, dtype=np.float64),
                     stretch_mm=None if stretch_s is None
                     else np.asarray(stretch_s, dtype=np.float64),
                     truth=truth)
