"""Deployment monitors and their baselines, compared at the same false-positive rate.

A monitor maps a text (its pooled activations) to a score and flags it when the score passes a threshold calibrated
on reference (clean) data to a target false-positive rate: with n reference scores and target alpha, the threshold is
the (floor(alpha n) + 1)-th largest reference score and a text is flagged when its score is strictly greater, so at
most alpha n reference texts are flagged. Three monitors, the same protocol:

    SAE features   sum_j sign_j * z_j / sd_j over the m latents most separating the training texts (m chosen on the
                   training split among 1, 2, 4, ..., 32)
    diff-of-means  (mu_flagged - mu_reference) . x on the raw pooled activations
    logistic       scikit-learn LogisticRegression on standardised raw pooled activations

Reported on the test split: AUROC, TPR at 1% and 5% FPR (threshold at that FPR on the test reference texts), with
95% BCa bootstrap CIs (scipy.stats.bootstrap) over the test items: whole prompt pairs for a paired set (a pair's two
texts share a prompt, so they are not independent draws), each class separately for an unpaired one (sst2). Plus, as
a deployment check, the FPR that a threshold calibrated on one half of the test reference texts reaches on the other
half. (A threshold calibrated on the probes' own training texts would be too low: a fitted probe scores its training
texts more confidently than new ones.)

The comparison that answers "is the SAE monitor better than a probe?" is paired: the SAE monitor's TPR at 1% FPR
minus the chosen probe's, with a CI from the same resampled test items for both (`compare_monitors`). The probe is
chosen without looking at the test split: the one with the higher 5-fold cross-validated TPR at 1% FPR on the training
split (out-of-fold scores pooled; folds keep a pair together; AUROC breaks ties).

Coverage (tests/test_sae_coverage.py, simulated Gaussian scores with a known TPR at the true 1% threshold): the BCa
interval of the paired difference covers 0.95 within Monte-Carlo error at 300 test pairs; the percentile interval
used before over-covered the difference (0.97-0.99) and under-covered one monitor's TPR (0.90-0.93).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .features import auroc_columns

FPRS = (0.01, 0.05)
CV_FOLDS = 5
"""Folds of the cross-validation that chooses the comparison probe on the training split."""
PROBES = ("diff_of_means", "logistic")
"""The baselines the SAE monitor is compared with."""


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


def _tpr_rows(sp: np.ndarray, sn: np.ndarray, fpr: float) -> np.ndarray:
    """`tpr_at_fpr` along the last axis: flagged scores `sp` [..., n1], reference scores `sn` [..., n0]."""
    m = min(int(np.floor(fpr * sn.shape[-1])), sn.shape[-1] - 1)
    t = -np.partition(-sn, m, axis=-1)[..., m]
    return (sp > t[..., None]).mean(-1)


def _auroc_rows(sp: np.ndarray, sn: np.ndarray) -> np.ndarray:
    """`auroc` along the last axis (Mann-Whitney U of the flagged scores / (n1 n0))."""
    from scipy.stats import mannwhitneyu

    return mannwhitneyu(sp, sn, axis=-1, method="asymptotic").statistic / (sp.shape[-1] * sn.shape[-1])


def _metrics(sp: np.ndarray, sn: np.ndarray) -> list[np.ndarray]:
    """[AUROC, TPR at each of FPRS] along the last axis."""
    return [_auroc_rows(sp, sn)] + [_tpr_rows(sp, sn, f) for f in FPRS]


NAMES = ["auroc"] + [f"tpr@{int(f * 100)}%" for f in FPRS]


def pair_rows(pairs, labels) -> tuple[np.ndarray, np.ndarray]:
    """(flagged, reference): aligned row indices of each pair's two texts (pair k = rows flagged[k], reference[k]).
    A pair must hold exactly one flagged and one reference text."""
    g, y = np.asarray(pairs), np.asarray(labels).astype(bool)
    ids, inv = np.unique(g, return_inverse=True)
    flagged, reference = np.full(len(ids), -1), np.full(len(ids), -1)
    for rows, want in ((flagged, True), (reference, False)):
        where = np.flatnonzero(y == want)
        if np.bincount(inv[where], minlength=len(ids)).max(initial=0) > 1:
            raise ValueError("a pair holds two texts of the same class")
        rows[inv[where]] = where
    if (flagged < 0).any() or (reference < 0).any():
        raise ValueError("a pair lacks its flagged or its reference text")
    return flagged, reference


def resampling_unit(pairs) -> str:
    """What the bootstrap resamples, as the tables and the scorecard name it."""
    return "test prompt pairs" if pairs is not None else "test texts, each class separately"


def bootstrap_stats(stat, labels, pairs=None, *, n_boot: int = 1000, seed: int = 0,
                    level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point values and 95% BCa bootstrap bounds of `stat(flagged_rows, reference_rows)`, a function returning a
    list of statistics, each vectorized over leading axes of the row-index arrays. Resamples whole pairs where
    `pairs` (a pair id per row) is given, else each class separately (scipy.stats.bootstrap, `n_boot` resamples,
    seeded). Where BCa is undefined (a degenerate bootstrap distribution, e.g. every resample flags every text) the
    percentile interval stands in."""
    from scipy.stats import bootstrap

    y = np.asarray(labels).astype(bool)
    if pairs is not None:
        pos, neg = pair_rows(pairs, y)
        data, fn = (np.arange(len(pos)),), lambda k, axis=-1: np.stack(stat(pos[k], neg[k]))
    else:
        pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
        data, fn = (pos, neg), lambda p, n, axis=-1: np.stack(stat(p, n))
    point = np.stack(stat(pos, neg)).astype(np.float64)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")  # scipy warns where BCa is undefined; the fallback below handles it
        res = bootstrap(data, fn, vectorized=True, n_resamples=n_boot, method="BCa", confidence_level=level,
                        rng=np.random.default_rng(seed))
    lo, hi = (np.asarray(b, np.float64) for b in res.confidence_interval)
    a = (1 - level) / 2
    pct = np.quantile(res.bootstrap_distribution, [a, 1 - a], axis=-1)
    bad = ~(np.isfinite(lo) & np.isfinite(hi))
    lo, hi = np.where(bad, pct[0], lo), np.where(bad, pct[1], hi)
    return point, lo, hi


