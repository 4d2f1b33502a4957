"""The test services themselves: real servers, real round trips."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import aiomqtt
import pytest

from tests.services import InfluxDatabase, InfluxServer, MosquittoServer, ServiceError


async def _round_trip(server: MosquittoServer, topic: str, payload: bytes) -> aiomqtt.Message:
    async with aiomqtt.Client(server.host, server.port, identifier=f"t-{topic}") as client:
        await client.subscribe(topic, qos=1)
        await client.publish(topic, payload, qos=1)
        async with asyncio.timeout(10):
            async for message in client.messages:
                return message
    raise AssertionError("message iterator ended without a message")


def test_influxdb_write_then_query_reads_the_point_back(influxdb: InfluxDatabase) -> None:
    t_ns = time.time_ns()
    influxdb.write(f"force,band_id=blue value=12.5,stretch=101.2 {t_ns}")

    rows = influxdb.rows('SELECT "value", "stretch", "band_id" FROM "force"')

    assert len(rows) == 1
    assert rows[0]["value"] == 12.5
    assert rows[0]["stretch"] == 101.2
    assert rows[0]["band_id"] == "blue"
    # InfluxDB answers RFC 3339 with nanoseconds unless told otherwise; ask for ns epoch.
    raw = influxdb.query('SELECT "value" FROM "force"', params={"epoch": "ns"})
    assert raw["results"][0]["series"][0]["values"][0][0] == t_ns


def test_influxdb_gives_each_test_its_own_created_database(
    influxdb: InfluxDatabase, influxdb_server: InfluxServer
) -> None:
    names = [
        v[0] for v in influxdb_server.query("SHOW DATABASES")["results"][0]["series"][0]["values"]
    ]
    assert influxdb.database in names
    assert influxdb.url == f"http://127.0.0.1:{influxdb_server.port}"
    assert influxdb.rows('SELECT * FROM "force"') == []


def test_influxdb_errors_are_raised_not_returned(influxdb: InfluxDatabase) -> None:
    with pytest.raises(ServiceError, match="400"):
        influxdb.write("this is not line protocol")
    with pytest.raises(ServiceError):
        influxdb.query("SELECT FROM nowhere")


def test_private_influxdb_restarts_on_same_port_with_data(
    influxdb_factory: Callable[[], InfluxServer],
) -> None:
    server = influxdb_factory()
    db = InfluxDatabase(server, "keep")
    db.write("m v=1i 1000000000")
    port = server.port

    server.stop()
    assert not server.running
    server.start()

    assert server.port == port
    assert db.rows('SELECT "v" FROM "m"')[0]["v"] == 1


async def test_mosquitto_publish_and_receive(mosquitto: MosquittoServer) -> None:
    assert mosquitto.url == f"mqtt://127.0.0.1:{mosquitto.port}"

    message = await _round_trip(mosquitto, "bandsense/test/samples", b'{"n": 1}')

    assert message.topic.value == "bandsense/test/samples"
    assert message.payload == b'{"n": 1}'
    assert message.qos == 1


async def test_mosquitto_restarts_on_same_port_and_clients_reconnect(
    mosquitto: MosquittoServer,
) -> None:
    port = mosquitto.port
    await _round_trip(mosquitto, "before", b"1")

    mosquitto.stop()
    assert not mosquitto.running
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client(mosquitto.host, mosquitto.port, timeout=2):
            pass

    mosquitto.start()
    assert mosquitto.port == port
    message = await _round_trip(mosquitto, "after", b"2")
    assert message.payload == b"2"


def test_mosquitto_config_sets_queue_limits_deliberately(mosquitto: MosquittoServer) -> None:
    config = mosquitto.config_path.read_text().splitlines()
    assert "max_queued_messages 100000" in config
    assert "allow_anonymous true" in config
    assert f"listener {mosquitto.port} 127.0.0.1" in config


def test_mosquitto_factory_runs_brokers_side_by_side(
    mosquitto_factory: Callable[..., MosquittoServer],
) -> None:
    a = mosquitto_factory()
    b = mosquitto_factory(persistence=True)
    assert a.port != b.port
    for server in (a, b):
        with socket.create_connection((server.host, server.port), timeout=2):
            pass
    assert "persistence true" in b.config_path.read_text()


def test_missing_binary_names_the_install_command() -> None:
    from tests.services import MOSQUITTO_INSTALL, MissingBinaryError, find_binary

    with pytest.raises(MissingBinaryError, match="apt-get install -y mosquitto"):
        find_binary("mosquitto-not-installed-here", MOSQUITTO_INSTALL)


async def test_mosquitto_queues_more_than_the_default_1000_for_an_offline_subscriber(
    mosquitto: MosquittoServer,
) -> None:
    # Mosquitto's default max_queued_messages (1000) would silently drop the rest.
    n = 2500
    sub_id = "slow-subscriber"
    async with aiomqtt.Client(
        mosquitto.host, mosquitto.port, identifier=sub_id, clean_session=False
    ) as sub:
        await sub.subscribe("q/#", qos=1)
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="burst") as pub:
        for i in range(n):
            await pub.publish(f"q/{i}", str(i).encode(), qos=1)

    received: list[int] = []
    async with aiomqtt.Client(
        mosquitto.host, mosquitto.port, identifier=sub_id, clean_session=False
    ) as sub:
        async with asyncio.timeout(60):
            async for message in sub.messages:
                assert isinstance(message.payload, bytes)
                received.append(int(message.payload))
                if len(received) == n:
                    break
    assert received == list(range(n))


async def test_persistent_mosquitto_keeps_queued_messages_across_a_restart(
    mosquitto_factory: Callable[..., MosquittoServer],
) -> None:
    broker = mosquitto_factory(persistence=True)
    async with aiomqtt.Client(
        broker.host, broker.port, identifier="keeper", clean_session=False
    ) as sub:
        await sub.subscribe("keep/#", qos=1)
    async with aiomqtt.Client(broker.host, broker.port, identifier="pub") as pub:
        for i in range(50):
            await pub.publish(f"keep/{i}", str(i).encode(), qos=1)

    broker.stop()
    assert (broker.workdir / "mosquitto.db").is_file()
    broker.start()

    received: list[int] = []
    async with aiomqtt.Client(
        broker.host, broker.port, identifier="keeper", clean_session=False
    ) as sub:
        async with asyncio.timeout(20):
            async for message in sub.messages:
                assert isinstance(message.payload, bytes)
                received.append(int(message.payload))
                if len(received) == 50:
                    break
    assert received == list(range(50))
    assert "keeper" in broker.log()  # the log file is written (connection messages)
