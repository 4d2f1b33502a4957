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

# Real BLE controllers answer with larger buffers than Bumble's default 27 bytes; with 251
# a 247-byte notification is one ACL packet, which the platform notes measured at about
# 5k notifications/s on the virtual link.
ACL_PACKET_LENGTH = 251


class SimController(Controller):
    """Bumble's virtual controller with large LE ACL buffers and two fixes a client of the
    served link needs (the collector's backend has the same in
    ``collector/backends/bumble/controller.py``; the simulator does not import the collector):

    - LE Create Connection Cancel really cancels (0.0.236 only answers "success" and keeps
      the attempt armed, so every later connect fails with COMMAND_DISALLOWED);
    - disconnecting from a peer that already left the link completes locally instead of
      raising inside the command handler.
    """

    le_acl_data_packet_length = ACL_PACKET_LENGTH
    supported_max_tx_octets = ACL_PACKET_LENGTH
    supported_max_rx_octets = ACL_PACKET_LENGTH

    def on_hci_le_create_connection_cancel_command(
        self, _command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        event = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address.address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        # Vol 4, Part E 7.8.13: Command Complete (sent by our caller) comes first.
        asyncio.get_running_loop().call_soon(self.send_hci_packet, event)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def on_hci_disconnect_command(self, command: hci.HCI_Disconnect_Command) -> None:
        connection = self.find_le_connection_by_handle(command.connection_handle)
        if (
            connection is not None
            and self.link is not None
            and self.link.find_le_controller(connection.peer_address) is None
        ):
            self._send_hci_command_status(hci.HCI_COMMAND_STATUS_PENDING, command.op_code)
            self.on_le_disconnected(connection, command.reason)
            return None
        return super().on_hci_disconnect_command(command)


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
