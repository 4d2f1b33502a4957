"""Scenario format: what the simulated person does with the band, and what the band does wrong.

A scenario is a TOML file validated by the pydantic models below (unknown keys are errors,
so a typo never silently falls back to a default). Every quantity that varies between reps,
sets or runs is a *range* ``[lo, hi]`` (a single number means a fixed value); the seeded
generator in :mod:`firmware_sim.synth` draws from the ranges. See ``docs/simulator.md``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bandsense.errors import UserError

_BUILTIN_DIR = "scenarios"


def _to_span(value: Any) -> Any:
    # A bare number is a fixed value; a two-item list is a range.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (float(value), float(value))
    if isinstance(value, list | tuple) and len(value) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        return (float(value[0]), float(value[1]))
    raise ValueError(f"expected a number or a [lo, hi] range, got {value!r}")


def _ordered(span: tuple[float, float]) -> tuple[float, float]:
    lo, hi = span
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("range bounds must be finite")
    if lo > hi:
        raise ValueError(f"range [{lo}, {hi}] must have lo <= hi")
    return span


def _non_negative(span: tuple[float, float]) -> tuple[float, float]:
    if span[0] < 0:
        raise ValueError(f"range [{span[0]}, {span[1]}] must not be negative")
    return span


def _at_most(span: tuple[float, float], limit: float) -> tuple[float, float]:
    if span[1] > limit:
        raise ValueError(f"range [{span[0]}, {span[1]}] must not exceed {limit}")
    return span


def _fraction(span: tuple[float, float]) -> tuple[float, float]:
    if span[0] < 0 or span[1] > 1:
        raise ValueError(f"range [{span[0]}, {span[1]}] must lie within [0, 1]")
    return span


Span = Annotated[tuple[float, float], BeforeValidator(_to_span), AfterValidator(_ordered)]
"""A value range ``[lo, hi]`` (or one number for a fixed value)."""
PosSpan = Annotated[Span, AfterValidator(_non_negative)]
FracSpan = Annotated[Span, AfterValidator(_fraction)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Side = Literal["left", "right", "none"]
DriftKind = Literal["random_walk", "linear", "sine"]


def _drift_kinds(value: Any) -> Any:
    # Shorthands: "none", "both" (walk + linear), or one kind by name.
    if value == "none":
        return []
    if value == "both":
        return ["random_walk", "linear"]
    if isinstance(value, str):
        return [value]
    return value


ProfileName = Literal[
    "minimum_jerk", "cosine", "skewed_minimum_jerk", "trapezoidal", "minimum_snap",
    "sticking_point",
]


def draw(rng: np.random.Generator, span: tuple[float, float]) -> float:
    """One uniform draw from a range (no generator call for a fixed value)."""
    lo, hi = span
    return lo if lo == hi else float(rng.uniform(lo, hi))


def draw_int(rng: np.random.Generator, span: tuple[float, float]) -> int:
    """One uniform integer draw from a range, bounds included."""
    lo, hi = round(span[0]), round(span[1])
    return lo if lo >= hi else int(rng.integers(lo, hi + 1))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tempo(_Model):
    """Duration of each phase of a rep, seconds.

    Each set draws a base tempo from the ranges; each rep varies it by ``variation``
    (log-normal sd) and fatigue slows it; the result is clipped to the range.
    """

    concentric_s: PosSpan = (0.8, 1.5)
    pause_s: PosSpan = (0.0, 0.6)
    eccentric_s: PosSpan = (1.0, 2.0)
    rest_s: PosSpan = (0.3, 1.2)
    variation: float = Field(default=0.12, ge=0.0, le=1.0)
    no_pause_prob: Probability = 0.0

    @model_validator(mode="after")
    def _moving_phases_take_time(self) -> Tempo:
        if self.concentric_s[0] <= 0 or self.eccentric_s[0] <= 0:
            raise ValueError("concentric_s and eccentric_s must be > 0")
        return self


class HoldSpec(_Model):
    """An isometric hold at the top (the table-top reach held for breaths)."""

    hold_s: PosSpan | None = None  # overrides breaths x breath_period_s when given
    breaths: PosSpan = (3, 6)
    breath_period_s: PosSpan = (3.0, 5.0)
    breath_ripple: FracSpan = (0.01, 0.04)  # displacement ripple per breath, fraction of range
    sag: FracSpan = (0.0, 0.06)  # slow loss of range over the hold (tiring)


class Fatigue(_Model):
    """How a set wears the person out: range shrinks and tempo slows towards its end."""

    range_loss: float = Field(default=0.1, ge=0.0, le=0.45)
    tempo_slowing: float = Field(default=0.15, ge=0.0, le=2.0)


class Failure(_Model):
    """Sets to failure: a fatigue capacity per set decides when the person fails.

    Capacity is drawn from ``reps`` (in standard reps) and shrinks by ``set_decline`` for
    each earlier set on the same side; slower and longer reps cost more of it.
    ``failed_attempt_prob``: the set ends with a failed partial attempt.
    """

    reps: PosSpan = (8, 20)
    set_decline: float = Field(default=0.1, ge=0.0, le=0.5)
    failed_attempt_prob: Probability = 0.4


class Movement(_Model):
    """How each rep's displacement is shaped (varied on purpose, see docs/simulator.md)."""

    profiles: dict[ProfileName, float] = {
        "minimum_jerk": 1.0,
        "cosine": 1.0,
        "skewed_minimum_jerk": 1.0,
        "trapezoidal": 1.0,
        "minimum_snap": 0.5,
        "sticking_point": 0.3,
    }
    amplitude_variation: float = Field(default=0.06, ge=0.0, le=0.3)
    skew: FracSpan = (0.0, 0.6)  # |warp| of the skewed profile; sign is random
    trapezoid_ramp: Annotated[Span, AfterValidator(_fraction)] = (0.15, 0.45)
    sticking_depth: Annotated[FracSpan, AfterValidator(lambda s: _at_most(s, 0.9))] = (0.3, 0.8)
    tremor_prob: Probability = 0.5
    tremor_amplitude: FracSpan = (0.002, 0.01)  # fraction of range
    tremor_hz: PosSpan = (6.0, 12.0)
    overshoot_prob: Probability = 0.3
    overshoot: FracSpan = (0.01, 0.05)
    overshoot_tau_s: PosSpan = (0.05, 0.2)  # settling time constant after arrival
    sag_prob: Probability = 0.2
    sag: FracSpan = (0.0, 0.03)
    floor_prob: Probability = 0.15  # per set: not fully released between reps
    floor: Annotated[FracSpan, AfterValidator(lambda s: _at_most(s, 0.2))] = (0.03, 0.12)

    @model_validator(mode="after")
    def _some_profile(self) -> Movement:
        if not self.profiles or any(w < 0 for w in self.profiles.values()):
            raise ValueError("profiles needs at least one profile and no negative weights")
        if sum(self.profiles.values()) <= 0:
            raise ValueError("profiles weights must not all be 0")
        return self


