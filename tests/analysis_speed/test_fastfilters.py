"""analysis.fastfilters returns exactly what numpy returns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.fastfilters import median


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 11, 64, 65, 500, 501])
def test_median_is_numpy_median(n: int) -> None:
    rng = np.random.default_rng(n)
    for x in (rng.normal(0.0, 1.0, n), np.round(rng.normal(10.0, 3.0, n), 1),
              np.full(n, 2.5), rng.normal(1e6, 1e-3, n)):
        got = median(x)
        assert got == float(np.median(x))  # bit-identical, not approximately
        assert np.array_equal(x, x.copy())  # input untouched (partition works on a copy)


def test_median_nan_and_strided_views() -> None:
    x = np.array([1.0, np.nan, 3.0, 2.0])
    assert math.isnan(median(x)) and math.isnan(float(np.median(x)))
    y = np.arange(20.0)[::3]
    assert median(y) == float(np.median(y))
    assert median(y[::-1]) == float(np.median(y[::-1]))
