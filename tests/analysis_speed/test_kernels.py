"""The compiled kernels compute what the numpy/scipy code they replaced computed.

Each kernel is checked against the library call or the numpy reference it stands for, on
random and on awkward inputs (ties, short arrays, constant signals, gaps).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage, signal

from analysis.filter_kernels import (
    box_average,
    correlation,
    despike_runs,
    filtfilt_odd,
    first_quiet_run,
    hampel,
    peaks_by_prominence,
    peaks_with_prominences,
    prepare_window,
    remove_dropouts,
    running_median,
    trailing_extreme,
)
from analysis.fit import fit_rise, knee_tables, shape_tables
from analysis.movement_kernels import force_metrics, top_region
from analysis.window import _FIT_HZ, _GAP_S, _SEG_HZ, GRID_HZ, _crossing, _sos
from tests.analysis_speed.reference_fit import fit_rise as reference_fit_rise

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 60), elements=finite),
       size=st.sampled_from([3, 5, 7, 9, 11, 13, 15]), rounded=st.booleans())
def test_running_median_is_scipy_median_filter(x: np.ndarray, size: int, rounded: bool) -> None:
    if rounded:
        x = np.round(x / 100.0)  # many ties
    np.testing.assert_array_equal(running_median(x, size),
                                  ndimage.median_filter(x, size=size, mode="nearest"))


@settings(max_examples=150, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 80), elements=finite), k=st.integers(1, 20),
       maximum=st.booleans())
def test_trailing_extreme_is_scipy_min_max_filter(x: np.ndarray, k: int, maximum: bool
                                                  ) -> None:
    if k > len(x):
        k = len(x)
    f = ndimage.maximum_filter1d if maximum else ndimage.minimum_filter1d
    np.testing.assert_array_equal(trailing_extreme(x, k, maximum),
                                  f(x, k, origin=(k - 1) // 2)[k - 1:])


@settings(max_examples=300, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 60), elements=st.floats(-50, 50)),
       prominence=st.floats(0, 20), flat=st.booleans())
def test_peaks_by_prominence_is_scipy_find_peaks(x: np.ndarray, prominence: float,
                                                 flat: bool) -> None:
    if flat:
        x = np.round(x / 10.0)  # plateaus: scipy reports the middle of a flat top
    np.testing.assert_array_equal(peaks_by_prominence(x, prominence),
                                  signal.find_peaks(x, prominence=prominence)[0])
    idx, proms = peaks_with_prominences(x, prominence)
    ref_idx, ref = signal.find_peaks(x, prominence=prominence)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(proms, ref["prominences"], rtol=0, atol=1e-12)


def _reference_hampel(f: np.ndarray, size: int) -> np.ndarray:
    med = ndimage.median_filter(f, size=size, mode="nearest")
    resid = f - med
    scale = 1.4826 * np.median(np.abs(resid)) + 1e-9
    out = f.copy()
    bad = np.abs(resid) > max(6.0 * scale, 0.05)
    out[bad] = med[bad]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_hampel_removes_spikes_like_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(3000) * 0.005
    f = 40.0 * np.sin(t) ** 2 + rng.normal(0, 0.2, len(t))
    idx = rng.choice(len(t), 30, replace=False)
    f[idx] += rng.choice([-1, 1], 30) * rng.uniform(5, 40, 30)
    out = hampel(f, 11)
    np.testing.assert_array_equal(out, _reference_hampel(f, 11))
    assert np.max(np.abs(out - 40.0 * np.sin(t) ** 2)) < 2.0  # every spike is gone


@pytest.mark.parametrize("seed", range(5))
def test_despike_runs_removes_runs_of_up_to_four_samples_and_nothing_else(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 60.0, 1.0 / 40.0)  # 40 Hz: 4 samples are 100 ms
    clean = 20.0 * np.sin(0.5 * t) ** 2 + 5.0
    # A tap (a fast movement of 250 ms) and a step (a band re-seated) are signal.
    clean += 6.0 * np.exp(-0.5 * ((t - 30.0) / 0.06) ** 2)
    clean[t > 45.0] += 3.0
    f = clean + rng.normal(0.0, 0.05, len(t))
    noisy = f.copy()
    starts = rng.choice(np.arange(20, len(t) - 20, 25), 30, replace=False)
    for i in starts:
        run = int(rng.integers(1, 5))
        noisy[i:i + run] = rng.choice([-3.0, 60.0])  # an ADC pinned at a rail
    out = despike_runs(noisy, 4, 10.0, 0.3)
    assert np.max(np.abs(out - clean)) < 1.0  # every run is gone ...
    untouched = np.ones(len(t), dtype=bool)
    for i in starts:
        untouched[i - 1:i + 5] = False
    np.testing.assert_array_equal(out[untouched], f[untouched])  # ... and nothing else
    # A run of five samples is beyond it (the running median's job is the short ones).
    five = f.copy()
    five[200:205] = 60.0
    assert np.max(despike_runs(five, 4, 10.0, 0.3)) == 60.0


@pytest.mark.parametrize("seed", range(4))
def test_remove_dropouts_takes_brief_jumps_to_a_level_and_nothing_else(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 90.0, 1.0 / 25.0) + rng.uniform(0.0, 0.004, 2250)  # 25 Hz, jittered
    # Reps of 0.8-1.5 s a phase, a band re-seated (a step) and a quick pull over 0.6 s.
    clean = 5.0 + 10.0 * np.sin(np.pi * t / 4.0) ** 2 * (t < 40.0)
    clean += 8.0 * (t > 60.0)
    clean += 6.0 * np.exp(-0.5 * ((t - 50.0) / 0.15) ** 2)
    f = clean + rng.normal(0.0, 0.05, len(t))
    noisy = f.copy()
    starts = [150, 420, 700, 1100, 1300, 1600, 1900, 2100]
    for i in starts:
        run = int(rng.integers(1, 9))  # up to 8 samples: 0.32 s
        level = float(rng.choice([-32.0, -8.0, 60.0]))
        noisy[i:i + run] = level + rng.normal(0.0, 0.5, run)
        if rng.random() < 0.5:  # a two-sample edge each way (readings averaged)
            noisy[i] = 0.5 * (noisy[i] + f[i])
            noisy[i + run - 1] = 0.5 * (noisy[i + run - 1] + f[i + run - 1])
    out = remove_dropouts(t, noisy, 0.4, 10.0, 0.3)
    assert np.max(np.abs(out - clean)) < 1.0  # every dropout is gone ...
    untouched = np.ones(len(t), dtype=bool)
    for i in starts:
        untouched[i - 1:i + 10] = False
    np.testing.assert_array_equal(out[untouched], f[untouched])  # ... and nothing else
    # One over a rep's valley ends on the next rise, past the level before it.
    rise = np.concatenate((np.full(200, 9.6), np.linspace(9.6, 60.0, 30)))
    rise += rng.normal(0.0, 0.05, len(rise))
    over = rise.copy()
    over[199:205] = -9.5  # from the valley's last sample into the rise
    fixed = remove_dropouts(t[:230], over, 0.4, 10.0, 0.3)
    assert np.min(fixed) > 9.0 and np.all(np.diff(fixed[198:207]) > 0.0)
    # A level held longer than 0.4 s is a level (the band dropped, put back on).
    long = f.copy()
    long[500:512] = -32.0
    assert np.min(remove_dropouts(t, long, 0.4, 10.0, 0.3)) == -32.0


def _reference_lowpass(x: np.ndarray, hz: float) -> np.ndarray:
    sos = signal.butter(2, hz / (GRID_HZ / 2.0), output="sos")
    zi = signal.sosfilt_zi(sos)
    pad = min(len(x) - 1, 30)
    ext = np.concatenate([2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2:-pad - 2:-1]])
    y, _ = signal.sosfilt(sos, ext, zi=zi * ext[0])
    y = y[::-1]
    y, _ = signal.sosfilt(sos, y, zi=zi * y[0])
    out: np.ndarray = y[::-1][pad:pad + len(x)]
    return out


@pytest.mark.parametrize("n", [16, 17, 31, 32, 200, 1000])
@pytest.mark.parametrize("hz", [_SEG_HZ, _FIT_HZ])
def test_filtfilt_is_scipy_sosfilt_forward_backward(n: int, hz: float) -> None:
    x = np.cumsum(np.random.default_rng(n).normal(size=n))
    np.testing.assert_allclose(filtfilt_odd(x, _sos(hz), min(n - 1, 30)),
                               _reference_lowpass(x, hz), rtol=0, atol=1e-9)


@pytest.mark.parametrize("hz", [0.5, _SEG_HZ, _FIT_HZ, 12.0, 20.0])
def test_closed_form_filter_is_scipy_butterworth(hz: float) -> None:
    sos = signal.butter(2, hz / (GRID_HZ / 2.0), output="sos")
    expected = np.hstack([sos, signal.sosfilt_zi(sos)])
    np.testing.assert_allclose(_sos(hz), expected, rtol=1e-12, atol=1e-14)


@settings(max_examples=100, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 50), elements=finite), size=st.integers(1, 9))
def test_box_average_is_scipy_uniform_filter(x: np.ndarray, size: int) -> None:
    np.testing.assert_allclose(box_average(x, size),
                               ndimage.uniform_filter1d(x, size, mode="nearest"),
                               rtol=1e-9, atol=1e-9)


def test_correlation_is_numpy_corrcoef_and_nan_when_constant() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=300), rng.normal(size=300)
    b = 0.6 * a + b
    assert correlation(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
    assert np.isnan(correlation(a, np.full(300, 2.0)))


@settings(max_examples=150, deadline=None)
@given(seg=arrays(np.float64, st.integers(2, 80), elements=st.floats(0, 10)),
       width=st.integers(1, 30), tol=st.floats(0.01, 5), below=st.floats(0, 10))
def test_first_quiet_run_is_the_sliding_window_search(seg: np.ndarray, width: int, tol: float,
                                                      below: float) -> None:
    expected = -1
    if len(seg) >= width:
        win = np.lib.stride_tricks.sliding_window_view(seg, width)
        hits = np.flatnonzero((win.max(1) - win.min(1) < tol) & (seg[:len(win)] < below))
        expected = int(hits[0]) if len(hits) else -1
    assert first_quiet_run(seg, width, tol, below) == expected


def test_prepare_window_marks_gaps_and_rejects_stretch_that_does_not_follow_force() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(0, 20, 0.005)
    t = t[(t < 8) | (t > 9)]  # a 1 s gap
    f = 5 + 30 * np.sin(np.pi * t / 5) ** 2 + rng.normal(0, 0.1, len(t))
    s = 100 + 3 * (f - 5)
    args = (GRID_HZ, _GAP_S, _sos(_SEG_HZ), _sos(_FIT_HZ), 0.7)
    _fd, tg, valid, y_seg, y_fit, sg, _noise = prepare_window(t, f, s, *args)
    gap = (tg > 8 + _GAP_S + 0.01) & (tg < 9 - _GAP_S - 0.01)
    assert gap.any() and not valid[gap].any() and valid[~gap & (tg < 7.9)].all()
    assert len(sg) == len(tg)
    assert np.array_equal(y_fit, y_seg)  # stretch times the phases: no force fit signal
    # A stuck stretch sensor (constant) or noise: force alone times the phases.
    for bad in (np.full(len(t), 50.0), rng.normal(0, 1, len(t))):
        _fd, _tg, _v, y_seg2, y_fit2, sg2, _n = prepare_window(t, f, bad, *args)
        assert len(sg2) == 0
        np.testing.assert_allclose(y_seg2, y_seg)
        assert not np.array_equal(y_fit2, y_seg2)  # the 6 Hz fit signal, not the 2 Hz one


def _transition(rng: np.random.Generator, rising: bool) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0, 4, 0.02)
    onset, dur = rng.uniform(0.8, 1.4), rng.uniform(0.5, 1.8)
    u = np.clip((t - onset) / dur, 0, 1)
    y = 10 + 40 * u**3 * (10 - 15 * u + 6 * u**2) + rng.normal(0, 0.3, len(t))
    return (t, y) if rising else (t, y[::-1])


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("fix_high", [True, False])
def test_compiled_fit_equals_the_numpy_reference(seed: int, fix_high: bool) -> None:
    rng = np.random.default_rng(seed)
    for tables in (shape_tables(), shape_tables(fall=True), knee_tables()):
        t, y = _transition(rng, rising=True)
        got = fit_rise(t, y, 10.0, 50.0, fix_high=fix_high, tables=tables)
        ref = reference_fit_rise(t, y, 10.0, 50.0, fix_high=fix_high, tables=tables)
        assert got is not None and ref is not None
        if got.shape != ref.shape:
            # A tie between two names for one profile (beta(3,3) is minimum jerk, as is
            # warped_min_jerk(0)): rounding may pick either.
            rows = tables.value[[tables.names.index(got.shape), tables.names.index(ref.shape)]]
            assert np.max(np.abs(rows[0] - rows[1])) < 1e-9
        for a, b in ((got.start_s, ref.start_s), (got.end_s, ref.end_s),
                     (got.low, ref.low), (got.high, ref.high), (got.rms, ref.rms)):
            # Microseconds: the kernel interpolates the regression weights in z.
            assert a == pytest.approx(b, abs=1e-5)


def test_compiled_fit_gives_up_where_the_reference_does() -> None:
    t = np.arange(0, 2, 0.02)
    flat = np.full(len(t), 10.0) + np.random.default_rng(0).normal(0, 0.01, len(t))
    assert fit_rise(t, flat, 10.0, 50.0) is None
    assert reference_fit_rise(t, flat, 10.0, 50.0, tables=shape_tables()) is None


# -- per-movement kernels, against the numpy expressions they replaced -------------------

def _reference_crossing(y: np.ndarray, level: float, a: int, b: int, forward: bool) -> int:
    if forward:
        idx = np.flatnonzero(y[a:b + 1] >= level)
        return a + int(idx[0]) if len(idx) else b
    idx = np.flatnonzero(y[b:a + 1][::-1] >= level)
    return a - int(idx[0]) if len(idx) else b


def _reference_top_region(y: np.ndarray, a: int, pk: int, d: int, low_l: float,
                          low_r: float, frac: float, w: int, relax: int
                          ) -> tuple[int, int]:
    top = float(y[pk])
    above_l = np.flatnonzero(y[a:pk + 1] >= low_l + 0.8 * (top - low_l))
    above_r = np.flatnonzero(y[pk:d + 1] >= low_r + 0.8 * (top - low_r))
    i_up = a + int(above_l[0]) if len(above_l) else pk
    i_dn = pk + int(above_r[-1]) if len(above_r) else pk
    if i_dn - i_up > 2 * w:
        p_l = i_up + int(np.argmax(y[i_up:i_up + w + 1]))
        lo = i_dn - w
        p_r = lo + int(np.argmax(y[lo:i_dn + 1]))
    else:
        p_l = p_r = pk
    if relax < w and i_dn - i_up > 2 * relax:
        lo = i_dn - relax
        p2 = lo + int(np.argmax(y[lo:i_dn + 1]))
        if p2 > p_r and y[p2] < y[p_r] and np.mean(y[p_r:p2 + 1]) <= 0.5 * (y[p_r] + y[p2]):
            p_r = p2
    left = np.flatnonzero(y[a:p_l + 1] < low_l + frac * (float(y[p_l]) - low_l))
    right = np.flatnonzero(y[p_r:d + 1] < low_r + frac * (float(y[p_r]) - low_r))
    up = a + int(left[-1]) + 1 if len(left) else a
    dn = p_r + int(right[0]) - 1 if len(right) else d
    return up, dn


def _tops(seed: int) -> np.ndarray:
    """A rep with a breathing, sagging top of random length, on the 50 Hz grid."""
    rng = np.random.default_rng(seed)
    tg = np.arange(0, 20, 0.02)
    top = rng.uniform(0.0, 10.0)
    u = np.clip((tg - 2) / 1.2, 0, 1)
    d = np.clip((tg - 3.2 - top) / 1.2, 0, 1)
    shape = u * u * (3 - 2 * u) - d * d * (3 - 2 * d)
    breath = 0.08 * np.sin(2 * np.pi * tg / rng.uniform(2, 5)) * shape
    y: np.ndarray = 5 + 30 * (shape - 0.03 * np.clip(tg - 3.2, 0, top) / 10 + breath)
    return y + rng.normal(0, 0.05, len(tg))


@pytest.mark.parametrize("seed", range(20))
def test_crossing_and_top_region_match_numpy(seed: int) -> None:
    y = _tops(seed)
    pk = int(np.argmax(y))
    a, d = max(pk - 300, 0), min(pk + 400, len(y) - 1)
    for frac in (0.85, 0.95):
        for relax in (50, 25):
            assert top_region(y, a, pk, d, 5.0, 5.2, frac, 50, relax) == (
                _reference_top_region(y, a, pk, d, 5.0, 5.2, frac, 50, relax))
    for level in (6.0, 20.0, 33.0, 99.0):
        assert _crossing(y, level, a, pk, True) == _reference_crossing(y, level, a, pk, True)
        assert _crossing(y, level, d, pk, False) == _reference_crossing(y, level, d, pk, False)


@pytest.mark.parametrize("seed", range(10))
def test_force_metrics_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 10, 1500))
    f = 5 + 20 * np.sin(t / 3) ** 2 + rng.normal(0, 0.3, len(t))
    start, end = rng.uniform(0, 3), rng.uniform(6, 10)
    top_start = rng.uniform(start, end)
    top_end = top_start + rng.choice([0.0, 0.001, rng.uniform(0, end - top_start)])
    rest, rest_r = 5.0, 5.5
    ok, peak, mean, impulse, top_mean, top_cv = force_metrics(
        t, f, start, end, top_start, top_end, rest, rest_r)
    m = (t >= start) & (t <= end)
    base = np.interp(t[m], [start, end], [rest, rest_r])
    m_top = (t >= top_start) & (t <= top_end)
    top_vals = f[m_top] if m_top.sum() >= 2 else f[[int(np.argmin(np.abs(
        t - 0.5 * (top_start + top_end))))]]
    assert ok
    assert peak == pytest.approx(f[m].max()) and mean == pytest.approx(f[m].mean())
    assert impulse == pytest.approx(np.trapezoid(f[m] - base, t[m]), rel=1e-9)
    assert top_mean == pytest.approx(top_vals.mean())
    assert top_cv == pytest.approx(top_vals.std() / top_vals.mean(), rel=1e-9, abs=1e-12)
    assert not force_metrics(t, f, 20.0, 21.0, 20.5, 20.6, rest, rest_r)[0]


_UNCOMPILED_AFTER_WARMUP = """
from analysis import detect_kernel, filter_kernels, fit_kernel, movement_kernels
from analysis.warmup import warm_up
entry_points = [detect_kernel.scan_batch, filter_kernels.prepare_window,
                filter_kernels.first_quiet_run, filter_kernels.running_median_small,
                filter_kernels.peaks_with_prominences,
                filter_kernels.trailing_extreme, fit_kernel.fit_rise_kernel,
                movement_kernels.crossing, movement_kernels.top_region,
                movement_kernels.force_metrics]
warm_up()
print(",".join(k.py_func.__name__ for k in entry_points if not k.signatures))
"""


def test_warmup_compiles_every_kernel() -> None:
    """`python -m analysis.warmup` (run by deploy/setup.sh) must reach every kernel the
    analysis calls from Python, or the first real analysis pays for compiling the ones it
    missed (kernels called only from other kernels are compiled into their callers).
    In a fresh interpreter: other tests here call the kernels too."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _UNCOMPILED_AFTER_WARMUP], check=True,
                         capture_output=True, text=True, timeout=600)
    assert out.stdout.strip() == ""
