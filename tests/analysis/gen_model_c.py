"""A third, independent band-and-movement model: a person with low-back pain.

Written without looking at how bandsense analyses a recording (only at the truth format of
``tests/analysis/gen_model.py`` and the scoring), and different from both the simulator
(firmware_sim) and gen_model.py in every modelling choice:

- movement: every phase is one of
  * ``spring`` - a second-order joint response (damping ratio 1.0-1.6: critically or
    over-damped) to a *ramp* command of random duration. It approaches its target only
    asymptotically: the truth arrival instant is when the response is within
    ``ARRIVAL_FRAC`` (0.5%) of the phase's travel; the response keeps creeping in the
    remaining 0.5% afterwards (during the pause or the rest at the bottom);
  * ``via`` - two overlapping minimum-jerk sub-movements (a hesitation mid-range, the
    velocity dips but does not stop);
  * ``lognormal`` - a lognormal velocity profile (kinematic theory of rapid movements),
    truncated at its 0.5% and 99.5% quantiles, optionally time-reversed (late peak);
  * ``cycloid`` - a cycloidal ramp that undershoots by 3-8%, completed by a slow
    corrective sub-movement with a little 8-12 Hz tremor on it;
  tops: a hold (pause 0-2.5 s, some sets prescribed exactly ~0.5 s), a slow drift up or
  down instead of a still hold, breathing (0.2-0.3 Hz) and tremor on long holds, small
  corrections during a hold; fatigue slows the eccentric and shrinks the range; sets to
  failure end with failed (partial, < 45%) attempts; pain-related aborted reps; a floor
  that is not fully released between reps;
- band: exponential stiffening ``F = k L (exp(e / L) - 1)`` of the total elongation ``e``
  (pre-stretch + movement), quasi-linear viscoelasticity (Fung) with two Maxwell branches
  (tau 0.15-1 s and 3-15 s): overshoot while loading, relaxation during a pause, hysteresis
  from the relaxation, no explicit branch model; pre-stretch changes when the band is
  re-wrapped between sets;
- sensor: first-order anti-alias low-pass, sampling of a 1 kHz continuous signal at
  20-200 Hz with clock drift (ppm) and jitter, ADC quantisation (0.01-0.1 N steps), 1/f
  (pink) baseline drift, zero offset, single and double spikes, dropouts of 0.05-2 s;
  stretch (half the recordings) with its own gain/offset error, lag of 0-15 ms, noise and
  0.1 or 0.5 mm quantisation;
- session: 2-3 of four exercises (hip external rotation to failure, single-leg bridge 3x10
  with a pause, table-top reach held several breaths, table-top hip ER 3x10 with a pause),
  2-4 sets each, rests of 10-60 s with leg sway, tugs and band re-adjustments.

Truth instants are those of the movement: ``start_s`` first motion (the command onset for
``spring``, where the position leaves its level quadratically; profile start otherwise),
``top_start_s`` arrival at the top (0.5% rule for ``spring``; end of the corrective
sub-movement for ``cycloid``), ``top_end_s`` departure, ``end_s`` back at rest (same rules).
Conventions follow ``gen_model.py``: hold sets have ``rep_count`` 0 and the hold is in
``holds`` only; partial reps are in ``reps`` with ``partial`` True and are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import signal, special

FINE_HZ = 1000.0
ARRIVAL_FRAC = 0.005  # spring: arrived when within 0.5% of the travel
FAMILIES = ("spring", "via", "lognormal", "cycloid")
EXERCISES: dict[str, dict[str, Any]] = {
    # kind, amplitude range (mm), unilateral, reps (lo, hi), pause (lo, hi)
    "hip_er_failure": {"kind": "reps", "amp": (40.0, 120.0), "sides": True,
                       "reps": (8, 19), "pause": (0.0, 0.4), "failure": True},
    "single_leg_bridge": {"kind": "reps", "amp": (80.0, 240.0), "sides": True,
                          "reps": (8, 12), "pause": (0.8, 2.5), "failure": False},
    "table_top_reach": {"kind": "hold", "amp": (60.0, 180.0), "sides": True,
                        "reps": (1, 2), "pause": (8.0, 30.0), "failure": False},
    "table_top_hip_er": {"kind": "reps", "amp": (50.0, 150.0), "sides": True,
                         "reps": (8, 12), "pause": (0.3, 2.0), "failure": False},
}

Curve = Callable[[np.ndarray], np.ndarray]


def _min_jerk(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    out: np.ndarray = u**3 * (10.0 - 15.0 * u + 6.0 * u * u)
    return out


@lru_cache(maxsize=256)
def _spring_table(zeta: float, c: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Normalised response to a unit ramp command lasting ``c`` (time in units of 1/wn).

    Returns the dimensionless time grid, the response and the arrival time (response
    within ``ARRIVAL_FRAC`` of 1).
    """
    s = np.arange(0.0, 120.0, 0.004)
    if zeta < 1.0005:
        g = 1.0 - (1.0 + s) * np.exp(-s)
    else:
        r = np.sqrt(zeta * zeta - 1.0)
        r1, r2 = -zeta + r, -zeta - r
        g = 1.0 + (r2 * np.exp(r1 * s) - r1 * np.exp(r2 * s)) / (r1 - r2)
    big_g = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * 0.004)])
    shifted = np.interp(s - c, s, big_g, left=0.0)
    y = (big_g - shifted) / c
    y = np.maximum.accumulate(np.clip(y, 0.0, 1.0))
    s_arr = float(s[int(np.argmax(y >= 1.0 - ARRIVAL_FRAC))])
    return s, y, s_arr


