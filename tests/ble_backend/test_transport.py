"""Transport life cycle: sharing, configuration, loss and reopening of the Bumble host."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError
from bumble.controller import Controller
from bumble.hci import Address
from bumble.link import LocalLink

from collector.backends import (
    HCI_ENV_VAR,
    BumbleClient,
    BumbleScanner,
    backend_classes,
    close_hosts,
    configure_bumble,
    get_host,
)
from collector.backends.bumble.transport import default_hci, normalise_spec
from tests.ble_backend.gatt_peripheral import (
    READ_UUID,
    READ_VALUE,
    GattPeripheral,
    start_peripheral,
)
from tests.ble_backend.hci_bridge import HciBridge

STEP_S = 5.0


async def _connect_by_name(name: str, on_disconnect: asyncio.Event | None = None) -> BleakClient:
    async with asyncio.timeout(STEP_S):
        device = await BleakScanner.find_device_by_name(name, timeout=STEP_S, backend=BumbleScanner)
        assert device is not None
        client = BleakClient(
            device,
            None if on_disconnect is None else (lambda _c: on_disconnect.set()),
            backend=BumbleClient,
            timeout=STEP_S,
        )
        await client.connect()
    return client


async def test_lost_tcp_transport_disconnects_clients_and_reopens(
    bus: tuple[LocalLink, str], peripheral: GattPeripheral, bridge: HciBridge
) -> None:
    spec = await bridge.start()
    configure_bumble(spec)
    try:
        gone = asyncio.Event()
        client = await _connect_by_name(peripheral.name, gone)
        client_host = await get_host()

        bridge.drop_clients()  # the simulator process died or closed our socket
        async with asyncio.timeout(STEP_S):
            await gone.wait()
        assert not client.is_connected
        assert not client_host.is_usable

        # The next use opens a new transport (and the server a new controller).
        again = await _connect_by_name(peripheral.name)
        assert (await get_host()) is not client_host
        async with asyncio.timeout(STEP_S):
            assert await again.read_gatt_char(READ_UUID) == READ_VALUE
            await again.disconnect()
    finally:
        configure_bumble(None)


async def test_scanners_and_clients_share_one_host(hci: str, peripheral: GattPeripheral) -> None:
    host = await get_host(hci)
    assert (await get_host()) is host  # the configured default is the same spec
    client = await _connect_by_name(peripheral.name)
    try:
        assert client.is_connected
        assert len(host.device.connections) == 1
    finally:
        async with asyncio.timeout(STEP_S):
            await client.disconnect()


async def test_unreachable_tcp_spec_raises_bleak_error(
    bus: tuple[LocalLink, str], bridge: HciBridge
) -> None:
    spec = await bridge.start()
    await bridge.close()  # nothing listens on that port any more
    with pytest.raises(BleakError, match="cannot open"):
        async with asyncio.timeout(STEP_S):
            await get_host(spec)


async def test_unknown_link_name_raises_bleak_error() -> None:
    with pytest.raises(BleakError, match="no LocalLink"):
        async with asyncio.timeout(STEP_S):
            await get_host("link:never-registered")


def test_spec_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_bumble(None)
    monkeypatch.delenv(HCI_ENV_VAR, raising=False)
    with pytest.raises(BleakError, match=HCI_ENV_VAR):
        default_hci()
    monkeypatch.setenv(HCI_ENV_VAR, "tcp:127.0.0.1:9000")
    assert default_hci() == "tcp-client:127.0.0.1:9000"
    configure_bumble("unix:/run/bandsense/hci.sock")  # explicit configuration wins
    try:
        assert default_hci() == "unix:/run/bandsense/hci.sock"
    finally:
        configure_bumble(None)
    assert normalise_spec(" unix-client:/x ") == "unix:/x"
    assert backend_classes(None) == (None, None)
    try:
        assert backend_classes("link:demo") == (BumbleScanner, BumbleClient)
        assert default_hci() == "link:demo"
    finally:
        configure_bumble(None)


async def test_late_completion_of_timed_out_connect_is_dropped(
    bus: tuple[LocalLink, str],
) -> None:
    """Bumble's stock virtual controller ignores the cancel of a timed-out connect and
    completes it when the peer shows up later (real controllers can too, when the cancel
    races the connection). The host drops that orphan so the peripheral is free (and
    advertising) again."""
    stock_server = HciBridge(bus[0], controller_class=Controller)
    spec = await stock_server.start()
    configure_bumble(spec)
    late = Address.generate_static_address()
    peripheral: GattPeripheral | None = None
    try:
        absent = BleakClient(late.to_string(False), backend=BumbleClient, timeout=0.2)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(STEP_S):
                await absent.connect()
        peripheral = await start_peripheral(bus[0], "bs-late", address=late)
        async with asyncio.timeout(STEP_S):
            await peripheral.connections.get()  # the stale attempt completes...
            await peripheral.disconnections.get()  # ...and the host drops it
        assert not absent.is_connected
        client = await _connect_by_name("bs-late")
        async with asyncio.timeout(STEP_S):
            assert await client.read_gatt_char(READ_UUID) == READ_VALUE
            await client.disconnect()
    finally:
        configure_bumble(None)
        await close_hosts()
        await stock_server.close()
        if peripheral is not None:
            peripheral.remove()
