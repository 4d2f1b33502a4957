"""The simulated band as a Bumble GATT peripheral on a virtual link.

:class:`BandPeripheral` wraps one :class:`~firmware_sim.firmware.BandFirmware` in a
Bumble ``Device``: it advertises the band service and its name, serves the GATT database
(band service, Battery, Device Information), paces frames by the band's sample clock
(the virtual link has no radio timing) with ``connection.drain()`` back-pressure, and
answers control-point writes with indications.

:class:`InProcessLink` puts bands and central controllers on one ``LocalLink`` in the
test's own event loop::

    async with InProcessLink(speed=100) as sim:
        band = await sim.add_band(demo_source(duration_s=60))
        central = await sim.add_central()          # a powered-on Bumble Device
        # or: transport = sim.open_transport()     # (source, sink) for Device.with_hci
        connection = await central.connect(band.address)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bumble import att, hci
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import (
    AdvertisingEventProperties,
    AdvertisingParameters,
    AdvertisingSet,
    Connection,
    Device,
)
from bumble.gatt import Characteristic, CharacteristicValue, Service
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink, Transport

from bandsense.protocol.band import (
    CONTROL_POINT_UUID,
    SAMPLES_UUID,
    SERVICE_UUID,
    STATUS_UUID,
    Response,
    ResultCode,
    encode_response,
)
from firmware_sim.firmware import FW_VERSION, BandFirmware, CommandOutcome, FirmwareConfig, Tick
from firmware_sim.sample_source import SampleSource
from firmware_sim.vlink import SimLink, detach_controller, new_controller

log = logging.getLogger(__name__)

NAME_PREFIX = "bandsense-sim-"
ADVERTISING_INTERVAL_MS = 20.0
MAX_MTU = 247  # what a typical nRF52 band firmware offers
BATTERY_SERVICE_UUID = "180F"
BATTERY_LEVEL_UUID = "2A19"
DEVICE_INFORMATION_UUID = "180A"
MANUFACTURER_UUID = "2A29"
MODEL_UUID = "2A24"
SERIAL_UUID = "2A25"
FIRMWARE_REVISION_UUID = "2A26"
_DRAIN_EVERY = 16  # notifications between drain() calls inside one burst
_FRAMES_PER_TURN = 64  # frames built per loop turn: a burst never blocks the event loop
# Frames waiting for the radio. Beyond this the oldest live ones are dropped, as a real
# band's TX queue overflows when the link is slower than the sensor (they stay in the
# ring buffer: RESEND recovers them).
OUTBOX_LIMIT = 2048
_COMMAND_TIMEOUT_S = 10.0


# ---------------------------------------------------------------------------- clock
class VirtualClock:
    """Virtual seconds = real seconds x ``speed`` since the clock was created."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = float(speed)
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    def real_delay(self, virtual_s: float) -> float:
        return max(0.0, virtual_s / self.speed)


# ---------------------------------------------------------------------------- specs
@dataclass(frozen=True, slots=True)
class BandSpec:
    """Identity of one simulated band (one per band in a multi-band simulator)."""

    index: int
    name: str
    address: hci.Address
    seed: int  # scenario seed: also draws this band's clock offset and drift (H3's clock model)

    @property
    def serial(self) -> str:
        return f"SIM{self.index:05d}"


def band_address(index: int) -> hci.Address:
    """A random static address (two top bits set) unique per band index."""
    return hci.Address(
        f"F0:5E:00:00:{(index >> 8) & 0xFF:02X}:{index & 0xFF:02X}",
        hci.Address.RANDOM_DEVICE_ADDRESS,
    )


def band_spec(index: int, seed: int = 0, *, name_prefix: str = NAME_PREFIX) -> BandSpec:
    """Band number ``index`` (from 1): its name, address and scenario seed.

    Each band runs the scenario with its own seed, so its movement noise, frame loss and
    device clock (offset anywhere in u32, drift in ppm) differ from the other bands'.
    """
    return BandSpec(
        index=index,
        name=f"{name_prefix}{index:02d}",
        address=band_address(index),
        seed=seed + index - 1,
    )


def band_specs(count: int, seed: int = 0) -> list[BandSpec]:
    return [band_spec(i, seed) for i in range(1, count + 1)]


# ---------------------------------------------------------------------------- helpers
def _raise(code: att.ErrorCode) -> Any:
    raise att.ATT_Error(code)


def read_only(read: Callable[[], bytes]) -> CharacteristicValue[bytes]:
    """A value whose writes fail: Bumble's server does not enforce permissions itself."""
    return CharacteristicValue(
        read=lambda _c: read(),
        write=lambda _c, _v: _raise(att.ErrorCode.WRITE_NOT_PERMITTED),
    )


