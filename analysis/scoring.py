"""Scoring an analysis against ground truth (used by bench/accuracy.py and the tests).

Detected reps are matched to true reps by time overlap (intersection over union of
``[start_s, end_s]``, greedy, best first, at least ``MIN_IOU``); holds likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_IOU = 0.3


def _iou(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> np.ndarray:
    inter = np.clip(np.minimum(a1[:, None], b1[None, :]) - np.maximum(a0[:, None], b0[None, :]),
                    0.0, None)
    union = np.maximum(a1[:, None], b1[None, :]) - np.minimum(a0[:, None], b0[None, :])
    out: np.ndarray = inter / np.maximum(union, 1e-9)
    return out


def match(truth: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Pairs ``(truth_index, found_index)`` matched one to one by overlap."""
    if not truth or not found:
        return []
    t0 = np.array([x["start_s"] for x in truth])
    t1 = np.array([x["end_s"] for x in truth])
    f0 = np.array([x["start_s"] for x in found])
    f1 = np.array([x["end_s"] for x in found])
    iou = _iou(t0, t1, f0, f1)
    pairs = []
    order = np.dstack(np.unravel_index(np.argsort(-iou, axis=None), iou.shape))[0]
    used_t: set[int] = set()
    used_f: set[int] = set()
    for i, j in order:
        if iou[i, j] < MIN_IOU:
            break
        if i in used_t or j in used_f:
            continue
        used_t.add(int(i))
        used_f.add(int(j))
        pairs.append((int(i), int(j)))
    return sorted(pairs)


@dataclass
class Score:
    """Accumulated over many recordings."""

    recordings: int = 0
    sets_exact: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    err_conc: list[float] = field(default_factory=list)
    err_pause: list[float] = field(default_factory=list)
    err_ecc: list[float] = field(default_factory=list)
    err_start: list[float] = field(default_factory=list)
    err_end: list[float] = field(default_factory=list)
    pause_agree: int = 0
    pause_total: int = 0
    holds_true: int = 0
    holds_found_once: int = 0
    holds_extra: int = 0
    err_hold: list[float] = field(default_factory=list)
    rep_count_exact: int = 0
    sets_total: int = 0

    def add(self, truth: dict[str, Any], result: dict[str, Any]) -> None:
        self.recordings += 1
        t_sets, f_sets = truth["sets"], result["sets"]
        self.sets_exact += int(len(t_sets) == len(f_sets))
        t_reps, f_reps = truth["reps"], result["reps"]
        pairs = match(t_reps, f_reps)
        self.tp += len(pairs)
        self.fp += len(f_reps) - len(pairs)
        self.fn += len(t_reps) - len(pairs)
        for i, j in pairs:
            tr, fr = t_reps[i], f_reps[j]
            self.err_conc.append(abs(fr["concentric_s"] - tr["concentric_s"]))
            self.err_pause.append(abs(fr["pause_s"] - tr["pause_s"]))
            self.err_ecc.append(abs(fr["eccentric_s"] - tr["eccentric_s"]))
            self.err_start.append(abs(fr["start_s"] - tr["start_s"]))
            self.err_end.append(abs(fr["end_s"] - tr["end_s"]))
            self.pause_total += 1
            self.pause_agree += int((fr["pause_s"] >= 0.5) == (tr["pause_s"] >= 0.5))
        # Sets: rep counts of sets matched by overlap.
        for i, j in match(t_sets, f_sets):
            self.sets_total += 1
            self.rep_count_exact += int(t_sets[i]["rep_count"] == f_sets[j]["rep_count"])
        self.sets_total += len(t_sets) - len(match(t_sets, f_sets))
        t_h, f_h = truth["holds"], result["holds"]
        hp = match(t_h, f_h)
        self.holds_true += len(t_h)
        self.holds_found_once += len(hp)
        self.holds_extra += len(f_h) - len(hp)
        for i, j in hp:
            self.err_hold.append(abs(f_h[j]["duration_s"] - t_h[i]["duration_s"]))

    def summary(self) -> dict[str, float]:
        def med(x: list[float]) -> float:
            return float(np.median(x) * 1000) if x else float("nan")

        prec = self.tp / max(self.tp + self.fp, 1)
        rec = self.tp / max(self.tp + self.fn, 1)
        return {
            "recordings": self.recordings,
            "sets_exact_pct": 100.0 * self.sets_exact / max(self.recordings, 1),
            "set_rep_count_exact_pct": 100.0 * self.rep_count_exact / max(self.sets_total, 1),
            "rep_f1": 2 * prec * rec / max(prec + rec, 1e-9),
            "rep_precision": prec,
            "rep_recall": rec,
            "concentric_mae_ms": med(self.err_conc),
            "pause_mae_ms": med(self.err_pause),
            "eccentric_mae_ms": med(self.err_ecc),
            "concentric_p90_ms": float(np.percentile(self.err_conc, 90) * 1000)
            if self.err_conc else float("nan"),
            "pause_p90_ms": float(np.percentile(self.err_pause, 90) * 1000)
            if self.err_pause else float("nan"),
            "eccentric_p90_ms": float(np.percentile(self.err_ecc, 90) * 1000)
            if self.err_ecc else float("nan"),
            "pause_0.5s_agreement_pct": 100.0 * self.pause_agree / max(self.pause_total, 1),
            "holds_true": self.holds_true,
            "holds_found_once": self.holds_found_once,
            "holds_extra": self.holds_extra,
            "hold_duration_mae_ms": med(self.err_hold),
        }
