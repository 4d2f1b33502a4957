"""Fixtures available to every test: private Mosquitto and InfluxDB servers.

- ``mosquitto``: a started ``MosquittoServer`` (``.host``, ``.port``, ``.url``, ``.stop()``,
  ``.start()`` on the same port, ``.kill()``), its own config and log in a tmp folder.
- ``mosquitto_factory(**kwargs)``: more brokers in one test (e.g. ``persistence=True``).
- ``influxdb``: an ``InfluxDatabase`` (``.url``, ``.database``, ``.query(q)``, ``.rows(q)``,
  ``.write(lines)``) with a unique, created database on one session-wide influxd.
- ``influxdb_server``: that session-wide ``InfluxServer`` (never stop it in a test).
- ``influxdb_factory()``: a private influxd for a test that stops/restarts it.

A missing binary FAILS the test with the apt command; it never skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.services import (
    InfluxDatabase,
    InfluxServer,
    MissingBinaryError,
    MosquittoServer,
)


def _fail_missing(exc: MissingBinaryError) -> NoReturn:
    pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[Callable[..., MosquittoServer]]:
    """Start brokers with ``factory(persistence=..., max_queued_messages=..., port=...)``."""
    servers: list[MosquittoServer] = []

    def factory(**kwargs: Any) -> MosquittoServer:
        workdir = tmp_path / f"mosquitto-{len(servers)}"
        try:
            server = MosquittoServer(workdir, **kwargs)
        except MissingBinaryError as exc:
            _fail_missing(exc)
        servers.append(server)
        server.start()
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def mosquitto(mosquitto_factory: Callable[..., MosquittoServer]) -> MosquittoServer:
    """A private, started mosquitto broker for this test."""
    return mosquitto_factory()


@pytest.fixture(scope="session")
def influxdb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """One influxd for the whole session (tests get their own database, not server)."""
    try:
        server = InfluxServer(tmp_path_factory.mktemp("influxd"))
    except MissingBinaryError as exc:
        _fail_missing(exc)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influxdb(influxdb_server: InfluxServer) -> Iterator[InfluxDatabase]:
    """A unique, freshly created database on the session's influxd."""
    if not influxdb_server.running:
        # A test stopped the shared server despite the warning above: recover, so one
        # bad test does not fail all later ones.
        influxdb_server.start()
    db = InfluxDatabase(influxdb_server)
    yield db
    if influxdb_server.running:
        db.drop()


@pytest.fixture
def influxdb_factory(tmp_path: Path) -> Iterator[Callable[[], InfluxServer]]:
    """Private influxd servers for tests that stop or restart InfluxDB (about 1.5 s each)."""
    servers: list[InfluxServer] = []

    def factory() -> InfluxServer:
        try:
            server = InfluxServer(tmp_path / f"influxd-{len(servers)}")
        except MissingBinaryError as exc:
            _fail_missing(exc)
        servers.append(server)
        server.start()
        return server

    yield factory
    for server in servers:
        server.stop()
