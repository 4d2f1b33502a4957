"""Compile the analysis kernels once, ahead of the first real use.

The compiled kernels (:mod:`analysis.fit_kernel`, :mod:`analysis.filter_kernels`) are
built by numba on first use and cached on disk; building them takes ~15-30 s, once per
machine (and again after an upgrade of bandsense or numba). ``deploy/setup.sh`` runs
``python -m analysis.warmup`` so that the first ``bandsense analyze`` is as fast as the
next ones. Analysing a short synthetic recording (with and without stretch) goes through
every kernel with the argument types real data gives them.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def warm_up() -> float:
    """Run the analysis once on synthetic reps; returns the seconds it took."""
    from analysis.offline import analyze

    t0 = time.perf_counter()
    # Long enough (> analysis.detect._BIG samples) for the detector's compiled scan too.
    t = np.arange(0.0, 100.0, 0.01)
    u = np.clip((t % 6.0 - 1.0) / 1.5, 0.0, 1.0)
    down = np.clip((t % 6.0 - 3.5) / 1.5, 0.0, 1.0)
    shape = u**3 * (10 - 15 * u + 6 * u**2) - down**3 * (10 - 15 * down + 6 * down**2)
    rng = np.random.default_rng(0)
    force = 5.0 + 40.0 * shape + rng.normal(0.0, 0.1, len(t))
    stretch = 300.0 + 120.0 * shape + rng.normal(0.0, 0.2, len(t))
    for s in (stretch, None):
        analyze(t, force, s)
    return time.perf_counter() - t0


def main() -> None:
    took = warm_up()
    print(f"analysis kernels ready ({took:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
