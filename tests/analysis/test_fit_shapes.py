"""Movement profiles the fit's shape family must hold (analysis.fit)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.fit import fit_rise, shape_tables


def _tau_guided(s: np.ndarray, k: float) -> np.ndarray:
    """Share of a gap closed at normalised time ``s`` under Lee's tau-G guidance with
    coupling ``k`` (Lee 1998): the gap's tau is ``k`` times that of a closure at constant
    acceleration from rest, so ``(1 - s^2)^(1/k)`` of the gap is left: a quadratic onset,
    and an arrival with zero velocity but a hard deceleration for ``k`` near 1."""
    return 1.0 - (1.0 - np.clip(s, 0.0, 1.0) ** 2) ** (1.0 / k)


@pytest.mark.parametrize("k", [0.55, 0.75, 0.9])
def test_tau_guided_rise_is_timed(k: float) -> None:
    """A noise-free tau-guided rise is timed within 30 ms at both ends (the couplings in
    the family are 0.2 apart). Before these profiles were in the family the onset read
    124 ms early for ``k`` 0.75 and 324 ms for 0.9: the nearest shapes, beta(2.5-3.5,
    1.6), start flatter to follow the abrupt arrival."""
    t = np.arange(0.0, 3.2, 0.02)
    y = 4.0 + 30.0 * _tau_guided((t - 0.8) / 1.3, k)
    fit = fit_rise(t, y, 4.0, 34.0, fix_high=False, average=True)
    assert fit is not None
    assert abs(fit.start_s - 0.8) < 0.03 and abs(fit.end_s - 2.1) < 0.03, fit


@pytest.mark.parametrize("k", [0.55, 0.75, 0.9])
def test_tau_guided_lowering_is_timed(k: float) -> None:
    """The same for a lowering, fitted as the window fits a fall: reversed in time, with
    the falls' family (before: the landing read 141 ms late for ``k`` 0.75, 333 ms for
    0.9)."""
    t = np.arange(0.0, 3.2, 0.02)
    y = 34.0 - 30.0 * _tau_guided((t - 0.8) / 1.3, k)
    fit = fit_rise(-t[::-1], y[::-1], 4.0, 34.0, fix_high=False, average=True,
                   tables=shape_tables(fall=True))
    assert fit is not None
    # On reversed time the fit's start is the landing, its end the departure.
    assert abs(-fit.start_s - 2.1) < 0.03 and abs(-fit.end_s - 0.8) < 0.03, fit
