"""bleak backend over a Bumble host (HCI over TCP/Unix socket, USB/serial, or a LocalLink).

See README.md in this folder for selection, configuration and the pitfalls handled.
"""

from __future__ import annotations

from bandsense.virtual_controller import VirtualController
from collector.backends.bumble.client import BumbleClient
from collector.backends.bumble.scanner import BumbleScanner
from collector.backends.bumble.transport import (
    HCI_ENV_VAR,
    BumbleHost,
    close_hosts,
    configure_bumble,
    get_host,
    register_link,
    unregister_link,
)

__all__ = [
    "HCI_ENV_VAR",
    "BumbleClient",
    "BumbleHost",
    "BumbleScanner",
    "VirtualController",
    "close_hosts",
    "configure_bumble",
    "get_host",
    "register_link",
    "unregister_link",
]
