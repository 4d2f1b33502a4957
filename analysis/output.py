"""Rendering an analysis: the JSON contract, the reps CSV and a readable table."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from analysis.offline import RecordingInfo
from bandsense.model import Hold, Rep, SessionSummary, SetSummary

# Contract keys first, in the order; extra keys follow (allowed inside objects).
REP_KEYS = ("index", "set", "start_s", "top_start_s", "top_end_s", "end_s", "concentric_s",
            "pause_s", "eccentric_s", "peak_force_n", "mean_force_n", "impulse_ns", "partial")
REP_EXTRA = ("range_n", "range_mm", "time_under_tension_s", "pause_ok", "side")
SET_KEYS = ("index", "kind", "start_s", "end_s", "rep_count")
SET_EXTRA = ("partial_count", "side", "concentric_mean_s", "concentric_sd_s", "pause_mean_s",
             "pause_sd_s", "eccentric_mean_s", "eccentric_sd_s", "peak_force_trend_n_per_rep",
             "pauses_ok")
HOLD_KEYS = ("set", "start_s", "end_s", "duration_s", "mean_force_n", "force_cv")


def _round(v: Any, key: str, required: bool) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v):
            # Valid JSON has no NaN: a contract number stays a number, an extra is null.
            return 0.0 if required else None
        return round(v, 4 if key.endswith("_s") else 3 if key != "force_cv" else 4)
    return v


def _obj(record: Rep | SetSummary | Hold, keys: tuple[str, ...], extra: tuple[str, ...] = ()
         ) -> dict[str, Any]:
    d = record.model_dump()
    out = {k: _round(d[k], k, True) for k in keys}
    out.update({k: _round(d[k], k, False) for k in extra})
    return out


def to_json_obj(s: SessionSummary, info: RecordingInfo) -> dict[str, Any]:
    return {
        "recording": {"samples": info.samples, "duration_s": round(info.duration_s, 4),
                      "sample_rate_hz": round(info.sample_rate_hz, 3), "gaps": info.gaps},
        "sets": [_obj(x, SET_KEYS, SET_EXTRA) for x in s.sets],
        "reps": [_obj(x, REP_KEYS, REP_EXTRA) for x in s.reps],
        "holds": [_obj(x, HOLD_KEYS) for x in s.holds],
    }


def to_json(s: SessionSummary, info: RecordingInfo) -> str:
    return json.dumps(to_json_obj(s, info), allow_nan=False)


def to_csv(s: SessionSummary) -> str:
    """The reps table, one row per rep (empty cells for unknown values)."""
    out = io.StringIO()
    cols = (*REP_KEYS, *REP_EXTRA)
    out.write(",".join(cols) + "\n")
    for r in s.reps:
        d = _obj(r, REP_KEYS, REP_EXTRA)
        out.write(",".join("" if d[c] is None else str(d[c]).lower() if isinstance(d[c], bool)
                           else str(d[c]) for c in cols) + "\n")
    return out.getvalue()


def render_table(s: SessionSummary, info: RecordingInfo) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped output (not a terminal) would otherwise get rich's 80-column default and
    # truncate the cells ("149…"); a wider fixed width keeps every column readable.
    probe = Console()
    console = probe if probe.is_terminal else Console(width=140)
    console.print(
        f"[bold]{info.samples}[/] samples, {info.duration_s:.1f} s at "
        f"{info.sample_rate_hz:.1f} Hz, {info.gaps} gaps: [bold]{len(s.sets)}[/] sets, "
        f"[bold]{sum(x.rep_count for x in s.sets)}[/] reps, [bold]{len(s.holds)}[/] holds"
    )
    sets = Table(title="Sets")
    for c in ("set", "kind", "side", "start s", "end s", "reps", "partial", "conc s",
              "pause s", "ecc s", "peak trend N/rep", "pauses ok"):
        sets.add_column(c, justify="right")

    def f(v: float | None, nd: int = 2) -> str:
        return "-" if v is None else f"{v:.{nd}f}"

    for x in s.sets:
        sets.add_row(str(x.index), x.kind, x.side or "-", f(x.start_s, 1), f(x.end_s, 1),
                     str(x.rep_count),
                     str(x.partial_count), f(x.concentric_mean_s), f(x.pause_mean_s),
                     f(x.eccentric_mean_s), f(x.peak_force_trend_n_per_rep),
                     "-" if x.pauses_ok is None else str(x.pauses_ok))
    console.print(sets)
    reps = Table(title="Reps")
    for c in ("rep", "set", "start s", "conc s", "pause s", "ecc s", "peak N", "range N",
              "impulse Ns", "partial", "pause ok"):
        reps.add_column(c, justify="right")
    for r in s.reps:
        reps.add_row(str(r.index), str(r.set), f(r.start_s, 2), f(r.concentric_s),
                     f(r.pause_s), f(r.eccentric_s), f(r.peak_force_n, 1), f(r.range_n, 1),
                     f(r.impulse_ns, 1), "yes" if r.partial else "",
                     "-" if r.pause_ok is None else ("yes" if r.pause_ok else "no"))
    console.print(reps)
    if s.holds:
        holds = Table(title="Holds")
        for c in ("set", "start s", "end s", "held s", "mean N", "cv"):
            holds.add_column(c, justify="right")
        for h in s.holds:
            holds.add_row(str(h.set), f(h.start_s, 1), f(h.end_s, 1), f(h.duration_s),
                          f(h.mean_force_n, 1), f(h.force_cv, 3))
        console.print(holds)
