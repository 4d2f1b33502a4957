"""`bandsense analyze`: the offline analysis of a recording CSV."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from analysis.prescription import parse_prescription


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"
    table = "table"


def analyze(
    recording: Annotated[
        Path, typer.Argument(help="CSV with header time_s,force_n[,stretch_mm].")],
    fmt: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="json (the contract), csv (reps) or table.")] = OutputFormat.json,
    prescribe: Annotated[str | None, typer.Option(
        "--prescribe",
        help='Prescription to check, e.g. "10 reps, pause 1.0s, left first".')] = None,
) -> None:
    """Find sets, reps (with concentric / pause / eccentric timing) and holds in a recording."""
    # Imported here: scipy/pyarrow take seconds to import and every other bandsense
    # command would pay for them at start-up.
    from analysis.csvio import read_recording
    from analysis.offline import analyze as analyze_arrays
    from analysis.offline import recording_info
    from analysis.output import render_table, to_csv, to_json

    pres = parse_prescription(prescribe) if prescribe else None
    rec = read_recording(recording)
    summary = analyze_arrays(rec.time_s, rec.force_n, rec.stretch_mm, prescription=pres)
    info = recording_info(rec.time_s)
    if fmt is OutputFormat.json:
        sys.stdout.write(to_json(summary, info) + "\n")
    elif fmt is OutputFormat.csv:
        sys.stdout.write(to_csv(summary))
    else:
        render_table(summary, info)


def register(app: typer.Typer) -> None:
    """Add this package's commands to the root app."""
    app.command("analyze")(analyze)
