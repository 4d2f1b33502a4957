"""Offline recording: the CSV contract, gaps from lost frames, the truth file, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bandsense.cli import main
from firmware_sim.record import record
from firmware_sim.scenario import Scenario, parse_scenario
from firmware_sim.synth import synthesize
from firmware_sim.truth import Truth


def _read_csv(path: Path) -> tuple[str, np.ndarray]:
    lines = path.read_text().splitlines()
    return lines[0], np.loadtxt(lines[1:], delimiter=",", ndmin=2)


def test_csv_round_trip(small: Scenario, tmp_path: Path) -> None:
    result = record(small, tmp_path, rate_hz=50, seed=2, samples_per_frame=4)
    header, table = _read_csv(result.csv_path)
    assert header == "time_s,force_n,stretch_mm"
    first = result.csv_path.read_text().splitlines()[1].split(",")
    assert [len(v.split(".")[1]) for v in first] == [6, 2, 2]

    run = synthesize(small, rate_hz=50, seed=2)
    kept = run.kept_samples(4)
    assert len(table) == result.samples == int(kept.sum())
    np.testing.assert_allclose(table[:, 0], run.time_s[kept], atol=5e-7)
    np.testing.assert_allclose(table[:, 1], run.force_n[kept], atol=5e-3)
    np.testing.assert_allclose(table[:, 2], run.stretch_mm[kept], atol=5e-3)
    assert np.all(np.diff(table[:, 0]) > 0)

    truth = Truth.read(result.truth_path)
    assert truth == result.truth
    assert truth.metadata["samples_per_frame"] == 4
    assert truth.metadata["rate_hz"] == 50


def test_lost_frames_are_the_truth_gaps(small: Scenario, tmp_path: Path) -> None:
    result = record(small, tmp_path, rate_hz=100, seed=9, samples_per_frame=5)
    run = synthesize(small, rate_hz=100, seed=9)
    dropped = run.dropped_frames(5)
    assert len(dropped) > 0  # 1% loss plus bursts in the small scenario
    _, table = _read_csv(result.csv_path)
    # Rebuild the missing sample times from the dropped frame indices.
    missing = np.concatenate([np.arange(f * 5, min(f * 5 + 5, run.n_samples)) for f in dropped])
    present = np.setdiff1d(np.arange(run.n_samples), missing)
    np.testing.assert_allclose(table[:, 0], run.time_s[present], atol=5e-7)
    gaps = result.truth.gaps
    assert sum(g.samples for g in gaps) == len(missing) == result.samples_dropped
    times = set(np.round(table[:, 0], 6))
    period = 1 / 100
    for gap in gaps:
        assert round(gap.start_s, 6) not in times and round(gap.end_s, 6) not in times
        assert gap.samples == round((gap.end_s - gap.start_s) / period) + 1
        # The rows around a gap are present: the gap is maximal.
        if gap.start_s > 0:
            assert round(gap.start_s - period, 6) in times
        if gap.end_s < run.time_s[-1]:
            assert round(gap.end_s + period, 6) in times
        # A dropped frame is whole frames of samples.
        assert round(gap.start_s * 100) % 5 == 0


def test_frame_drops_depend_on_frame_size_only_deterministically(small: Scenario) -> None:
    run = synthesize(small, rate_hz=100, seed=9)
    np.testing.assert_array_equal(run.dropped_frames(5), run.dropped_frames(5))
    assert run.frame_drops(5).shape == (-(-run.n_samples // 5),)
    with pytest.raises(ValueError):
        run.dropped_frames(0)


def test_link_drop_that_loses_data_is_a_gap(small_text: str, tmp_path: Path) -> None:
    text = small_text.replace(
        "frame_loss_prob = 0.01\nbursts_per_min = 2.0",
        "frame_loss_prob = 0.0\nbursts_per_min = 0.0\n"
        "drops = [{ at_s = 10.0, duration_s = 1.0, lose_data = true },"
        " { at_s = 20.0, duration_s = 2.0 }]",
    )
    scenario = parse_scenario(text)
    result = record(scenario, tmp_path, rate_hz=100, samples_per_frame=10)
    assert [(g.start_s, g.end_s) for g in result.truth.gaps] == [(10.0, 10.99)]
    assert result.truth.link_drops == [(10.0, 1.0), (20.0, 2.0)]
    assert synthesize(scenario).link_drops_s == [10.0, 20.0]


def test_csv_jitter_keeps_rows_in_order(small_text: str, tmp_path: Path) -> None:
    text = small_text.replace("[link]", "[clock]\ncsv_jitter_s = 0.002\n\n[link]")
    result = record(parse_scenario(text), tmp_path, rate_hz=200)
    _, table = _read_csv(result.csv_path)
    steps = np.diff(table[:, 0])
    assert np.all(steps > 0)
    assert np.std(steps[steps < 0.0075]) > 1e-4  # really irregular


def test_force_only_band_writes_two_columns(small_text: str, tmp_path: Path) -> None:
    text = small_text.replace("[link]", "[sensor]\nhas_stretch = false\n\n[link]")
    result = record(parse_scenario(text), tmp_path, rate_hz=20)
    header, table = _read_csv(result.csv_path)
    assert header == "time_s,force_n"
    assert table.shape[1] == 2


def test_cli_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rec"
    with pytest.raises(SystemExit) as info:
        main(["sim", "record", "--scenario", "table_top_reach", "--out", str(out),
              "--rate", "25", "--seed", "4"])
    assert info.value.code == 0
    truth = Truth.read(out / "truth.json")
    assert truth.metadata["rate_hz"] == 25 and truth.metadata["seed"] == 4
    assert len(truth.holds) == 6
    assert "table_top_reach" in capsys.readouterr().err
    assert (out / "recording.csv").read_text().startswith("time_s,force_n,stretch_mm\n")


def test_cli_unknown_scenario_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sim", "record", "--scenario", "nope", "--out", str(tmp_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'nope'" in err and "full_session" in err


def test_cli_lists_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sim", "scenarios"])
    assert info.value.code == 0
    listed = capsys.readouterr().out
    assert "side_lying_hip_er" in listed and "full_session" in listed


def test_time_offset_moves_csv_and_truth_together(small_text: str, tmp_path: Path) -> None:
    plain = record(parse_scenario(small_text), tmp_path / "a", rate_hz=50)
    text = small_text.replace("[link]", "[clock]\ncsv_time_offset_s = 1000.5\n\n[link]")
    shifted = record(parse_scenario(text), tmp_path / "b", rate_hz=50)
    _, table_a = _read_csv(plain.csv_path)
    _, table_b = _read_csv(shifted.csv_path)
    np.testing.assert_allclose(table_b[:, 0], table_a[:, 0] + 1000.5, atol=2e-6)
    np.testing.assert_array_equal(table_b[:, 1:], table_a[:, 1:])
    a, b = plain.truth, shifted.truth
    assert b.metadata["time_offset_s"] == 1000.5
    for rep_a, rep_b in zip(a.reps, b.reps, strict=True):
        assert rep_b.top_start_s == pytest.approx(rep_a.top_start_s + 1000.5)
        assert rep_b.pause_s == pytest.approx(rep_a.pause_s)
    for gap_a, gap_b in zip(a.gaps, b.gaps, strict=True):
        assert gap_b.start_s == pytest.approx(gap_a.start_s + 1000.5)
    assert b.sets[0].start_s == pytest.approx(a.sets[0].start_s + 1000.5)
    assert b.holds[0].end_s == pytest.approx(a.holds[0].end_s + 1000.5)


def test_cli_bad_rate_and_unwritable_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sim", "record", "--scenario", "table_top_reach", "--out", str(tmp_path),
              "--rate", "0.1"])
    assert info.value.code == 2
    assert "rate" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as info:
        main(["sim", "record", "--scenario", "table_top_reach", "--out", str(blocker / "x"),
              "--rate", "20"])
    assert info.value.code == 2
    assert "cannot create output folder" in capsys.readouterr().err
