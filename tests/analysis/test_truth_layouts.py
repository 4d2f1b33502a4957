"""The truth layout every recent model shares, checked the same way on each of them.

The tenth to twelfth models (``gen_model_j`` .. ``gen_model_l``) were written
independently but mirror one interface (``GenConfig``, ``generate``, the truth dict);
their own test modules check their physics, this one their truth against
``tests/analysis/truth_checks.py``. Recordings come from the same per-model cache as
those modules' (``cached_generator``), so each is generated once per test session.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pytest

from tests.analysis import gen_model_j, gen_model_k, gen_model_l
from tests.analysis.truth_checks import (
    assert_deterministic,
    assert_holds_are_hold_sets,
    assert_rep_truth_is_consistent,
    assert_scores_perfectly,
    assert_sets_hold_their_reps,
    assert_sets_where_the_clean_recording_has_them,
    assert_time_axis,
    assert_truth_moves_with_the_axis,
    cached_generator,
)

SEEDS = tuple(range(6))


@dataclass(frozen=True)
class Layout:
    module: ModuleType
    fast_rate: float  # the high rate its time axis is checked at (besides 20 Hz)
    minutes: tuple[float, float]  # the range of its sessions' length
    conc_profiles: tuple[str, ...]
    ecc_profiles: tuple[str, ...] | None  # None: not recorded per rep


MODELS = {
    # the tenth: DLL stamps of read chunks; the eleventh: samples spread between a USB
    # logger's anchor reads; the twelfth: Modbus polls stamped at the request.
    "tenth": Layout(gen_model_j, 137.0, (5.0, 22.0),
                    ("triphasic", "cocontracted", "hesitant"), None),
    "eleventh": Layout(gen_model_k, 137.0, (5.0, 25.0), gen_model_k.PROFILE_NAMES,
                       gen_model_k.PROFILE_NAMES),
    "twelfth": Layout(gen_model_l, 200.0, (4.0, 30.0), gen_model_l.PROFILE_NAMES,
                      gen_model_l.PROFILE_NAMES),
}
NAMES = tuple(MODELS)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_per_seed_and_config(name: str) -> None:
    gm = MODELS[name].module
    assert_deterministic(lambda seed: gm.generate(seed, gm.GenConfig(rate_hz=20.0)))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fast", [False, True])
def test_time_axis_irregular_monotonic_at_the_configured_rate(name: str, fast: bool) -> None:
    m = MODELS[name]
    gen = cached_generator(m.module)
    rate = m.fast_rate if fast else 20.0
    assert_time_axis(gen(1, rate), rate, jitter_sd_min=2e-5, rate_tol=0.01, minutes=m.minutes)
    clean = gen(1, rate, clean=True, hold=True, stretch=True, still=True)
    assert np.allclose(np.diff(clean.time_s), 1.0 / rate, rtol=0.0, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_truth_is_on_the_recordings_own_axis(name: str) -> None:
    gen = cached_generator(MODELS[name].module)
    a = gen(2, 50.0, clean=True, offset=0.0)
    assert_truth_moves_with_the_axis(a, gen(2, 50.0, clean=True, offset=1234.5), 1234.5)
    # not clean: the truth follows the link's stamps; the sets sit where the clean
    # recording of the same session has them (within the stamping error)
    assert_sets_where_the_clean_recording_has_them(gen(2, 50.0, offset=0.0), a, 0.1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", SEEDS)
def test_truth_is_consistent(name: str, seed: int) -> None:
    m = MODELS[name]
    truth = cached_generator(m.module)(seed).truth
    assert_rep_truth_is_consistent(truth)
    for r in truth["reps"]:
        assert r["concentric_profile"] in m.conc_profiles
        if m.ecc_profiles is not None:
            assert r["eccentric_profile"] in m.ecc_profiles
    assert_sets_hold_their_reps(truth, m.module.EXERCISES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_holds_are_hold_sets_only(name: str, seed: int) -> None:
    # Holds while blowing up a balloon: several breaths.
    gen = cached_generator(MODELS[name].module)
    assert_holds_are_hold_sets(gen(seed, 50.0, hold=True).truth,
                               gen(seed, 50.0, hold=False).truth, longest_s=60.0)


@pytest.mark.parametrize("name", NAMES)
def test_truth_scores_perfectly_against_itself(name: str) -> None:
    gen = cached_generator(MODELS[name].module)
    assert_scores_perfectly(gen(seed).truth for seed in SEEDS)
