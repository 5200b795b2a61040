"""Deployment monitors and their baselines, compared at the same false-positive rate.

A monitor maps a text (its pooled activations) to a score and flags it when the score passes a threshold calibrated
on reference (clean) data to a target false-positive rate: with n reference scores and target alpha, the threshold is
the (floor(alpha n) + 1)-th largest reference score and a text is flagged when its score is strictly greater, so at
most alpha n reference texts are flagged. Three monitors, the same protocol:

    SAE features   sum_j sign_j * z_j / sd_j over the m latents most separating the training texts (m chosen on the
                   training split among 1, 2, 4, ..., 32)
    diff-of-means  (mu_flagged - mu_reference) . x on the raw pooled activations
    logistic       scikit-learn LogisticRegression on standardised raw pooled activations

Reported on the test split: AUROC, TPR at 1% and 5% FPR (threshold at that FPR on the test reference texts), all with
stratified bootstrap 95% CIs; plus, as a deployment check, the FPR that a threshold calibrated on one half of the
test reference texts reaches on the other half. (A threshold calibrated on the probes' own training texts would be
too low: a fitted probe scores its training texts more confidently than new ones.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import auroc_columns

FPRS = (0.01, 0.05)


def auroc(scores, labels) -> float:
    """P(score of a flagged text > score of a reference text), ties counted half."""
    s = np.asarray(scores, np.float64)
    return float(auroc_columns(s[:, None], np.asarray(labels))[0])


def calibrate_threshold(reference_scores, target_fpr: float) -> float:
    """The threshold t with #(reference > t) <= floor(target_fpr * n), as low as the reference scores allow."""
    r = np.sort(np.asarray(reference_scores, np.float64))[::-1]
    if len(r) == 0:
        raise ValueError("no reference scores to calibrate on")
    if not 0 < target_fpr < 1:
        raise ValueError(f"target FPR must lie in (0, 1), got {target_fpr}")
    m = int(np.floor(target_fpr * len(r)))
    return float(r[min(m, len(r) - 1)])


def tpr_at_fpr(scores, labels, fpr: float) -> float:
    """TPR of the threshold calibrated to `fpr` on the reference (label 0) scores of the same data."""
    s, y = np.asarray(scores, np.float64), np.asarray(labels).astype(bool)
    t = calibrate_threshold(s[~y], fpr)
    return float((s[y] > t).mean())


def bootstrap_metrics(scores, labels, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """{"auroc", "tpr@1%", "tpr@5%"}: each {"value", "ci": [lo, hi]}, resampling each class with replacement."""
    s, y = np.asarray(scores, np.float64), np.asarray(labels).astype(bool)
    pos, neg = s[y], s[~y]
    rng = np.random.default_rng(seed)

    def stats(p, n):
        yy = np.r_[np.ones(len(p)), np.zeros(len(n))]
        ss = np.r_[p, n]
        return [auroc(ss, yy)] + [tpr_at_fpr(ss, yy, f) for f in FPRS]

    point = stats(pos, neg)
    boots = np.array([stats(rng.choice(pos, len(pos)), rng.choice(neg, len(neg))) for _ in range(n_boot)])
    a = (1 - level) / 2
    names = ["auroc"] + [f"tpr@{int(f * 100)}%" for f in FPRS]
    return {k: {"value": point[i], "ci": [float(np.quantile(boots[:, i], a)), float(np.quantile(boots[:, i], 1 - a))]}
            for i, k in enumerate(names)}


# -- the three monitors (scikit-learn estimator contract: fit returns self, learned state ends in _) -----------------
class DiffMeansProbe:
    """Score = (mean flagged - mean reference) . x."""

    def fit(self, X, y):
        y = np.asarray(y).astype(bool)
        self.direction_ = X[y].mean(0) - X[~y].mean(0)
        return self

    def decision_function(self, X):
        return np.asarray(X) @ self.direction_


class LogisticProbe:
    """Standardise, then L2-regularised logistic regression (C = 1)."""

    def __init__(self, C: float = 1.0, random_state: int = 0):
        self.C, self.random_state = C, random_state

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=5000,
                                                                         random_state=self.random_state)).fit(X, y)
        return self

    def decision_function(self, X):
        return self.model_.decision_function(X)


