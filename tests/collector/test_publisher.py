"""Publisher against a real mosquitto: order, retained status and last will, broker
outage with spool replay, and a collector killed with SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiomqtt
import pytest

from bandsense.model import SampleBatch
from collector.backoff import Backoff
from collector.messages import BandEvent, BandStatusMessage, LinkState
from collector.publisher import BrokerConfig, Publisher
from collector.spool import Spool
from collector.topics import BandTopics
from tests.collector.mqtt_helpers import subscriber
from tests.services import MosquittoServer, free_port

SAMPLES_PER_BATCH = 20


def make_batch(band: str, i: int) -> SampleBatch:
    n = SAMPLES_PER_BATCH
    return SampleBatch(
        band_id=band,
        session_id="s1",
        seq_first=i * 2,
        seq_last=i * 2 + 1,
        sample_rate_hz=200.0,
        time_s=[1.7e9 + (i * n + k) / 200 for k in range(n)],
        device_time_us=[(i * n + k) * 5000 for k in range(n)],
        force_n=[float(i * n + k) for k in range(n)],
        stretch_mm=None,
    )


def status(band: str, state: LinkState = "streaming") -> BandStatusMessage:
    return BandStatusMessage(band_id=band, state=state, collector="test", time_s=time.time())


@contextlib.asynccontextmanager
async def running(pub: Publisher) -> AsyncIterator[Publisher]:
    task = asyncio.create_task(pub.run())
    try:
        yield pub
    finally:
        pub.stop(status(pub.topics.band_id, "offline"))
        async with asyncio.timeout(20):
            await task


def fast_backoff() -> Backoff:
    return Backoff(initial_s=0.05, maximum_s=0.3)


def assert_exactly_once_in_order(batches: list[SampleBatch], n: int) -> None:
    forces = [f for b in batches for f in b.force_n]
    assert forces == [float(k) for k in range(n * SAMPLES_PER_BATCH)]


async def test_batches_arrive_in_order_and_status_is_retained(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "b1.sqlite")
    pub = Publisher(
        BrokerConfig.from_url(mosquitto.url), BandTopics("b1"), spool, collector_id="test"
    )
    async with (
        subscriber(mosquitto.host, mosquitto.port, ["bandsense/#"]) as rec,
        running(pub),
    ):
        pub.set_status(status("b1"))
        for i in range(200):
            pub.publish_batch(make_batch("b1", i))
        pub.publish_event(
            BandEvent(
                band_id="b1", event="battery", time_s=time.time(), collector="t", battery_pct=80
            )
        )
        assert await pub.drain(30)
        await rec.wait_for(lambda: len(rec.batches) == 200 and len(rec.events) == 1)
        await rec.wait_for(lambda: "bandsense/b1/status" in rec.status)
    assert_exactly_once_in_order(rec.batches, 200)
    assert len(spool) == 0 and pub.stats.acked == 201
    assert rec.events[0]["battery_pct"] == 80
    # A late subscriber sees the retained status: the clean stop published "offline".
    async with aiomqtt.Client(mosquitto.host, mosquitto.port) as c:
        await c.subscribe("bandsense/b1/status", qos=1)
        async with asyncio.timeout(10):
            msg = await anext(aiter(c.messages))
    assert isinstance(msg.payload, bytes)
    assert msg.retain and b'"offline"' in msg.payload


async def test_last_will_marks_band_offline(mosquitto: MosquittoServer, tmp_path: Path) -> None:
    # A collector process that dies without disconnecting: the broker publishes its will.
    script = f"""
import asyncio, time
from collector.publisher import BrokerConfig, Publisher
from collector.spool import Spool
from collector.topics import BandTopics
from collector.messages import BandStatusMessage
async def main():
    pub = Publisher(BrokerConfig.from_url({mosquitto.url!r}, keepalive_s=5), BandTopics("b9"),
                    Spool({str(tmp_path / "b9.sqlite")!r}), collector_id="doomed")
    pub.set_status(BandStatusMessage(band_id="b9", state="streaming", collector="doomed",
                                     time_s=time.time()))
    task = asyncio.create_task(pub.run())
    await pub.connected.wait()
    print("connected", flush=True)
    await task
