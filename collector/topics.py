"""MQTT topic names (see docs/mqtt.md); every band id is validated before it becomes a
topic level so no wildcard, separator or control character can reach the broker."""

from __future__ import annotations

from dataclasses import dataclass

from bandsense.model import validate_band_id

DEFAULT_PREFIX = "bandsense"


def validate_prefix(prefix: str) -> str:
    if not prefix or prefix.startswith(("/", "$")) or prefix.endswith("/"):
        raise ValueError(f"invalid topic prefix {prefix!r}: empty, or starts/ends with '/' or '$'")
    if any(c in prefix for c in "+#") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in prefix):
        raise ValueError(f"invalid topic prefix {prefix!r}: wildcards or control characters")
    return prefix


@dataclass(frozen=True)
class BandTopics:
    band_id: str
    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        validate_band_id(self.band_id)
        validate_prefix(self.prefix)

    @property
    def samples(self) -> str:
        return f"{self.prefix}/{self.band_id}/samples"

    @property
    def status(self) -> str:
        return f"{self.prefix}/{self.band_id}/status"

    @property
    def events(self) -> str:
        return f"{self.prefix}/{self.band_id}/events"
