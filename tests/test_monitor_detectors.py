"""Two-sample statistics against scipy / hand values; CUSUM and Page-Hinkley on synthetic streams with a known change
point; thresholds calibrated to a target false-alarm rate hold on fresh data."""

import numpy as np
import pytest
from scipy import stats

from proctor.monitor.calibrate import Calibration, calibrate, detector_threshold, window_threshold
from proctor.monitor.changepoint import DETECTORS, cusum_alarms, cusum_step, page_hinkley_alarms
from proctor.monitor.stream import StreamMonitor
from proctor.monitor.twosample import chi2_statistic, ks_statistic, psi, wasserstein1


def test_ks_and_wasserstein_match_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.3, 1.2, size=120)
    b[:10] = np.round(b[:10])  # ties
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)
    assert wasserstein1(a, b) == pytest.approx(stats.wasserstein_distance(a, b))
    assert np.isnan(ks_statistic([], b))
    assert ks_statistic(a, np.r_[b, np.nan]) == pytest.approx(stats.ks_2samp(a, b).statistic)  # NaN dropped


def test_psi_by_hand():
    ref = np.array([0, 0, 1, 1, 2, 2, 3, 3], dtype=float)
    win = np.array([3, 3, 3, 3], dtype=float)
    # 4 bins with edges [1, 2, 3] (quartiles of ref): ref masses 1/4 each; window all in the top bin.
    # PSI = 3 * (eps - 1/4) ln(eps / (1/4)) + (1 - 1/4) ln(1 / (1/4)), eps = 1e-4
    eps = 1e-4
    expect = 3 * (eps - 0.25) * np.log(eps / 0.25) + 0.75 * np.log(4)
    assert psi(ref, win, bins=4) == pytest.approx(expect)
    assert psi(ref, ref, bins=4) == pytest.approx(0.0)
    # zero-inflated (like formatting): every decile is 0, yet more non-zero values must register
    zi = np.r_[np.zeros(95), np.ones(5)]
    assert psi(zi, np.r_[np.zeros(70), np.ones(30)]) > 0.25


def test_chi2_matches_scipy_without_continuity_correction():
    ref = np.array([0] * 90 + [1] * 10, dtype=float)
    win = np.array([0] * 30 + [1] * 20, dtype=float)
    table = [[90, 10], [30, 20]]
    assert chi2_statistic(ref, win) == pytest.approx(stats.chi2_contingency(table, correction=False)[0])
    assert chi2_statistic(np.zeros(5), np.zeros(3)) == 0.0


def _shifted_stream(n=6000, change=3000, shift=1.0, seed=1):
    z = np.random.default_rng(seed).standard_normal(n)
    z[change:] += shift
    return z


@pytest.mark.parametrize("detector,h", [("cusum", 8.0), ("page_hinkley", 25.0)])
def test_detectors_find_a_known_change_point(detector, h):
    z = _shifted_stream()
    alarms_fn, step, size, kw = DETECTORS[detector]
    a = alarms_fn(z, h, **kw)
    first_after = a[a >= 3000][0]
    assert 3000 <= first_after < 3000 + 100  # a one-sd shift is caught within ~20-40 steps at these thresholds
    assert np.sum(a < 3000) <= 1  # and the clean half is (nearly) quiet
    # the streaming step gives the same alarms, value by value (NaN skipped by both)
    z[[10, 3010]] = np.nan
    a = alarms_fn(z, h, **kw)
    state = [0.0] * size
    stepped = [i for i, v in enumerate(z) if step(state, v, h, **kw) > h]
    np.testing.assert_array_equal(a, stepped)


def test_cusum_by_hand():
    # k = 0.5, h = 1: S+ = 0.5, 1.0, 1.5 -> alarm at index 2 (strictly above h), then restart from 0
    np.testing.assert_array_equal(cusum_alarms([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], h=1.0), [2, 5])
    state = [0.0, 0.0]
    assert cusum_step(state, -2.0, h=10.0) == pytest.approx(1.5) and state == [0.0, 1.5]
    assert page_hinkley_alarms(np.zeros(100), lam=1.0).size == 0


def test_calibrated_thresholds_hold_on_fresh_data():
    rng = np.random.default_rng(2)
    ref = rng.exponential(size=3000)  # skewed, like lengths
    h = detector_threshold(ref, "cusum", target_per_10k=20.0, rng=rng, n_sim=200_000)
    fresh = rng.exponential(size=200_000)
    z = (fresh - ref.mean()) / ref.std(ddof=1)
    rate = 1e4 * cusum_alarms(z, h).size / fresh.size
    assert 5 < rate < 60  # target 20 per 10k; the bootstrap covers the error of the reference mean and sd
    t = window_threshold(ref, "ks", window=100, target_per_10k=5.0, rng=rng, n_windows=1000)
    wins = [ks_statistic(ref, rng.exponential(size=100)) for _ in range(1000)]
    assert np.mean(np.array(wins) > t) < 0.1  # target per window: 5 * 100 / 10k = 0.05


def test_calibration_round_trips_and_drives_a_stream_monitor():
    rng = np.random.default_rng(3)
    vals = {"x": rng.normal(size=500), "flag": (rng.random(500) < 0.1).astype(float)}
    cal = calibrate(vals, {"x": "continuous", "flag": "binary"}, target_per_10k=50.0, window=50,
                    statistics=("ks", "chi2"), n_sim=100_000)
    assert set(cal.thresholds) == {"cusum:x", "page_hinkley:x", "ks:x", "cusum:flag", "page_hinkley:flag",
                                   "chi2:flag"}
    cal2 = Calibration.from_dict(cal.to_dict())
    assert cal2.thresholds == cal.thresholds
    mon = StreamMonitor(cal2)
    alarms = []
    for i in range(400):
        alarms += mon.update_values({"x": float(rng.normal() + (3.0 if i >= 200 else 0.0)), "flag": 0.0}, line=i + 1)
    first = min(a.index for a in alarms if a.metric == "x")
    assert 200 <= first < 215
    # state round-trip: a monitor rebuilt from its state continues identically
    twin = StreamMonitor.from_state(cal2, mon.state_dict())
    row = {"x": 5.0, "flag": 1.0}
    assert [a.to_dict() for a in twin.update_values(row)] == [a.to_dict() for a in mon.update_values(row)]


@pytest.mark.parametrize("statistic,kind", [("ks", "continuous"), ("psi", "continuous"), ("wasserstein", "continuous"),
                                            ("chi2", "binary")])
def test_window_tests_find_a_known_change_point(statistic, kind):
    from proctor.monitor.experiment import pair_alarms

    rng = np.random.default_rng(4)
    if kind == "continuous":
        ref, stream = rng.lognormal(5, 0.6, 2000), rng.lognormal(5, 0.6, 3000)
        stream[1500:] *= 1.5  # responses 50% longer from index 1500 on
    else:
        ref, stream = (rng.random(2000) < 0.05).astype(float), (rng.random(3000) < 0.05).astype(float)
        stream[1500:] = (rng.random(1500) < 0.25).astype(float)  # a flag's rate jumps from 5% to 25%
    # 2 per 10k with windows of 100: p = 0.02 per window, ~0.3 false alarms expected in the 15 windows before
    cal = calibrate({"m": ref}, {"m": kind}, target_per_10k=2.0, detectors=(), statistics=(statistic,),
                    window=100)
    a = pair_alarms(cal, statistic, "m", stream)
    assert a.size and a[a >= 1500][0] == 1599  # the first window wholly after the change (windows end at 99, 199...)
    assert np.sum(a < 1500) <= 1
