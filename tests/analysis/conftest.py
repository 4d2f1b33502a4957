"""Shared recordings for the analysis tests (small: the whole suite must stay fast)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.analysis.gen_model import GenConfig, generate


@dataclass(frozen=True)
class Sample:
    """A recording with its truth, from either model."""

    name: str
    time_s: np.ndarray
    force_n: np.ndarray
    stretch_mm: np.ndarray | None
    truth: dict[str, Any]
    csv_path: Path | None = None


def sim_recording(tmp: Path, scenario: str, rate: float, seed: int) -> Sample:
    from analysis.csvio import read_recording
    from firmware_sim.record import record
    from firmware_sim.scenario import load_scenario

    res = record(load_scenario(scenario), tmp / f"{scenario}-{seed}", rate_hz=rate, seed=seed)
    rec = read_recording(res.csv_path)
    truth = json.loads(res.truth_path.read_text())
    return Sample(f"sim:{scenario}@{rate:g}Hz#{seed}", rec.time_s, rec.force_n, rec.stretch_mm,
                  truth, res.csv_path)


def gen_recording(seed: int, **cfg: Any) -> Sample:
    g = generate(seed, GenConfig(**cfg))
    return Sample(f"gen#{seed}", g.time_s, g.force_n, g.stretch_mm, g.truth)


def write_csv(path: Path, s: Sample) -> Path:
    cols = [s.time_s, s.force_n] + ([s.stretch_mm] if s.stretch_mm is not None else [])
    header = "time_s,force_n" + (",stretch_mm" if s.stretch_mm is not None else "")
    np.savetxt(path, np.column_stack(cols), delimiter=",", header=header, comments="",
               fmt=["%.6f", "%.2f"] + (["%.2f"] if s.stretch_mm is not None else []))
    return path


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sim")


@pytest.fixture(scope="session")
def bridge_50hz(sim_dir: Path) -> Sample:
    return sim_recording(sim_dir, "single_leg_bridge", 50.0, 7001)
