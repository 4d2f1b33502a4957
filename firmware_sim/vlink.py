"""Controllers on Bumble's virtual ``LocalLink``: creating them, and removing them cleanly.

Bumble's ``LocalLink`` has no supervision timeout: if a controller simply vanishes, its
peers stay "connected" to a ghost and (for a peripheral) never advertise again.
:func:`detach_controller` ends every connection of the controller the way the link layer
would (an LL_TERMINATE_IND to each peer), stops its advertising and scanning, and only
then takes it off the link.
"""

from __future__ import annotations

from bumble import hci, ll
from bumble.controller import Controller
from bumble.link import LocalLink

# Real BLE controllers answer with larger buffers than Bumble's default 27 bytes; with 251
# a 247-byte notification is one ACL packet, which the platform notes measured at about
# 5k notifications/s on the virtual link.
ACL_PACKET_LENGTH = 251


def new_controller(
    link: LocalLink, name: str, public_address: hci.Address | str | None = None
) -> Controller:
    """A virtual controller attached to ``link`` with large LE ACL buffers."""
    controller = Controller(name, link=link, public_address=public_address)
    controller.le_acl_data_packet_length = ACL_PACKET_LENGTH
    controller.supported_max_tx_octets = ACL_PACKET_LENGTH
    controller.supported_max_rx_octets = ACL_PACKET_LENGTH
    return controller


def detach_controller(
    link: LocalLink,
    controller: Controller,
    reason: int = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR,
) -> int:
    """End all LE connections of ``controller`` and remove it from ``link``.

    Returns how many connections were ended. Safe to call twice.
    """
    ended = 0
    for connection in list(controller.le_connections.values()):
        peer = link.find_le_controller(connection.peer_address)
        if peer is None or connection.self_address not in peer.le_connections:
            continue  # the peer already ended it (or is gone itself)
        # What the link would deliver (an LL_TERMINATE_IND), delivered now rather than
        # via call_soon: the controller is leaving and must not leave half-ended links.
        peer.on_ll_control_pdu(connection.self_address, ll.TerminateInd(reason))
        ended += 1
    controller.le_connections.clear()
    controller.le_legacy_advertiser.stop()
    for advertising_set in controller.advertising_sets.values():
        advertising_set.stop()
    controller.le_scan_enable = False
    controller.pending_le_connection = None
    controller.host = None
    if controller in link.controllers:
        link.remove_controller(controller)
    return ended
