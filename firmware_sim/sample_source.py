"""What the simulated band's sensor sees: arrays over a clean, uniform sample grid.

The firmware model (``firmware_sim.firmware``) only reads a :class:`SampleSource`; where
the numbers come from (H3's scenario synthesis, or the tiny built-in demo signal used by
unit tests) stays outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from firmware_sim.synth import Synthesis

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _no_drops(samples_per_frame: int) -> IntArray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class LinkDropSpec:
    """The link breaks at scenario time ``at_s`` and the band is out of reach for
    ``duration_s``; with ``lose_data`` its buffer does not cover the outage (the frames
    of the outage are gone for good)."""

    at_s: float
    duration_s: float
    lose_data: bool = False


@dataclass(frozen=True, slots=True)
class SampleSource:
    """Samples of one band on the scenario's grid (``time_s`` uniform from 0).

    ``dropped_frames(samples_per_frame)`` names the frame indices the radio loses
    (frames of ``samples_per_frame`` samples counted from the first sample);
    ``link_drops`` are the outages of the link.
    """

    rate_hz: float
    time_s: FloatArray
    force_n: FloatArray
    stretch_mm: FloatArray | None
    device_time_us: IntArray
    dropped_frames: Callable[[int], IntArray] = field(default=_no_drops)
    link_drops: tuple[LinkDropSpec, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.time_s)
        if len(self.force_n) != n or len(self.device_time_us) != n:
            raise ValueError("time_s, force_n and device_time_us must have the same length")
        if self.stretch_mm is not None and len(self.stretch_mm) != n:
            raise ValueError("stretch_mm must have the length of time_s")
        if n == 0:
            raise ValueError("a sample source needs at least one sample")

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1])

    def __len__(self) -> int:
        return len(self.time_s)


def from_synthesis(synth: Synthesis) -> SampleSource:
    """Adapt H3's ``firmware_sim.synth.Synthesis``."""
    return SampleSource(
        rate_hz=float(synth.rate_hz),
        time_s=np.asarray(synth.time_s, dtype=np.float64),
        force_n=np.asarray(synth.force_n, dtype=np.float64),
        stretch_mm=(np.asarray(synth.stretch_mm, dtype=np.float64) if synth.has_stretch else None),
        device_time_us=np.asarray(synth.device_time_us, dtype=np.int64),
        dropped_frames=lambda spf: np.asarray(synth.dropped_frames(spf), dtype=np.int64),
        link_drops=tuple(
            LinkDropSpec(float(d.at_s), float(d.duration_s), bool(d.lose_data))
            for d in synth.link_drops
        ),
    )


def demo_source(
    *,
    duration_s: float = 10.0,
    rate_hz: float = 200.0,
    seed: int = 0,
    drop_every: int = 0,
    link_drops: tuple[LinkDropSpec, ...] = (),
    device_t0_us: int = 1_000_000,
) -> SampleSource:
    """A small deterministic signal (slow reps plus noise) for tests without H3's synth.

    ``drop_every=k`` makes the radio lose every k-th frame (k > 0).
    """
    rng = np.random.default_rng(seed)
    n = round(duration_s * rate_hz) + 1
    time_s = np.arange(n, dtype=np.float64) / rate_hz
    reps = 0.5 - 0.5 * np.cos(2.0 * np.pi * time_s / 4.0)
    force = 20.0 + 60.0 * reps + rng.normal(0.0, 0.3, n)
    stretch = 80.0 + 250.0 * reps + rng.normal(0.0, 0.5, n)
    device_us = device_t0_us + np.round(time_s * 1e6).astype(np.int64)

    def drops(spf: int) -> IntArray:
        if drop_every <= 0:
            return np.zeros(0, dtype=np.int64)
        n_frames = -(-n // spf)
        return np.arange(drop_every - 1, n_frames, drop_every, dtype=np.int64)

    return SampleSource(
        rate_hz=rate_hz,
        time_s=time_s,
        force_n=force,
        stretch_mm=stretch,
        device_time_us=device_us,
        dropped_frames=drops,
        link_drops=link_drops,
    )
