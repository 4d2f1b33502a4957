"""How much faster than real time each test model generates a recording.

Each generator under ``tests/analysis`` is used by the tests and by ``bench/accuracy.py``
(40 recordings per model and seed range), so a slow one slows every accuracy run. Prints,
per model, the recording's duration and samples at ``--rate``, the best wall time of
``--repeat`` runs and the speed-up (recorded time / wall time).

    .venv/bin/python bench/generators_speed.py [--rate 200] [--seed 11] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.analysis.models import GENERATORS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = ap.parse_args()
    print(f"{'model':10s} {'minutes':>8s} {'samples':>9s} {'wall s':>8s} {'x real time':>12s}")
    for name, (_, module) in GENERATORS.items():
        walls = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            g = module.generate(args.seed, module.GenConfig(rate_hz=args.rate))
            walls.append(time.perf_counter() - t0)
        duration = float(g.time_s[-1] - g.time_s[0])
        best = min(walls)
        print(f"{name:10s} {duration / 60:8.1f} {len(g.time_s):9d} {best:8.2f} "
              f"{duration / best:12.0f}")


if __name__ == "__main__":
    main()
