"""The recording CSV: fast strict parsing, errors with line numbers, exit code 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.csvio import parse_recording, read_recording
from bandsense.cli import main
from bandsense.errors import UserError


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rec.csv"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("0.0,1.0,2.0\n0.1,1.0,2.0\n", 1, "missing header"),
        ("time_s,stretch_mm\n0,1\n", 1, "force_n"),
        ("time_s,force_n\n0.0,1.0\n0.1,abc\n", 3, "not a number"),
        ("time_s,force_n\n0.0,1.0\n0.1,nan\n", 3, "finite"),
        ("time_s,force_n\n0.0,1.0\n0.2,1.0\n0.1,1.0\n", 4, "backwards"),
        ("time_s,force_n\n0.0,1.0\n0.1,1.0,3\n", 3, "fields"),
        ("time_s,force_n\n", 1, "no samples"),
    ],
)
def test_malformed_csv_names_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    with pytest.raises(UserError) as err:
        read_recording(_write(tmp_path, text))
    msg = str(err.value)
    assert "\n" not in msg
    assert (f"line {line}:" in msg) or (line == 1 and "no samples" in msg)
    assert words in msg


def test_cli_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "time_s,force_n\n0.0,1.0\n0.1,x1\n")
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(path), "--format", "json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "line 3" in err


def test_stretch_is_optional_and_blank_stretch_is_ignored() -> None:
    rec = parse_recording(b"time_s,force_n\n0,1\n0.01,2\n")
    assert rec.stretch_mm is None and list(rec.force_n) == [1.0, 2.0]
    rec = parse_recording(b"time_s,force_n,stretch_mm\n0,1,\n0.01,2,\n")
    assert rec.stretch_mm is None
    rec = parse_recording(b"stretch_mm,force_n,time_s\n5,1,0\n6,2,0.01\n")
    assert list(rec.stretch_mm) == [5.0, 6.0] and list(rec.time_s) == [0.0, 0.01]


def test_large_file_parses_on_the_fast_path(tmp_path: Path) -> None:
    n = 100_000
    t = np.arange(n) / 200.0
    path = tmp_path / "big.csv"
    np.savetxt(path, np.column_stack([t, np.sin(t), np.cos(t)]), delimiter=",", fmt="%.6f",
               header="time_s,force_n,stretch_mm", comments="")
    rec = read_recording(path)
    assert len(rec.time_s) == n and rec.stretch_mm is not None
    assert np.allclose(rec.force_n, np.round(np.sin(t), 6))


_ROWS = ["0.00,1.5,100.0", "0.01,1.6,100.2", "0.02,1.7,100.4"]


@pytest.mark.parametrize(("label", "text"), [
    ("crlf", "time_s,force_n,stretch_mm\r\n" + "\r\n".join(_ROWS) + "\r\n"),
    ("bom", "\ufefftime_s,force_n,stretch_mm\n" + "\n".join(_ROWS) + "\n"),
    ("spaces", "time_s, force_n, stretch_mm\n"
     + "\n".join(r.replace(",", ", ") for r in _ROWS) + "\n"),
    ("order", "stretch_mm,force_n,time_s\n"
     + "\n".join(",".join(reversed(r.split(","))) for r in _ROWS) + "\n"),
    ("extra", "time_s,force_n,stretch_mm,temp_c\n" + "\n".join(r + ",21.5" for r in _ROWS)
     + "\n"),
    ("quoted", '"time_s","force_n","stretch_mm"\n' + "\n".join(_ROWS) + "\n"),
])
def test_header_and_layout_variants_read_the_same(label: str, text: str) -> None:
    rec = parse_recording(text.encode(), label)
    np.testing.assert_allclose(rec.time_s, [0.0, 0.01, 0.02])
    np.testing.assert_allclose(rec.force_n, [1.5, 1.6, 1.7])
    assert rec.stretch_mm is not None
    np.testing.assert_allclose(rec.stretch_mm, [100.0, 100.2, 100.4])