asyncio.run(main())
"""
    async with subscriber(mosquitto.host, mosquitto.port, ["bandsense/+/status"]) as rec:
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line.strip() == "connected"
            await rec.wait_for(
                lambda: rec.status.get("bandsense/b9/status", {}).get("state") == "streaming"
            )
        finally:
            proc.kill()
            proc.wait()
        # SIGKILL closes the socket without DISCONNECT: the broker sends the will at once.
        await rec.wait_for(
            lambda: rec.status.get("bandsense/b9/status", {}).get("state") == "offline"
        )
    assert rec.status["bandsense/b9/status"]["collector"] == "doomed"


async def test_broker_outage_loses_and_duplicates_nothing(
    mosquitto_factory: Callable[..., MosquittoServer], tmp_path: Path
) -> None:
    # Persistent broker + persistent subscriber session: what the broker accepted before
    # the stop is still delivered after the start (the production setup, docs/mqtt.md).
    broker = mosquitto_factory(persistence=True)
    spool = Spool(tmp_path / "b1.sqlite")
    pub = Publisher(
        BrokerConfig.from_url(broker.url),
        BandTopics("b1"),
        spool,
        collector_id="test",
        backoff=fast_backoff(),
        max_inflight=50,
    )
    n = 900
    async with subscriber(broker.host, broker.port, ["bandsense/+/samples"]) as rec, running(pub):
        await pub.connected.wait()
        for i in range(300):
            pub.publish_batch(make_batch("b1", i))
            if i % 25 == 0:
                await asyncio.sleep(0)  # let the sender run: mid-stream, messages in flight
        await rec.wait_for(lambda: len(rec.batches) >= 100)
        await asyncio.to_thread(broker.stop)
        # While the broker is down: live data keeps coming and piles up in the spool.
        for i in range(300, 600):
            pub.publish_batch(make_batch("b1", i))
        async with asyncio.timeout(20):
            while pub.connected.is_set():
                await asyncio.sleep(0.01)  # paho notices the dead socket on its next read
        assert len(spool) >= 300
        await asyncio.to_thread(broker.start)
        for i in range(600, n):
            pub.publish_batch(make_batch("b1", i))
        assert await pub.drain(60)
        await rec.wait_for(lambda: len(rec.batches) == n, timeout=60)
    assert_exactly_once_in_order(rec.batches, n)
    assert pub.stats.connection_losses >= 1 and pub.stats.connects >= 2
    # QoS 1 is at least once on both legs (collector -> broker: unacknowledged publishes
    # are sent again; broker -> subscriber: its unacknowledged deliveries are redelivered
    # after the restart): every raw delivery is either new or a counted repeat.
    assert rec.raw_batches - n == rec.deduper.duplicates


async def test_spool_of_killed_collector_is_replayed(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    path = tmp_path / "b1.sqlite"
    # The first collector cannot reach any broker, spools 150 batches and is SIGKILLed.
    script = f"""
import asyncio, sys
sys.path.insert(0, {str(Path.cwd())!r})
from collector.publisher import BrokerConfig, Publisher
from collector.spool import Spool
from collector.topics import BandTopics
from tests.collector.test_publisher import make_batch
async def main():
    pub = Publisher(BrokerConfig(port={free_port()}), BandTopics("b1"), Spool({str(path)!r}),
                    collector_id="first")
    task = asyncio.create_task(pub.run())
    for i in range(150):
        pub.publish_batch(make_batch("b1", i))
    print(len(pub.spool), flush=True)
    await task
asyncio.run(main())
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.strip() == "150"
    finally:
        proc.kill()
        proc.wait()
    spool = Spool(path)
    assert len(spool) == 150
    pub = Publisher(
        BrokerConfig.from_url(mosquitto.url), BandTopics("b1"), spool, collector_id="second"
    )
    async with subscriber(mosquitto.host, mosquitto.port, ["bandsense/+/samples"]) as rec:
        async with running(pub):
            for i in range(150, 200):  # live data of the new run queues behind the replay
                pub.publish_batch(make_batch("b1", i))
            assert await pub.drain(30)
        await rec.wait_for(lambda: len(rec.batches) == 200)
    assert_exactly_once_in_order(rec.batches, 200)
    assert rec.deduper.duplicates == 0


def test_invalid_band_id_never_becomes_a_topic() -> None:
    for bad in ["a/b", "a+", "#", "x\x00", "", "bad id"]:
        with pytest.raises(ValueError):
            BandTopics(bad)
    with pytest.raises(ValueError):
        BandTopics("ok", prefix="a/+/b")
    with pytest.raises(ValueError):
        BrokerConfig.from_url("http://host:1883")
    assert BrokerConfig.from_url("mqtt://u:p@h:1999").port == 1999
