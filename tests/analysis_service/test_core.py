"""AnalyzerCore without a broker: de-duplication, gaps, malformed input, ownership, idle."""

from __future__ import annotations

import json

import pytest

from analysis.service import AnalyzerCore, Effects, ServiceConfig
from bandsense.model import SessionSummary
from tests.analysis_service.helpers import EchoAnalyzer, batches, recording, samples_topic

ME = "analyzer-me"
OTHER = "analyzer-other"
OWNER = "owner/bandsense-analyzer"  # claims live per share group


def core(share: bool = False, **kwargs: object) -> tuple[AnalyzerCore, dict[str, EchoAnalyzer]]:
    made: dict[str, EchoAnalyzer] = {}

    def factory(band_id: str) -> EchoAnalyzer:
        made[band_id] = EchoAnalyzer(band_id)
        return made[band_id]

    cfg = ServiceConfig(analyzer_id=ME, share=share, **kwargs)  # type: ignore[arg-type]
    return AnalyzerCore(cfg, factory), made


def topics(effects: Effects, kind: str) -> list[str]:
    return [m.topic for m in effects.publish if m.topic.endswith(f"/analysis/{kind}")]


def fed_counts(effects: Effects) -> list[float]:
    return [json.loads(m.payload)["impulse_ns"] for m in effects.publish
            if m.topic.endswith("/analysis/rep")]


def test_redelivered_batches_are_dropped_and_every_sample_is_fed_once() -> None:
    c, made = core()
    bs = batches("b1", recording(1, duration_s=20.0))
    order = bs[:10] + bs[5:10] + bs[10:] + [bs[3], bs[-1]]  # reconnect replays and repeats
    out = Effects()
    for i, b in enumerate(order):
        out.extend(c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=float(i)))
    assert c.stats.duplicates == 7
    assert sum(fed_counts(out)) == sum(len(b.time_s) for b in bs)
    assert made["b1"].feeds == len(bs)
    assert c.stats.samples == sum(len(b.time_s) for b in bs)


def test_declared_gap_and_missing_seq_are_told_to_the_analyzer() -> None:
    c, made = core()
    bs = batches("b1", recording(1, duration_s=10.0))
    gapped = bs[4].model_copy(update={"gaps": [(bs[3].seq_first, bs[3].seq_last)]})
    for i, b in enumerate([*bs[:3], gapped, bs[6]]):  # bs[3] declared lost, bs[5] missing
        c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=float(i))
    assert made["b1"].gaps == [(bs[2].time_s[-1], bs[4].time_s[0]),
                               (bs[4].time_s[-1], bs[6].time_s[0])]
    assert c.stats.gaps == 2
    summary = c.finish_all(now=10.0).publish[-1]
    assert SessionSummary.model_validate_json(summary.payload).gaps == 2


@pytest.mark.parametrize("payload", [
    b"", b"not json", b"{}", b'{"kind": "samples"}', b"\xff\xfe",
    json.dumps({"kind": "samples", "band_id": "b1", "seq_first": 0, "seq_last": 0,
                "sample_rate_hz": 100, "time_s": [2.0, 1.0], "device_time_us": [0, 1],
                "force_n": [0.0, 0.0]}).encode(),  # time going backwards
    json.dumps({"kind": "samples", "band_id": "b2", "seq_first": 0, "seq_last": 0,
                "sample_rate_hz": 100, "time_s": [1.0], "device_time_us": [0],
                "force_n": [0.0]}).encode(),  # band differs from the topic
])
def test_malformed_payloads_are_counted_and_the_band_goes_on(payload: bytes) -> None:
    c, made = core()
    bs = batches("b1", recording(1, duration_s=5.0))
    c.handle(samples_topic("b1"), bs[0].model_dump_json().encode(), now=0.0)
    assert c.handle(samples_topic("b1"), payload, now=1.0).publish == []
    c.handle(samples_topic("b1"), bs[1].model_dump_json().encode(), now=2.0)
    assert c.stats.malformed == 1
    assert made["b1"].feeds == 2


def test_live_state_is_rate_limited_per_band() -> None:
    c, _ = core(live_rate_hz=4.0)
    bs = batches("b1", recording(1, duration_s=5.0))
    live = []
    for i, b in enumerate(bs[:6]):  # 0.125 s apart: every other one goes out
        eff = c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=100 + 0.125 * i)
        live += topics(eff, "live")
    assert len(live) == 3
    assert all(m.qos == 0 for m in c.handle(
        samples_topic("b1"), bs[7].model_dump_json().encode(), now=200).publish
        if m.topic.endswith("/live"))


