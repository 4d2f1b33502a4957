"""`BaseBleakClient` over the shared Bumble host: `BleakClient(dev, backend=BumbleClient)`."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, Final

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES, CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import gatt
from bumble.device import Connection, Peer
from bumble.gatt_client import CharacteristicProxy
from bumble.hci import Address as BumbleAddress
from bumble.hci import HCI_Constant

from collector.backends.bumble.advertising import bleak_uuid
from collector.backends.bumble.errors import guarded
from collector.backends.bumble.transport import BumbleHost, get_host

logger = logging.getLogger(__name__)

DEFAULT_MTU: Final = 247
"""Requested ATT MTU: 247 fills one 251-byte LL data PDU. Without an exchange the
server truncates every notification to 20 bytes."""
DEFAULT_OP_TIMEOUT_S: Final = 10.0
"""Deadline for each GATT operation (Bumble's own is 30 s, some awaits have none)."""
CANCEL_GRACE_S: Final = 2.0
"""Extra time Bumble gets to cancel a timed-out connect before we abandon it."""

_ATT_MIN_MTU: Final = 23
_CCCD: Final = gatt.GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR
_PROPERTY_BITS: Final = tuple(
    (bit, name) for bit, name in CHARACTERISTIC_PROPERTIES.items() if bit <= 0x80
)


class BumbleClient(BaseBleakClient):
    """GATT client on the process-wide Bumble host.

    Extra keywords (pass them to `BleakClient(...)`):
    - `hci`: HCI spec for this client (default: configured spec).
    - `mtu`: ATT MTU to request on connect (default 247).
    - `op_timeout`: seconds allowed for each GATT operation (default 10).

    `timeout` (bleak's) bounds link establishment, including waiting for another
    client's connect on the same host (one pending LE connection per controller).
    The disconnected callback fires on every disconnection, requested or not, like
    bleak's BlueZ and WinRT backends.
    """

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        hci: str | None = None,
        mtu: int = DEFAULT_MTU,
        op_timeout: float = DEFAULT_OP_TIMEOUT_S,
        services: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=disconnected_callback,
            timeout=timeout,
            **kwargs,
        )
        self._typed_address: BumbleAddress | None = None
        self._name = self.address
        if isinstance(address_or_ble_device, BLEDevice):
            if isinstance(address_or_ble_device.details, BumbleAddress):
                self._typed_address = address_or_ble_device.details
            if address_or_ble_device.name:
                self._name = address_or_ble_device.name
        self._hci = hci
        self._mtu_request = mtu
        self._op_timeout = op_timeout
        self._service_filter = services
        self._host: BumbleHost | None = None
        self._connection: Connection | None = None
        # Set once connect() completed: a link lost during MTU exchange or discovery
        # makes connect() raise instead of also firing the disconnected callback.
        self._established = False
        self._mtu = _ATT_MIN_MTU
        # bleak handle -> the Bumble subscriber we registered (to unsubscribe exactly it)
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    # -- properties ------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        connection = self._connection
        return connection.att_mtu if connection is not None else self._mtu

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    # -- connection ------------------------------------------------------------------
    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if pair:
            logger.warning("Bumble backend: pairing is not supported, connecting without")
        if self._connection is not None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        host = await get_host(self._hci)
        address = self._typed_address or host.resolve_address(self.address)
        try:
            async with asyncio.timeout_at(deadline):
                await host.connect_lock.acquire()
        except TimeoutError as exc:
            raise TimeoutError(
                f"connect to {address}: controller busy for {self._timeout:g} s"
            ) from exc
        connection: Connection | None = None
        try:
            if any(c.peer_address == address for c in host.device.connections.values()):
                # The virtual controller would silently wait for the timeout.
                raise BleakError(f"{address} is already connected on {host.spec}")
            remaining = max(deadline - loop.time(), 0.001)
            host.expected_peer = address
            # Bumble's own timeout cancels the attempt; our outer deadline (a little
            # later) covers controllers that never confirm the cancel.
            connection = await guarded(
                host.device.connect(address, timeout=remaining),
                remaining + CANCEL_GRACE_S,
                f"connect to {address}",
            )
        finally:
            if connection is None:
                # Still holding the lock, so the cancel cannot hit the next attempt;
                # shielded so a caller's cancellation still disarms the controller.
                await asyncio.shield(host.cancel_pending_connect())
            host.connect_attempt_over()
            host.connect_lock.release()
        if connection.peer_address != address:
            # Bumble hands the pending connect whichever connection completes first; an
            # orphan of an earlier attempt is being dropped by the host.
            raise BleakError(f"connect to {address}: a stale attempt completed instead")
        self._host = host
        self._connection = connection
        self._established = False
        connection.on(
            Connection.EVENT_DISCONNECTION,
            functools.partial(self._on_disconnection, connection),
        )
        try:
            await self._exchange_mtu(connection)
            self.services = await guarded(
                self._discover(connection), self._op_timeout * 4, "service discovery"
            )
        except BaseException:
            await self._drop(connection)
            raise
        self._established = True

    async def _exchange_mtu(self, connection: Connection) -> None:
        if self._mtu_request <= _ATT_MIN_MTU:
            return
        try:
            self._mtu = await guarded(
                Peer(connection).request_mtu(self._mtu_request), self._op_timeout, "MTU exchange"
            )
        except BleakGATTProtocolError as exc:
            # A server that refuses the exchange keeps the default MTU: not fatal.
            logger.warning("MTU exchange refused by %s (%s): staying at 23", self.address, exc)

    async def _discover(self, connection: Connection) -> BleakGATTServiceCollection:
        # bleak needs service, then its characteristics, then their descriptors.
        peer = Peer(connection)
        collection = BleakGATTServiceCollection()
        for service_proxy in await peer.discover_services():
            service_uuid = bleak_uuid(service_proxy.uuid)
            if self._service_filter is not None and service_uuid not in self._service_filter:
                continue
            service = BleakGATTService(service_proxy, service_proxy.handle, service_uuid)
            collection.add_service(service)
            for proxy in await peer.discover_characteristics(service=service_proxy):
                characteristic = BleakGATTCharacteristic(
                    proxy,
                    proxy.handle,
                    bleak_uuid(proxy.uuid),
                    _property_names(int(proxy.properties)),
                    self._max_write_without_response,
                    service,
                )
                collection.add_characteristic(characteristic)
                for descriptor_proxy in await peer.discover_descriptors(characteristic=proxy):
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor_proxy,
                            descriptor_proxy.handle,
                            bleak_uuid(descriptor_proxy.type),
                            characteristic,
                        )
                    )
        return collection

    def _max_write_without_response(self) -> int:
        return self.mtu_size - 3

    def _on_disconnection(self, connection: Connection, reason: int) -> None:
        if connection is not self._connection:
            return  # an earlier link of this client
        self._connection = None
        self._subscribers.clear()
        logger.info("%s disconnected: %s", self.address, HCI_Constant.error_name(reason))
        callback = self._disconnected_callback
        established, self._established = self._established, False
        if callback is not None and established:
            try:
                callback()
            except Exception:
                logger.exception("disconnected callback of %s failed", self.address)

    async def _drop(self, connection: Connection) -> None:
        """Best-effort disconnect after a failed connect (never raises)."""
        if self._connection is not connection:
            return  # the link went down already
        try:
            await guarded(connection.disconnect(), self._op_timeout, "disconnect")
        except (BleakError, TimeoutError) as exc:
            logger.debug("disconnect after failed connect: %s", exc)
        self._connection = None

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            await guarded(connection.disconnect(), self._op_timeout, "disconnect")
        except (BleakError, TimeoutError) as exc:
            if self._connection is not None:
                raise
            logger.debug("disconnect raced with the link going down: %s", exc)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not supported by the Bumble backend")

    async def unpair(self) -> None:
        raise BleakError("pairing is not supported by the Bumble backend")

    # -- GATT I/O -----------------------------------------------------------------------
    def _require_connection(self) -> Connection:
        connection = self._connection
        if connection is None:
            raise BleakError("Not connected")
        return connection

    async def read_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        *,
        use_cached: bool = False,
        **kwargs: Any,
    ) -> bytearray:
        return await self._read(characteristic.handle, use_cached, "read characteristic")

    async def read_gatt_descriptor(
        self,
        descriptor: BleakGATTDescriptor,
        *,
        use_cached: bool = False,
        **kwargs: Any,
    ) -> bytearray:
        return await self._read(descriptor.handle, use_cached, "read descriptor")

    async def _read(self, handle: int, use_cached: bool, what: str) -> bytearray:
        client = self._require_connection().gatt_client
        if use_cached and handle in client.cached_values:
            return bytearray(client.cached_values[handle][1])
        value = await guarded(client.read_value(handle), self._op_timeout, f"{what} {handle}")
        return bytearray(value)

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        client = self._require_connection().gatt_client
        await guarded(
            client.write_value(characteristic.handle, bytes(data), with_response=response),
            self._op_timeout,
            f"write characteristic {characteristic.handle}",
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        client = self._require_connection().gatt_client
        await guarded(
            client.write_value(descriptor.handle, bytes(data), with_response=True),
            self._op_timeout,
            f"write descriptor {descriptor.handle}",
        )

    async def start_notify(
        self,
        characteristic: BleakGATTCharacteristic,
        callback: NotifyCallback,
        **kwargs: Any,
    ) -> None:
        client = self._require_connection().gatt_client
        proxy = characteristic.obj
        if not isinstance(proxy, CharacteristicProxy):
            raise BleakError(f"{characteristic} was not discovered by the Bumble backend")
        if not proxy.properties & (
            gatt.Characteristic.Properties.NOTIFY | gatt.Characteristic.Properties.INDICATE
        ):
            raise BleakError(f"{characteristic.uuid} supports neither notify nor indicate")
        # Bumble silently returns when there is no CCCD; bleak's backends raise.
        if proxy.get_descriptor(_CCCD) is None:
            await guarded(
                client.discover_descriptors(proxy), self._op_timeout, "discover descriptors"
            )
            if proxy.get_descriptor(_CCCD) is None:
                raise BleakError(f"{characteristic.uuid} has no CCCD to subscribe with")
        previous = self._subscribers.pop(characteristic.handle, None)
        if previous is not None:
            await guarded(
                client.unsubscribe(proxy, previous), self._op_timeout, "replace subscription"
            )

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = on_value
        try:
            # prefer_notify: bleak's rule when a characteristic offers both.
            await guarded(
                client.subscribe(proxy, on_value, prefer_notify=True),
                self._op_timeout,
                f"subscribe {characteristic.uuid}",
            )
        except BaseException:
            self._subscribers.pop(characteristic.handle, None)
            raise

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        client = self._require_connection().gatt_client
        subscriber = self._subscribers.pop(characteristic.handle, None)
        if subscriber is None:
            return
        await guarded(
            client.unsubscribe(characteristic.obj, subscriber),
            self._op_timeout,
            f"unsubscribe {characteristic.uuid}",
        )


def _property_names(bits: int) -> list[CharacteristicPropertyName]:
    return [name for bit, name in _PROPERTY_BITS if bits & bit]


__all__ = ["DEFAULT_MTU", "DEFAULT_OP_TIMEOUT_S", "BumbleClient"]
