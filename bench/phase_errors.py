"""Per-rep signed errors of the four instants against the truth (development tool).

Dumps one row per matched rep: model, input (stretch / force), true pause, profiles,
signed errors of start, top_start, top_end, end (s). Recordings are cached in
``--cache`` so that repeated runs only redo the analysis.

    .venv/bin/python bench/phase_errors.py --n 20 --seed 7000 --out /tmp/err.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.offline import analyze  # noqa: E402
from analysis.scoring import match  # noqa: E402
from tests.analysis.models import NAMES, recordings  # noqa: E402


def cached(model: str, n: int, seed: int, cache: Path) -> list[tuple[Any, ...]]:
    """(label, t, f, stretch, truth) of the model's recordings, kept in ``cache``."""
    f = cache / f"{model}-{seed}-{n}.npz"
    if not f.exists():
        recs = list(recordings(model, n, seed))
        arrays: dict[str, Any] = {"labels": [r.label for r in recs],
                                  "truths": [json.dumps(r.truth) for r in recs]}
        for i, r in enumerate(recs):
            arrays[f"t{i}"], arrays[f"f{i}"] = r.time_s, r.force_n
            if r.stretch_mm is not None:
                arrays[f"s{i}"] = r.stretch_mm
        np.savez(f, **arrays)
    d = np.load(f)
    return [(str(label), d[f"t{i}"], d[f"f{i}"], d.get(f"s{i}"),
             json.loads(str(truth)))
            for i, (label, truth) in enumerate(zip(d["labels"], d["truths"], strict=True))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--only", choices=NAMES, default=None)
    ap.add_argument("--cache", default="/tmp/acc_cache")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(exist_ok=True)
    rows = []
    for model in NAMES:
        if args.only and args.only != model:
            continue
        for name, t, f, s, truth in cached(model, args.n, args.seed, cache):
            inputs = [("stretch", s), ("force", None)] if s is not None else [("force", None)]
            for inp, ss in inputs:
                res = json.loads(analyze(t, f, ss).model_dump_json())
                tr, fr = truth["reps"], res["reps"]
                for i, j in match(tr, fr):
                    a, b = tr[i], fr[j]
                    rows.append({
                        "model": model, "rec": name, "input": inp,
                        "rate": float(1.0 / np.median(np.diff(t))),
                        "pause": a["pause_s"], "conc": a["concentric_s"],
                        "ecc": a["eccentric_s"],
                        "prof": a.get("profiles") or [a.get("concentric_profile"),
                                                      a.get("eccentric_profile")],
                        "partial": a.get("partial", False),
                        **{k: b[k + "_s"] - a[k + "_s"]
                           for k in ("start", "top_start", "top_end", "end")},
                    })
                th, fh = truth["holds"], res["holds"]
                for i, j in match(th, fh):
                    rows.append({"model": model, "rec": name, "input": inp, "hold": True,
                                 "pause": th[i]["duration_s"],
                                 "dur_err": fh[j]["duration_s"] - th[i]["duration_s"]})
    Path(args.out).write_text(json.dumps(rows))


if __name__ == "__main__":
    main()
