"""The service against a real mosquitto with a plumbing-only analyzer (EchoAnalyzer):
every batch reaches exactly one analyzer exactly once, whatever the broker does."""

from __future__ import annotations

import json
from collections.abc import Callable

from analysis.service import AnalyzerService
from bandsense.model import SampleBatch, SessionSummary
from tests.analysis_service.helpers import (
    EchoAnalyzer,
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

OWNER = "owner/bandsense-analyzer"  # the default share group's claims


def echo_service(port: int, **kwargs: object) -> AnalyzerService:
    return AnalyzerService(config(port, **kwargs), EchoAnalyzer)


def messages(bs: list[SampleBatch]) -> list[tuple[str, bytes]]:
    return [(samples_topic(b.band_id), b.model_dump_json().encode()) for b in bs]


def fed_batches(results: Results, band_id: str) -> list[tuple[float, float]]:
    """(first time, sample count) of every batch the echo analyzer got, in order."""
    reps = [json.loads(p) for p in results.of(band_id, "rep")]
    return [(r["start_s"], r["impulse_ns"]) for r in reps]


def expected(bs: list[SampleBatch]) -> list[tuple[float, float]]:
    return [(b.time_s[0], float(len(b.time_s))) for b in bs]


def has_claim(results: Results, band: str) -> Callable[[], bool]:
    return lambda: bool(results.of(band, OWNER))


def has_session(results: Results, *bands: str) -> Callable[[], bool]:
    return lambda: all(results.of(b, "session") for b in bands)


async def test_batches_are_analysed_once_in_order_and_the_session_closes_on_idle(
    mosquitto: MosquittoServer,
) -> None:
    bs = batches("band-a", recording(3, duration_s=60.0))
    # At-least-once upstream: a replay after a reconnect repeats a run of batches.
    sent = bs[:100] + bs[80:100] + bs[100:] + bs[-3:]
    async with collecting(mosquitto.host, mosquitto.port) as results, \
            running(echo_service(mosquitto.port)) as service:
        await publish(mosquitto.host, mosquitto.port, messages(sent))
        await results.wait_for(has_session(results, "band-a"))
    assert fed_batches(results, "band-a") == expected(bs)
    assert service.stats.duplicates == 23
    (session,) = [SessionSummary.model_validate_json(p) for p in results.of("band-a", "session")]
    assert session.samples == sum(len(b.time_s) for b in bs)
    assert session.sets[0].rep_count == len(bs) and session.sets[0].band_id == "band-a"
    assert results.of("band-a", "live")  # live states went out (rate-limited)


async def test_malformed_messages_are_counted_and_the_stream_goes_on(
    mosquitto: MosquittoServer,
) -> None:
    bs = batches("band-a", recording(3, duration_s=30.0))
    junk = [b"{", b"null", b'{"kind": "samples"}', b"\x00\xff" * 10,
            bs[0].model_dump_json().replace('"band-a"', '"band-b"').encode()]
    sent = messages(bs[:10]) + [(samples_topic("band-a"), j) for j in junk] + messages(bs[10:])
    async with collecting(mosquitto.host, mosquitto.port) as results, \
            running(echo_service(mosquitto.port)) as service:
        await publish(mosquitto.host, mosquitto.port, sent)
        await results.wait_for(has_session(results, "band-a"))
    assert service.stats.malformed == len(junk)
    assert fed_batches(results, "band-a") == expected(bs)


async def test_two_analyzers_in_one_group_split_two_bands_without_duplicates(
    mosquitto: MosquittoServer,
) -> None:
    bands = {"band-a": batches("band-a", recording(3, duration_s=40.0)),
             "band-b": batches("band-b", recording(4, duration_s=40.0))}
    services = [echo_service(mosquitto.port, analyzer_id=f"an-{i}") for i in range(2)]
    async with collecting(mosquitto.host, mosquitto.port) as results, \
            running(services[0]), running(services[1]):
        # Bands start streaming one at a time, as real ones do: each gets claimed first.
        for band, bs in bands.items():
            await publish(mosquitto.host, mosquitto.port, messages(bs[:1]))
            await results.wait_for(has_claim(results, band))
        # Runs of 3 batches per band: the broker's round robin hands each analyzer copies
        # of both bands, so the non-owner must drop them and the owner get them directly.
        a, b = (messages(bs[1:]) for bs in bands.values())
        mixed = [m for i in range(0, len(a), 3) for m in a[i : i + 3] + b[i : i + 3]]
        await publish(mosquitto.host, mosquitto.port, mixed)
        await results.wait_for(has_session(results, *bands))
    for band, bs in bands.items():
        assert fed_batches(results, band) == expected(bs)
        assert len(results.of(band, "session")) == 1
        claims = [json.loads(p) for p in results.of(band, OWNER) if p]
        assert len({c["analyzer"] for c in claims}) == 1  # one owner, no handover
    assert sum(s.stats.foreign for s in services) > 0  # copies of others' bands, dropped
    assert sum(s.stats.handovers for s in services) == 0
    assert sum(s.stats.sessions for s in services) == 2


async def test_service_reconnects_after_a_broker_restart(mosquitto: MosquittoServer) -> None:
    bs = batches("band-a", recording(3, duration_s=30.0))
    half = len(bs) // 2
    service = echo_service(mosquitto.port, idle_timeout_s=2.0)
    async with running(service):
        async with collecting(mosquitto.host, mosquitto.port) as results:
            await publish(mosquitto.host, mosquitto.port, messages(bs[:half]))
            await results.wait_for(lambda: len(results.of("band-a", "rep")) == half)
        before = fed_batches(results, "band-a")
        mosquitto.stop()
        mosquitto.start()
        await service.wait_subscribed(connects=2)
        async with collecting(mosquitto.host, mosquitto.port) as results:
            await publish(mosquitto.host, mosquitto.port, messages(bs[half - 5:]))
            await results.wait_for(has_session(results, "band-a"))
        after = fed_batches(results, "band-a")
    assert before + after == expected(bs)  # the replayed 5 were dropped as repeats
    assert service.stats.connection_losses >= 1
    (session,) = [SessionSummary.model_validate_json(p) for p in results.of("band-a", "session")]
    assert session.samples == sum(len(b.time_s) for b in bs)
