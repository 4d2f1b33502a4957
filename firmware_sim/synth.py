"""Synthesis: a scenario rendered into the band's clean sample grid plus its ground truth.

``synthesize`` is the one entry point the offline recorder (record.py) and the BLE firmware
model stream from. Arrays are over the gap-free grid ``time_s = i / rate_hz``; frame loss is
applied later (``dropped_frames``) because it depends on how samples are packed in frames.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from bandsense.errors import UserError
from firmware_sim import band_law, faults
from firmware_sim.movement import (
    body_sway,
    open_slice,
    render_bump,
    render_rep,
    sample_slice,
)
from firmware_sim.scenario import LinkDrop, Scenario, draw
from firmware_sim.session_plan import SessionPlan, plan_session
from firmware_sim.truth import Truth, TruthFidget, TruthHold, TruthRep, TruthSet

MAX_RATE_HZ = 2000.0


@dataclass(slots=True)
class Synthesis:
    """The simulated band's samples over the clean grid, and what really happened."""

    scenario: Scenario
    rate_hz: float
    seed: int
    time_s: np.ndarray  # true time from 0, uniform 1/rate_hz
    force_n: np.ndarray  # measured: band law + noise, drift, spikes, quantisation
    stretch_mm: np.ndarray  # measured (always computed; see has_stretch)
    device_time_us: np.ndarray  # the band's clock, int64, unwrapped
    truth: Truth
    has_stretch: bool = True
    displacement_mm: np.ndarray = field(default_factory=lambda: np.zeros(0))  # clean movement
    physical_force_n: np.ndarray = field(default_factory=lambda: np.zeros(0))  # before sensor
    link_drops: list[LinkDrop] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return len(self.time_s)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate_hz

    @property
    def link_drops_s(self) -> list[float]:
        """Session times at which the BLE link drops (durations in ``link_drops``)."""
        return [d.at_s for d in self.link_drops]

    def frame_drops(self, samples_per_frame: int) -> np.ndarray:
        """Bool per frame index: frame lost for good (same answer for the same arguments)."""
        if samples_per_frame < 1:
            raise ValueError("samples_per_frame must be >= 1")
        return faults.frame_drop_mask(
            self.seed, self.scenario.link, self.n_samples, self.rate_hz, samples_per_frame
        )

    def dropped_frames(self, samples_per_frame: int) -> np.ndarray:
        """Indices of the frames lost for good when packing ``samples_per_frame`` per frame."""
        return np.flatnonzero(self.frame_drops(samples_per_frame))

    def kept_samples(self, samples_per_frame: int) -> np.ndarray:
        """Bool per sample: not in a dropped frame."""
        lost = np.repeat(self.frame_drops(samples_per_frame), samples_per_frame)
        return ~lost[: self.n_samples]


