"""Controllers on Bumble's virtual ``LocalLink``: creating them, and removing them cleanly.

Bumble's ``LocalLink`` has no supervision timeout: if a controller simply vanishes, its
peers stay "connected" to a ghost and (for a peripheral) never advertise again.
:func:`detach_controller` ends every connection of the controller the way the link layer
would (an LL_TERMINATE_IND to each peer), stops its advertising and scanning, and only
then takes it off the link.
"""

from __future__ import annotations

import asyncio

from bumble import hci, ll
from bumble.controller import Controller
from bumble.link import LocalLink

from bandsense.virtual_controller import VirtualController

# The simulator's controllers carry the same Bumble fixes as the collector's in-process
# host (cancellable LE connection attempts, disconnect from a vanished peer, 251-byte ACL).
SimController = VirtualController


class SimLink(LocalLink):
    """A ``LocalLink`` that hands advertisements only to controllers that listen.

    Bumble's link delivers every advertising PDU to every controller; with 20 bands
    advertising every 20 ms that is 19 000 useless callbacks a second. Only a scanning
    controller, or one waiting to connect, does anything with an advertisement
    (connection requests still go to everyone: the advertiser must get them).
    """

    def send_advertising_pdu(
        self, sender_controller: Controller, packet: ll.AdvertisingPdu
    ) -> None:
        if not isinstance(packet, ll.AdvInd | ll.AdvExtInd):
            super().send_advertising_pdu(sender_controller, packet)
            return
        loop = asyncio.get_running_loop()
        for controller in self.controllers:
            if controller is not sender_controller and (
                controller.le_scan_enable
                or controller.pending_le_connection is not None
                or controller.pending_periodic_advertising_syncs
            ):
                loop.call_soon(controller.on_ll_advertising_pdu, packet)


def new_controller(
    link: LocalLink, name: str, public_address: hci.Address | str | None = None
) -> Controller:
    """A virtual controller attached to ``link`` (see :class:`SimController`)."""
    return SimController(name, link=link, public_address=public_address)


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
