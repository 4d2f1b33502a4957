"""The service with the real live analyzer: what it publishes over MQTT equals the offline
analysis of the same samples, with upstream redeliveries in the stream."""

from __future__ import annotations

import pytest

from analysis.offline import analyze
from analysis.service import AnalyzerService
from bandsense.model import Hold, Rep, SessionSummary, SetSummary
from tests.analysis_service.helpers import (
    Results,
    batches,
    collecting,
    config,
    publish,
    recording,
    running,
    samples_topic,
)
from tests.services import MosquittoServer

BAND = "band-live"


def final_reps(results: Results) -> list[Rep]:
    """The last version of each rep index (a set's close re-sends changed reps)."""
    by_index = {}
    for payload in results.of(BAND, "rep"):
        rep = Rep.model_validate_json(payload)
        by_index[rep.index] = rep
    return [by_index[i] for i in sorted(by_index)]


def no_band(records: list[Rep] | list[SetSummary] | list[Hold]) -> list[object]:
    return [r.model_copy(update={"band_id": None}) for r in records]


@pytest.mark.parametrize(("scenario", "seed", "duration_s"), [
    ("single_leg_bridge", 5, 170.0),  # two sets of reps
    ("table_top_reach", 6, 80.0),  # three holds
])
async def test_published_results_equal_the_offline_analysis(
    mosquitto: MosquittoServer, scenario: str, seed: int, duration_s: float
) -> None:
    rec = recording(seed, duration_s=duration_s, scenario=scenario)
    bs = batches(BAND, rec)
    sent = bs[:200] + bs[150:200] + bs[200:]  # a replay after a collector reconnect
    offline = analyze(rec.time_s, rec.force_n, rec.stretch_mm)
    assert offline.sets, "the recording must contain something to find"
    service = AnalyzerService(config(mosquitto.port))  # the default: analysis.live
    async with collecting(mosquitto.host, mosquitto.port) as results, running(service):
        await publish(mosquitto.host, mosquitto.port,
                      [(samples_topic(BAND), b.model_dump_json().encode()) for b in sent])
        await results.wait_for(lambda: bool(results.of(BAND, "session")))
    assert service.stats.duplicates == 50 and service.stats.analyzer_errors == 0
    (session,) = [SessionSummary.model_validate_json(p) for p in results.of(BAND, "session")]
    assert session.band_id == BAND
    assert no_band(session.reps) == offline.reps
    assert no_band(session.sets) == offline.sets
    assert no_band(session.holds) == offline.holds
    assert (session.samples, session.gaps) == (offline.samples, offline.gaps)
    # The stream of results carries the same records as the summary.
    assert no_band(final_reps(results)) == offline.reps
    sets = [SetSummary.model_validate_json(p) for p in results.of(BAND, "set")]
    assert no_band(sets) == offline.sets
    holds = [Hold.model_validate_json(p) for p in results.of(BAND, "hold")]
    assert no_band(holds) == offline.holds
    assert {r.band_id for r in final_reps(results)} | {r.band_id for r in sets} == {BAND}
    assert all(h.band_id == BAND for h in holds)
    assert results.of(BAND, "live")