def _render_displacement(
    plan: SessionPlan, t: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """(displacement, smooth displacement without tremor/breathing) over the grid."""
    x = np.zeros_like(t)
    smooth = np.zeros_like(t)
    n = len(t)
    for s in plan.sets:
        for i, rep in enumerate(s.reps):
            m = rep.motion
            sl = sample_slice(m.start_s, m.end_s, rate, n)
            full, bare = render_rep(m, t[sl])
            x[sl] += full
            smooth[sl] += bare
            if m.floor_end_mm > 0 and i + 1 < len(s.reps):
                # Not fully released: the band stays a little stretched until the next rep.
                gap = open_slice(m.end_s, s.reps[i + 1].motion.start_s, rate, n)
                x[gap] += m.floor_end_mm
                smooth[gap] += m.floor_end_mm
    for tug in plan.tugs:
        sl = sample_slice(tug.start_s, tug.start_s + tug.duration_s, rate, n)
        bump = render_bump(tug.start_s, tug.duration_s, tug.amplitude_mm, t[sl])
        x[sl] += bump
        smooth[sl] += bump
    return x, smooth


def _band_arrays(plan: SessionPlan, t: np.ndarray) -> dict[str, np.ndarray]:
    """Per-sample band parameters: each set's band holds from the midpoint of the rests."""
    sets = plan.sets
    mids = np.array([0.5 * (a.end_s + b.start_s) for a, b in itertools.pairwise(sets)])
    which = np.searchsorted(mids, t) if len(mids) else np.zeros(len(t), dtype=int)
    out = {}
    for name in ("stiffness_n_per_mm", "nonlinear_per_mm", "hysteresis", "hysteresis_mm",
                 "viscous_n_s_per_mm"):
        out[name] = np.array([getattr(s.band, name) for s in sets])[which]
    # Pre-tension changes only where the band is re-adjusted: a smooth step with a dip
    # while the band is handled.
    pre = np.full(len(t), plan.initial_pre_tension_n)
    for adj in plan.readjusts:
        x = np.clip((t - adj.start_s) / adj.duration_s, 0.0, 1.0)
        step = x * x * (3.0 - 2.0 * x)
        pre += (adj.to_n - adj.from_n) * step - adj.dip_n * np.sin(np.pi * x) ** 2
    out["pre_tension_n"] = pre
    # Stress relaxation: while held at the top the elastic force decays towards
    # (1 - relaxation); the factor is frozen on release, so force stays continuous.
    relax = np.ones(len(t))
    n = len(t)
    rate = (n - 1) / t[-1] if n > 1 else 1.0
    for s in sets:
        if s.band.relaxation <= 0:
            continue
        for rep in s.reps:
            m = rep.motion
            sl = sample_slice(m.top_start_s, m.end_s, rate, n)
            held = np.minimum(t[sl], m.top_end_s) - m.top_start_s
            relax[sl] = 1.0 - s.band.relaxation * (1.0 - np.exp(-held / s.band.relaxation_tau_s))
    out["relaxation"] = relax
    return out


def _truth(plan: SessionPlan, t: np.ndarray, force: np.ndarray, rate: float) -> Truth:
    truth = Truth()
    n = len(t)
    rep_index = 0
    for s in plan.sets:
        full = sum(1 for r in s.reps if not r.partial)
        truth.sets.append(
            TruthSet(
                index=s.index, kind=s.kind, side=s.side, start_s=s.start_s, end_s=s.end_s,
                rep_count=full if s.kind == "reps" else 0,
                partial_count=len(s.reps) - full, exercise=s.exercise,
                to_failure=s.to_failure, pre_tension_n=round(s.band.pre_tension_n, 3),
            )
        )
        for r in s.reps:
            m = r.motion
            sl = sample_slice(m.start_s, m.end_s, rate, n)
            seg = force[sl]
            if s.kind == "hold":
                top = force[sample_slice(m.top_start_s, m.top_end_s, rate, n)]
                truth.holds.append(
                    TruthHold(
                        set=s.index, start_s=m.start_s, end_s=m.end_s,
                        duration_s=m.top_end_s - m.top_start_s,
                        top_start_s=m.top_start_s, top_end_s=m.top_end_s,
                        mean_force_n=float(top.mean()) if len(top) else 0.0, side=s.side,
                    )
                )
                continue
            truth.reps.append(
                TruthRep(
                    index=rep_index, set=s.index, start_s=m.start_s,
                    top_start_s=m.top_start_s, top_end_s=m.top_end_s, end_s=m.end_s,
                    concentric_s=m.top_start_s - m.start_s,
                    pause_s=m.top_end_s - m.top_start_s,
                    eccentric_s=m.end_s - m.top_end_s,
                    partial=r.partial,
                    peak_force_n=float(seg.max()) if len(seg) else 0.0,
                    range_mm=m.amplitude_mm, side=s.side,
                    floor_start_mm=m.floor_start_mm, floor_end_mm=m.floor_end_mm,
                    concentric_profile=m.concentric.name, eccentric_profile=m.eccentric.name,
                )
            )
            rep_index += 1
    for tug in plan.tugs:
        truth.fidgets.append(TruthFidget(kind="tug", start_s=tug.start_s,
                                         end_s=tug.start_s + tug.duration_s))
    for adj in plan.readjusts:
        truth.fidgets.append(TruthFidget(kind="readjust", start_s=adj.start_s,
                                         end_s=adj.start_s + adj.duration_s))
    truth.fidgets.sort(key=lambda f: f.start_s)
    return truth


def synthesize(
    scenario: Scenario, *, rate_hz: float | None = None, seed: int | None = None
) -> Synthesis:
    """Render ``scenario`` at ``rate_hz`` (default: the scenario's) with ``seed``."""
    rate = float(rate_hz if rate_hz is not None else scenario.rate_hz)
    if not 1.0 <= rate <= MAX_RATE_HZ:
        raise UserError(f"sample rate {rate:g} Hz out of range (1..{MAX_RATE_HZ:g})")
    run_seed = int(seed if seed is not None else scenario.seed)
    if run_seed < 0:
        raise UserError(f"seed must be >= 0, got {run_seed}")
    # One stream per model: adding draws to one model leaves the others' draws unchanged.
    plan_rng, sensor_rng, clock_rng, sway_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(run_seed).spawn(4)
    )
    plan = plan_session(scenario, plan_rng)
    n = int(np.floor(plan.duration_s * rate)) + 1
    t = np.arange(n, dtype=float) / rate

    x, smooth = _render_displacement(plan, t, rate)
    sway_sd = draw(sway_rng, scenario.sway_mm)
    x += body_sway(sway_rng, n, rate, sway_sd, max(0.01, draw(sway_rng, scenario.sway_hz)))
    band = _band_arrays(plan, t)
    physical = band_law.band_force(
        x, smooth, band["pre_tension_n"], band["stiffness_n_per_mm"], band["nonlinear_per_mm"],
        band["hysteresis"], band["hysteresis_mm"], viscous_n_s_per_mm=band["viscous_n_s_per_mm"],
        rate_hz=rate, relaxation=band["relaxation"],
    )
    stretch_phys = band_law.band_stretch(x, band["pre_tension_n"], band["stiffness_n_per_mm"])
    force, stretch, drawn = faults.apply_sensor(sensor_rng, scenario.sensor, t, physical,
                                                stretch_phys)
    ticks, ppm, offset = faults.device_clock_us(clock_rng, scenario.clock, t)

    truth = _truth(plan, t, physical, rate)
    truth.link_drops = [(d.at_s, d.duration_s) for d in scenario.link.drops]
    truth.metadata = {
        "scenario": scenario.name,
        "seed": run_seed,
        "rate_hz": rate,
        "duration_s": n / rate,
        "samples": n,
        "has_stretch": scenario.sensor.has_stretch,
        "models": {
            "movement": "per-phase random profile: " + ", ".join(
                sorted({p for e in scenario.exercises for p in e.movement.profiles})
            ),
            "band_law": "pre + k*x*(1+c*x)*(1+h*z), travel-based hysteresis branch z",
            "sensor": {
                "force_noise_n": drawn.force_noise_n,
                "stretch_noise_mm": drawn.stretch_noise_mm,
                "drift": scenario.sensor.drift,
                "drift_walk_n_per_sqrt_s": drawn.drift_walk_n_per_sqrt_s,
                "drift_linear_n_per_min": drawn.drift_linear_n_per_min,
                "drift_sine_n": drawn.drift_sine_n,
                "drift_sine_period_s": drawn.drift_sine_period_s,
                "spikes": drawn.spikes,
            },
            "clock": {"drift_ppm": ppm, "offset_us": offset},
            "sway_mm": sway_sd,
        },
    }
    return Synthesis(
        scenario=scenario, rate_hz=rate, seed=run_seed, time_s=t, force_n=force,
        stretch_mm=stretch, device_time_us=ticks, truth=truth,
        has_stretch=scenario.sensor.has_stretch, displacement_mm=x,
        physical_force_n=physical, link_drops=list(scenario.link.drops),
    )
