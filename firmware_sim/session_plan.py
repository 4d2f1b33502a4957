"""The person model: turns a scenario into a time line of sets, reps, holds and fidgeting.

Only per-rep Python here (a session has hundreds of reps, not samples); the sample-level
rendering is vectorised in movement.py and band_law.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from firmware_sim.movement import Phase, RepMotion
from firmware_sim.scenario import Band, Exercise, Scenario, draw, draw_int

SideName = Literal["left", "right"] | None


@dataclass(frozen=True, slots=True)
class BandParams:
    stiffness_n_per_mm: float
    pre_tension_n: float
    nonlinear_per_mm: float
    hysteresis: float
    hysteresis_mm: float
    viscous_n_s_per_mm: float
    relaxation: float
    relaxation_tau_s: float


@dataclass(slots=True)
class PlannedRep:
    motion: RepMotion
    partial: bool


@dataclass(slots=True)
class PlannedSet:
    index: int
    exercise: str
    kind: Literal["reps", "hold"]
    side: SideName
    to_failure: bool
    band: BandParams
    reps: list[PlannedRep] = field(default_factory=list)

    @property
    def start_s(self) -> float:
        return self.reps[0].motion.start_s

    @property
    def end_s(self) -> float:
        return self.reps[-1].motion.end_s


@dataclass(frozen=True, slots=True)
class Tug:
    start_s: float
    duration_s: float
    amplitude_mm: float


@dataclass(frozen=True, slots=True)
class Readjust:
    start_s: float
    duration_s: float
    from_n: float
    to_n: float
    dip_n: float


@dataclass(slots=True)
class SessionPlan:
    sets: list[PlannedSet]
    tugs: list[Tug]
    readjusts: list[Readjust]
    duration_s: float
    initial_pre_tension_n: float


def _band_params(rng: np.random.Generator, band: Band) -> BandParams:
    return BandParams(
        stiffness_n_per_mm=draw(rng, band.stiffness_n_per_mm),
        pre_tension_n=draw(rng, band.pre_tension_n),
        nonlinear_per_mm=draw(rng, band.nonlinear_per_mm),
        hysteresis=draw(rng, band.hysteresis),
        hysteresis_mm=max(0.5, draw(rng, band.hysteresis_mm)),
        viscous_n_s_per_mm=draw(rng, band.viscous_n_s_per_mm),
        relaxation=draw(rng, band.relaxation),
        relaxation_tau_s=max(0.05, draw(rng, band.relaxation_tau_s)),
    )


def _choose_phase(rng: np.random.Generator, ex: Exercise) -> Phase:
    names = list(ex.movement.profiles)
    weights = np.array([ex.movement.profiles[n] for n in names], dtype=float)
    name = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    if name == "skewed_minimum_jerk":
        return Phase(name, draw(rng, ex.movement.skew) * float(rng.choice([-1.0, 1.0])))
    if name == "trapezoidal":
        return Phase(name, min(0.49, max(0.05, draw(rng, ex.movement.trapezoid_ramp))))
    if name == "sticking_point":
        return Phase(name, draw(rng, ex.movement.sticking_depth))
    return Phase(name)


def _clip(value: float, span: tuple[float, float]) -> float:
    """Keep ``value`` in the range with a monotone soft limit.

    Identity in the middle 80 %, exponential compression into the outer 10 % at each end:
    values do not pile up on the bounds (as clamping would) and a slower rep stays slower.
    """
    lo, hi = span
    if hi <= lo:
        return lo
    edge = 0.1 * (hi - lo)
    if value > hi - edge:
        return float(hi - edge * np.exp(-(value - (hi - edge)) / edge))
    if value < lo + edge:
        return float(lo + edge * np.exp(-(lo + edge - value) / edge))
    return float(value)


class _SetBuilder:
    """Lays out the reps of one set from ``t0``, applying tempo, fatigue and failure."""

    def __init__(self, rng: np.random.Generator, ex: Exercise, sets_done_on_side: int) -> None:
        self.rng = rng
        self.ex = ex
        self.tempo = ex.tempo
        self.base = {
            "c": draw(rng, ex.tempo.concentric_s),
            "p": draw(rng, ex.tempo.pause_s),
            "e": draw(rng, ex.tempo.eccentric_s),
            "r": draw(rng, ex.tempo.rest_s),
        }
        self.amplitude = draw(rng, ex.amplitude_mm)
        self.sets_done_on_side = sets_done_on_side

    def _jitter(self) -> float:
        return float(np.exp(self.rng.normal(0.0, self.ex.tempo.variation)))

    def _top_effects(self, amplitude: float, pause: float) -> dict[str, object]:
        mv = self.ex.movement
        rng = self.rng
        out: dict[str, object] = {}
        if pause > 0.25 and rng.random() < mv.overshoot_prob:
            out["overshoot"] = draw(rng, mv.overshoot)
            out["overshoot_tau_s"] = max(0.02, draw(rng, mv.overshoot_tau_s))
        if rng.random() < mv.tremor_prob:
            out["tremor"] = draw(rng, mv.tremor_amplitude)
            f1 = max(1.0, draw(rng, mv.tremor_hz))
            out["tremor_hz"] = (f1, f1 * float(rng.uniform(1.1, 1.4)))
            phases = rng.uniform(0, 2 * np.pi, 2)
            out["tremor_phase"] = (float(phases[0]), float(phases[1]))
        if pause > 0.3 and rng.random() < mv.sag_prob:
            out["sag"] = draw(rng, mv.sag)
        return out

    def rep(self, t0: float, progress: float, partial: bool) -> RepMotion:
        ex, rng, tempo = self.ex, self.rng, self.tempo
        slow = 1.0 + ex.fatigue.tempo_slowing * progress
        conc = _clip(self.base["c"] * self._jitter() * slow, tempo.concentric_s)
        ecc = _clip(self.base["e"] * self._jitter() * slow, tempo.eccentric_s)
        if rng.random() < tempo.no_pause_prob:
            pause = 0.0
        else:
            pause = _clip(self.base["p"] * self._jitter() * slow, tempo.pause_s)
        amp = self.amplitude * float(np.exp(rng.normal(0.0, ex.movement.amplitude_variation)))
        amp *= 1.0 - ex.fatigue.range_loss * progress**1.5
        if partial:
            amp = self.amplitude * draw(rng, ex.partial_range)
            # A partial rep is an aborted movement: quicker phases, little or no pause.
            conc = max(tempo.concentric_s[0] * 0.5, conc * float(rng.uniform(0.5, 0.9)))
            ecc = max(tempo.eccentric_s[0] * 0.5, ecc * float(rng.uniform(0.5, 0.9)))
            pause = min(pause, float(rng.uniform(0.0, 0.3)))
        effects = self._top_effects(amp, pause)
        return RepMotion(
            start_s=t0,
            top_start_s=t0 + conc,
            top_end_s=t0 + conc + pause,
            end_s=t0 + conc + pause + ecc,
            amplitude_mm=amp,
            concentric=_choose_phase(rng, ex),
            eccentric=_choose_phase(rng, ex),
            **effects,  # type: ignore[arg-type]
        )

    def rest_between_reps(self) -> float:
        return _clip(self.base["r"] * self._jitter(), self.tempo.rest_s)

    def reps(self, t0: float) -> list[PlannedRep]:
        ex, rng = self.ex, self.rng
        out: list[PlannedRep] = []
        t = t0
        if ex.reps == "to_failure":
            lo, hi = ex.failure.reps
            capacity = draw(rng, ex.failure.reps) * (1.0 - ex.failure.set_decline) ** (
                self.sets_done_on_side
            )
            capacity = max(lo, min(hi, capacity))
            # A standard rep costs 1; slower (longer under tension) reps cost more.
            standard = (self.base["c"] + self.base["p"] + self.base["e"]) or 1.0
            spent = 0.0
            full = 0
            while True:
                progress = min(1.0, spent / capacity)
                if full and rng.random() < ex.partial_rep_prob:
                    m = self.rep(t, progress, partial=True)
                    out.append(PlannedRep(m, True))
                    t = m.end_s + self.rest_between_reps()
                m = self.rep(t, progress, partial=False)
                out.append(PlannedRep(m, False))
                full += 1
                t = m.end_s + self.rest_between_reps()
                tut = m.end_s - m.start_s
                spent += tut / standard
                if (spent >= capacity and full >= lo) or full >= hi:
                    break
            if rng.random() < ex.failure.failed_attempt_prob:
                out.append(PlannedRep(self.rep(t, 1.0, partial=True), True))
            return out
        n = ex.reps
        for i in range(n):
            progress = i / (n - 1) if n > 1 else 0.0
            if i and rng.random() < ex.partial_rep_prob:
                m = self.rep(t, progress, partial=True)
                out.append(PlannedRep(m, True))
                t = m.end_s + self.rest_between_reps()
            m = self.rep(t, progress, partial=False)
            out.append(PlannedRep(m, False))
            t = m.end_s + self.rest_between_reps()
        return out

    def with_floors(self, reps: list[PlannedRep]) -> list[PlannedRep]:
        """Some sets are not fully released between reps (only after the last one)."""
        mv = self.ex.movement
        if len(reps) < 2 or self.rng.random() >= mv.floor_prob:
            return reps
        for before, after in itertools.pairwise(reps):
            # Keep the floor well under the smaller of the two reps' tops.
            top = min(before.motion.amplitude_mm, after.motion.amplitude_mm)
            floor = min(draw(self.rng, mv.floor) * self.amplitude, 0.3 * top)
            before.motion = replace(before.motion, floor_end_mm=floor)
            after.motion = replace(after.motion, floor_start_mm=floor)
        return reps

    def hold(self, t0: float) -> list[PlannedRep]:
        ex, rng = self.ex, self.rng
        spec = ex.hold
        period = max(0.5, draw(rng, spec.breath_period_s))
        held = draw(rng, spec.hold_s) if spec.hold_s is not None else draw_int(
            rng, spec.breaths
        ) * period
        conc = _clip(self.base["c"] * self._jitter(), self.tempo.concentric_s)
        ecc = _clip(self.base["e"] * self._jitter(), self.tempo.eccentric_s)
        amp = self.amplitude * float(np.exp(rng.normal(0.0, ex.movement.amplitude_variation)))
        effects = self._top_effects(amp, held)
        effects["sag"] = draw(rng, spec.sag)
        motion = RepMotion(
            start_s=t0,
            top_start_s=t0 + conc,
            top_end_s=t0 + conc + held,
            end_s=t0 + conc + held + ecc,
            amplitude_mm=amp,
            concentric=_choose_phase(rng, ex),
            eccentric=_choose_phase(rng, ex),
            breath=draw(rng, spec.breath_ripple),
            breath_period_s=period,
            breath_phase=float(rng.uniform(0, 2 * np.pi)),
            **effects,  # type: ignore[arg-type]
        )
        return [PlannedRep(motion, False)]


def set_sides(scenario: Scenario) -> list[SideName]:
    """Side of every set the scenario plans, in session order (the physio's plan)."""
    return [side for ex in scenario.exercises for side in _set_order(ex)]


def _set_order(ex: Exercise) -> list[SideName]:
    sides: list[SideName] = [None if s == "none" else s for s in ex.sides]
    if ex.side_order == "grouped":
        return [side for side in sides for _ in range(ex.sets)]
    return [side for _ in range(ex.sets) for side in sides]


def _fidget_rest(
    rng: np.random.Generator,
    ex: Exercise,
    rest_start: float,
    rest_end: float,
    amplitude: float,
    pre_from: float,
    pre_to: float | None,
) -> tuple[list[Tug], list[Readjust]]:
    """Tugs and (if ``pre_to`` is given) a band re-adjustment inside one rest."""
    fid = ex.fidget
    lo, hi = rest_start + fid.margin_s, rest_end - fid.margin_s
    tugs: list[Tug] = []
    readjusts: list[Readjust] = []
    busy: list[tuple[float, float]] = []
    if pre_to is not None:
        dur = max(0.2, draw(rng, fid.readjust_s))
        if hi - lo > dur:
            start = float(rng.uniform(lo, hi - dur))
            dip = draw(rng, fid.readjust_dip) * min(pre_from, pre_to)
            readjusts.append(Readjust(start, dur, pre_from, pre_to, dip))
            busy.append((start - 0.5, start + dur + 0.5))
        else:  # rest too short to show it: the tension just changes mid-rest
            mid = 0.5 * (rest_start + rest_end)
            readjusts.append(Readjust(mid - 0.1, 0.2, pre_from, pre_to, 0.0))
            busy.append((mid - 0.6, mid + 0.6))
    for _ in range(int(rng.poisson(fid.tugs_per_rest))):
        dur = max(0.05, draw(rng, fid.tug_s))
        if hi - lo <= dur:
            break
        start = float(rng.uniform(lo, hi - dur))
        if any(start < b1 + 0.3 and start + dur > b0 - 0.3 for b0, b1 in busy):
            continue  # keep tugs separate from each other and from re-adjusting
        tugs.append(Tug(start, dur, amplitude * draw(rng, fid.tug_amplitude)))
        busy.append((start, start + dur))
    return tugs, readjusts


def plan_session(scenario: Scenario, rng: np.random.Generator) -> SessionPlan:
    """Lay out the whole session in time."""
    sets: list[PlannedSet] = []
    tugs: list[Tug] = []
    readjusts: list[Readjust] = []
    t = draw(rng, scenario.lead_in_s)
    band: BandParams | None = None
    initial: float | None = None
    for ex in scenario.exercises:
        band_spec = ex.band or scenario.band
        done_on_side: dict[SideName, int] = {}
        for set_i, side in enumerate(_set_order(ex)):
            first_of_ex = set_i == 0
            if band is None:
                band = _band_params(rng, band_spec)
                initial = band.pre_tension_n
            elif first_of_ex or rng.random() < ex.fidget.readjust_prob:
                # Re-adjusting (or changing exercise) changes the pre-tension; a new
                # exercise may also use a different band.
                new = _band_params(rng, band_spec)
                if not first_of_ex:  # same band, only its tension changed
                    new = replace(band, pre_tension_n=new.pre_tension_n)
                rest_span = (
                    scenario.rest_between_exercises_s if first_of_ex else ex.rest_between_sets_s
                )
                rest = draw(rng, rest_span)
                prev_amp = sets[-1].reps[0].motion.amplitude_mm if sets else 100.0
                new_tugs, new_adj = _fidget_rest(
                    rng, ex, t, t + rest, prev_amp, band.pre_tension_n, new.pre_tension_n
                )
                tugs += new_tugs
                readjusts += new_adj
                band = new
                t += rest
            else:
                rest = draw(rng, ex.rest_between_sets_s)
                prev_amp = sets[-1].reps[0].motion.amplitude_mm
                new_tugs, _ = _fidget_rest(
                    rng, ex, t, t + rest, prev_amp, band.pre_tension_n, None
                )
                tugs += new_tugs
                t += rest
            builder = _SetBuilder(rng, ex, done_on_side.get(side, 0))
            reps = builder.hold(t) if ex.kind == "hold" else builder.with_floors(builder.reps(t))
            done_on_side[side] = done_on_side.get(side, 0) + 1
            planned = PlannedSet(
                index=len(sets),
                exercise=ex.name,
                kind=ex.kind,
                side=side,
                to_failure=ex.reps == "to_failure" and ex.kind == "reps",
                band=band,
                reps=reps,
            )
            sets.append(planned)
            t = planned.end_s
    t += draw(rng, scenario.tail_s)
    assert initial is not None  # the scenario validator requires >= 1 exercise and set
    return SessionPlan(sets, tugs, readjusts, t, initial)
