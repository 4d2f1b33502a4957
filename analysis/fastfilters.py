"""Drop-in replacements for numpy calls whose fixed cost dominates on short arrays.

The analysis calls these thousands of times per hour of recording on arrays of tens to a
few hundred samples, where ``np.median`` spends most of its time in generic bookkeeping
(axis handling, a NaN check via a third partition index, ``np.mean`` of two values).
The versions here return bit-identical values for 1-D float arrays (NaN included) at
a fraction of the cost; ``tests/analysis_speed`` checks them against numpy.
"""

from __future__ import annotations

import numpy as np


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` for a 1-D array, bit-identical, ~5x cheaper when short."""
    n = len(x)
    if n == 0:
        return float(np.median(x))  # numpy's warning and NaN
    h = n // 2
    if n % 2:
        part = np.partition(x, (h, n - 1))
        mid = float(part[h])
    else:
        part = np.partition(x, (h - 1, h, n - 1))
        # np.median: mean of the two middle values, i.e. their sum halved.
        mid = float((part[h - 1] + part[h]) / 2.0)
    if np.isnan(part[n - 1]):  # NaN sorts last: numpy's median is then NaN
        return float("nan")
    return mid