def test_idle_band_is_finished_with_a_session_summary() -> None:
    c, _ = core(idle_timeout_s=5.0)
    bs = batches("b1", recording(1, duration_s=5.0))
    for b in bs:
        c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=0.0)
    assert c.expire(now=4.9).publish == []
    eff = c.expire(now=5.0)
    assert topics(eff, "set") and topics(eff, "session")
    summary = SessionSummary.model_validate_json(eff.publish[-1].payload)
    assert summary.samples == sum(len(b.time_s) for b in bs)
    assert summary.band_id == "b1" and summary.sets[0].band_id == "b1"
    assert summary.duration_s == pytest.approx(bs[-1].time_s[-1] - bs[0].time_s[0])
    assert not c.bands
    # A late redelivery after the session ended does not start a new one.
    c.handle(samples_topic("b1"), bs[-1].model_dump_json().encode(), now=6.0)
    assert not c.bands and c.stats.duplicates == 1


def claim(band: str, analyzer: str) -> tuple[str, bytes]:
    body = {"kind": "owner", "analyzer": analyzer, "group": "g", "time_s": 1.0}
    return f"bandsense/{band}/analysis/{OWNER}", json.dumps(body).encode()


def presence(analyzer: str, online: bool = True) -> tuple[str, bytes]:
    body = {"kind": "analyzer", "analyzer": analyzer, "group": "g", "time_s": 1.0}
    return f"bandsense/analyzer/{analyzer}/online", json.dumps(body).encode() if online else b""


def test_first_batch_of_an_unowned_band_claims_it() -> None:
    c, _ = core(share=True)
    b = batches("b1", recording(1, duration_s=2.0))[0]
    eff = c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=0.0)
    assert eff.subscribe == [samples_topic("b1")]
    (own,) = topics(eff, OWNER)
    assert json.loads(next(m.payload for m in eff.publish if m.topic == own))["analyzer"] == ME
    assert next(m.retain for m in eff.publish if m.topic == own)
    # Finishing the band releases the claim (empty retained message).
    fin = c.finish_all(now=1.0)
    assert fin.unsubscribe == [samples_topic("b1")]
    assert [m.payload for m in fin.publish if m.topic == own] == [b""]


def test_bands_owned_by_a_live_analyzer_are_dropped_until_it_dies() -> None:
    c, made = core(share=True)
    bs = batches("b1", recording(1, duration_s=2.0))
    c.handle(*presence(OTHER), now=0.0)
    c.handle(*claim("b1", OTHER), now=0.0)
    eff = c.handle(samples_topic("b1"), bs[0].model_dump_json().encode(), now=0.0)
    assert eff.publish == [] and c.stats.foreign == 1 and not made
    c.handle(*presence(OTHER, online=False), now=1.0)  # its last will
    eff = c.handle(samples_topic("b1"), bs[1].model_dump_json().encode(), now=1.0)
    assert topics(eff, OWNER) and made["b1"].feeds == 1


def test_a_later_claim_takes_the_band_over() -> None:
    c, _ = core(share=True)
    bs = batches("b1", recording(1, duration_s=2.0))
    c.handle(samples_topic("b1"), bs[0].model_dump_json().encode(), now=0.0)
    c.handle(*claim("b1", ME), now=0.0)  # our own claim comes back first
    c.handle(*presence(OTHER), now=0.0)
    eff = c.handle(*claim("b1", OTHER), now=0.0)
    assert eff.unsubscribe == [samples_topic("b1")]
    assert not c.bands and c.stats.handovers == 1
    assert c.handle(samples_topic("b1"), bs[1].model_dump_json().encode(), now=0.1).publish == []


def test_band_restart_new_session_numbering_is_accepted_and_old_repeats_dropped() -> None:
    c, made = core()
    bs = batches("b1", recording(1, duration_s=20.0))
    first, second = bs[:20], batches("b1", recording(1, duration_s=20.0), session_id="s2")[20:]
    # The band restarted: its frame numbers start over under a new session id.
    second = [b.model_copy(update={"seq_first": b.seq_first - second[0].seq_first,
                                   "seq_last": b.seq_last - second[0].seq_first})
              for b in second]
    for i, b in enumerate([*first, *second[:10], first[-1], *second[10:]]):
        c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=float(i))
    assert made["b1"].feeds == len(bs)  # one analysis session across the restart
    assert c.stats.duplicates == 1  # the late repeat from the first session


def test_claims_of_another_group_do_not_stop_this_one() -> None:
    c, made = core(share=True)
    b = batches("b1", recording(1, duration_s=2.0))[0]
    c.handle(*presence(OTHER), now=0.0)
    body = json.dumps({"kind": "owner", "analyzer": OTHER, "group": "other", "time_s": 1.0})
    c.handle("bandsense/b1/analysis/owner/other", body.encode(), now=0.0)
    eff = c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=0.0)
    assert topics(eff, OWNER) and made["b1"].feeds == 1


def test_reconnect_restarts_idle_timers() -> None:
    c, _ = core(idle_timeout_s=5.0)
    b = batches("b1", recording(1, duration_s=2.0))[0]
    c.handle(samples_topic("b1"), b.model_dump_json().encode(), now=0.0)
    c.on_connect(now=100.0)  # the broker was away for 100 s: not the band's idleness
    assert c.expire(now=104.0).publish == []
    assert topics(c.expire(now=105.0), "session")
