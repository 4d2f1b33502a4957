"""Collector payloads on MQTT besides SampleBatch: the retained band status and events.

Documented in docs/mqtt.md. Serialised with ``model_dump_json()`` like bandsense.model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bandsense.model import BandId

# idle: connected, but the band is not streaming (session finished, battery empty).
LinkState = Literal["connecting", "streaming", "idle", "reconnecting", "offline"]
EventKind = Literal[
    "connected",  # BLE link up and streaming configured
    "disconnected",  # BLE link lost (or declared dead by the liveness check)
    "battery",  # battery level changed
    "gap",  # frames the band no longer held: lost for good
    "band_restarted",  # the band's sequence numbers/clock started over
]


class BandStatusMessage(BaseModel):
    """Retained on ``<prefix>/<band_id>/status``; the broker publishes the same shape with
    ``state="offline"`` as the collector's last will."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["status"] = "status"
    band_id: BandId
    state: LinkState
    collector: str
    time_s: float
    address: str | None = None
    device: Literal["band", "tindeq"] | None = None
    sample_rate_hz: float | None = None
    battery_pct: int | None = Field(default=None, ge=0, le=100)
    reason: str | None = None
    # Counters of this collector run (see docs/mqtt.md).
    frames: int | None = None  # frames received and released in order
    samples: int | None = None
    frames_missing: int | None = None  # frames that were missing at some point
    frames_recovered: int | None = None  # ... and arrived after all (resent)
    frames_lost: int | None = None  # declared gaps: the band no longer held them
    malformed: int | None = None
    reconnects: int | None = None


class BandEvent(BaseModel):
    """One event on ``<prefix>/<band_id>/events`` (QoS 1, spooled like samples)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["event"] = "event"
    band_id: BandId
    event: EventKind
    time_s: float
    collector: str
    battery_pct: int | None = Field(default=None, ge=0, le=100)
    seq_from: int | None = None  # gap: inclusive range of lost frames
    seq_to: int | None = None
    samples: int | None = None  # gap: samples lost (frames x samples per frame)
    reason: str | None = None
