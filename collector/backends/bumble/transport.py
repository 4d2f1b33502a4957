"""One Bumble host per process and HCI spec, shared by every scanner and client.

A Bumble `Device` owns the whole controller: scanning state, the single pending LE
connection and the ATT bearers all live there, so two `Device`s on one HCI transport
would fight over it. Every `BumbleScanner` and `BumbleClient` therefore asks
`get_host(spec)` for the shared `BumbleHost` of that spec.

HCI specs:
- `tcp:HOST:PORT` / `tcp-client:HOST:PORT`: HCI over TCP (`bandsense sim serve`).
- `unix:PATH`: HCI over a Unix socket.
- `link:NAME`: an in-process `bumble.link.LocalLink` registered with `register_link`
  (tests, single-process simulations); the host adds its own `VirtualController`.
- any other Bumble transport name (`usb:0`, `serial:/dev/ttyACM0,1000000`, ...) is passed
  to `bumble.transport.open_transport` unchanged.

The spec comes from the `hci=` keyword of the scanner/client, else `configure_bumble()`,
else the `BANDSENSE_BUMBLE_HCI` environment variable.

When Bumble reports the transport lost (the socket closed), Bumble's host flushes: every
connection emits its disconnection (so clients fire their disconnected callbacks) and the
host here is marked lost; the next `get_host` opens a fresh one.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Final

from bleak.exc import BleakError
from bumble import hci
from bumble.device import Advertisement, Connection, Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport import open_transport
from bumble.transport.common import AsyncPipeSink, Transport

from bandsense.virtual_controller import VirtualController
from collector.backends.bumble.errors import guarded

logger = logging.getLogger(__name__)

HCI_ENV_VAR: Final = "BANDSENSE_BUMBLE_HCI"
OPEN_TIMEOUT_S: Final = 10.0
"""Opening the transport plus HCI reset/initialisation."""
COMMAND_TIMEOUT_S: Final = 5.0
"""Any single HCI command round trip (scan enable, disconnect, ...)."""
CANCEL_TIMEOUT_S: Final = 2.0

_configured_hci: str | None = None
_links: dict[str, LocalLink] = {}
_hosts: dict[str, BumbleHost] = {}
_opening: dict[str, asyncio.Task[BumbleHost]] = {}


def configure_bumble(hci_spec: str | None) -> None:
    """Set the process-wide default HCI spec (None: fall back to the env variable)."""
    global _configured_hci
    _configured_hci = normalise_spec(hci_spec) if hci_spec else None


def default_hci() -> str:
    """The configured HCI spec, or the env variable, or a BleakError saying how to set one."""
    spec = _configured_hci or os.environ.get(HCI_ENV_VAR)
    if not spec:
        raise BleakError(
            "no Bumble HCI transport configured: call "
            "collector.backends.configure_bumble('tcp:HOST:PORT') or set "
            f"{HCI_ENV_VAR}"
        )
    return normalise_spec(spec)


def normalise_spec(spec: str) -> str:
    """Canonical form of an HCI spec (`tcp:` is an alias of Bumble's `tcp-client:`)."""
    spec = spec.strip()
    if spec.startswith("tcp:"):
        return "tcp-client:" + spec.removeprefix("tcp:")
    if spec.startswith("unix-client:"):
        return "unix:" + spec.removeprefix("unix-client:")
    return spec


def register_link(name: str, link: LocalLink) -> str:
    """Make an in-process LocalLink reachable as `link:NAME`; returns that spec."""
    if ":" in name:
        raise ValueError(f"link name must not contain ':': {name!r}")
    _links[name] = link
    return f"link:{name}"


def unregister_link(name: str) -> None:
    """Forget a registered link (hosts already opened on it keep working until closed)."""
    _links.pop(name, None)


class BumbleHost:
    """A powered-on Bumble `Device` acting as the central for one HCI spec."""

    def __init__(
        self,
        spec: str,
        device: Device,
        *,
        transport: Transport | None = None,
        controller: VirtualController | None = None,
        link: LocalLink | None = None,
    ) -> None:
        self.spec = spec
        self.device = device
        self.loop = asyncio.get_running_loop()
        self._transport = transport
        self._controller = controller
        self._link = link
        self._lost = False
        self._closed = False
        # Bumble (and real controllers) allow one pending LE connection at a time.
        self.connect_lock = asyncio.Lock()
        # The peer the lock holder is connecting to. Any other connection that completes
        # is an orphan: an attempt that timed out but that the controller completed
        # anyway (a cancel racing the connection, or a controller ignoring the cancel,
        # as Bumble's stock virtual one does). Left alone it would hold the peripheral
        # (which then stops advertising) with nobody using it, so it is dropped.
        self.expected_peer: hci.Address | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._scan_lock = asyncio.Lock()
        self._scan_users = {True: 0, False: 0}
        # The typed addresses seen in advertisements, by their untyped string: a client
        # given only "AA:BB:..." must still connect with the right address type.
        self._addresses: dict[str, hci.Address] = {}
        device.on(Device.EVENT_ADVERTISEMENT, self._remember)
        device.on(Device.EVENT_CONNECTION, self._on_connection)
        device.connect_own_address_type = hci.OwnAddressType.RANDOM
        if transport is not None:
            transport.source.terminated.add_done_callback(self._on_transport_lost)

    # -- lifecycle -----------------------------------------------------------------
    @classmethod
    async def open(cls, spec: str) -> BumbleHost:
        """Open the transport (or join the link), power the device on."""
        spec = normalise_spec(spec)
        address = hci.Address.generate_static_address()
        name = "bandsense-collector"
        if spec.startswith("link:"):
            link_name = spec.removeprefix("link:")
            link = _links.get(link_name)
            if link is None:
                raise BleakError(f"no LocalLink registered as {link_name!r} (register_link)")
            controller = VirtualController(f"{name}-{address}", link=link)
            device = Device(
                name=name,
                address=address,
                host=Host(controller, AsyncPipeSink(controller)),
            )
            host = cls(spec, device, controller=controller, link=link)
        else:
            try:
                transport = await asyncio.wait_for(open_transport(spec), OPEN_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise BleakError(f"cannot open Bumble HCI transport {spec!r}: {exc}") from exc
            device = Device.with_hci(name, address, transport.source, transport.sink)
            host = cls(spec, device, transport=transport)
        try:
            await guarded(device.power_on(), OPEN_TIMEOUT_S, f"power on {spec}")
        except BaseException:
            await host.close()
            raise
        logger.info("Bumble host on %s ready as %s", spec, address)
        return host

    @property
    def is_usable(self) -> bool:
        """False once the transport was lost or the host closed (get_host reopens)."""
        return not (self._lost or self._closed) and not self.loop.is_closed()

    def _on_transport_lost(self, _terminated: asyncio.Future[None]) -> None:
        if self._closed:
            return
        self._lost = True
        logger.warning("Bumble HCI transport %s lost; it will be reopened on next use", self.spec)
        if _hosts.get(self.spec) is self:
            del _hosts[self.spec]

    async def close(self) -> None:
        """Disconnect everything, stop scanning and release the transport/controller."""
        if self._closed:
            return
        self._closed = True
        if _hosts.get(self.spec) is self:
            del _hosts[self.spec]
        if not self._lost:
            for connection in list(self.device.connections.values()):
                try:
                    await guarded(connection.disconnect(), COMMAND_TIMEOUT_S, "disconnect")
                except (BleakError, TimeoutError) as exc:
                    logger.debug("disconnect on close failed: %s", exc)
            if self.device.is_scanning:
                try:
                    await guarded(self.device.stop_scanning(), COMMAND_TIMEOUT_S, "stop scan")
                except (BleakError, TimeoutError) as exc:
                    logger.debug("stop scanning on close failed: %s", exc)
        if self._controller is not None and self._link is not None:
            # A controller left on the link keeps its peers connected to a ghost.
            self._link.remove_controller(self._controller)
        if self._transport is not None:
            await self._transport.close()

    def connect_attempt_over(self) -> None:
        """Called by the client after each connect attempt (lock still held).

        Bumble's `connect_le` resets `connect_own_address_type` to None when it returns;
        a connection completing later then trips an assert in `Device.on_le_connection`
        and stays invisible to the host (so it could never be dropped). We connect with
        our random address only, so re-arm it."""
        self.expected_peer = None
        self.device.connect_own_address_type = hci.OwnAddressType.RANDOM

    async def cancel_pending_connect(self) -> None:
        """Best effort LE Create Connection Cancel after an attempt that did not return
        a connection (our deadline, or the caller cancelled us mid-attempt: Bumble then
        leaves the controller's attempt armed). 'Nothing pending' is fine."""
        try:
            await guarded(
                self.device.send_sync_command(hci.HCI_LE_Create_Connection_Cancel_Command()),
                CANCEL_TIMEOUT_S,
                "cancel connect",
            )
        except (BleakError, TimeoutError) as exc:
            logger.debug("connect cancel: %s", exc)

    def _on_connection(self, connection: Connection) -> None:
        if connection.role != hci.Role.CENTRAL or connection.peer_address == self.expected_peer:
            return
        logger.warning(
            "dropping orphan connection to %s (a timed-out connect completed late)",
            connection.peer_address,
        )
        task = self.loop.create_task(self._drop_orphan(connection))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _drop_orphan(self, connection: Connection) -> None:
        try:
            await guarded(connection.disconnect(), COMMAND_TIMEOUT_S, "drop orphan connection")
        except (BleakError, TimeoutError) as exc:
            logger.warning(
                "could not drop orphan connection to %s: %s", connection.peer_address, exc
            )

    # -- scanning (reference counted: several BleakScanners may run at once) --------
    async def acquire_scan(self, active: bool) -> None:
        """Start (or upgrade to active) scanning on behalf of one scanner."""
        async with self._scan_lock:
            self._scan_users[active] += 1
            try:
                await self._apply_scan_mode()
            except BaseException:
                self._scan_users[active] -= 1
                raise

    async def release_scan(self, active: bool) -> None:
        """Drop one scanner's claim; scanning stops when none is left."""
        async with self._scan_lock:
            self._scan_users[active] = max(0, self._scan_users[active] - 1)
            if self.is_usable:
                await self._apply_scan_mode()

    async def _apply_scan_mode(self) -> None:
        wanted: bool | None = None  # None: no scanner left
        if self._scan_users[True]:
            wanted = True
        elif self._scan_users[False]:
            wanted = False
        device = self.device
        running_active = device.is_scanning and not device.scanning_is_passive
        if device.is_scanning and (wanted is None or wanted != running_active):
            await guarded(device.stop_scanning(), COMMAND_TIMEOUT_S, "stop scanning")
        if wanted is not None and not device.is_scanning:
            await guarded(
                device.start_scanning(active=wanted, filter_duplicates=False),
                COMMAND_TIMEOUT_S,
                "start scanning",
            )

    # -- addresses -------------------------------------------------------------------
    def _remember(self, advertisement: Advertisement) -> None:
        address = advertisement.address
        self._addresses[address.to_string(False)] = address

    def resolve_address(self, address: str) -> hci.Address:
        """Typed address for a string: as last advertised, else `/P` suffix = public,
        else random (what simulated and most real bands use)."""
        text = address.strip().upper()
        if text.endswith("/P"):
            return hci.Address(text.removesuffix("/P"), hci.Address.PUBLIC_DEVICE_ADDRESS)
        known = self._addresses.get(text)
        if known is not None:
            return known
        return hci.Address(text, hci.Address.RANDOM_DEVICE_ADDRESS)


async def get_host(spec: str | None = None) -> BumbleHost:
    """The shared host for `spec` (default: configured/env), opening it on first use."""
    key = normalise_spec(spec) if spec else default_hci()
    host = _hosts.get(key)
    loop = asyncio.get_running_loop()
    if host is not None and host.is_usable and host.loop is loop:
        return host
    if host is not None:
        # Lost, closed, or from an event loop that has ended (one loop per test).
        del _hosts[key]
    task = _opening.get(key)
    if task is None or task.get_loop() is not loop:
        task = loop.create_task(BumbleHost.open(key))
        _opening[key] = task

        def _done(t: asyncio.Task[BumbleHost], key: str = key) -> None:
            if _opening.get(key) is t:
                del _opening[key]
            if not t.cancelled() and t.exception() is None:
                _hosts[key] = t.result()

        task.add_done_callback(_done)
    # shield: one caller giving up must not abort the open for the others.
    return await asyncio.shield(task)


async def close_hosts() -> None:
    """Close every host of the running loop (shutdown, test teardown)."""
    loop = asyncio.get_running_loop()
    for host in list(_hosts.values()):
        if host.loop is loop:
            await host.close()
