"""Causal segmentation of the sample stream into analysis windows.

The detector sees each sample once, in order, and decides where the band is at rest. It
places a *cut* at a quiet moment near rest after a movement; everything between the onset
of activity and the cut is one analysis window, analysed on its own
(:mod:`analysis.window`). Because every decision at sample ``i`` depends only on samples
``<= i`` and on carried state, the cuts are the same whether the samples arrive in one
array (offline) or in batches of any size (live): this is what makes the live result equal
the offline one.

The detector is deliberately permissive (it opens a window for any tug); rejecting
fidgeting needs the context of the set and happens later.

Speed (live: one call per band per ~100 ms batch, so the fixed cost per call matters more
than the cost per sample): the filtered signal lives in one preallocated buffer with its
history in front (no concatenation per batch); the trailing minima and maxima of a small
batch come from prefix/suffix accumulations around the part all its windows share (a few
numpy calls, exact); and two exact bounds skip the per-sample work in the common cases: at
rest, a batch whose highest value is under the lowest possible reference plus the
threshold cannot trigger; while active, a batch that stays above 20% of the excursion
(and has not been low since the onset) cannot cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.detect_kernel import scan_batch
from analysis.filter_kernels import running_median_small, trailing_extreme

_WARMUP = 64  # samples used to fix the nominal interval and the noise scale
_LAG_S = 0.2  # the rest reference ignores the most recent samples (the rise itself)
_REF_S = 1.0  # ... and looks this far back
_QUIET_S = 0.25  # quiet this long near rest -> cut
_SMALL = 256  # samples in the first chunk of a scan (chunks then double)
_MAX_ACTIVE_S = 120.0  # checkpoint cut inside very long activity (the analysis carries over)
# Calm this long below half the excursion: the band settled at a new rest level (it was
# re-wrapped tighter, more pre-tension): cut there, the next rest reference is that level.
_SETTLE_S = 3.0
# ... counted only once the activity is this old: a rep's own lower half never settles,
# and the live detector need not track it in the short windows of ordinary reps.
_SETTLE_AGE_S = 8.0
# Calm also means: the quiet range stays within this many times the range of the last
# quiet window at rest before the activity (the sensor's own noise and the leg's sway: the
# noise scale sigma follows the median-filtered signal, whose differences understate it).
_CALM_REST = 2.0
_MIN_BUFFER = 4096  # filtered samples the history buffer holds at least
_BIG = 8192  # batches longer than this get their rolling features in one pass


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
    # The centred median at i + k // 2 is the median of x[i:i + k] (compiled comparator
    # networks for k of 5 to 15, the detector's sizes; the same element scipy's median
    # filter picks). Also for live batches of a few samples: a compiled call costs less
    # than numpy's selection on a window index.
    n = len(x) - k + 1
    h = k // 2
    out: np.ndarray = running_median_small(np.ascontiguousarray(x, dtype=np.float64),
                                           k)[h:n + h]
    return out


def _trailing(x: np.ndarray, k: int, op: np.ufunc) -> np.ndarray:
    """Trailing min or max (``op`` = np.minimum / np.maximum) over ``k`` samples, exact.

    Returns ``len(x) - k + 1`` values. When there are no more outputs than the window is
    long, every window is a suffix of the first ``n - 1`` samples, the shared middle and a
    prefix of the last ``n - 1`` samples: two accumulations and one reduction.
    """
    n = len(x) - k + 1
    if n <= k:
        out = np.full(n, op.reduce(x[n - 1:k]))
        if n > 1:
            op(out[:-1], op.accumulate(x[n - 2::-1])[::-1], out=out[:-1])
            op(out[1:], op.accumulate(x[k:]), out=out[1:])
        return out
    big: np.ndarray = trailing_extreme(np.ascontiguousarray(x, dtype=np.float64), k,
                                       op is np.maximum)
    return big


def _run_lengths(x: np.ndarray, carry: int) -> np.ndarray:
    """Length of the run of True ending at each element (0 where False); a run at the
    start continues one of ``carry`` elements before."""
    idx = np.arange(1, len(x) + 1)
    last_false = np.maximum.accumulate(np.where(x, 0, idx))
    run: np.ndarray = idx - last_false
    if carry:
        run[last_false == 0] += carry
    return run


class Detector:
    """Incremental rest/activity detector over force samples."""

    def __init__(self) -> None:
        self.n_seen = 0  # samples consumed (global index of the next sample)
        self.dt = 0.0
        self.sigma = 0.0
        self._warm: list[np.ndarray] = []
        self._warm_t: list[np.ndarray] = []
        self._hist = np.empty(0)  # last raw samples (for the median)
        # Filtered samples: _buf[i] is global sample i + _g0, valid up to _w. It starts
        # with `_keep` copies of the first value (the history before the stream).
        self._buf = np.empty(0)
        self._g0 = 0
        self._w = 0
        self._keep = 0
        self.active = False
        self._trigger = 0
        self._rest = 0.0
        self._peak = -np.inf
        self._k_lag = self._k_ref = self._k_quiet = self._k_max = self._k_settle = 0
        self._k_age = 0
        self._k_med = 5
        self._low_seen = False
        self._settled = 0  # calm samples in a row below half the excursion (old activity)
        self._rest_q = 0.0  # range of the quiet window at rest before the activity
        # Rolling features (reference, quiet range) of the batch being scanned, when it
        # is long enough to compute them all at once.
        self._feats: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def ready(self) -> bool:
        return self.dt > 0

    def recent(self, k: int) -> np.ndarray:
        """The last ``k`` filtered samples (fewer at the very start of the stream)."""
        w = self._w
        return self._buf[max(w - k, w - self.n_seen, 0):w]

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
        self._keep = self._k_lag + self._k_ref + self._k_quiet + 2
        self._warm, self._warm_t = [], []
        return tt, ft

    def feed(self, t: np.ndarray, f: np.ndarray) -> list[Cut]:
        """Consume samples; return the windows completed by them."""
        if not self.ready:
            t, f = self._warm_up(t, f)
            if not self.ready:
                return []
        n = len(f)
        if n == 0:
            return []
        base = self.n_seen
        self.n_seen += n
        # Filtered signal for the new samples, using carried raw history for the median
        # (the very first samples of the stream are padded with the first value).
        h = self._k_med - 1
        hist = self._hist if len(self._hist) else np.full(h, f[0])
        raw = np.concatenate((hist, f))
        self._hist = raw[-h:].copy()
        self._append(_running_median(raw, self._k_med))
        if n > _BIG:
            # A long batch (offline: the whole recording): the rolling features of all
            # its samples in three filter passes, instead of per scanned chunk.
            p0, k = base - self._g0, self._k_quiet
            lag, r = self._k_lag, self._k_ref
            qseg = self._buf[p0 - k + 1:p0 + n]
            self._feats = (
                _trailing(self._buf[p0 - lag - r:p0 + n - lag], r + 1, np.minimum),
                _trailing(qseg, k, np.maximum) - _trailing(qseg, k, np.minimum),
            )
        cuts: list[Cut] = []
        if self._feats is not None:
            cuts = self._scan_compiled(n, base, *self._feats)
            self._feats = None
            return cuts
        i = 0
        while i < n:
            if not self.active:
                i = self._scan_rest(i, n, base)
            else:
                i = self._scan_active(i, n, base, cuts)
        return cuts

    def _scan_compiled(self, n: int, base: int, ref: np.ndarray, qrange: np.ndarray
                       ) -> list[Cut]:
        """The same walk as _scan_rest / _scan_active, compiled (long batches)."""
        state = np.array([float(self.active), float(self._trigger), self._rest, self._peak,
                          float(self._low_seen), self.sigma, float(self._settled),
                          self._rest_q])
        rows = scan_batch(self._buf, self.n_seen - n - self._g0, n, base,
                          np.ascontiguousarray(ref), np.ascontiguousarray(qrange), state,
                          self._k_quiet, self._k_max, self._g0, self._k_settle,
                          self._k_age, self._k_lag, _CALM_REST)
        self.active, self._trigger = bool(state[0]), int(state[1])
        self._rest, self._peak = float(state[2]), float(state[3])
        self._low_seen, self.sigma = bool(state[4]), float(state[5])
        self._settled = int(state[6])
        self._rest_q = float(state[7])
        return [Cut(trigger=int(r[0]), cut=int(r[1]), rest_n=float(r[2])) for r in rows]

    def _append(self, m_new: np.ndarray) -> None:
        n, keep = len(m_new), self._keep
        if self._w == 0:
            # History before the stream: the first filtered value (as if the band had
            # rested there), so every rolling window is full from the first sample on.
            self._buf = np.empty(max(_MIN_BUFFER, 4 * keep, keep + n))
            self._buf[:keep] = m_new[0]
            self._g0, self._w = -keep, keep
        elif self._w + n > len(self._buf):
            # Full: keep the last `keep` values (all any rolling window needs) in front.
            buf = self._buf if keep + n <= len(self._buf) else np.empty(2 * (keep + n))
            buf[:keep] = self._buf[self._w - keep:self._w]
            self._g0 += self._w - keep
            self._buf, self._w = buf, keep
        self._buf[self._w:self._w + n] = m_new
        self._w += n

    def _thr(self) -> float:
        return max(0.3, 8.0 * self.sigma)

    def _calm_floor(self) -> float:
        """Quiet range under which the band counts as calm, whatever the excursion."""
        return max(6.0 * self.sigma, _CALM_REST * self._rest_q)

    def _chunks(self, i: int, n: int) -> list[tuple[int, int]]:
        # Growing chunks: a scan costs about the distance to its hit, not the batch length
        # (longer first chunks when the features are precomputed: fewer numpy calls).
        out, size = [], _SMALL if self._feats is None else 8 * _SMALL
        while i < n:
            out.append((i, min(n, i + size)))
            i += size
            size *= 2
        return out

    def _scan_rest(self, i: int, n: int, base: int) -> int:
        thr = self._thr()
        buf, p0 = self._buf, base - self._g0
        lag, r = self._k_lag, self._k_ref
        for a, b in self._chunks(i, n):
            m = buf[p0 + a:p0 + b]
            # Reference at j: min over [j - lag - r, j - lag]; `seg` holds all of them.
            seg = buf[p0 + a - lag - r:p0 + b - lag]
            if m.max() <= seg.min() + thr:
                continue  # no sample can exceed its reference by the threshold
            ref = (_trailing(seg, r + 1, np.minimum) if self._feats is None
                   else self._feats[0][a:b])
            hits = np.flatnonzero(m > ref + thr)
            if len(hits):
                h = int(hits[0])
                self.active = True
                self._low_seen = False
                self._settled = 0
                self._trigger = base + a + h
                self._rest = float(ref[h])
                self._peak = float(m[h])
                end = p0 + a + h - lag + 1  # the quiet window ending lag before the onset
                before = buf[end - self._k_quiet:end]
                self._rest_q = float(before.max() - before.min())
                return a + h + 1
        return n

    def _cannot_cut(self, m: np.ndarray, qseg: np.ndarray, age0: int) -> bool:
        """True when no sample of ``m`` can be a quiet or a valley cut (then the carried
        state is updated as the full scan would); False when the full scan is needed.

        Exact bounds: the excursion only grows within the chunk (from ``amp_lo`` to
        ``amp_hi``), and every quiet window of a short chunk contains the part all of
        them share, so its range bounds theirs from below.
        """
        rest, peak0 = self._rest, self._peak
        hi, lo = float(m.max()), float(m.min())
        peak1 = max(peak0, hi)
        amp_lo, amp_hi = peak0 - rest, peak1 - rest
        # Some sample low (< 20% of the excursion)? True / False / None (unknown).
        any_low: bool | None = None
        if lo - rest >= 0.2 * amp_hi:
            any_low = False
        elif lo - rest < 0.2 * amp_lo:
            any_low = True
        if (self._low_seen or any_low is not False) and hi - rest > 0.35 * amp_lo \
                and amp_hi > 3.0 * self._thr():
            return False  # a valley cut is possible
        if any_low is not False:
            n, k = len(m), self._k_quiet
            if n > k:
                return False
            shared = qseg[n - 1:k]
            if float(shared.max()) - float(shared.min()) < max(4.0 * self.sigma,
                                                                 0.015 * amp_hi):
                return False  # a quiet cut is possible
        settled = 0  # the settling count after this chunk, if it cannot cut
        n, k = len(m), self._k_quiet
        if age0 + n - 1 >= self._k_age and lo - rest < 0.5 * amp_hi:
            # An old activity with a sample below half the excursion may settle, unless
            # no sample is calm (the count then restarts, as the scan would).
            if n > k:
                return False
            shared = qseg[n - 1:k]
            if float(shared.max()) - float(shared.min()) < max(self._calm_floor(),
                                                                 0.03 * amp_hi):
                # Some sample may be calm. Without a scan only when every sample is old,
                # below half and calm, and the count stays short of a cut.
                settled = self._settled + n
                if not (age0 >= self._k_age and hi - rest < 0.5 * amp_lo
                        and settled < self._k_settle
                        and float(qseg.max()) - float(qseg.min())
                        < max(self._calm_floor(), 0.03 * amp_lo)):
                    return False
        if any_low is None:
            peak = np.maximum.accumulate(np.maximum(m, peak0))
            any_low = bool(np.any(m - rest < 0.2 * (peak - rest)))
        self._peak = peak1
        self._low_seen = self._low_seen or any_low
        self._settled = settled
        return True

    def _scan_active(self, i: int, n: int, base: int, cuts: list[Cut]) -> int:
        buf, p0 = self._buf, base - self._g0
        k, rest = self._k_quiet, self._rest
        for a, b in self._chunks(i, n):
            m = buf[p0 + a:p0 + b]
            too_long_at = self._trigger + self._k_max - (base + a)  # first too-long index
            age0 = base + a - self._trigger
            old = age0 + b - a - 1 >= self._k_age  # some sample old enough to settle
            if too_long_at >= b - a and self._cannot_cut(m, buf[p0 + a - k + 1:p0 + b], age0):
                continue
            peak = np.maximum.accumulate(np.maximum(m, self._peak))
            amp = peak - rest
            rel = m - rest
            low = rel < 0.2 * amp
            # Continuous reps never rest quietly: cut in the valley once the next rise is
            # under way (back low since the last cut, now above 35% again). The rising
            # movement is then analysed with the next window.
            if self._low_seen:
                was_low = np.ones(len(m), dtype=bool)
                prev_low = was_low
            else:
                was_low = np.logical_or.accumulate(low)
                prev_low = np.concatenate(([False], was_low[:-1]))
            valley = prev_low & (rel > 0.35 * amp) & (amp > 3.0 * self._thr())
            if old:
                half = (rel < 0.5 * amp) & (
                    np.arange(base + a, base + b) - self._trigger >= self._k_age)
            if low.any() or (old and half.any()):
                if self._feats is None:
                    qseg = buf[p0 + a - k + 1:p0 + b]
                    qrange = _trailing(qseg, k, np.maximum) - _trailing(qseg, k, np.minimum)
                else:
                    qrange = self._feats[1][a:b]
                quiet = qrange < np.maximum(4.0 * self.sigma, 0.015 * amp)
                stop = quiet & low
                # A whole quiet window inside the activity.
                full_from = self._trigger + k - 1 - (base + a)
                if full_from > 0:
                    stop[:full_from] = False
                # Calm (looser than quiet: sway and noise at a new level must not keep
                # resetting the count; 3% of the excursion per quiet window is slower than
                # any rep's return).
                if old:
                    calm = qrange < np.maximum(self._calm_floor(), 0.03 * amp)
                    settled = _run_lengths(calm & half, self._settled)
                else:
                    settled = np.zeros(len(m), dtype=np.int64)
            else:
                stop = np.zeros(len(m), dtype=bool)
                settled = np.zeros(len(m), dtype=np.int64)
            level = settled >= self._k_settle
            hit = stop | valley | level
            if too_long_at < b - a:
                hit[max(too_long_at, 0)] = True
            if not hit.any():
                self._peak = float(peak[-1])
                self._low_seen = bool(was_low[-1])
                self._settled = int(settled[-1])
                continue
            h = int(hit.argmax())
            j = a + h
            cuts.append(Cut(trigger=self._trigger, cut=base + j, rest_n=rest))
            self._low_seen = False
            self._settled = 0
            if valley[h] and not (stop[h] or level[h]):
                # Stay active: the next movement has begun.
                self._trigger = base + j
                self._peak = float(m[h])
                return j + 1
            self.active = False
            self._peak = -np.inf
            # Noise scale follows the sensor (the quiet window just seen), slowly.
            g = base + j
            q = np.diff(buf[max(0, g - k + 1) - self._g0:g + 1 - self._g0])
            if len(q) > 2:
                s_new = float(1.4826 * np.median(np.abs(q))) / np.sqrt(2.0)
                self.sigma = 0.8 * self.sigma + 0.2 * max(s_new, 0.2 * self.sigma)
            return j + 1
        return n
