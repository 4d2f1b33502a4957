"""Serve the simulator's virtual link over HCI: one fresh controller per client socket.

A collector in another process opens ``tcp-client:HOST:PORT`` or ``unix:PATH`` with
Bumble (``open_transport``) and talks HCI (H4 framing: a packet-type byte, then the
packet) to a virtual controller that sits on the simulator's ``LocalLink`` next to the
bands' controllers. When the socket closes - cleanly or because the client process died -
that controller's connections are ended and it leaves the link, so the bands see a
disconnection and advertise again (Bumble's stock server would leave ghost connections).

If a client reads slower than the link produces, the socket's write buffer fills up;
:meth:`HciServer.wait_writable` lets the bands pause until every client has caught up
(back-pressure across the process boundary).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from bumble import hci
from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport.common import PacketParser

from firmware_sim.vlink import detach_controller, new_controller

log = logging.getLogger(__name__)

# Pause the bands when a client's socket holds this much unsent data.
_HIGH_WATER = 256 * 1024
_LOW_WATER = 64 * 1024


@dataclass(frozen=True, slots=True)
class HciEndpoint:
    """A parsed ``--hci`` value: ``tcp:HOST:PORT`` or ``unix:PATH``."""

    kind: str  # "tcp" | "unix"
    host: str = ""
    port: int = 0
    path: str = ""

    @classmethod
    def parse(cls, spec: str) -> HciEndpoint:
        kind, _, rest = spec.partition(":")
        if kind == "tcp":
            host, sep, port = rest.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected tcp:HOST:PORT, got {spec!r}")
            return cls("tcp", host=host, port=int(port))
        if kind == "unix":
            if not rest:
                raise ValueError(f"expected unix:PATH, got {spec!r}")
            return cls("unix", path=rest)
        raise ValueError(f"unknown HCI endpoint {spec!r}: use tcp:HOST:PORT or unix:PATH")

    def __str__(self) -> str:
        return f"tcp:{self.host}:{self.port}" if self.kind == "tcp" else f"unix:{self.path}"

    @property
    def client_spec(self) -> str:
        """The matching Bumble transport name for a client (``open_transport(...)``)."""
        return f"tcp-client:{self.host}:{self.port}" if self.kind == "tcp" else f"unix:{self.path}"


class _SocketSink:
    """Controller -> host: H4 packets written to the client socket."""

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.transport = transport

    def on_packet(self, packet: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(packet)


class _ClientProtocol(asyncio.Protocol):
    def __init__(self, server: HciServer) -> None:
        self.server = server
        self.controller: Controller | None = None
        self.parser: PacketParser | None = None
        self.transport: asyncio.WriteTransport | None = None
        self.writable = asyncio.Event()
        self.writable.set()
        self.number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        self.transport = transport
        transport.set_write_buffer_limits(high=_HIGH_WATER, low=_LOW_WATER)
        self.number = next(self.server._numbers)
        # A unique public address per client: the link routes by address.
        address = hci.Address(
            f"00:5C:{(self.number >> 24) & 0xFF:02X}:{(self.number >> 16) & 0xFF:02X}:"
            f"{(self.number >> 8) & 0xFF:02X}:{self.number & 0xFF:02X}",
            hci.Address.PUBLIC_DEVICE_ADDRESS,
        )
        self.controller = new_controller(self.server.link, f"hci-client-{self.number}", address)
        self.controller.host = _SocketSink(transport)
        self.parser = PacketParser(self.controller)
        self.server._clients.add(self)
        log.info("HCI client %d connected (%s)", self.number, transport.get_extra_info("peername"))

    def data_received(self, data: bytes) -> None:
        if self.parser is None:
            return
        try:
            self.parser.feed_data(data)
        except Exception:
            # Garbage on the socket: this client is unusable, the others are not.
            log.warning("HCI client %d sent an invalid packet; closing it", self.number)
            if self.transport is not None:
                self.transport.close()

    def eof_received(self) -> bool | None:
        return False  # close our side too: the client is gone

    def connection_lost(self, exc: Exception | None) -> None:
        self.server._clients.discard(self)
        self.writable.set()
        if self.controller is not None:
            ended = detach_controller(self.server.link, self.controller)
            log.info("HCI client %d gone, %d connection(s) ended", self.number, ended)
            self.controller = None
        self.parser = None

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()


class HciServer:
    """Accepts HCI clients on TCP or a Unix socket and gives each a controller on ``link``."""

    def __init__(self, link: LocalLink) -> None:
        self.link = link
        self.endpoint: HciEndpoint | None = None
        self._server: asyncio.Server | None = None
        self._clients: set[_ClientProtocol] = set()
        self._numbers = itertools.count(1)

    @property
    def client_count(self) -> int:
        return len(self._clients)

    async def start(self, spec: str | HciEndpoint) -> HciEndpoint:
        """Listen on ``spec``; returns the bound endpoint (the real port for port 0)."""
        endpoint = spec if isinstance(spec, HciEndpoint) else HciEndpoint.parse(spec)
        loop = asyncio.get_running_loop()
        if endpoint.kind == "tcp":
            self._server = await loop.create_server(
                lambda: _ClientProtocol(self), endpoint.host, endpoint.port, reuse_address=True
            )
            sock = self._server.sockets[0]
            host, port = sock.getsockname()[:2]
            if sock.family == socket.AF_INET6:
                host = endpoint.host
            self.endpoint = HciEndpoint("tcp", host=host, port=int(port))
        else:
            path = Path(endpoint.path)
            if path.is_socket():
                path.unlink()  # left over from a killed simulator
            self._server = await loop.create_unix_server(lambda: _ClientProtocol(self), str(path))
            self.endpoint = endpoint
        return self.endpoint

    async def wait_writable(self) -> None:
        """Return when no client socket is over its high-water mark."""
        for client in list(self._clients):
            await client.writable.wait()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for client in list(self._clients):
            if client.transport is not None:
                client.transport.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5.0):
                    await self._server.wait_closed()
        if self.endpoint is not None and self.endpoint.kind == "unix":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.endpoint.path)