def bootstrap_metrics(scores, labels, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                      pairs=None) -> dict:
    """{"auroc", "tpr@1%", "tpr@5%"}: each {"value", "ci": [lo, hi]} (`bootstrap_stats`: by pair where `pairs`
    is given, else by class)."""
    return monitor_intervals({"m": scores}, labels, pairs, n_boot=n_boot, seed=seed, level=level)[0]["m"]


def monitor_intervals(scores: dict, labels, pairs=None, difference: tuple[str, str] | None = None, *,
                      n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[dict, dict | None]:
    """Every monitor's AUROC and TPRs (`scores`: name -> test scores) and, for `difference` = (a, b), TPR at 1% FPR
    of a minus b, all from the same bootstrap resamples (`bootstrap_stats`), so the difference is paired. Returns
    ({name: {"auroc", "tpr@1%", "tpr@5%": {"value", "ci"}}}, {"value", "ci"} or None)."""
    names = list(scores)
    S = {k: np.asarray(v, np.float64) for k, v in scores.items()}
    k = len(NAMES)
    i_tpr = NAMES.index("tpr@1%")

    def stat(p, n):
        per = [v for name in names for v in _metrics(S[name][p], S[name][n])]
        if difference:
            a, b = (names.index(x) * k + i_tpr for x in difference)
            per.append(per[a] - per[b])
        return per

    point, lo, hi = bootstrap_stats(stat, labels, pairs, n_boot=n_boot, seed=seed, level=level)
    out = {name: {m: {"value": float(point[i * k + j]), "ci": [float(lo[i * k + j]), float(hi[i * k + j])]}
                  for j, m in enumerate(NAMES)} for i, name in enumerate(names)}
    diff = {"value": float(point[-1]), "ci": [float(lo[-1]), float(hi[-1])]} if difference else None
    return out, diff


# -- the three monitors (scikit-learn estimator contract: fit returns self, learned state ends in _) -----------------
class DiffMeansProbe(ClassifierMixin, BaseEstimator):
    """Score = (mean flagged - mean reference) . x."""

    def fit(self, X, y):
        y = np.asarray(y).astype(bool)
        self.classes_ = np.array([False, True])
        self.direction_ = X[y].mean(0) - X[~y].mean(0)
        self.midpoint_ = float((X[y].mean(0) + X[~y].mean(0)) @ self.direction_ / 2)
        return self

    def decision_function(self, X):
        return np.asarray(X) @ self.direction_

    def predict(self, X):
        """Flagged where the score passes the midpoint of the two class means (monitors calibrate their own)."""
        return self.decision_function(X) > self.midpoint_


class LogisticProbe(ClassifierMixin, BaseEstimator):
    """Standardise, then L2-regularised logistic regression (C = 1)."""

    def __init__(self, C: float = 1.0, random_state: int = 0):
        self.C, self.random_state = C, random_state

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=5000,
                                                                         random_state=self.random_state)).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X):
        return self.model_.decision_function(X)

    def predict(self, X):
        return self.model_.predict(X)


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


