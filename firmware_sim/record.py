"""Offline recording: a scenario written as ``recording.csv`` + ``truth.json``, no BLE.

The CSV is what the band's collector would have stored: ``time_s,force_n,stretch_mm``
(6 / 2 / 2 decimals), with the samples of frames lost for good removed (the truth's
``gaps`` list them). Much faster than real time: everything is vectorised numpy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bandsense.errors import UserError
from firmware_sim import faults
from firmware_sim.scenario import Scenario, draw
from firmware_sim.synth import Synthesis, synthesize
from firmware_sim.truth import Truth, TruthGap

CSV_NAME = "recording.csv"
TRUTH_NAME = "truth.json"


@dataclass(frozen=True, slots=True)
class RecordResult:
    out_dir: Path
    csv_path: Path
    truth_path: Path
    samples: int  # rows written
    samples_dropped: int
    duration_s: float  # simulated
    wall_s: float
    truth: Truth

    @property
    def speedup(self) -> float:
        """Simulated duration / wall time."""
        return self.duration_s / self.wall_s if self.wall_s > 0 else float("inf")


def gaps_from_mask(time_s: np.ndarray, kept: np.ndarray) -> list[TruthGap]:
    """Runs of removed samples as (first missing time, last missing time, count)."""
    lost = (~kept).astype(np.int8)
    edges = np.diff(np.concatenate(([0], lost, [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)  # exclusive
    return [
        TruthGap(start_s=float(time_s[a]), end_s=float(time_s[b - 1]), samples=int(b - a))
        for a, b in zip(starts, stops, strict=True)
    ]


def write_csv(path: Path, time_s: np.ndarray, force_n: np.ndarray,
              stretch_mm: np.ndarray | None) -> None:
    """The CSV contract: header, then one row per sample, fixed decimals."""
    if stretch_mm is None:
        header, fmt = "time_s,force_n", "%.6f,%.2f"
        table = np.column_stack((time_s, force_n))
    else:
        header, fmt = "time_s,force_n,stretch_mm", "%.6f,%.2f,%.2f"
        table = np.column_stack((time_s, force_n, stretch_mm))
    # One format call over the whole table is far faster than savetxt's per-row formatting.
    lines = (fmt + "\n") * len(table)
    body = lines % tuple(table.ravel()) if len(table) else ""
    # "-0.00" is valid but ugly and differs from what a firmware would print.
    body = body.replace("-0.00\n", "0.00\n").replace("-0.00,", "0.00,")
    path.write_text(header + "\n" + body, encoding="utf-8")


def write_recording(
    synthesis: Synthesis, out_dir: Path, *, samples_per_frame: int | None = None
) -> tuple[Path, Path, int, Truth]:
    """Write ``synthesis`` to ``out_dir``; returns (csv, truth, rows written, truth)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder {out_dir}: {exc}") from None
    spf = samples_per_frame or synthesis.scenario.link.samples_per_frame or (
        faults.default_samples_per_frame(synthesis.rate_hz)
    )
    kept = synthesis.kept_samples(spf)
    jitter_rng = np.random.default_rng([synthesis.seed, 0xC5F])
    clock = synthesis.scenario.clock
    times = faults.csv_time(jitter_rng, clock, synthesis.time_s)
    # A recording's time axis need not start at 0 (a collector writes wall-clock seconds).
    offset = round(draw(jitter_rng, clock.csv_time_offset_s), 6)
    truth = synthesis.truth.model_copy(deep=True)
    truth.gaps = gaps_from_mask(synthesis.time_s, kept)
    truth = truth.shifted(offset)
    times = times + offset
    truth.metadata = {**truth.metadata, "samples_per_frame": spf,
                      "dropped_frames": int(synthesis.frame_drops(spf).sum()),
                      "csv_jitter_s": synthesis.scenario.clock.csv_jitter_s}
    csv_path = out_dir / CSV_NAME
    truth_path = out_dir / TRUTH_NAME
    write_csv(
        csv_path, times[kept], synthesis.force_n[kept],
        synthesis.stretch_mm[kept] if synthesis.has_stretch else None,
    )
    truth.write(truth_path)
    return csv_path, truth_path, int(kept.sum()), truth


def record(
    scenario: Scenario,
    out_dir: Path | str,
    *,
    rate_hz: float | None = None,
    seed: int | None = None,
    samples_per_frame: int | None = None,
) -> RecordResult:
    """Synthesize ``scenario`` and write ``recording.csv`` and ``truth.json`` to ``out_dir``."""
    began = time.perf_counter()
    synthesis = synthesize(scenario, rate_hz=rate_hz, seed=seed)
    csv_path, truth_path, rows, truth = write_recording(
        synthesis, Path(out_dir), samples_per_frame=samples_per_frame
    )
    wall = time.perf_counter() - began
    return RecordResult(
        out_dir=Path(out_dir), csv_path=csv_path, truth_path=truth_path, samples=rows,
        samples_dropped=synthesis.n_samples - rows, duration_s=synthesis.duration_s,
        wall_s=wall, truth=truth,
    )
