"""Shared pieces of the simulator's BLE tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_sim.scenario import load_scenario
from firmware_sim.synth import Synthesis, synthesize

HERE = Path(__file__).parent
ONE_MINUTE = HERE / "one_minute.toml"
ONE_MINUTE_DROP = HERE / "one_minute_drop.toml"


@pytest.fixture(scope="session")
def one_minute() -> Synthesis:
    """H3's synthesis of the one-minute test scenario (frame loss, no link drop)."""
    return synthesize(load_scenario(str(ONE_MINUTE)))


@pytest.fixture(scope="session")
def one_minute_drop() -> Synthesis:
    """The same minute with a 2 s link drop at 20 s."""
    return synthesize(load_scenario(str(ONE_MINUTE_DROP)))
