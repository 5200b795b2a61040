"""Two-sample drift statistics between a reference sample and a window of recent values.

Pure functions over 1-D float arrays (NaN values are dropped first). Larger always means "more different".

- `ks_statistic`: Kolmogorov-Smirnov D = sup_x |F_ref(x) - F_win(x)| (Kolmogorov 1933, Smirnov 1948), ties handled by
  evaluating both empirical CDFs at every observed value.
- `psi`: Population Stability Index = sum_b (p_win - p_ref) ln(p_win / p_ref) over reference-quantile bins
  (Siddiqi 2006; Yurdakul 2018). Rule of thumb: < 0.1 stable, > 0.25 shifted.
- `wasserstein1`: earth mover's distance = integral |F_ref - F_win| dx (Vaserstein 1969; Ramdas et al. 2017).
- `chi2_statistic`: Pearson's chi-squared of the 2 x C contingency table of category counts (Pearson 1900), for
  binary / categorical metrics where KS has no power.

Thresholds are not the textbook critical values: `calibrate.window_threshold` takes them from the statistic's
distribution over windows resampled from reference data, at a target false-alarm rate.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STATISTICS", "chi2_statistic", "ks_statistic", "psi", "psi_edges", "wasserstein1"]


def _clean(x) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64).ravel()
    return a[~np.isnan(a)]


def ks_statistic(ref, win) -> float:
    """Two-sample Kolmogorov-Smirnov D; NaN if either sample is empty."""
    a, b = np.sort(_clean(ref)), np.sort(_clean(win))
    if a.size == 0 or b.size == 0:
        return float("nan")
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def psi_edges(ref, bins: int = 10) -> np.ndarray:
    """Inner bin edges at the reference quantiles (duplicates from ties merged), for `psi`."""
    a = _clean(ref)
    if a.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(a, np.linspace(0, 1, bins + 1)[1:-1]))


def psi(ref, win, bins: int = 10, eps: float = 1e-4, edges: np.ndarray | None = None) -> float:
    """Population Stability Index over reference-quantile bins; empty bins get `eps` mass so the log is finite."""
    a, b = _clean(ref), _clean(win)
    if a.size == 0 or b.size == 0:
        return float("nan")
    e = psi_edges(a, bins) if edges is None else edges
    # right-closed bins (a value equal to an edge goes to the bin below it): for zero-inflated metrics (formatting,
    # repetition) every decile is 0, the only edge is 0, and this keeps the zeros apart from the positive values
    pa = np.bincount(np.searchsorted(e, a, side="left"), minlength=e.size + 1) / a.size
    pb = np.bincount(np.searchsorted(e, b, side="left"), minlength=e.size + 1) / b.size
    pa, pb = np.maximum(pa, eps), np.maximum(pb, eps)
    return float(np.sum((pb - pa) * np.log(pb / pa)))


def wasserstein1(ref, win) -> float:
    """Wasserstein-1 distance between the two empirical distributions (integral of |F_ref - F_win|)."""
    a, b = np.sort(_clean(ref)), np.sort(_clean(win))
    if a.size == 0 or b.size == 0:
        return float("nan")
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(a, grid[:-1], side="right") / a.size
    fb = np.searchsorted(b, grid[:-1], side="right") / b.size
    return float(np.sum(np.abs(fa - fb) * np.diff(grid)))


def chi2_statistic(ref, win) -> float:
    """Pearson's chi-squared statistic of reference vs window category counts (categories = observed values).

    Expected counts come from the pooled proportions; a category absent from both contributes nothing. 0 when
    the pooled sample has a single category (nothing can differ).
    """
    a, b = _clean(ref), _clean(win)
    if a.size == 0 or b.size == 0:
        return float("nan")
    cats, idx = np.unique(np.concatenate([a, b]), return_inverse=True)
    if cats.size < 2:
        return 0.0
    table = np.stack([np.bincount(idx[: a.size], minlength=cats.size),
                      np.bincount(idx[a.size:], minlength=cats.size)]).astype(np.float64)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    return float(np.sum((table - expected) ** 2 / expected))


#: Statistic name -> function, and the metric kinds it applies to.
STATISTICS = {
    "ks": (ks_statistic, ("continuous",)),
    "psi": (psi, ("continuous",)),
    "wasserstein": (wasserstein1, ("continuous",)),
    "chi2": (chi2_statistic, ("binary",)),
}
