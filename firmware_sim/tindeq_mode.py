"""The simulated band presented as a Tindeq Progressor (the collector's second profile).

Same sample engine as the band (:class:`~firmware_sim.firmware.BandFirmware`, source
resampled to the Progressor's 80 Hz, no stretch), different face: the Progressor service
with a data characteristic (notify) and a control point (write, with or without response).
Commands: tare (0x64), start weight (0x65), stop (0x66), sleep (0x6E: stop and drop the
link), battery (0x6F: answered on the data characteristic as tag 0, uint32 mV). Weight
data goes out as tag-1 frames of (float32 kg, uint32 us since the measurement started),
encoded with ``bandsense.protocol.tindeq``. The Progressor has no resend: frames lost on
the air are lost; unknown or malformed commands are ignored, as the device does.
"""

from __future__ import annotations

import logging

import numpy as np
from bumble import hci
from bumble.controller import Controller
from bumble.gatt import Characteristic, Service

from bandsense.protocol import tindeq
from bandsense.protocol.band import Command, ProtocolError, encode_command
from firmware_sim.firmware import BandFirmware, CommandOutcome, FirmwareConfig, Tick
from firmware_sim.peripheral import NAME_PREFIX, SimPeripheral, VirtualClock, no_access

log = logging.getLogger(__name__)

TINDEQ_NAME_PREFIX = "Progressor_"
TINDEQ_RATE_HZ = 80
_EMPTY_MV = 3300
_FULL_MV = 4200


def tindeq_config() -> FirmwareConfig:
    """Firmware settings of a Progressor: no stretch, weight records per notification."""
    return FirmwareConfig(
        has_stretch=False,
        frame_capacity=lambda mtu, _stretch: tindeq.weight_records_per_notification(mtu),
    )


def tindeq_name(band_name: str) -> str:
    """``bandsense-sim-03`` -> ``Progressor_SIM03`` (the real ones end in a serial)."""
    return TINDEQ_NAME_PREFIX + "SIM" + band_name.removeprefix(NAME_PREFIX)


class TindeqPeripheral(SimPeripheral):
    """A Progressor on the virtual link. Build it with ``make_band(..., cls=TindeqPeripheral,
    config=tindeq_config())`` or ``InProcessLink.add_band(..., cls=..., config=...)``."""

    service_uuid = tindeq.SERVICE_UUID

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
        super().__init__(
            name=tindeq_name(name),
            address=address,
            controller=controller,
            firmware=firmware,
            clock=clock,
            serial=serial,
        )
        self.firmware.configure_rate(TINDEQ_RATE_HZ)
        self._origin_us: int | None = None  # device time of the measurement's first sample

    def build_services(self) -> list[Service]:
        props = Characteristic.Properties
        self.data_char = Characteristic(
            tindeq.DATA_UUID, props.NOTIFY, Characteristic.Permissions(0), no_access()
        )
        self.control_char = Characteristic(
            tindeq.CONTROL_POINT_UUID,
            props.WRITE | props.WRITE_WITHOUT_RESPONSE,
            Characteristic.Permissions.WRITEABLE,
            self.control_value(),
        )
        return [Service(tindeq.SERVICE_UUID, [self.data_char, self.control_char])]

    def payloads(self, tick: Tick) -> list[bytes]:
        out = []
        for frame in tick.frames:
            if self._origin_us is None:
                self._origin_us = int(frame.device_time_us[0])
            if frame.lost_on_air:
                continue
            t_us = frame.device_time_us - self._origin_us
            kg = frame.force_n / tindeq.STANDARD_GRAVITY
            out.append(tindeq.encode_weight_frame(kg, np.maximum(t_us, 0)))
        return out

    def battery_mv(self) -> int:
        return round(_EMPTY_MV + (_FULL_MV - _EMPTY_MV) * self.firmware.battery_pct / 100.0)

    async def execute_command(self, data: bytes) -> tuple[bytes | None, CommandOutcome | None]:
        try:
            command = tindeq.decode_command(data)
        except ProtocolError as error:
            log.info("%s: ignoring malformed command %s (%s)", self.name, data.hex(), error)
            return None, None
        op = tindeq.TindeqOpcode
        band_command = {
            op.TARE_SCALE: Command.tare(),
            op.START_WEIGHT_MEAS: Command.start_stream(),
            op.STOP_WEIGHT_MEAS: Command.stop_stream(),
            op.SLEEP: Command.stop_stream(),
        }.get(command.opcode)
        if band_command is not None:
            if command.opcode is op.START_WEIGHT_MEAS and not self.firmware.streaming:
                self._origin_us = None
            _, tick = self.firmware.handle_command(encode_command(band_command), self.clock.now())
            self._queue(self.payloads(tick))
            if command.opcode is op.SLEEP and self.connection is not None:
                await self.connection.disconnect(
                    hci.HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR
                )
        elif command.opcode is op.GET_BATT_VLTG:
            self._queue([tindeq.encode_battery_response(self.battery_mv())])
        elif command.opcode is op.GET_APP_VERSION:
            version = self.firmware.status().firmware_version
            self._queue([tindeq.encode_response(tindeq.TindeqResponse(0, version.encode()))])
        else:
            log.info("%s: ignoring unsupported command 0x%02x", self.name, command.opcode)
        return None, None
