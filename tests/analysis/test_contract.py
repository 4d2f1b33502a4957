"""The CLI's output contract: the JSON object of issue 5, the reps CSV and the table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bandsense.cli import main
from tests.analysis.conftest import Sample

TOP = {"recording", "sets", "reps", "holds"}
RECORDING = {"samples": int, "duration_s": float, "sample_rate_hz": float, "gaps": int}
SET = {"index": int, "kind": str, "start_s": float, "end_s": float, "rep_count": int}
REP = {"index": int, "set": int, "start_s": float, "top_start_s": float, "top_end_s": float,
       "end_s": float, "concentric_s": float, "pause_s": float, "eccentric_s": float,
       "peak_force_n": float, "mean_force_n": float, "impulse_ns": float, "partial": bool}
HOLD = {"set": int, "start_s": float, "end_s": float, "duration_s": float,
        "mean_force_n": float, "force_cv": float}


def _typed(obj: dict[str, object], spec: dict[str, type]) -> None:
    for key, typ in spec.items():
        assert key in obj, key
        value = obj[key]
        if typ is float:
            assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        else:
            assert type(value) is typ, (key, value)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code in (0, None)
    return capsys.readouterr().out


def test_json_contract(bridge_50hz: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    assert bridge_50hz.csv_path is not None
    out = _run(capsys, "analyze", str(bridge_50hz.csv_path), "--format", "json")
    doc = json.loads(out)
    assert set(doc) == TOP
    assert set(doc["recording"]) == set(RECORDING)
    _typed(doc["recording"], RECORDING)
    assert doc["recording"]["samples"] == len(bridge_50hz.time_s)
    assert doc["sets"] and doc["reps"]
    for s in doc["sets"]:
        _typed(s, SET)
        assert s["kind"] in ("reps", "hold")
    for r in doc["reps"]:
        _typed(r, REP)
        assert r["start_s"] <= r["top_start_s"] <= r["top_end_s"] <= r["end_s"]
        assert abs(r["concentric_s"] + r["pause_s"] + r["eccentric_s"]
                   - (r["end_s"] - r["start_s"])) < 1e-3
    # Times are on the CSV's own axis; rep indices run in time order across sets.
    assert [r["index"] for r in doc["reps"]] == list(range(len(doc["reps"])))
    assert min(r["start_s"] for r in doc["reps"]) >= bridge_50hz.time_s[0]
    assert sum(s["rep_count"] for s in doc["sets"]) == sum(not r["partial"] for r in doc["reps"])


def test_holds_in_contract(sim_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.analysis.conftest import sim_recording

    s = sim_recording(sim_dir, "table_top_reach", 30.0, 7002)
    assert s.csv_path is not None
    doc = json.loads(_run(capsys, "analyze", str(s.csv_path)))
    assert len(doc["holds"]) == len(s.truth["holds"])
    hold_sets = {h["set"] for h in doc["holds"]}
    for h in doc["holds"]:
        _typed(h, HOLD)
        assert h["duration_s"] > 3.0 and h["force_cv"] >= 0
    for st in doc["sets"]:
        if st["index"] in hold_sets:
            assert st["kind"] == "hold" and st["rep_count"] == 0


def test_csv_and_table_formats(bridge_50hz: Sample, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    # rich falls back to 80 columns when it finds no terminal size (the usual pipe).
    monkeypatch.setenv("COLUMNS", "80")
    assert bridge_50hz.csv_path is not None
    out = _run(capsys, "analyze", str(bridge_50hz.csv_path), "--format", "csv",
               "--prescribe", "10 reps, pause 1.0s")
    lines = out.strip().splitlines()
    header = lines[0].split(",")
    assert header[: len(REP)] == list(REP)
    assert "pause_ok" in header
    doc_reps = len(lines) - 1
    assert doc_reps > 10
    ok = header.index("pause_ok")
    pause = header.index("pause_s")
    for line in lines[1:]:
        cells = line.split(",")
        assert cells[ok] == ("true" if float(cells[pause]) >= 1.0 else "false")
    table = _run(capsys, "analyze", str(bridge_50hz.csv_path), "--format", "table")
    assert "Sets" in table and "Reps" in table
    # Piped (not a terminal): no cell cut short to fit rich's 80-column default.
    assert "\u2026" not in table
    peak = header.index("peak_force_n")
    for line in lines[1:]:
        assert f"{float(line.split(',')[peak]):.1f}" in table


def test_prescription_parsing() -> None:
    from analysis.prescription import parse_prescription
    from bandsense.errors import UserError

    assert parse_prescription("10 reps, pause 1.0s").pause_s == 1.0
    assert parse_prescription("10 reps, pause 1.0s").reps == 10
    assert parse_prescription("pause 2 s").reps is None
    with pytest.raises(UserError):
        parse_prescription("as many as you like")


def test_prescribed_sides_parsing() -> None:
    from analysis.prescription import parse_prescription
    from bandsense.errors import UserError

    p = parse_prescription("3 x 10 reps a leg, pause 1s, right leg first")
    assert (p.reps, p.pause_s, p.sides) == (10, 1.0, ("right", "left"))
    assert [p.side_of_set(i) for i in range(5)] == ["right", "left", "right", "left", "right"]
    assert parse_prescription("left only").sides == ("left",)
    assert parse_prescription("10 reps").side_of_set(0) is None
    with pytest.raises(UserError, match="both"):
        parse_prescription("left first, right only")


def _analyze_json(s: Sample, capsys: pytest.CaptureFixture[str], *args: str
                  ) -> dict[str, Any]:
    assert s.csv_path is not None
    out: dict[str, Any] = json.loads(_run(capsys, "analyze", str(s.csv_path), *args))
    return out


def test_prescribed_sides_label_sets(bridge_50hz: Sample, sim_dir: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Sides follow the plan set by set (holds are sets too), reps take their set's."""
    from firmware_sim.scenario import load_scenario
    from firmware_sim.session_plan import set_sides
    from tests.analysis.conftest import sim_recording

    holds = sim_recording(sim_dir, "table_top_reach", 30.0, 7002)
    for s, scenario in ((bridge_50hz, "single_leg_bridge"), (holds, "table_top_reach")):
        plan = set_sides(load_scenario(scenario))
        assert len(set(plan)) == 2  # the scenario alternates: the test tells sides apart
        res = _analyze_json(s, capsys, "--prescribe", f"{plan[0]} first")
        assert len(res["sets"]) == len(s.truth["sets"])
        assert [x["side"] for x in res["sets"]] == [x["side"] for x in s.truth["sets"]]
        side_of = {x["index"]: x["side"] for x in res["sets"]}
        assert all(r["side"] == side_of[r["set"]] for r in res["reps"])
        res = _analyze_json(s, capsys)
        assert all(x["side"] is None for x in res["sets"] + res["reps"])
