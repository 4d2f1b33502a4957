"""The shared data model: one JSON form per record, band ids safe as topic levels/tags."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from bandsense.model import (
    Hold,
    LiveState,
    Rep,
    SampleBatch,
    SessionSummary,
    SetSummary,
    validate_band_id,
)

band_ids = st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True)
# JSON has no NaN/inf: records carry finite numbers only.
reals = st.floats(allow_nan=False, allow_infinity=False, width=64)
durations = st.floats(min_value=0, max_value=1e6, allow_nan=False)
counts = st.integers(min_value=0, max_value=10_000)
sides = st.none() | st.sampled_from(["left", "right"])
optional_reals = st.none() | reals


@st.composite
def sample_batches(draw: st.DrawFn) -> SampleBatch:
    n = draw(st.integers(min_value=0, max_value=40))
    seq_first = draw(st.integers(min_value=0, max_value=2**32))
    has_stretch = draw(st.booleans())
    return SampleBatch(
        band_id=draw(band_ids),
        session_id=draw(st.text(max_size=20)),
        seq_first=seq_first,
        seq_last=seq_first + draw(st.integers(min_value=0, max_value=1000)),
        sample_rate_hz=draw(st.floats(min_value=1e-3, max_value=1e4)),
        time_s=draw(st.lists(reals, min_size=n, max_size=n)),
        device_time_us=draw(st.lists(st.integers(0, 2**63 - 1), min_size=n, max_size=n)),
        force_n=draw(st.lists(reals, min_size=n, max_size=n)),
        stretch_mm=draw(st.lists(reals, min_size=n, max_size=n)) if has_stretch else None,
        gaps=draw(st.lists(st.tuples(counts, counts), max_size=3)),
    )


reps = st.builds(
    Rep,
    index=counts,
    set=counts,
    start_s=reals,
    top_start_s=reals,
    top_end_s=reals,
    end_s=reals,
    concentric_s=reals,
    pause_s=reals,
    eccentric_s=reals,
    peak_force_n=reals,
    mean_force_n=reals,
    impulse_ns=reals,
    partial=st.booleans(),
    range_n=optional_reals,
    range_mm=optional_reals,
    time_under_tension_s=optional_reals,
    pause_ok=st.none() | st.booleans(),
    band_id=st.none() | band_ids,
    side=sides,
)
sets = st.builds(
    SetSummary,
    index=counts,
    kind=st.sampled_from(["reps", "hold"]),
    start_s=reals,
    end_s=reals,
    rep_count=counts,
    partial_count=counts,
    side=sides,
    concentric_mean_s=optional_reals,
    concentric_sd_s=optional_reals,
    pause_mean_s=optional_reals,
    pause_sd_s=optional_reals,
    eccentric_mean_s=optional_reals,
    eccentric_sd_s=optional_reals,
    peak_force_trend_n_per_rep=optional_reals,
    pauses_ok=st.none() | counts,
    band_id=st.none() | band_ids,
)
holds = st.builds(
    Hold,
    set=counts,
    start_s=reals,
    end_s=reals,
    duration_s=durations,
    mean_force_n=reals,
    force_cv=durations,
    band_id=st.none() | band_ids,
)
live_states = st.builds(
    LiveState,
    band_id=band_ids,
    time_s=reals,
    phase=st.sampled_from(["rest", "concentric", "top", "eccentric"]),
    set_index=counts,
    rep_count=counts,
    time_at_top_s=durations,
    force_n=reals,
)
sessions = st.builds(
    SessionSummary,
    band_id=st.none() | band_ids,
    samples=counts,
    duration_s=durations,
    sample_rate_hz=durations,
    gaps=counts,
    sets=st.lists(sets, max_size=3),
    reps=st.lists(reps, max_size=5),
    holds=st.lists(holds, max_size=2),
)
records = sample_batches() | reps | sets | holds | live_states | sessions


@given(records)
def test_every_record_round_trips_through_its_json_form(record: BaseModel) -> None:
    text = record.model_dump_json()
    again = type(record).model_validate_json(text)
    assert again == record
    assert again.model_dump_json() == text  # one JSON form, stable
    assert isinstance(json.loads(text), dict)


@given(sample_batches())
def test_sample_batch_json_carries_its_kind(batch: SampleBatch) -> None:
    assert json.loads(batch.model_dump_json())["kind"] == "samples"


def test_sample_batch_rejects_ragged_arrays() -> None:
    with pytest.raises(ValidationError, match="same length"):
        SampleBatch(
            band_id="b1",
            seq_first=0,
            seq_last=0,
            sample_rate_hz=200,
            time_s=[0.0, 0.005],
            device_time_us=[0, 5000],
            force_n=[1.0],
        )


def test_records_reject_unknown_fields() -> None:
    data = json.loads(
        Hold(set=0, start_s=1, end_s=2, duration_s=1, mean_force_n=5, force_cv=0).model_dump_json()
    )
    data["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        Hold.model_validate(data)


@given(band_ids)
def test_valid_band_ids_are_accepted(band_id: str) -> None:
    assert validate_band_id(band_id) == band_id


@given(
    st.text(max_size=20),
    st.sampled_from(["+", "#", "/", " ", "\x00", "\n", "\t", "\x7f", "é"]),
    st.text(max_size=20),
)
def test_band_ids_with_wildcards_separators_or_control_chars_are_rejected(
    head: str, bad: str, tail: str
) -> None:
    with pytest.raises(ValueError, match="invalid band id"):
        validate_band_id(head + bad + tail)
    with pytest.raises(ValidationError):
        LiveState(
            band_id=head + bad + tail,
            time_s=0,
            phase="rest",
            set_index=0,
            rep_count=0,
            time_at_top_s=0,
            force_n=0,
        )


@pytest.mark.parametrize("band_id", ["", "x" * 65])
def test_band_id_length_limits(band_id: str) -> None:
    with pytest.raises(ValueError, match="invalid band id"):
        validate_band_id(band_id)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_records_refuse_nan_and_infinity(bad: float) -> None:
    # Written, a NaN would become null and the record would no longer read back.
    with pytest.raises(ValidationError, match="finite"):
        Hold(set=0, start_s=1, end_s=2, duration_s=1, mean_force_n=bad, force_cv=0)
    with pytest.raises(ValidationError, match="finite"):
        Rep(index=0, set=0, start_s=0, top_start_s=1, top_end_s=1, end_s=2, concentric_s=1,
            pause_s=0, eccentric_s=1, peak_force_n=10, mean_force_n=5, impulse_ns=bad,
            partial=False)
    with pytest.raises(ValidationError, match="finite"):
        SampleBatch(band_id="b1", seq_first=0, seq_last=0, sample_rate_hz=200, time_s=[0.0],
                    device_time_us=[0], force_n=[bad])