def _phase_curve(family: str, prm: dict[str, float], dur: float) -> Curve:
    """Normalised position (0 -> 1) of one phase as a function of time since its start.

    Beyond ``dur`` it is 1, except ``spring`` which keeps creeping in its last 0.5%.
    """
    if family == "spring":
        s, y, s_arr = _spring_table(prm["zeta"], prm["c"])
        wn = s_arr / dur
        return lambda t: np.interp(np.maximum(t, 0.0) * wn, s, y, right=1.0)
    if family == "via":
        w, a, b = prm["w"], prm["a"], prm["b"]
        return lambda t: (w * _min_jerk(t / (a * dur))
                          + (1.0 - w) * _min_jerk((t / dur - b) / (1.0 - b)))
    if family == "lognormal":
        sig = prm["sigma"]
        z = special.ndtri(ARRIVAL_FRAC)
        lo, hi = np.exp(sig * z), np.exp(-sig * z)
        mirror = prm["mirror"] > 0.5

        def logn(t: np.ndarray) -> np.ndarray:
            u = np.clip(t / dur, 0.0, 1.0)
            if mirror:
                u = 1.0 - u
            tt = lo + u * (hi - lo)
            cdf = special.ndtr(np.log(tt) / sig)
            p = np.clip((cdf - ARRIVAL_FRAC) / (1.0 - 2 * ARRIVAL_FRAC), 0.0, 1.0)
            out: np.ndarray = 1.0 - p if mirror else p
            return out
        return logn
    if family == "cycloid":
        under, f, trem, hz = prm["under"], prm["f"], prm["tremor"], prm["tremor_hz"]

        def cyc(t: np.ndarray) -> np.ndarray:
            u = np.clip(t / dur, 0.0, 1.0)
            v = np.clip(u / f, 0.0, 1.0)
            main = (1.0 - under) * (v - np.sin(2 * np.pi * v) / (2 * np.pi))
            w = np.clip((u - f) / (1.0 - f), 0.0, 1.0)
            corr = under * _min_jerk(w)
            tr = trem * np.sin(2 * np.pi * hz * t) * np.sin(np.pi * w) ** 2
            out: np.ndarray = main + corr + tr
            return out
        return cyc
    raise ValueError(family)


def _draw_phase(rng: np.random.Generator,
                weights: tuple[float, ...]) -> tuple[str, dict[str, float]]:
    fam = str(rng.choice(FAMILIES, p=np.asarray(weights) / np.sum(weights)))
    if fam == "spring":
        return fam, {"zeta": round(float(rng.uniform(1.0, 1.6)), 2),
                     "c": round(float(rng.uniform(0.5, 3.0)), 1)}
    if fam == "via":
        a = float(rng.uniform(0.5, 0.75))
        return fam, {"w": float(rng.uniform(0.4, 0.7)), "a": a,
                     "b": a * float(rng.uniform(0.6, 0.95))}
    if fam == "lognormal":
        return fam, {"sigma": float(rng.uniform(0.15, 0.4)), "mirror": float(rng.random() < 0.4)}
    return fam, {"under": float(rng.uniform(0.03, 0.08)), "f": float(rng.uniform(0.75, 0.9)),
                 "tremor": float(rng.uniform(0.0, 0.006)),
                 "tremor_hz": float(rng.uniform(8.0, 12.0))}


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int | None = None  # None: 2 or 3
    hold_exercise: bool | None = None  # None: the hold exercise may or may not be drawn
    noise_n: tuple[float, float] = (0.02, 0.3)
    spikes_per_min: float = 1.5
    gaps_per_min: float = 1.0
    jitter_frac: float = 0.08
    has_stretch: bool | None = None  # None: random
    partial_prob: float = 0.04  # pain-related aborted reps (sets to failure add their own)
    time_offset_s: float | None = None  # None: random (0 or a time of day)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