class Fidget(_Model):
    """What happens during rest between sets: brief tugs (NOT reps) and band re-adjustment."""

    tugs_per_rest: float = Field(default=1.0, ge=0.0, le=20.0)  # Poisson mean
    tug_amplitude: FracSpan = (0.02, 0.12)  # fraction of the set's range
    tug_s: PosSpan = (0.2, 0.8)
    readjust_prob: Probability = 0.5  # the band is re-adjusted: pre-tension changes
    readjust_s: PosSpan = (1.0, 3.0)
    readjust_dip: FracSpan = (0.2, 0.8)  # force dips while the band is handled
    margin_s: float = Field(default=2.0, ge=0.0)  # keep fidgeting this far from reps


class Band(_Model):
    """The band's force/stretch law (see band_law.py)."""

    stiffness_n_per_mm: PosSpan = (0.3, 0.45)
    pre_tension_n: PosSpan = (5.0, 20.0)
    nonlinear_per_mm: PosSpan = (0.0, 0.003)  # stiffening: k*x*(1+c*x)
    hysteresis: FracSpan = (0.03, 0.1)  # unloading is this fraction lower than loading
    hysteresis_mm: PosSpan = (3.0, 12.0)  # travel over which the branch switches
    viscous_n_s_per_mm: PosSpan = (0.0, 0.004)  # rate-dependent part: force += eta * velocity
    relaxation: FracSpan = (0.0, 0.02)  # stress relaxation while held at the top
    relaxation_tau_s: PosSpan = (0.3, 2.0)


