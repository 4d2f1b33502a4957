"""A second, independent band-and-movement model for developing and checking the analysis.

The simulator (firmware_sim) is one model of a person and a band; bandsense is scored on
recordings from yet another. This generator is deliberately different from firmware_sim
in every modelling choice (profile families, band law, hysteresis, faults) so that accuracy
measured on both is evidence the analysis is not tuned to one shape:

- phase profiles: regularised incomplete beta with random asymmetric exponents, raised
  cosine, truncated logistic and truncated-Gaussian-velocity profiles;
- band law: quadratic stiffening with *rate-dependent* hysteresis (tanh of velocity);
- faults: multi-sample spikes, sinusoidal + linear drift, pre-tension steps between sets,
  tugs and slow sway during rest, timestamp jitter, gaps, a time axis that does not start
  at zero.

Truth follows the conventions of ``firmware_sim.truth``: hold sets have ``rep_count`` 0 and
their hold is listed in ``holds`` only; partial reps are in ``reps`` but not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

PROFILES = ("beta", "cosine", "logistic", "gauss_velocity")


def _profile(kind: str, u: np.ndarray, p: tuple[float, float]) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    if kind == "beta":
        return np.asarray(special.betainc(p[0], p[1], u))
    if kind == "cosine":
        return 0.5 - 0.5 * np.cos(np.pi * u)
    if kind == "logistic":
        k = p[0]
        lo, hi = 1 / (1 + np.exp(k)), 1 / (1 + np.exp(-k))
        return (1 / (1 + np.exp(-k * (2 * u - 1))) - lo) / (hi - lo)
    if kind == "gauss_velocity":
        w = p[0]
        lo = special.erf(-w)
        return (special.erf(w * (2 * u - 1)) - lo) / (-2 * lo)
    raise ValueError(kind)


def _draw_profile(rng: np.random.Generator) -> tuple[str, tuple[float, float]]:
    kind = str(rng.choice(PROFILES, p=[0.5, 0.2, 0.15, 0.15]))
    if kind == "beta":
        return kind, (float(rng.uniform(1.8, 4.5)), float(rng.uniform(1.8, 4.5)))
    # Truncated sigmoids: steep enough that the truncation is a visible start (a
    # steeper logistic spends its first 10% of time moving < 0.5% of the range: that
    # "start" is not a physical instant any sensor could see).
    if kind == "logistic":
        return kind, (float(rng.uniform(3.5, 5.0)), 0.0)
    if kind == "gauss_velocity":
        return kind, (float(rng.uniform(1.5, 2.2)), 0.0)
    return kind, (0.0, 0.0)


@dataclass
class GenConfig:
    rate_hz: float = 100.0
    exercises: int = 2
    hold_exercise: bool = True
    noise_n: tuple[float, float] = (0.03, 0.35)
    spikes_per_min: float = 2.0
    gaps_per_min: float = 1.5
    jitter_frac: float = 0.05
    has_stretch: bool | None = None  # None: random
    partial_prob: float = 0.05
    time_offset_s: float | None = None  # None: random
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generated:
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


def generate(seed: int, cfg: GenConfig | None = None) -> Generated:
    """One recording with its truth (times on the recording's own axis)."""
    cfg = cfg or GenConfig()
    rng = np.random.default_rng(seed)
    fs = cfg.rate_hz
    plan: list[dict[str, Any]] = []  # movements: dicts with instants and shape
    sets: list[dict[str, Any]] = []
    fidgets: list[tuple[float, float, float]] = []  # (start, duration, amplitude mm)
    steps: list[tuple[float, float, float]] = []  # pre-tension steps (at, duration, delta N)
    t = float(rng.uniform(2.0, 5.0))
    kinds = ["reps"] * cfg.exercises
    if cfg.hold_exercise:
        kinds.insert(int(rng.integers(0, len(kinds) + 1)), "hold")
    for ex_i, kind in enumerate(kinds):
        amp = float(rng.uniform(60.0, 200.0))
        n_sets = int(rng.integers(2, 4))
        tempo = (rng.uniform(0.6, 2.5), rng.uniform(0.0, 2.2), rng.uniform(0.7, 3.0),
                 rng.uniform(0.0, 2.2))
        if rng.random() < 0.25:
            tempo = (tempo[0], 0.0, tempo[2], tempo[3])
        for _ in range(n_sets):
            set_index = len(sets)
            set_start = t
            n_reps = 1 if kind == "hold" else int(rng.integers(5, 13))
            full = 0
            for r in range(n_reps):
                fat = 1.0 - 0.15 * r / max(n_reps - 1, 1)
                slow = 1.0 + 0.2 * r / max(n_reps - 1, 1)
                def vary(x: float, slow: float = slow) -> float:
                    return float(x * slow * np.exp(rng.normal(0, 0.1)))

                partial = kind == "reps" and r > 0 and rng.random() < cfg.partial_prob
                a = amp * fat * float(np.exp(rng.normal(0, 0.04)))
                if partial:
                    a = amp * float(rng.uniform(0.2, 0.42))
                conc, ecc = max(vary(tempo[0]), 0.45), max(vary(tempo[2]), 0.5)
                pause = vary(tempo[1]) if tempo[1] > 0 else 0.0
                if kind == "hold":
                    pause = float(rng.uniform(8.0, 30.0))
                    conc, ecc = float(rng.uniform(1.0, 2.5)), float(rng.uniform(1.0, 2.5))
                mv = {
                    "set": set_index, "start": t, "top_start": t + conc,
                    "top_end": t + conc + pause, "end": t + conc + pause + ecc,
                    "amp": a, "partial": partial, "kind": kind,
                    "up": _draw_profile(rng), "down": _draw_profile(rng),
                    "tremor": float(rng.uniform(0.0, 0.012)) if rng.random() < 0.5 else 0.0,
                    "tremor_hz": float(rng.uniform(7.0, 11.0)),
                    "breath": float(rng.uniform(0.015, 0.05)) if kind == "hold" else 0.0,
                    "breath_s": float(rng.uniform(3.0, 5.0)),
                    "sag": float(rng.uniform(0.0, 0.04)),
                }
                plan.append(mv)
                full += 0 if partial else 1
                t = mv["end"] + (vary(tempo[3]) if r < n_reps - 1 else 0.0)
            sets.append({"index": set_index, "kind": kind, "side": None, "start_s": set_start,
                         "end_s": t, "rep_count": full if kind == "reps" else 0})
            rest = float(rng.uniform(15.0, 50.0))
            # Fidgeting during rest: tugs and sometimes a pre-tension step.
            for _ in range(int(rng.poisson(1.5))):
                fidgets.append((t + float(rng.uniform(2.5, rest - 3.0)),
                                float(rng.uniform(0.25, 1.0)),
                                amp * float(rng.uniform(0.02, 0.12))))
            if rng.random() < 0.5:
                steps.append((t + float(rng.uniform(3.0, rest - 6.0)), float(rng.uniform(0.5, 2.0)),
                              float(rng.uniform(-4.0, 6.0))))
            t += rest
        _ = ex_i
    duration = t + float(rng.uniform(2.0, 5.0))

    n = int(duration * fs)
    tt = np.arange(n) / fs
    x = np.zeros(n)
    for mv in plan:
        i0, i1 = int(np.floor(mv["start"] * fs)), int(np.ceil(mv["end"] * fs)) + 1
        ts = tt[i0:i1]
        conc = mv["top_start"] - mv["start"]
        up = _profile(mv["up"][0], (ts - mv["start"]) / conc, mv["up"][1])
        down = 1 - _profile(mv["down"][0], (ts - mv["top_end"]) / (mv["end"] - mv["top_end"]),
                            mv["down"][1])
        p = np.where(ts < mv["top_start"], up, np.where(ts <= mv["top_end"], 1.0, down))
        at_top = np.clip(
            np.minimum(ts - mv["top_start"] + 0.2, mv["top_end"] + 0.2 - ts) / 0.4, 0, 1)
        mod = 1.0 + mv["tremor"] * np.sin(2 * np.pi * mv["tremor_hz"] * ts) * at_top
        pause = mv["top_end"] - mv["top_start"]
        if pause > 0:
            # Sag: range lost over the pause, kept through the release.
            since = np.clip((ts - mv["top_start"]) / pause, 0, 1)
            mod -= mv["sag"] * since
            phase = 2 * np.pi * (ts - mv["top_start"]) / mv["breath_s"]
            mod += mv["breath"] * np.sin(phase) * at_top
        x[i0:i1] += mv["amp"] * p * mod
    for start, dur, a in fidgets:
        m = (tt >= start) & (tt <= start + dur)
        x[m] += a * np.sin(np.pi * (tt[m] - start) / dur) ** 2
    # slow sway during rest: a few mm
    x += 1.5 * np.sin(2 * np.pi * tt / float(rng.uniform(7, 13))) * (x < 1.0)
    x = np.maximum(x, 0.0)

    k = float(rng.uniform(0.15, 0.5))
    q = k * float(rng.uniform(0.0, 0.004))
    pre = float(rng.uniform(2.0, 25.0))
    pre_t = np.full(n, pre)
    for at, dur, delta in steps:
        pre_t += delta * np.clip((tt - at) / dur, 0, 1)
    pre_t = np.maximum(pre_t, 0.5)
    v = np.gradient(x, tt)
    hyst = float(rng.uniform(0.0, 0.04))
    if cfg.extra.get("linear_band"):
        q, hyst = 0.0, 0.0
    elastic = k * x + q * x * x
    force = pre_t + elastic * (1.0 + hyst * np.tanh(v / 60.0))
    drift = float(rng.uniform(-0.4, 0.4)) * tt / 60 + float(rng.uniform(0, 1.0)) * np.sin(
        2 * np.pi * tt / float(rng.uniform(120, 400)))
    noise = float(rng.uniform(*cfg.noise_n))
    f = force + drift + rng.normal(0, noise, n)
    n_spikes = rng.poisson(cfg.spikes_per_min * duration / 60)
    for _ in range(n_spikes):
        i = int(rng.integers(0, n - 3))
        f[i:i + int(rng.integers(1, 3))] += float(rng.choice([-1, 1]) * rng.uniform(5, 40))
    f = np.round(f, 2)
    stretch = pre_t / k + x + rng.normal(0, 0.2, n)
    has_stretch = cfg.has_stretch if cfg.has_stretch is not None else bool(rng.random() < 0.5)

    # timestamps: jitter, then gaps (removed samples)
    ts_out = tt + rng.normal(0, cfg.jitter_frac / fs, n) if cfg.jitter_frac > 0 else tt.copy()
    ts_out = np.maximum.accumulate(ts_out)
    keep = np.ones(n, bool)
    gaps = []
    for _ in range(rng.poisson(cfg.gaps_per_min * duration / 60)):
        g0 = float(rng.uniform(0, duration - 2))
        glen = float(rng.uniform(0.05, 1.0))
        m = (tt >= g0) & (tt < g0 + glen)
        if m.sum() > 0:
            keep &= ~m
            gaps.append({"start_s": g0, "end_s": g0 + glen})
    offset = cfg.time_offset_s if cfg.time_offset_s is not None else float(
        rng.choice([0.0, rng.uniform(10.0, 5000.0)]))
    ts_out = np.round(ts_out + offset, 6)

    reps, holds = [], []
    for mv in plan:
        o = offset
        if mv["kind"] == "hold":
            holds.append({"set": mv["set"], "start_s": mv["start"] + o, "end_s": mv["end"] + o,
                          "duration_s": mv["top_end"] - mv["top_start"],
                          "top_start_s": mv["top_start"] + o, "top_end_s": mv["top_end"] + o})
            continue
        reps.append({"index": len(reps), "set": mv["set"], "start_s": mv["start"] + o,
                     "top_start_s": mv["top_start"] + o, "top_end_s": mv["top_end"] + o,
                     "end_s": mv["end"] + o, "concentric_s": mv["top_start"] - mv["start"],
                     "pause_s": mv["top_end"] - mv["top_start"],
                     "eccentric_s": mv["end"] - mv["top_end"], "partial": mv["partial"],
                     "profiles": [mv["up"][0], mv["down"][0]]})
    for s in sets:
        s["start_s"] += offset
        s["end_s"] += offset
    truth = {"sets": sets, "reps": reps, "holds": holds, "gaps": gaps,
             "metadata": {"seed": seed, "rate_hz": fs, "noise_n": noise, "model": "h4-independent"}}
    return Generated(ts_out[keep], f[keep], stretch[keep] if has_stretch else None, truth)
