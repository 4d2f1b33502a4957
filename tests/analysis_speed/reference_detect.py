"""Reference detector: the plain vectorised version ``analysis.detect`` was optimised from.

Kept as it was (rolling windows recomputed over the carried history on every call) as
the definition the fast detector must reproduce exactly, cut for cut, for any batching;
rule changes are made here first (round 6: the cut where the band settles at a new rest
level, ``_SETTLE_S``).

Original description: causal segmentation of the sample stream into analysis windows.

The detector sees each sample once, in order, and decides where the band is at rest. It
places a *cut* at a quiet moment near rest after a movement; everything between the onset
of activity and the cut is one analysis window, analysed on its own
(:mod:`analysis.window`). Because every decision at sample ``i`` depends only on samples
``<= i`` and on carried state, the cuts are the same whether the samples arrive in one
array (offline) or in batches of any size (live): this is what makes the live result equal
the offline one.

The detector is deliberately permissive (it opens a window for any tug); rejecting
fidgeting needs the context of the set and happens later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

_WARMUP = 64  # samples used to fix the nominal interval and the noise scale
_LAG_S = 0.2  # the rest reference ignores the most recent samples (the rise itself)
_REF_S = 1.0  # ... and looks this far back
_QUIET_S = 0.25  # quiet this long near rest -> cut
_SMALL = 4096  # below this many samples, direct selection beats scipy's call overhead
_MAX_ACTIVE_S = 120.0  # checkpoint cut inside very long activity (the analysis carries over)
_SETTLE_S = 3.0  # calm this long below half the excursion: a new rest level -> cut
_CALM_REST = 2.0  # ... calm: quiet range within this many times the rest's before the onset
_SETTLE_AGE_S = 8.0  # ... counted once the activity is this old


@dataclass(frozen=True, slots=True)
class Cut:
    """A completed stretch of activity: sample indices (global) of onset and cut."""

    trigger: int
    cut: int
    rest_n: float  # rest level before the activity


def _running_median(x: np.ndarray, k: int) -> np.ndarray:
    """Median of each sample with its ``k - 1`` predecessors (``len(x) - k + 1`` values).

    Removes spikes up to ``k // 2`` samples wide; the detector only needs to know where
    movements are, so the delay of ``k // 2`` samples does not matter.
    """
    if len(x) < _SMALL:
        # Small (live) batches: scipy's per-call overhead dominates; select directly.
        win = np.lib.stride_tricks.sliding_window_view(x, k)
        small: np.ndarray = np.partition(win, k // 2, axis=1)[:, k // 2]
        return small
    out: np.ndarray = ndimage.median_filter(x, size=k, origin=(k - 1) // 2)[k - 1:]
    return out


def _trailing(x: np.ndarray, k: int, op: str) -> np.ndarray:
    """Trailing min or max over ``k`` samples (``len(x) - k + 1`` values, exact)."""
    if len(x) - k + 1 < _SMALL // 8:
        win = np.lib.stride_tricks.sliding_window_view(x, k)
        small: np.ndarray = win.min(axis=1) if op == "min" else win.max(axis=1)
        return small
    f = ndimage.minimum_filter1d if op == "min" else ndimage.maximum_filter1d
    out: np.ndarray = f(x, k, origin=(k - 1) // 2)[k - 1:]
    return out


class _Features:
    """Per-sample features of one batch, computed on first use (rest needs only ``ref``,
    activity only ``qrange``); both depend on the samples alone, so computing them
    lazily changes nothing."""

    def __init__(self, m: np.ndarray, off: int, r: int, lag: int, k: int) -> None:
        self.full, self.off = m, off
        self.m = m[off:]
        self._r, self._lag, self._k = r, lag, k
        self._ref: np.ndarray | None = None
        self._qrange: np.ndarray | None = None

    def _padded(self, need: int) -> tuple[np.ndarray, int]:
        if self.off >= need:
            return self.full, self.off
        return np.concatenate([np.full(need - self.off, self.full[0]), self.full]), need

    @property
    def ref(self) -> np.ndarray:
        # Rest reference: min over [j - lag - ref, j - lag].
        if self._ref is None:
            r, need = self._r, self._lag + self._r
            mm, o2 = self._padded(need)
            self._ref = _trailing(mm[o2 - need:], r + 1, "min")[: len(self.m)]
        return self._ref

    @property
    def qrange(self) -> np.ndarray:
        # Range of the last quiet window: max - min over [j - quiet + 1, j].
        if self._qrange is None:
            k = self._k
            mm, o2 = self._padded(self._lag + self._r)
            seg = mm[o2 - k + 1:]
            self._qrange = _trailing(seg, k, "max") - _trailing(seg, k, "min")
        return self._qrange


class Detector:
    """Incremental rest/activity detector over force samples."""

    def __init__(self) -> None:
        self.n_seen = 0  # samples consumed (global index of the next sample)
        self.dt = 0.0
        self.sigma = 0.0
        self._warm: list[np.ndarray] = []
        self._warm_t: list[np.ndarray] = []
        self._hist = np.empty(0)  # last raw samples (for the median)
        self._mhist = np.empty(0)  # last filtered samples (for rolling windows)
        self.active = False
        self._trigger = 0
        self._rest = 0.0
        self._peak = -np.inf
        self._k_lag = self._k_ref = self._k_quiet = self._k_max = self._k_settle = 0
        self._settled = 0
        self._rest_q = 0.0
        self._k_med = 5
        self._thr_on = 0.0
        self._m_full = np.empty(0)
        self._low_seen = False
        self._off = 0

    @property
    def ready(self) -> bool:
        return self.dt > 0

    def _warm_up(self, t: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._warm.append(f)
        self._warm_t.append(t)
        ft = np.concatenate(self._warm)
        tt = np.concatenate(self._warm_t)
        if len(ft) < _WARMUP:
            return np.empty(0), np.empty(0)
        d = np.diff(tt[:_WARMUP])
        self.dt = float(np.median(d[d > 0])) if np.any(d > 0) else 0.01
        self.sigma = float(1.4826 * np.median(np.abs(np.diff(ft[:_WARMUP])))) / np.sqrt(2.0)
        self._k_lag = max(1, round(_LAG_S / self.dt))
        self._k_ref = max(2, round(_REF_S / self.dt))
        self._k_quiet = max(3, round(_QUIET_S / self.dt))
        self._k_max = max(10, round(_MAX_ACTIVE_S / self.dt))
        self._k_settle = max(self._k_quiet + 1, round(_SETTLE_S / self.dt))
        self._k_age = round(_SETTLE_AGE_S / self.dt)
        # Median over ~40 ms (at least 5, at most 15 samples): spikes of a few samples go.
        self._k_med = int(min(15, max(5, 2 * round(0.02 / self.dt) + 1)))
        self._warm, self._warm_t = [], []
        return tt, ft

    def feed(self, t: np.ndarray, f: np.ndarray) -> list[Cut]:
        """Consume samples; return the windows completed by them."""
        if not self.ready:
            t, f = self._warm_up(t, f)
            if not self.ready:
                return []
        base = self.n_seen
        self.n_seen += len(f)
        # Filtered signal for the new samples, using carried raw history for the median
        # (the very first samples of the stream are padded with the first value).
        hist, h = self._hist, self._k_med - 1
        if len(hist) < h:
            hist = np.concatenate([np.full(h - len(hist), f[0] if len(hist) == 0 else hist[0]),
                                   hist])
        raw = np.concatenate([hist, f])
        m_new = _running_median(raw, self._k_med)
        self._hist = raw[-h:]
        keep = self._k_lag + self._k_ref + self._k_quiet + 2
        m = np.concatenate([self._mhist, m_new])
        off = len(m) - len(m_new)  # index in m of the first new sample
        self._mhist = m[-keep:]
        feats = _Features(m, off, self._k_ref, self._k_lag, self._k_quiet)
        self._m_full, self._off = m, off
        cuts: list[Cut] = []
        i = 0
        while i < len(feats.m):
            if not self.active:
                i = self._scan_rest(feats, i, base)
            else:
                i = self._scan_active(feats, i, base, cuts)
        return cuts

    def _thr(self) -> float:
        return max(0.3, 8.0 * self.sigma)

    @staticmethod
    def _chunks(i: int, n: int) -> list[tuple[int, int]]:
        # Growing chunks: a scan costs about the distance to its hit, not the batch length.
        out, size = [], 256
        while i < n:
            out.append((i, min(n, i + size)))
            i += size
            size *= 2
        return out

    def _scan_rest(self, feats: _Features, i: int, base: int) -> int:
        m, ref = feats.m, feats.ref
        thr = self._thr()
        for a, b in self._chunks(i, len(m)):
            hits = np.flatnonzero(m[a:b] > ref[a:b] + thr)
            if len(hits):
                j = a + int(hits[0])
                self.active = True
                self._low_seen = False
                self._settled = 0
                self._trigger = base + j
                self._rest = float(ref[j])
                self._peak = float(m[j])
                # The quiet window ending lag before the onset (the history before the
                # stream is the first value, as in the detector).
                end = feats.off + j - self._k_lag + 1
                before = feats.full[max(0, end - self._k_quiet):max(end, 1)]
                self._rest_q = float(before.max() - before.min())
                return j + 1
        return len(m)

    def _scan_active(self, feats: _Features, i: int, base: int, cuts: list[Cut]) -> int:
        m, qrange = feats.m, feats.qrange
        k = self._k_quiet
        for a, b in self._chunks(i, len(m)):
            peak = np.maximum.accumulate(np.maximum(m[a:b], self._peak))
            amp = peak - self._rest
            idx = np.arange(a, b) + base
            full = idx - (k - 1) >= self._trigger  # a whole quiet window inside the activity
            quiet = qrange[a:b] < np.maximum(4.0 * self.sigma, 0.015 * amp)
            rel = m[a:b] - self._rest
            low = rel < 0.2 * amp
            too_long = idx - self._trigger >= self._k_max
            # Continuous reps never rest quietly: cut in the valley once the next rise is
            # under way (back low since the last cut, now above 35% again). The rising
            # movement is then analysed with the next window.
            was_low = np.maximum.accumulate(low | self._low_seen)
            prev_low = np.concatenate([[self._low_seen], was_low[:-1]])
            valley = prev_low & (rel > 0.35 * amp) & (amp > 3.0 * self._thr())
            # The band settled at a new rest level: quiet for _SETTLE_S below half the
            # excursion (a plain loop: the reference favours obviousness over speed).
            settled = np.empty(b - a, dtype=np.int64)
            run = self._settled
            calm = qrange[a:b] < np.maximum(np.maximum(6.0 * self.sigma, 0.03 * amp),
                                            _CALM_REST * self._rest_q)
            aged = idx - self._trigger >= self._k_age
            for q, ok in enumerate(calm & (rel < 0.5 * amp) & aged):
                run = run + 1 if ok else 0
                settled[q] = run
            level = settled >= self._k_settle
            hits = np.flatnonzero((full & quiet & low) | too_long | valley | level)
            if len(hits) == 0:
                self._peak = float(peak[-1])
                self._low_seen = bool(was_low[-1])
                self._settled = int(settled[-1])
                continue
            j = a + int(hits[0])
            cuts.append(Cut(trigger=self._trigger, cut=base + j, rest_n=self._rest))
            self._low_seen = False
            self._settled = 0
            if valley[j - a] and not ((full[j - a] and quiet[j - a] and low[j - a])
                                      or level[j - a]):
                # Stay active: the next movement has begun.
                self._trigger = base + j
                self._peak = float(m[j])
                return j + 1
            self.active = False
            self._peak = -np.inf
            # Noise scale follows the sensor (the quiet window just seen), slowly.
            jf = self._off + j  # the quiet window may reach into the previous batch
            q = np.diff(self._m_full[max(0, jf - k + 1): jf + 1])
            if len(q) > 2:
                s_new = float(1.4826 * np.median(np.abs(q))) / np.sqrt(2.0)
                self.sigma = 0.8 * self.sigma + 0.2 * max(s_new, 0.2 * self.sigma)
            return j + 1
        return len(m)
