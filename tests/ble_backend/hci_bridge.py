"""HCI over TCP onto a LocalLink, for the `tcp:` contract tests.

Each TCP client gets a fresh `VirtualController` on the link; when the socket closes the
controller ends its connections (LL terminate to each peer) and leaves the link, so the
peripheral does not stay connected to a ghost. `drop_clients()` closes every client
socket from the server side: the collector's Bumble transport sees the loss.

This is a test stand-in for `bandsense sim serve` (firmware_sim/hci_server.py), which the
integration tests exercise.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from bumble import hci, ll
from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport.common import PacketParser

from collector.backends.bumble import VirtualController

_ids = itertools.count()


class _SocketSink:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    def on_packet(self, packet: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(packet)


class HciBridge:
    def __init__(
        self, link: LocalLink, controller_class: type[Controller] = VirtualController
    ) -> None:
        self.link = link
        # Bumble's stock `Controller` here reproduces a server without the fixes.
        self._controller_class = controller_class
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._sessions: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        """Listen on a free loopback port; returns the `tcp:HOST:PORT` spec."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"tcp:127.0.0.1:{port}"

    async def start_unix(self, path: str) -> str:
        """Listen on a Unix socket; returns the `unix:PATH` spec."""
        self._server = await asyncio.start_unix_server(self._serve, path)
        return f"unix:{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        self._writers.add(writer)
        controller = self._controller_class(f"bridge-{next(_ids)}", link=self.link)
        controller.host = _SocketSink(writer)
        parser = PacketParser(controller)
        try:
            while data := await reader.read(65536):
                parser.feed_data(data)
        except ConnectionError:
            pass
        finally:
            self._detach(controller)
            self._writers.discard(writer)
            writer.close()
            self._sessions.discard(task)

    def _detach(self, controller: Controller) -> None:
        for connection in list(controller.le_connections.values()):
            with contextlib.suppress(Exception):  # the peer may be gone already
                connection.send_ll_control_pdu(
                    ll.TerminateInd(hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR)
                )
        controller.le_connections.clear()
        controller.host = None
        if controller in self.link.controllers:
            self.link.remove_controller(controller)

    def drop_clients(self) -> None:
        """Close every client socket from the server side (a crashed/killed server)."""
        for writer in list(self._writers):
            writer.close()

    @property
    def client_count(self) -> int:
        return len(self._writers)

    async def close(self) -> None:
        self.drop_clients()
        if self._server is not None:
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 5)
        for task in list(self._sessions):
            task.cancel()