class Exercise(_Model):
    """One exercise: sets of reps (or of one hold each) on one or both sides."""

    name: str
    kind: Literal["reps", "hold"] = "reps"
    sides: list[Side] = Field(default=["left", "right"], min_length=1)
    side_order: Literal["alternate", "grouped"] = "alternate"
    sets: int = Field(default=3, ge=1, le=50)
    reps: int | Literal["to_failure"] = 10
    failure: Failure = Failure()
    tempo: Tempo = Tempo()
    hold: HoldSpec = HoldSpec()
    rest_between_sets_s: PosSpan = (30.0, 75.0)
    amplitude_mm: PosSpan = (100.0, 170.0)
    fatigue: Fatigue = Fatigue()
    partial_rep_prob: Probability = 0.03
    partial_range: FracSpan = (0.15, 0.4)  # of the set's range: well under half even late
    movement: Movement = Movement()
    fidget: Fidget = Fidget()
    band: Band | None = None  # overrides the session's band

    @field_validator("reps", mode="before")
    @classmethod
    def _reps(cls, value: Any) -> Any:
        if value == "to_failure":
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 200:
            raise ValueError(f'reps must be a whole number 1..200 or "to_failure", got {value!r}')
        return value

    @field_validator("amplitude_mm")
    @classmethod
    def _positive_amplitude(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] <= 0:
            raise ValueError("amplitude_mm must be > 0")
        return value


class Sensor(_Model):
    """What the band's sensor adds to the physical force and stretch."""

    has_stretch: bool = True
    force_noise_n: PosSpan = (0.05, 0.25)  # gaussian sd
    stretch_noise_mm: PosSpan = (0.1, 0.4)
    drift: Annotated[list[DriftKind], BeforeValidator(_drift_kinds)] = [
        "random_walk", "linear", "sine"
    ]
    drift_walk_n_per_sqrt_s: PosSpan = (0.005, 0.03)
    drift_linear_n_per_min: Span = (-0.3, 0.3)
    drift_sine_n: PosSpan = (0.0, 0.5)  # slow thermal wander, amplitude
    drift_sine_period_s: PosSpan = (120.0, 900.0)
    spikes_per_min: PosSpan = (0.0, 1.0)
    spike_n: PosSpan = (5.0, 40.0)  # magnitude; the sign is random
    spike_samples: PosSpan = (1, 1)  # width of one spike, samples
    force_resolution_n: float = Field(default=0.01, ge=0.0)
    stretch_resolution_mm: float = Field(default=0.1, ge=0.0)


class Clock(_Model):
    """The band's own clock and the recording's time stamps."""

    drift_ppm: Span = (-50.0, 50.0)
    offset_us: PosSpan = (0.0, 4_294_967_295.0)  # starts anywhere: exercises u32 wrap
    csv_jitter_s: float = Field(default=0.0, ge=0.0)  # sd of the offline CSV's time stamps
    csv_time_offset_s: PosSpan = (0.0, 0.0)  # the CSV (and truth) time axis starts here