def no_access() -> CharacteristicValue[bytes]:
    """Notify-only value: reads fail at once (a missing read callback hangs the client)."""
    return CharacteristicValue(
        read=lambda _c: _raise(att.ErrorCode.READ_NOT_PERMITTED),
        write=lambda _c, _v: _raise(att.ErrorCode.WRITE_NOT_PERMITTED),
    )


def advertising_data(name: str, service_uuid: str) -> bytes:
    return bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),  # LE general, no BR/EDR
                (
                    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    UUID(service_uuid).to_bytes(),
                ),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
            ]
        )
    )


# ---------------------------------------------------------------------------- peripheral
class SimPeripheral:
    """Common machinery: Bumble device, advertising, connection, paced sender loop.

    Subclasses provide the GATT database (:meth:`build_services`), the control-point
    handling (:meth:`execute_command`) and the payloads of frames (:meth:`payloads`).
    """

    service_uuid: str = SERVICE_UUID

    def __init__(
        self,
        *,
        name: str,
        address: hci.Address,
        controller: Controller,
        firmware: BandFirmware,
        clock: VirtualClock,
        serial: str = "SIM00000",
    ) -> None:
        self.name = name
        self.address = address
        self.controller = controller
        self.firmware = firmware
        self.clock = clock
        self.serial = serial
        self.device = Device(
            name=name, address=address, host=Host(controller, AsyncPipeSink(controller))
        )
        self.device.gatt_server.max_mtu = MAX_MTU
        self.connection: Connection | None = None
        self.connections_seen = 0
        self.notifications_sent = 0
        self.tx_overflow = 0  # notifications dropped because the link could not keep up
        self._outbox: deque[tuple[bytes, bool]] = deque()  # (payload, is_resend)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._advertising_set: AdvertisingSet | None = None
        self._unreachable_until = 0.0  # virtual time; a link drop puts the band out of reach
        self._closed = False
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()
        self.data_char: Characteristic[bytes]
        self.control_char: Characteristic[bytes]
        self.status_char: Characteristic[bytes] | None = None
        self.battery_char: Characteristic[bytes] | None = None
        # Awaited before each burst of notifications: the HCI server's socket back-pressure.
        self.flow_gate: Callable[[], Awaitable[None]] | None = None
        self.on_disconnect: Callable[[SimPeripheral], None] | None = None
        self.device.add_services(self.build_services())
        self.device.on(Device.EVENT_CONNECTION, self._on_connection)
        self.data_char.on(Characteristic.EVENT_SUBSCRIPTION, self._on_data_subscription)

    # -- to override --------------------------------------------------------------
    def build_services(self) -> list[Service]:
        raise NotImplementedError

    def payloads(self, tick: Tick) -> list[bytes]:
        """Notification payloads for the frames of a tick that reach the air."""
        return [f.payload for f in tick.frames if not f.lost_on_air]

    async def execute_command(self, data: bytes) -> tuple[bytes | None, CommandOutcome | None]:
        """Run a control-point write; return (indication payload, outcome) to send."""
        raise NotImplementedError

    # -- common GATT pieces -------------------------------------------------------
    def battery_service(self) -> Service:
        char: Characteristic[bytes] = Characteristic(
            BATTERY_LEVEL_UUID,
            Characteristic.Properties.READ | Characteristic.Properties.NOTIFY,
            Characteristic.Permissions.READABLE,
            read_only(lambda: bytes([self.firmware.battery_int])),
        )
        self.battery_char = char
        return Service(BATTERY_SERVICE_UUID, [char])

    def device_information_service(self, manufacturer: str, model: str) -> Service:
        fw = ".".join(str(v) for v in FW_VERSION)
        values = [
            (MANUFACTURER_UUID, manufacturer),
            (MODEL_UUID, model),
            (SERIAL_UUID, self.serial),
            (FIRMWARE_REVISION_UUID, fw),
        ]
        chars: list[Characteristic[bytes]] = [
            Characteristic(
                uuid,
                Characteristic.Properties.READ,
                Characteristic.Permissions.READABLE,
                read_only(functools.partial(str.encode, text)),
            )
            for uuid, text in values
        ]
        return Service(DEVICE_INFORMATION_UUID, chars)

    # -- lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Power on and advertise (every 20 ms, restarted after each disconnection)."""
        async with asyncio.timeout(_COMMAND_TIMEOUT_S):
            await self._start()

    async def _start(self) -> None:
        await self.device.power_on()
        self._advertising_set = await self.device.create_advertising_set(
            advertising_parameters=AdvertisingParameters(
                # Extended (non-legacy) PDUs: the 128-bit UUID and the name do not fit
                # 31 bytes, and the virtual controller never sends scan responses.
                advertising_event_properties=AdvertisingEventProperties(
                    is_connectable=True, is_scannable=False, is_legacy=False
                ),
                primary_advertising_interval_min=ADVERTISING_INTERVAL_MS,
                primary_advertising_interval_max=ADVERTISING_INTERVAL_MS,
                own_address_type=hci.OwnAddressType.RANDOM,
            ),
            random_address=self.address,
            advertising_data=advertising_data(self.name, self.service_uuid),
            # Restarted by this class, not by Bumble: during a scenario link drop the
            # band is out of reach and must not advertise.
            auto_restart=False,
        )

    @property
    def advertising(self) -> bool:
        return self._advertising_set is not None and self._advertising_set.enabled

    @property
    def out_of_reach(self) -> bool:
        return self.clock.now() < self._unreachable_until

    async def _keep_advertising(self) -> None:
        """Advertise whenever nobody is connected and no link drop is in progress."""
        adv = self._advertising_set
        if adv is None or self._closed:
            return
        should = self.connection is None and not self.out_of_reach
        if should == adv.enabled:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_COMMAND_TIMEOUT_S):
                if should:
                    await adv.start()
                else:
                    await adv.stop()

    async def run(self) -> None:
        """The firmware's main loop; an unexpected error is logged and the band carries on
        (one band must not take a 20-band simulator down)."""
        while not self._closed:
            try:
                await self._turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: firmware loop error", self.name)
                await asyncio.sleep(0.05)  # back off rather than spin on a persistent error

    async def _turn(self) -> None:
        """One turn: advance the clock, send, then sleep until the next frame is due."""
        self._wake.clear()
        tick = self.firmware.advance(self.clock.now(), max_frames=_FRAMES_PER_TURN)
        await self._apply_tick(tick)
        await self._flush_outbox()
        await self._keep_advertising()
        if tick.more or self._outbox or self._wake.is_set():
            await asyncio.sleep(0)  # let the link and the other bands run
            return
        deadlines = [d for d in (self.firmware.next_deadline(),) if d is not None]
        if self.out_of_reach:
            deadlines.append(self._unreachable_until)
        delay = self.clock.real_delay(min(deadlines) - self.clock.now()) if deadlines else None
        # Pacing by the band's own sample clock, or until a command/connection wakes us.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._wake.wait()

    async def close(self) -> None:
        """Stop the main loop; let commands in flight finish (briefly), then cancel them."""
        self._closed = True
        self._wake.set()
        if self._tasks:
            # An indication cancelled while its confirmation is in flight upsets Bumble's
            # server (it resolves the next indication's future with the stale confirmation).
            await asyncio.wait(list(self._tasks), timeout=1.0)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        self._wake.set()

    # -- connection ---------------------------------------------------------------
    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        self.connections_seen += 1
        # The frame size follows this peer's MTU once it is exchanged (or, if the peer never
        # asks, once it subscribes at 23); until then frames keep the previous peer's size.
        self.disconnected.clear()
        self.connected.set()
        connection.on(
            Connection.EVENT_CONNECTION_ATT_MTU_UPDATE,
            lambda: self.firmware.set_mtu(connection.att_mtu),
        )
        connection.on(
            Connection.EVENT_DISCONNECTION, lambda reason: self._on_disconnection(connection)
        )
        self.wake()

    def _on_data_subscription(self, bearer: object, notify: bool, indicate: bool) -> None:
        connection = self.connection
        if connection is not None and bearer is connection and notify:
            self.firmware.set_mtu(connection.att_mtu)
        self.wake()

    def _on_disconnection(self, connection: Connection) -> None:
        if self.connection is connection:
            self.connection = None
            self._outbox.clear()  # nothing left to deliver them to; the ring buffer has them
            self.connected.clear()
            self.disconnected.set()
            if self.on_disconnect is not None:
                self.on_disconnect(self)
        self.wake()

    def subscribed(self, characteristic: Characteristic[bytes], *, indicate: bool = False) -> bool:
        connection = self.connection
        if connection is None:
            return False
        cccd = self.device.gatt_server.subscribers.get(connection, {}).get(characteristic.handle)
        if not cccd:
            return False
        return bool(cccd[0] & (0x02 if indicate else 0x01))

    # -- sending ------------------------------------------------------------------
    def _queue(self, payloads: list[bytes], *, resent: bool = False) -> None:
        """Hand notifications to the sender (dropped when nobody listens)."""
        if not self.subscribed(self.data_char):
            return
        self._outbox.extend((p, resent) for p in payloads)
        while len(self._outbox) > OUTBOX_LIMIT:
            self._outbox.popleft()
            self.tx_overflow += 1

    async def _apply_tick(self, tick: Tick) -> None:
        self._queue(self.payloads(tick))
        if tick.link_drop is not None:
            await self._flush_outbox()
            drop = tick.link_drop
            log.info("%s: link drop for %.1f s (scenario)", self.name, drop.duration_s)
            self._unreachable_until = self.clock.now() + drop.duration_s
            connection = self.connection
            if connection is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(_COMMAND_TIMEOUT_S):
                        await connection.disconnect(hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR)
            await self._keep_advertising()
        if tick.status_changed:
            await self.notify_status()
        if tick.battery_changed and self.battery_char is not None:
            await self._notify(self.battery_char, bytes([self.firmware.battery_int]))

    async def notify_status(self) -> None:
        if self.status_char is not None:
            await self._notify(self.status_char, self.firmware.status_bytes())

    async def _notify(self, characteristic: Characteristic[bytes], value: bytes) -> None:
        connection = self.connection
        if connection is None or not self.subscribed(characteristic):
            return
        if len(value) > connection.att_mtu - 3:
            return  # the stack would truncate it; at a small MTU the client reads instead
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_COMMAND_TIMEOUT_S):
                await self.device.notify_subscriber(connection, characteristic, value)

    async def _flush_outbox(self) -> None:
        sent = 0
        last: Connection | None = None
        if self._outbox and self.flow_gate is not None:
            await self.flow_gate()
        while self._outbox:
            connection = self.connection
            if connection is None or not self.subscribed(self.data_char):
                self._outbox.clear()
                return
            payload, resent = self._outbox.popleft()
            if len(payload) > connection.att_mtu - 3:
                # Buffered under a larger MTU than this peer's: it cannot be delivered whole.
                log.warning(
                    "%s: frame of %d bytes exceeds ATT MTU %d",
                    self.name,
                    len(payload),
                    connection.att_mtu,
                )
                continue
            try:
                await self.device.notify_subscriber(connection, self.data_char, payload)
            except Exception as exc:  # the link went down under us: the ring buffer has it
                log.info("%s: notification failed (%s)", self.name, exc)
                self._outbox.clear()
                return
            last = connection
            self.firmware.record_sent(resent=resent)
            self.notifications_sent += 1
            sent += 1
            if sent % _DRAIN_EVERY == 0:
                await self._drain(connection)
                if self.flow_gate is not None:
                    await self.flow_gate()
        if last is not None:
            await self._drain(last)

    async def _drain(self, connection: Connection) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_COMMAND_TIMEOUT_S):
                await connection.drain()

    # -- control point ------------------------------------------------------------
    def control_value(self) -> CharacteristicValue[bytes]:
        return CharacteristicValue(
            read=lambda _c: _raise(att.ErrorCode.READ_NOT_PERMITTED),
            write=self._on_control_write,
        )

    def _on_control_write(self, connection: Connection, value: bytes) -> None:
        # The ATT write response goes out when this returns; the answer follows as an
        # indication, as on the real band.
        self.spawn(self._run_command(connection, bytes(value)))

    def spawn(self, coro: Awaitable[None]) -> None:
        async def wrapper() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: command task failed", self.name)

        task = asyncio.get_running_loop().create_task(wrapper())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_command(self, connection: Connection, data: bytes) -> None:
        indication, outcome = await self.execute_command(data)
        if indication is not None and len(indication) > connection.att_mtu - 3:
            # READ_STATUS below MTU 31: a truncated answer would not decode; say FAILED.
            indication = encode_response(Response(indication[1], ResultCode.FAILED))
        if indication is not None and connection is self.connection:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_COMMAND_TIMEOUT_S):
                    await self.device.indicate_subscriber(connection, self.control_char, indication)
        if outcome is not None:
            if outcome.resend and connection is self.connection:
                self._queue(list(outcome.resend), resent=True)
            if outcome.status_changed:
                await self.notify_status()
        self.wake()


