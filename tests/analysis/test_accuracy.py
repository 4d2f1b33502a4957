"""Accuracy against ground truth on a few fixed recordings from both independent models.

Thresholds are a little looser than the targets (the benchmark, bench/accuracy.py,
measures the targets on many recordings); these guard against regressions in CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.offline import analyze
from analysis.scoring import Score
from tests.analysis.conftest import Sample, gen_recording, sim_recording


def _score(samples: list[Sample]) -> dict[str, float]:
    score = Score()
    for s in samples:
        result = analyze(s.time_s, s.force_n, s.stretch_mm)
        score.add(s.truth, json.loads(result.model_dump_json()))
    return score.summary()


def _check(m: dict[str, float], phase_ms: float, pause_pct: float = 92.0) -> None:
    assert m["sets_exact_pct"] == 100.0, m
    assert m["rep_f1"] >= 0.98, m
    for key in ("concentric_mae_ms", "pause_mae_ms", "eccentric_mae_ms"):
        assert m[key] <= phase_ms, (key, m)
    assert m["pause_0.5s_agreement_pct"] >= pause_pct, m
    assert m["holds_found_once"] == m["holds_true"] and m["holds_extra"] == 0, m
    if m["holds_true"]:
        assert m["hold_duration_mae_ms"] <= 400.0, m


def test_simulator_recordings(sim_dir: Path, bridge_50hz: Sample) -> None:
    samples = [
        bridge_50hz,
        sim_recording(sim_dir, "table_top_hip_er", 120.0, 7003),
        sim_recording(sim_dir, "side_lying_hip_er", 25.0, 7004),
        sim_recording(sim_dir, "table_top_reach", 80.0, 7005),
    ]
    _check(_score(samples), phase_ms=100.0)


@pytest.mark.parametrize("has_stretch", [True, False])
def test_independent_generator(has_stretch: bool) -> None:
    samples = [gen_recording(seed, rate_hz=rate, has_stretch=has_stretch)
               for seed, rate in ((9001, 30.0), (9002, 75.0), (9003, 180.0))]
    _check(_score(samples), phase_ms=160.0 if not has_stretch else 120.0)


def test_force_only_simulator(bridge_50hz: Sample) -> None:
    """Without stretch the phases come from force through the band law: looser."""
    s = Sample(bridge_50hz.name, bridge_50hz.time_s, bridge_50hz.force_n, None,
               bridge_50hz.truth)
    _check(_score([s]), phase_ms=150.0, pause_pct=85.0)
