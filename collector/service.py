"""The collector service: discover devices, one BandSession + Publisher per band.

Every band runs in its own task inside one TaskGroup; a band failing never stops the
others (sessions catch their own errors and reconnect). Spool files left by an earlier
run (``<spool_dir>/<band_id>.sqlite``) are replayed at start even when that band is not
around this time.

Shutdown (``stop`` event: Ctrl-C / SIGTERM): stop scanning, let each session recover what
it can and stop its band's stream, wait up to ``shutdown_timeout_s`` for the broker to
acknowledge everything spooled, publish the retained ``offline`` status, disconnect.
Whatever the broker has not acknowledged by then stays in the spool for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from bleak import BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

from bandsense.model import validate_band_id
from collector.backends import backend_classes
from collector.backoff import Backoff
from collector.band_session import BandSession, SessionConfig
from collector.messages import BandStatusMessage
from collector.profiles import SERVICE_UUIDS, DeviceProfile, profile_for_services
from collector.publisher import BrokerConfig, Publisher
from collector.spool import FullPolicy, Spool
from collector.topics import DEFAULT_PREFIX, BandTopics

log = logging.getLogger(__name__)


def default_collector_id() -> str:
    host = "".join(c if c.isalnum() or c in "-_." else "-" for c in socket.gethostname())
    return f"{host[:40] or 'collector'}-{os.getpid()}"


def band_id_for(name: str | None, address: str) -> str:
    """The device name when it is a valid band id (e.g. ``bandsense-sim-01``), else the
    address (``AA:BB:CC:DD:EE:FF`` is valid; other platforms' UUID addresses too)."""
    for candidate in (name, address, address.replace("-", "")):
        if candidate:
            try:
                return validate_band_id(candidate)
            except ValueError:
                continue
    raise ValueError(f"no valid band id for device {name!r} at {address!r}")


@dataclass
class CollectorOptions:
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    topic_prefix: str = DEFAULT_PREFIX
    bands: list[str] = field(default_factory=list)  # names or addresses; empty: discover
    hci: str | None = None  # Bumble HCI spec (--sim); None: bleak's platform backend
    spool_dir: Path = Path("spool")
    spool_max_bytes: int = 1 << 30
    spool_policy: FullPolicy = FullPolicy.DROP_OLDEST
    session: SessionConfig = field(default_factory=SessionConfig)
    scan_s: float = 5.0  # one discovery round
    rescan_s: float = 30.0  # pause between rounds in discovery mode (0: scan once)
    max_bands: int | None = None
    # One band's id in topics and tags (collector.band_id); None: from each device's name.
    band_id: str | None = None
    collector_id: str = field(default_factory=default_collector_id)
    shutdown_timeout_s: float = 15.0
    max_inflight: int = 100


@dataclass
class BandEntry:
    band_id: str
    publisher: Publisher
    publisher_task: asyncio.Task[None]
    session: BandSession | None = None
    session_task: asyncio.Task[None] | None = None


class Collector:
    def __init__(self, options: CollectorOptions) -> None:
        self.options = options
        self.entries: dict[str, BandEntry] = {}
        self._tg: asyncio.TaskGroup | None = None
        self._scanner_backend: type[BaseBleakScanner] | None = None
        self._client_backend: type[BaseBleakClient] | None = None
        self.all_found = asyncio.Event()
        self._reset_lock = asyncio.Lock()
        self._last_reset = -1e9
        self.backend_resets = 0

    # -- entry point --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self._scanner_backend, self._client_backend = backend_classes(self.options.hci)
        self.options.spool_dir.mkdir(parents=True, exist_ok=True)
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            self._replay_leftover_spools()
            discovery = tg.create_task(self._discover())
            await stop.wait()
            discovery.cancel()
            await self._shutdown()

    async def _shutdown(self) -> None:
        log.info("shutting down: stopping %d band(s)", len(self.entries))
        sessions = [e for e in self.entries.values() if e.session_task is not None]
        for entry in sessions:
            assert entry.session is not None
            entry.session.stop()
        tasks = [e.session_task for e in sessions if e.session_task is not None]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.options.shutdown_timeout_s):
                await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            if not task.done():  # a BLE stack that hangs must not hang the shutdown
                log.warning("%s did not stop in time; cancelled", task.get_name())
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Each publisher gets the rest of the shutdown budget to empty its spool.
        results = await asyncio.gather(
            *(e.publisher.drain(self.options.shutdown_timeout_s) for e in self.entries.values())
        )
        for entry, drained in zip(self.entries.values(), results, strict=True):
            if not drained:
                log.warning(
                    "%s: %d messages not acknowledged yet; kept in the spool for the next run",
                    entry.band_id,
                    entry.publisher.backlog,
                )
            entry.publisher.stop(self._offline_status(entry))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10.0):
                await asyncio.gather(
                    *(e.publisher_task for e in self.entries.values()), return_exceptions=True
                )
        for entry in self.entries.values():
            entry.publisher_task.cancel()
            entry.publisher.spool.close()

    def _offline_status(self, entry: BandEntry) -> BandStatusMessage:
        session = entry.session
        if session is not None:
            return session.status_message("offline", "collector stopped")
        return BandStatusMessage(
            band_id=entry.band_id,
            state="offline",
            collector=self.options.collector_id,
            time_s=time.time(),
            reason="collector stopped",
        )

    # -- publishers -----------------------------------------------------------------------------

    def _entry(self, band_id: str) -> BandEntry:
        entry = self.entries.get(band_id)
        if entry is not None:
            return entry
        assert self._tg is not None
        spool = Spool(
            self.options.spool_dir / f"{band_id}.sqlite",
            max_bytes=self.options.spool_max_bytes,
            policy=self.options.spool_policy,
        )
        publisher = Publisher(
            self.options.broker,
            BandTopics(band_id, self.options.topic_prefix),
            spool,
            collector_id=self.options.collector_id,
            max_inflight=self.options.max_inflight,
            backoff=Backoff(
                self.options.session.backoff_initial_s, self.options.session.backoff_max_s
            ),
        )
        task = self._tg.create_task(publisher.run(), name=f"publish {band_id}")
        entry = BandEntry(band_id, publisher, task)
        self.entries[band_id] = entry
        return entry

    def _replay_leftover_spools(self) -> None:
        for path in sorted(self.options.spool_dir.glob("*.sqlite")):
            try:
                band_id = validate_band_id(path.stem)
            except ValueError:
                continue
            probe = Spool(path)
            count = len(probe)
            probe.close()
            if count:
                log.warning("%s: replaying %d spooled messages from a previous run", band_id, count)
                self._entry(band_id)

    async def _reset_backend(self) -> None:
        """Close the Bumble host(s): the next scanner/client opens a fresh HCI transport
        (a fresh controller on the simulator). Other bands lose their link too and resume
        through RESEND; at most one reset per 20 s whatever the number of bands asking."""
        async with self._reset_lock:
            if time.monotonic() - self._last_reset < 20.0:
                return
            self._last_reset = time.monotonic()
            self.backend_resets += 1
            from collector.backends import close_hosts

            with contextlib.suppress(Exception):
                async with asyncio.timeout(15.0):
                    await close_hosts()

    # -- discovery ------------------------------------------------------------------------------

    def _wanted(self, device: BLEDevice, adv: AdvertisementData) -> DeviceProfile | None:
        profile = profile_for_services(adv.service_uuids)
        if profile is None:
            return None
        if not self.options.bands:
            return profile
        keys = {device.address.upper(), (adv.local_name or ""), (device.name or "")}
        if any(b in keys or b.upper() in keys for b in self.options.bands):
            return profile
        return None

    def _on_advertisement(self, device: BLEDevice, adv: AdvertisementData) -> None:
        profile = self._wanted(device, adv)
        if profile is None:
            return
        try:
            band_id = self.options.band_id or band_id_for(
                adv.local_name or device.name, device.address)
        except ValueError as exc:
            log.warning("%s", exc)
            return
        entry = self.entries.get(band_id)
        if entry is not None and entry.session is not None:
            return
        active = sum(1 for e in self.entries.values() if e.session is not None)
        if self.options.max_bands is not None and active >= self.options.max_bands:
            return
        self._start_session(band_id, device, profile)

    def _start_session(self, band_id: str, device: BLEDevice, profile: DeviceProfile) -> None:
        assert self._tg is not None
        entry = self._entry(band_id)
        log.info("%s: found %s at %s", band_id, profile.kind, device.address)
        entry.session = BandSession(
            device,
            band_id,
            profile,
            entry.publisher,
            collector_id=self.options.collector_id,
            config=self.options.session,
            client_backend=self._client_backend,
            reset_backend=self._reset_backend if self.options.hci else None,
        )
        entry.session_task = self._tg.create_task(entry.session.run(), name=f"band {band_id}")
        if self._all_wanted_found():
            self.all_found.set()

    def _all_wanted_found(self) -> bool:
        found = {e.band_id for e in self.entries.values() if e.session is not None}
        if self.options.bands:
            addresses = {
                e.session.address.upper() for e in self.entries.values() if e.session is not None
            }
            return all(b in found or b.upper() in addresses for b in self.options.bands)
        return self.options.max_bands is not None and len(found) >= self.options.max_bands

    async def _discover(self) -> None:
        while True:
            self.all_found.clear()
            if not self._all_wanted_found():
                try:
                    async with BleakScanner(
                        self._on_advertisement,
                        service_uuids=SERVICE_UUIDS,
                        backend=self._scanner_backend,
                    ):
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(self.options.scan_s):
                                await self.all_found.wait()
                except Exception as exc:  # adapter trouble: log and try again later
                    log.warning("scan failed: %s: %s", type(exc).__name__, exc)
            if self.options.bands and self._all_wanted_found():
                return
            if not self.options.bands and self.options.rescan_s <= 0 and self.entries:
                return
            missing = [b for b in self.options.bands if not self._all_wanted_found()]
            if missing:
                log.info("still looking for %s", ", ".join(self.options.bands))
            await asyncio.sleep(self.options.rescan_s if not self.options.bands else 1.0)
