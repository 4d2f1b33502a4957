"""Device clock mapping against synthetic bands: drift, random positive delays, wrap,
reconnect gaps and restarts."""

from __future__ import annotations

import numpy as np
import pytest

from collector.clock import WRAP_US, ClockConfig, DeviceClock

WALL0 = 1_790_000_000.0


def synth(
    *,
    seconds: float,
    frame_s: float,
    drift_ppm: float,
    dev0_us: int,
    seed: int,
    outage: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True send times (s since WALL0), raw wrapped device times of each frame's last
    sample, and receive times (wall) with positive delays: 1.5 ms + exponential(6 ms),
    and 2% of frames held back 50-800 ms (retransmissions)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, frame_s)
    if outage is not None:
        t = t[(t < outage[0]) | (t >= outage[1])]
    dev = dev0_us + np.round(t * (1.0 + drift_ppm * 1e-6) * 1e6).astype(np.int64)
    delay = 0.0015 + rng.exponential(0.006, t.size)
    slow = rng.random(t.size) < 0.02
    delay[slow] += rng.uniform(0.05, 0.8, int(slow.sum()))
    return t, dev % WRAP_US, WALL0 + t + delay


def run(clock: DeviceClock, raw: np.ndarray, recv: np.ndarray) -> np.ndarray:
    """Feed frames in order; map each frame's device time with the estimate current at its
    arrival (what the collector publishes). Returns the mapped wall times."""
    mapped = np.empty(raw.size)
    for i in range(raw.size):
        d = clock.unwrap(raw[i : i + 1], float(recv[i]))
        clock.observe(int(d[0]), float(recv[i]))
        mapped[i] = clock.to_wall(d)[0]
    return mapped


@pytest.mark.parametrize("drift_ppm", [-50.0, 0.0, 50.0])
def test_hour_with_drift_and_wrap_stays_within_few_ms(drift_ppm: float) -> None:
    # The device clock wraps 10 s in (and again 71.6 min later is beyond the hour).
    t, raw, recv = synth(
        seconds=3600.0, frame_s=0.1, drift_ppm=drift_ppm, dev0_us=WRAP_US - 10_000_000, seed=1
    )
    clock = DeviceClock()
    mapped = run(clock, raw, recv)
    err = mapped - (WALL0 + t)
    settled = t > 30.0
    assert np.max(np.abs(err[settled])) < 0.004
    # Even the first seconds are no worse than the first frames' delay.
    assert np.max(np.abs(err)) < 0.05
    assert abs(clock.drift_ppm - drift_ppm) < 2.0


def test_reconnect_after_long_outage_across_a_wrap() -> None:
    # 50 minutes without frames (link down), during which the device clock wraps: the
    # unwrap must use the receive time, not the last value seen.
    t, raw, recv = synth(
        seconds=4000.0,
        frame_s=0.1,
        drift_ppm=40.0,
        dev0_us=WRAP_US - 600_000_000,
        seed=2,
        outage=(300.0, 3300.0),
    )
    clock = DeviceClock()
    mapped = run(clock, raw, recv)
    err = mapped - (WALL0 + t)
    assert np.max(np.abs(err[t > 30.0])) < 0.006
    assert clock.resets == 0


def test_resent_frames_unwrap_behind_the_newest() -> None:
    t, raw, recv = synth(
        seconds=120.0, frame_s=0.05, drift_ppm=20.0, dev0_us=WRAP_US - 60_000_000, seed=3
    )
    clock = DeviceClock()
    run(clock, raw, recv)
    # A frame from 90 s ago (before the wrap) resent now: it must land 90 s back.
    old = int(np.searchsorted(t, 25.0))
    d = clock.unwrap(raw[old : old + 1], float(recv[-1]) + 0.01)
    expected_unwrapped = WRAP_US - 60_000_000 + round(t[old] * (1 + 20e-6) * 1e6)
    assert int(d[0]) == expected_unwrapped
    assert abs(clock.to_wall(d)[0] - (WALL0 + t[old])) < 0.004


def test_band_restart_is_detected_and_estimate_restarts() -> None:
    _, raw1, recv1 = synth(seconds=60.0, frame_s=0.1, drift_ppm=30.0, dev0_us=5_000_000_000, seed=4)
    clock = DeviceClock()
    run(clock, raw1, recv1)
    # The band reboots: its clock starts again near zero one minute later.
    t2, raw2, recv2 = synth(seconds=60.0, frame_s=0.1, drift_ppm=30.0, dev0_us=1000, seed=5)
    mapped = run(clock, raw2, recv2 + 120.0)
    err = mapped - (WALL0 + 120.0 + t2)
    assert clock.resets == 1
    assert np.max(np.abs(err[t2 > 30.0])) < 0.004


def test_vectorised_mapping_of_a_frame() -> None:
    clock = DeviceClock()
    raw = np.array([WRAP_US - 10, WRAP_US - 5, WRAP_US, WRAP_US + 5], dtype=np.int64)
    d = clock.unwrap(raw, WALL0)
    assert list(d) == [WRAP_US - 10, WRAP_US - 5, WRAP_US, WRAP_US + 5]
    clock.observe(int(d[-1]), WALL0)
    assert np.allclose(clock.to_wall(d) - WALL0, (d - d[-1]) * 1e-6, rtol=0, atol=1e-6)


def test_simulator_speed_factor() -> None:
    # A simulator running 20x faster than real time: device seconds pass 20x faster.
    speed = 20.0
    t, raw, recv = synth(seconds=3600.0, frame_s=0.1, drift_ppm=30.0, dev0_us=0, seed=6)
    recv_fast = WALL0 + (recv - WALL0) / speed  # same delays, compressed
    clock = DeviceClock(ClockConfig(nominal_slope=1.0 / speed))
    mapped = run(clock, raw, recv_fast)
    err = mapped - (WALL0 + t / speed)
    assert np.max(np.abs(err[t > 60.0])) < 0.004
    assert clock.resets == 0
    assert abs(clock.drift_ppm - 30.0) < 5.0
