"""A sixth, independent band-and-movement model (gen_model_f): optimal and sub-movement reps.

Written WITHOUT looking at how bandsense analyses a recording. Read for it: the seed text
(``/work/shared/seeds/glute-exercises-for-lower-back-pain.txt``), ``analysis/scoring.py``,
``firmware_sim/truth.py``, the module docstrings of ``gen_model.py``, ``gen_model_c.py``,
``gen_model_d.py`` and ``gen_model_e.py`` (to choose different modelling) and the public
interface (``GenConfig``, ``Generated``, ``generate``) of ``gen_model_e.py``. It was never
run against the analysis nor tuned to it. Every modelling choice differs from those models:

- movement: the elongation above the pre-stretch, ``x(t)`` in mm, is built phase by phase;
  each phase (concentric or eccentric) is a normalised profile with compact support
  (exactly 0 before, exactly 1 after, velocity and acceleration zero at both ends), drawn
  from three families (per-person preference weights, concentric and eccentric separate):
  * ``mtc`` - the minimum torque-change optimum (Uno, Kawato & Suzuki 1989) for a linear
    joint ``tau = I q'' + b q' + k q`` with random natural frequency x duration (2-24) and
    damping ratio (0.35-0.85 or 1.15-2.5): the cost ``int (d tau / dt)^2`` gives a velocity
    that solves ``P(D) P(-D) v = const``, solved in closed form (exponential basis, 5x5
    linear system with v = v' = 0 at both ends and unit area). Short/slow joints give a
    bell (close to minimum jerk), stiff/viscous ones a flat velocity plateau;
  * ``pulses`` - a sum of 1-3 overlapping sub-movements, each a C-infinity bump velocity
    pulse ``exp(1 - 1 / (1 - x^2))`` (one skewed by a power warp when alone; a primary
    plus smaller corrective or hesitation pulses otherwise, the velocity dips but stays
    > 0 inside the phase);
  * ``plateau`` - a measured-style piecewise velocity: ``sin^2`` acceleration ramp, a
    constant-speed cruise with a small linear slope (+-25 %), ``sin^2`` deceleration of a
    different length.
  Rep timing: per-exercise base tempo x person tempo x log-normal rep jitter, occasional
  very slow (x1.8-2.5) or very fast (x0.45-0.65) reps, fatigue (square of the rep's place
  in the set) slows and shrinks reps. Rests at the bottom are either *locked to breathing*
  (the person starts each concentric at the onset of an exhale, breathing period 3-5.5 s;
  if that would mean waiting more than 2.2 s they start anyway and re-phase) or free
  (log-normal, sometimes back to back). Some sets keep slight tension between reps (floor
  4-18 % of the range). At the top (pause, per exercise; some sets with a long 2.5-5 s
  pause; side-lying hip ER often turns without a pause): 1-2 small compact corrections
  (bumps inside the pause). Holds (table-top reach, 3-8 balloon breaths: inhale 1.2-2.5 s,
  exhale 3-6 s): a breathing waveform, postural sway (low-pass noise) and a slow sag, all
  tapered by a smootherstep so position and velocity are continuous at the top instants.
  Physiological tremor (a 7-12 Hz resonator on white noise) everywhere, tiny, 3x at tops.
  Sets to failure (side-lying hip ER; 8-18 reps, fewer in later sets of a side) usually
  end with 1-3 failed partial attempts of decreasing range; some include a
  *rest-pause*: 4-6 s at the bottom without releasing fully (a ``rest_pause`` fidget
  inside the set). Other sets have a few % aborted (partial) reps.
- band: Arruda-Boyce eight-chain hyperelastic law in uniaxial tension
  (``F = (k0 L / 3)(lam - lam^-2) xi(lam)``, ``xi`` the normalised inverse-Langevin factor
  with a Cohen Pade approximant, locking stretch 2.2-3.5), plus two Maxwell (Zener) branches
  (tau 0.08-0.4 s and 3-25 s) whose moduli soften with the recent strain amplitude
  (Payne effect, Kraus form, against a 20-60 s running maximum of the strain). The
  effective band length changes when the band rolls on the thigh (fidget ``roll``). Slack
  (zero force) when the total elongation <= 0.
- force sensor: a load cell with *creep* (first order, 0.4-1.5 % of the load, tau 20-120 s)
  and its own hysteresis (a Prandtl-Ishlinskii sum of three play operators, computed by an
  associative scan), Brownian zero drift plus a linear warm-up trend, a 2nd-order
  Butterworth low-pass (8-30 Hz) in the sensor, gain and tare error, white noise, a 24-bit
  ADC (LSB = full scale / 2^23), *stuck* ADC readings (runs of 2-30 repeated values),
  sometimes a host *re-tare* during a rest (the reading jumps to zero while the band is
  still pre-stretched), and finally the host's 0.01 N integer format.
- link and time axis: the device samples at the configured rate with a crystal error
  (+-400 ppm) and in 40 % of recordings *switches* to a nearby rate (x0.8, 5/6, 1.2, 1.25)
  for 10-35 % of the session; the host time-stamps samples from the device clock and
  *re-synchronises* every 15-60 s: between resyncs the stamp error grows linearly
  (residual drift +-500 ppm), at each resync it steps back to a small residual (steps of
  a few ms to tens of ms, forwards or backwards); stamps are rounded to 1 ms and made
  non-decreasing (a backward step gives a short run of equal stamps). Samples travel in
  packets (20-60 ms); packets are lost (bursty) and the link disconnects for 0.5-3 s
  (gaps); some packets arrive twice and out-of-order packets are re-sorted by the host,
  which merges duplicates by time stamp, so each sample of a duplicated packet appears
  twice in a row with the same stamp. The axis starts at an offset (0, an uptime or an
  epoch time).
- stretch (about half the recordings): a conductive-rubber strain sensor sewn on the band
  (it reads the band's elongation, 0 when slack): resistance relaxation (an overshoot on
  loading, undershoot on release, 3-12 % of a high-passed elongation, tau 0.3-2 s), gain
  error and a quadratic gauge non-linearity, offset, Brownian drift, noise, 0.05 mm steps.
- session: 2-4 of the four seed exercises in random order (the hold exercise in about 70 %):
  side-lying banded hip external rotation to failure (sets by side, blocked or
  alternating), single-leg hip bridge ~10 reps with a pause, table-top reach holds, table-
  top hip external rotation ~10 reps with a brief pause; bridge and table-top hip ER are
  sometimes done as a *superset* (interleaved, shorter rests); 1-3 sets (or holds) a side,
  fewer when there are more exercises (sessions of about 8-16 min). Rests of 12-45 s between
  sets (10.5-25 s in supersets, 25-70 s between exercises). Fidgets in rests (never within
  1.5 s of a set): ``knock`` (knees knock together: elongation drops, may go slack),
  ``shake`` (shaking the leg out, 3-6 Hz), ``stretch`` (a hip stretch against the band:
  slow opening to 20-45 % of the range, held 2-6 s), ``roll`` (the band rolls: new
  effective length and pre-stretch), ``adjust`` (band off, slack, pulled back on to a new
  pre-stretch), ``reposition`` (turning over / changing exercise: irregular pulls and a new
  pre-stretch), plus slow postural sway in all rests.

Truth conventions (times on the recording's own axis: the physical time mapped through
the host's stamp function, i.e. the offset ``metadata["time_offset_s"]`` plus the resync
sawtooth; the recorded stamps add only the 1 ms rounding and, just after a backward
resync step, the host's clamp to non-decreasing): a rep's
``start_s`` is the first motion (the concentric profile leaves its floor), ``top_start_s``
the arrival at the top (the concentric profile reaches 1: velocity zero), ``top_end_s``
the departure (the eccentric profile leaves the top), ``end_s`` back at rest (the
eccentric profile reaches the floor). ``concentric_s``, ``pause_s``, ``eccentric_s`` are the
differences of those instants. ``range_mm`` is the elongation at ``top_start_s`` minus that
at ``start_s``; ``floor_start_mm``/``floor_end_mm`` the floors above the pre-stretch.
Partial reps (range under half the median range of the full reps of their set; they are
made < 45 % of it) are in ``reps`` with ``partial`` True and not counted in ``rep_count``.
Hold sets have ``kind`` "hold", ``rep_count`` 0 and their hold only in ``holds``
(``duration_s = top_end_s - top_start_s``). Sets are separated by >= 10 s of rest; reps of
a set by < 3 s except at a listed ``rest_pause``. Fidgets have ``kind``, ``start_s``,
``end_s`` and ``amplitude_mm`` and never overlap a rep. Gaps list the first and last
*missing* sample stamps and their number of samples; ``link_drops`` the disconnects.

``GenConfig.extra``: ``clean`` (ideal sensor and link: exact uniform stamps at the
configured rate, no drift, creep, hysteresis, filter, noise, quantisation, stuck values,
tare, losses or duplicates; the stretch is the exact band elongation), ``still`` (no
tremor, sway, breathing, corrections or sag), ``ideal_band`` (linear elastic band, no
viscoelasticity), ``no_fidgets``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal
from scipy.ndimage import maximum_filter1d

FS = 500.0  # internal grid of the physical simulation (Hz)
DT = 1.0 / FS
_U = np.linspace(0.0, 1.0, 1025)  # normalised phase time for the profiles
FAMILIES = ("mtc", "pulses", "plateau")


@dataclass(frozen=True)
class _Exercise:
    name: str
    kind: str  # "reps" or "hold"
    range_mm: tuple[float, float]
    conc_s: tuple[float, float]
    pause_s: tuple[float, float]
    ecc_s: tuple[float, float]
    failure: bool = False


EXERCISES: dict[str, _Exercise] = {
    "sidelying_hip_er": _Exercise("sidelying_hip_er", "reps", (120.0, 260.0), (0.9, 1.4),
                                  (0.0, 0.4), (1.0, 1.8), failure=True),
    "single_leg_bridge": _Exercise("single_leg_bridge", "reps", (40.0, 120.0), (1.0, 1.6),
                                   (0.6, 2.0), (1.2, 2.2)),
    "table_top_reach": _Exercise("table_top_reach", "hold", (80.0, 200.0), (1.2, 2.5),
                                 (0.0, 0.0), (1.0, 2.2)),
    "table_top_hip_er": _Exercise("table_top_hip_er", "reps", (100.0, 220.0), (0.8, 1.4),
                                  (0.3, 1.5), (1.0, 1.8)),
}


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 70 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    rate_switch: bool = True  # the device switches to a nearby rate for a while (40 %)
    clock_resync: bool = True  # host stamp error: linear drift, steps at resyncs
    packet_loss: bool = True  # bursty packet losses
    disconnects_per_min: float = 0.08  # link drops of 0.5-3 s
    duplicates: bool = True  # packets received twice (kept, merged by stamp)
    stuck_per_min: float = 0.8  # stuck ADC readings (runs of 2-30 samples)
    creep: bool = True  # load-cell creep
    hysteresis: bool = True  # load-cell hysteresis (Prandtl-Ishlinskii)
    sensor_lowpass: bool = True  # 2nd-order Butterworth in the sensor
    tare_prob: float = 0.25  # a host re-tare during a rest
    time_offset_s: float | None = None  # None: random (0, an uptime or an epoch)
    # extra: "clean", "still", "ideal_band", "no_fidgets" (see the module docstring)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


# ------------------------------------------------------------------------ profiles


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, None)
    s = np.concatenate(([0.0], np.cumsum(0.5 * (v[1:] + v[:-1]))))
    out: np.ndarray = s / s[-1]
    return out


def _mtc_velocity(wt: float, zeta: float) -> np.ndarray | None:
    """Minimum torque-change velocity on [0, 1] for P(D) = D^2 + 2 zeta wt D + wt^2."""
    disc = np.sqrt(complex(zeta * zeta - 1.0))
    r1, r2 = wt * (-zeta + disc), wt * (-zeta - disc)
    e1, e2 = np.exp(r1), np.exp(r2)
    a = np.array([
        [1.0, 1.0, 1.0, e1, e2],  # v(0)
        [1.0, e1, e2, 1.0, 1.0],  # v(1)
        [0.0, r1, r2, -r1 * e1, -r2 * e2],  # v'(0)
        [0.0, r1 * e1, r2 * e2, -r1, -r2],  # v'(1)
        [1.0, (e1 - 1) / r1, (e2 - 1) / r2, (e1 - 1) / r1, (e2 - 1) / r2],  # area
    ], dtype=complex)
    try:
        c = np.linalg.solve(a, np.array([0, 0, 0, 0, 1], dtype=complex))
    except np.linalg.LinAlgError:
        return None
    u = _U
    v = (c[0] + c[1] * np.exp(r1 * u) + c[2] * np.exp(r2 * u)
         + c[3] * np.exp(-r1 * (u - 1.0)) + c[4] * np.exp(-r2 * (u - 1.0))).real
    if not np.all(np.isfinite(v)) or v.min() < -2e-3 * v.max():
        return None
    return np.asarray(v, dtype=float)


def _prof_mtc(rng: np.random.Generator) -> np.ndarray:
    for _ in range(12):
        wt = float(np.exp(rng.uniform(np.log(2.0), np.log(24.0))))
        zeta = float(rng.uniform(0.35, 0.85) if rng.random() < 0.5 else rng.uniform(1.15, 2.5))
        v = _mtc_velocity(wt, zeta)
        if v is not None:
            return _normalise(v)
    return _normalise(_U**2 * (1 - _U) ** 2)  # minimum jerk


def _bump(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    m = np.abs(x) < 1.0
    out[m] = np.exp(1.0 - 1.0 / (1.0 - x[m] ** 2))
    return out


def _prof_pulses(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.choice([1, 2, 3], p=[0.4, 0.4, 0.2]))
    if n == 1:
        g = float(np.exp(rng.uniform(-0.4, 0.4)))
        return _normalise(_bump(2.0 * _U**g - 1.0))
    ends = np.sort(rng.uniform(0.4, 0.92, n - 1))
    starts = [0.0]
    for k in range(1, n):
        lo = starts[-1] + 0.06
        hi = max(ends[k - 1] - 0.06, lo + 1e-3)
        starts.append(float(rng.uniform(lo, hi)))
    ends_all = [*ends.tolist(), 1.0]
    primary = int(rng.integers(0, n)) if rng.random() < 0.3 else 0
    v = np.zeros_like(_U)
    for k in range(n):
        amp = 1.0 if k == primary else float(rng.uniform(0.15, 0.8))
        a, b = starts[k], ends_all[k]
        v += amp * _bump(2.0 * (_U - a) / (b - a) - 1.0)
    return _normalise(v)


def _prof_plateau(rng: np.random.Generator) -> np.ndarray:
    a, d = float(rng.uniform(0.12, 0.4)), float(rng.uniform(0.12, 0.4))
    slope = float(rng.uniform(-0.25, 0.25))
    c = 1.0 - a - d
    u = _U
    v = 1.0 + slope * np.clip((u - a) / c, 0.0, 1.0)
    up = u < a
    v[up] = np.sin(0.5 * np.pi * u[up] / a) ** 2
    dn = u > 1.0 - d
    v[dn] = (1.0 + slope) * np.sin(0.5 * np.pi * (1.0 - u[dn]) / d) ** 2
    return _normalise(v)


_PROFILES: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "mtc": _prof_mtc, "pulses": _prof_pulses, "plateau": _prof_plateau,
}


def _smootherstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    out: np.ndarray = u**3 * (10.0 - 15.0 * u + 6.0 * u * u)
    return out


# ---------------------------------------------------------------------------- plan


@dataclass
class _Person:
    tempo: float
    fam_conc: np.ndarray
    fam_ecc: np.ndarray
    breath_sync: bool
    breath_period: float
    tension_prob: float
    fatigue: float
    no_pause_prob: float
    tremor_mm: float
    tremor_hz: float
    sway_mm: float
    rest_scale: float


@dataclass
class _Phase:
    t0: float
    t1: float
    y0: float
    y1: float
    shape: np.ndarray
    family: str


@dataclass
class _Rep:
    set: int
    conc: _Phase
    ecc: _Phase
    top: float  # level at top_start (mm above pre-stretch)
    floor0: float
    floor1: float
    partial: bool
    bumps: list[tuple[float, float, float]] = field(default_factory=list)  # t0, t1, amp
    hold: dict[str, Any] | None = None  # hold extras (breathing, sway, sag)

    @property
    def range_mm(self) -> float:
        return self.top - self.floor0


@dataclass
class _Set:
    index: int
    exercise: str
    kind: str
    side: str
    reps: list[_Rep]
    to_failure: bool

    @property
    def start(self) -> float:
        return self.reps[0].conc.t0

    @property
    def end(self) -> float:
        return self.reps[-1].ecc.t1


@dataclass
class _Fidget:
    kind: str
    t0: float
    t1: float
    amplitude_mm: float
    params: dict[str, Any] = field(default_factory=dict)


def _family(rng: np.random.Generator, w: np.ndarray) -> str:
    return FAMILIES[int(rng.choice(len(FAMILIES), p=w))]


def _phase(rng: np.random.Generator, w: np.ndarray, t0: float, dur: float, y0: float,
           y1: float) -> _Phase:
    fam = _family(rng, w)
    return _Phase(t0, t0 + dur, y0, y1, _PROFILES[fam](rng), fam)


def _plan_rep_set(rng: np.random.Generator, person: _Person, ex: _Exercise, index: int,
                  side: str, t0: float, n_full: int, cfg: GenConfig, still: bool,
                  fidgets: list[_Fidget]) -> _Set:
    r_set = float(rng.uniform(*ex.range_mm))
    failure = ex.failure
    # the sequence of reps: True = partial
    seq: list[bool] = []
    for _ in range(n_full):
        if rng.random() < cfg.partial_prob:
            seq.append(True)
        seq.append(False)
    if failure and rng.random() < 0.85:
        seq.extend([True] * int(rng.integers(1, 4)))
    n = len(seq)
    # ranges (fatigue shrinks full reps; failed attempts shrink further)
    ranges = np.empty(n)
    full_pos = np.cumsum([not p for p in seq]) - 1
    for k, partial in enumerate(seq):
        p = full_pos[k] / max(n_full - 1, 1)
        if partial:
            ranges[k] = r_set * rng.uniform(0.12, 0.42)
        else:
            shrink = (0.3 if failure else 0.08) * person.fatigue * 2.0 * p**2
            ranges[k] = r_set * float(np.clip(1.0 - shrink + rng.normal(0, 0.04), 0.62, 1.12))
    med = float(np.median(ranges[~np.array(seq)]))
    for k, partial in enumerate(seq):
        if partial and ranges[k] >= 0.45 * med:
            ranges[k] = med * rng.uniform(0.15, 0.42)
    if failure:  # later failed attempts get smaller
        tail = [k for k in range(n) if seq[k] and k > n - 4]
        for a, b in itertools.pairwise(tail):
            ranges[b] = min(ranges[b], ranges[a] * rng.uniform(0.6, 0.95))
    tension = rng.random() < person.tension_prob
    long_pause = ex.pause_s[1] > 0.5 and rng.random() < 0.1
    rest_pause_at = -1
    if failure and n_full >= 8 and rng.random() < 0.25:
        rest_pause_at = int(n_full * rng.uniform(0.55, 0.8))
    t = t0
    floor = 0.0
    breath_ref = t0 - float(rng.uniform(0.0, person.breath_period))
    reps: list[_Rep] = []
    for k, partial in enumerate(seq):
        last = k == n - 1
        p = full_pos[k] / max(n_full - 1, 1)
        fat = person.fatigue * (1.5 if failure else 0.6) * p**2
        jit_c, jit_e = np.exp(rng.normal(0.0, 0.1, 2))
        u = rng.random()
        if u < 0.03:
            jit_c, jit_e = jit_c * rng.uniform(1.8, 2.5), jit_e * rng.uniform(1.8, 2.5)
        elif u < 0.06:
            jit_c, jit_e = jit_c * rng.uniform(0.45, 0.65), jit_e * rng.uniform(0.45, 0.65)
        conc = rng.uniform(*ex.conc_s) * person.tempo * jit_c * (1.0 + 0.6 * fat)
        ecc = rng.uniform(*ex.ecc_s) * person.tempo * jit_e * (1.0 + 0.3 * fat)
        if long_pause:
            pause = float(rng.uniform(2.5, 5.0))
        elif ex.pause_s[1] <= 0.5 and rng.random() < person.no_pause_prob:
            pause = 0.0
        else:
            pause = float(rng.uniform(*ex.pause_s)) * float(np.exp(rng.normal(0, 0.15)))
        if partial:
            conc *= rng.uniform(0.5, 0.9)
            ecc *= rng.uniform(0.5, 0.9)
            pause = float(rng.uniform(0.0, 0.3))
        conc, ecc = max(conc, 0.3), max(ecc, 0.3)
        rest_pause = full_pos[k] == rest_pause_at and not partial and not last
        if last:
            floor1 = 0.0
        elif rest_pause:
            floor1 = r_set * float(rng.uniform(0.1, 0.3))
        else:
            floor1 = r_set * float(rng.uniform(0.04, 0.18)) if tension else 0.0
        top = floor + ranges[k]
        c_ph = _phase(rng, person.fam_conc, t, conc, floor, top)
        t_top = c_ph.t1
        bumps: list[tuple[float, float, float]] = []
        if not still and pause >= 0.4 and rng.random() < 0.5:
            cur = t_top + rng.uniform(0.02, 0.2) * pause
            for _ in range(int(rng.integers(1, 3))):
                d = float(rng.uniform(0.25, 0.6)) * pause
                if cur + d > t_top + pause - 0.02:
                    break
                bumps.append((cur, cur + d, ranges[k] * rng.uniform(-0.03, 0.02)))
                cur += d + rng.uniform(0.0, 0.2) * pause
        e_ph = _phase(rng, person.fam_ecc, t_top + pause, ecc, top, floor1)
        reps.append(_Rep(index, c_ph, e_ph, top, floor, floor1, partial, bumps))
        t = e_ph.t1
        floor = floor1
        if last:
            break
        if rest_pause:
            rp = float(rng.uniform(4.0, 6.0))
            fidgets.append(_Fidget("rest_pause", t, t + rp, person.sway_mm))
            t += rp
            breath_ref = t
        elif person.breath_sync:
            earliest = t + float(rng.uniform(0.05, 0.4))
            kk = np.ceil((earliest - breath_ref) / person.breath_period)
            onset = breath_ref + kk * person.breath_period
            if onset - earliest > 2.2:
                t = earliest + float(rng.uniform(0.1, 0.8))
                breath_ref = t
            else:
                t = float(onset)
        elif rng.random() < 0.15:
            pass  # back to back
        else:
            t += float(np.clip(rng.lognormal(np.log(0.5), 0.6), 0.05, 2.5))
    return _Set(index, ex.name, "reps", side, reps, failure)


def _plan_hold(rng: np.random.Generator, person: _Person, ex: _Exercise, index: int,
               side: str, t0: float, still: bool) -> _Set:
    r = float(rng.uniform(*ex.range_mm)) * float(rng.uniform(0.85, 1.05))
    conc = float(rng.uniform(*ex.conc_s)) * person.tempo
    ecc = float(rng.uniform(*ex.ecc_s)) * person.tempo
    settle = float(rng.uniform(0.3, 1.0))
    breaths = []
    cur = settle
    for _ in range(int(rng.integers(3, 9))):
        inh, exh = float(rng.uniform(1.2, 2.5)), float(rng.uniform(3.0, 6.0))
        breaths.append((cur, cur + inh, cur + inh + exh))
        cur += inh + exh
    dur = cur + float(rng.uniform(0.3, 1.0))
    sag = 0.0 if still else r * float(rng.uniform(-0.06, 0.01))
    extras = {
        "breaths": breaths,
        "breath_amp": 0.0 if still else r * float(rng.uniform(0.01, 0.04))
        * (1.0 if rng.random() < 0.6 else -1.0),
        "sway_mm": 0.0 if still else float(rng.uniform(0.3, 1.5)),
        "sway_seed": int(rng.integers(2**31)),
        "sag": sag,
    }
    c_ph = _phase(rng, person.fam_conc, t0, conc, 0.0, r)
    e_ph = _phase(rng, person.fam_ecc, c_ph.t1 + dur, ecc, r + sag, 0.0)
    rep = _Rep(index, c_ph, e_ph, r, 0.0, 0.0, False, [], extras)
    return _Set(index, ex.name, "hold", side, [rep], False)


def _fidget(rng: np.random.Generator, kind: str, t0: float, r_typ: float,
            pre: float) -> _Fidget:
    if kind == "knock":
        d = float(rng.uniform(0.6, 1.4))
        amp = float(rng.uniform(3.0, 15.0))
        return _Fidget(kind, t0, t0 + d, amp)
    if kind == "shake":
        d = float(rng.uniform(1.0, 3.0))
        amp = float(rng.uniform(2.0, 8.0))
        return _Fidget(kind, t0, t0 + d, amp, {"hz": float(rng.uniform(3.0, 6.0)),
                                                 "phi": float(rng.uniform(0, 2 * np.pi))})
    if kind == "stretch":
        up, hold, down = (float(rng.uniform(1.5, 3.0)), float(rng.uniform(2.0, 6.0)),
                          float(rng.uniform(1.5, 3.0)))
        amp = r_typ * float(rng.uniform(0.2, 0.45))
        return _Fidget(kind, t0, t0 + up + hold + down, amp,
                       {"up": up, "hold": hold, "up_shape": _prof_plateau(rng),
                        "down_shape": _prof_plateau(rng)})
    if kind == "roll":
        d = float(rng.uniform(1.0, 2.5))
        dpre = float(rng.normal(0.0, 3.0))
        wob = float(rng.uniform(2.0, 6.0))
        return _Fidget(kind, t0, t0 + d, abs(dpre) + wob,
                       {"new_pre": max(pre + dpre, 2.0),
                        "l_factor": float(rng.uniform(0.9, 1.1)), "wobble": wob})
    if kind == "adjust":
        off, slack, on = (float(rng.uniform(0.5, 1.0)), float(rng.uniform(1.0, 4.0)),
                          float(rng.uniform(0.5, 1.0)))
        slack_mm = -float(rng.uniform(10.0, 30.0))
        new_pre = float(rng.uniform(3.0, 40.0))
        over = float(rng.uniform(5.0, 15.0))
        return _Fidget(kind, t0, t0 + off + slack + on, max(pre - slack_mm, over + new_pre),
                       {"off": off, "slack": slack, "slack_mm": slack_mm, "new_pre": new_pre,
                        "over": over})
    # reposition
    d = float(rng.uniform(4.0, 9.0))
    pulls = []
    for _ in range(int(rng.integers(2, 5))):
        w = float(rng.uniform(0.4, 1.2))
        c = float(rng.uniform(0.0, d - w))
        pulls.append((c, c + w, float(rng.uniform(-25.0, 25.0))))
    new_pre = float(rng.uniform(3.0, 45.0))
    amp = max(abs(p[2]) for p in pulls) + abs(new_pre - pre)
    return _Fidget("reposition", t0, t0 + d, amp, {"pulls": pulls, "new_pre": new_pre})


_FIDGET_KINDS = ("knock", "shake", "stretch", "roll", "adjust")
_FIDGET_W = np.array([0.22, 0.22, 0.12, 0.2, 0.24])


def _place_fidgets(rng: np.random.Generator, a: float, b: float, r_typ: float, pre: float,
                   first: str | None) -> tuple[list[_Fidget], float]:
    """Fidgets inside the rest window [a, b]; returns them and the pre-stretch after."""
    out: list[_Fidget] = []
    cur = a + float(rng.uniform(0.0, 3.0))
    kind = first
    while True:
        if kind is None:
            if out and rng.random() < 0.45:
                break
            if not out and rng.random() < 0.35:
                break
            kind = _FIDGET_KINDS[int(rng.choice(len(_FIDGET_KINDS), p=_FIDGET_W))]
        f = _fidget(rng, kind, cur, r_typ, pre)
        if f.t1 > b:
            break
        out.append(f)
        pre = float(f.params.get("new_pre", pre))
        cur = f.t1 + float(rng.uniform(2.0, 10.0))
        kind = None
    return out, pre


def _choose_exercises(rng: np.random.Generator, cfg: GenConfig) -> list[str]:
    n = int(cfg.exercises) if cfg.exercises is not None else int(rng.integers(2, 5))
    n = int(np.clip(n, 1, 4))
    hold = cfg.hold_exercise if cfg.hold_exercise is not None else bool(rng.random() < 0.7)
    others = ["sidelying_hip_er", "single_leg_bridge", "table_top_hip_er"]
    if hold:
        chosen = ["table_top_reach", *rng.choice(others, size=min(n - 1, 3), replace=False)]
    else:
        chosen = list(rng.choice(others, size=min(n, 3), replace=False))
    order = rng.permutation(len(chosen))
    return [str(chosen[i]) for i in order]


def _set_sequence(rng: np.random.Generator, exercises: list[str]
                  ) -> tuple[list[tuple[str, str, int]], bool]:
    """(exercise, side, set number in its exercise) in order; and whether a superset."""
    n_ex = len(exercises)
    blocks: dict[str, list[tuple[str, str, int]]] = {}
    for ex in exercises:
        if n_ex <= 2:
            per_side = int(rng.choice([1, 2, 3], p=[0.25, 0.45, 0.3]))
        elif n_ex == 3:
            per_side = int(rng.choice([1, 2], p=[0.5, 0.5]))
        else:
            per_side = int(rng.choice([1, 2], p=[0.85, 0.15]))
        sides = ["left", "right"] if rng.random() < 0.5 else ["right", "left"]
        if ex == "sidelying_hip_er" and rng.random() < 0.6:
            seq = [(ex, sides[0], i) for i in range(per_side)]
            seq += [(ex, sides[1], per_side + i) for i in range(per_side)]
        else:
            seq = [(ex, sides[i % 2], i) for i in range(2 * per_side)]
        blocks[ex] = seq
    superset = ("single_leg_bridge" in blocks and "table_top_hip_er" in blocks
                and rng.random() < 0.3)
    out: list[tuple[str, str, int]] = []
    done: set[str] = set()
    for ex in exercises:
        if ex in done:
            continue
        if superset and ex in ("single_leg_bridge", "table_top_hip_er"):
            a, b = blocks["single_leg_bridge"], blocks["table_top_hip_er"]
            if ex == "table_top_hip_er":
                a, b = b, a
            for i in range(max(len(a), len(b))):
                out.extend(a[i:i + 1] + b[i:i + 1])
            done.update(("single_leg_bridge", "table_top_hip_er"))
        else:
            out.extend(blocks[ex])
            done.add(ex)
    return out, superset


# -------------------------------------------------------------------------- render


def _lowpass_noise(rng: np.random.Generator, n: int, fc: float) -> np.ndarray:
    b, a = signal.butter(2, fc, fs=FS)
    y = signal.lfilter(b, a, rng.standard_normal(n + int(4 * FS / fc)))[-n:]
    out: np.ndarray = y / max(float(np.std(y)), 1e-12)
    return out


def _slice(t0: float, t1: float, n: int) -> slice:
    return slice(min(max(int(np.ceil(t0 * FS)), 0), n), min(max(int(np.ceil(t1 * FS)), 0), n))


def _render_phase(x: np.ndarray, ph: _Phase) -> None:
    sl = _slice(ph.t0, ph.t1, len(x))
    if sl.stop <= sl.start:
        return
    u = (np.arange(sl.start, sl.stop) * DT - ph.t0) / (ph.t1 - ph.t0)
    x[sl] = ph.y0 + (ph.y1 - ph.y0) * np.interp(u, _U, ph.shape)


def _render_movement(sets: list[_Set], n: int) -> tuple[np.ndarray, np.ndarray]:
    """x(t) in mm above the pre-stretch, and a mask of the tops (for tremor)."""
    x = np.zeros(n)
    top_mask = np.zeros(n)
    for s in sets:
        for k, rep in enumerate(s.reps):
            _render_phase(x, rep.conc)
            sl = _slice(rep.conc.t1, rep.ecc.t0, n)
            x[sl] = rep.top
            top_mask[sl] = 1.0
            tt = np.arange(sl.start, sl.stop) * DT
            for b0, b1, amp in rep.bumps:
                x[sl] += amp * _bump(2.0 * (tt - b0) / (b1 - b0) - 1.0)
            if rep.hold is not None and sl.stop > sl.start:
                h = rep.hold
                t_a, t_b = rep.conc.t1, rep.ecc.t0
                u = tt - t_a
                taper = (_smootherstep(u / 0.6) * _smootherstep((t_b - tt) / 0.6))
                br = np.zeros_like(tt)
                for c0, c1, c2 in h["breaths"]:
                    m1 = (u >= c0) & (u < c1)
                    br[m1] = 0.5 - 0.5 * np.cos(np.pi * (u[m1] - c0) / (c1 - c0))
                    m2 = (u >= c1) & (u < c2)
                    br[m2] = 0.5 + 0.5 * np.cos(np.pi * (u[m2] - c1) / (c2 - c1))
                sway = _lowpass_noise(np.random.default_rng(h["sway_seed"]), len(tt), 0.3)
                x[sl] += taper * (h["breath_amp"] * br + h["sway_mm"] * sway)
                x[sl] += h["sag"] * _smootherstep(u / (t_b - t_a))
            _render_phase(x, rep.ecc)
            if k + 1 < len(s.reps):
                x[_slice(rep.ecc.t1, s.reps[k + 1].conc.t0, n)] = rep.floor1
    return x, top_mask


def _render_fidgets(fidgets: list[_Fidget], n: int, pre0: float, l0: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Additive elongation (mm), the pre-stretch (mm) and the effective band length (mm)."""
    d = np.zeros(n)
    pre = np.full(n, pre0)
    length = np.full(n, l0)
    t_all = np.arange(n) * DT

    def move(arr: np.ndarray, t0: float, t1: float, new: float) -> None:
        sl = _slice(t0, t1, n)
        old = float(arr[max(sl.start - 1, 0)])
        arr[sl] = old + (new - old) * _smootherstep((t_all[sl] - t0) / max(t1 - t0, 1e-9))
        arr[sl.stop:] = new

    for f in sorted(fidgets, key=lambda f: f.t0):
        sl = _slice(f.t0, f.t1, n)
        tt = t_all[sl]
        u = (tt - f.t0) / (f.t1 - f.t0)
        p = f.params
        if f.kind == "knock":
            d[sl] -= f.amplitude_mm * (_bump((u - 0.3) / 0.22) + 0.7 * _bump((u - 0.72) / 0.2))
        elif f.kind == "shake":
            d[sl] += f.amplitude_mm * _bump(2 * u - 1) * np.sin(
                2 * np.pi * p["hz"] * (tt - f.t0) + p["phi"])
        elif f.kind == "stretch":
            t_hold = f.t0 + p["up"] + p["hold"]
            uu = np.clip((tt - f.t0) / p["up"], 0, 1)
            ud = np.clip((tt - t_hold) / (f.t1 - t_hold), 0, 1)
            d[sl] += f.amplitude_mm * (np.interp(uu, _U, p["up_shape"])
                                       - np.interp(ud, _U, p["down_shape"]))
        elif f.kind == "roll":
            move(pre, f.t0, f.t1, p["new_pre"])
            move(length, f.t0, f.t1, float(length[sl.start]) * p["l_factor"])
            d[sl] += p["wobble"] * _bump(2 * u - 1) * np.sin(4 * np.pi * u)
        elif f.kind == "adjust":
            t_off = f.t0 + p["off"]
            t_on = t_off + p["slack"]
            move(pre, f.t0, t_off, p["slack_mm"])
            move(pre, t_on, f.t1, p["new_pre"])
            d[sl] += p["over"] * _bump((tt - (t_on + f.t1) / 2) / max((f.t1 - t_on) / 2, 1e-3))
        elif f.kind == "reposition":
            for c0, c1, amp in p["pulls"]:
                d[sl] += amp * _bump(2.0 * (tt - f.t0 - c0) / (c1 - c0) - 1.0)
            move(pre, f.t0 + 0.2 * (f.t1 - f.t0), f.t1 - 0.2 * (f.t1 - f.t0), p["new_pre"])
    return d, pre, length


