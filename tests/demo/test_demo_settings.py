"""`bandsense demo` takes the scenario, seed and prescription from the settings file
when its flags leave them at their defaults; flags win; the broker stays private."""

from __future__ import annotations

from pathlib import Path

import pytest

from bandsense.config import load_settings
from bandsense.demo import DEFAULT_SCENARIO, DemoOptions, apply_settings

TOML = """
[mqtt]
url = "mqtt://broker.example:1883"
[sim]
scenario = "table_top_reach"
seed = 7
[analysis.prescription]
reps = 10
pause_s = 1.0
"""


def test_settings_fill_what_the_flags_left_at_their_defaults(tmp_path: Path) -> None:
    path = tmp_path / "bandsense.toml"
    path.write_text(TOML)
    options = apply_settings(DemoOptions(), load_settings(path), given=set())
    assert (options.scenario, options.seed) == ("table_top_reach", 7)
    assert options.prescription is not None
    assert (options.prescription.reps, options.prescription.pause_s) == (10, 1.0)
    assert options.mqtt is None  # a collector's broker in the same file is not the demo's


def test_flags_win_over_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "bandsense.toml"
    path.write_text(TOML)
    flags = DemoOptions(scenario="single_leg_bridge", seed=3, prescribe="8 reps")
    options = apply_settings(flags, load_settings(path), given={"scenario", "seed", "prescribe"})
    assert (options.scenario, options.seed, options.prescription) == ("single_leg_bridge", 3, None)


def test_defaults_stay_the_demos_without_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./bandsense.toml
    monkeypatch.delenv("BANDSENSE_CONFIG", raising=False)
    options = apply_settings(DemoOptions(), load_settings(None), given=set())
    assert options == DemoOptions()
    assert options.scenario == DEFAULT_SCENARIO
