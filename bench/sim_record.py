"""How much faster than real time `bandsense sim record` writes each built-in scenario.

Prints, per built-in scenario: simulated duration, samples, wall time of synthesis alone and
of the whole record (synthesis + CSV + truth JSON), and the speed-up (simulated / wall).
The issue's target: full_session at 200 Hz at least 100x faster than real time.

    .venv/bin/python bench/sim_record.py [--rate 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from firmware_sim.record import record
from firmware_sim.scenario import builtin_names, load_scenario
from firmware_sim.synth import synthesize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    print(f"{'scenario':20s} {'sim s':>8s} {'samples':>9s} {'synth s':>8s} {'record s':>9s} "
          f"{'x real time':>12s}")
    for name in builtin_names():
        scenario = load_scenario(name)
        synth_wall = []
        record_wall = []
        duration = 0.0
        samples = 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            run = synthesize(scenario, rate_hz=args.rate)
            synth_wall.append(time.perf_counter() - began)
            with tempfile.TemporaryDirectory() as tmp:
                result = record(scenario, Path(tmp), rate_hz=args.rate)
            record_wall.append(result.wall_s)
            duration, samples = result.duration_s, run.n_samples
        best = min(record_wall)
        print(f"{name:20s} {duration:8.1f} {samples:9d} {min(synth_wall):8.3f} {best:9.3f} "
              f"{duration / best:11.0f}x")


if __name__ == "__main__":
    main()