# ---------------------------------------------------------------------------- band


@dataclass
class _Band:
    k0: float  # small-strain stiffness, N/mm
    lam_lock: float
    k1: float
    tau1: float
    k2: float
    tau2: float
    payne_inf: float
    payne_c: float
    payne_win_s: float
    ideal: bool


def _ab_force(e: np.ndarray, length: np.ndarray | float, band: _Band) -> np.ndarray:
    """Arruda-Boyce eight-chain uniaxial force (N) of elongation e >= 0 (mm)."""
    if band.ideal:
        out: np.ndarray = band.k0 * e
        return out
    lam = 1.0 + e / length
    lam_ch = np.sqrt((lam**2 + 2.0 / lam) / 3.0)

    def xi(lc: np.ndarray | float) -> np.ndarray | float:
        x = np.minimum(lc / band.lam_lock, 0.95)
        return x * (3.0 - x * x) / (1.0 - x * x) * band.lam_lock / (3.0 * lc)

    out = band.k0 * length / 3.0 * (lam - lam**-2) * xi(lam_ch) / xi(1.0)
    return out


def _band_force(e_b: np.ndarray, length: np.ndarray, band: _Band) -> np.ndarray:
    f = _ab_force(e_b, length, band)
    if band.ideal:
        return f
    strain = e_b / length
    w = max(int(band.payne_win_s * FS), 1)
    amp = maximum_filter1d(strain, size=w, origin=(w - 1) // 2, mode="nearest")  # causal
    g = band.payne_inf + (1.0 - band.payne_inf) / (1.0 + (amp / band.payne_c) ** 2)
    de = np.diff(e_b, prepend=e_b[0])
    for k, tau in ((band.k1, band.tau1), (band.k2, band.tau2)):
        a = np.exp(-DT / tau)
        u = k * g * de * tau / DT * (1.0 - a)
        f = f + signal.lfilter([1.0], [1.0, -a], u)
    out: np.ndarray = np.where(e_b > 0, np.maximum(f, 0.0), 0.0)
    return out


# -------------------------------------------------------------------------- sensors


def _play(x: np.ndarray, w: float) -> np.ndarray:
    """Play (backlash) operator of half-width w, by an associative scan of clamps."""
    lo, hi = x - w, x + w
    d = 1
    n = len(x)
    while d < n:
        new_lo = np.clip(lo[:-d], lo[d:], hi[d:])
        new_hi = np.clip(hi[:-d], lo[d:], hi[d:])
        lo[d:], hi[d:] = new_lo, new_hi
        d *= 2
    out: np.ndarray = np.clip(x[0], lo, hi)
    return out


def _load_cell(rng: np.random.Generator, f: np.ndarray, cfg: GenConfig,
               meta: dict[str, Any]) -> np.ndarray:
    n = len(f)
    y = f.copy()
    if cfg.creep:
        c, tau = float(rng.uniform(0.004, 0.015)), float(rng.uniform(20.0, 120.0))
        a = np.exp(-DT / tau)
        y += signal.lfilter([1.0 - a], [1.0, -a], c * f)
        meta["creep"] = {"frac": c, "tau_s": tau}
    if cfg.hysteresis:
        w = float(rng.uniform(0.5, 2.0))
        eta = float(rng.uniform(0.15, 0.4))
        weights = rng.dirichlet([2.0, 2.0, 2.0]) * eta
        for wk, scale in zip(weights, (0.3, 1.0, 2.5), strict=True):
            y += wk * (_play(f, w * scale) - f)
        meta["hysteresis_n"] = float(eta * w)
    sigma = float(rng.uniform(0.01, 0.05))
    y += np.cumsum(rng.normal(0.0, sigma * np.sqrt(DT), n))
    y += float(rng.uniform(-0.5, 0.5)) * np.arange(n) / n
    if cfg.sensor_lowpass:
        fc = float(rng.uniform(8.0, 30.0))
        b, a2 = signal.butter(2, fc, fs=FS)
        y, _ = signal.lfilter(b, a2, y, zi=signal.lfilter_zi(b, a2) * y[0])
        meta["sensor_lowpass_hz"] = fc
    return y


def _stretch_sensor(rng: np.random.Generator, e_b: np.ndarray) -> np.ndarray:
    tau = float(rng.uniform(0.3, 2.0))
    kappa = float(rng.uniform(0.03, 0.12))
    a = np.exp(-DT / tau)
    lp = signal.lfilter([1.0 - a], [1.0, -a], e_b, zi=[a * e_b[0]])[0]
    y = e_b + kappa * (e_b - lp)
    gain = float(rng.normal(1.0, 0.03))
    nu = float(rng.uniform(-0.05, 0.08))
    y = gain * (y + nu * y * y / 300.0) + float(rng.normal(0.0, 1.0))
    y += np.cumsum(rng.normal(0.0, 0.01 * np.sqrt(DT), len(y)))
    out: np.ndarray = y
    return out


def _device_instants(rng: np.random.Generator, total: float, rate: float, clean: bool,
                     cfg: GenConfig, meta: dict[str, Any]) -> np.ndarray:
    if clean:
        return np.arange(int(np.floor(total * rate))) / rate
    ppm = float(rng.uniform(-400.0, 400.0)) * 1e-6
    segs = [(0.0, total, rate)]
    if cfg.rate_switch and rng.random() < 0.4:
        a = float(rng.uniform(0.15, 0.55)) * total
        b = a + float(rng.uniform(0.1, 0.35)) * total
        fct = float(rng.choice([0.8, 5.0 / 6.0, 1.2, 1.25]))
        r2 = rate * fct if 20.0 <= rate * fct <= 200.0 else rate / fct
        segs = [(0.0, a, rate), (a, b, r2), (b, total, rate)]
        meta["rate_switch"] = {"from_s": a, "to_s": b, "rate_hz": r2}
    parts = []
    t = 0.0
    for _, e, r in segs:
        period = 1.0 / (r * (1.0 + ppm))
        k = int(np.floor((e - t) / period))
        parts.append(t + period * np.arange(k))
        t += period * k
    meta["crystal_ppm"] = ppm * 1e6
    return np.concatenate(parts)


class _Clock:
    """Host stamp function: physical time -> recording time (offset, resync sawtooth)."""

    def __init__(self, rng: np.random.Generator, total: float, offset: float,
                 enabled: bool) -> None:
        self.offset = offset
        if not enabled:
            self.tk = np.array([0.0])
            self.dk = np.array([0.0])
            self.ek = np.array([0.0])
            return
        tk = [0.0]
        while tk[-1] < total:
            tk.append(tk[-1] + float(rng.uniform(15.0, 60.0)))
        self.tk = np.array(tk)
        self.dk = rng.normal(0.0, 0.0015, len(tk))
        eps = float(rng.uniform(-500.0, 500.0)) * 1e-6
        self.ek = eps + rng.normal(0.0, 50e-6, len(tk))

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        k = np.clip(np.searchsorted(self.tk, t, side="right") - 1, 0, len(self.tk) - 1)
        out: np.ndarray = self.offset + t + self.dk[k] + self.ek[k] * (t - self.tk[k])
        return out


# ------------------------------------------------------------------------ generate


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    rng = np.random.default_rng(seed)  # the session plan
    rng_b, rng_n, rng_s, rng_l = (np.random.default_rng([seed, i]) for i in (21, 22, 23, 24))
    extra = cfg.extra
    clean = bool(extra.get("clean", False))
    still = bool(extra.get("still", False))
    fidgets_on = not bool(extra.get("no_fidgets", False))
    rate = float(cfg.rate_hz)

    w_c = rng.dirichlet([1.5, 1.5, 1.5])
    w_e = rng.dirichlet([1.5, 1.5, 2.0])
    person = _Person(
        tempo=float(np.exp(rng.normal(0.0, 0.2))),
        fam_conc=w_c, fam_ecc=w_e,
        breath_sync=bool(rng.random() < 0.6),
        breath_period=float(rng.uniform(3.0, 5.5)),
        tension_prob=float(rng.uniform(0.0, 0.5)),
        fatigue=float(rng.uniform(0.2, 0.7)),
        no_pause_prob=float(rng.uniform(0.0, 0.8)),
        tremor_mm=0.0 if still else float(rng.uniform(0.01, 0.04)),
        tremor_hz=float(rng.uniform(7.0, 12.0)),
        sway_mm=0.0 if still else float(rng.uniform(0.3, 1.5)),
        rest_scale=float(rng.uniform(0.8, 1.25)),
    )
    exercises = _choose_exercises(rng, cfg)
    seq, superset = _set_sequence(rng, exercises)
    has_stretch = (cfg.has_stretch if cfg.has_stretch is not None
                   else bool(rng.random() < 0.5))
    r_typ = float(np.mean([np.mean(EXERCISES[e].range_mm) for e in exercises]))

    sets: list[_Set] = []
    fidgets: list[_Fidget] = []
    pre0 = float(rng.uniform(4.0, 40.0))
    pre = pre0
    t = float(rng.uniform(3.0, 10.0))
    fail_counts: dict[str, int] = {}
    prev: tuple[str, str] | None = None
    for i, (ex_name, side, k_in_ex) in enumerate(seq):
        ex = EXERCISES[ex_name]
        if prev is not None:
            change = prev[0] != ex_name or (ex_name == "sidelying_hip_er" and prev[1] != side)
            if change and not superset:
                rest = float(rng.uniform(25.0, 70.0))
            elif superset and ex_name in ("single_leg_bridge", "table_top_hip_er"):
                rest = float(rng.uniform(10.5, 25.0))
            else:
                rest = max(float(rng.uniform(12.0, 45.0)) * person.rest_scale, 10.5)
            if change:
                rest = max(rest, 14.0)
            end_prev = sets[-1].end
            if fidgets_on:
                first = "reposition" if change and rest >= 18.0 else None
                fs, pre = _place_fidgets(rng, end_prev + 1.5, end_prev + rest - 1.5,
                                         r_typ, pre, first)
                fidgets.extend(fs)
            t = end_prev + rest
        if ex.kind == "hold":
            s = _plan_hold(rng, person, ex, i, side, t, still)
        else:
            if ex.failure:
                if side not in fail_counts:
                    fail_counts[side] = int(rng.integers(8, 19))
                else:
                    fail_counts[side] = max(5, int(fail_counts[side] * rng.uniform(0.72, 0.95)))
                n_full = fail_counts[side]
            else:
                n_full = 10 if rng.random() < 0.8 else int(rng.choice([8, 9, 11, 12]))
            s = _plan_rep_set(rng, person, ex, i, side, t, n_full, cfg, still, fidgets)
        del k_in_ex
        sets.append(s)
        prev = (ex_name, side)
    total = sets[-1].end + float(rng.uniform(3.0, 10.0))
    if fidgets_on and total - sets[-1].end > 4.0 and rng.random() < 0.3:
        fs, pre = _place_fidgets(rng, sets[-1].end + 1.5, total - 1.0, r_typ, pre, None)
        fidgets.extend(fs)

    # ---------------------------------------------------------------- physics
    n = int(np.ceil(total * FS)) + 1
    t_grid = np.arange(n) * DT
    x, top_mask = _render_movement(sets, n)
    l0 = float(rng_b.uniform(250.0, 400.0))
    d_f, pre_arr, length = _render_fidgets(fidgets, n, pre0, l0)
    sway = np.zeros(n)
    tremor = np.zeros(n)
    if not still:
        rest_mask = np.ones(n)
        for s in sets:
            rest_mask[_slice(s.start - 1.5, s.end + 1.5, n)] = 0.0
        win = np.hanning(int(FS)) / np.hanning(int(FS)).sum()
        rest_mask = np.convolve(rest_mask, win, mode="same")
        sway = person.sway_mm * rest_mask * _lowpass_noise(rng_b, n, 0.4)
        b, a = signal.iirpeak(person.tremor_hz, float(rng_b.uniform(3.0, 6.0)), fs=FS)
        tr = signal.lfilter(b, a, rng_b.standard_normal(n))
        tremor = person.tremor_mm * (1.0 + 2.0 * top_mask) * tr / max(float(np.std(tr)), 1e-12)
    e_total = pre_arr + x + d_f + sway + tremor
    e_b = np.maximum(e_total, 0.0)
    ideal = bool(extra.get("ideal_band", False))
    k0 = float(rng_b.uniform(0.08, 0.3))
    band = _Band(k0=k0, lam_lock=float(rng_b.uniform(2.2, 3.5)),
                 k1=k0 * float(rng_b.uniform(0.1, 0.25)), tau1=float(rng_b.uniform(0.08, 0.4)),
                 k2=k0 * float(rng_b.uniform(0.04, 0.12)), tau2=float(rng_b.uniform(3.0, 25.0)),
                 payne_inf=float(rng_b.uniform(0.4, 0.7)),
                 payne_c=float(rng_b.uniform(0.2, 0.5)),
                 payne_win_s=float(rng_b.uniform(20.0, 60.0)), ideal=ideal)
    f_band = _band_force(e_b, length, band)

    # ---------------------------------------------------------------- sensors and link
    meta: dict[str, Any] = {}
    if cfg.time_offset_s is not None:
        offset = float(cfg.time_offset_s)
    else:
        u = rng_l.random()
        offset = (0.0 if u < 0.3 else float(rng_l.uniform(5.0, 4000.0)) if u < 0.8
                  else 1.7e9 + float(rng_l.uniform(0.0, 3e7)))
    t_dev = _device_instants(rng_l, total - 2 * DT, rate, clean, cfg, meta)
    clock = _Clock(rng_l, total, offset, cfg.clock_resync and not clean)
    if clean:
        stamps = offset + t_dev
        force = np.interp(t_dev, t_grid, f_band)
        stretch = np.interp(t_dev, t_grid, e_b) if has_stretch else None
        keep_idx = np.arange(len(t_dev))
        gaps: list[dict[str, Any]] = []
        drops: list[tuple[float, float]] = []
    else:
        stamps = np.maximum.accumulate(np.round(clock(t_dev), 3))
        lc = _load_cell(rng_n, f_band, cfg, meta)
        force = np.interp(t_dev, t_grid, lc)
        force = force * float(rng_n.normal(1.0, 0.015)) + float(rng_n.normal(0.0, 1.5))
        force += rng_n.normal(0.0, float(rng_n.uniform(0.03, 0.2)), len(force))
        lsb = float(rng_n.uniform(300.0, 1000.0)) / 2**23
        force = np.round(force / lsb) * lsb
        m = len(force)
        n_stuck = rng_n.poisson(cfg.stuck_per_min * total / 60.0)
        for _ in range(n_stuck):
            i0 = int(rng_n.integers(1, max(m - 31, 2)))
            force[i0:i0 + int(rng_n.integers(2, 31))] = force[i0 - 1]
        meta["stuck_runs"] = int(n_stuck)
        meta["tare_s"] = None
        if rng_n.random() < cfg.tare_prob and len(sets) > 1:
            j = int(rng_n.integers(0, len(sets) - 1))
            t_tare = float(rng_n.uniform(sets[j].end + 2.0, sets[j + 1].start - 2.0))
            busy = any(f.t0 - 0.5 < t_tare < f.t1 + 0.5 for f in fidgets)
            if not busy:
                i_t = int(np.searchsorted(t_dev, t_tare))
                force[i_t:] -= force[i_t]
                meta["tare_s"] = float(clock(t_tare))
        force = np.round(force, 2)
        if has_stretch:
            st = np.interp(t_dev, t_grid, _stretch_sensor(rng_s, e_b))
            st += rng_s.normal(0.0, float(rng_s.uniform(0.1, 0.4)), len(st))
            stretch = np.round(st / 0.05) * 0.05
        else:
            stretch = None
        # packets
        npk = max(1, round(rate * float(rng_l.uniform(0.02, 0.06))))
        pid = np.arange(m) // npk
        n_p = int(pid[-1]) + 1
        lost_p = np.zeros(n_p, dtype=bool)
        if cfg.packet_loss:
            p_loss = float(rng_l.uniform(0.3, 3.0)) / 60.0 * npk / rate  # 0.3-3 a minute
            lost_p = rng_l.random(n_p) < p_loss
            for _ in range(2):
                lost_p[1:] |= lost_p[:-1] & (rng_l.random(n_p - 1) < 0.4)
        lost = lost_p[pid]
        drops = []
        for _ in range(rng_l.poisson(cfg.disconnects_per_min * total / 60.0)):
            t_drop = float(rng_l.uniform(5.0, max(total - 8.0, 6.0)))
            dur = float(rng_l.uniform(0.5, 3.0))
            lost |= (t_dev >= t_drop) & (t_dev < t_drop + dur)
            drops.append((float(clock(t_drop)), dur))
        lost[0] = lost[-1] = False
        dup_p = (rng_l.random(n_p) < float(rng_l.uniform(0.003, 0.015))) if cfg.duplicates \
            else np.zeros(n_p, dtype=bool)
        counts = np.where(lost, 0, np.where(dup_p[pid], 2, 1))
        keep_idx = np.repeat(np.arange(m), counts)
        meta["duplicated_samples"] = int(np.sum(counts == 2))
        gaps = []
        edges = np.diff(np.concatenate(([0], lost.astype(np.int8), [0])))
        for a0, a1 in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            gaps.append({"start_s": float(stamps[a0]), "end_s": float(stamps[a1 - 1]),
                         "samples": int(a1 - a0)})
    time_s = np.asarray(stamps[keep_idx], dtype=float)
    force_n = np.asarray(force[keep_idx], dtype=float)
    stretch_mm = None if stretch is None else np.asarray(stretch[keep_idx], dtype=float)

    # ---------------------------------------------------------------- truth
    def tm(t_phys: float) -> float:
        return float(offset + t_phys) if clean else float(clock(t_phys))

    def at(arr: np.ndarray, t_phys: float) -> float:
        return float(np.interp(t_phys, t_grid, arr))

    t_sets: list[dict[str, Any]] = []
    t_reps: list[dict[str, Any]] = []
    t_holds: list[dict[str, Any]] = []
    for s in sets:
        full = [r for r in s.reps if not r.partial]
        t_sets.append({
            "index": s.index, "kind": s.kind, "side": s.side, "start_s": tm(s.start),
            "end_s": tm(s.end), "rep_count": 0 if s.kind == "hold" else len(full),
            "partial_count": 0 if s.kind == "hold" else len(s.reps) - len(full),
            "exercise": s.exercise, "to_failure": s.to_failure,
            "pre_tension_n": at(f_band, s.start - 0.5),
        })
        for r in s.reps:
            t0, t1, t2, t3 = (tm(r.conc.t0), tm(r.conc.t1), tm(r.ecc.t0), tm(r.ecc.t1))
            sl = _slice(r.conc.t0, r.ecc.t1, n)
            if s.kind == "hold":
                t_holds.append({
                    "set": s.index, "start_s": t0, "end_s": t3, "duration_s": t2 - t1,
                    "top_start_s": t1, "top_end_s": t2, "side": s.side,
                    "mean_force_n": float(np.mean(f_band[_slice(r.conc.t1, r.ecc.t0, n)])),
                })
                continue
            t_reps.append({
                "index": len(t_reps), "set": s.index, "start_s": t0, "top_start_s": t1,
                "top_end_s": t2, "end_s": t3, "concentric_s": t1 - t0, "pause_s": t2 - t1,
                "eccentric_s": t3 - t2, "partial": r.partial,
                "peak_force_n": float(np.max(f_band[sl])) if sl.stop > sl.start else 0.0,
                "range_mm": float(r.range_mm), "floor_start_mm": float(r.floor0),
                "floor_end_mm": float(r.floor1), "side": s.side,
                "concentric_profile": r.conc.family, "eccentric_profile": r.ecc.family,
            })
    t_fidgets = [{"kind": f.kind, "start_s": tm(f.t0), "end_s": tm(f.t1),
                  "amplitude_mm": float(f.amplitude_mm)} for f in fidgets]
    meta.update({
        "model": "gen_model_f", "seed": int(seed), "rate_hz": rate, "time_offset_s": offset,
        "has_stretch": bool(has_stretch), "clean": clean, "still": still,
        "exercises": exercises, "superset": bool(superset), "duration_s": float(total),
        "person": {"tempo": person.tempo, "breath_sync": person.breath_sync,
                   "breath_period_s": person.breath_period, "fatigue": person.fatigue},
        "band": {"k0_n_per_mm": band.k0, "length_mm": l0, "lam_lock": band.lam_lock,
                 "ideal": ideal},
        "resyncs": int(len(clock.tk) - 1),
    })
    truth = {"sets": t_sets, "reps": t_reps, "holds": t_holds, "fidgets": t_fidgets,
             "gaps": gaps, "link_drops": drops, "metadata": meta}
    return Generated(time_s=time_s, force_n=force_n, stretch_mm=stretch_mm, truth=truth)