class BandPeripheral(SimPeripheral):
    """The bandsense band: band service, Battery and Device Information."""

    def build_services(self) -> list[Service]:
        props = Characteristic.Properties
        self.data_char = Characteristic(
            SAMPLES_UUID, props.NOTIFY, Characteristic.Permissions(0), no_access()
        )
        self.control_char = Characteristic(
            CONTROL_POINT_UUID,
            props.WRITE | props.INDICATE,
            Characteristic.Permissions.WRITEABLE,
            self.control_value(),
        )
        self.status_char = Characteristic(
            STATUS_UUID,
            props.READ | props.NOTIFY,
            Characteristic.Permissions.READABLE,
            read_only(self.firmware.status_bytes),
        )
        band = Service(SERVICE_UUID, [self.data_char, self.control_char, self.status_char])
        return [
            band,
            self.battery_service(),
            self.device_information_service("bandsense", "bandsense-sim"),
        ]

    async def execute_command(self, data: bytes) -> tuple[bytes | None, CommandOutcome | None]:
        outcome, tick = self.firmware.handle_command(data, self.clock.now())
        await self._apply_tick(tick)
        return outcome.response, outcome


# ---------------------------------------------------------------------------- factory
PeripheralFactory = Callable[..., SimPeripheral]


def make_band(
    link: LocalLink,
    source: SampleSource,
    spec: BandSpec,
    clock: VirtualClock,
    *,
    config: FirmwareConfig | None = None,
    cls: type[SimPeripheral] = BandPeripheral,
) -> SimPeripheral:
    """A peripheral for ``spec`` on ``link`` (not started yet: ``await band.start()``)."""
    controller = new_controller(link, f"band-{spec.index}")
    firmware = BandFirmware(source, config)
    return cls(
        name=spec.name,
        address=spec.address,
        controller=controller,
        firmware=firmware,
        clock=clock,
        serial=spec.serial,
    )


