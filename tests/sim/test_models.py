"""The movement profiles, the band law and the sensor faults, one model at a time."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_sim import band_law, faults
from firmware_sim.movement import Phase, RepMotion, profile, render_rep
from firmware_sim.scenario import Sensor

PROFILES = [
    ("minimum_jerk", 0.0),
    ("minimum_snap", 0.0),
    ("cosine", 0.0),
    ("skewed_minimum_jerk", 0.5),
    ("skewed_minimum_jerk", -0.5),
    ("trapezoidal", 0.2),
    ("trapezoidal", 0.45),
    ("sticking_point", 0.3),
    ("sticking_point", 0.8),
]


@pytest.mark.parametrize(("name", "param"), PROFILES)
def test_profiles_go_from_rest_to_top_monotonically(name: str, param: float) -> None:
    tau = np.linspace(0, 1, 2001)
    u = profile(name, tau, param)  # type: ignore[arg-type]
    assert u[0] == pytest.approx(0, abs=1e-12) and u[-1] == pytest.approx(1, abs=1e-12)
    assert np.all(np.diff(u) >= -1e-12)
    velocity = np.gradient(u, tau)
    # Zero velocity at both ends: the movement starts and arrives at rest.
    assert abs(velocity[0]) < 0.01 and abs(velocity[-1]) < 0.01
    assert profile(name, np.array([-1.0, 2.0]), param).tolist() == [0.0, 1.0]  # type: ignore[arg-type]


def test_skew_moves_the_velocity_peak() -> None:
    tau = np.linspace(0, 1, 2001)
    early = np.argmax(np.gradient(profile("skewed_minimum_jerk", tau, 0.5), tau))
    late = np.argmax(np.gradient(profile("skewed_minimum_jerk", tau, -0.5), tau))
    assert tau[early] < 0.45 < 0.55 < tau[late]


def test_sticking_point_slows_mid_movement() -> None:
    tau = np.linspace(0, 1, 2001)
    v = np.gradient(profile("sticking_point", tau, 0.8), tau)
    mid = v[900:1101].min()
    assert mid < 0.5 * v[:900].max() and mid < 0.5 * v[1101:].max()


def _rep(**kw: object) -> RepMotion:
    base: dict[str, object] = dict(
        start_s=1.0, top_start_s=2.0, top_end_s=3.0, end_s=4.5, amplitude_mm=100.0,
        concentric=Phase("minimum_jerk"), eccentric=Phase("cosine"),
    )
    base.update(kw)
    return RepMotion(**base)  # type: ignore[arg-type]


def test_render_rep_hits_the_instants() -> None:
    t = np.array([0.5, 1.0, 2.0, 2.5, 3.0, 4.5, 5.0])
    x, smooth = render_rep(_rep(), t)
    np.testing.assert_allclose(x, [0, 0, 100, 100, 100, 0, 0], atol=1e-9)
    np.testing.assert_allclose(smooth, x)


def test_overshoot_arrives_above_and_settles() -> None:
    t = np.linspace(1.0, 4.5, 3501)
    x, smooth = render_rep(_rep(overshoot=0.04, overshoot_tau_s=0.1), t)
    top = np.argmin(np.abs(t - 2.0))
    assert x[top] == pytest.approx(104.0)
    assert np.argmax(x) == top  # the arrival is the maximum: the truth stays physical
    assert x[np.argmin(np.abs(t - 2.9))] == pytest.approx(100.0, abs=0.05)
    assert smooth.max() == pytest.approx(100.0)


def test_breathing_ripples_the_top() -> None:
    t = np.linspace(2.2, 2.8, 601)
    x, _ = render_rep(_rep(breath=0.03, breath_period_s=0.3), t)
    assert x.max() - x.min() == pytest.approx(6.0, rel=0.05)


def test_hysteresis_unloading_below_loading() -> None:
    up = np.linspace(0, 150, 301)
    path = np.concatenate([up, up[::-1]])
    force = band_law.band_force(path, path, 10.0, 0.4, 0.002, 0.08, 5.0)
    loading, unloading = force[:301], force[301:][::-1]
    mid = slice(50, 250)
    assert np.all(unloading[mid] < loading[mid])
    ratio = unloading[mid] / loading[mid]
    assert ratio.min() > 0.8
    assert force[0] == pytest.approx(10.0) and force[-1] == pytest.approx(10.0)
    # Stiffening: the second half of the stretch adds more force than the first.
    assert loading[300] - loading[150] > loading[150] - loading[0]


def test_hysteresis_branch_matches_the_recursion_over_many_chunks() -> None:
    rng = np.random.default_rng(0)
    x = np.abs(np.cumsum(rng.normal(0, 3.0, 5000)))  # travel ~ 2400 scale units: 5 chunks
    z = band_law.hysteresis_branch(x, 1.0)
    naive = np.empty_like(x)
    prev = -1.0
    for i, dx in enumerate(np.diff(x, prepend=x[:1])):
        a = np.exp(-abs(dx) / 1.0)
        prev = a * prev + (1 - a) * np.sign(dx)
        naive[i] = prev
    np.testing.assert_allclose(z, naive, atol=1e-9)
    assert np.all(np.abs(z) <= 1 + 1e-12)


def test_force_steady_during_a_pause() -> None:
    x = np.concatenate([np.linspace(0, 120, 100), np.full(100, 120.0)])
    force = band_law.band_force(x, x, 8.0, 0.35, 0.0, 0.1, 5.0)
    assert np.ptp(force[100:]) < 1e-9


def test_sensor_noise_spikes_quantisation() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(60_000) / 1000.0
    clean = np.full(len(t), 20.0)
    sensor = Sensor.model_validate(
        {"force_noise_n": 0.1, "drift": "none", "spikes_per_min": 60.0, "spike_n": [20, 30]}
    )
    force, stretch, drawn = faults.apply_sensor(rng, sensor, t, clean, np.full(len(t), 50.0))
    outliers = np.abs(force - 20.0) > 10.0
    assert drawn.spikes > 0 and outliers.sum() == drawn.spikes  # isolated, one sample each
    assert (force[outliers] > 20).any() and (force[outliers] < 20).any()  # both signs
    assert np.std(force[~outliers]) == pytest.approx(0.1, rel=0.1)
    np.testing.assert_allclose(force * 100, np.round(force * 100), atol=1e-6)
    np.testing.assert_allclose(stretch * 10, np.round(stretch * 10), atol=1e-6)


def test_linear_drift() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(12_000) / 100.0
    sensor = Sensor.model_validate({
        "force_noise_n": 0, "drift": "linear", "drift_linear_n_per_min": 0.5,
        "spikes_per_min": 0, "force_resolution_n": 0,
    })
    force, _, _ = faults.apply_sensor(rng, sensor, t, np.zeros(len(t)), np.zeros(len(t)))
    assert force[-1] == pytest.approx(0.5 * t[-1] / 60)


def test_saturation_at_protocol_limits() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(3) / 100.0
    sensor = Sensor.model_validate(
        {"force_noise_n": 0, "stretch_noise_mm": 0, "drift": "none", "spikes_per_min": 0}
    )
    force, stretch, _ = faults.apply_sensor(
        rng, sensor, t, np.array([-500.0, 0.0, 500.0]), np.array([-5.0, 1.0, 1e5])
    )
    assert force.tolist() == [faults.FORCE_MIN_N, 0.0, faults.FORCE_MAX_N]
    assert stretch.tolist() == [0.0, 1.0, faults.STRETCH_MAX_MM]


def test_wide_spikes_and_sine_drift() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(120_000) / 200.0  # 10 minutes
    sensor = Sensor.model_validate({
        "force_noise_n": 0, "drift": ["sine"], "drift_sine_n": 2.0,
        "drift_sine_period_s": 300.0, "spikes_per_min": 3.0, "spike_n": [50, 60],
        "spike_samples": [2, 3], "force_resolution_n": 0,
    })
    force, _, drawn = faults.apply_sensor(rng, sensor, t, np.zeros(len(t)), np.zeros(len(t)))
    assert drawn.drift_sine_n == 2.0 and drawn.drift_sine_period_s == 300.0
    spiky = np.abs(force) > 10
    runs = np.diff(np.concatenate(([0], spiky.astype(int), [0])))
    widths = np.flatnonzero(runs == -1) - np.flatnonzero(runs == 1)
    assert drawn.spikes > 10 and set(widths.tolist()) <= {2, 3, 4, 5, 6}
    smooth = force[~spiky]
    assert smooth[0] == pytest.approx(0.0)
    assert np.ptp(smooth) == pytest.approx(4.0, rel=0.02)  # two full periods of +-2 N


def test_relaxation_and_viscosity() -> None:
    rate = 100.0
    x = np.concatenate([np.linspace(0, 100, 101), np.full(200, 100.0), np.linspace(100, 0, 101)])
    relax = np.ones(len(x))
    held = np.arange(200) / rate
    relax[101:301] = 1 - 0.05 * (1 - np.exp(-held / 0.5))
    relax[301:] = relax[300]
    force = band_law.band_force(x, x, 10.0, 0.5, 0.0, 0.0, 5.0, relaxation=relax)
    assert force[101] == pytest.approx(60.0)
    assert force[300] == pytest.approx(10 + 50 * relax[300])
    assert force[300] < force[101] - 2.0
    viscous = band_law.band_force(x, x, 10.0, 0.5, 0.0, 0.0, 5.0, viscous_n_s_per_mm=0.01,
                                  rate_hz=rate)
    plain = band_law.band_force(x, x, 10.0, 0.5, 0.0, 0.0, 5.0)
    # Rate-dependent: more force while stretching, less while releasing, none when still.
    assert viscous[50] - plain[50] == pytest.approx(0.01 * 100.0, rel=0.01)
    assert viscous[350] < plain[350]
    assert viscous[200] == pytest.approx(plain[200])


def test_body_sway_is_slow_and_scaled() -> None:
    from firmware_sim.movement import body_sway

    sway = body_sway(np.random.default_rng(5), 20_000, 100.0, 1.5, 0.5)
    assert np.std(sway) == pytest.approx(1.5)
    spectrum = np.abs(np.fft.rfft(sway)) ** 2
    freqs = np.fft.rfftfreq(len(sway), 0.01)
    assert spectrum[freqs > 5].sum() < 0.01 * spectrum.sum()
    assert not body_sway(np.random.default_rng(5), 100, 100.0, 0.0, 0.5).any()
