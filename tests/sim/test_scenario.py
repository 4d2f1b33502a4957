"""Scenario format: built-ins load, and every mistake is a one-line UserError with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bandsense.errors import UserError
from firmware_sim.scenario import builtin_names, load_scenario, parse_scenario

EXPECTED = [
    "full_session",
    "side_lying_hip_er",
    "single_leg_bridge",
    "table_top_hip_er",
    "table_top_reach",
]


def test_builtin_names_are_the_seed_exercises_and_the_session() -> None:
    assert builtin_names() == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_every_builtin_loads(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.exercises


def test_full_session_is_the_four_exercises_in_order() -> None:
    names = [e.name for e in load_scenario("full_session").exercises]
    assert names == ["side_lying_hip_er", "single_leg_bridge", "table_top_reach",
                     "table_top_hip_er"]


def test_load_from_path(tmp_path: Path, small_text: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(small_text)
    assert load_scenario(str(path)).name == "small"


def test_unknown_scenario_lists_builtins() -> None:
    with pytest.raises(UserError) as info:
        load_scenario("no_such_thing")
    message = str(info.value)
    assert "no_such_thing" in message
    for name in EXPECTED:
        assert name in message
    assert "\n" not in message


def _bad(small_text: str, old: str, new: str) -> str:
    assert old in small_text
    with pytest.raises(UserError) as info:
        parse_scenario(small_text.replace(old, new, 1), "bad.toml")
    message = str(info.value)
    assert message.startswith("bad.toml: ")
    assert "\n" not in message
    return message


def test_reversed_range_names_its_key_path(small_text: str) -> None:
    message = _bad(small_text, "concentric_s = [0.5, 2.0]", "concentric_s = [2.0, 0.5]")
    assert "exercises[0].tempo.concentric_s" in message
    assert "lo <= hi" in message


def test_unknown_key_names_its_key_path(small_text: str) -> None:
    message = _bad(small_text, "partial_rep_prob = 0.3", "partial_rep_probability = 0.3")
    assert "exercises[0].partial_rep_probability" in message


def test_probability_out_of_range(small_text: str) -> None:
    message = _bad(small_text, "frame_loss_prob = 0.01", "frame_loss_prob = 1.5")
    assert "link.frame_loss_prob" in message


def test_bad_reps_value(small_text: str) -> None:
    message = _bad(small_text, "reps = 6", 'reps = "lots"')
    assert "exercises[0].reps" in message


def test_bad_side(small_text: str) -> None:
    message = _bad(small_text, 'sides = ["none"]', 'sides = ["middle"]')
    assert "exercises[1].sides[0]" in message


def test_zero_concentric_rejected(small_text: str) -> None:
    message = _bad(small_text, "concentric_s = [0.5, 2.0]", "concentric_s = 0")
    assert "exercises[0].tempo" in message


def test_not_toml(small_text: str) -> None:
    message = _bad(small_text, 'name = "small"', "name = ")
    assert "not valid TOML" in message


def test_unknown_use(small_text: str) -> None:
    head = small_text[: small_text.index('[[exercises]]\nname = "reach"')]
    with pytest.raises(UserError) as info:
        parse_scenario(head + '[[exercises]]\nuse = "nope"\n', "bad.toml")
    assert "exercises[1].use" in str(info.value)
    assert "side_lying_hip_er" in str(info.value)


def test_use_with_other_keys_rejected(small_text: str) -> None:
    message = _bad(small_text, '[[exercises]]\nname = "reach"',
                   '[[exercises]]\nuse = "table_top_reach"\nname = "reach"')
    assert "exercises[1]" in message


def test_use_expands_builtin_exercises(small_text: str) -> None:
    head = small_text[: small_text.index('[[exercises]]\nname = "reach"')]
    scenario = parse_scenario(head + '[[exercises]]\nuse = "table_top_reach"\n', "u.toml")
    assert [e.name for e in scenario.exercises] == ["curl", "table_top_reach"]
    assert scenario.exercises[1].kind == "hold"


def test_no_exercises_rejected() -> None:
    with pytest.raises(UserError, match="exercises"):
        parse_scenario('name = "x"\nexercises = []\n', "x.toml")


def test_docs_example_is_a_valid_scenario() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "simulator.md").read_text()
    block = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    scenario = parse_scenario(block, "docs/simulator.md")
    assert [e.kind for e in scenario.exercises] == ["reps", "hold"]
    assert scenario.link.drops[1].lose_data
    assert scenario.sensor.drift == ["random_walk", "linear", "sine"]


def test_drift_shorthands(small_text: str) -> None:
    for short, kinds in (("none", []), ("both", ["random_walk", "linear"]),
                         ("sine", ["sine"])):
        text = small_text.replace("[link]", f'[sensor]\ndrift = "{short}"\n\n[link]')
        assert parse_scenario(text).sensor.drift == kinds


def test_span_must_be_number_or_pair(small_text: str) -> None:
    old = "rest_between_sets_s = [10, 15]"
    message = _bad(small_text, old, "rest_between_sets_s = [10, 15, 20]")
    assert "exercises[0].rest_between_sets_s" in message and "[lo, hi]" in message
    message = _bad(small_text, "rest_between_sets_s = [10, 15]", 'rest_between_sets_s = "long"')
    assert "exercises[0].rest_between_sets_s" in message


def test_reps_must_be_a_whole_number(small_text: str) -> None:
    for bad in ("true", "0", "2.5", "201"):
        message = _bad(small_text, "reps = 6", f"reps = {bad}")
        assert "exercises[0].reps" in message


def test_unknown_profile_named(small_text: str) -> None:
    message = _bad(small_text, "partial_rep_prob = 0.3",
                   "partial_rep_prob = 0.3\nmovement = { profiles = { zigzag = 1.0 } }")
    assert "exercises[0].movement.profiles.zigzag" in message
