"""Private Mosquitto and InfluxDB 1.x servers for tests.

Each server runs from Debian's binaries with a generated configuration in a temporary
folder, on a free loopback port, and is only handed to a test once it answers. Tests
that need one of them must FAIL when the binary is missing (with the install command),
never skip: a green run without the services would be a lie.

The fixtures wrapping these classes live in ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

MOSQUITTO_INSTALL = "apt-get install -y mosquitto mosquitto-clients"
INFLUXD_INSTALL = "apt-get install -y influxdb influxdb-client"

# Generous: CI shares 2 cores between several processes. These are upper bounds for
# polling loops, not sleeps.
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
_POLL_S = 0.005


class ServiceError(RuntimeError):
    """A test service could not be found, started or stopped."""


class MissingBinaryError(ServiceError):
    """The server binary is not installed; the message carries the install command."""


def find_binary(name: str, install: str) -> str:
    """Return the path of ``name`` (also looking in the sbin folders a user PATH may lack)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    path = shutil.which(name, path=search)
    if path is None:
        raise MissingBinaryError(f"{name} not found: {install}")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (callers retry if a race takes it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _accepts_tcp(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _terminate(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM and wait for the exit (SIGKILL if it does not come in time)."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


# --------------------------------------------------------------------------- Mosquitto


class MosquittoServer:
    """A private mosquitto broker on ``127.0.0.1:port``.

    ``stop()`` waits until the process has exited; ``start()`` (re)starts it on the SAME
    port so clients can reconnect to the same URL; ``kill()`` simulates a crash (SIGKILL).
    With ``persistence=True`` the broker saves sessions and queued QoS 1 messages to its
    folder on a clean stop and loads them on the next start.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        workdir: Path,
        *,
        port: int | None = None,
        persistence: bool = False,
        max_queued_messages: int = 100_000,
        max_inflight_messages: int = 100,
        extra_config: Sequence[str] = (),
    ) -> None:
        self.binary = find_binary("mosquitto", MOSQUITTO_INSTALL)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.workdir / "mosquitto.conf"
        self.log_path = self.workdir / "mosquitto.log"
        self.persistence = persistence
        self.max_queued_messages = max_queued_messages
        self.max_inflight_messages = max_inflight_messages
        self.extra_config = list(extra_config)
        self._fixed_port = port is not None
        self.port = port if port is not None else free_port(self.host)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _write_config(self) -> None:
        lines = [
            f"listener {self.port} {self.host}",
            # Without this a `listener` line refuses anonymous clients (mosquitto 2.x).
            "allow_anonymous true",
            f"persistence {'true' if self.persistence else 'false'}",
            # The default of 1000 silently drops QoS 1 messages to a slow subscriber.
            f"max_queued_messages {self.max_queued_messages}",
            f"max_inflight_messages {self.max_inflight_messages}",
            "set_tcp_nodelay true",
            # $SYS counters (e.g. publish/messages/dropped) every second, not every 10 s.
            "sys_interval 1",
            # stdout is block-buffered: a file is readable while the broker runs.
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "log_timestamp true",
        ]
        if os.geteuid() == 0:
            # As root mosquitto drops to user `mosquitto`, which cannot write the log or
            # the persistence file in root's private tmp folders (and fails silently).
            lines.append("user root")
        if self.persistence:
            lines.append(f"persistence_location {self.workdir}/")
            lines.append("autosave_interval 0")
        lines.extend(self.extra_config)
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        """Start the broker and return once it accepts TCP connections."""
        if self.running:
            return
        # A port picked by free_port() can be taken by someone else before mosquitto
        # binds it; on the very first start we may pick another one.
        attempts = 1 if self._fixed_port or self._proc is not None else 3
        last_error = ""
        for _ in range(attempts):
            self._write_config()
            self._proc = subprocess.Popen(
                [self.binary, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    break
                if _accepts_tcp(self.host, self.port):
                    self._fixed_port = True  # restarts must come back on this port
                    return
                time.sleep(_POLL_S)
            last_error = _tail(self.log_path)
            _terminate(self._proc)
            if not self._fixed_port:
                self.port = free_port(self.host)
        raise ServiceError(f"mosquitto did not start on port {self.port}:\n{last_error}")

    def stop(self) -> None:
        """Stop cleanly (SIGTERM) and wait until the process has exited."""
        if self._proc is not None:
            _terminate(self._proc)

    def kill(self) -> None:
        """Crash the broker (SIGKILL): no will messages sent, nothing persisted."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=STOP_TIMEOUT_S)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return _tail(self.log_path, lines=10_000)

    def __repr__(self) -> str:
        return f"MosquittoServer({self.url}, running={self.running})"


# --------------------------------------------------------------------------- InfluxDB

_HTTP_ADDR_RE = re.compile(r"Listening on HTTP.*?addr=(?:\[?[\w.:]*?\]?):(\d+)")


class InfluxServer:
    """A private influxd 1.x on loopback, data in ``workdir``.

    The first start binds port 0 and reads the real HTTP port from the log; ``stop()``
    then ``start()`` comes back on the same port with the same data.
    """

    host = "127.0.0.1"

    def __init__(self, workdir: Path) -> None:
        self.binary = find_binary("influxd", INFLUXD_INSTALL)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "influxd.log"
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ServiceError("influxd has not been started yet")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _env(self) -> dict[str, str]:
        http_port = self.port if self.port is not None else 0
        env = dict(os.environ)
        env.update(
            {
                "INFLUXDB_BIND_ADDRESS": f"{self.host}:0",
                "INFLUXDB_HTTP_BIND_ADDRESS": f"{self.host}:{http_port}",
                "INFLUXDB_META_DIR": str(self.workdir / "meta"),
                "INFLUXDB_DATA_DIR": str(self.workdir / "data"),
                "INFLUXDB_DATA_WAL_DIR": str(self.workdir / "wal"),
                "INFLUXDB_REPORTING_DISABLED": "true",
                "INFLUXDB_HTTP_LOG_ENABLED": "false",
                "INFLUXDB_DATA_QUERY_LOG_ENABLED": "false",
                "INFLUXDB_MONITOR_STORE_ENABLED": "false",
            }
        )
        return env

    def start(self) -> None:
        """Start influxd and return once ``/ping`` answers 204."""
        if self.running:
            return
        # A fresh log per start, so the port we parse is this process's port.
        with contextlib.suppress(FileNotFoundError):
            self.log_path.unlink()
        self._log_file = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            [self.binary, "run", "-config", "/dev/null"],
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.port is None:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._fail_start("never logged its HTTP address")
            match = _HTTP_ADDR_RE.search(self.log_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(1))
            else:
                time.sleep(_POLL_S)
        with httpx.Client(timeout=1.0) as client:
            while True:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    self._fail_start("/ping never answered 204")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/ping").status_code == 204:
                        return
                time.sleep(_POLL_S)

    def _fail_start(self, why: str) -> None:
        if self._proc is not None:
            _terminate(self._proc)
        raise ServiceError(f"influxd {why}:\n{_tail(self.log_path)}")

    def stop(self) -> None:
        """SIGTERM and wait for the exit (about 1.3 s on 1.6.7)."""
        if self._proc is not None:
            _terminate(self._proc)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=STOP_TIMEOUT_S)
        self.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def query(
        self, q: str, *, database: str | None = None, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """Run InfluxQL; POST for statements that change things, GET for the rest.

        Raises ``ServiceError`` for an HTTP error or an ``error`` in any statement result,
        so a test never reads an empty result that was really a failure.
        """
        args: dict[str, str] = {"q": q}
        if database is not None:
            args["db"] = database
        if params:
            args.update(params)
        verb = q.lstrip().split(None, 1)[0].upper() if q.strip() else ""
        method = "GET" if verb in {"SELECT", "SHOW"} and " INTO " not in q.upper() else "POST"
        with httpx.Client(timeout=30.0) as client:
            if method == "GET":
                resp = client.get(f"{self.url}/query", params=args)
            else:
                resp = client.post(f"{self.url}/query", data=args)
        body: dict[str, Any] = resp.json() if resp.content else {}
        if resp.status_code >= 400 or "error" in body:
            raise ServiceError(f"InfluxDB query {q!r} failed ({resp.status_code}): {body}")
        for result in body.get("results", []):
            if "error" in result:
                raise ServiceError(f"InfluxDB query {q!r} failed: {result['error']}")
        return body

    def write(self, database: str, lines: str, *, precision: str = "ns") -> None:
        """Write line protocol; raises ``ServiceError`` unless InfluxDB answers 204."""
        with httpx.Client(timeout=30.0) as client:
            resp = client.post(
                f"{self.url}/write",
                params={"db": database, "precision": precision},
                content=lines.encode(),
            )
        if resp.status_code != 204:
            raise ServiceError(f"InfluxDB write failed ({resp.status_code}): {resp.text}")

    def __repr__(self) -> str:
        return f"InfluxServer({self.url if self.port else 'not started'}, running={self.running})"


class InfluxDatabase:
    """One uniquely named, freshly created database on an ``InfluxServer``."""

    def __init__(self, server: InfluxServer, database: str | None = None) -> None:
        self.server = server
        self.database = database or f"test_{uuid.uuid4().hex[:12]}"
        server.query(f'CREATE DATABASE "{self.database}"')

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    def query(self, q: str, *, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Run InfluxQL against this database; returns InfluxDB's JSON answer."""
        return self.server.query(q, database=self.database, params=params)

    def rows(self, q: str) -> list[dict[str, Any]]:
        """Rows of every series of the first statement as dicts (tags merged in)."""
        out: list[dict[str, Any]] = []
        result = self.query(q)["results"][0]
        for series in result.get("series", []):
            tags = series.get("tags", {})
            for values in series.get("values", []):
                row = dict(zip(series["columns"], values, strict=True))
                row.update(tags)
                out.append(row)
        return out

    def write(self, lines: str, *, precision: str = "ns") -> None:
        """Write line protocol into this database."""
        self.server.write(self.database, lines, precision=precision)

    def drop(self) -> None:
        self.server.query(f'DROP DATABASE "{self.database}"')

    def __repr__(self) -> str:
        return f"InfluxDatabase({self.url}, database={self.database!r})"
