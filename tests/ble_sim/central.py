"""A minimal Bumble central for the simulator's tests: real GATT over the virtual link.

It does what a collector does, without the collector: connect, exchange the MTU,
discover, subscribe to samples / control point / status, write commands and wait for
their indications. Every await has a timeout.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bumble import hci
from bumble.core import UUID
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy

from bandsense.protocol.band import (
    CONTROL_POINT_UUID,
    SAMPLES_UUID,
    STATUS_UUID,
    Response,
    SampleFrame,
    decode_frame,
    decode_response,
)

TIMEOUT_S = 10.0


async def find_address(device: Device, name: str, timeout: float = TIMEOUT_S) -> hci.Address:
    """Scan until an advertisement carries ``name``; return its (typed) address."""
    found: asyncio.Future[hci.Address] = asyncio.get_running_loop().create_future()

    def on_advertisement(advertisement: Advertisement) -> None:
        adv_name = advertisement.data.get(advertisement.data.COMPLETE_LOCAL_NAME)
        if adv_name == name and not found.done():
            found.set_result(advertisement.address)

    device.on(Device.EVENT_ADVERTISEMENT, on_advertisement)
    try:
        async with asyncio.timeout(timeout):
            await device.start_scanning(filter_duplicates=False)
            return await found
    finally:
        device.remove_listener(Device.EVENT_ADVERTISEMENT, on_advertisement)
        async with asyncio.timeout(timeout):
            await device.stop_scanning()


@dataclass
class BandLink:
    """One connected band, from the central's side."""

    connection: Connection
    peer: Peer
    samples: CharacteristicProxy[bytes]
    control: CharacteristicProxy[bytes]
    status: CharacteristicProxy[bytes]
    frames: asyncio.Queue[SampleFrame] = field(default_factory=asyncio.Queue)
    responses: asyncio.Queue[Response] = field(default_factory=asyncio.Queue)
    status_values: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    raw_frames: list[bytes] = field(default_factory=list)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def connect(
        cls, device: Device, address: hci.Address, *, mtu: int = 247, timeout: float = TIMEOUT_S
    ) -> BandLink:
        async with asyncio.timeout(timeout):
            connection = await device.connect(address)
            peer = Peer(connection)
            if mtu > 23:
                await peer.request_mtu(mtu)
            await peer.discover_services()
            for service in peer.services:
                await service.discover_characteristics()

            def one(uuid: str) -> CharacteristicProxy[bytes]:
                (char,) = peer.get_characteristics_by_uuid(UUID(uuid))
                return char

            link = cls(
                connection, peer, one(SAMPLES_UUID), one(CONTROL_POINT_UUID), one(STATUS_UUID)
            )
            connection.on(Connection.EVENT_DISCONNECTION, lambda _reason: link.disconnected.set())
            await peer.subscribe(link.samples, link._on_sample)
            await peer.subscribe(link.control, link._on_response, prefer_notify=False)
            await peer.subscribe(link.status, link.status_values.put_nowait)
            return link

    def _on_sample(self, value: bytes) -> None:
        self.raw_frames.append(bytes(value))
        self.frames.put_nowait(decode_frame(value))

    def _on_response(self, value: bytes) -> None:
        self.responses.put_nowait(decode_response(value))

    async def write(self, data: bytes, timeout: float = TIMEOUT_S) -> None:
        async with asyncio.timeout(timeout):
            await self.peer.write_value(self.control, data, with_response=True)

    async def command(self, data: bytes, timeout: float = TIMEOUT_S) -> Response:
        """Write a command and wait for its indication."""
        await self.write(data, timeout)
        async with asyncio.timeout(timeout):
            return await self.responses.get()

    async def next_frame(self, timeout: float = TIMEOUT_S) -> SampleFrame:
        async with asyncio.timeout(timeout):
            return await self.frames.get()

    async def frames_until(self, last_seq: int, timeout: float = TIMEOUT_S) -> list[SampleFrame]:
        """Collect live frames (not resent ones) until ``last_seq`` arrives."""
        out: list[SampleFrame] = []
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                out.append(frame)
                if not frame.resent and frame.seq >= last_seq:
                    return out

    async def disconnect(self, timeout: float = TIMEOUT_S) -> None:
        async with asyncio.timeout(timeout):
            await self.connection.disconnect()
            await self.disconnected.wait()
