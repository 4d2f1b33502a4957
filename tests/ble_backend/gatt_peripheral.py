"""A minimal Bumble GATT peripheral for the backend contract tests.

Real GATT over Bumble's virtual link (no fakes): a controller on a `LocalLink`, a Bumble
`Device` with one service covering every operation the backend must support, and
extended advertising every 20 ms (the interval the simulator uses; Bumble's default of
1 s would make each scan and connect take about a second).
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from typing import Final

from bumble import att
from bumble.core import UUID, AdvertisingData
from bumble.device import AdvertisingParameters, Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Descriptor, Service
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from collector.backends.bumble import VirtualController

SUFFIX: Final = "-7c1e-4b7a-9d51-0f3a5e6b7c8d"
SERVICE_UUID: Final = "c0de0001" + SUFFIX
NOTIFY_UUID: Final = "c0de0002" + SUFFIX  # notify + read
INDICATE_UUID: Final = "c0de0003" + SUFFIX  # indicate
READ_UUID: Final = "c0de0004" + SUFFIX  # read, with user description + custom descriptor
WRITE_UUID: Final = "c0de0005" + SUFFIX  # write (with response)
WRITE_NR_UUID: Final = "c0de0006" + SUFFIX  # write without response
ERROR_UUID: Final = "c0de0007" + SUFFIX  # read/write both answer an ATT error
CUSTOM_DESCRIPTOR_UUID: Final = "c0de00d1" + SUFFIX
USER_DESCRIPTION_UUID: Final = "00002901-0000-1000-8000-00805f9b34fb"
CCCD_UUID: Final = "00002902-0000-1000-8000-00805f9b34fb"

READ_VALUE: Final = b"bandsense-read-value"
USER_DESCRIPTION: Final = b"contract read"
MANUFACTURER_ID: Final = 0xFFFF  # reserved for tests by the SIG
MANUFACTURER_DATA: Final = b"\x01\x02\x03"
SERVICE_DATA_UUID16: Final = 0x180F
SERVICE_DATA: Final = b"\x64"
TX_POWER_DBM: Final = -4
ERROR_READ_CODE: Final = int(att.ErrorCode.READ_NOT_PERMITTED)
ERROR_WRITE_CODE: Final = 0x80  # first application error code
ADVERTISING_INTERVAL_MS: Final = 20.0


@dataclass
class GattPeripheral:
    """A running peripheral; writes it receives are queued for the tests to await."""

    device: Device
    controller: VirtualController
    link: LocalLink
    name: str
    notify_char: Characteristic[bytes]
    indicate_char: Characteristic[bytes]
    writes: asyncio.Queue[tuple[str, bytes]] = field(default_factory=asyncio.Queue)
    connections: asyncio.Queue[Connection] = field(default_factory=asyncio.Queue)
    disconnections: asyncio.Queue[int] = field(default_factory=asyncio.Queue)

    def _on_connection(self, connection: Connection) -> None:
        self.connections.put_nowait(connection)
        connection.on(Connection.EVENT_DISCONNECTION, self.disconnections.put_nowait)

    @property
    def address(self) -> Address:
        return self.device.random_address

    async def notify(self, value: bytes) -> None:
        await self.device.notify_subscribers(self.notify_char, value)

    async def indicate(self, value: bytes) -> None:
        await self.device.indicate_subscribers(self.indicate_char, value)

    async def disconnect_all(self) -> None:
        for connection in list(self.device.connections.values()):
            await connection.disconnect()

    def remove(self) -> None:
        """Stop advertising and leave the link. A controller taken off a LocalLink keeps
        its advertising timer and still broadcasts through the link: a ghost advertiser
        that scanners would find but nobody can reach."""
        for advertising_set in self.controller.advertising_sets.values():
            advertising_set.stop()
        self.controller.le_legacy_advertiser.stop()
        if self.controller in self.link.controllers:
            self.link.remove_controller(self.controller)
        # Radio off for good: Bumble's auto-restart may re-enable advertising when the
        # last disconnection reaches this host later; without a link nothing is sent.
        self.controller.link = None  # type: ignore[assignment]


def advertising_data(name: str, service_uuid: str) -> bytes:
    service = UUID(service_uuid)
    return bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, bytes(service)),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
                (
                    AdvertisingData.MANUFACTURER_SPECIFIC_DATA,
                    struct.pack("<H", MANUFACTURER_ID) + MANUFACTURER_DATA,
                ),
                (
                    AdvertisingData.SERVICE_DATA_16_BIT_UUID,
                    struct.pack("<H", SERVICE_DATA_UUID16) + SERVICE_DATA,
                ),
                (AdvertisingData.TX_POWER_LEVEL, struct.pack("b", TX_POWER_DBM)),
            ]
        )
    )


async def start_peripheral(
    link: LocalLink,
    name: str,
    advertised_service: str = SERVICE_UUID,
    address: Address | None = None,
) -> GattPeripheral:
    """Power on a peripheral on `link` and start advertising (extended, connectable)."""
    address = address or Address.generate_static_address()
    controller = VirtualController(f"periph-{name}", link=link)
    device = Device(name=name, address=address, host=Host(controller, AsyncPipeSink(controller)))
    writes: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

    def record(kind: str) -> CharacteristicValue[bytes]:
        def on_write(_connection: object, value: bytes) -> None:
            writes.put_nowait((kind, bytes(value)))

        return CharacteristicValue(write=on_write)

    def refuse_read(_connection: object) -> bytes:
        raise att.ATT_Error(ERROR_READ_CODE)

    def refuse_write(_connection: object, _value: bytes) -> None:
        raise att.ATT_Error(ERROR_WRITE_CODE)

    readable = Characteristic.Permissions.READABLE
    writeable = Characteristic.Permissions.WRITEABLE
    notify_char: Characteristic[bytes] = Characteristic(
        NOTIFY_UUID,
        Characteristic.Properties.NOTIFY | Characteristic.Properties.READ,
        readable,
        b"",
    )
    indicate_char: Characteristic[bytes] = Characteristic(
        INDICATE_UUID, Characteristic.Properties.INDICATE, readable, b""
    )
    read_char: Characteristic[bytes] = Characteristic(
        READ_UUID,
        Characteristic.Properties.READ,
        readable,
        READ_VALUE,
        descriptors=[
            Descriptor(USER_DESCRIPTION_UUID, readable, USER_DESCRIPTION),
            Descriptor(
                CUSTOM_DESCRIPTOR_UUID,
                readable | writeable,
                CharacteristicValue(
                    read=lambda _c: b"descriptor",
                    write=lambda _c, v: writes.put_nowait(("descriptor", bytes(v))),
                ),
            ),
        ],
    )
    write_char: Characteristic[bytes] = Characteristic(
        WRITE_UUID, Characteristic.Properties.WRITE, writeable, record("write")
    )
    write_nr_char: Characteristic[bytes] = Characteristic(
        WRITE_NR_UUID,
        Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
        writeable,
        record("write-without-response"),
    )
    error_char: Characteristic[bytes] = Characteristic(
        ERROR_UUID,
        Characteristic.Properties.READ | Characteristic.Properties.WRITE,
        readable | writeable,
        CharacteristicValue(read=refuse_read, write=refuse_write),
    )
    device.add_service(
        Service(
            SERVICE_UUID,
            [notify_char, indicate_char, read_char, write_char, write_nr_char, error_char],
        )
    )
    peripheral = GattPeripheral(
        device=device,
        controller=controller,
        link=link,
        name=name,
        notify_char=notify_char,
        indicate_char=indicate_char,
        writes=writes,
    )
    device.on(Device.EVENT_CONNECTION, peripheral._on_connection)
    await asyncio.wait_for(device.power_on(), 5)
    await asyncio.wait_for(
        device.create_advertising_set(
            advertising_parameters=AdvertisingParameters(
                primary_advertising_interval_min=ADVERTISING_INTERVAL_MS,
                primary_advertising_interval_max=ADVERTISING_INTERVAL_MS,
            ),
            random_address=address,
            advertising_data=advertising_data(name, advertised_service),
            # Connecting stops advertising (as on a real controller); come back after.
            auto_restart=True,
        ),
        5,
    )
    return peripheral
