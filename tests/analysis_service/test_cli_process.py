"""`analyzer` as a process: SIGTERM finishes the open sessions, publishes them, clears its
presence and exits 0; SIGKILL leaves its bands to the other analyzers of its group."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from analysis.service import AnalyzerService
from bandsense.model import SampleBatch, SessionSummary
from tests.analysis_service.helpers import (
    WAIT_S,
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

ANALYZER_ID = "analyzer-cli-test"


def messages(bs: list[SampleBatch]) -> list[tuple[str, bytes]]:
    return [(samples_topic(b.band_id), b.model_dump_json().encode()) for b in bs]


async def wait_presence(results: Results, online: bool) -> None:
    topic = f"bandsense/analyzer/{ANALYZER_ID}/online"
    await results.wait_for(lambda: bool(results.by_topic.get(topic))
                           and bool(results.by_topic[topic][-1]) == online)


async def test_sigterm_publishes_open_sessions_and_exits_cleanly(
    mosquitto: MosquittoServer,
) -> None:
    bs = batches("band-cli", recording(7, duration_s=60.0))
    env = {**os.environ, "BANDSENSE_MQTT__CLIENT_ID": ANALYZER_ID}
    async with collecting(mosquitto.host, mosquitto.port, "bandsense/#") as results:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "analysis.service_cli", "analyzer", "--mqtt", mosquitto.url,
            "--idle-timeout", "600", env=env, stderr=asyncio.subprocess.PIPE)
        try:
            await wait_presence(results, online=True)
            await publish(mosquitto.host, mosquitto.port,
                          [(samples_topic(b.band_id), b.model_dump_json().encode()) for b in bs])
            await results.wait_for(lambda: len(results.of("band-cli", "live")) > 0)
            assert not results.of("band-cli", "session")  # the idle timeout is far away
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(WAIT_S):
                _, stderr = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 0, stderr.decode()
        await results.wait_for(lambda: bool(results.of("band-cli", "session")))
        await wait_presence(results, online=False)
    (session,) = [SessionSummary.model_validate_json(p) for p in results.of("band-cli", "session")]
    assert session.samples == sum(len(b.time_s) for b in bs)
    assert f"{len(bs)} batches" in stderr.decode()


async def test_bands_of_a_killed_analyzer_are_taken_over(mosquitto: MosquittoServer) -> None:
    bs = batches("band-kill", recording(8, duration_s=30.0))
    half = len(bs) // 2
    owner_topic = "bandsense/band-kill/analysis/owner/bandsense-analyzer"
    env = {**os.environ, "BANDSENSE_MQTT__CLIENT_ID": ANALYZER_ID}
    async with collecting(mosquitto.host, mosquitto.port, "bandsense/#") as results:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "analysis.service_cli", "analyzer", "--mqtt", mosquitto.url,
            "--idle-timeout", "600", env=env, stderr=asyncio.subprocess.DEVNULL)
        try:
            await wait_presence(results, online=True)
            await publish(mosquitto.host, mosquitto.port, messages(bs[:1]))
            await results.wait_for(lambda: bool(results.by_topic.get(owner_topic)))
            survivor = AnalyzerService(config(mosquitto.port, analyzer_id="analyzer-survivor"),
                                       EchoAnalyzer)
            async with running(survivor):
                await publish(mosquitto.host, mosquitto.port, messages(bs[1:half]))
                proc.kill()  # no goodbye: the broker publishes the last will
                await proc.wait()
                await wait_presence(results, online=False)
                # The next batch is the survivor's to claim; the rest goes to it directly.
                await publish(mosquitto.host, mosquitto.port, messages(bs[half : half + 1]))
                await results.wait_for(lambda: len(results.by_topic[owner_topic]) == 2)
                await publish(mosquitto.host, mosquitto.port, messages(bs[half + 1 :]))
                await results.wait_for(lambda: bool(results.of("band-kill", "session")))
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    claims = [json.loads(p)["analyzer"] for p in results.by_topic[owner_topic] if p]
    assert claims == [ANALYZER_ID, "analyzer-survivor"]
    assert survivor.stats.foreign > 0  # its share of the first half, owned by the other
    # The survivor analysed exactly what came after the death, once each, in order.
    fed = [json.loads(p)["start_s"] for p in results.of("band-kill", "rep")
           if json.loads(p)["impulse_ns"] == float(len(bs[0].time_s))]
    assert fed[-(len(bs) - half):] == [b.time_s[0] for b in bs[half:]]
    assert survivor.stats.batches == len(bs) - half
