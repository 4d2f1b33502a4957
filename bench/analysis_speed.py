"""Speed of the analysis: offline (x real time on an hour at 200 Hz) and live (bands/core).

    /work/venv/bin/python bench/analysis_speed.py [--batch 20] [--minutes 60]

The recording is the simulator's full session at 200 Hz, repeated to reach the wanted
length, written as CSV and read back (CSV parsing is timed separately). Live: one
LiveAnalyzer fed the same samples in batches of ``--batch`` samples (100 ms at 200 Hz),
as the collector delivers them; throughput in samples/s / 200 Hz = bands per core.
Also prints the live latency: time from a rep's end to the end of the batch that
emitted it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.csvio import read_recording  # noqa: E402
from analysis.live import LiveAnalyzer  # noqa: E402
from analysis.offline import analyze  # noqa: E402
from bandsense.model import Rep  # noqa: E402


def make_recording(minutes: float, rate: float, out: Path) -> Path:
    from firmware_sim.record import record, write_csv
    from firmware_sim.scenario import load_scenario

    parts_t, parts_f, parts_s = [], [], []
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
    s = np.concatenate(parts_s) if all(p is not None for p in parts_s) else None
    path = out / "hour.csv"
    write_csv(path, t[keep], np.concatenate(parts_f)[keep], s[keep] if s is not None else None)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = make_recording(args.minutes, args.rate, Path(tmp))
        t0 = time.perf_counter()
        rec = read_recording(path)
        parse_s = time.perf_counter() - t0
    duration = float(rec.time_s[-1] - rec.time_s[0])
    n = len(rec.time_s)
    print(f"recording: {n} samples, {duration / 60:.1f} min at {args.rate:g} Hz "
          f"(stretch {'yes' if rec.stretch_mm is not None else 'no'})")
    print(f"CSV parse: {parse_s:.3f} s ({duration / parse_s:,.0f}x real time)")

    for label, stretch in (("force + stretch", rec.stretch_mm), ("force only", None)):
        best = np.inf
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = analyze(rec.time_s, rec.force_n, stretch)
            best = min(best, time.perf_counter() - t0)
        print(f"offline analysis, {label}: {best:.3f} s -> {duration / best:,.0f}x real time "
              f"({len(result.reps)} reps, {len(result.sets)} sets, {len(result.holds)} holds); "
              f"with CSV parse {duration / (best + parse_s):,.0f}x")

    live = LiveAnalyzer(band_id="bench")
    latencies: list[float] = []
    seen: set[int] = set()
    t0 = time.perf_counter()
    for i in range(0, n, args.batch):
        j = min(n, i + args.batch)
        s = rec.stretch_mm[i:j] if rec.stretch_mm is not None else None
        for e in live.feed(rec.time_s[i:j], rec.force_n[i:j], s):
            if isinstance(e, Rep) and e.index not in seen:  # first (provisional) emission
                seen.add(e.index)
                latencies.append(float(rec.time_s[j - 1]) - e.end_s)
    live.finish()
    wall = time.perf_counter() - t0
    rate = n / wall
    print(f"live: {n / args.batch:.0f} batches of {args.batch} in {wall:.2f} s = "
          f"{rate:,.0f} samples/s = {rate / args.rate:,.0f} bands at {args.rate:g} Hz per core")
    lat = np.array(latencies) * 1000
    print(f"live rep latency after the rep's end (ms): median {np.median(lat):.0f}, "
          f"p90 {np.percentile(lat, 90):.0f}, max {lat.max():.0f} "
          f"(batch granularity {1000 * args.batch / args.rate:.0f} ms included)")
    same = live.summary() == analyze(rec.time_s, rec.force_n, rec.stretch_mm)
    print(f"live result equals offline: {same}")


if __name__ == "__main__":
    main()
