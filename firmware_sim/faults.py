"""What the sensor, the band's clock and the radio link do to the physical signal.

Sensor: gaussian noise, baseline drift (random walk and/or linear), isolated spikes of both
signs, quantisation to the protocol's resolution (0.01 N, 0.1 mm) and its integer ranges.
Clock: the band counts microseconds with its own offset and drift (ppm).
Link: frames lost independently, in bursts, and during link drops that the band's buffer
could not cover. All vectorised; each part has its own generator so that changing one
model does not reshuffle the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_sim.scenario import Clock, Link, Sensor, draw

# Protocol limits: force i16 in 0.01 N, stretch u16 in 0.1 mm.
FORCE_MIN_N = -32768 * 0.01
FORCE_MAX_N = 32767 * 0.01
STRETCH_MAX_MM = 65535 * 0.1


@dataclass(frozen=True, slots=True)
class SensorDraw:
    """The sensor parameters drawn for one run (recorded in the truth metadata)."""

    force_noise_n: float
    stretch_noise_mm: float
    drift_walk_n_per_sqrt_s: float
    drift_linear_n_per_min: float
    drift_sine_n: float
    drift_sine_period_s: float
    spikes: int


def quantise(values: np.ndarray, resolution: float) -> np.ndarray:
    """Round to the resolution (no-op for 0)."""
    if resolution <= 0:
        return values
    return np.round(values / resolution) * resolution


def apply_sensor(
    rng: np.random.Generator,
    sensor: Sensor,
    time_s: np.ndarray,
    force_n: np.ndarray,
    stretch_mm: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, SensorDraw]:
    """Measured force and stretch from the physical ones."""
    n = len(time_s)
    rate = (n - 1) / (time_s[-1] - time_s[0]) if n > 1 else 1.0
    noise_n = draw(rng, sensor.force_noise_n)
    noise_mm = draw(rng, sensor.stretch_noise_mm)
    walk = draw(rng, sensor.drift_walk_n_per_sqrt_s)
    linear = draw(rng, sensor.drift_linear_n_per_min)

    sine_n = draw(rng, sensor.drift_sine_n)
    sine_period = max(1.0, draw(rng, sensor.drift_sine_period_s))
    elapsed = time_s - time_s[0]

    force = force_n + rng.normal(0.0, noise_n, n) if noise_n > 0 else force_n.copy()
    if "random_walk" in sensor.drift and walk > 0:
        steps = rng.normal(0.0, walk / np.sqrt(rate), n)
        steps[0] = 0.0
        force += np.cumsum(steps)
    if "linear" in sensor.drift:
        force += linear * elapsed / 60.0
    if "sine" in sensor.drift and sine_n > 0:
        phase = rng.uniform(0.0, 2 * np.pi)
        # Starts at zero so the first rest still shows the true pre-tension.
        force += sine_n * (np.sin(2 * np.pi * elapsed / sine_period + phase) - np.sin(phase))

    duration_min = n / rate / 60.0
    n_spikes = int(rng.poisson(draw(rng, sensor.spikes_per_min) * duration_min))
    if n_spikes:
        where = rng.integers(0, n, n_spikes)
        size = rng.uniform(sensor.spike_n[0], sensor.spike_n[1], n_spikes)
        size *= rng.choice([-1.0, 1.0], n_spikes)
        lo, hi = round(sensor.spike_samples[0]), round(sensor.spike_samples[1])
        width = rng.integers(max(1, lo), max(1, hi) + 1, n_spikes)
        for offset in range(int(width.max())):
            # A wider spike is the same outlier held for a few samples.
            hit = where[width > offset] + offset
            keep = hit < n
            force[hit[keep]] += size[width > offset][keep]

    stretch = stretch_mm + rng.normal(0.0, noise_mm, n) if noise_mm > 0 else stretch_mm.copy()
    force = np.clip(quantise(force, sensor.force_resolution_n), FORCE_MIN_N, FORCE_MAX_N)
    stretch = np.clip(quantise(stretch, sensor.stretch_resolution_mm), 0.0, STRETCH_MAX_MM)
    return force, stretch, SensorDraw(
        noise_n, noise_mm, walk, linear, sine_n if "sine" in sensor.drift else 0.0, sine_period,
        n_spikes,
    )


def device_clock_us(
    rng: np.random.Generator, clock: Clock, time_s: np.ndarray
) -> tuple[np.ndarray, float, int]:
    """The band's clock (int64 microseconds, unwrapped) at each sample: offset + drift."""
    ppm = draw(rng, clock.drift_ppm)
    offset = round(draw(rng, clock.offset_us))
    ticks = offset + np.round(time_s * 1e6 * (1.0 + ppm * 1e-6)).astype(np.int64)
    return ticks, ppm, offset


def csv_time(rng: np.random.Generator, clock: Clock, time_s: np.ndarray) -> np.ndarray:
    """Time stamps written to the offline CSV: true time plus optional jitter (kept ordered)."""
    if clock.csv_jitter_s <= 0 or len(time_s) < 2:
        return time_s
    period = float(np.min(np.diff(time_s)))
    # Clipping to under half a period keeps the rows in time order, as the CSV contract needs.
    jitter = np.clip(rng.normal(0.0, clock.csv_jitter_s, len(time_s)), -0.45 * period,
                     0.45 * period)
    return time_s + jitter


def frame_drop_mask(
    seed: int, link: Link, n_samples: int, rate_hz: float, samples_per_frame: int
) -> np.ndarray:
    """Per frame: is it lost for good? Deterministic in (seed, samples_per_frame)."""
    rng = np.random.default_rng([seed, samples_per_frame, 0x6A95])
    n_frames = -(-n_samples // samples_per_frame)
    frame_s = samples_per_frame / rate_hz
    lost = rng.random(n_frames) < link.frame_loss_prob if link.frame_loss_prob > 0 else (
        np.zeros(n_frames, dtype=bool)
    )
    duration_min = n_samples / rate_hz / 60.0
    for _ in range(int(rng.poisson(link.bursts_per_min * duration_min))):
        start = int(rng.integers(0, n_frames))
        length = max(1, round(draw(rng, link.burst_s) / frame_s))
        lost[start : start + length] = True
    for drop in link.drops:
        if drop.lose_data:
            f0 = int(drop.at_s / frame_s)
            f1 = int(np.ceil((drop.at_s + drop.duration_s) / frame_s))
            lost[max(0, f0) : max(0, f1)] = True
    return lost


def default_samples_per_frame(rate_hz: float) -> int:
    """About one frame per 50 ms, as the band firmware sends them."""
    return int(min(255, max(1, round(rate_hz * 0.05))))