def choose_probe(X, y, pairs=None, *, seed: int = 0, folds: int = CV_FOLDS) -> dict:
    """The comparison probe, chosen on training data only: out-of-fold decision scores of each probe
    (sklearn's cross_val_predict; StratifiedGroupKFold keeping a pair's texts together where `pairs` is given, else
    StratifiedKFold), pooled, give a cross-validated TPR at 1% FPR and AUROC; the higher TPR wins, AUROC breaks ties.
    Returns {"probe": name, "cv": {name: {"tpr@1%", "auroc"}}, "folds": folds}."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict

    y = np.asarray(y).astype(bool)
    cv = (StratifiedGroupKFold(folds, shuffle=True, random_state=seed) if pairs is not None
          else StratifiedKFold(folds, shuffle=True, random_state=seed))
    scores = {}
    for name in PROBES:
        oof = cross_val_predict(_probe(name, seed), X, y, groups=pairs, cv=cv, method="decision_function")
        scores[name] = {"tpr@1%": tpr_at_fpr(oof, y, 0.01), "auroc": auroc(oof, y)}
    best = max(PROBES, key=lambda k: (scores[k]["tpr@1%"], scores[k]["auroc"]))
    return {"probe": best, "cv": scores, "folds": folds}


def _probe(name: str, seed: int):
    return DiffMeansProbe() if name == "diff_of_means" else LogisticProbe(random_state=seed)


def compare_monitors(Z, X, y, *, train, pairs=None, n_boot: int = 1000, seed: int = 0) -> dict:
    """Fit the SAE-feature monitor on codes Z and both probes on raw activations X (rows where the boolean mask
    `train` is set); score the other rows, the test split. `pairs`: a pair id per row for a prompt-paired set (both
    texts of a pair on the same side of the split), None for an unpaired one.

    Returns {"monitors": {name: {"auroc", "tpr@1%", "tpr@5%" (value + CI), "realised_fpr@1%", "realised_fpr@5%"}}
    (and the SAE monitor's latents), "comparison": the SAE monitor's TPR at 1% FPR minus the probe chosen on the
    training split (`choose_probe`), value + CI, from the same bootstrap resamples as every monitor's own CIs}.
    Realised FPR: threshold from half of the test reference texts, counted on the other half."""
    train = np.asarray(train, dtype=bool)
    Z_train, X_train, Z_test, X_test = Z[train], X[train], Z[~train], X[~train]
    y = np.asarray(y)
    y_train, y_test = y[train].astype(bool), y[~train].astype(bool)
    g_train, g_test = (None, None) if pairs is None else (np.asarray(pairs)[train], np.asarray(pairs)[~train])
    fitted = {"sae_features": (FeatureMonitor().fit(Z_train, y_train), Z_test)}
    fitted |= {name: (_probe(name, seed).fit(X_train, y_train), X_test) for name in PROBES}
    chosen = choose_probe(X_train, y_train, g_train, seed=seed)
    monitors, diff = monitor_intervals({name: scorer.decision_function(te) for name, (scorer, te) in fitted.items()},
                                       y_test, g_test, ("sae_features", chosen["probe"]), n_boot=n_boot, seed=seed)
    # deployment check: calibrate on one half of the test reference texts, count false positives on the other half
    ref = np.flatnonzero(~y_test)
    ref = ref[np.random.default_rng(seed).permutation(len(ref))]
    cal, held = ref[: len(ref) // 2], ref[len(ref) // 2:]
    for name, (scorer, te) in fitted.items():
        for f in FPRS:
            mon = Monitor.calibrated(scorer, te[cal], f)
            monitors[name][f"realised_fpr@{int(f * 100)}%"] = float(mon.flag(te[held]).mean())
    sae = fitted["sae_features"][0]
    monitors["sae_features"]["latents"] = [int(j) for j in sae.latents_]
    monitors["sae_features"]["weights"] = [float(w) for w in sae.weights_]
    comparison = {"measure": "tpr@1%", "probe": chosen["probe"], **diff, "unit": resampling_unit(pairs),
                  "n_boot": n_boot,
                  "interval": "BCa bootstrap, the same resamples for both monitors",
                  "probe_chosen_by": f"{chosen['folds']}-fold cross-validated TPR @ 1% FPR on the training split",
                  "cv": chosen["cv"]}
    return {"monitors": monitors, "comparison": comparison}
