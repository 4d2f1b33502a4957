"""`analyzer` as a process: SIGTERM finishes the open sessions, publishes them, clears its
presence and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from bandsense.model import SessionSummary
from tests.analysis_service.helpers import (
    WAIT_S,
    Results,
    batches,
    collecting,
    publish,
    recording,
    samples_topic,
)
from tests.services import MosquittoServer

ANALYZER_ID = "analyzer-cli-test"


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
