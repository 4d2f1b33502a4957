"""Device profiles: the GATT layout and decoder of each device the collector reads.

Both devices decode to :class:`bandsense.protocol.DecodedSamples`; what differs is whether
frames carry sequence numbers that can be re-requested (the band) or not (the Tindeq
Progressor, whose lost notifications are simply gone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bleak.uuids import normalize_uuid_str

from bandsense.protocol import DecodedSamples, band, tindeq

DeviceKind = Literal["band", "tindeq"]


@dataclass(frozen=True)
class DeviceProfile:
    kind: DeviceKind
    service_uuid: str
    data_uuid: str  # notify: sample frames (and Tindeq command answers)
    control_uuid: str  # write: commands
    sequenced: bool  # frames carry seq numbers and can be re-sent (RESEND)
    nominal_rate_hz: float | None
    decode: Callable[[bytes | bytearray], DecodedSamples | tindeq.TindeqResponse]


BAND = DeviceProfile(
    kind="band",
    service_uuid=band.SERVICE_UUID,
    data_uuid=band.SAMPLES_UUID,
    control_uuid=band.CONTROL_POINT_UUID,
    sequenced=True,
    nominal_rate_hz=None,
    decode=band.decode_samples,
)

TINDEQ = DeviceProfile(
    kind="tindeq",
    service_uuid=tindeq.SERVICE_UUID,
    data_uuid=tindeq.DATA_UUID,
    control_uuid=tindeq.CONTROL_POINT_UUID,
    sequenced=False,
    nominal_rate_hz=tindeq.NOMINAL_RATE_HZ,
    decode=tindeq.decode_notification,
)

PROFILES: tuple[DeviceProfile, ...] = (BAND, TINDEQ)
SERVICE_UUIDS: list[str] = [p.service_uuid for p in PROFILES]


def profile_for_services(uuids: Iterable[str]) -> DeviceProfile | None:
    """The profile whose service a device advertises (None: not ours)."""
    normalised = {normalize_uuid_str(u) for u in uuids}
    for profile in PROFILES:
        if normalize_uuid_str(profile.service_uuid) in normalised:
            return profile
    return None
