"""Contract of the Bumble bleak backend, through bleak's public API only.

Every test runs twice (fixture `hci`): in-process LocalLink and HCI over TCP. The
peripheral is a real Bumble GATT server on the virtual link (tests/ble_backend/
gatt_peripheral.py). Each await is bounded; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_16
from bumble.hci import Address

from collector.backends import BumbleClient, BumbleScanner, get_host
from tests.ble_backend.gatt_peripheral import (
    CCCD_UUID,
    CUSTOM_DESCRIPTOR_UUID,
    ERROR_READ_CODE,
    ERROR_UUID,
    ERROR_WRITE_CODE,
    INDICATE_UUID,
    MANUFACTURER_DATA,
    MANUFACTURER_ID,
    NOTIFY_UUID,
    READ_UUID,
    READ_VALUE,
    SERVICE_DATA,
    SERVICE_DATA_UUID16,
    SERVICE_UUID,
    TX_POWER_DBM,
    USER_DESCRIPTION,
    USER_DESCRIPTION_UUID,
    WRITE_NR_UUID,
    WRITE_UUID,
    GattPeripheral,
    start_peripheral,
)

STEP_S = 5.0  # bound for each awaited step (they take milliseconds on the virtual link)
MTU = 247


async def find(
    hci: str, mode: Literal["active", "passive"] = "active"
) -> tuple[BLEDevice, AdvertisementData]:
    async with (
        asyncio.timeout(STEP_S),
        BleakScanner(
            service_uuids=[SERVICE_UUID], scanning_mode=mode, backend=BumbleScanner, hci=hci
        ) as scanner,
    ):
        async for device, advertisement in scanner.advertisement_data():
            return device, advertisement
    raise AssertionError("unreachable: advertisement_data() never ends")


@asynccontextmanager
async def connected(hci: str) -> AsyncIterator[BleakClient]:
    device, _ = await find(hci)
    client = BleakClient(device, backend=BumbleClient, hci=hci, timeout=STEP_S)
    async with asyncio.timeout(STEP_S):
        await client.connect()
    try:
        yield client
    finally:
        async with asyncio.timeout(STEP_S):
            await client.disconnect()


def char(client: BleakClient, uuid: str) -> BleakGATTCharacteristic:
    found = client.services.get_characteristic(uuid)
    assert found is not None, uuid
    return found


async def test_scan_with_service_filter_reports_advertisement_data(
    hci: str, peripheral: GattPeripheral
) -> None:
    device, advertisement = await find(hci)

    assert advertisement.local_name == peripheral.name
    assert advertisement.service_uuids == [SERVICE_UUID]
    assert advertisement.manufacturer_data == {MANUFACTURER_ID: MANUFACTURER_DATA}
    assert advertisement.service_data == {normalize_uuid_16(SERVICE_DATA_UUID16): SERVICE_DATA}
    assert advertisement.tx_power == TX_POWER_DBM
    assert isinstance(advertisement.rssi, int)
    # The typed address survives in details; the string is the plain bleak form.
    assert isinstance(device.details, Address)
    assert device.details == peripheral.address
    assert device.address == peripheral.address.to_string(False)
    assert device.name == peripheral.name


async def test_service_filter_excludes_other_devices(hci: str, peripheral: GattPeripheral) -> None:
    other_uuid = "0000feed-0000-1000-8000-00805f9b34fb"
    other = await start_peripheral(peripheral.link, "bs-other", advertised_service=other_uuid)
    try:
        filtered_names: list[str] = []
        all_names: set[str] = set()
        done = asyncio.Event()

        def on_filtered(_device: BLEDevice, adv: AdvertisementData) -> None:
            filtered_names.append(adv.local_name or "")

        def on_any(_device: BLEDevice, adv: AdvertisementData) -> None:
            all_names.add(adv.local_name or "")
            # Both advertisers heard by the unfiltered scanner, the wanted one filtered.
            if {peripheral.name, "bs-other"} <= all_names and filtered_names:
                done.set()

        # Two scanners at once share the host (scan is reference counted).
        async with (
            asyncio.timeout(STEP_S),
            BleakScanner(
                on_filtered,
                service_uuids=[SERVICE_UUID],
                backend=BumbleScanner,
                hci=hci,
            ),
            BleakScanner(on_any, backend=BumbleScanner, hci=hci),
        ):
            await done.wait()
        assert set(filtered_names) == {peripheral.name}
    finally:
        other.remove()


async def test_filter_accepts_short_uuid_forms(hci: str, peripheral: GattPeripheral) -> None:
    other = await start_peripheral(
        peripheral.link, "bs-battery", advertised_service="0000180f-0000-1000-8000-00805f9b34fb"
    )
    try:
        async with asyncio.timeout(STEP_S):
            device = await BleakScanner.find_device_by_filter(
                lambda _d, _a: True, timeout=STEP_S, backend=BumbleScanner, service_uuids=["180F"]
            )
        assert device is not None and device.name == "bs-battery"
    finally:
        other.remove()


async def test_passive_scan_finds_device(hci: str, peripheral: GattPeripheral) -> None:
    device, advertisement = await find(hci, mode="passive")
    assert device.details == peripheral.address
    assert advertisement.service_uuids == [SERVICE_UUID]


async def test_connect_exchanges_mtu_and_discovers_gatt(
    hci: str, peripheral: GattPeripheral
) -> None:
    async with connected(hci) as client:
        assert client.is_connected
        assert client.mtu_size == MTU
        service = client.services.get_service(SERVICE_UUID)
        assert service is not None
        # The GAP and GATT services of the Bumble server are discovered too.
        assert client.services.get_service("1800") is not None

        expected = {
            NOTIFY_UUID: ["read", "notify"],
            INDICATE_UUID: ["indicate"],
            READ_UUID: ["read"],
            WRITE_UUID: ["write"],
            WRITE_NR_UUID: ["write-without-response"],
            ERROR_UUID: ["read", "write"],
        }
        assert {c.uuid: c.properties for c in service.characteristics} == expected
        for characteristic in service.characteristics:
            assert characteristic.service_uuid == SERVICE_UUID
            assert characteristic.max_write_without_response_size == MTU - 3
        descriptors = {c.uuid: [d.uuid for d in c.descriptors] for c in service.characteristics}
        assert descriptors[NOTIFY_UUID] == [CCCD_UUID]
        assert descriptors[INDICATE_UUID] == [CCCD_UUID]
        assert descriptors[READ_UUID] == [USER_DESCRIPTION_UUID, CUSTOM_DESCRIPTOR_UUID]
        assert descriptors[WRITE_UUID] == []
        for handle, descriptor in client.services.descriptors.items():
            assert descriptor.handle == handle
            assert client.services.characteristics[descriptor.characteristic_handle]


async def test_read_characteristic_and_descriptors(hci: str, peripheral: GattPeripheral) -> None:
    async with connected(hci) as client, asyncio.timeout(STEP_S):
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE
        # A second read from bleak's cache (no GATT round trip) gives the same bytes.
        assert await client.read_gatt_char(READ_UUID, use_cached=True) == READ_VALUE
        read_char = char(client, READ_UUID)
        user_description = read_char.get_descriptor(USER_DESCRIPTION_UUID)
        custom = read_char.get_descriptor(CUSTOM_DESCRIPTOR_UUID)
        assert user_description is not None and custom is not None
        assert await client.read_gatt_descriptor(user_description) == USER_DESCRIPTION
        assert await client.read_gatt_descriptor(custom) == b"descriptor"
        await client.write_gatt_descriptor(custom, b"\x01\x02")
        assert await peripheral.writes.get() == ("descriptor", b"\x01\x02")


async def test_write_with_and_without_response(hci: str, peripheral: GattPeripheral) -> None:
    # 200 bytes only fit in one ATT PDU because the MTU was exchanged.
    long_value = bytes(range(200))
    async with connected(hci) as client, asyncio.timeout(STEP_S):
        await client.write_gatt_char(WRITE_UUID, b"with", response=True)
        assert await peripheral.writes.get() == ("write", b"with")
        await client.write_gatt_char(WRITE_NR_UUID, long_value, response=False)
        assert await peripheral.writes.get() == ("write-without-response", long_value)
        await client.write_gatt_char(WRITE_UUID, long_value, response=True)
        assert await peripheral.writes.get() == ("write", long_value)


async def test_notifications_arrive_in_order_untruncated_until_stopped(
    hci: str, peripheral: GattPeripheral
) -> None:
    count = 50
    payloads = [i.to_bytes(2, "little") * 100 for i in range(count)]  # 200 bytes each
    received: asyncio.Queue[tuple[str, bytearray]] = asyncio.Queue()
    async with connected(hci) as client, asyncio.timeout(STEP_S):
        await client.start_notify(
            NOTIFY_UUID, lambda sender, data: received.put_nowait((sender.uuid, data))
        )
        for payload in payloads:
            await peripheral.notify(payload)
        got = [await received.get() for _ in payloads]
        assert [bytes(data) for _, data in got] == payloads
        assert {sender for sender, _ in got} == {NOTIFY_UUID}
        assert all(isinstance(data, bytearray) for _, data in got)

        await client.stop_notify(NOTIFY_UUID)
        await peripheral.notify(b"after stop")
        # ATT is ordered on the bearer: once this read's response is back, a
        # notification sent before it would have been delivered already.
        await client.read_gatt_char(READ_UUID)
        assert received.empty()


async def test_indications_arrive_in_order(hci: str, peripheral: GattPeripheral) -> None:
    received: asyncio.Queue[bytearray] = asyncio.Queue()

    async def on_indication(_sender: BleakGATTCharacteristic, data: bytearray) -> None:
        received.put_nowait(data)  # async callbacks are supported by bleak too

    async with connected(hci) as client, asyncio.timeout(STEP_S):
        await client.start_notify(INDICATE_UUID, on_indication)
        for i in range(10):
            # indicate_subscribers returns once the client confirmed.
            await peripheral.indicate(bytes([i]) * 30)
        assert [bytes(await received.get()) for _ in range(10)] == [
            bytes([i]) * 30 for i in range(10)
        ]
        await client.stop_notify(INDICATE_UUID)


async def test_start_notify_on_plain_characteristic_raises(
    hci: str, peripheral: GattPeripheral
) -> None:
    async with connected(hci) as client, asyncio.timeout(STEP_S):
        with pytest.raises(BleakError):
            await client.start_notify(READ_UUID, lambda _s, _d: None)


async def test_att_errors_map_to_gatt_protocol_error(hci: str, peripheral: GattPeripheral) -> None:
    async with connected(hci) as client, asyncio.timeout(STEP_S):
        with pytest.raises(BleakGATTProtocolError) as read_error:
            await client.read_gatt_char(ERROR_UUID)
        assert read_error.value.code == ERROR_READ_CODE
        with pytest.raises(BleakGATTProtocolError) as write_error:
            await client.write_gatt_char(ERROR_UUID, b"x", response=True)
        assert write_error.value.code == ERROR_WRITE_CODE
        # The link survives a protocol error.
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE


async def test_peripheral_disconnect_fires_callback(hci: str, peripheral: GattPeripheral) -> None:
    gone = asyncio.Event()
    device, _ = await find(hci)
    client = BleakClient(
        device, lambda _c: gone.set(), backend=BumbleClient, hci=hci, timeout=STEP_S
    )
    async with asyncio.timeout(STEP_S):
        await client.connect()
        await peripheral.connections.get()
        await peripheral.disconnect_all()
        await gone.wait()
    assert not client.is_connected
    with pytest.raises(BleakError):
        await client.read_gatt_char(READ_UUID)


async def test_client_disconnect_and_reconnect(hci: str, peripheral: GattPeripheral) -> None:
    callbacks: list[str] = []
    device, _ = await find(hci)
    client = BleakClient(
        device,
        lambda c: callbacks.append(c.address),
        backend=BumbleClient,
        hci=hci,
        timeout=STEP_S,
    )
    async with asyncio.timeout(STEP_S):
        await client.connect()
        await client.disconnect()
        assert not client.is_connected
        # Like bleak's BlueZ and WinRT backends, a requested disconnect also reports.
        assert callbacks == [device.address]
        # The peripheral advertises again and the same client object reconnects.
        await client.connect()
        assert client.is_connected
        assert client.mtu_size == MTU
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE
        await client.disconnect()


async def test_connect_by_address_string_uses_advertised_address_type(
    hci: str, peripheral: GattPeripheral
) -> None:
    device, _ = await find(hci)
    async with asyncio.timeout(STEP_S):
        client = BleakClient(device.address, backend=BumbleClient, hci=hci, timeout=STEP_S)
        await client.connect()
        assert await client.read_gatt_char(READ_UUID) == READ_VALUE
        await client.disconnect()
    # bleak's find_* helpers type their kwargs: the spec comes from configure_bumble.
    found = await BleakScanner.find_device_by_address(
        device.address, timeout=STEP_S, backend=BumbleScanner
    )
    assert found is not None and found.details == peripheral.address


async def test_connect_timeout_to_absent_address_raises_then_connects(
    hci: str, peripheral: GattPeripheral
) -> None:
    absent = BleakClient("C1:23:45:67:89:AB", backend=BumbleClient, hci=hci, timeout=0.3)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(STEP_S):
            await absent.connect()
    assert not absent.is_connected
    # The cancelled attempt must not leave the controller busy.
    async with connected(hci) as client:
        assert client.is_connected


async def test_concurrent_connects_are_serialised(hci: str, peripheral: GattPeripheral) -> None:
    second = await start_peripheral(peripheral.link, "bs-second")
    try:
        # Both advertise the service: pick each by name.
        async with asyncio.timeout(STEP_S):
            device_a = await BleakScanner.find_device_by_name(
                peripheral.name, timeout=STEP_S, backend=BumbleScanner
            )
            device_b = await BleakScanner.find_device_by_name(
                "bs-second", timeout=STEP_S, backend=BumbleScanner
            )
        assert device_a is not None and device_b is not None
        assert device_a.details != device_b.details
        clients = [
            BleakClient(d, backend=BumbleClient, hci=hci, timeout=STEP_S)
            for d in (device_a, device_b)
        ]
        async with asyncio.timeout(STEP_S):
            async with asyncio.TaskGroup() as group:
                for client in clients:
                    group.create_task(client.connect())
            values = [await c.read_gatt_char(READ_UUID) for c in clients]
            assert values == [READ_VALUE, READ_VALUE]
            for client in clients:
                await client.disconnect()
    finally:
        second.remove()


async def test_second_connection_to_same_device_is_refused(
    hci: str, peripheral: GattPeripheral
) -> None:
    async with connected(hci) as client:
        duplicate = BleakClient(client.address, backend=BumbleClient, hci=hci, timeout=STEP_S)
        with pytest.raises(BleakError, match="already connected"):
            async with asyncio.timeout(STEP_S):
                await duplicate.connect()
        assert client.is_connected


async def test_disconnect_from_vanished_peer_completes(
    hci: str, peripheral: GattPeripheral
) -> None:
    device, _ = await find(hci)
    client = BleakClient(device, backend=BumbleClient, hci=hci, timeout=STEP_S)
    async with asyncio.timeout(STEP_S):
        await client.connect()
        await peripheral.connections.get()
    # The peripheral's process "dies": its controller leaves without an LL terminate.
    peripheral.remove()
    assert client.is_connected  # the virtual link has no supervision timeout
    async with asyncio.timeout(STEP_S):
        await client.disconnect()
    assert not client.is_connected
    host = await get_host(hci)
    assert host.device.connections == {}


async def test_connect_cancelled_by_caller_leaves_controller_free(
    hci: str, peripheral: GattPeripheral
) -> None:
    absent = BleakClient("C1:23:45:67:89:AC", backend=BumbleClient, hci=hci, timeout=30)
    # The caller gives up long before bleak's timeout (e.g. the collector shuts down).
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await absent.connect()
    async with connected(hci) as client:
        assert client.is_connected
