"""Every model of a recording with ground truth, by the short name the benches use.

One place that lists them, so ``bench/accuracy.py``, ``bench/phase_errors.py`` and
``bench/generators_speed.py`` run the same recordings: the simulator (``firmware_sim``,
written to CSV and read back through the CLI's parser) and the independent generators
under ``tests/analysis`` (each written without reading the others, see their docstrings).
A model's recordings for ``(n, seed)`` are seeds ``seed .. seed + n - 1`` at rates drawn
from 20..200 Hz by ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from tests.analysis import (
    gen_model,
    gen_model_c,
    gen_model_d,
    gen_model_e,
    gen_model_f,
    gen_model_g,
    gen_model_h,
    gen_model_i,
    gen_model_j,
    gen_model_k,
    gen_model_l,
)

RATE_RANGE_HZ = (20.0, 200.0)


@dataclass(frozen=True)
class Recording:
    """One recording of a model and its ground truth (``stretch_mm`` None without stretch)."""

    label: str
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]


# name -> (title, generator module with GenConfig and generate); "sim" is the simulator.
GENERATORS: dict[str, tuple[str, ModuleType]] = {
    "gen": ("independent generator (tests/analysis/gen_model.py)", gen_model),
    "third": ("third generator (tests/analysis/gen_model_c.py)", gen_model_c),
    "fourth": ("fourth generator (tests/analysis/gen_model_d.py)", gen_model_d),
    "fifth": ("fifth generator (tests/analysis/gen_model_e.py)", gen_model_e),
    "sixth": ("sixth generator (tests/analysis/gen_model_f.py)", gen_model_f),
    "seventh": ("seventh generator (tests/analysis/gen_model_g.py)", gen_model_g),
    "eighth": ("eighth generator (tests/analysis/gen_model_h.py)", gen_model_h),
    "ninth": ("ninth generator (tests/analysis/gen_model_i.py)", gen_model_i),
    "tenth": ("tenth generator (tests/analysis/gen_model_j.py)", gen_model_j),
    "eleventh": ("eleventh generator (tests/analysis/gen_model_k.py)", gen_model_k),
    "twelfth": ("twelfth generator (tests/analysis/gen_model_l.py)", gen_model_l),
}
SIM_TITLE = "simulator (firmware_sim)"
NAMES: tuple[str, ...] = ("sim", *GENERATORS)


def title(name: str) -> str:
    return SIM_TITLE if name == "sim" else GENERATORS[name][0]


def sim_cases(n: int, seed: int) -> list[tuple[str, int, float]]:
    """(scenario, seed, rate) of the simulator's recordings: every built-in scenario in turn."""
    from firmware_sim.scenario import builtin_names

    names = builtin_names()
    rng = np.random.default_rng(seed)
    return [(names[i % len(names)], seed + i, float(rng.uniform(*RATE_RANGE_HZ)))
            for i in range(n)]


def _simulated(n: int, seed: int) -> Iterator[Recording]:
    from analysis.csvio import read_recording
    from firmware_sim.record import record
    from firmware_sim.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        for scenario, s, rate in sim_cases(n, seed):
            res = record(load_scenario(scenario), Path(tmp) / f"{scenario}-{s}",
                         rate_hz=rate, seed=s)
            rec = read_recording(res.csv_path)
            yield Recording(f"sim-{scenario}-{s}", rec.time_s, rec.force_n, rec.stretch_mm,
                            json.loads(res.truth_path.read_text()))


def _generated(name: str, n: int, seed: int) -> Iterator[Recording]:
    module = GENERATORS[name][1]
    rng = np.random.default_rng(seed)
    for i in range(n):
        g = module.generate(seed + i, module.GenConfig(rate_hz=float(rng.uniform(*RATE_RANGE_HZ))))
        yield Recording(f"{name}-{seed + i}", g.time_s, g.force_n, g.stretch_mm, g.truth)


def recordings(name: str, n: int, seed: int) -> Iterator[Recording]:
    """The model's ``n`` recordings from ``seed`` (generated lazily, one at a time)."""
    if name == "sim":
        return _simulated(n, seed)
    if name not in GENERATORS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(NAMES)}")
    return _generated(name, n, seed)
