"""A fourth, independent band-and-movement model (gen_model_d): a low-back-pain patient.

Written without looking at how bandsense analyses a recording (only at the truth format of
``gen_model_c.py`` / ``firmware_sim.truth`` and at ``analysis/scoring.py``), and different
from the simulator (firmware_sim), ``gen_model.py`` and ``gen_model_c.py`` in every
modelling choice:

- movement: each phase (concentric or eccentric) is a normalised position profile with
  *compact support* (exactly 0 before the phase, exactly 1 after it, zero velocity at both
  ends), drawn per phase from four families with random parameters:
  * ``scurve`` - a jerk-limited S-curve: bang-bang jerk, trapezoidal acceleration with
    unequal acceleration and deceleration times and a constant-velocity cruise;
  * ``bezier`` - a Bernstein-polynomial (Bezier) velocity of degree 4-7 with zero end
    controls and random non-negative interior controls (single or double-humped);
  * ``pchip`` - a random positive velocity through 2-5 knots (monotone cubic Hermite
    interpolation), zero at both ends, normalised to unit area;
  * ``superellipse`` - velocity ``(1 - |x|^p)^q`` with an asymmetric peak position.
  The person has a preferred mix of families (Dirichlet weights). Tempo per exercise and
  person, with rep-to-rep variation as an AR(1) process in log-tempo (the rhythm drifts
  rather than jittering independently), fatigue that slows and shrinks reps (strongly in
  sets to failure, which end with 1-3 failed partial attempts), occasional partial reps,
  reps back to back or with a short rest at the bottom. At the top: a front-loaded
  settling sag (``1 - (1-u)^3 (1+3u)`` over the pause), a two-component 6-11 Hz tremor,
  and on holds an asymmetric breathing waveform with breath-to-breath variation plus
  small balance corrections (compact up-and-down bumps).
- band: a looped latex band of rest length ``L`` (a Gent hyperelastic solid in uniaxial
  tension: ``F = (k L / 3) (lam - lam^-2) / (1 - (I1 - 3) / Jm)``, ``lam = 1 + e / L``,
  slack (zero force) for ``e <= 0``), Ogden-Roxburgh Mullins softening against the
  running *decaying* maximum of the strain energy (the damage heals over minutes), and
  power-law (Nutting) viscoelastic relaxation ``G(t) = g_inf + (1 - g_inf)(1 + t/t0)^-a``
  applied as a hereditary integral (FFT convolution). Re-wrapping between sets takes the
  band off (slack), pulls it on and sets a new pre-stretch and a new effective length.
- sensor: a sigma-delta load cell: each sample is the *average* of the force over its
  conversion window (0.5-1 sample period, ending at the sample instant), gain error, tare
  error, an exponential warm-up drift, two Ornstein-Uhlenbeck drifts (seconds and minutes),
  white noise, quantisation in grams (1, 2, 5 or 10 g), ADC bit-flip spikes (a raw-count
  bit flips: +-2^k counts) and occasional stale (repeated) samples. Sample clock with a
  crystal error (ppm) and a slow thermal wander; samples travel in packets of 1-12
  (20-60 ms) and are time-stamped per packet with an exponential latency (its constant
  part removed, so zero-mean jitter); lost packets (short bursts) and radio dropouts of
  0.3-2 s. Stretch (in about half the recordings) from a separate capacitive sensor on
  the total elongation, with a first-order lag (10-40 ms), gain error, a small quadratic
  non-linearity, offset, its own OU drift and white noise, 0.1 mm quantisation, reading 0
  when the band is slack.
- session: 2-3 of the four seed exercises in random order (the hold sometimes), 2-4 sets
  each alternating sides, rests of 10-90 s with fidgets listed in ``truth["fidgets"]``:
  ``sway`` (leg sway), ``tug`` (a quick pull), ``shift`` (a change of position that moves
  the rest elongation), ``rewrap`` (band off, pulled on, new pre-stretch) and
  ``reposition`` (turning over / changing posture: a few irregular pulls).

Truth conventions (all times on the recording's own axis, i.e. the physical time plus
``metadata["time_offset_s"]``; time stamps carry only zero-mean jitter around it):
``start_s`` is the first motion (the concentric profile leaves 0), ``top_start_s`` the
arrival at the top (the concentric profile reaches 1: the velocity is zero there),
``top_end_s`` the departure (the eccentric profile leaves 0), ``end_s`` back at rest (the
eccentric profile reaches 1). Tremor, breathing and corrections at the top are windowed
inside ``[top_start_s, top_end_s]``; the sag starts and ends with zero velocity. The force
sensor averages over its conversion window, so the recorded force lags by half that window
(<= 25 ms at 20 Hz). Hold sets have ``rep_count`` 0 and their hold in ``holds`` only
(``duration_s`` = time at the top). Partial reps (range under half the median range of the
full reps of their set, ``range_mm``) are in ``reps`` with ``partial`` True and are not
counted in ``rep_count``. Gaps list the first and last *missing* sample times and their
number of samples. Fidgets have ``kind``, ``start_s``, ``end_s`` and ``amplitude_mm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate, interpolate, signal, special

FS_INT = 500.0  # internal rendering grid (Hz)
GRID = np.linspace(0.0, 1.0, 513)  # normalised phase time for the profile tables
FAMILIES = ("scurve", "bezier", "pchip", "superellipse")
GRAM_N = 9.80665e-3
HOLD_EXERCISE = "table_top_reach"
KERNEL_S = 60.0  # length of the viscoelastic memory kept (s)

EXERCISES: dict[str, dict[str, Any]] = {
    # amp: band elongation at the top (mm); conc/ecc/pause: the person's tempo range (s)
    "side_lying_hip_er": {"kind": "reps", "amp": (70.0, 200.0), "failure": True,
                          "target": None, "conc": (0.6, 1.4), "ecc": (0.8, 2.0),
                          "pause": (0.15, 0.6), "pause_prob": 0.25, "lying": True},
    "single_leg_bridge": {"kind": "reps", "amp": (50.0, 150.0), "failure": False,
                          "target": 10, "conc": (0.9, 2.5), "ecc": (1.2, 3.5),
                          "pause": (1.0, 2.0), "pause_prob": 1.0, "lying": True},
    "table_top_reach": {"kind": "hold", "amp": (80.0, 220.0), "failure": False,
                        "target": 1, "conc": (1.2, 3.0), "ecc": (1.0, 3.0),
                        "pause": (8.0, 30.0), "pause_prob": 1.0, "lying": False},
    "table_top_hip_er": {"kind": "reps", "amp": (70.0, 190.0), "failure": False,
                         "target": 10, "conc": (0.7, 2.2), "ecc": (0.9, 3.0),
                         "pause": (0.5, 1.5), "pause_prob": 1.0, "lying": False},
}


# ---------------------------------------------------------------- movement profiles


class Profile:
    """A normalised position profile on ``[0, 1]`` (0 before, 1 after: compact support)."""

    def __init__(self, family: str, params: dict[str, Any], table: np.ndarray) -> None:
        self.family = family
        self.params = params
        self.table = table

    def __call__(self, u: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.interp(u, GRID, self.table)  # clamps to 0 and 1 outside
        return out

    def bump(self, u: np.ndarray) -> np.ndarray:
        """Up over the first half, back down over the second (0 outside ``[0, 1]``)."""
        return self(2.0 * u) - self(2.0 * u - 1.0)


def velocity_shape(family: str, prm: dict[str, Any]) -> np.ndarray:
    """Unnormalised, non-negative velocity of a phase on ``GRID`` (zero at both ends)."""
    u = GRID
    if family == "scurve":
        ta, td, r1, r2 = prm["ta"], prm["td"], prm["r1"], prm["r2"]

        def trap(s: np.ndarray, r: float) -> np.ndarray:
            inside = (s >= 0.0) & (s <= 1.0)
            return np.where(inside, np.clip(np.minimum(np.minimum(s / r, 1.0), (1.0 - s) / r),
                                            0.0, None), 0.0)

        acc = (trap(u / ta, r1) / (ta * (1.0 - r1))
               - trap((u - (1.0 - td)) / td, r2) / (td * (1.0 - r2)))
        v = integrate.cumulative_trapezoid(acc, u, initial=0.0)
    elif family == "bezier":
        c = np.asarray(prm["controls"], dtype=float)
        n = len(c) - 1
        i = np.arange(n + 1)
        basis = special.comb(n, i) * u[:, None] ** i * (1.0 - u[:, None]) ** (n - i)
        v = basis @ c
    elif family == "pchip":
        xk = np.concatenate([[0.0], prm["knots"], [1.0]])
        yk = np.concatenate([[0.0], prm["values"], [0.0]])
        v = interpolate.PchipInterpolator(xk, yk)(u)
    elif family == "superellipse":
        c, p, q = prm["c"], prm["p"], prm["q"]
        x = np.where(u < c, (u - c) / c, (u - c) / (1.0 - c))
        v = np.clip(1.0 - np.abs(x) ** p, 0.0, None) ** q
    else:
        raise ValueError(family)
    v = np.clip(np.asarray(v, dtype=float), 0.0, None)
    v[0] = v[-1] = 0.0
    return v


def make_profile(family: str, prm: dict[str, Any]) -> Profile:
    v = velocity_shape(family, prm)
    pos = integrate.cumulative_trapezoid(v, GRID, initial=0.0)
    pos = np.maximum.accumulate(np.clip(pos / pos[-1], 0.0, 1.0))
    pos[0], pos[-1] = 0.0, 1.0
    return Profile(family, prm, pos)


def draw_profile(rng: np.random.Generator, weights: np.ndarray) -> Profile:
    fam = str(rng.choice(FAMILIES, p=weights / np.sum(weights)))
    prm: dict[str, Any]
    if fam == "scurve":
        ta, td = float(rng.uniform(0.15, 0.45)), float(rng.uniform(0.2, 0.55))
        if ta + td > 0.95:
            ta, td = 0.95 * ta / (ta + td), 0.95 * td / (ta + td)
        prm = {"ta": ta, "td": td, "r1": float(rng.uniform(0.2, 0.5)),
               "r2": float(rng.uniform(0.2, 0.5))}
    elif fam == "bezier":
        n = int(rng.integers(4, 8))
        inner = rng.uniform(0.15, 1.0, n - 1)
        tilt = float(rng.uniform(-1.2, 1.2))
        inner = np.clip(inner * (1.0 + tilt * (np.arange(1, n) / n - 0.5)), 0.05, None)
        prm = {"controls": [0.0, *(float(c) for c in inner), 0.0]}
    elif fam == "pchip":
        k = int(rng.integers(2, 6))
        knots = 0.08 + (0.84 - 0.05 * (k - 1)) * np.sort(rng.uniform(0.0, 1.0, k)) + 0.05 * (
            np.arange(k))
        prm = {"knots": [float(x) for x in knots],
               "values": [float(x) for x in rng.uniform(0.3, 1.0, k)]}
    else:
        prm = {"c": float(rng.uniform(0.3, 0.65)), "p": float(rng.uniform(1.4, 3.0)),
               "q": float(rng.uniform(1.1, 2.2))}
    return make_profile(fam, prm)


# ---------------------------------------------------------------- configuration


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # total number of exercises; None: 2 or 3
    hold_exercise: bool | None = None  # None: the hold exercise is drawn sometimes
    has_stretch: bool | None = None  # None: about half the recordings
    noise_n: tuple[float, float] = (0.01, 0.12)  # white noise sd range (N)
    spikes_per_min: float = 1.0  # ADC bit flips
    gaps_per_min: float = 0.4  # radio dropouts of 0.3-2 s
    lost_packets_per_min: float = 1.0  # lost packets (each the start of a short burst)
    jitter_frac: float = 0.25  # packet latency jitter scale, fraction of a sample period
    partial_prob: float = 0.03  # occasional partial reps (sets to failure add their own)
    time_offset_s: float | None = None  # None: random (0, device uptime or epoch time)
    # extra: "clean" (no sensor errors, jitter, losses or sway), "ideal_band" (a linear,
    # elastic band: no stiffening, Mullins softening or relaxation)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


# ---------------------------------------------------------------- session plan


@dataclass
class _Move:
    kind: str  # "rep" | "hold"
    set_index: int
    side: str
    start: float
    conc: float
    pause: float
    ecc: float
    amp: float
    up: Profile
    down: Profile
    partial: bool = False
    sag: float = 0.0  # fraction of the range lost while at the top
    tremor: float = 0.0  # fraction of the range
    tremor_hz: tuple[float, float] = (8.0, 9.5)
    tremor_phase: tuple[float, float] = (0.0, 0.0)
    breath: float = 0.0  # fraction of the range
    breath_period: float = 4.0
    breath_mod: tuple[float, float, float] = (0.0, 20.0, 0.0)  # depth, period, phase
    corrections: list[tuple[float, float, float, Profile]] = field(default_factory=list)

    @property
    def top_start(self) -> float:
        return self.start + self.conc

    @property
    def top_end(self) -> float:
        return self.start + self.conc + self.pause

    @property
    def end(self) -> float:
        return self.start + self.conc + self.pause + self.ecc


@dataclass
class _Fidget:
    kind: str
    start: float
    dur: float
    amp: float  # mm
    freq: float = 0.0
    phase: float = 0.0
    prof: Profile | None = None
    bumps: list[tuple[float, float, float]] = field(default_factory=list)  # (t0, dur, mm)


class _Track:
    """A piecewise-constant level with smooth transitions (profile-shaped)."""

    def __init__(self, v0: float) -> None:
        self.v0 = v0
        self.now = v0
        self.steps: list[tuple[float, float, float, Profile]] = []

    def to(self, t0: float, dur: float, value: float, prof: Profile) -> None:
        self.steps.append((t0, max(dur, 1e-3), value - self.now, prof))
        self.now = value

    def render(self, tg: np.ndarray) -> np.ndarray:
        out = np.full_like(tg, self.v0)
        delta = np.zeros_like(tg)
        for t0, dur, dv, prof in self.steps:
            i0, i1 = np.searchsorted(tg, [t0, t0 + dur])
            if i1 < len(tg):
                delta[i1] += dv
            out[i0:i1] += dv * prof((tg[i0:i1] - t0) / dur)
        return out + np.cumsum(delta)


def _choose_exercises(rng: np.random.Generator, cfg: GenConfig) -> list[str]:
    n = cfg.exercises if cfg.exercises is not None else int(rng.choice([2, 3], p=[0.45, 0.55]))
    n = int(np.clip(n, 1, 4))
    want_hold = (cfg.hold_exercise if cfg.hold_exercise is not None
                 else bool(rng.random() < 0.45))
    others = [e for e in EXERCISES if e != HOLD_EXERCISE]
    if want_hold:
        chosen = [HOLD_EXERCISE, *(str(x) for x in rng.choice(others, size=min(n - 1, 3),
                                                              replace=False))]
    else:
        chosen = [str(x) for x in rng.choice(others, size=min(n, 3), replace=False)]
    return [chosen[i] for i in rng.permutation(len(chosen))]


def _top_offset(mv: _Move, tau: np.ndarray) -> np.ndarray:
    """Displacement at the top relative to the arrival level, as a fraction of the range."""
    out = np.zeros_like(tau)
    p = mv.pause
    if p <= 0:
        return out
    if mv.sag:
        u = np.clip(tau / p, 0.0, 1.0)  # settles early, still at both ends of the pause
        out -= mv.sag * (1.0 - (1.0 - u) ** 3 * (1.0 + 3.0 * u))
    ramp = min(0.4, p / 3.0)
    w = np.clip(np.minimum(tau, p - tau) / ramp, 0.0, 1.0)
    w = w * w * (3.0 - 2.0 * w)
    if mv.tremor:
        t = mv.top_start + tau
        grow = 1.0 + 0.8 * tau / p if mv.kind == "hold" else 1.0
        out += w * grow * mv.tremor * (
            0.65 * np.sin(2 * np.pi * mv.tremor_hz[0] * t + mv.tremor_phase[0])
            + 0.35 * np.sin(2 * np.pi * mv.tremor_hz[1] * t + mv.tremor_phase[1]))
    if mv.breath:
        depth, per, ph = mv.breath_mod
        phi = 2 * np.pi * tau / mv.breath_period + depth * np.sin(2 * np.pi * tau / per + ph)
        # inhale faster than exhale: a skewed periodic wave
        wave = (np.sin(phi) + 0.3 * np.sin(2 * phi + 0.8) + 0.08 * np.sin(3 * phi + 1.9)) / 1.2
        out += w * mv.breath * wave
    for t0, d, a, prof in mv.corrections:
        out += a * prof.bump((tau - t0) / d)
    return out


def _render_move(mv: _Move, t: np.ndarray) -> np.ndarray:
    tt = t - mv.start
    out = np.zeros_like(t)
    up = tt < mv.conc
    out[up] = mv.amp * mv.up(tt[up] / mv.conc)
    top = (tt >= mv.conc) & (tt <= mv.conc + mv.pause)
    out[top] = mv.amp * (1.0 + _top_offset(mv, tt[top] - mv.conc))
    level_end = mv.amp * (1.0 + float(_top_offset(mv, np.array([mv.pause]))[0]))
    dn = tt > mv.conc + mv.pause
    out[dn] = level_end * (1.0 - mv.down((tt[dn] - mv.conc - mv.pause) / mv.ecc))
    return out


def _plan_set(rng: np.random.Generator, cfg: GenConfig, spec: dict[str, Any],
              set_index: int, side: str, t: float, amp: float, tempo: tuple[float, float, float],
              style: np.ndarray) -> list[_Move]:
    conc0, ecc0, pause0 = tempo
    if spec["kind"] == "hold":
        conc = float(np.clip(conc0 * np.exp(rng.normal(0.0, 0.1)), 0.8, 3.2))
        ecc = float(np.clip(ecc0 * np.exp(rng.normal(0.0, 0.1)), 0.8, 3.5))
        hold = float(rng.uniform(8.0, 30.0))
        n_corr = int(rng.integers(0, 4))
        corr = []
        for _ in range(n_corr):
            d = float(rng.uniform(0.6, 1.6))
            t0 = float(rng.uniform(0.6, hold - d - 0.6))
            corr.append((t0, d, float(rng.choice([-1.0, 1.0]) * rng.uniform(0.01, 0.035)),
                         draw_profile(rng, style)))
        mv = _Move("hold", set_index, side, t, conc, hold, ecc,
                   amp * float(np.exp(rng.normal(0.0, 0.04))),
                   draw_profile(rng, style), draw_profile(rng, style),
                   sag=float(rng.uniform(0.0, 0.06)),
                   tremor=float(rng.uniform(0.002, 0.007)),
                   tremor_hz=(float(rng.uniform(6.0, 9.0)), float(rng.uniform(9.0, 11.0))),
                   tremor_phase=(float(rng.uniform(0, 6.3)), float(rng.uniform(0, 6.3))),
                   breath=float(rng.uniform(0.01, 0.045)),
                   breath_period=float(rng.uniform(3.0, 6.0)),
                   breath_mod=(float(rng.uniform(0.2, 0.9)), float(rng.uniform(10.0, 25.0)),
                               float(rng.uniform(0, 6.3))),
                   corrections=corr)
        return [mv]

    failure = bool(spec["failure"])
    if failure:
        n_full, n_fail = int(rng.integers(8, 23)), int(rng.integers(1, 4))
        f_t, f_r = float(rng.uniform(0.3, 0.5)), float(rng.uniform(0.15, 0.3))
    else:
        n_full = int(spec["target"]) + int(rng.choice([-1, 0, 0, 0, 0, 1]))
        n_fail = 0
        f_t, f_r = float(rng.uniform(0.08, 0.2)), float(rng.uniform(0.03, 0.1))
    has_pause = rng.random() < spec["pause_prob"]
    set_pause = pause0 if spec["pause_prob"] >= 1.0 else float(rng.uniform(*spec["pause"]))
    back_to_back = rng.random() < 0.35
    bottom = float(rng.uniform(0.3, 1.5))
    total = n_full + n_fail
    log_tempo = float(rng.normal(0.0, 0.08))
    moves: list[_Move] = []
    for r in range(total):
        prog = min(r / max(n_full - 1, 1), 1.0)
        log_tempo = 0.6 * log_tempo + float(rng.normal(0.0, 0.08))
        slow = 1.0 + f_t * prog**1.5
        conc = conc0 * slow * float(np.exp(log_tempo + rng.normal(0.0, 0.04)))
        ecc = ecc0 * slow * float(np.exp(log_tempo + rng.normal(0.0, 0.06)))
        a = amp * (1.0 - f_r * prog**1.3) * float(np.clip(np.exp(rng.normal(0.0, 0.05)),
                                                          0.9, 1.1))
        pause = (set_pause * float(np.exp(rng.normal(0.0, 0.15))) if has_pause else 0.0)
        fail = r >= n_full
        partial = fail or (r > 0 and rng.random() < cfg.partial_prob)
        if fail:  # a failed attempt: slow, short of range, hardly any pause
            a = amp * float(rng.uniform(0.15, 0.4))
            conc *= float(rng.uniform(1.1, 1.6))
            ecc = float(rng.uniform(0.6, 1.5))
            pause = float(rng.uniform(0.0, 0.3)) if rng.random() < 0.5 else 0.0
        elif partial:  # a pain-guarded, aborted rep
            a = amp * float(rng.uniform(0.15, 0.4))
            conc *= float(rng.uniform(0.6, 0.9))
            ecc *= float(rng.uniform(0.6, 0.9))
            pause = min(pause, float(rng.uniform(0.0, 0.3)))
        conc = float(np.clip(conc, 0.4, 3.2))
        ecc = float(np.clip(ecc, 0.5, 4.2))
        mv = _Move("rep", set_index, side, t, conc, pause, ecc, a,
                   draw_profile(rng, style), draw_profile(rng, style), partial=partial)
        if pause > 0.0 and rng.random() < 0.6:
            mv.sag = float(rng.uniform(0.0, 0.05))
        if pause >= 0.3:
            mv.tremor = float(rng.uniform(0.001, 0.006))
            mv.tremor_hz = (float(rng.uniform(6.0, 9.0)), float(rng.uniform(9.0, 11.0)))
            mv.tremor_phase = (float(rng.uniform(0, 6.3)), float(rng.uniform(0, 6.3)))
        moves.append(mv)
        t = mv.end
        if r < total - 1:
            if fail or (r == n_full - 1 and n_fail):
                t += float(rng.uniform(0.5, 2.0))  # regrouping before another attempt
            elif not back_to_back:
                t += float(np.clip(bottom * np.exp(rng.normal(0.0, 0.25)), 0.3, 1.5))
    full_ranges = [m.amp for m in moves if not m.partial]
    typical = float(np.median(full_ranges))
    for m in moves:
        if m.partial:
            m.amp = max(min(m.amp, 0.45 * typical), min(12.0, 0.4 * typical))
    return moves


def _fidget_duration(rng: np.random.Generator, kind: str) -> float:
    lo, hi = {"sway": (3.0, 10.0), "tug": (0.3, 1.2), "shift": (0.6, 2.0),
              "rewrap": (3.5, 8.0), "reposition": (4.0, 12.0)}[kind]
    return float(rng.uniform(lo, hi))


# ---------------------------------------------------------------- generator


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    rng = np.random.default_rng(seed)  # the session plan
    # separate streams, so that a change in one part does not reshuffle the others
    rng_b, rng_s, rng_x, rng_l = (np.random.default_rng([seed, i]) for i in (2, 3, 4, 5))
    clean = bool(cfg.extra.get("clean", False))
    style = rng.dirichlet(np.full(len(FAMILIES), 2.0)) + 0.05
    exercises = _choose_exercises(rng, cfg)

    # the band as first wrapped
    length0 = float(rng.uniform(380.0, 700.0))
    k_init = float(rng.uniform(0.1, 0.32))  # small-strain stiffness (N/mm)
    pre = _Track(float(rng.uniform(8.0, 55.0)))  # pre-stretch (mm)
    base = _Track(0.0)  # position shifts (mm)
    length = _Track(length0)
    smooth = make_profile("scurve", {"ta": 0.4, "td": 0.4, "r1": 0.3, "r2": 0.3})
    min_length = length0
    max_e = pre.now

    moves: list[_Move] = []
    fidgets: list[_Fidget] = []
    sets: list[dict[str, Any]] = []
    t = float(rng.uniform(4.0, 12.0))
    for ex_i, name in enumerate(exercises):
        spec = EXERCISES[name]
        amp = float(rng.uniform(*spec["amp"]))
        side_gain = {"left": float(rng.uniform(0.85, 1.0)), "right": float(rng.uniform(0.85, 1.0))}
        conc0 = float(rng.uniform(*spec["conc"]))
        ecc0 = max(float(rng.uniform(*spec["ecc"])), conc0 * float(rng.uniform(0.9, 1.4)))
        pause0 = float(rng.uniform(*spec["pause"]))
        n_sets = int(rng.integers(2, 5))
        first = str(rng.choice(["left", "right"]))
        other = "right" if first == "left" else "left"
        for s_i in range(n_sets):
            side = first if s_i % 2 == 0 else other
            set_index = len(sets)
            mv_set = _plan_set(rng, cfg, spec, set_index, side, t, amp * side_gain[side],
                               (conc0, ecc0, pause0), style)
            moves.extend(mv_set)
            max_e = max(max_e, pre.now + base.now + 1.15 * max(m.amp for m in mv_set))
            reps_set = [m for m in mv_set if m.kind == "rep"]
            sets.append({
                "index": set_index, "kind": spec["kind"], "side": side, "exercise": name,
                "start_s": mv_set[0].start, "end_s": mv_set[-1].end,
                "rep_count": sum(not m.partial for m in reps_set),
                "partial_count": sum(m.partial for m in reps_set),
                "to_failure": bool(spec["failure"]),
            })
            t = mv_set[-1].end
            if ex_i == len(exercises) - 1 and s_i == n_sets - 1:
                break
            new_exercise = s_i == n_sets - 1
            rest = float(rng.uniform(40.0, 90.0) if new_exercise else rng.uniform(10.0, 90.0))
            kinds: list[str] = []
            if (new_exercise and rng.random() < 0.8) or (spec["lying"] and rng.random() < 0.6):
                kinds.append("reposition")
            if rng.random() < (0.5 if new_exercise else 0.25):
                kinds.append("rewrap")
            kinds += [str(k) for k in rng.choice(["sway", "tug", "shift"], p=[0.4, 0.4, 0.2],
                                                  size=int(rng.poisson(rest / 30.0)))]
            kinds = [kinds[i] for i in rng.permutation(len(kinds))]
            cursor, stop = t + float(rng.uniform(2.5, 4.0)), t + rest - float(rng.uniform(2.5, 4.0))
            for kind in kinds:
                dur = _fidget_duration(rng, kind)
                room = stop - cursor - dur
                if room < 0.2:
                    continue
                f0 = cursor + float(rng.uniform(0.0, 0.5 * room))
                fg = _Fidget(kind, f0, dur, 0.0)
                if kind == "sway":
                    fg.amp, fg.freq = float(rng.uniform(2.0, 10.0)), float(rng.uniform(0.3, 1.0))
                    fg.phase = float(rng.uniform(0.0, 6.3))
                elif kind == "tug":
                    fg.amp = max(5.0, amp * float(rng.uniform(0.05, 0.25)))
                    fg.prof = draw_profile(rng, style)
                elif kind == "shift":
                    lo, hi = -(pre.now - 5.0), 25.0  # the band stays taut at rest
                    step = float(rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 15.0))
                    if not lo <= base.now + step <= hi:
                        step = -step
                    target = float(np.clip(base.now + step, lo, hi))
                    if abs(target - base.now) < 1.0:
                        continue
                    fg.amp = target - base.now
                    base.to(f0, dur, target, draw_profile(rng, style))
                elif kind == "rewrap":
                    d_off = float(rng.uniform(0.4, 1.0))
                    d_on = float(rng.uniform(0.5, 1.0))
                    d_set = float(rng.uniform(0.5, 1.2))
                    off_hold = dur - d_off - d_on - d_set
                    new_pre = float(rng.uniform(8.0, 55.0))
                    pull = float(rng.uniform(20.0, 60.0))
                    pre.to(f0, d_off, -25.0 - abs(base.now), smooth)  # band off: slack
                    base.to(f0 + d_off, 0.2, 0.0, smooth)  # (no effect while slack)
                    new_len = float(np.clip(length.now * rng.uniform(0.9, 1.1), 350.0, 750.0))
                    length.to(f0 + d_off + 0.5 * off_hold, 0.05, new_len, smooth)
                    min_length = min(min_length, new_len)
                    pre.to(f0 + d_off + off_hold, d_on, new_pre + pull, draw_profile(rng, style))
                    pre.to(f0 + d_off + off_hold + d_on, d_set, new_pre, smooth)
                    fg.amp = pull
                    max_e = max(max_e, new_pre + pull)
                else:  # reposition: a few irregular pulls while turning over / moving
                    nb = int(rng.integers(3, 7))
                    for _ in range(nb):
                        bd = float(rng.uniform(0.5, 2.0))
                        b0 = f0 + float(rng.uniform(0.0, dur - bd))
                        ba = amp * float(rng.uniform(0.05, 0.25)) * (
                            -0.4 if rng.random() < 0.25 else 1.0)
                        fg.bumps.append((b0, bd, ba))
                    fg.prof = draw_profile(rng, style)  # amp: measured when rendered
                fidgets.append(fg)
                cursor = f0 + dur + float(rng.uniform(0.5, 2.0))
            t += rest
    duration = t + float(rng.uniform(3.0, 10.0))

    # ---- displacement on the internal grid ----
    n = int(duration * FS_INT) + 1
    tg = np.arange(n) / FS_INT
    x = np.zeros(n)
    for mv in moves:
        i0, i1 = np.searchsorted(tg, [mv.start, mv.end], side="right")
        x[i0:i1] += _render_move(mv, tg[i0:i1])
    for fg in fidgets:
        i0, i1 = np.searchsorted(tg, [fg.start, fg.start + fg.dur])
        tt = tg[i0:i1]
        if fg.kind == "sway":
            u = np.clip(np.minimum(tt - fg.start, fg.start + fg.dur - tt) / 1.0, 0.0, 1.0)
            x[i0:i1] += fg.amp * u * u * (3 - 2 * u) * np.sin(
                2 * np.pi * fg.freq * (tt - fg.start) + fg.phase)
        elif fg.kind == "tug" and fg.prof is not None:
            x[i0:i1] += fg.amp * fg.prof.bump((tt - fg.start) / fg.dur)
        elif fg.kind == "reposition" and fg.prof is not None:
            pulls = np.zeros_like(tt)
            for b0, bd, ba in fg.bumps:
                pulls += ba * fg.prof.bump((tt - b0) / bd)
            x[i0:i1] += pulls
            fg.amp = float(pulls[np.argmax(np.abs(pulls))])
    if not clean:  # the body is never still: a few slow incommensurate sways
        freqs = np.exp(rng_b.uniform(np.log(0.02), np.log(0.4), 6))
        amps = freqs**-0.5
        tc = np.arange(0.0, duration + 0.2, 0.1)  # slow: render at 10 Hz, interpolate
        sway = np.zeros_like(tc)
        for f, a in zip(freqs, amps, strict=True):
            sway += a * np.sin(2 * np.pi * f * tc + rng_b.uniform(0.0, 6.3))
        sway *= float(rng_b.uniform(0.3, 1.2)) / float(np.sqrt(0.5 * np.sum(amps**2)))
        x += np.interp(tg, tc, sway)
    e = pre.render(tg) + base.render(tg) + x  # band elongation (mm); <= 0: slack
    band_len = length.render(tg)

    # ---- band: Gent hyperelastic + Mullins (healing) + power-law viscoelasticity ----
    lam_max = 1.0 + (max_e + 20.0) / min_length
    i1_max = lam_max**2 + 2.0 / lam_max - 3.0
    jm = max(float(rng_b.uniform(4.0, 25.0)), i1_max / 0.75)
    lam = 1.0 + np.maximum(e, 0.0) / band_len
    den = np.maximum(1.0 - (lam**2 + 2.0 / lam - 3.0) / jm, 0.05)  # (never reached)
    f_gent = (k_init * band_len / 3.0) * (lam - 1.0 / (lam * lam)) / den
    w = -0.5 * jm * np.log(den)  # strain energy (nondimensional)
    tau_heal = float(rng_b.uniform(300.0, 1200.0))
    ln_d = -1.0 / (FS_INT * tau_heal)
    idx = np.arange(n)
    w_max = np.exp(np.maximum.accumulate(np.log(w + 1e-12) - idx * ln_d) + idx * ln_d)
    lam_ref = 1.0 + (pre.v0 + 100.0) / length0
    w_ref = -0.5 * jm * np.log(1.0 - (lam_ref**2 + 2.0 / lam_ref - 3.0) / jm)
    r_m, m_m, beta_m = (float(rng_b.uniform(4.0, 10.0)), float(rng_b.uniform(0.2, 0.6)) * w_ref,
                        float(rng_b.uniform(0.05, 0.2)))
    eta = 1.0 - special.erf(np.maximum(w_max - w, 0.0) / (m_m + beta_m * w_max)) / r_m
    f_el = eta * f_gent
    g_inf = float(rng_b.uniform(0.55, 0.8))
    alpha = float(rng_b.uniform(0.05, 0.15))
    t0_v = float(rng_b.uniform(0.02, 0.2))
    tk = np.arange(int(KERNEL_S * FS_INT)) / FS_INT
    kern = (1.0 + tk / t0_v) ** -alpha
    k_end = float((1.0 + KERNEL_S / t0_v) ** -alpha)
    df = np.diff(f_el, prepend=f_el[:1])
    hered = signal.oaconvolve(df, kern - k_end)[:n]
    force = (g_inf + (1.0 - g_inf) * k_end) * f_el + (1.0 - g_inf) * hered
    if cfg.extra.get("ideal_band"):
        force = k_init * e
    force = np.maximum(force, 0.0)

    # ---- sampling clock and packets ----
    fs = float(cfg.rate_hz)
    conv = 0.0 if clean else float(rng_s.uniform(0.5, 1.0)) / fs  # conversion window
    t_first = conv + float(rng_s.uniform(0.0, 1.0 / fs)) + 0.01
    m = int((duration - t_first - 0.05) * fs)
    k = np.arange(m)
    ppm = 0.0 if clean else float(rng_s.uniform(-250.0, 250.0))
    wander_ppm = 0.0 if clean else float(rng_s.uniform(5.0, 60.0))
    wander_p = float(rng_s.uniform(200.0, 800.0))
    tn = k / fs
    wander = wander_ppm * 1e-6 * wander_p / (2 * np.pi) * (1.0 - np.cos(2 * np.pi * tn / wander_p))
    t_true = t_first + tn * (1.0 + ppm * 1e-6) + wander
    t_true = np.minimum(t_true, duration - 0.01)
    pkt = max(1, min(12, round(fs * float(rng_s.uniform(0.02, 0.06)))))
    n_pkt = -(-m // pkt)
    lat_scale = 0.0 if clean else cfg.jitter_frac / fs
    lat = rng_s.exponential(1.0, n_pkt) * lat_scale
    stamps = t_true + lat[k // pkt] - lat_scale
    step = 0.25 / fs
    stamps = np.maximum.accumulate(stamps - k * step) + k * step

    # ---- load cell ----
    if conv > 0:
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (force[1:] + force[:-1]))]) / FS_INT
        f_meas = (np.interp(t_true, tg, cum) - np.interp(t_true - conv, tg, cum)) / conv
    else:
        f_meas = np.interp(t_true, tg, force)
    noise = 0.0 if clean else float(rng_s.uniform(*cfg.noise_n))
    quantum = GRAM_N * float(rng_s.choice([1.0, 2.0, 5.0, 10.0]))
    n_flips = 0
    if not clean:
        f_meas = f_meas * (1.0 + float(rng_s.uniform(-0.015, 0.015)))
        f_meas += float(rng_s.uniform(-0.5, 0.5))  # tare error
        f_meas += float(rng_s.uniform(-0.6, 0.6)) * (1.0 - np.exp(-tn / rng_s.uniform(60.0, 400.0)))
        for tau_ou, sd in ((float(rng_s.uniform(2.0, 10.0)), float(rng_s.uniform(0.01, 0.08))),
                           (float(rng_s.uniform(60.0, 300.0)), float(rng_s.uniform(0.03, 0.3)))):
            a_ou = float(np.exp(-1.0 / (fs * tau_ou)))
            f_meas += signal.lfilter([sd * np.sqrt(1.0 - a_ou**2)], [1.0, -a_ou],
                                     rng_s.normal(0.0, 1.0, m),
                                     zi=[a_ou * sd * rng_s.normal()])[0]
        f_meas += rng_s.normal(0.0, noise, m)
    zero_counts = int(rng_s.integers(2000, 60000))
    counts = np.round(f_meas / quantum).astype(np.int64) + zero_counts
    if not clean:
        n_flips = int(rng_s.poisson(cfg.spikes_per_min * duration / 60.0))
        where = rng_s.integers(0, m, n_flips)
        # a flipped bit of the raw count: spikes of 2^k quanta (about 1-40 N)
        k_lo = int(np.ceil(np.log2(1.0 / quantum)))
        bits = rng_s.integers(k_lo, int(np.log2(40.0 / quantum)) + 1, n_flips)
        counts[where] = counts[where] ^ (np.int64(1) << bits)
        stale = np.flatnonzero(rng_s.random(m) < 0.002)
        stale = stale[stale > 0]
        counts[stale] = counts[stale - 1]
    force_out = (counts - zero_counts) * quantum

    # ---- stretch sensor ----
    has_stretch = cfg.has_stretch if cfg.has_stretch is not None else bool(rng_x.random() < 0.5)
    e_c = np.maximum(e, 0.0)
    if clean:
        stretch = np.interp(t_true, tg, e_c)
    else:
        tau_s = float(rng_x.uniform(0.01, 0.04))
        a_s = float(np.exp(-1.0 / (FS_INT * tau_s)))
        lagged = signal.lfilter([1.0 - a_s], [1.0, -a_s], e_c, zi=[a_s * e_c[0]])[0]
        s = np.interp(t_true, tg, lagged)
        gain, curve = float(rng_x.uniform(-0.05, 0.05)), float(rng_x.uniform(-0.2, 0.2))
        s = s * (1.0 + gain) + curve * s**2 / 1e3
        s += float(rng_x.uniform(-2.0, 2.0))
        a_d = float(np.exp(-1.0 / (fs * rng_x.uniform(30.0, 120.0))))
        sd_d = float(rng_x.uniform(0.2, 1.0))
        s += signal.lfilter([sd_d * np.sqrt(1.0 - a_d**2)], [1.0, -a_d],
                            rng_x.normal(0.0, 1.0, m), zi=[a_d * sd_d * rng_x.normal()])[0]
        s += rng_x.normal(0.0, float(rng_x.uniform(0.1, 0.5)), m)
        s = np.where(np.interp(t_true, tg, e) <= 0.0, 0.0, s)  # slack band reads zero
        stretch = np.clip(np.round(s / 0.1) * 0.1, 0.0, None)

    # ---- lost packets and dropouts ----
    lost_pkt = np.zeros(n_pkt, bool)
    if not clean and cfg.lost_packets_per_min > 0:
        p_loss = min(0.2, cfg.lost_packets_per_min * duration / 60.0 / n_pkt)
        for p0 in np.flatnonzero(rng_l.random(n_pkt) < p_loss):
            lost_pkt[p0:p0 + int(rng_l.geometric(0.5))] = True
    keep = ~lost_pkt[k // pkt]
    if not clean and cfg.gaps_per_min > 0:
        for _ in range(int(rng_l.poisson(cfg.gaps_per_min * duration / 60.0))):
            glen = float(np.exp(rng_l.uniform(np.log(0.3), np.log(2.0))))
            g0 = float(rng_l.uniform(0.0, duration - glen))
            keep &= ~((t_true >= g0) & (t_true < g0 + glen))
    keep[:5] = True
    keep[-5:] = True

    offset = cfg.time_offset_s
    if offset is None:
        choice = rng_l.random()
        offset = (0.0 if choice < 0.4 else float(rng_l.uniform(10.0, 1e5)) if choice < 0.7
                  else float(rng_l.uniform(1.6e9, 1.8e9)))
    out_t = np.round(stamps + offset, 6)
    gaps = []
    lost = np.flatnonzero(~keep)
    if len(lost):
        cuts = np.flatnonzero(np.diff(lost) > 1)
        for a_i, b_i in zip(np.r_[0, cuts + 1], np.r_[cuts, len(lost) - 1], strict=True):
            gaps.append({"start_s": float(out_t[lost[a_i]]), "end_s": float(out_t[lost[b_i]]),
                         "samples": int(b_i - a_i + 1)})

    # ---- truth ----
    o = float(offset)
    reps: list[dict[str, Any]] = []
    holds: list[dict[str, Any]] = []
    for mv in moves:
        if mv.kind == "hold":
            holds.append({"set": mv.set_index, "start_s": mv.start + o,
                          "top_start_s": mv.top_start + o, "top_end_s": mv.top_end + o,
                          "end_s": mv.end + o, "duration_s": mv.pause, "side": mv.side,
                          "range_mm": mv.amp})
            continue
        reps.append({"index": len(reps), "set": mv.set_index, "start_s": mv.start + o,
                     "top_start_s": mv.top_start + o, "top_end_s": mv.top_end + o,
                     "end_s": mv.end + o, "concentric_s": mv.conc, "pause_s": mv.pause,
                     "eccentric_s": mv.ecc, "partial": mv.partial, "range_mm": mv.amp,
                     "side": mv.side, "concentric_profile": mv.up.family,
                     "eccentric_profile": mv.down.family})
    for s_ in sets:
        s_["start_s"] += o
        s_["end_s"] += o
    fid_truth = [{"kind": f.kind, "start_s": f.start + o, "end_s": f.start + f.dur + o,
                  "amplitude_mm": float(f.amp)} for f in sorted(fidgets, key=lambda f: f.start)]
    truth = {
        "sets": sets, "reps": reps, "holds": holds, "gaps": gaps, "fidgets": fid_truth,
        "metadata": {
            "seed": seed, "model": "d-gent-mullins", "rate_hz": fs, "exercises": exercises,
            "time_offset_s": o, "has_stretch": has_stretch, "noise_n": noise,
            "quantum_n": quantum, "bit_flips": n_flips, "packet_samples": pkt,
            "conversion_s": conv, "clock_ppm": ppm,
            "band": {"k_init_n_per_mm": k_init, "length_mm": length0, "jm": jm,
                     "mullins_r": r_m, "heal_s": tau_heal, "g_inf": g_inf,
                     "relax_alpha": alpha, "relax_t0_s": t0_v},
        },
    }
    return Generated(out_t[keep], force_out[keep], stretch[keep] if has_stretch else None, truth)
