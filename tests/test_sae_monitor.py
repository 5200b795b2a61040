"""Monitor math: threshold calibration hits its target FPR on held-out data; AUROC / TPR by hand; monitors vs probes."""

import numpy as np
import pytest

from proctor.sae.monitor import (
    DiffMeansProbe,
    FeatureMonitor,
    Monitor,
    auroc,
    bootstrap_metrics,
    calibrate_threshold,
    compare_monitors,
    tpr_at_fpr,
)


def test_calibrated_threshold_hits_target_fpr_on_held_out_reference_data():
    rng = np.random.default_rng(0)
    for target in (0.01, 0.05):
        calib = rng.standard_normal(20_000)
        held_out = rng.standard_normal(200_000)
        t = calibrate_threshold(calib, target)
        realised = (held_out > t).mean()
        # binomial sd of the calibration quantile ~ sqrt(p(1-p)/n_calib): allow 4 sd
        assert abs(realised - target) < 4 * np.sqrt(target * (1 - target) / 20_000), (target, realised)
        assert (calib > t).mean() <= target


def test_threshold_and_tpr_by_hand():
    ref = np.arange(100, dtype=float)          # 0..99: at 5% FPR five reference scores (95..99) may pass
    assert calibrate_threshold(ref, 0.05) == 94.0
    scores = np.r_[ref, [94.0, 95.5, 200.0, 10.0]]
    labels = np.r_[np.zeros(100), np.ones(4)]
    assert tpr_at_fpr(scores, labels, 0.05) == pytest.approx(0.5)  # 95.5 and 200 pass; 94 ties, not flagged
    assert auroc([3, 1, 2, 2], [1, 0, 1, 0]) == pytest.approx(0.875)  # (1 + 0.5 + 1 + 1) / 4
    with pytest.raises(ValueError):
        calibrate_threshold(ref, 0.0)


def test_bootstrap_interval_brackets_the_point_estimate():
    rng = np.random.default_rng(1)
    s = np.r_[rng.normal(1, 1, 300), rng.normal(0, 1, 300)]
    y = np.r_[np.ones(300), np.zeros(300)]
    m = bootstrap_metrics(s, y, n_boot=200, seed=0)
    for k in ("auroc", "tpr@1%", "tpr@5%"):
        lo, hi = m[k]["ci"]
        assert lo <= m[k]["value"] <= hi
    assert 0.70 < m["auroc"]["value"] < 0.82  # Phi(1/sqrt 2) = 0.76


def test_feature_monitor_finds_the_planted_latent_and_flags_at_target_rate():
    rng = np.random.default_rng(2)
    n = 2000
    y = rng.random(n) < 0.5
    Z = np.abs(rng.normal(0, 1, (n, 50))) * (rng.random((n, 50)) < 0.3)
    Z[:, 17] += 2.0 * y                          # latent 17 carries the concept
    X = rng.normal(0, 1, (n, 10))
    X[:, 3] += 1.5 * y
    tr = np.arange(n) < 1200
    mon = FeatureMonitor().fit(Z[tr], y[tr])
    assert 17 in mon.latents_.tolist()
    m = Monitor.calibrated(mon, Z[tr][~y[tr]], 0.05)
    assert m.flag(Z[~tr][~y[~tr]]).mean() < 0.1
    assert m.flag(Z[~tr][y[~tr]]).mean() > 0.5
    res = compare_monitors(Z, X, y, train=tr, n_boot=100)
    assert set(res) == {"sae_features", "diff_of_means", "logistic"}
    assert res["sae_features"]["auroc"]["value"] > 0.9
    assert res["diff_of_means"]["auroc"]["value"] > 0.8
    d = DiffMeansProbe().fit(X[tr], y[tr])
    assert np.argmax(np.abs(d.direction_)) == 3
