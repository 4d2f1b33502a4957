"""A Bumble virtual controller whose LE connection attempts can be cancelled.

Bumble 0.0.236's `Controller.on_hci_le_create_connection_cancel_command` only answers
"success": the pending connection stays armed, no LE Connection Complete event follows,
so `Device.connect` hangs after its own timeout and every later connect on that
controller fails with COMMAND_DISALLOWED. This subclass implements the spec behaviour
(Vol 4, Part E 7.8.13): drop the pending request and report it with an LE Connection
Complete event carrying UNKNOWN_CONNECTION_IDENTIFIER.

It also completes a local disconnect from a peer that vanished from the link without a
terminate, instead of raising inside the command handler.

Used for every controller a bandsense process puts on a `LocalLink`: the simulator's
link and HCI server (firmware_sim.vlink) and the collector's in-process Bumble host
(collector.backends.bumble). It lives here, in the shared package, so the simulator does
not import the collector nor the collector the simulator.
"""

from __future__ import annotations

import asyncio
from typing import Final

from bumble import hci
from bumble.controller import Controller

ACL_PACKET_LENGTH: Final = 251
"""LE ACL buffer size: with Bumble's default 27 a 247-byte notification is split into
ten ACL fragments; 251 keeps it in one (the platform notes' 5k notifications/s)."""


class VirtualController(Controller):
    """`bumble.controller.Controller` with a working LE Create Connection Cancel and
    251-byte LE ACL buffers (like current real controllers)."""

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
        # The spec orders Command Complete (sent by the caller after we return) before
        # the connection-complete event: defer ours by one loop turn.
        asyncio.get_running_loop().call_soon(self.send_hci_packet, event)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def on_hci_disconnect_command(self, command: hci.HCI_Disconnect_Command) -> None:
        connection = self.find_le_connection_by_handle(command.connection_handle)
        if (
            connection is not None
            and self.link is not None
            and self.link.find_le_controller(connection.peer_address) is None
        ):
            # The peer left the link without a terminate (its process died). Bumble's
            # controller would raise sending the LL terminate and never answer, so the
            # host's disconnect hangs and the ghost connection stays. Finish it locally,
            # as a supervision timeout would.
            self._send_hci_command_status(hci.HCI_COMMAND_STATUS_PENDING, command.op_code)
            self.on_le_disconnected(connection, command.reason)
            return None
        return super().on_hci_disconnect_command(command)