@dataclass
class _Seg:
    """A piece of the displacement from ``t0`` until the next piece starts."""

    t0: float
    f: Callable[[np.ndarray], np.ndarray]  # displacement (mm) at absolute times


def _moving(t0: float, a: float, b: float, curve: Curve) -> _Seg:
    return _Seg(t0, lambda t: a + (b - a) * curve(t - t0))


def _pick_exercises(rng: np.random.Generator, cfg: GenConfig) -> list[str]:
    n = cfg.exercises if cfg.exercises is not None else int(rng.integers(2, 4))
    names = [e for e in EXERCISES if e != "table_top_reach"]
    chosen = [str(x) for x in rng.choice(names, size=min(n, len(names)), replace=False)]
    want_hold = cfg.hold_exercise if cfg.hold_exercise is not None else bool(rng.random() < 0.6)
    if want_hold:
        chosen.insert(int(rng.integers(0, len(chosen) + 1)), "table_top_reach")
        if cfg.exercises is None and len(chosen) > 3:
            chosen.pop(next(i for i, c in enumerate(chosen) if c != "table_top_reach"))
    return chosen


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    rng = np.random.default_rng(seed)
    segs: list[_Seg] = [_Seg(0.0, lambda t: np.zeros_like(t))]
    level = 0.0  # displacement where the last planned segment ends (mm)
    sets: list[dict[str, Any]] = []
    reps: list[dict[str, Any]] = []
    holds: list[dict[str, Any]] = []
    tugs: list[tuple[float, float, float]] = []  # (start, duration, mm)
    # (start, duration, new pre-stretch mm, pull while re-wrapping mm)
    rewraps: list[tuple[float, float, float, float]] = []
    fidgets: list[dict[str, Any]] = []  # truth: what happens between sets that is no rep
    pre0 = float(rng.uniform(5.0, 50.0))
    t = float(rng.uniform(3.0, 8.0))
    max_amp = 0.0
    # The person's style: which families they tend to use (guarded movers hesitate more).
    style = tuple(float(x) for x in rng.dirichlet([1.5, 1.5, 1.5, 1.5]) + 0.05)

    exercises = _pick_exercises(rng, cfg)
    for ex_i, name in enumerate(exercises):
        spec = EXERCISES[name]
        amp = float(rng.uniform(*spec["amp"]))
        max_amp = max(max_amp, amp * 1.1)
        n_sets = int(rng.integers(2, 5))
        conc0 = float(rng.uniform(0.7, 2.6))
        ecc0 = float(rng.uniform(0.8, 3.2))
        bottom0 = float(rng.uniform(0.0, 1.5))
        plo, phi = spec["pause"]
        half_second = spec["kind"] == "reps" and not spec["failure"] and rng.random() < 0.2
        first_side = str(rng.choice(["left", "right"]))
        for s_i in range(n_sets):
            side = (first_side if s_i % 2 == 0 else ("right" if first_side == "left" else "left"))
            set_index = len(sets)
            set_start = t
            floor = amp * float(rng.uniform(0.0, 0.08)) if rng.random() < 0.3 else 0.0
            if floor > 0:  # take up the floor before the set (not a rep: slow, before start)
                segs.append(_moving(t - 2.5, level, floor, _phase_curve("via", {
                    "w": 0.5, "a": 0.6, "b": 0.5}, 1.5)))
                fidgets.append({"kind": "take_up_floor", "start_s": t - 2.5, "end_s": t - 1.0,
                                "mm": floor})
                level = floor
            n_reps = int(rng.integers(*spec["reps"])) if spec["kind"] == "reps" else 1
            failed = int(rng.integers(1, 3)) if spec["failure"] else 0
            total = n_reps + failed
            full = 0
            n_partial = 0
            drift_set = rng.random() < 0.3
            for r in range(total):
                prog = r / max(total - 1, 1)
                is_hold = spec["kind"] == "hold"
                partial = r >= n_reps or (not is_hold and r > 0 and rng.random() < cfg.partial_prob)
                fat = 1.0 - (0.25 if spec["failure"] else 0.1) * prog
                a = amp * fat * float(np.exp(rng.normal(0.0, 0.05)))
                if partial:
                    a = amp * float(rng.uniform(0.15, 0.42))
                top = floor + a
                conc = conc0 * (1.0 + (0.5 if spec["failure"] else 0.15) * prog)
                conc = max(0.45, conc * float(np.exp(rng.normal(0.0, 0.12))))
                ecc = ecc0 * (1.0 + float(rng.uniform(0.1, 0.4)) * prog)  # fatigue slows it
                ecc = max(0.5, ecc * float(np.exp(rng.normal(0.0, 0.12))))
                if is_hold:
                    pause = float(rng.uniform(plo, phi))
                    conc, ecc = float(rng.uniform(1.0, 3.0)), float(rng.uniform(1.0, 3.0))
                elif partial:
                    pause = float(rng.uniform(0.0, 0.3))
                    conc, ecc = conc * 0.6, ecc * 0.6
                elif half_second:
                    pause = float(rng.uniform(0.42, 0.6))
                else:
                    pause = float(rng.uniform(plo, phi))
                    if spec["failure"] and rng.random() < 0.5:
                        pause = 0.0
                start, top_start = t, t + conc
                top_end, end = top_start + pause, top_start + pause + ecc
                up, down = _draw_phase(rng, style), _draw_phase(rng, style)
                segs.append(_moving(start, level, top, _phase_curve(up[0], up[1], conc)))
                top_level = top
                if pause > 0 and (is_hold or drift_set or pause > 2.0):
                    prev = segs[-1].f
                    d = a * (float(rng.uniform(-0.08, 0.02)) if is_hold
                             else float(rng.uniform(-0.05, 0.04)))
                    breath = a * float(rng.uniform(0.01, 0.04)) if is_hold else 0.0
                    bhz = float(rng.uniform(0.2, 0.3))
                    trem = a * float(rng.uniform(0.0, 0.005))
                    thz = float(rng.uniform(7.0, 11.0))
                    corr = [(float(rng.uniform(top_start + 1, top_end - 1.5)),
                             a * float(rng.uniform(-0.03, 0.03)))
                            for _ in range(int(rng.integers(0, 4)) if is_hold else 0)]

                    def at_top(tt: np.ndarray, prev: Curve = prev, ts: float = top_start,
                               p: float = pause, d: float = d, breath: float = breath,
                               bhz: float = bhz, trem: float = trem, thz: float = thz,
                               corr: list[tuple[float, float]] = corr) -> np.ndarray:
                        u = np.clip((tt - ts) / p, 0.0, 1.0)
                        win = np.sin(np.pi * u) ** 2
                        out = prev(tt) + d * u * u * (3 - 2 * u) + win * (
                            breath * np.sin(2 * np.pi * bhz * (tt - ts))
                            + trem * np.sin(2 * np.pi * thz * tt))
                        for c0, ca in corr:
                            out = out + ca * _min_jerk((tt - c0) / 0.8)
                        res: np.ndarray = out
                        return res

                    segs.append(_Seg(top_start, at_top))
                    top_level = float(at_top(np.array([top_end]))[0])
                segs.append(_moving(top_end, top_level, floor, _phase_curve(down[0], down[1], ecc)))
                level = floor
                if is_hold:
                    holds.append({"set": set_index, "start_s": start, "end_s": end,
                                  "duration_s": pause, "top_start_s": top_start,
                                  "top_end_s": top_end})
                else:
                    reps.append({"index": len(reps), "set": set_index, "start_s": start,
                                 "top_start_s": top_start, "top_end_s": top_end, "end_s": end,
                                 "concentric_s": conc, "pause_s": pause, "eccentric_s": ecc,
                                 "partial": partial, "range_mm": a,
                                 "profiles": [up[0], down[0]]})
                    full += 0 if partial else 1
                    n_partial += int(partial)
                t = end
                if r < total - 1:
                    t += bottom0 * float(np.exp(rng.normal(0.0, 0.3))) + (
                        float(rng.uniform(0.5, 2.0)) if r >= n_reps - 1 and failed else 0.0)
            sets.append({"index": set_index, "kind": spec["kind"], "side": side,
                         "exercise": name, "start_s": set_start, "end_s": t,
                         "rep_count": full if spec["kind"] == "reps" else 0,
                         "partial_count": n_partial})
            if floor > 0:  # let go of the floor after the set
                t_let = t + float(rng.uniform(0.8, 2.0))
                segs.append(_moving(t_let, floor, 0.0,
                                    _phase_curve("lognormal", {"sigma": 0.3, "mirror": 0.0}, 1.2)))
                fidgets.append({"kind": "release_floor", "start_s": t_let, "end_s": t_let + 1.2,
                                "mm": -floor})
                level = 0.0
            last = ex_i == len(exercises) - 1 and s_i == n_sets - 1
            if last:
                break
            rest = float(rng.uniform(10.0, 60.0)) if s_i < n_sets - 1 else float(
                rng.uniform(30.0, 90.0))
            r0, r1 = t + 4.0, t + rest - 3.0
            for _ in range(int(rng.poisson(1.2 * rest / 30.0))):
                if r1 - r0 > 1.5:
                    d = float(rng.uniform(0.3, 1.2))
                    tugs.append((float(rng.uniform(r0, r1 - d)), d,
                                 amp * float(rng.uniform(0.03, 0.15))))
                    fidgets.append({"kind": "tug", "start_s": tugs[-1][0],
                                    "end_s": tugs[-1][0] + d, "mm": tugs[-1][2]})
            if r1 - r0 > 4.0 and rng.random() < 0.4:
                d = float(rng.uniform(1.0, 3.0))
                rewraps.append((float(rng.uniform(r0, r1 - d)), d, float(rng.uniform(5.0, 50.0)),
                                amp * float(rng.uniform(0.05, 0.15))))
                fidgets.append({"kind": "rewrap", "start_s": rewraps[-1][0],
                                "end_s": rewraps[-1][0] + d, "mm": rewraps[-1][3],
                                "pre_stretch_mm": rewraps[-1][2]})
            t += rest
    duration = t + float(rng.uniform(3.0, 8.0))

    # ---- continuous (1 kHz) displacement and elongation ----
    n = int(duration * FINE_HZ) + 1
    tf = np.arange(n) / FINE_HZ
    x = np.zeros(n)
    order = np.argsort([s.t0 for s in segs], kind="stable")
    segs = [segs[i] for i in order]
    bounds = np.searchsorted(tf, [s.t0 for s in segs] + [duration + 1.0])
    for i, s in enumerate(segs):
        i0, i1 = int(bounds[i]), int(bounds[i + 1])
        if i1 > i0:
            x[i0:i1] = s.f(tf[i0:i1])
    for t0, d, a in tugs:
        i0, i1 = np.searchsorted(tf, [t0, t0 + d])
        x[i0:i1] += a * np.sin(np.pi * (tf[i0:i1] - t0) / d) ** 2
    sway_sd = float(rng.uniform(0.3, 1.5))
    b, a_f = signal.butter(2, float(rng.uniform(0.15, 0.5)) / (FINE_HZ / 2))
    sway = signal.lfilter(b, a_f, rng.normal(0.0, 1.0, n))
    x += sway_sd * sway / max(float(np.std(sway)), 1e-9)
    pre = np.full(n, pre0)
    current = pre0
    for t0, d, new, pull in rewraps:
        # re-wrapping: a pull while adjusting, then the new pre-stretch
        i0, i1 = np.searchsorted(tf, [t0, t0 + d])
        u = np.clip((tf[i0:] - t0) / d, 0.0, 1.0)
        pre[i0:] = current + (new - current) * _min_jerk(u)
        pre[i0:i1] += pull * np.sin(np.pi * (tf[i0:i1] - t0) / d) ** 2
        current = new
    e = np.maximum(pre + x, 0.0)

    # ---- band: exponential stiffening + two-branch quasi-linear viscoelasticity ----
    k = float(rng.uniform(0.12, 0.5))
    length = (max_amp + 60.0) * float(rng.uniform(1.3, 4.0))
    if cfg.extra.get("linear_band"):
        length = 1e9
    f_el = k * length * np.expm1(e / length)
    df = np.diff(f_el, prepend=f_el[:1])
    force = f_el.copy()
    for tau, g in ((float(rng.uniform(0.15, 1.0)), float(rng.uniform(0.03, 0.1))),
                   (float(rng.uniform(3.0, 15.0)), float(rng.uniform(0.02, 0.08)))):
        decay = np.exp(-1.0 / (FINE_HZ * tau))
        force += g * signal.lfilter([1.0], [1.0, -decay], df)
    force = np.maximum(force, 0.0)

    # ---- sensor: anti-alias low-pass, sampling with clock drift and jitter ----
    fs = float(cfg.rate_hz)
    fc = float(rng.uniform(0.25, 0.45)) * fs
    alpha = 1.0 - np.exp(-2 * np.pi * fc / FINE_HZ)
    force_lp = signal.lfilter([alpha], [1.0, alpha - 1.0], force, zi=[force[0] * (1 - alpha)])[0]
    ppm = float(rng.uniform(-200.0, 200.0)) * 1e-6
    m_samples = int(duration * fs)
    ts = np.arange(m_samples) / fs * (1.0 + ppm)
    if cfg.jitter_frac > 0:
        ts = ts + rng.normal(0.0, cfg.jitter_frac / fs, m_samples)
    ts = np.clip(np.maximum.accumulate(ts), 0.0, duration)
    fmeas = np.interp(ts, tf, force_lp)
    # reported timestamps: the sampling instants plus a small timestamping error
    err = rng.normal(0.0, 0.25 * cfg.jitter_frac / fs, m_samples)
    stamp = np.maximum.accumulate(np.maximum(ts + err, 0.0))
    # 1/f drift: white noise shaped by 1/sqrt(f) in the frequency domain
    spec_f = np.fft.rfft(rng.normal(0.0, 1.0, m_samples))
    freqs = np.fft.rfftfreq(m_samples, 1.0 / fs)
    spec_f[1:] /= np.sqrt(freqs[1:] / freqs[1])
    spec_f[0] = 0.0
    pink = np.fft.irfft(spec_f, m_samples)
    pink_rms = float(rng.uniform(0.05, 0.6))
    fmeas += pink_rms * pink / max(float(np.std(pink)), 1e-9)
    fmeas += float(rng.uniform(-0.8, 0.8))  # zero offset
    noise = float(rng.uniform(*cfg.noise_n))
    fmeas += rng.normal(0.0, noise, m_samples)
    for _ in range(int(rng.poisson(cfg.spikes_per_min * duration / 60.0))):
        i = int(rng.integers(0, m_samples - 2))
        size = float(rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 30.0))
        fmeas[i:i + int(rng.integers(1, 3))] += size
    q = float(rng.choice([0.01, 0.02, 0.05, 0.1]))
    fmeas = np.round(fmeas / q) * q

    has_stretch = cfg.has_stretch if cfg.has_stretch is not None else bool(rng.random() < 0.5)
    lag = float(rng.uniform(0.0, 0.015))
    sq = float(rng.choice([0.1, 0.5]))
    stretch = (np.interp(ts - lag, tf, e) * float(rng.uniform(0.97, 1.03))
               + float(rng.uniform(-3.0, 3.0)) + rng.normal(0.0, float(rng.uniform(0.1, 0.6)),
                                                          m_samples))
    stretch = np.round(stretch / sq) * sq

    keep = np.ones(m_samples, bool)
    gaps = []
    for _ in range(int(rng.poisson(cfg.gaps_per_min * duration / 60.0))):
        glen = float(np.exp(rng.uniform(np.log(0.05), np.log(2.0))))
        g0 = float(rng.uniform(0.0, duration - glen))
        m = (ts >= g0) & (ts < g0 + glen)
        if m.any():
            keep &= ~m
            gaps.append({"start_s": g0, "end_s": g0 + glen})

    offset = cfg.time_offset_s if cfg.time_offset_s is not None else float(
        rng.choice([0.0, float(rng.uniform(0.0, 86400.0))]))
    out_t = np.round(stamp + offset, 6)
    for item in [*sets, *reps, *holds, *gaps, *fidgets]:
        for key in ("start_s", "end_s", "top_start_s", "top_end_s"):
            if key in item:
                item[key] += offset
    fidgets.sort(key=lambda f: f["start_s"])
    truth = {"sets": sets, "reps": reps, "holds": holds, "gaps": gaps, "fidgets": fidgets,
             "metadata": {"seed": seed, "rate_hz": fs, "noise_n": noise, "model": "c-lbp",
                          "band_k_n_per_mm": k, "band_length_mm": length,
                          "quantum_n": q, "exercises": exercises, "time_offset_s": offset}}
    return Generated(out_t[keep], fmeas[keep], stretch[keep] if has_stretch else None, truth)
