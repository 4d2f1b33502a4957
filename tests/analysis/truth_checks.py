"""Checks of a test model's ground truth that every model's truth layout must pass.

The models themselves stay independent (each written without reading the others'
code); these are the conventions their truth shares with ``analysis.scoring``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pytest

from analysis.scoring import Score


def assert_scores_perfectly(truths: Iterable[dict[str, Any]]) -> None:
    """Each truth scored against itself is perfect: the scorer and the layout agree."""
    score = Score()
    n = 0
    for truth in truths:
        score.add(truth, truth)
        n += 1
    s = score.summary()
    assert s["recordings"] == n
    assert s["sets_exact_pct"] == 100.0 and s["set_rep_count_exact_pct"] == 100.0
    assert s["rep_f1"] == 1.0
    for key in ("concentric_mae_ms", "pause_mae_ms", "eccentric_mae_ms"):
        assert s[key] == 0.0
    assert s["pause_0.5s_agreement_pct"] == 100.0
    assert s["holds_found_once"] == s["holds_true"] and s["holds_extra"] == 0


def assert_sets_hold_their_reps(truth: dict[str, Any], exercises: Mapping[str, Any]) -> None:
    """Every set of reps spans its reps, counts its full and partial ones (partial: under
    half the median range of the full ones), and its reps follow each other within 3 s
    from and back to the band's pre-stretch; a hold set has no reps."""
    for s in truth["sets"]:
        assert s["side"] in ("left", "right") and s["exercise"] in exercises
        assert s["to_failure"] == exercises[s["exercise"]].failure
        own = [r for r in truth["reps"] if r["set"] == s["index"]]
        if s["kind"] == "hold":
            assert not own and s["rep_count"] == 0
            continue
        assert own[0]["start_s"] == s["start_s"] and own[-1]["end_s"] == s["end_s"]
        assert s["rep_count"] == sum(not r["partial"] for r in own)
        assert s["partial_count"] == sum(r["partial"] for r in own)
        assert s["rep_count"] >= (3 if s["to_failure"] else 8)
        med = float(np.median([r["range_mm"] for r in own if not r["partial"]]))
        for r in own:
            assert (r["range_mm"] < 0.5 * med) == r["partial"]
        for a, b in itertools.pairwise(own):
            assert 0.0 <= b["start_s"] - a["end_s"] < 3.0
            assert b["floor_start_mm"] == pytest.approx(a["floor_end_mm"], abs=1e-9)
        assert own[0]["floor_start_mm"] == 0.0 and own[-1]["floor_end_mm"] == 0.0
