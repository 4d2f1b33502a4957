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


@pytest.fixture(params=["link", "tcp", "unix"])
async def hci(
    request: pytest.FixtureRequest,
    bus: tuple[LocalLink, str],
    peripheral: GattPeripheral,
    bridge: HciBridge,
    socket_dir: str,
) -> AsyncIterator[str]:
    """The HCI spec the backend under test uses; every contract test runs over all three."""
    if request.param == "link":
        spec = bus[1]
    elif request.param == "tcp":
        spec = await bridge.start()
    else:
        spec = await bridge.start_unix(os.path.join(socket_dir, "hci.sock"))
    # Tests pass `hci=` per scanner/client too; the process default serves bleak's
    # find_device_* helpers, whose keyword arguments are typed.
    configure_bumble(spec)
    try:
        yield spec
    finally:
        configure_bumble(None)
        # The central leaves first: disconnecting needs the peripheral still on the link.
        await close_hosts()