class FeatureMonitor:
    """Score = sum_j sign_j * z_j / sd_j over chosen SAE latents; `fit` picks them on training codes."""

    def __init__(self, sizes=(1, 2, 4, 8, 16, 32), latents=None):
        self.sizes, self.latents = tuple(sizes), latents

    def fit(self, Z, y):
        y = np.asarray(y).astype(bool)
        auc = auroc_columns(Z, y)
        sd = Z.std(0)
        order = np.argsort(-np.abs(auc - 0.5), kind="stable")
        order = order[sd[order] > 0]
        signs = np.sign(auc - 0.5)
        best = None
        candidates = [np.asarray(self.latents)] if self.latents is not None else [order[:m] for m in self.sizes]
        for lat in candidates:
            w = signs[lat] / np.where(sd[lat] > 0, sd[lat], 1)
            a = auroc(Z[:, lat] @ w, y)
            if best is None or a > best[0]:
                best = (a, lat, w)
        self.train_auroc_, self.latents_, self.weights_ = best[0], np.asarray(best[1]), best[2]
        return self

    def decision_function(self, Z):
        return np.asarray(Z)[:, self.latents_] @ self.weights_


@dataclass
class Monitor:
    """A fitted scorer plus its threshold: `flag(X)` is True where the score passes the calibrated threshold."""

    scorer: object
    threshold: float
    target_fpr: float

    @classmethod
    def calibrated(cls, scorer, reference_X, target_fpr: float) -> "Monitor":
        return cls(scorer, calibrate_threshold(scorer.decision_function(reference_X), target_fpr), target_fpr)

    def score(self, X) -> np.ndarray:
        return np.asarray(self.scorer.decision_function(X))

    def flag(self, X) -> np.ndarray:
        return self.score(X) > self.threshold


def compare_monitors(Z, X, y, *, train, n_boot: int = 1000, seed: int = 0) -> dict:
    """Fit the SAE-feature monitor on codes Z and both probes on raw activations X (rows where the boolean mask
    `train` is set); score the other rows, the test split. Returns {name: {"auroc", "tpr@1%", "tpr@5%" (value + CI),
    "realised_fpr@1%", "realised_fpr@5%"}} and the chosen latents. Realised FPR: threshold from half of the test
    reference texts, counted on the other half."""
    train = np.asarray(train, dtype=bool)
    Z_train, X_train, Z_test, X_test = Z[train], X[train], Z[~train], X[~train]
    y = np.asarray(y)
    y_train, y_test = y[train].astype(bool), y[~train].astype(bool)
    fitted = {"sae_features": (FeatureMonitor().fit(Z_train, y_train), Z_train, Z_test),
              "diff_of_means": (DiffMeansProbe().fit(X_train, y_train), X_train, X_test),
              "logistic": (LogisticProbe(random_state=seed).fit(X_train, y_train), X_train, X_test)}
    # deployment check: calibrate on one half of the test reference texts, count false positives on the other half
    ref = np.flatnonzero(~y_test)
    ref = ref[np.random.default_rng(seed).permutation(len(ref))]
    cal, held = ref[: len(ref) // 2], ref[len(ref) // 2:]
    out = {}
    for name, (scorer, tr, te) in fitted.items():
        s = np.asarray(scorer.decision_function(te))
        res = bootstrap_metrics(s, y_test, n_boot=n_boot, seed=seed)
        for f in FPRS:
            mon = Monitor.calibrated(scorer, te[cal], f)
            res[f"realised_fpr@{int(f * 100)}%"] = float(mon.flag(te[held]).mean())
        out[name] = res
    sae = fitted["sae_features"][0]
    out["sae_features"]["latents"] = [int(j) for j in sae.latents_]
    out["sae_features"]["weights"] = [float(w) for w in sae.weights_]
    return out