# ---------------------------------------------------------------------------- in-process
class InProcessLink:
    """A virtual link in the caller's event loop: simulated bands plus central controllers.

    Use as ``async with InProcessLink(speed=...) as sim``; on exit every band loop is
    stopped and every controller detached. Pass ``link=`` to put the bands on a
    ``LocalLink`` created elsewhere (e.g. one registered with the collector's backend).
    """

    def __init__(self, *, speed: float = 1.0, link: LocalLink | None = None) -> None:
        self.link = link or SimLink()
        self.clock = VirtualClock(speed)
        self.bands: list[SimPeripheral] = []
        self.controllers: list[Controller] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._central_count = 0

    async def __aenter__(self) -> InProcessLink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def add_band(
        self,
        source: SampleSource,
        *,
        spec: BandSpec | None = None,
        config: FirmwareConfig | None = None,
        cls: type[SimPeripheral] = BandPeripheral,
    ) -> SimPeripheral:
        """Start a band (advertising, main loop running) and return it."""
        spec = spec or band_spec(len(self.bands) + 1)
        band = make_band(self.link, source, spec, self.clock, config=config, cls=cls)
        await band.start()
        self.bands.append(band)
        self._tasks.append(asyncio.get_running_loop().create_task(band.run()))
        return band

    def add_controller(self, name: str | None = None) -> Controller:
        """A fresh controller for a central (an HCI source and sink in one object)."""
        self._central_count += 1
        controller = new_controller(
            self.link,
            name or f"central-{self._central_count}",
            hci.Address(
                f"00:CE:00:00:00:{self._central_count:02X}", hci.Address.PUBLIC_DEVICE_ADDRESS
            ),
        )
        self.controllers.append(controller)
        return controller

    def open_transport(self, name: str | None = None) -> Transport:
        """A Bumble ``Transport`` (source, sink) onto a fresh controller, like
        ``open_transport('tcp-client:...')`` gives: ``Device.with_hci(name, addr, *t)``."""
        controller = self.add_controller(name)
        return Transport(controller, AsyncPipeSink(controller))

    async def add_central(
        self, name: str = "central", address: str | hci.Address | None = None
    ) -> Device:
        """A powered-on Bumble ``Device`` on a fresh controller."""
        controller = self.add_controller(name)
        addr = address or f"C0:CE:00:00:00:{self._central_count:02X}"
        device = Device(
            name=name,
            address=hci.Address(addr) if isinstance(addr, str) else addr,
            host=Host(controller, AsyncPipeSink(controller)),
        )
        async with asyncio.timeout(_COMMAND_TIMEOUT_S):
            await device.power_on()
        return device

    def drop_controller(self, controller: Controller) -> int:
        """Make a central vanish (as when its process dies): peers see a disconnection."""
        return detach_controller(self.link, controller)

    async def close(self) -> None:
        for band in self.bands:
            await band.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Centrals first: ending their links tells the bands, then the bands leave.
        for controller in self.controllers:
            detach_controller(self.link, controller)
        for controller in list(self.link.controllers):
            detach_controller(self.link, controller)