class LinkDrop(_Model):
    """The BLE link drops at ``at_s`` (session time) for ``duration_s``."""

    at_s: float = Field(ge=0.0)
    duration_s: float = Field(gt=0.0)
    lose_data: bool = False  # the band's buffer did not cover it: samples lost for good


class Link(_Model):
    """Frame loss (independent and in bursts) and link drops."""

    frame_loss_prob: Probability = 0.0
    bursts_per_min: float = Field(default=0.0, ge=0.0)
    burst_s: PosSpan = (0.1, 1.0)
    samples_per_frame: int | None = Field(default=None, ge=1, le=255)  # default ~50 ms of samples
    drops: list[LinkDrop] = Field(default_factory=list)


class Scenario(_Model):
    """A whole simulated session."""

    name: str
    description: str = ""
    rate_hz: float = Field(default=200.0, ge=1.0, le=2000.0)
    seed: int = Field(default=0, ge=0)
    lead_in_s: PosSpan = (2.0, 5.0)
    sway_mm: PosSpan = (0.0, 1.0)  # slow body sway (sd), also at rest: a wandering baseline
    sway_hz: PosSpan = (0.2, 0.8)  # its bandwidth
    tail_s: PosSpan = (2.0, 5.0)
    rest_between_exercises_s: PosSpan = (45.0, 90.0)
    band: Band = Band()
    sensor: Sensor = Sensor()
    clock: Clock = Clock()
    link: Link = Link()
    exercises: list[Exercise] = Field(min_length=1)


def builtin_names() -> list[str]:
    """Names of the built-in scenarios (``firmware_sim/scenarios/*.toml``)."""
    folder = resources.files("firmware_sim").joinpath(_BUILTIN_DIR)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def _builtin_text(name: str) -> str:
    return resources.files("firmware_sim").joinpath(_BUILTIN_DIR, f"{name}.toml").read_text(
        encoding="utf-8"
    )


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _format_errors(source: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        # Drop pydantic's internal union/validator tags from the key path.
        loc = tuple(
            p for p in err["loc"]
            if not (isinstance(p, str) and (p.startswith(("function-", "literal[")) or p in {
                "int", "float", "str", "tuple[float,float]", "none", "list[...]", "[key]"}))
        )
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{_format_loc(loc)}: {msg}")
    return f"{source}: invalid scenario: " + "; ".join(parts)


def _expand_uses(data: dict[str, Any], source: str, depth: int = 0) -> dict[str, Any]:
    """Replace ``{use = "builtin"}`` exercise entries by that built-in's exercises."""
    exercises = data.get("exercises")
    if not isinstance(exercises, list):
        return data
    expanded: list[Any] = []
    for i, entry in enumerate(exercises):
        if isinstance(entry, dict) and "use" in entry:
            name = entry["use"]
            if set(entry) != {"use"}:
                raise UserError(f"{source}: exercises[{i}]: 'use' takes no other keys")
            if name not in builtin_names() or depth > 3:
                raise UserError(
                    f"{source}: exercises[{i}].use: unknown built-in scenario {name!r} "
                    f"(built-ins: {', '.join(builtin_names())})"
                )
            inner = _expand_uses(tomllib.loads(_builtin_text(name)), name, depth + 1)
            expanded.extend(inner.get("exercises", []))
        else:
            expanded.append(entry)
    return {**data, "exercises": expanded}


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and validate TOML text; every problem becomes a one-line ``UserError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: not valid TOML: {exc}") from None
    data = _expand_uses(data, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise UserError(_format_errors(source, exc)) from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario TOML file by path."""
    name = str(name_or_path)
    if name in builtin_names():
        return parse_scenario(_builtin_text(name), f"builtin:{name}")
    path = Path(name)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot read scenario: {exc}") from None
        return parse_scenario(text, str(path))
    raise UserError(
        f"unknown scenario {name!r}: not a file and not a built-in "
        f"(built-ins: {', '.join(builtin_names())})"
    )
