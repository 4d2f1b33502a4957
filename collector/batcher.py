"""Assemble in-order frames into SampleBatch messages of about ``batch_s`` of samples.

A batch holds consecutive frames only; a gap (frames lost for good) closes the current
batch and is attached to the next one (``SampleBatch.gaps`` lie before ``seq_first``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bandsense.model import SampleBatch


@dataclass(frozen=True, slots=True)
class FrameSamples:
    """One frame's samples after clock mapping (the sequencer's payload)."""

    device_us: npt.NDArray[np.int64]  # unwrapped
    time_s: npt.NDArray[np.float64]
    force_n: npt.NDArray[np.float64]
    stretch_mm: npt.NDArray[np.float64] | None
    rate_hz: float

    @property
    def count(self) -> int:
        return int(self.force_n.shape[0])


@dataclass
class Batcher:
    band_id: str
    session_id: str
    batch_s: float = 0.25  # device seconds of samples per message
    _frames: list[tuple[int, FrameSamples]] = field(default_factory=list)
    _gaps: list[tuple[int, int]] = field(default_factory=list)
    _samples: int = 0
    opened_at: float | None = None  # monotonic time the pending batch got its first frame

    @property
    def pending_samples(self) -> int:
        return self._samples

    def add_frame(self, seq: int, frame: FrameSamples, now: float) -> list[SampleBatch]:
        out: list[SampleBatch] = []
        if self._frames:
            last_seq, last = self._frames[-1]
            if (
                seq != last_seq + 1
                or (frame.stretch_mm is None) != (last.stretch_mm is None)
                or frame.rate_hz != last.rate_hz
            ):
                out += self.flush()
        if not self._frames:
            self.opened_at = now
        self._frames.append((seq, frame))
        self._samples += frame.count
        if self._samples >= self.batch_s * frame.rate_hz:
            out += self.flush()
        return out

    def add_gap(self, first: int, last: int) -> list[SampleBatch]:
        out = self.flush()
        if self._gaps and self._gaps[-1][1] + 1 == first:
            self._gaps[-1] = (self._gaps[-1][0], last)
        else:
            self._gaps.append((first, last))
        return out

    def due(self, now: float, max_age_s: float) -> bool:
        return self.opened_at is not None and now - self.opened_at >= max_age_s

    def flush(self) -> list[SampleBatch]:
        if not self._frames:
            return []
        frames = [f for _, f in self._frames]
        stretch = (
            np.concatenate([f.stretch_mm for f in frames if f.stretch_mm is not None]).tolist()
            if frames[0].stretch_mm is not None
            else None
        )
        batch = SampleBatch(
            band_id=self.band_id,
            session_id=self.session_id,
            seq_first=self._frames[0][0],
            seq_last=self._frames[-1][0],
            sample_rate_hz=frames[0].rate_hz,
            time_s=np.concatenate([f.time_s for f in frames]).tolist(),
            device_time_us=np.concatenate([f.device_us for f in frames]).tolist(),
            force_n=np.concatenate([f.force_n for f in frames]).tolist(),
            stretch_mm=stretch,
            gaps=self._gaps,
        )
        self._frames = []
        self._gaps = []
        self._samples = 0
        self.opened_at = None
        return [batch]
