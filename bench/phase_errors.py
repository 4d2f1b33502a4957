"""Per-rep signed errors of the four instants against the truth (development tool).

Dumps one row per matched rep: model, input (stretch / force), true pause, profiles,
signed errors of start, top_start, top_end, end (s). Recordings are cached in
``--cache`` so that repeated runs only redo the analysis.

    /work/venv/bin/python bench/phase_errors.py --n 20 --seed 7000 --out /tmp/err.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.csvio import read_recording  # noqa: E402
from analysis.offline import analyze  # noqa: E402
from analysis.scoring import match  # noqa: E402
from bench.accuracy import sim_cases  # noqa: E402
from tests.analysis.gen_model import GenConfig, generate  # noqa: E402


def recordings(model: str, n: int, seed: int, cache: Path) -> list[tuple[Any, ...]]:
    out = []
    if model == "sim":
        from firmware_sim.record import record
        from firmware_sim.scenario import load_scenario

        for name, s, rate in sim_cases(n, seed):
            f = cache / f"sim-{name}-{s}-{rate:.3f}.npz"
            if not f.exists():
                with tempfile.TemporaryDirectory() as tmp:
                    res = record(load_scenario(name), Path(tmp) / "r", rate_hz=rate, seed=s)
                    rec = read_recording(res.csv_path)
                    truth = res.truth_path.read_text()
                    st = rec.stretch_mm if rec.stretch_mm is not None else np.array([])
                    np.savez(f, t=rec.time_s, f=rec.force_n, s=st, truth=truth)
            d = np.load(f)
            st = d["s"] if len(d["s"]) else None
            out.append((f"{name}-{s}", d["t"], d["f"], st, json.loads(str(d["truth"]))))
    elif model in ("third", "fourth", "fifth", "sixth", "seventh"):
        from tests.analysis import (
            gen_model_c,
            gen_model_d,
            gen_model_e,
            gen_model_f,
            gen_model_g,
        )

        module: Any = {"third": gen_model_c, "fourth": gen_model_d,
                       "fifth": gen_model_e, "sixth": gen_model_f,
                       "seventh": gen_model_g}[model]
        rng = np.random.default_rng(seed)
        for i in range(n):
            gc = module.generate(
                seed + i, module.GenConfig(rate_hz=float(rng.uniform(20.0, 200.0))))
            out.append((f"{model}-{seed + i}", gc.time_s, gc.force_n, gc.stretch_mm,
                        gc.truth))
    else:
        rng = np.random.default_rng(seed)
        for i in range(n):
            g = generate(seed + i, GenConfig(rate_hz=float(rng.uniform(20.0, 200.0))))
            out.append((f"gen-{seed + i}", g.time_s, g.force_n, g.stretch_mm, g.truth))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--only", choices=["sim", "gen", "third", "fourth", "fifth", "sixth",
                                       "seventh"],
                    default=None)
    ap.add_argument("--cache", default="/tmp/acc_cache")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(exist_ok=True)
    rows = []
    for model in ("sim", "gen", "third", "fourth", "fifth", "sixth", "seventh"):
        if args.only and args.only != model:
            continue
        for name, t, f, s, truth in recordings(model, args.n, args.seed, cache):
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
