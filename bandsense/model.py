"""The shared data model: one typed record per thing bandsense moves around.

Every record has exactly one JSON form (``model_dump_json`` / ``model_validate_json``);
these are the payloads on MQTT, in the local archive and in exports
(see ``docs/data-model.md``). Times called ``*_s`` are seconds on the time axis of the
recording they belong to (for live data: seconds since the Unix epoch).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# A band id becomes an MQTT topic level and an InfluxDB tag: no wildcards, no level
# separators, no control characters, and short enough for a topic.
_BAND_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def validate_band_id(value: str) -> str:
    """Return ``value`` if it is a valid band id, else raise ``ValueError``."""
    if not _BAND_ID_RE.fullmatch(value):
        raise ValueError(
            f"invalid band id {value!r}: use 1-64 characters from A-Z a-z 0-9 . _ : -"
        )
    return value


BandId = Annotated[str, AfterValidator(validate_band_id)]


class _Record(BaseModel):
    # NaN and infinity are refused when a record is made: JSON has neither (pydantic would
    # write null, which does not read back into a number field, and InfluxDB refuses them).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SampleBatch(_Record):
    """A run of consecutive decoded samples from one band (the MQTT samples payload).

    ``seq_first``..``seq_last`` are the band's frame sequence numbers the samples came
    from. ``time_s`` are wall-clock times (Unix seconds) after the collector's
    clock mapping; ``device_time_us`` the band's own (unwrapped) clock.
    ``gaps`` lists ``[seq_from, seq_to]`` ranges (inclusive) that the band no longer
    held and are lost for good; they lie before ``seq_first``.
    """

    kind: Literal["samples"] = "samples"
    band_id: BandId
    session_id: str = ""
    seq_first: int = Field(ge=0)
    seq_last: int = Field(ge=0)
    sample_rate_hz: float = Field(gt=0)
    time_s: list[float]
    device_time_us: list[int]
    force_n: list[float]
    stretch_mm: list[float] | None = None
    gaps: list[tuple[int, int]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lengths_agree(self) -> SampleBatch:
        n = len(self.time_s)
        if len(self.force_n) != n or len(self.device_time_us) != n:
            raise ValueError("time_s, device_time_us and force_n must have the same length")
        if self.stretch_mm is not None and len(self.stretch_mm) != n:
            raise ValueError("stretch_mm must have the same length as force_n")
        if self.seq_last < self.seq_first:
            raise ValueError("seq_last < seq_first")
        return self


class Rep(_Record):
    """One repetition with its phase instants (see docs/analysis.md for definitions)."""

    index: int = Field(ge=0)
    set: int = Field(ge=0)
    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float
    concentric_s: float
    pause_s: float
    eccentric_s: float
    peak_force_n: float
    mean_force_n: float
    impulse_ns: float
    partial: bool = False
    range_n: float | None = None
    range_mm: float | None = None
    time_under_tension_s: float | None = None
    pause_ok: bool | None = None  # against a prescription, when one was given
    band_id: BandId | None = None
    side: Literal["left", "right"] | None = None


class SetSummary(_Record):
    """A set: consecutive reps, or one hold, separated from the next by rest."""

    index: int = Field(ge=0)
    kind: Literal["reps", "hold"] = "reps"
    start_s: float
    end_s: float
    rep_count: int = Field(ge=0)
    partial_count: int = Field(ge=0, default=0)
    side: Literal["left", "right"] | None = None
    concentric_mean_s: float | None = None
    concentric_sd_s: float | None = None
    pause_mean_s: float | None = None
    pause_sd_s: float | None = None
    eccentric_mean_s: float | None = None
    eccentric_sd_s: float | None = None
    peak_force_trend_n_per_rep: float | None = None  # fatigue: slope of peak force
    pauses_ok: int | None = None  # reps meeting the prescribed pause
    band_id: BandId | None = None


class Hold(_Record):
    """An isometric hold at the top lasting several seconds."""

    set: int = Field(ge=0)
    start_s: float
    end_s: float
    duration_s: float = Field(ge=0)
    mean_force_n: float
    force_cv: float = Field(ge=0)
    band_id: BandId | None = None


class LiveState(_Record):
    """What the live analyzer knows right now (for the rep counter and pause timer)."""

    kind: Literal["live"] = "live"
    band_id: BandId
    time_s: float
    phase: Literal["rest", "concentric", "top", "eccentric"]
    set_index: int = Field(ge=0)
    rep_count: int = Field(ge=0)
    time_at_top_s: float = Field(ge=0)
    force_n: float


class SessionSummary(_Record):
    """A whole session's analysis of one band."""

    kind: Literal["session"] = "session"
    band_id: BandId | None = None
    samples: int = Field(ge=0)
    duration_s: float = Field(ge=0)
    sample_rate_hz: float = Field(ge=0)
    gaps: int = Field(ge=0)
    sets: list[SetSummary] = Field(default_factory=list)
    reps: list[Rep] = Field(default_factory=list)
    holds: list[Hold] = Field(default_factory=list)
