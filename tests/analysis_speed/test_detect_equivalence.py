"""The fast detector (analysis.detect) cuts exactly where the plain reference cuts.

The fast paths (bounds that skip a batch, prefix/suffix minima, the preallocated buffer)
must not change a single cut, rest level or noise estimate, whatever the rate and the
batching; live == offline rests on it.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.detect import Detector
from tests.analysis.gen_model import GenConfig, generate
from tests.analysis_speed.reference_detect import Detector as Reference


def _run(det: Detector | Reference, t: np.ndarray, f: np.ndarray, sizes: np.ndarray
         ) -> list[tuple[int, int, float]]:
    cuts: list[tuple[int, int, float]] = []
    i = k = 0
    while i < len(t):
        b = int(sizes[k % len(sizes)])
        cuts += [(c.trigger, c.cut, c.rest_n) for c in det.feed(t[i:i + b], f[i:i + b])]
        i, k = i + b, k + 1
    return cuts


def _reps(seed: int, rate: float, minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """Reps with and without rest between them, pauses, holds, tugs, noise, spikes, gaps."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, minutes * 60.0, 1.0 / rate)
    f = 20.0 + rng.normal(0.0, rng.uniform(0.02, 0.4), len(t))
    at = 3.0
    while at < t[-1] - 10.0:
        amp = rng.uniform(2.0, 80.0)
        up, top, down = rng.uniform(0.3, 2.0), rng.uniform(0.0, 6.0), rng.uniform(0.3, 2.0)
        u = np.clip((t - at) / up, 0.0, 1.0)
        d = np.clip((t - at - up - top) / down, 0.0, 1.0)
        f += amp * (u * u * (3 - 2 * u) - d * d * (3 - 2 * d))
        at += up + top + down + rng.choice([0.0, 0.1, 0.4, 2.0, 9.0])
    spikes = rng.choice(len(t), len(t) // 500, replace=False)
    f[spikes] += rng.normal(0.0, 30.0, len(spikes))
    keep = rng.random(len(t)) > 0.02  # lost samples: gaps
    return t[keep], f[keep]


def _batchings(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [np.array([n]), np.array([20]), np.array([1, 2, 3, 5, 8, 13]),
            rng.integers(1, 400, 500), rng.integers(100, 3000, 50)]


@pytest.mark.parametrize(("seed", "rate"), [(1, 20.0), (2, 50.0), (3, 200.0), (4, 1000.0)])
def test_same_cuts_as_reference_synthetic(seed: int, rate: float) -> None:
    t, f = _reps(seed, rate, minutes=3.0 if rate < 1000 else 1.0)
    rng = np.random.default_rng(seed)
    expected = _run(Reference(), t, f, np.array([len(t)]))
    assert len(expected) > 5
    for sizes in _batchings(len(t), rng):
        det = Detector()
        assert _run(det, t, f, sizes) == expected
        ref = Reference()
        _run(ref, t, f, sizes)
        assert det.sigma == ref.sigma
        assert np.array_equal(det.recent(30), ref._m_full[-30:])


@pytest.mark.parametrize(("seed", "rate"), [(11, 40.0), (12, 150.0)])
def test_same_cuts_as_reference_generator(seed: int, rate: float) -> None:
    g = generate(seed, GenConfig(rate_hz=rate, exercises=1))
    rng = np.random.default_rng(seed)
    expected = _run(Reference(), g.time_s, g.force_n, np.array([len(g.time_s)]))
    assert len(expected) > 5
    for sizes in _batchings(len(g.time_s), rng):
        assert _run(Detector(), g.time_s, g.force_n, sizes) == expected


def test_flat_signal_never_cuts() -> None:
    t = np.arange(0.0, 60.0, 0.01)
    f = np.full(len(t), 5.0)
    assert _run(Detector(), t, f, np.array([20])) == _run(Reference(), t, f, np.array([20])) == []


def test_checkpoint_cuts_in_long_activity() -> None:
    # Three minutes of continuous movement never rests: the 120 s checkpoint cut.
    t = np.arange(0.0, 200.0, 0.02)
    f = 10.0 + 40.0 * (t > 5.0) * (t < 190.0) * (1.2 + 0.5 * np.sin(t))
    expected = _run(Reference(), t, f, np.array([len(t)]))
    assert any(c[1] - c[0] >= 0.99 * 120.0 / 0.02 for c in expected)
    for sizes in (np.array([7]), np.array([20]), np.array([1000])):
        assert _run(Detector(), t, f, sizes) == expected


def _rewrapped(seed: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Reps and holds on a rest level that steps up and down (the band re-wrapped), with
    sway: the cut where the band settles at a new level (``_SETTLE_S``) in every path."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 240.0, 1.0 / rate)
    f = 5.0 + rng.normal(0.0, 0.05, len(t)) + 0.3 * np.sin(2 * np.pi * 0.2 * t)
    at = 2.0
    while at < t[-1] - 30.0:
        step = rng.uniform(4.0, 12.0)
        f += step * np.clip((t - at) / 1.0, 0.0, 1.0)  # re-wrap: a new rest level for good
        at += rng.uniform(3.0, 15.0)
        amp = rng.uniform(8.0, 25.0)
        for _ in range(int(rng.integers(1, 4))):
            up, top, down = rng.uniform(0.5, 2.0), rng.uniform(0.0, 20.0), rng.uniform(0.5, 2.0)
            u = np.clip((t - at) / up, 0.0, 1.0)
            d = np.clip((t - at - up - top) / down, 0.0, 1.0)
            f += amp * (u * u * (3 - 2 * u) - d * d * (3 - 2 * d))
            at += up + top + down + rng.uniform(0.5, 8.0)
        at += rng.uniform(5.0, 20.0)
    return t, f


@pytest.mark.parametrize(("seed", "rate"), [(21, 25.0), (22, 100.0), (23, 200.0)])
def test_same_cuts_as_reference_with_new_rest_levels(seed: int, rate: float) -> None:
    t, f = _rewrapped(seed, rate)
    rng = np.random.default_rng(seed)
    expected = _run(Reference(), t, f, np.array([len(t)]))
    # Every activity ends well before the 120 s checkpoint: the new levels are rests
    # (without the settling cut the first step holds the detector active until then).
    assert len(expected) > 5 and max(c - a for a, c, _ in expected) < 90.0 * rate
    for sizes in _batchings(len(t), rng):
        assert _run(Detector(), t, f, sizes) == expected
