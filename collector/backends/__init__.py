"""bleak backends for the collector.

The collector only talks to bleak (`BleakScanner`, `BleakClient`). On real adapters it
uses bleak's platform backend (pass `backend=None`); against the simulator, or a USB/serial
HCI controller, it passes the Bumble backend:

    from collector.backends import BumbleClient, BumbleScanner, configure_bumble

    configure_bumble("tcp:127.0.0.1:9000")          # or env BANDSENSE_BUMBLE_HCI
    device = await BleakScanner.find_device_by_filter(..., backend=BumbleScanner)
    async with BleakClient(device, backend=BumbleClient) as client: ...

`backend_classes(hci)` returns the (scanner, client) pair to pass as `backend=`:
(None, None) for bleak's platform backend when `hci` is None, else the Bumble classes
(after configuring that spec).
"""

from __future__ import annotations

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from collector.backends.bumble import (
    HCI_ENV_VAR,
    BumbleClient,
    BumbleHost,
    BumbleScanner,
    VirtualController,
    close_hosts,
    configure_bumble,
    get_host,
    register_link,
    unregister_link,
)


def backend_classes(
    hci: str | None,
) -> tuple[type[BaseBleakScanner] | None, type[BaseBleakClient] | None]:
    """`backend=` values for BleakScanner/BleakClient: platform (None) or Bumble on `hci`."""
    if hci is None:
        return None, None
    configure_bumble(hci)
    return BumbleScanner, BumbleClient


__all__ = [
    "HCI_ENV_VAR",
    "BumbleClient",
    "BumbleHost",
    "BumbleScanner",
    "VirtualController",
    "backend_classes",
    "close_hosts",
    "configure_bumble",
    "get_host",
    "register_link",
    "unregister_link",
]
