"""A tenth, independent band-and-movement model (gen_model_j): EMG bursts, a capacitive pad, SPP.

Written WITHOUT looking at how bandsense analyses a recording and never run against the
analysis nor tuned to it. Read for it: the seed text
(``/work/shared/seeds/glute-exercises-for-lower-back-pain.txt``), ``analysis/scoring.py``,
``firmware_sim/truth.py``, ``tests/analysis/truth_checks.py``, the module docstrings of
``gen_model.py`` and ``gen_model_c.py`` to ``gen_model_i.py`` (to choose different modelling in
every part) and the public interface and truth layout of ``gen_model_i.py`` (mirrored here:
``GenConfig``, ``Generated``, ``generate`` and the keys of the truth dict).

- movement (motor control): every phase is driven by the *triphasic agonist/antagonist burst
  pattern* of fast and moderate single-joint movements (Wachholder, Hallett; Gottlieb, Corcos &
  Agarwal's *dual-strategy* hypothesis). The net joint torque is the agonist burst minus the
  antagonist (braking) burst, each a smooth-edged rectangular envelope with a low-pass random
  amplitude modulation (the noisy EMG envelope), both filtered by the muscle's *twitch*: a
  compact beta-shaped impulse response (0.1-0.25 s, at most a quarter of the phase, so the
  torque, the velocity and the acceleration start and end at zero). The limb is a pure
  inertia (the tonic "step" holding the band is not part of the phasic pulse), the
  antagonist impulse equals the agonist's, so
  the phase ends exactly at rest when the last twitch has decayed; the antagonist never leads
  the agonist's cumulative impulse, so the path is monotone. Bursts scale with the phase
  (speed-insensitive people: burst widths are fractions of the phase) or keep their absolute
  width (speed-sensitive people: slow phases get a coasting plateau). Variants: *co-contracted*
  phases (the antagonist overlaps the agonist, a late second agonist burst damps the stop) and
  *hesitant* phases (the agonist pauses, a small brake burst mid-way: the velocity dips without
  stopping). Concentric and eccentric have their own burst timing (the lowering has a long
  braking burst: "gently bring your hips back down"). The position is the band's elongation
  above its pre-stretch, in mm.
- rep timing: per-rep tempo fluctuations are *fractional Gaussian noise* across the reps of a set
  (Hurst 0.6-0.9: the 1/f-like drift of human self-paced timing); the rests at the bottom
  follow a two-state *Markov-modulated* process ("flow": short bottoms or back to back,
  "reset": 0.8-2.4 s to re-brace), a reset follows every aborted rep.
- fatigue: *velocity-based-training* relations. A set's capacity is the Brzycki repetitions-to-
  failure ``37 - 36 L`` at the person's relative load ``L`` of the exercise and side; the share
  of the capacity done so far, ``r``, slows the concentric linearly (velocity loss 30-55 % at
  failure), shrinks the range near failure (up to 10-30 %), shortens the pause and quickens the
  lowering. Residual fatigue of a side decays exponentially between sets (tau 60-200 s) and
  lowers the next capacity. Holds use *Rohmert's endurance curve* ``ET = 1236.5 / (100 f -
  15)^0.618 - 72.5`` s at the hold's share ``f`` of the maximal force: sag and tremor grow with
  ``t / ET``. Sets to failure (side-lying hip external rotation, "as many reps as you can")
  go on until ``r = 1`` (at least 3 reps), then 1-3 failed attempts (15-42 % of the median
  range, decreasing). Ordinary sets have 10 reps (sometimes miscounted 9 or 11) with aborted
  reps at ``partial_prob`` (15-42 % of the median range). Some sets keep a little tension
  between reps (a floor of 3-10 % of the range).
- at the top (not ``still``): pauses of 0.4 s or more carry a glute *squeeze* (a smooth
  ``sin^4`` bump of 0.5-4 % of the range in 70 % of people: "feel the contraction"); tremor
  is a *mechanical-reflex* tremor: white motor noise through the limb's second-order
  mechanics closed by a delayed stretch-reflex loop (gain 0.3-0.8, delay 20-35 ms, a
  second-order muscle low-pass), the transfer function applied by FFT and high-passed at 3
  Hz; it scales with the square of the lift and grows with fatigue. Everywhere a tiny
  *ballistocardiographic* heartbeat (I-J-K wavelet at the heart rate, which rises during
  sets and recovers in rests); in rests a slow postural wander, faded out near every set.
- holds (table-top reach while blowing up a balloon): 3-8 breaths; each exhale into the
  balloon *braces* the trunk and tucks the pelvis (a 1 - exp approach of 0.5-3 mm, hardest on
  the first breath), the inhale releases it; plus a Rohmert sag and the growing tremor, all
  tapered to zero (with zero velocity) at the ends of the hold. The top is reached and left by
  burst-driven phases like any rep.
- band: a latex loop as the *extended tube model* of rubber elasticity (Kaliske & Heinrich:
  a crosslink term with finite extensibility ``delta`` and a tube-constraint term ``Ge``,
  exponent ``beta``) in uniaxial tension, scaled to an initial stiffness of 0.12-0.35 N/mm;
  slack (zero force) for a total elongation <= 0. Linear viscoelasticity with a
  *Havriliak-Negami* complex modulus ``G*(w) = 1 + g (1 - (1 + (i w tau)^a)^-b)`` applied to
  the elastic force in the frequency domain (rFFT, padded with a smooth ramp). The sensor
  sits on one strand: the band slides over the knees with *capstan friction* (Euler-
  Eytelwein): the strand's tension is ``T exp(mu theta s)``, ``s`` in [-1, 1] from the skin's
  elastic shear before slip (a play operator of 1-4 mm on the elongation), so the measured
  tension depends on the direction the band last slid.
- force sensor: a *capacitive* pad (an elastomer dielectric between two electrodes) read by
  *charge-transfer* acquisition: the count of transfer cycles that charge a sampling capacitor
  (10-22 nF) to the comparator threshold, ``N = -ln(1 - Vth/Vdd) / ln(1 + Cx/Cs)``, averaged
  over 8-32 acquisitions with comparator noise. The dielectric's gap closes non-linearly with
  the load (``1 - exp``) and creeps (a standard-linear-solid retardation, 3-10 %, tau 1-6 s);
  the electrode sees the *body's parasitic capacitance*, which changes with the posture, a
  sweat/humidity drift of the permittivity over the session and a temperature term. Faults:
  touches of the pad (a hand while handling the phone, a knee brushing it: the capacitance
  jumps), acquisition *timeouts* (one acquisition of the average hits the 4095 cap: a reading
  far too low). The firmware inverts the count with nominal constants and a calibration (a few
  % off), tares at power-on (sometimes with the band already on) and prints 1 or 2 decimals.
- stretch (about half the recordings): a *magnetometer pair* (3-4 cm apart) in a clip on one
  side of the band measures the axial field of a magnet in a clip on the other side (a
  dipole, ``B ~ m / r^3``) over the span ``r0 + kappa e``; the firmware uses the difference of
  the pair (a gradiometer) so the earth's field, which changes with the posture and rotates
  with the thigh during the movement, is cancelled only up to the pair's 1-4 % mismatch; a
  drifting hard-iron offset, noise, the chips' digital low-pass, 0.1 uT steps and saturation
  at 800 uT. The firmware calibrates the offset at power-on and inverts the difference law
  with calibration errors (0.1 mm steps): the errors grow with the distance; the reading is
  negative when the band is slack.
- link and time axis: Bluetooth Classic *SPP* (an HC-05-style module on the MCU's UART) carrying
  a *text* line per sample (``counter,force[,stretch]``). The device samples on its crystal
  (+-100 ppm); lines queue in the module's TX FIFO (256-1024 bytes) and leave at the radio's
  throughput (a Lindley queue); *radio stalls* (retransmissions, log-normal 0.05-3 s) hold the
  queue, the FIFO overflows and drops the newest lines (the line cut at the overflow merges
  with the next one: the host rejects it); *UART byte drops* (baud-rate error) delete one byte
  of a line: a lost digit or decimal point gives a wrong value (a spike), a lost separator or
  counter digit a rejected line; *disconnects* (2-8 s) lose everything in flight. The host
  reads the serial port every 4-16 ms (plus OS hiccups) and time-stamps each read chunk with a
  second-order *delay-locked loop* (Adriaensen's DLL, bandwidth 0.05-0.4 Hz) on the arrival
  times: a backlog burst (more than 4 lines) or a read over 40 ms late coasts on the sample
  counter, data over 0.5 s early re-locks it; the samples of a chunk are back-dated by the
  DLL's period from the counter; the
  stamps are made strictly increasing and kept to the microsecond. The axis starts at an
  offset (0, an uptime or an epoch).
- session: 2-4 of the seed exercises (the hold exercise in about 65 %), in the article's order
  or shuffled: side-lying hip ER to failure (sides blocked, or alternating with a turn-over
  each set), single-leg bridge ~10 with a pause at the top, table-top reach holds, table-top
  hip ER ~10 with a brief pause (legs alternating or blocked); 1-3 sets a side depending on the
  number of exercises. Three workout formats: ``free`` (self-paced Weibull rests), ``video``
  (a follow-along video's fixed rests of 15-40 s plus the person's lag, now and then the video
  paused for a long break) and ``emom`` (every minute on the minute: a set starts on a minute
  mark). Rests are at least 12 s, longer when changing exercise or turning over. Fidgets in
  rests (never within 1.5 s of a set): ``pet`` (a dog paws and tugs the band: sharp irregular
  jerks, sometimes a shaking tug of war), ``child`` (a child pulls the band far and lets go),
  ``phone`` (reaching for the phone: a small shift and a hand touching the sensor pad),
  ``getup`` (getting up: the band slack for a while, then a new pre-stretch), ``untwist``
  (the band pulled off a knee, untwisted and put back: a new pre-stretch) and ``transition``
  (turning over / changing exercise: irregular pulls, the new posture's pre-stretch).

Truth conventions (times on the recording's own axis: ``metadata["time_offset_s"]`` plus the
host DLL's stamp of the physical instant, interpolated between the samples' stamps; the
recorded stamps are exactly those of the samples): a rep's ``start_s`` is the onset of
movement (the first agonist twitch leaves rest), ``top_start_s`` the arrival at the top (the
last antagonist twitch has decayed: velocity zero), ``top_end_s`` the departure (the lowering's
first twitch), ``end_s`` back at rest. Reps turning without a pause have ``top_start_s ==
top_end_s``. ``range_mm`` is the elongation at ``top_start_s`` minus that at ``start_s`` (without
tremor); ``floor_start_mm``/``floor_end_mm`` the elongation above the pre-stretch at start and
end. Partial reps (range under half the median range of the full reps of their set) are in
``reps`` with ``partial`` True and not counted in ``rep_count``. Hold sets have ``kind`` "hold",
``rep_count`` 0 and their hold only in ``holds`` (``duration_s = top_end_s - top_start_s``, at
least 8 s). Sets are >= 12 s apart; reps of a set < 3 s apart. Fidgets have ``kind``,
``start_s``, ``end_s`` and ``amplitude_mm``. Gaps list the first and last *missing* sample
stamps and their number; ``link_drops`` the disconnects (at, duration).

``GenConfig.extra``: ``clean`` (ideal sensor and link: exact uniform stamps at the configured
rate from the physical time, the exact strand force and elongation (negative when slack), no
sensor, stall, loss, corruption or DLL effects), ``still`` (no tremor, squeeze, breathing
bracing, hold sag, heartbeat or rest wander), ``ideal_band`` (the extended tube law only: no
viscoelasticity, no capstan friction), ``no_fidgets``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal

FS = 400.0  # internal grid of the physics (Hz)
DT = 1.0 / FS
_M = 1200  # points of a phase's own profile table


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
    load: float  # relative load (share of the maximal force)


EXERCISES: dict[str, _Exercise] = {
    "sidelying_hip_er": _Exercise(
        "sidelying_hip_er", "reps", "side", (80.0, 200.0), (0.5, 1.1), (0.05, 0.5), 0.6,
        (0.6, 1.4), 0, True, 0.5),
    "single_leg_bridge": _Exercise(
        "single_leg_bridge", "reps", "supine", (30.0, 90.0), (0.7, 1.4), (0.5, 2.0), 0.0,
        (1.0, 2.2), 10, False, 0.33),
    "table_top_reach": _Exercise(
        "table_top_reach", "hold", "quad", (60.0, 160.0), (1.0, 2.2), (0.0, 0.0), 0.0,
        (0.9, 1.8), 0, False, 0.28),
    "table_top_hip_er": _Exercise(
        "table_top_hip_er", "reps", "quad", (70.0, 180.0), (0.6, 1.2), (0.2, 1.0), 0.05,
        (0.8, 1.6), 10, False, 0.3),
}
ORDER = ("sidelying_hip_er", "single_leg_bridge", "table_top_reach", "table_top_hip_er")
FIDGET_KINDS = ("pet", "child", "phone", "getup", "untwist", "transition")
FORMATS = ("free", "video", "emom")


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # number of exercises; None: 2-4
    hold_exercise: bool | None = None  # None: the hold exercise in about 65 % of sessions
    has_stretch: bool | None = None  # None: about half the recordings
    partial_prob: float = 0.03  # aborted reps in ordinary sets (failure adds its own)
    loss_scale: float = 1.0  # multiplies radio stalls and UART byte drops
    stalls_per_min: float = 1.0  # radio stalls (the TX FIFO may overflow)
    link_drops_per_hour: float = 6.0  # SPP disconnects
    corruptions_per_min: float = 0.4  # UART byte drops (wrong values or rejected lines)
    timeouts_per_min: float = 0.3  # charge-transfer acquisition timeouts (a reading far low)
    touches_per_min: float = 0.2  # a knee or hand brushing the pad (besides ``phone``)
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
    """Smootherstep on [0, 1] (zero velocity and acceleration at both ends)."""
    x = np.clip(u, 0.0, 1.0)
    out: np.ndarray = x ** 3 * (10.0 - 15.0 * x + 6.0 * x ** 2)
    return out


def _taper(tau: np.ndarray, dur: float, ramp: float) -> np.ndarray:
    """1 inside ``[0, dur]`` away from its ends, 0 at the ends (zero slope)."""
    r = max(min(ramp, 0.5 * dur), 1e-6)
    out: np.ndarray = _smoother(tau / r) * _smoother((dur - tau) / r)
    return out


def _keyframes(tau: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Piecewise smootherstep through key values (zero velocity at every key)."""
    k = np.clip(np.searchsorted(times, tau, side="right") - 1, 0, len(times) - 2)
    u = (tau - times[k]) / np.maximum(times[k + 1] - times[k], 1e-9)
    out: np.ndarray = values[k] + (values[k + 1] - values[k]) * _smoother(u)
    return out


