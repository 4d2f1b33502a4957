"""A private mosquitto for one process: free loopback port, generated config, temp folder.

``bandsense demo`` runs everything on one machine and must not depend on (or disturb) a
broker the user may already run, so it starts its own::

    async with private_mosquitto() as broker:
        print(broker.url)              # mqtt://127.0.0.1:PORT, accepting connections

On exit the broker gets SIGTERM (SIGKILL if it has not exited in time) and the folder with
its config and log is removed: no process and no file is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from bandsense.errors import UserError

INSTALL_HINT = "apt-get install -y mosquitto"
HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0  # mosquitto is ready in ~12 ms; a shared 2-core CI box is slower
STOP_TIMEOUT_S = 10.0
# mosquitto's default of 1000 silently drops QoS 1 messages to a subscriber that falls
# behind (platform notes); the demo's analyzer and viewer must never lose a batch.
MAX_QUEUED_MESSAGES = 100_000
MAX_INFLIGHT_MESSAGES = 100
_PORT_ATTEMPTS = 3  # a port that was free a moment ago can be taken before mosquitto binds


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    workdir: Path
    pid: int

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "mosquitto.log"


def mosquitto_binary() -> str:
    """Path of mosquitto (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    path = shutil.which("mosquitto", path=search)
    if path is None:
        raise UserError(
            f"mosquitto not found: install it with `{INSTALL_HINT}` (or pass --mqtt URL)"
        )
    return path


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: the broker gets SIGTERM if the demo is killed (SIGKILL) before it could stop
    it; elsewhere None (the context manager still stops it on every other exit)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before the fork
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def set_pdeathsig() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)

    return set_pdeathsig


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def config_text(port: int, log_path: Path) -> str:
    lines = [
        f"listener {port} {HOST}",
        "allow_anonymous true",  # without it a `listener` line refuses anonymous clients
        "persistence false",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        f"max_inflight_messages {MAX_INFLIGHT_MESSAGES}",
        "set_tcp_nodelay true",
        # stdout is block-buffered: a file can be read while the broker runs.
        f"log_dest file {log_path}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_timestamp true",
    ]
    if os.geteuid() == 0:
        # As root mosquitto drops to user `mosquitto`, which cannot write its log into
        # root's private temp folder (and then fails silently).
        lines.append("user root")
    return "\n".join(lines) + "\n"


async def _accepts(port: int) -> bool:
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def _start(binary: str, workdir: Path) -> tuple[asyncio.subprocess.Process, int]:
    log_path = workdir / "mosquitto.log"
    config_path = workdir / "mosquitto.conf"
    why = ""
    for _ in range(_PORT_ATTEMPTS):
        port = _free_port()
        config_path.write_text(config_text(port, log_path), encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            binary,
            "-c",
            str(config_path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            # Its own session: Ctrl-C in a terminal goes to the whole foreground process
            # group, and the broker must outlive it until the demo has shut down through it.
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                while proc.returncode is None:
                    if await _accepts(port):
                        return proc, port
                    # Polling a starting server: there is no readiness signal to wait on.
                    await asyncio.sleep(0.01)
        except TimeoutError:
            why = f"not accepting connections after {START_TIMEOUT_S:.0f} s"
        except BaseException:
            await _stop(proc)
            raise
        else:
            why = f"exited with code {proc.returncode}"
        await _stop(proc)
        why = f"{why}: {_tail(log_path)}"
    raise UserError(f"mosquitto did not start ({why})")


@contextlib.asynccontextmanager
async def private_mosquitto() -> AsyncIterator[Broker]:
    """Start a private mosquitto; yield it once it accepts connections; stop it on exit."""
    binary = mosquitto_binary()
    with tempfile.TemporaryDirectory(prefix="bandsense-broker-") as tmp:
        workdir = Path(tmp)
        proc, port = await _start(binary, workdir)
        try:
            yield Broker(HOST, port, workdir, proc.pid)
        finally:
            # Shielded: a cancelled demo must still not leave the broker running.
            await asyncio.shield(_stop(proc))
