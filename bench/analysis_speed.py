"""Speed of the analysis: offline (x real time on an hour at 200 Hz) and live (bands/core).

    .venv/bin/python bench/analysis_speed.py [--minutes 60] [--rate 200] [--repeat 5]
        [--batches-ms 100,250]

The recording is the simulator's full session at 200 Hz, repeated to reach the wanted
length, written as CSV and read back. Offline: CSV parsing, analysis and both together,
as multiples of real time (best of ``--repeat``), with where the analysis time goes (the
detector, and the profile fits inside the per-window analysis). Live: one LiveAnalyzer
fed the same samples in batches of 100 ms and 250 ms (as the collector delivers them);
samples/s / rate = bands per core, split into the per-batch cost and the per-window
analysis (the same as offline). Also the live latency: time from a rep's end to the end
of the batch that first emitted it; and whether live ended equal to offline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import analysis.engine as engine_mod  # noqa: E402
import analysis.window as window_mod  # noqa: E402
from analysis.csvio import Recording, read_recording  # noqa: E402
from analysis.detect import Detector  # noqa: E402
from analysis.live import LiveAnalyzer  # noqa: E402
from analysis.offline import analyze  # noqa: E402
from bandsense.model import Rep  # noqa: E402


def make_recording(minutes: float, rate: float, out: Path) -> Path:
    from firmware_sim.record import record, write_csv
    from firmware_sim.scenario import load_scenario

    parts_t: list[np.ndarray] = []
    parts_f: list[np.ndarray] = []
    parts_s: list[np.ndarray | None] = []
    offset, seed = 0.0, 4242
    while offset < minutes * 60.0:
        res = record(load_scenario("full_session"), out / f"part{seed}", rate_hz=rate, seed=seed)
        rec = read_recording(res.csv_path)
        parts_t.append(rec.time_s - rec.time_s[0] + offset)
        parts_f.append(rec.force_n)
        parts_s.append(rec.stretch_mm)
        offset = float(parts_t[-1][-1]) + 1.0 / rate
        seed += 1
    t = np.concatenate(parts_t)
    keep = t < minutes * 60.0
    stretch = [p for p in parts_s if p is not None]
    s = np.concatenate(stretch) if len(stretch) == len(parts_s) else None
    path = out / "hour.csv"
    write_csv(path, t[keep], np.concatenate(parts_f)[keep], s[keep] if s is not None else None)
    return path


class _Clock:
    """Accumulated wall time of calls to a wrapped function."""

    def __init__(self) -> None:
        self.total = 0.0
        self.calls = 0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.total += time.perf_counter() - t0
                self.calls += 1
        return timed


@contextmanager
def _timing(module: Any, name: str) -> Iterator[_Clock]:
    clock, orig = _Clock(), getattr(module, name)
    setattr(module, name, clock.wrap(orig))
    try:
        yield clock
    finally:
        setattr(module, name, orig)


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def offline(rec: Recording, path: Path, duration: float, repeat: int) -> None:
    parse_s, _ = _best(lambda: read_recording(path), repeat)
    print(f"CSV parse: {parse_s:.3f} s -> {duration / parse_s:,.0f}x real time")
    for label, stretch in (("force + stretch", rec.stretch_mm), ("force only", None)):
        def run(s: np.ndarray | None = stretch) -> Any:
            return analyze(rec.time_s, rec.force_n, s)
        best, result = _best(run, repeat)
        print(f"offline {label}: analysis {best:.3f} s -> {duration / best:,.0f}x real time; "
              f"with CSV parse {best + parse_s:.3f} s -> {duration / (best + parse_s):,.0f}x "
              f"({len(result.reps)} reps, {len(result.sets)} sets, {len(result.holds)} holds)")
    det_s, _ = _best(lambda: Detector().feed(rec.time_s, rec.force_n), repeat)
    with _timing(window_mod, "fit_rise") as fits, _timing(engine_mod, "analyze_window") as win:
        t0 = time.perf_counter()
        analyze(rec.time_s, rec.force_n, rec.stretch_mm)
        total = time.perf_counter() - t0
    print(f"  where the time goes (force + stretch, one run, {total:.3f} s): detector "
          f"{det_s:.3f} s; window analysis {win.total:.3f} s for {win.calls} windows, of which "
          f"profile fits {fits.total:.3f} s ({fits.calls} fits, "
          f"{1000 * fits.total / max(fits.calls, 1):.2f} ms each) and filters, peaks, "
          f"metrics {win.total - fits.total:.3f} s; the rest {total - det_s - win.total:.3f} s")


def live(rec: Recording, rate: float, batch: int, repeat: int = 1) -> None:
    """The whole recording fed in batches; the fastest of ``repeat`` runs is reported
    (on a shared machine the others measure the neighbours)."""
    n = len(rec.time_s)
    runs = []
    for _ in range(max(1, repeat)):
        analyzer = LiveAnalyzer(band_id="bench")
        latencies: dict[int, float] = {}
        with _timing(engine_mod, "analyze_window") as win:
            t0 = time.perf_counter()
            for i in range(0, n, batch):
                j = min(n, i + batch)
                s = rec.stretch_mm[i:j] if rec.stretch_mm is not None else None
                for e in analyzer.feed(rec.time_s[i:j], rec.force_n[i:j], s):
                    if isinstance(e, Rep) and e.index not in latencies:  # first emission
                        latencies[e.index] = float(rec.time_s[j - 1]) - e.end_s
            analyzer.finish()
            wall = time.perf_counter() - t0
        runs.append((wall, win.total, latencies, analyzer))
    wall, win_total, latencies, analyzer = min(runs, key=lambda r: r[0])
    batches = -(-n // batch)
    per_batch_us = 1e6 * (wall - win_total) / batches
    print(f"live, batches of {batch} ({1000 * batch / rate:.0f} ms): {batches} batches in "
          f"{wall:.2f} s = {n / wall:,.0f} samples/s = {n / wall / rate:,.0f} bands at "
          f"{rate:g} Hz per core")
    print(f"  per batch {per_batch_us:.0f} us outside the window analysis; window analysis "
          f"{win_total:.2f} s ({100 * win_total / wall:.0f}%); fastest of {len(runs)} runs")
    lat = np.array(list(latencies.values())) * 1000
    print(f"  rep latency after the rep's end (ms): median {np.median(lat):.0f}, "
          f"p90 {np.percentile(lat, 90):.0f}, max {lat.max():.0f}, "
          f"{100 * np.mean(lat <= 300):.1f}% within 300 ms (batching included)")
    offline = analyze(rec.time_s, rec.force_n, rec.stretch_mm)
    # A rep followed at once by the next one (no rest) ends where the next begins: its end
    # is certain only once the next rise is under way.
    starts = sorted(r.start_s for r in offline.reps)
    for label, keep in (("followed by rest (>= 0.5 s)", True), ("followed at once", False)):
        sel = []
        for r in offline.reps:
            nxt = next((s0 for s0 in starts if s0 > r.end_s - 1e-9), np.inf)
            if r.index in latencies and ((nxt - r.end_s >= 0.5) == keep):
                sel.append(latencies[r.index] * 1000)
        if sel:
            a = np.array(sel)
            print(f"    reps {label}: {len(a)}, median {np.median(a):.0f}, p90 "
                  f"{np.percentile(a, 90):.0f}, max {a.max():.0f}, "
                  f"{100 * np.mean(a <= 300):.1f}% within 300 ms")
    same = analyzer.summary() == offline
    print(f"  live result equals offline: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batches-ms", default="100,250",
                    help="live batch durations to measure, comma-separated")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = make_recording(args.minutes, args.rate, Path(tmp))
        rec = read_recording(path)
        duration = float(rec.time_s[-1] - rec.time_s[0])
        print(f"recording: {len(rec.time_s)} samples, {duration / 60:.1f} min at "
              f"{args.rate:g} Hz (stretch {'yes' if rec.stretch_mm is not None else 'no'})")
        offline(rec, path, duration, args.repeat)
    for ms in (float(x) for x in args.batches_ms.split(",")):
        live(rec, args.rate, max(1, round(args.rate * ms / 1000.0)), args.repeat)


if __name__ == "__main__":
    main()
