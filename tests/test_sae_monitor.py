"""Monitor math: threshold calibration hits its target FPR on held-out data; AUROC / TPR by hand; monitors vs probes;
the comparison probe is chosen on the training split only; paired sets resample whole pairs; the scorecard row is the
paired difference. (Coverage of the intervals: test_sae_coverage.py.)"""

import numpy as np
import pytest

from proctor.sae.monitor import (
    DiffMeansProbe,
    FeatureMonitor,
    Monitor,
    auroc,
    bootstrap_metrics,
    bootstrap_stats,
    calibrate_threshold,
    choose_probe,
    compare_monitors,
    pair_rows,
    tpr_at_fpr,
)
from proctor.sae.summary import scorecard


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
    out = compare_monitors(Z, X, y, train=tr, n_boot=100)
    res = out["monitors"]
    assert set(res) == {"sae_features", "diff_of_means", "logistic"}
    assert res["sae_features"]["auroc"]["value"] > 0.9
    assert res["diff_of_means"]["auroc"]["value"] > 0.8
    d = DiffMeansProbe().fit(X[tr], y[tr])
    assert np.argmax(np.abs(d.direction_)) == 3
    c = out["comparison"]
    assert c["probe"] in ("diff_of_means", "logistic") and c["unit"] == "test texts, each class separately"
    # the paired difference is the difference of the two monitors' point values, inside its own interval
    assert c["value"] == pytest.approx(res["sae_features"]["tpr@1%"]["value"] - res[c["probe"]]["tpr@1%"]["value"])
    assert c["ci"][0] <= c["value"] <= c["ci"][1]


def _paired_data(seed=0, n=400, shift=1.0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    pairs = np.r_[np.arange(n), np.arange(n)]
    prompt = rng.normal(0, 1, (n, 10))                 # what a pair's two texts share
    X = np.r_[prompt, prompt] + rng.normal(0, 1, (2 * n, 10))
    X[:, 0] += shift * y
    train = np.r_[np.arange(n) < 250, np.arange(n) < 250]
    return X, y, pairs, train


def test_probe_is_chosen_on_the_training_split_only():
    X, y, pairs, train = _paired_data()
    chosen = choose_probe(X[train], y[train], pairs[train])
    assert set(chosen["cv"]) == {"diff_of_means", "logistic"} and chosen["folds"] == 5
    # whatever the test split holds, the same probe is chosen: scramble the test texts and compare
    Z = np.abs(X[:, :5])
    a = compare_monitors(Z, X, y, train=train, pairs=pairs, n_boot=100)["comparison"]
    X2 = X.copy()
    X2[~train] = np.random.default_rng(9).permutation(X2[~train])
    b = compare_monitors(Z, X2, y, train=train, pairs=pairs, n_boot=100)["comparison"]
    assert a["probe"] == b["probe"] == chosen["probe"] and a["cv"] == b["cv"]
    assert a["unit"] == "test prompt pairs"


def test_pairs_are_resampled_whole():
    y = np.array([1, 0, 0, 1, 1, 0], bool)
    flagged, reference = pair_rows([7, 7, 3, 3, 5, 5], y)
    assert flagged.tolist() == [3, 4, 0] and reference.tolist() == [2, 5, 1]   # pairs 3, 5, 7 in order
    with pytest.raises(ValueError, match="same class"):
        pair_rows([0, 0, 1, 1], [1, 1, 0, 0])
    with pytest.raises(ValueError, match="lacks"):
        pair_rows([0, 0, 1], [1, 0, 1])
    # every resample holds whole pairs: a text's twin comes along (rows 2k and 2k+1 here hold pair k)
    n = 40
    y = np.tile([True, False], n)
    pairs = np.repeat(np.arange(n), 2)
    seen = []

    def stat(p, q):
        seen.append((p, q))
        return [np.asarray(p, float).mean(-1)]

    bootstrap_stats(stat, y, pairs, n_boot=50)
    assert any(np.ndim(p) == 2 and len(p) >= 50 for p, _ in seen)  # a batch of resamples went through
    for p, q in seen:
        assert np.array_equal(np.asarray(q), np.asarray(p) + 1)


def test_scorecard_row_is_the_paired_difference():
    X, y, pairs, train = _paired_data(shift=3.0)
    Z = np.abs(X[:, 1:4])  # the "SAE codes" miss the planted direction
    res = compare_monitors(Z, X, y, train=train, pairs=pairs, n_boot=200)
    summary = {"model": "m", "site": "resid.3", "sets": {"hh": {"monitors": res["monitors"],
                                                                "comparison": res["comparison"]}}}
    (row,) = scorecard(summary)
    c = res["comparison"]
    assert row.value == c["value"] and row.ci == tuple(c["ci"]) and row.null == 0.0
    assert row.null_label == "the best probe" and row.unit.startswith("test prompt pairs")
    assert "cross-validation on the training split" in row.setting
    # here the probe sees the planted direction and the "SAE" does not: measurably worse, so "measured"
    assert c["ci"][1] < 0 and row.verdict == "measured"
    # a unit stored before the comparison existed gives no verdict rather than a wrong one
    (old,) = scorecard({"sets": {"hh": {"monitors": res["monitors"]}}})
    assert old.verdict.startswith("no result")