def _lowpass_noise(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Unit-sd noise smoothed by a Hann window of ``width`` samples."""
    w = np.hanning(max(width, 3))
    raw = rng.standard_normal(n + len(w))
    if n * len(w) > 2_000_000:
        x = signal.fftconvolve(raw, w / w.sum(), mode="same")[:n]
    else:
        x = np.convolve(raw, w / w.sum(), mode="same")[:n]
    sd = float(np.std(x))
    out: np.ndarray = x / sd if sd > 0 else x
    return out


def _fgn(rng: np.random.Generator, n: int, hurst: float) -> np.ndarray:
    """Fractional Gaussian noise (unit variance) by Cholesky of its covariance."""
    if n <= 1:
        return rng.standard_normal(max(n, 0))
    k = np.arange(n, dtype=np.float64)
    h2 = 2.0 * hurst
    gam = 0.5 * (np.abs(k + 1) ** h2 - 2.0 * k ** h2 + np.abs(k - 1) ** h2)
    cov = gam[np.abs(k[:, None] - k[None, :]).astype(np.int64)]
    chol = np.linalg.cholesky(cov + 1e-10 * np.eye(n))
    out: np.ndarray = chol @ rng.standard_normal(n)
    return out


def _idx(t0: float, t1: float, n: int) -> slice:
    """Grid indices with ``t0 <= t <= t1``."""
    return slice(max(math.ceil(t0 * FS - 1e-9), 0), min(math.floor(t1 * FS + 1e-9) + 1, n))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of the runs of True."""
    if not np.any(mask):
        return []
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


# ------------------------------------------------------------------------ movement


@dataclass
class _Burst:
    """Timing of a phase's burst pattern (fractions of the phase's drive window)."""

    ag: float  # agonist width
    ant: float  # antagonist width
    overlap: float  # agonist still on after the antagonist's onset (co-contraction), 0: none
    ag2: float  # a late second agonist burst (share of the agonist impulse), 0: none
    hesitate: bool
    rise: float  # edge ramp of the envelopes (share of the width)
    twitch_a: float
    twitch_b: float


def _envelope(u: np.ndarray, a: float, b: float, rise: float) -> np.ndarray:
    """Smooth-edged rectangle on ``[a, b]``."""
    w = max(b - a, 1e-6)
    r = max(rise * w, 1e-4)
    out: np.ndarray = _smoother((u - a) / r) * _smoother((b - u) / r)
    return out


def _phase_profile(rng: np.random.Generator, burst: _Burst, twitch_frac: float,
                   mod_depth: float, depth: int = 0) -> np.ndarray:
    """Normalised position (0 -> 1, monotone, flat at both ends) on ``_M`` points of [0, 1]."""
    u = np.linspace(0.0, 1.0, _M)
    du = u[1] - u[0]
    drive_end = 1.0 - twitch_frac
    ud = u / drive_end  # drive time as a share of the drive window
    # the antagonist ends the drive window; the agonist starts it
    ant_w = float(np.clip(burst.ant, 0.15, 0.8))
    ant_start = 1.0 - ant_w
    if burst.overlap > 0.0:
        ag_end = min(ant_start + burst.overlap, 0.9)
    else:
        ag_end = max(min(burst.ag, ant_start), 0.1)
    mod_a = 1.0 + mod_depth * _lowpass_noise(rng, _M, _M // 6)
    mod_b = 1.0 + mod_depth * _lowpass_noise(rng, _M, _M // 6)
    ag = _envelope(ud, 0.0, ag_end, burst.rise) * np.clip(mod_a, 0.3, None)
    ant_brake = np.zeros(_M)
    if burst.hesitate:
        # the agonist pauses mid-way; a small brake burst slows the limb without stopping it
        c = ag_end * rng.uniform(0.4, 0.6)
        gap = ag_end * rng.uniform(0.12, 0.22)
        ag = ag * (1.0 - _envelope(ud, c - 0.5 * gap, c + 0.5 * gap, 0.3))
        ant_brake = _envelope(ud, c - 0.4 * gap, c + 0.4 * gap, 0.4)
    ant = _envelope(ud, ant_start, ant_start + ant_w, burst.rise) * np.clip(mod_b, 0.3, None)
    if burst.ag2 > 0.0:
        s2 = ant_start + ant_w * rng.uniform(0.55, 0.8)
        ag = ag + burst.ag2 * ag.sum() / max(ant_w * 0.35 * _M, 1.0) * _envelope(
            ud, s2, min(s2 + 0.35 * ant_w, 1.0), 0.4)
    ag[ud > 1.0] = 0.0
    ant[ud > 1.0] = 0.0
    ant_brake[ud > 1.0] = 0.0
    cum_ag = np.cumsum(ag)
    if burst.hesitate and ant_brake.sum() > 0:
        k = int(np.argmax(ant_brake > 0))
        ant_brake *= rng.uniform(0.3, 0.7) * cum_ag[k + int(np.sum(ant_brake > 0)) // 2] / (
            ant_brake.sum())
    total_ant = cum_ag[-1] - ant_brake.sum()
    ant *= total_ant / max(ant.sum(), 1e-12)
    net = ag - ant - ant_brake
    vel0 = np.cumsum(net)
    if vel0.min() < -1e-9 * cum_ag[-1]:
        # the antagonist would reverse the limb: no co-contraction, no late agonist
        return _phase_profile(rng, _Burst(burst.ag, burst.ant, 0.0, 0.0,
                                          burst.hesitate and depth == 0, burst.rise,
                                          burst.twitch_a, burst.twitch_b),
                              twitch_frac, mod_depth, depth + 1)
    nk = max(round(twitch_frac / du), 4)
    s = np.linspace(0.0, 1.0, nk + 1)
    kern = s ** burst.twitch_a * (1.0 - s) ** burst.twitch_b
    torque = np.convolve(net, kern / kern.sum())[: _M]
    vel = np.maximum(np.cumsum(torque), 0.0)
    vel[ud >= 1.0 + (nk + 1) * du / drive_end] = 0.0
    pos = np.cumsum(vel)
    pos = pos - pos[0]
    out: np.ndarray = pos / pos[-1]
    out[0] = 0.0
    out[-1] = 1.0
    return np.maximum.accumulate(out)


@dataclass
class _PhaseStyle:
    ag: float
    ant: float
    cocontract_p: float
    rise: float
    twitch_a: float
    twitch_b: float


@dataclass
class _ExPerson:
    conc: float
    pause: float
    ecc: float
    turns: bool
    range_mm: float
    rest_flow: float
    rest_reset: float


@dataclass
class _Person:
    tempo: float
    strategy: str  # "width" (speed-insensitive) or "height" (speed-sensitive)
    abs_burst_s: float
    conc_style: _PhaseStyle
    ecc_style: _PhaseStyle
    twitch_s: float
    mod_depth: float
    hesitate_p: float
    hurst: float
    tempo_sd: float
    p_flow_reset: float
    p_reset_flow: float
    vl_max: float
    rl_max: float
    strength: dict[str, float]
    rec_tau: float
    residual: float
    fidget_per_min: float
    tremor_mm: float
    heart_mm: float
    hr_rest: float
    squeeze: float
    floor_p: float
    brace_mm: float
    wander_mm: float
    ex: dict[str, _ExPerson]


def _person(rng: np.random.Generator) -> _Person:
    tempo = float(np.exp(rng.normal(0.0, 0.15)))

    def style(conc: bool) -> _PhaseStyle:
        if conc:
            ag, ant = rng.uniform(0.35, 0.6), rng.uniform(0.25, 0.45)
        else:
            ag, ant = rng.uniform(0.2, 0.4), rng.uniform(0.4, 0.65)
        return _PhaseStyle(ag, ant, rng.uniform(0.0, 0.45), rng.uniform(0.08, 0.3),
                           rng.uniform(1.2, 2.2), rng.uniform(1.5, 2.5))

    ex: dict[str, _ExPerson] = {}
    for name, e in EXERCISES.items():
        ex[name] = _ExPerson(
            conc=rng.uniform(*e.conc_s) * tempo,
            pause=rng.uniform(*e.pause_s) * tempo,
            ecc=rng.uniform(*e.ecc_s) * tempo,
            turns=bool(rng.random() < e.turn_p),
            range_mm=rng.uniform(*e.range_mm),
            rest_flow=rng.uniform(0.0, 0.45),
            rest_reset=rng.uniform(0.8, 2.2),
        )
    weak = rng.uniform(0.8, 1.0)
    strong_side = "left" if rng.random() < 0.5 else "right"
    strength = {strong_side: rng.uniform(0.85, 1.25)}
    strength["right" if strong_side == "left" else "left"] = strength[strong_side] * weak
    return _Person(
        tempo=tempo, strategy="width" if rng.random() < 0.55 else "height",
        abs_burst_s=rng.uniform(0.22, 0.45), conc_style=style(True), ecc_style=style(False),
        twitch_s=rng.uniform(0.1, 0.25), mod_depth=rng.uniform(0.08, 0.35),
        hesitate_p=rng.uniform(0.0, 0.1), hurst=rng.uniform(0.6, 0.9),
        tempo_sd=rng.uniform(0.04, 0.1), p_flow_reset=rng.uniform(0.05, 0.3),
        p_reset_flow=rng.uniform(0.4, 0.85), vl_max=rng.uniform(0.3, 0.55),
        rl_max=rng.uniform(0.1, 0.3), strength=strength, rec_tau=rng.uniform(60.0, 200.0),
        residual=rng.uniform(0.4, 0.8), fidget_per_min=rng.uniform(0.8, 2.4),
        tremor_mm=rng.uniform(0.05, 0.25), heart_mm=rng.uniform(0.01, 0.08),
        hr_rest=rng.uniform(58.0, 85.0),
        squeeze=rng.uniform(0.005, 0.04) if rng.random() < 0.7 else 0.0,
        floor_p=rng.uniform(0.15, 0.5), brace_mm=rng.uniform(0.5, 3.0),
        wander_mm=rng.uniform(0.1, 0.6), ex=ex,
    )


def _burst_for(rng: np.random.Generator, person: _Person, style: _PhaseStyle, dur: float,
               hesitate: bool) -> tuple[_Burst, float, str]:
    twitch = float(np.clip(person.twitch_s / dur, 0.06, 0.25))
    window = (1.0 - twitch) * dur
    ag = style.ag * np.exp(rng.normal(0.0, 0.1))
    ant = style.ant * np.exp(rng.normal(0.0, 0.1))
    if person.strategy == "height":  # bursts keep their absolute width: slow phases coast
        scale = float(np.clip(person.abs_burst_s / max(window * 0.5 * (ag + ant), 1e-6),
                              0.5, 1.3))
        ag, ant = ag * scale, ant * scale
    co = rng.random() < style.cocontract_p
    overlap = rng.uniform(0.05, 0.2) if co else 0.0
    ag2 = rng.uniform(0.05, 0.2) if co and rng.random() < 0.5 else 0.0
    name = "hesitant" if hesitate else ("cocontracted" if co else "triphasic")
    return (_Burst(float(ag), float(ant), float(overlap), float(ag2), hesitate, style.rise,
                   style.twitch_a, style.twitch_b), twitch, name)


@dataclass
class _Rep:
    t0: float
    t1: float
    t2: float
    t3: float
    f0: float
    f1: float
    rng_mm: float
    conc: np.ndarray
    ecc: np.ndarray
    conc_name: str
    ecc_name: str
    fatigue: float
    aborted: bool


@dataclass
class _Set:
    index: int
    exercise: str
    kind: str
    side: str
    to_failure: bool
    reps: list[_Rep]
    nominal_mm: float
    breaths: list[tuple[float, float]] = field(default_factory=list)  # (inhale, exhale)
    brace: list[float] = field(default_factory=list)
    endurance_s: float = 1.0

    @property
    def start(self) -> float:
        return self.reps[0].t0

    @property
    def end(self) -> float:
        return self.reps[-1].t3


def _brzycki(load: float) -> float:
    return 37.0 - 36.0 * load


def _rohmert(share: float) -> float:
    return 1236.5 / max(100.0 * share - 15.0, 1.0) ** 0.618 - 72.5


def _plan_set(rng: np.random.Generator, person: _Person, cfg: GenConfig, index: int,
              name: str, side: str, t_start: float, residual: float) -> _Set:
    ex = EXERCISES[name]
    pe = person.ex[name]
    load = float(np.clip(ex.load / person.strength[side], 0.15, 0.8))
    nominal = pe.range_mm * rng.uniform(0.95, 1.05)
    st = _Set(index, name, ex.kind, side, ex.failure, [], nominal)
    if ex.kind == "hold":
        nb = int(rng.integers(3, 9))
        first = rng.uniform(1.0, 1.6)
        for j in range(nb):
            st.breaths.append((rng.uniform(1.0, 2.0), rng.uniform(2.5, 5.0) * (
                1.0 + 0.25 * (j == 0))))
            st.brace.append(person.brace_mm * (first if j == 0 else 1.0) * (1.0 - 0.4 * j / nb))
        share = float(np.clip(load, 0.2, 0.45))
        st.endurance_s = max(_rohmert(share) * (1.0 - 0.5 * residual), 30.0)
        settle = rng.uniform(0.5, 1.5), rng.uniform(0.4, 1.2)
        hold = settle[0] + sum(a + b for a, b in st.breaths) + settle[1]
        conc, ecc = pe.conc * rng.uniform(0.9, 1.1), pe.ecc * rng.uniform(0.9, 1.1)
        bc, tc, nc = _burst_for(rng, person, person.conc_style, conc, False)
        be, te, ne = _burst_for(rng, person, person.ecc_style, ecc, False)
        t0 = t_start
        st.reps.append(_Rep(
            t0, t0 + conc, t0 + conc + hold, t0 + conc + hold + ecc, 0.0, 0.0, nominal,
            _phase_profile(rng, bc, tc, person.mod_depth),
            _phase_profile(rng, be, te, person.mod_depth), nc, ne, 0.0, False))
        return st
    cap = _brzycki(load) * (1.0 - residual) * rng.uniform(0.9, 1.1)
    if ex.failure:
        n_full = max(round(cap), 3)
        cap = float(n_full)
    else:
        n_full = int(rng.choice([9, 10, 10, 10, 10, 10, 10, 10, 11]))
        cap = max(cap, n_full * 1.4)
    # plan full and aborted reps, then failed attempts
    kinds: list[str] = []
    for _ in range(n_full):
        if not ex.failure and kinds and rng.random() < cfg.partial_prob:
            kinds.append("abort")
        kinds.append("full")
    if ex.failure:
        kinds += ["fail"] * int(rng.integers(1, 4))
    n = len(kinds)
    z = _fgn(rng, n, person.hurst) * person.tempo_sd
    floor = nominal * rng.uniform(0.03, 0.1) if rng.random() < person.floor_p else 0.0
    done = 0
    full_ranges: list[float] = []
    plan: list[tuple[str, float, float, float, float]] = []  # kind, range, conc, pause, ecc
    for k, kind in enumerate(kinds):
        r = min(done / cap, 1.0) if kind != "fail" else 1.0
        f = math.exp(float(z[k]))
        conc = pe.conc * f / (1.0 - person.vl_max * r)
        ecc = pe.ecc * f ** 0.7 * (1.0 - 0.25 * r)
        if pe.turns:
            pause = 0.0 if rng.random() < 0.85 else rng.uniform(0.1, 0.3)
        else:
            pause = min(max(pe.pause * f * (1.0 - 0.5 * r) + rng.normal(0.0, 0.05), 0.0), 2.3)
            if pause < 0.05:
                pause = 0.0
        shrink = person.rl_max * max(0.0, (r - 0.6) / 0.4) ** 2
        rr = nominal * (1.0 - shrink) * rng.uniform(0.96, 1.04)
        if kind == "full":
            done += 1
            full_ranges.append(rr)
        plan.append((kind, rr, conc, pause, ecc))
    med = float(np.median(full_ranges))
    fails = [p for p in plan if p[0] == "fail"]
    fail_fracs = sorted(rng.uniform(0.15, 0.42, len(fails)), reverse=True)
    t = t_start
    state_flow = True
    fi = 0
    for k, (kind, rr, conc, pause, ecc) in enumerate(plan):
        if kind == "abort":
            rr = med * rng.uniform(0.15, 0.42)
            conc *= rr / nominal + 0.3
            pause = 0.0
            ecc *= 0.6
        elif kind == "fail":
            rr = med * float(fail_fracs[fi])
            fi += 1
            conc *= 1.3
            pause = rng.uniform(0.0, 0.3)
            ecc *= 0.7
        conc, ecc = max(conc, 0.3), max(ecc, 0.3)
        f0 = 0.0 if k == 0 else floor
        f1 = 0.0 if k == n - 1 else floor
        hes = rng.random() < person.hesitate_p and kind == "full"
        bc, tc, nc = _burst_for(rng, person, person.conc_style, conc, hes)
        be, te, ne = _burst_for(rng, person, person.ecc_style, ecc, False)
        r_fat = min(k / cap, 1.0)
        rep = _Rep(t, t + conc, t + conc + pause, t + conc + pause + ecc, f0, f1, rr,
                   _phase_profile(rng, bc, tc, person.mod_depth),
                   _phase_profile(rng, be, te, person.mod_depth), nc, ne, r_fat,
                   kind != "full")
        st.reps.append(rep)
        # the rest at the bottom: a two-state Markov-modulated process
        if kind != "full":
            state_flow = False
        elif state_flow:
            state_flow = rng.random() >= person.p_flow_reset * (1.0 + r_fat)
        else:
            state_flow = rng.random() < person.p_reset_flow
        if state_flow:
            rest = pe.rest_flow * rng.gamma(2.0, 0.5)
        else:
            rest = pe.rest_reset * rng.uniform(0.8, 1.1)
        t = rep.t3 + float(min(rest, 2.8))
    return st


# ------------------------------------------------------------------------ session


@dataclass
class _Fidget:
    kind: str
    t0: float
    t1: float
    amplitude_mm: float
    delta_mm: float
    times: np.ndarray
    values: np.ndarray
    jerks: list[tuple[float, float, float]] = field(default_factory=list)  # (at, width, mm)
    shake: tuple[float, float] = (0.0, 0.0)  # (Hz, mm)
    touch_pf: float = 0.0


def _posture(name: str, side: str) -> str:
    p = EXERCISES[name].posture
    return f"side_{side}" if p == "side" else p


def _fidget(rng: np.random.Generator, kind: str, t0: float, room: float, pre_old: float,
            pre_new: float) -> _Fidget | None:
    """A fidget starting at ``t0`` lasting at most ``room`` seconds."""
    delta = pre_new - pre_old
    if kind == "pet":
        d = rng.uniform(1.5, 6.0)
        times, values = np.array([0.0, d]), np.array([0.0, delta])
    elif kind == "child":
        rise, hold, rel = rng.uniform(0.4, 1.5), rng.uniform(0.3, 2.5), rng.uniform(0.1, 0.8)
        amp = rng.uniform(30.0, 120.0)
        d = rise + hold + rel + rng.uniform(0.2, 1.0)
        times = np.array([0.0, rise, rise + hold, rise + hold + rel, d])
        values = np.array([0.0, amp, amp * rng.uniform(0.8, 1.1), delta, delta])
    elif kind == "phone":
        d = rng.uniform(2.0, 8.0)
        shift = rng.uniform(-4.0, 4.0)
        times = np.array([0.0, 0.3 * d, 0.7 * d, d])
        values = np.array([0.0, shift, shift, delta])
    elif kind == "getup":
        d = rng.uniform(6.0, 18.0)
        low = -(max(pre_old, 0.0) + rng.uniform(5.0, 25.0))
        nk = int(rng.integers(2, 5))
        mid = np.sort(rng.uniform(0.2 * d, 0.8 * d, nk))
        times = np.concatenate(([0.0, 0.12 * d], mid, [0.88 * d, d]))
        values = np.concatenate(([0.0, low], low + rng.uniform(0.0, 12.0, nk),
                                 [low, delta]))
    elif kind == "untwist":
        d = rng.uniform(2.0, 5.0)
        up = rng.uniform(40.0, 90.0)
        off = -(max(pre_old, 0.0) + rng.uniform(5.0, 15.0))
        times = np.array([0.0, 0.2 * d, 0.45 * d, 0.75 * d, d])
        values = np.array([0.0, up, off, off, delta])
    else:  # transition: turning over / changing exercise
        d = rng.uniform(4.0, 10.0)
        nk = int(rng.integers(3, 8))
        times = np.concatenate(([0.0], np.sort(rng.uniform(0.1 * d, 0.9 * d, nk)), [d]))
        values = np.concatenate(([0.0], rng.uniform(-(max(pre_old, 0.0) + 15.0), 60.0, nk),
                                 [delta]))
    if d > room:
        return None
    f = _Fidget(kind, t0, t0 + d, 0.0, delta, times, values)
    if kind == "pet":
        for _ in range(int(rng.integers(3, 10))):
            w = rng.uniform(0.08, 0.25)
            at = rng.uniform(0.05 * d, 0.95 * d - w)
            f.jerks.append((at, w, float(rng.lognormal(np.log(12.0), 0.6))))
        if rng.random() < 0.5:
            f.shake = (rng.uniform(4.0, 7.0), rng.uniform(2.0, 8.0))
    if kind == "phone":
        f.touch_pf = rng.uniform(0.2, 1.5)
    tau = np.linspace(0.0, d, 400)
    f.amplitude_mm = float(np.max(np.abs(_fidget_shape(f, tau))))
    return f


def _fidget_shape(f: _Fidget, tau: np.ndarray) -> np.ndarray:
    y = _keyframes(tau, f.times, f.values)
    for at, w, mm in f.jerks:
        u = (tau - at) / w
        y = y + mm * np.where((u > 0.0) & (u < 1.0), np.sin(np.pi * np.clip(u, 0, 1)) ** 2, 0.0)
    if f.shake[1] > 0.0:
        d = f.t1 - f.t0
        y = y + f.shake[1] * np.sin(2 * np.pi * f.shake[0] * tau) * _taper(tau, d, 0.3 * d)
    return y


@dataclass
class _Session:
    sets: list[_Set]
    fidgets: list[_Fidget]
    total: float
    exercises: list[str]
    fmt: str
    order: str
    pre: list[tuple[float, float]]  # (time, pre-stretch from then on), first at 0
    posture_at: list[tuple[float, str]]


def _session(rng: np.random.Generator, person: _Person, cfg: GenConfig,
             no_fidgets: bool) -> _Session:
    n_ex = int(cfg.exercises) if cfg.exercises is not None else int(rng.integers(2, 5))
    n_ex = int(np.clip(n_ex, 1, 4))
    hold = bool(rng.random() < 0.65) if cfg.hold_exercise is None else cfg.hold_exercise
    reps_ex = ["sidelying_hip_er", "single_leg_bridge", "table_top_hip_er"]
    if hold:
        n_reps = min(max(n_ex - 1, 0), 3)
        chosen = [str(x) for x in rng.choice(reps_ex, n_reps, replace=False)]
        chosen.append("table_top_reach")
    else:
        chosen = [str(x) for x in rng.choice(reps_ex, min(n_ex, 3), replace=False)]
    order = "article" if rng.random() < 0.45 else "shuffled"
    if order == "article":
        chosen.sort(key=ORDER.index)
    else:
        chosen = [chosen[i] for i in rng.permutation(len(chosen))]
    fmt = FORMATS[int(rng.integers(0, 3))]
    per_side = {2: (2, 4), 3: (1, 3), 4: (1, 3)}.get(len(chosen), (2, 4))
    # the order of (exercise, side) sets
    plan: list[tuple[str, str]] = []
    for name in chosen:
        k = int(rng.integers(*per_side))
        if name == "sidelying_hip_er":
            k = max(k, 2) if len(chosen) <= 3 else k
        first = "left" if rng.random() < 0.5 else "right"
        other = "right" if first == "left" else "left"
        blocked = rng.random() < (0.7 if name == "sidelying_hip_er" else 0.35)
        if blocked:
            plan += [(name, first)] * k + [(name, other)] * k
        else:
            plan += [(name, s) for _ in range(k) for s in (first, other)]
    pre_nom = {"side_left": rng.uniform(8.0, 35.0), "supine": rng.uniform(3.0, 25.0),
               "quad": rng.uniform(-6.0, 20.0)}
    pre_nom["side_right"] = pre_nom["side_left"] + rng.uniform(-4.0, 4.0)
    video_rest = float(rng.choice([15.0, 20.0, 30.0, 40.0]))
    free_scale, free_k = rng.uniform(8.0, 30.0), rng.uniform(1.5, 2.5)
    lead = rng.uniform(4.0, 20.0)
    posture0 = _posture(*plan[0])
    pre_cur = pre_nom[posture0] + rng.normal(0.0, 2.0)
    pre: list[tuple[float, float]] = [(0.0, pre_cur)]
    posture_at: list[tuple[float, str]] = [(0.0, posture0)]
    sets: list[_Set] = []
    fidgets: list[_Fidget] = []
    fatigue: dict[str, tuple[float, float]] = {"left": (0.0, 0.0), "right": (0.0, 0.0)}
    t = lead
    first_start = lead
    rests: list[tuple[float, float, str | None]] = [(0.0, lead, None)]
    for i, (name, side) in enumerate(plan):
        level, at = fatigue[side]
        residual = level * math.exp(-(t - at) / person.rec_tau)
        st = _plan_set(rng, person, cfg, i, name, side, t, residual)
        sets.append(st)
        done = sum(not r.aborted for r in st.reps)
        cap_share = 1.0 if st.to_failure else min(done / 25.0, 1.0)
        if st.kind == "hold":
            cap_share = min((st.reps[0].t2 - st.reps[0].t1) / st.endurance_s, 1.0)
        fatigue[side] = (min(residual + person.residual * cap_share, 0.6), st.end)
        if i + 1 == len(plan):
            break
        nxt = plan[i + 1]
        change = nxt[0] != name
        turn = _posture(*nxt) != _posture(name, side)
        extra = (rng.uniform(20.0, 45.0) if change else 0.0) + (
            rng.uniform(6.0, 15.0) if turn else 0.0)
        if fmt == "free":
            rest = 12.0 + free_scale * float(rng.weibull(free_k)) + extra
        elif fmt == "video":
            rest = video_rest + rng.lognormal(np.log(1.5), 0.5) + extra
            if rng.random() < 0.06:
                rest += rng.uniform(20.0, 90.0)  # the video paused
        else:  # emom: the next set on a minute mark
            need = st.end + 12.0 + (8.0 + extra * 0.5 if (change or turn) else 0.0)
            mark = first_start + 60.0 * math.ceil((need - first_start) / 60.0)
            rest = mark - st.end + rng.uniform(0.3, 2.5)
        rest = max(rest, 18.0 if turn else 12.0)
        rests.append((st.end, st.end + rest, _posture(*nxt) if turn else None))
        t = st.end + rest
    tail = rng.uniform(5.0, 15.0)
    total = sets[-1].end + tail
    rests.append((sets[-1].end, total, None))
    # fidgets in the rests, never within 1.5 s of a set
    weights = np.array([0.16, 0.12, 0.22, 0.14, 0.2])
    kinds = FIDGET_KINDS[:5]
    for k, (a, b, new_posture) in enumerate(rests):
        lo = a + 1.5 if k > 0 else 0.5
        hi = b - 1.5 if k + 1 < len(rests) else b - 0.5
        cursor = lo
        if new_posture is not None:
            pre_new = pre_nom[new_posture] + rng.normal(0.0, 2.0)
            room = hi - lo
            start = lo + rng.uniform(0.0, 0.3) * room
            f = None
            for _ in range(20):
                f = _fidget(rng, "transition", start, hi - start, pre_cur, pre_new)
                if f is not None:
                    break
            if f is None:  # a fast turn-over
                f = _Fidget("transition", start, start + min(3.0, hi - start), 0.0,
                            pre_new - pre_cur, np.array([0.0, min(3.0, hi - start)]),
                            np.array([0.0, pre_new - pre_cur]))
                f.amplitude_mm = abs(f.delta_mm)
            fidgets.append(f)
            pre_cur = pre_new
            pre.append((f.t1, pre_cur))
            posture_at.append((f.t0, new_posture))
            cursor = f.t1 + 0.3
        if no_fidgets:
            continue
        n_f = int(rng.poisson(person.fidget_per_min * (hi - lo) / 60.0))
        for _ in range(n_f):
            if hi - cursor < 1.6:
                break
            start = cursor + rng.uniform(0.0, 0.6) * (hi - cursor)
            kind = str(rng.choice(kinds, p=weights / weights.sum()))
            pre_new = pre_cur
            if kind in ("getup", "untwist"):
                pre_new = pre_cur + rng.uniform(-8.0, 8.0)
            elif kind in ("pet", "phone") and rng.random() < 0.3:
                pre_new = pre_cur + rng.uniform(-3.0, 3.0)
            f = _fidget(rng, kind, start, hi - start, pre_cur, pre_new)
            if f is None:
                continue
            fidgets.append(f)
            if pre_new != pre_cur:
                pre_cur = pre_new
                pre.append((f.t1, pre_cur))
            cursor = f.t1 + 0.3
    if no_fidgets:
        fidgets = [f for f in fidgets if f.kind == "transition"]
        for f in fidgets:  # the posture changes anyway: a plain shift, not listed
            f.kind = "_shift"
            f.times = np.array([0.0, f.t1 - f.t0])
            f.values = np.array([0.0, f.delta_mm])
            f.amplitude_mm = abs(f.delta_mm)
    fidgets.sort(key=lambda f: f.t0)
    return _Session(sets, fidgets, total, chosen, fmt, order, pre, posture_at)


# ------------------------------------------------------------------------ band


@dataclass
class _Band:
    length: float  # effective strand length (mm)
    k0: float  # initial stiffness (N/mm)
    delta: float  # finite extensibility of the crosslink network
    ge: float  # tube modulus relative to the crosslink modulus
    beta: float  # tube exponent
    hn_g: float
    hn_tau: float
    hn_a: float
    hn_b: float
    mu_theta: float
    skin_mm: float

    def elastic(self, e: np.ndarray) -> np.ndarray:
        """Extended tube model in uniaxial tension, scaled to ``k0`` at small strain."""
        lam = 1.0 + np.maximum(e, 0.0) / self.length
        d2 = self.delta ** 2
        y = np.minimum(lam ** 2 + 2.0 / lam - 3.0, 0.95 / d2)
        fprime = (1.0 - d2) / (1.0 - d2 * y) ** 2 - d2 / (1.0 - d2 * y)
        pc = 0.5 * fprime * (2.0 * lam - 2.0 / lam ** 2)
        pe = (2.0 * self.ge / self.beta) * (lam ** (0.5 * self.beta - 1.0)
                                            - lam ** (-self.beta - 1.0))
        e0 = 3.0 * ((1.0 - 2.0 * d2) + self.ge)
        out: np.ndarray = np.where(e > 0.0, self.k0 * self.length / e0 * (pc + pe), 0.0)
        return out


def _band(rng: np.random.Generator) -> _Band:
    return _Band(length=rng.uniform(250.0, 450.0), k0=rng.uniform(0.12, 0.35),
                 delta=rng.uniform(0.15, 0.35), ge=rng.uniform(0.3, 1.2),
                 beta=rng.uniform(0.5, 1.0), hn_g=rng.uniform(0.08, 0.25),
                 hn_tau=rng.uniform(0.1, 1.5), hn_a=rng.uniform(0.4, 0.8),
                 hn_b=rng.uniform(0.4, 0.9), mu_theta=rng.uniform(0.03, 0.12),
                 skin_mm=rng.uniform(1.0, 4.0))


def _havriliak_negami(band: _Band, f_el: np.ndarray) -> np.ndarray:
    """The elastic force through ``G*(w)`` (causal, relaxed modulus 1) by rFFT."""
    n = len(f_el)
    pad = int(60.0 * FS)
    base = f_el[0]
    x = np.concatenate((f_el - base, np.linspace(f_el[-1] - base, 0.0, pad)))
    m = 1 << math.ceil(math.log2(len(x)))
    spec = np.fft.rfft(x, m)
    w = 2.0 * np.pi * np.fft.rfftfreq(m, DT)
    iwt = (1j * w * band.hn_tau) ** band.hn_a
    g = 1.0 + band.hn_g * (1.0 - (1.0 + iwt) ** (-band.hn_b))
    out: np.ndarray = np.fft.irfft(spec * g, m)[:n] + base
    return out


def _play(x: np.ndarray, width: float) -> np.ndarray:
    """Play (backlash) operator of half-width ``width``."""
    out = np.empty_like(x)
    p = float(x[0])
    xs = x.tolist()
    for i, v in enumerate(xs):
        if v > p + width:
            p = v - width
        elif v < p - width:
            p = v + width
        out[i] = p
    return out


def _strand_force(band: _Band, e: np.ndarray, ideal: bool) -> np.ndarray:
    f_el = band.elastic(e)
    if ideal:
        return f_el
    f = _havriliak_negami(band, f_el)
    step = 4  # the skin's shear on a 100 Hz grid
    coarse = e[::step]
    p = _play(coarse, band.skin_mm)
    s = np.interp(np.arange(len(e)), np.arange(0, len(e), step), (coarse - p) / band.skin_mm)
    out: np.ndarray = np.maximum(f * np.exp(band.mu_theta * s), 0.0)
    return out


# ------------------------------------------------------------------------ rendering


def _tremor_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict[str, float]]:
    """Mechanical-reflex tremor: white noise through a delayed reflex loop (unit sd)."""
    fm, z = rng.uniform(10.0, 13.5), rng.uniform(0.15, 0.3)
    k, tau, tm = rng.uniform(0.3, 0.8), rng.uniform(0.02, 0.035), rng.uniform(0.012, 0.025)
    m = 1 << math.ceil(math.log2(n + 16))
    f = np.fft.rfftfreq(m, DT)
    s = 2j * np.pi * f
    w = 2.0 * np.pi * fm
    h = 1.0 / (s ** 2 + 2 * z * w * s + w ** 2 + k * w ** 2 * np.exp(-s * tau) / (1 + s * tm) ** 2)
    wh = 2.0 * np.pi * 3.0
    h = h * (s ** 2 / (s ** 2 + math.sqrt(2.0) * wh * s + wh ** 2))
    x = np.fft.irfft(np.fft.rfft(rng.standard_normal(m)) * h, m)[:n]
    sd = float(np.std(x))
    out: np.ndarray = x / sd if sd > 0 else x
    return out, {"mech_hz": fm, "reflex_gain": k, "reflex_delay_s": tau}


def _render(rng: np.random.Generator, person: _Person, sess: _Session, still: bool,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Grid time, movement elongation above the pre-stretch, pre-stretch (incl. fidgets),
    pad touches (pF)."""
    n = math.ceil(sess.total * FS) + 1
    tg = np.arange(n) * DT
    x = np.zeros(n)
    lift = np.zeros(n)
    fat = np.zeros(n)
    mod = np.zeros(n)
    active = np.zeros(n)
    for st in sess.sets:
        for k, r in enumerate(st.reps):
            top = r.f0 + r.rng_mm
            sl = _idx(r.t0, r.t1, n)
            u = (tg[sl] - r.t0) / (r.t1 - r.t0)
            ugrid = np.linspace(0.0, 1.0, _M)
            x[sl] = r.f0 + r.rng_mm * np.interp(u, ugrid, r.conc)
            sl = _idx(r.t1, r.t2, n)
            x[sl] = top
            sl = _idx(r.t2, r.t3, n)
            u = (tg[sl] - r.t2) / (r.t3 - r.t2)
            x[sl] = top - (top - r.f1) * np.interp(u, ugrid, r.ecc)
            nxt = st.reps[k + 1].t0 if k + 1 < len(st.reps) else r.t3
            sl = _idx(r.t3, nxt, n)
            x[sl] = r.f1
            sl = _idx(r.t0, r.t3, n)
            fat[sl] = r.fatigue
            if still:
                continue
            if st.kind == "hold":
                hs = _idx(r.t1, r.t2, n)
                tau = tg[hs] - r.t1
                dur = r.t2 - r.t1
                fat[hs] = tau / st.endurance_s
                brace = np.zeros(len(tau))
                tb = 0.5
                for (inh, exh), amp in zip(st.breaths, st.brace, strict=True):
                    te = tau - tb
                    rise = amp * (1.0 - np.exp(-np.clip(te, 0.0, None) / 0.4))
                    back = 0.5 * (1.0 + np.cos(np.pi * np.clip((te - exh) / inh, 0.0, 1.0)))
                    cur = np.where(te < 0.0, 0.0, np.where(te < exh, rise, rise * back))
                    brace += np.where(te > exh + inh, 0.0, cur)
                    tb += inh + exh
                sag = -st.nominal_mm * 0.08 * tau / st.endurance_s
                mod[hs] += (-brace + sag) * _taper(tau, dur, 0.4)
            elif r.t2 - r.t1 >= 0.4 and person.squeeze != 0.0:
                hs = _idx(r.t1, r.t2, n)
                u2 = (tg[hs] - r.t1) / (r.t2 - r.t1)
                mod[hs] += person.squeeze * r.rng_mm * np.sin(np.pi * u2) ** 4
        sl = _idx(st.start, st.end, n)
        lift[sl] = np.clip(x[sl] / st.nominal_mm, 0.0, 1.3)
        active[sl] = 1.0
    pre = np.zeros(n)
    pre[:] = sess.pre[0][1]
    touch = np.zeros(n)
    for f in sess.fidgets:
        sl = _idx(f.t0, f.t1, n)
        pre[sl] += _fidget_shape(f, tg[sl] - f.t0)
        after = slice(sl.stop, n)
        pre[after] += f.delta_mm
        if f.touch_pf > 0.0:
            d = f.t1 - f.t0
            tau = tg[sl] - f.t0
            touch[sl] += f.touch_pf * _taper(tau - 0.2 * d, 0.6 * d, 0.15 * d) * (
                (tau > 0.2 * d) & (tau < 0.8 * d))
    info: dict[str, float] = {}
    if not still:
        trem, info = _tremor_noise(rng, n)
        x_bg = person.tremor_mm * lift ** 2 * (1.0 + 1.5 * np.clip(fat, 0.0, 1.0)) * trem
        # heartbeat (ballistocardiogram), heart rate following the activity
        b, a = signal.butter(1, 1.0 / 25.0, fs=FS)
        act = signal.lfilter(b, a, active)
        hr = person.hr_rest + 40.0 * act
        phase = np.cumsum(hr / 60.0) * DT
        ph = phase % 1.0
        bcg = (np.exp(-((ph - 0.10) / 0.025) ** 2) - 1.3 * np.exp(-((ph - 0.17) / 0.03) ** 2)
               + 0.6 * np.exp(-((ph - 0.26) / 0.04) ** 2))
        # postural wander in the rests, faded out near the sets
        away = np.ones(n)
        for st in sess.sets:
            dist = np.maximum(st.start - tg, tg - st.end)
            away = np.minimum(away, _smoother((dist - 1.5) / 3.0))
        wander = person.wander_mm * _lowpass_noise(rng, n, int(8.0 * FS)) * away
        x_bg = x_bg + person.heart_mm * bcg + wander
        mod = mod + x_bg
    return tg, x + mod, pre, touch, info


# ------------------------------------------------------------------------ sensors


def _capacitive(rng: np.random.Generator, cfg: GenConfig, tg: np.ndarray, f_band: np.ndarray,
                touch: np.ndarray, t_s: np.ndarray, posture_code: np.ndarray,
                faults: dict[str, int]) -> tuple[np.ndarray, int]:
    """Capacitive pad + charge-transfer counting + firmware: force at the device samples."""
    n = len(t_s)
    dur = tg[-1]
    # the elastomer creeps: standard linear solid retardation
    rho, tau_r = rng.uniform(0.03, 0.1), rng.uniform(1.0, 6.0)
    b, a = signal.butter(1, 1.0 / (2.0 * np.pi * tau_r), fs=FS)
    lp = signal.lfilter(b, a, f_band, zi=signal.lfilter_zi(b, a) * f_band[0])[0]
    comp = (f_band + rho * lp) / (1.0 + rho)
    z_max, f_c = rng.uniform(0.3, 0.5), rng.uniform(60.0, 150.0)
    c0, cpar0 = rng.uniform(6.0, 15.0), rng.uniform(2.0, 6.0)
    post_pf = rng.uniform(-0.12, 0.12, 4)
    sweat = rng.uniform(0.002, 0.01) * (1.0 - np.exp(-tg / rng.uniform(180.0, 600.0)))
    temp = rng.uniform(-0.003, 0.003) * (1.0 - np.exp(-tg / rng.uniform(120.0, 400.0)))
    # knee / hand brushes of the pad (besides the phone fidget)
    n_touch = int(rng.poisson(cfg.touches_per_min * dur / 60.0))
    touch = touch.copy()
    for _ in range(n_touch):
        at, d = rng.uniform(0.0, dur), rng.uniform(0.1, 0.5)
        sl = _idx(at, at + d, len(tg))
        touch[sl] += rng.uniform(0.1, 0.6) * _taper(tg[sl] - at, d, 0.3 * d)
    faults["touches"] = n_touch
    z = z_max * (1.0 - np.exp(-np.maximum(comp, 0.0) / f_c))
    cx_g = c0 / (1.0 - z) * (1.0 + sweat + temp) + cpar0 + post_pf[posture_code] + touch
    cx = np.interp(t_s, tg, cx_g)
    cs, vratio = rng.uniform(10000.0, 22000.0), rng.uniform(0.5, 0.7)
    lth = -math.log(1.0 - vratio)
    m_avg = int(rng.choice([8, 16, 32]))
    sigma = rng.uniform(0.3, 1.0)
    cont = lth / np.log1p(cx / cs)
    # the mean of m_avg integer counts with comparator noise (a dithered average)
    counts = np.round((cont + 0.5 + rng.normal(0.0, sigma / math.sqrt(m_avg), n)) * m_avg)
    counts = counts / m_avg
    n_to = int(rng.poisson(cfg.timeouts_per_min * dur / 60.0))
    at = rng.integers(0, n, n_to)
    counts[at] += (4095.0 - counts[at]) / m_avg
    faults["timeouts"] = n_to
    # the firmware: nominal constants, a calibration a few % off, a power-on tare
    cs_n, lth_n = cs * rng.normal(1.0, 0.01), lth * rng.normal(1.0, 0.005)
    c_est = cs_n * np.expm1(lth_n / counts)
    c0_c, cpar_c = c0 * rng.normal(1.0, 0.01), cpar0 + rng.normal(0.0, 0.05)
    zmax_c, fc_c = z_max * rng.normal(1.0, 0.03), f_c * rng.normal(1.0, 0.03)
    z_est = 1.0 - c0_c / np.maximum(c_est - cpar_c, 1e-3)
    force = -fc_c * np.log(np.clip(1.0 - z_est / zmax_c, 1e-3, 10.0))
    n_tare = max(int(np.searchsorted(t_s, 0.5)), 1)
    band_on = rng.random() < 0.25
    tare = float(np.mean(force[:n_tare])) if band_on else float(
        np.mean(force[:n_tare]) - np.mean(f_band[:max(int(0.5 * FS), 1)]))
    decimals = 2 if rng.random() < 0.7 else 1
    out: np.ndarray = np.round(np.clip(force - tare, -200.0, 400.0), decimals)
    return out, decimals


def _magnetometer(rng: np.random.Generator, tg: np.ndarray, e_total: np.ndarray,
                  lift_rad: np.ndarray, posture_code: np.ndarray, t_s: np.ndarray,
                  ) -> np.ndarray:
    """Dipole magnet and a magnetometer pair clipped on the band: its elongation (mm)."""
    mom = rng.uniform(1.5, 3.0)  # A m^2
    r0, kappa = rng.uniform(0.09, 0.12), rng.uniform(0.35, 0.5)  # m, m per m of elongation
    base = rng.uniform(0.03, 0.04)  # m between the two magnetometers

    def dipole(r: np.ndarray, m: float) -> np.ndarray:
        out: np.ndarray = 2e-7 * m / r ** 3 * 1e6  # uT on the axis
        return out

    r = np.maximum(r0 + kappa * e_total * 1e-3, 0.03)
    earth = rng.uniform(20.0, 45.0)
    post_ang = rng.uniform(0.0, 2.0 * np.pi, 4)
    b_earth = earth * np.cos(post_ang[posture_code] + lift_rad)
    residual = rng.uniform(0.01, 0.04)  # the pair's mismatch: earth not fully cancelled
    hard = rng.uniform(-1.0, 1.0) * (1.0 - np.exp(-tg / rng.uniform(100.0, 400.0)))
    tau = rng.uniform(0.005, 0.015)
    bb, ab = signal.butter(1, 1.0 / (2.0 * np.pi * tau), fs=FS)
    reads = []
    for b in (dipole(r, mom) + b_earth * (1.0 + residual) + hard,
              dipole(r + base, mom) + b_earth):
        bf = signal.lfilter(bb, ab, b, zi=signal.lfilter_zi(bb, ab) * b[0])[0]
        bs = np.interp(t_s, tg, bf) + rng.normal(0.0, rng.uniform(0.1, 0.3), len(t_s))
        reads.append(np.clip(np.round(bs / 0.1) * 0.1, -800.0, 800.0))
    diff = reads[0] - reads[1]
    # the firmware: calibrated at power-on (the pair's offset), inverts the difference law
    cal = float(np.mean(diff[: max(int(np.searchsorted(t_s, 0.5)), 1)]))
    mom_c, r0_c = mom * rng.normal(1.0, 0.015), r0 * rng.normal(1.0, 0.005)
    kappa_c = kappa * rng.normal(1.0, 0.02)
    e0 = float(np.mean(e_total[: max(int(0.5 * FS), 1)]))  # known at calibration
    r_cal = r0_c + kappa_c * e0 * 1e-3
    offset = cal - float(dipole(np.array([r_cal]), mom_c)[0] - dipole(
        np.array([r_cal + base]), mom_c)[0])
    r_grid = np.linspace(0.03, 0.6, 4000)
    d_grid = dipole(r_grid, mom_c) - dipole(r_grid + base, mom_c)
    r_est = np.interp(-(diff - offset), -d_grid, r_grid)
    e = (r_est - r0_c) / kappa_c * 1e3
    out: np.ndarray = np.round(np.clip(e, -150.0, 800.0), 1)
    return out


# ------------------------------------------------------------------------ link


def _link(rng: np.random.Generator, cfg: GenConfig, t_s: np.ndarray, line_bytes: float,
          faults: dict[str, int],
          ) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]], np.ndarray]:
    """SPP text stream and the host's DLL: (keep mask, stamps of all samples (relative),
    disconnects (physical at, duration), indices of byte-corrupted lines)."""
    n = len(t_s)
    dur = float(t_s[-1])
    period = float(np.median(np.diff(t_s)))
    keep = np.ones(n, dtype=bool)
    # radio stalls: the TX FIFO holds, overflows and drops the newest lines
    fifo = rng.uniform(256.0, 1024.0)
    cap = max(int(fifo / line_bytes), 2)
    n_st = int(rng.poisson(cfg.stalls_per_min * cfg.loss_scale * dur / 60.0))
    st0 = np.sort(rng.uniform(0.0, dur, n_st))
    st1 = st0 + np.clip(rng.lognormal(np.log(0.2), 0.9, n_st), 0.05, 3.0)
    ready = t_s + rng.uniform(0.004, 0.015) + rng.exponential(rng.uniform(0.5e-3, 3e-3), n)
    overflows = 0
    for a, b in zip(st0, st1, strict=True):
        held = (ready >= a) & (ready < b)
        ready[held] = b
        first = int(np.searchsorted(t_s, a + cap * period))
        last = int(np.searchsorted(t_s, b))
        if last > first:
            keep[first:last] = False
            keep[max(first - 1, 0)] = False  # the cut line merges with the next: rejected
            overflows += 1
    faults["stalls"] = n_st
    faults["overflows"] = overflows
    # disconnects: everything in flight and until the reconnection is lost
    n_dr = int(rng.poisson(cfg.link_drops_per_hour * dur / 3600.0))
    drops: list[tuple[float, float]] = []
    for at in np.sort(rng.uniform(0.05 * dur, 0.95 * dur, n_dr)):
        d = float(rng.uniform(2.0, 8.0))
        lost = (ready >= at) & (t_s < at + d)
        keep[lost] = False
        ready[t_s >= at + d] = np.maximum(ready[t_s >= at + d], at + d + 0.3)
        drops.append((float(at), d))
    faults["link_drops"] = len(drops)
    # UART byte drops: one byte of a line deleted
    n_c = int(rng.poisson(cfg.corruptions_per_min * cfg.loss_scale * dur / 60.0))
    corrupt = np.unique(rng.integers(1, n - 1, n_c)) if n_c else np.zeros(0, dtype=np.int64)
    # arrivals: in order, at the radio's throughput (a Lindley queue)
    kept = np.flatnonzero(keep)
    svc = line_bytes / rng.uniform(6000.0, 15000.0)
    j = np.arange(len(kept))
    arr = svc * j + np.maximum.accumulate(ready[kept] - svc * j)
    # the host reads the serial port every few ms, with OS hiccups
    poll = rng.uniform(0.004, 0.016)
    npoll = int((arr[-1] + 1.0) / poll) + 10
    iv = poll + rng.exponential(0.3e-3, npoll)
    hic = rng.random(npoll) < 0.003
    iv[hic] += rng.uniform(0.02, 0.15, int(hic.sum()))
    polls = np.cumsum(iv)
    read = polls[np.minimum(np.searchsorted(polls, arr), npoll - 1)]
    # DLL over the chunks (Adriaensen): stamps from the arrival times and the counter
    bounds = np.flatnonzero(np.diff(read) > 0)
    last_of_chunk = np.concatenate((bounds, [len(kept) - 1]))
    bw = rng.uniform(0.05, 0.4)
    k_last_l = kept[last_of_chunk].tolist()
    read_l = read[last_of_chunk].tolist()
    t_chunk = np.empty(len(last_of_chunk))
    p_chunk = np.empty(len(last_of_chunk))
    t_last, p = read_l[0], period
    t_chunk[0], p_chunk[0] = t_last, p
    size_l = np.diff(np.concatenate(([-1], last_of_chunk))).tolist()
    for c in range(1, len(k_last_l)):
        nk = k_last_l[c] - k_last_l[c - 1]
        pred = t_last + nk * p
        err = read_l[c] - pred
        omega = 2.0 * math.pi * bw * min(nk * p, 2.0 * poll)
        if size_l[c] > 4 or err > 0.04:  # a backlog burst or a late read: coast
            t_last = pred
        elif err < -0.5:  # data far earlier than predicted: lost lock, re-lock
            t_last = read_l[c]
        else:
            t_last = pred + math.sqrt(2.0) * omega * err
            p += omega * omega * err / nk
        t_chunk[c], p_chunk[c] = t_last, p
    chunk_of = np.searchsorted(last_of_chunk, np.arange(len(kept)))
    stamps_k = t_chunk[chunk_of] - (kept[last_of_chunk][chunk_of] - kept) * p_chunk[chunk_of]
    # strictly increasing, microseconds
    step = 0.2 * period
    jj = np.arange(len(kept))
    stamps_k = np.maximum.accumulate(stamps_k - step * jj) + step * jj
    us = np.round(stamps_k * 1e6)
    us = np.maximum.accumulate(us - jj) + jj
    stamps_k = us * 1e-6
    stamps_k -= float(stamps_k[0] - t_s[kept[0]])  # the host's app zeroes its first stamp
    tk = t_s[kept]
    stamps = np.interp(t_s, tk, stamps_k)
    stamps[t_s < tk[0]] = stamps_k[0] - (tk[0] - t_s[t_s < tk[0]])
    stamps[t_s > tk[-1]] = stamps_k[-1] + (t_s[t_s > tk[-1]] - tk[-1])
    stamps[kept] = stamps_k
    faults["corrupted_lines"] = len(corrupt)
    return keep, stamps, drops, corrupt


def _corrupt_lines(rng: np.random.Generator, idx: np.ndarray, force: np.ndarray,
                   stretch: np.ndarray | None, keep: np.ndarray, decimals: int) -> None:
    """Delete one byte of each line in ``idx``: a wrong value, or the line rejected."""
    for i in idx.tolist():
        if not keep[i]:
            continue
        counter = f"{i % 65536}"
        fs = f"{force[i]:.{decimals}f}"
        ss = f"{stretch[i]:.1f}" if stretch is not None else None
        line = counter + "," + fs + ("," + ss if ss is not None else "") + "\n"
        pos = int(rng.integers(0, len(line)))
        new = line[:pos] + line[pos + 1:]
        parts = new.rstrip("\n").split(",")
        if not new.endswith("\n") or len(parts) != (3 if ss is not None else 2) or (
                parts[0] != counter):
            keep[i] = False
            if not new.endswith("\n") and i + 1 < len(keep):
                keep[i + 1] = False  # merged with the next line
            continue
        try:
            force[i] = float(parts[1])
            if stretch is not None:
                stretch[i] = float(parts[2])
        except ValueError:
            keep[i] = False


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
    sess = _session(rng, person, cfg, no_fidgets)
    has_stretch = bool(rng.random() < 0.5) if cfg.has_stretch is None else cfg.has_stretch
    if cfg.time_offset_s is not None:
        offset = float(cfg.time_offset_s)
    else:
        u = rng.random()
        offset = 0.0 if u < 0.3 else (float(rng.uniform(100.0, 1e5)) if u < 0.65
                                      else float(rng.uniform(1.6e9, 1.8e9)))
    sub = np.random.default_rng([seed, 7])  # independent streams for the noise parts
    tg, x, pre, touch, trem_info = _render(sub, person, sess, still)
    e_total = pre + x
    f_band = _strand_force(band, e_total, ideal)
    n_grid = len(tg)
    postures = ["side_left", "side_right", "supine", "quad"]
    post_idx = np.zeros(n_grid, dtype=np.int64)
    for tc, pname in sess.posture_at:
        post_idx[math.ceil(tc * FS):] = postures.index(pname)
    faults: dict[str, int] = {}
    gaps: list[dict[str, Any]] = []
    drops: list[tuple[float, float]] = []
    dev = np.random.default_rng([seed, 11])
    ppm = 0.0 if clean else float(dev.uniform(-100.0, 100.0)) * 1e-6
    period = (1.0 / rate) * (1.0 + ppm)
    phase0 = 0.0 if clean else float(dev.uniform(0.0, period))
    n_s = int((sess.total - phase0) / period) + 1
    t_s = phase0 + np.arange(n_s) * period
    stretch_all: np.ndarray | None = None
    if clean:
        time_s = offset + np.arange(n_s) / rate
        force_n = np.interp(t_s, tg, f_band)
        if has_stretch:
            stretch_all = np.interp(t_s, tg, e_total)

        def tm(ts: float) -> float:
            return offset + ts
    else:
        force_all, decimals = _capacitive(dev, cfg, tg, f_band, touch, t_s, post_idx, faults)
        if has_stretch:
            ang = x / 150.0 * dev.uniform(0.1, 0.6)  # the thigh turns the magnetometer
            stretch_all = _magnetometer(dev, tg, e_total, ang, post_idx, t_s)
        line_bytes = 6.0 + 7.0 + (7.0 if has_stretch else 0.0)
        keep, stamps, drops_dev, corrupt = _link(dev, cfg, t_s, line_bytes, faults)
        _corrupt_lines(dev, corrupt, force_all, stretch_all, keep, decimals)
        drops = [(float(offset + np.interp(at, t_s, stamps)), d) for at, d in drops_dev]
        for i0, i1 in _runs(~keep):
            gaps.append({"start_s": float(offset + stamps[i0]),
                         "end_s": float(offset + stamps[i1]), "samples": int(i1 - i0 + 1)})
        time_s = offset + stamps[keep]
        force_n = force_all[keep]
        if stretch_all is not None:
            stretch_all = stretch_all[keep]
        t_keep, s_keep = t_s[keep], stamps[keep]

        def tm(ts: float) -> float:
            if ts <= t_keep[0]:
                return float(offset + s_keep[0] + (ts - t_keep[0]))
            if ts >= t_keep[-1]:
                return float(offset + s_keep[-1] + (ts - t_keep[-1]))
            return float(offset + np.interp(ts, t_keep, s_keep))

    # ---------------------------------------------------------------- truth
    def at(arr: np.ndarray, xs: float) -> float:
        return float(np.interp(xs, tg, arr))

    t_sets: list[dict[str, Any]] = []
    t_reps: list[dict[str, Any]] = []
    t_holds: list[dict[str, Any]] = []
    for st in sess.sets:
        ranges = [r.rng_mm for r in st.reps]
        if st.kind == "reps":
            full = [xr for xr, r in zip(ranges, st.reps, strict=True) if not r.aborted]
            med = float(np.median(full))
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
        })
        for r, part in zip(st.reps, flags, strict=True):
            t0, t1, t2, t3 = tm(r.t0), tm(r.t1), tm(r.t2), tm(r.t3)
            if r.t2 == r.t1:
                t2 = t1
            if st.kind == "hold":
                sl = _idx(r.t1, r.t2, n_grid)
                t_holds.append({
                    "set": st.index, "start_s": t0, "end_s": t3, "duration_s": t2 - t1,
                    "top_start_s": t1, "top_end_s": t2, "side": st.side,
                    "mean_force_n": float(np.mean(f_band[sl])),
                })
                continue
            sl = _idx(r.t0, r.t3, n_grid)
            t_reps.append({
                "index": len(t_reps), "set": st.index, "start_s": t0, "top_start_s": t1,
                "top_end_s": t2, "end_s": t3, "concentric_s": t1 - t0, "pause_s": t2 - t1,
                "eccentric_s": t3 - t2, "partial": bool(part),
                "peak_force_n": float(np.max(f_band[sl])),
                "range_mm": float(r.rng_mm), "floor_start_mm": float(r.f0),
                "floor_end_mm": float(r.f1), "side": st.side,
                "concentric_profile": r.conc_name, "eccentric_profile": r.ecc_name,
            })
    t_fidgets = [{"kind": f.kind, "start_s": tm(f.t0), "end_s": tm(f.t1),
                  "amplitude_mm": float(f.amplitude_mm)}
                 for f in sess.fidgets if f.kind in FIDGET_KINDS]
    meta = {
        "model": "gen_model_j", "seed": int(seed), "rate_hz": rate, "time_offset_s": offset,
        "has_stretch": bool(has_stretch), "clean": clean, "still": still, "ideal_band": ideal,
        "no_fidgets": no_fidgets, "exercises": list(sess.exercises), "format": sess.fmt,
        "order": sess.order, "duration_s": float(sess.total),
        "person": {"tempo": person.tempo, "strategy": person.strategy,
                   "hurst": person.hurst, "velocity_loss": person.vl_max,
                   "recovery_tau_s": person.rec_tau, **trem_info},
        "band": {"length_mm": band.length, "k0_n_per_mm": band.k0, "delta": band.delta,
                 "ge": band.ge, "beta": band.beta, "hn_g": band.hn_g, "hn_tau_s": band.hn_tau,
                 "hn_alpha": band.hn_a, "hn_beta": band.hn_b, "mu_theta": band.mu_theta,
                 "pre_stretch_mm": sess.pre[0][1]},
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
