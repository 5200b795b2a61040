"""Intervals and bootstraps shared by every technique: `Interval` (a value with its CI) and the percentile
bootstrap of a mean (judge accuracy, best-of-N accuracy, per-image debate wins, per-latent suppression effects)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A point estimate with the bounds of its confidence interval."""

    value: float
    lo: float
    hi: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def bootstrap_mean(values, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> Interval:
    """Mean of `values` with a percentile-bootstrap CI: `n_boot` resamples of the examples, with replacement, drawn
    by `numpy.random.default_rng(seed)`. An empty input gives a NaN interval."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    means = x[np.random.default_rng(seed).integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return Interval(float(x.mean()), float(lo), float(hi))


def verdict(value, ci, null: float | None, *, blocked: str | None = None, null_label: str | None = None) -> str:
    """The one rule for a scorecard verdict: "measured" only when the 95% CI of `value` excludes `null` (the value
    meaning no effect); "calculated (no sampling error)" for a deterministic number (`null` None); otherwise
    "no result: <reason>"."""
    def finite(x) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    if blocked:
        return f"no result: {blocked}"
    if not finite(value):
        return "no result: undefined"
    if null is None:
        return "calculated (no sampling error)"
    if not ci or len(ci) != 2 or not all(finite(c) for c in ci):
        return "no result: no confidence interval"
    if ci[0] > null or ci[1] < null:
        return "measured"
    return f"no result: 95% CI includes {null_label or f'{null:g}'}"


def two_way_bootstrap_weights(rows, cols, *, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """(n_boot, n) weights of a two-way cluster ("pigeonhole") bootstrap (Owen 2007) of n observations, each in
    cluster rows[i] of one factor (e.g. its judge) and cols[i] of another (e.g. its question): each resample draws the
    row clusters and the column clusters with replacement, independently, and weights an observation by how often
    its row cluster times how often its column cluster was drawn. A weighted mean per resample is then a bootstrap
    replicate that respects both clusterings (judges who judge alike, questions that are alike)."""
    r = np.unique(np.asarray(rows), return_inverse=True)[1].ravel()
    c = np.unique(np.asarray(cols), return_inverse=True)[1].ravel()
    if r.size == 0:
        return np.zeros((n_boot, 0))
    rng = np.random.default_rng(seed)
    nr, nc = int(r.max()) + 1, int(c.max()) + 1
    wr = np.stack([np.bincount(rng.integers(0, nr, nr), minlength=nr) for _ in range(n_boot)])
    wc = np.stack([np.bincount(rng.integers(0, nc, nc), minlength=nc) for _ in range(n_boot)])
    return (wr[:, r] * wc[:, c]).astype(np.float64)


def weighted_interval(values, weights: np.ndarray, *, level: float = 0.95) -> Interval:
    """Mean of `values` with the percentile interval of its replicates under bootstrap `weights` (n_boot, n), e.g.
    from `two_way_bootstrap_weights`; replicates with no weight are dropped. An empty input gives a NaN interval."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    tot = weights.sum(axis=1)
    ok = tot > 0
    reps = (weights[ok] @ x) / tot[ok]
    if reps.size == 0:
        return Interval(float(x.mean()), math.nan, math.nan)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(reps, [a, 1.0 - a])
    return Interval(float(x.mean()), float(lo), float(hi))
