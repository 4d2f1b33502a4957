"""The running medians by comparator network (analysis.median_networks / median_kernels)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from analysis import median_networks
from analysis.filter_kernels import running_median_small
from analysis.median_networks import SIZES, median_network, merge_exchange, render

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _apply(net: list[tuple[int, int]], rows: np.ndarray) -> np.ndarray:
    out = rows.copy()
    for i, j in net:
        lo = np.minimum(out[:, i], out[:, j])
        out[:, j] = np.maximum(out[:, i], out[:, j])
        out[:, i] = lo
    return out


def _zero_one_inputs(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int8)


@pytest.mark.parametrize("n", range(1, 16))
def test_merge_exchange_sorts_every_zero_one_input(n: int) -> None:
    # The 0-1 principle: a comparator network that sorts every input of zeros and ones
    # sorts every input.
    rows = _zero_one_inputs(n)
    np.testing.assert_array_equal(_apply(merge_exchange(n), rows), np.sort(rows, axis=1))


@pytest.mark.parametrize("size", SIZES)
def test_pruned_network_still_selects_the_median(size: int) -> None:
    rows = _zero_one_inputs(size)
    net = median_network(size)
    assert len(net) < len(merge_exchange(size))  # pruning dropped something
    np.testing.assert_array_equal(_apply(net, rows)[:, size // 2],
                                  np.sort(rows, axis=1)[:, size // 2])


def test_median_network_refuses_even_sizes() -> None:
    with pytest.raises(ValueError, match="odd"):
        median_network(10)


def test_generated_module_is_up_to_date() -> None:
    assert median_networks.KERNELS.read_text() == render(), (
        "analysis/median_kernels.py is stale: run python -m analysis.median_networks")


@settings(max_examples=300, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 80), elements=finite),
       size=st.sampled_from([3, *SIZES, 17]), rounded=st.booleans())
def test_running_median_small_is_scipy_median_filter(x: np.ndarray, size: int,
                                                     rounded: bool) -> None:
    if rounded:
        x = np.round(x / 100.0)  # many ties
    np.testing.assert_array_equal(running_median_small(x, size),
                                  ndimage.median_filter(x, size=size, mode="nearest"))


def test_running_median_small_on_a_long_noisy_signal() -> None:
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(size=5000)) + rng.normal(0.0, 2.0, 5000)
    x[rng.integers(0, 5000, 40)] += 50.0  # spikes
    for size in SIZES:
        np.testing.assert_array_equal(running_median_small(x, size),
                                      ndimage.median_filter(x, size=size, mode="nearest"))
