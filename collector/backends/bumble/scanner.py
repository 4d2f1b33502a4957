"""`BaseBleakScanner` over the shared Bumble host: `BleakScanner(..., backend=BumbleScanner)`."""

from __future__ import annotations

import logging
from typing import Any, Literal

from bleak.backends.scanner import AdvertisementDataCallback, BaseBleakScanner
from bleak.uuids import normalize_uuid_str
from bumble.device import Advertisement, Device

from collector.backends.bumble.advertising import advertisement_data
from collector.backends.bumble.transport import BumbleHost, get_host

logger = logging.getLogger(__name__)


class BumbleScanner(BaseBleakScanner):
    """Active or passive LE scan on the process-wide Bumble host.

    Extra keyword: `hci="tcp:HOST:PORT" | "unix:PATH" | "link:NAME"` (default: the
    configured spec, see `collector.backends.bumble.transport`).

    `BLEDevice.address` is the plain "AA:BB:CC:DD:EE:FF" string; `BLEDevice.details` is
    the typed `bumble.hci.Address` (the string alone loses public/random).
    """

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        *,
        hci: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        if self._service_uuids is not None:
            # bleak only lowercases the filter; advertised UUIDs are normalised to 128 bits.
            self._service_uuids = [normalize_uuid_str(u) for u in self._service_uuids]
        if scanning_mode not in ("active", "passive"):
            raise ValueError(f"scanning_mode must be 'active' or 'passive': {scanning_mode!r}")
        self._active = scanning_mode == "active"
        self._hci = hci
        self._host: BumbleHost | None = None

    async def start(self) -> None:
        if self._host is not None:
            return
        host = await get_host(self._hci)
        self.seen_devices = {}
        host.device.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        try:
            await host.acquire_scan(self._active)
        except BaseException:
            host.device.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
            raise
        self._host = host

    async def stop(self) -> None:
        host, self._host = self._host, None
        if host is None:
            return
        host.device.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await host.release_scan(self._active)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        data = advertisement_data(advertisement)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = advertisement.address
        device = self.create_or_update_device(
            key=address.to_string(True),  # typed key: public and random never merge
            address=address.to_string(False),
            name=data.local_name,
            details=address,
            adv=data,
        )
        self.call_detection_callbacks(device, data)
