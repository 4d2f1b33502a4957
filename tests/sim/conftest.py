"""Small scenarios for the simulator tests (the built-ins are exercised at low rates)."""

from __future__ import annotations

import pytest

from firmware_sim.scenario import Scenario, parse_scenario

SMALL = """
name = "small"
rate_hz = 100
seed = 11
lead_in_s = [1, 2]
tail_s = [1, 2]

[link]
frame_loss_prob = 0.01
bursts_per_min = 2.0
burst_s = [0.2, 0.5]

[[exercises]]
name = "curl"
sides = ["left", "right"]
sets = 2
reps = 6
rest_between_sets_s = [10, 15]
partial_rep_prob = 0.3
fidget = { tugs_per_rest = 2.0, readjust_prob = 1.0, margin_s = 1.5 }

[exercises.tempo]
concentric_s = [0.5, 2.0]
pause_s = [0.0, 1.5]
eccentric_s = [0.6, 2.5]
rest_s = [0.3, 1.0]
no_pause_prob = 0.3

[[exercises]]
name = "reach"
kind = "hold"
sides = ["none"]
sets = 2
rest_between_sets_s = [6, 8]
hold = { breaths = [2, 3], breath_period_s = [2.0, 3.0] }
"""


@pytest.fixture
def small_text() -> str:
    return SMALL


@pytest.fixture
def small() -> Scenario:
    return parse_scenario(SMALL, "small")
