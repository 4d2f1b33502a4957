"""Consumer-side duplicate filter for SampleBatch streams.

The collector delivers every batch at least once, in order per band: a batch whose PUBACK
was lost is published again after a reconnect. Consumers that need exactly-once keep the
highest ``seq_last`` they accepted per (band, session) and drop batches at or below it.
Analysis and storage consumers can use this class directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bandsense.model import SampleBatch


@dataclass
class BatchDeduper:
    duplicates: int = 0
    _last: dict[tuple[str, str], int] = field(default_factory=dict)

    def accept(self, batch: SampleBatch) -> bool:
        """True for a batch not seen before; False for a repeat (counted)."""
        key = (batch.band_id, batch.session_id)
        last = self._last.get(key)
        if last is not None and batch.seq_last <= last:
            self.duplicates += 1
            return False
        self._last[key] = batch.seq_last
        return True
