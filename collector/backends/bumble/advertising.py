"""Bumble advertisement -> bleak `AdvertisementData`, and Bumble UUID -> bleak UUID string."""

from __future__ import annotations

import struct
import uuid

from bleak.backends.scanner import AdvertisementData
from bleak.uuids import normalize_uuid_str
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement

_T = AdvertisingData.Type
_UUID_LISTS: dict[int, int] = {
    _T.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    _T.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    _T.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    _T.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    _T.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
    _T.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
}
_SERVICE_DATA: dict[int, int] = {
    _T.SERVICE_DATA_16_BIT_UUID: 2,
    _T.SERVICE_DATA_32_BIT_UUID: 4,
    _T.SERVICE_DATA_128_BIT_UUID: 16,
}


def bleak_uuid(value: UUID) -> str:
    """Bumble UUID (little-endian bytes) -> bleak's lowercase 128-bit string."""
    big_endian = bytes(reversed(value.to_bytes(force_128=True)))
    return normalize_uuid_str(str(uuid.UUID(bytes=big_endian)))


def _uuid_from_le(raw: bytes) -> str:
    return bleak_uuid(UUID.from_bytes(raw))


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """Decode the AD structures ourselves rather than via Bumble's helpers: Bumble reads
    the TX power level unsigned (it is int8), and an active scan's merged advertisement
    plus scan response repeats structures, which bleak expects once."""
    local_name: str | None = None
    shortened_name: str | None = None
    service_uuids: list[str] = []
    manufacturer_data: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    tx_power: int | None = None
    for ad_type, payload in advertisement.data.ad_structures:
        if ad_type in _UUID_LISTS:
            size = _UUID_LISTS[ad_type]
            for offset in range(0, len(payload) - size + 1, size):
                text = _uuid_from_le(payload[offset : offset + size])
                if text not in service_uuids:
                    service_uuids.append(text)
        elif ad_type in _SERVICE_DATA:
            size = _SERVICE_DATA[ad_type]
            if len(payload) >= size:
                service_data[_uuid_from_le(payload[:size])] = bytes(payload[size:])
        elif ad_type == _T.MANUFACTURER_SPECIFIC_DATA and len(payload) >= 2:
            (company,) = struct.unpack_from("<H", payload)
            manufacturer_data[company] = bytes(payload[2:])
        elif ad_type == _T.COMPLETE_LOCAL_NAME:
            local_name = payload.decode("utf-8", errors="replace")
        elif ad_type == _T.SHORTENED_LOCAL_NAME:
            shortened_name = payload.decode("utf-8", errors="replace")
        elif ad_type == _T.TX_POWER_LEVEL and len(payload) == 1:
            (tx_power,) = struct.unpack("b", payload)
    return AdvertisementData(
        local_name=local_name if local_name is not None else shortened_name,
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=service_uuids,
        tx_power=tx_power,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )
