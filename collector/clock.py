"""Map a band's microsecond clock (u32, wraps every 71.6 min) onto wall-clock time.

Two steps:

* **Unwrap**: each raw value is placed on the unwrapped axis nearest to a reference: the
  device time predicted from the receive time once a fit exists (so any disconnect length
  is fine), else the newest value seen. Resent (older) frames unwrap correctly as long as
  they are within half a wrap (35 min) of the reference.
* **Offset + drift**: receive delays are only ever positive, so the best line through the
  (device time, receive time) pairs is the *lower envelope*: the line below every point
  that is highest at the window's mean device time (a small linear programme). For a
  given slope the highest line below all points has intercept ``min(y - b x)``; that
  objective is concave in the slope, so a golden-section search over slope finds the
  optimum with a handful of vectorised passes. Pairs are thinned to the lowest point per
  ``bucket_s`` and kept over a sliding ``window_s``, which follows slow drift changes.

The fixed part of the BLE delay (the smallest delay any notification had) is
unobservable and stays in the offset: times are late by about that (a few ms at most).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

WRAP_US = 1 << 32
_HALF_WRAP_US = 1 << 31
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass
class ClockConfig:
    window_s: float = 600.0  # sliding window of pairs used for the fit
    bucket_s: float = 1.0  # keep one pair (the lowest) per this much device time
    min_span_s: float = 20.0  # below this span, estimate offset only (slope = 1)
    max_drift_ppm: float = 1000.0  # search range for the slope (crystals: < 100 ppm)
    # A pair this far BELOW the line (earlier than possible) or this far above it means
    # the device clock jumped (band restarted): start over.
    jump_below_s: float = 0.5
    jump_above_s: float = 30.0
    refit_every_s: float = 10.0  # once the slope is estimated (it moves slowly)
    # Wall seconds per device second before drift: 1 for a real band; 1/speed for a
    # simulator that runs its virtual clock ``speed`` times faster than real time.
    nominal_slope: float = 1.0


@dataclass
class DeviceClock:
    """Online device-clock to wall-clock mapping for one band (see module docstring)."""

    config: ClockConfig = field(default_factory=ClockConfig)
    resets: int = 0
    _anchor_dev_us: int | None = None
    _anchor_wall_s: float = 0.0
    _newest_us: int | None = None  # newest unwrapped device time seen
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)
    _slope: float = 1.0  # wall seconds per device second
    _intercept: float = 0.0  # wall - anchor_wall at device anchor
    _fitted: bool = False
    _dirty: bool = False
    _next_fit_key: int = 0

    # -- unwrapping ---------------------------------------------------------------------------

    def unwrap(
        self, raw_us: npt.ArrayLike, receive_s: float | None = None
    ) -> npt.NDArray[np.int64]:
        """Unwrap raw device times (any int array, values taken modulo 2**32)."""
        raw = np.asarray(raw_us, dtype=np.int64) % WRAP_US
        if raw.size == 0:
            return raw
        ref = self._reference(receive_s)
        if ref is None:
            ref = int(raw.flat[0])
        out = ref + ((raw - ref + _HALF_WRAP_US) % WRAP_US) - _HALF_WRAP_US
        newest = int(out.max())
        if self._newest_us is None or newest > self._newest_us:
            self._newest_us = newest
        return out

    def _reference(self, receive_s: float | None) -> int | None:
        if receive_s is not None and self._fitted and self._anchor_dev_us is not None:
            self._refit_if_dirty()
            dev_s = (receive_s - self._anchor_wall_s - self._intercept) / self._slope
            return self._anchor_dev_us + round(dev_s * 1e6)
        return self._newest_us

    # -- estimation -----------------------------------------------------------------------------

    def observe(self, device_us: int, receive_s: float) -> bool:
        """Add one pair: unwrapped device time of a live frame's LAST sample and the wall
        time the frame arrived. Resent frames must not be observed (their delay is long).
        Returns True if the pair showed a clock jump and the estimator started over."""
        jumped = False
        if self._anchor_dev_us is None:
            self._anchor_dev_us = device_us
            self._anchor_wall_s = receive_s
        elif self._fitted:
            self._refit_if_dirty()
            residual = receive_s - self.to_wall_scalar(device_us)
            if residual < -self.config.jump_below_s or residual > self.config.jump_above_s:
                self.reset()
                self.resets += 1
                jumped = True
                self._anchor_dev_us = device_us
                self._anchor_wall_s = receive_s
        assert self._anchor_dev_us is not None
        x = (device_us - self._anchor_dev_us) * 1e-6
        y = receive_s - self._anchor_wall_s
        key = math.floor(x / self.config.bucket_s)
        old = self._buckets.get(key)
        b0 = self.config.nominal_slope
        if old is None or y - b0 * x < old[1] - b0 * old[0]:
            self._buckets[key] = (x, y)
            # Refit on new buckets only, and sparsely once the slope is known: the fit
            # moves slowly and costs a few hundred microseconds.
            self._dirty = self._dirty or (old is None and key >= self._next_fit_key)
        if not self._fitted:
            self._refit_if_dirty()
        return jumped

    def reset(self) -> None:
        """Forget everything (the band restarted: its clock no longer continues)."""
        self._anchor_dev_us = None
        self._newest_us = None
        self._buckets.clear()
        self._slope = self.config.nominal_slope
        self._intercept = 0.0
        self._fitted = False
        self._dirty = False
        self._next_fit_key = 0

    @property
    def drift_ppm(self) -> float:
        """How fast the device clock runs, in ppm (positive: it gains on wall time)."""
        self._refit_if_dirty()
        return (self.config.nominal_slope / self._slope - 1.0) * 1e6

    @property
    def ready(self) -> bool:
        return self._anchor_dev_us is not None

    def _refit_if_dirty(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        newest = max(self._buckets)
        oldest_kept = newest - math.ceil(self.config.window_s / self.config.bucket_s)
        for key in [k for k in self._buckets if k < oldest_kept]:
            del self._buckets[key]
        pts = np.array(list(self._buckets.values()), dtype=np.float64)
        x, y = pts[:, 0], pts[:, 1]
        span = float(x.max() - x.min())
        b0 = self.config.nominal_slope
        if span < self.config.min_span_s:
            self._slope = b0
            self._intercept = float(np.min(y - b0 * x))
            self._next_fit_key = newest + 1
        else:
            self._slope, self._intercept = _lower_envelope(x, y, b0, self.config.max_drift_ppm)
            self._next_fit_key = newest + max(
                1, round(self.config.refit_every_s / self.config.bucket_s)
            )
        self._fitted = True

    # -- mapping --------------------------------------------------------------------------------

    def to_wall(self, device_us: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Wall-clock seconds for unwrapped device times (vectorised)."""
        if self._anchor_dev_us is None:
            raise RuntimeError("clock has no observation yet")
        self._refit_if_dirty()
        x = (np.asarray(device_us, dtype=np.int64) - self._anchor_dev_us).astype(np.float64)
        out: npt.NDArray[np.float64] = self._anchor_wall_s + (
            self._intercept + self._slope * (x * 1e-6)
        )
        return out

    def to_wall_scalar(self, device_us: int) -> float:
        assert self._anchor_dev_us is not None
        x = (device_us - self._anchor_dev_us) * 1e-6
        return self._anchor_wall_s + self._intercept + self._slope * x


def _lower_envelope(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], nominal: float, max_ppm: float
) -> tuple[float, float]:
    """Slope and intercept of the line below all points, highest at mean(x)."""
    xc = x - x.mean()

    def height(b: float) -> float:
        return float(np.min(y - b * xc))

    lo, hi = nominal * (1.0 - max_ppm * 1e-6), nominal * (1.0 + max_ppm * 1e-6)
    c = hi - _GOLDEN * (hi - lo)
    d = lo + _GOLDEN * (hi - lo)
    hc, hd = height(c), height(d)
    # Each step shrinks the bracket by 0.618: 50 steps take 2000 ppm below 1e-12.
    for _ in range(50):
        if hc > hd:
            hi, d, hd = d, c, hc
            c = hi - _GOLDEN * (hi - lo)
            hc = height(c)
        else:
            lo, c, hc = c, d, hd
            d = lo + _GOLDEN * (hi - lo)
            hd = height(d)
    b = (lo + hi) / 2.0
    return b, float(np.min(y - b * x))
