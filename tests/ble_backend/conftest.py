"""Fixtures: a LocalLink with a GATT peripheral, reached by the backend either in-process
(`link:NAME`) or as HCI over TCP (`tcp:127.0.0.1:PORT`, through `HciBridge`)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator

import pytest
from bumble.link import LocalLink

from collector.backends import close_hosts, configure_bumble, register_link, unregister_link
from firmware_sim.hci_server import HciServer
from tests.ble_backend.gatt_peripheral import GattPeripheral, start_peripheral
from tests.ble_backend.hci_bridge import HciBridge

_names = itertools.count()


@pytest.fixture
async def bus() -> AsyncIterator[tuple[LocalLink, str]]:
    """A fresh LocalLink and its `link:NAME` spec."""
    name = f"contract{next(_names)}"
    link = LocalLink()
    spec = register_link(name, link)
    try:
        yield link, spec
    finally:
        await close_hosts()
        unregister_link(name)


@pytest.fixture
async def peripheral(bus: tuple[LocalLink, str]) -> AsyncIterator[GattPeripheral]:
    device = await start_peripheral(bus[0], f"bs-test-{next(_names)}")
    try:
        yield device
    finally:
        device.remove()


@pytest.fixture
async def bridge(bus: tuple[LocalLink, str]) -> AsyncIterator[HciBridge]:
    hci_bridge = HciBridge(bus[0])
    try:
        yield hci_bridge
    finally:
        await close_hosts()
        await hci_bridge.close()


@pytest.fixture
def socket_dir() -> Iterator[str]:
    # Not tmp_path: a Unix socket path must stay under ~107 bytes.
    path = tempfile.mkdtemp(prefix="bsh", dir="/tmp")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def sim_server(bus: tuple[LocalLink, str]) -> AsyncIterator[HciServer]:
    """The simulator's own HCI server (what `bandsense sim serve` runs) on the test link."""
    server = HciServer(bus[0])
    try:
        yield server
    finally:
        await close_hosts()
        await server.close()


async def _open(
    kind: str, bus: LocalLink, link_spec: str, bridge: HciBridge, server: HciServer, sock: str
) -> str:
    if kind == "link":
        return link_spec
    if kind == "tcp":
        return await bridge.start()
    if kind == "unix":
        return await bridge.start_unix(os.path.join(sock, "hci.sock"))
    return str(await server.start("tcp:127.0.0.1:0"))


@pytest.fixture(params=["link", "tcp", "unix", "sim-tcp"])
async def hci(
    request: pytest.FixtureRequest,
    bus: tuple[LocalLink, str],
    peripheral: GattPeripheral,
    bridge: HciBridge,
    sim_server: HciServer,
    socket_dir: str,
) -> AsyncIterator[str]:
    """The HCI spec the backend under test uses; every contract test runs over each:
    in-process, HCI over TCP and over a Unix socket (test bridge), and HCI over TCP
    through the simulator's server (firmware_sim.hci_server). Every one of them gives the
    client a `VirtualController` (bandsense.virtual_controller), which cancels connects
    and ends links to vanished peers; Bumble's stock controller does neither: see
    test_transport's orphan test."""
    spec = await _open(request.param, bus[0], bus[1], bridge, sim_server, socket_dir)
    # Tests pass `hci=` per scanner/client too; the process default serves bleak's
    # find_device_* helpers, whose keyword arguments are typed.
    configure_bumble(spec)
    try:
        yield spec
    finally:
        configure_bumble(None)
        # The central leaves first: disconnecting needs the peripheral still on the link.
        await close_hosts()
