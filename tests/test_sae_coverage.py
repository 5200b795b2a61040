"""The SAE monitor's intervals have about their stated 95% coverage: simulated monitor scores with a known TPR at the
true 1% FPR threshold (Gaussian: flagged ~ N(mu, 1), reference ~ N(0, 1), so TPR = P(Z > z_0.99 - mu)), scored by the
production bootstrap (proctor.sae.monitor.bootstrap_stats, BCa) with the statistics monitor_intervals uses.

Two monitors read the same texts (a shared component, correlation `c` between their scores) and a pair's two texts
share a prompt (correlation `rho`), as in the HH and sycophancy sets. Deterministic seeds; a few seconds each."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from proctor.sae.monitor import _tpr_rows, bootstrap_stats, monitor_intervals

FPR = 0.01


def _texts(rng, n: int, mu_a: float, mu_b: float, c: float, rho: float):
    """Scores of monitors a and b on n prompt pairs: rows 0..n-1 flagged, n..2n-1 their reference twins."""
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    shared = np.r_[u, rho * u + math.sqrt(1 - rho ** 2) * v]
    y = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    a = mu_a * y + math.sqrt(c) * shared + math.sqrt(1 - c) * rng.standard_normal(2 * n)
    b = mu_b * y + math.sqrt(c) * shared + math.sqrt(1 - c) * rng.standard_normal(2 * n)
    return a, b, y, np.r_[np.arange(n), np.arange(n)]


def _true_tpr(mu: float) -> float:
    return float(norm.sf(norm.isf(FPR) - mu))


def difference_coverage(interval, *, reps: int, n: int = 300, seed: int = 0) -> float:
    """Share of simulated test sets on which `interval(a, b, y, pairs, seed)` -> (lo, hi) holds TPR_a - TPR_b."""
    mu_a, mu_b = 2.0, 1.6
    truth = _true_tpr(mu_a) - _true_tpr(mu_b)
    rng = np.random.default_rng(seed)
    hits = 0
    for r in range(reps):
        a, b, y, pairs = _texts(rng, n, mu_a, mu_b, c=0.8, rho=0.5)
        lo, hi = interval(a, b, y, pairs, r)
        hits += lo <= truth <= hi
    return hits / reps


def paired_difference(a, b, y, pairs, seed):
    """The production interval: both monitors on the same resampled pairs, BCa."""
    _, lo, hi = bootstrap_stats(lambda p, q: [_tpr_rows(a[p], a[q], FPR) - _tpr_rows(b[p], b[q], FPR)], y, pairs,
                                n_boot=1000, seed=seed)
    return lo[0], hi[0]


def test_paired_tpr_difference_covers_95():
    """The scorecard's interval (SAE minus probe, TPR at 1% FPR, 300 test pairs like HH). Measured: 0.93 (Monte-Carlo
    sd 0.012 at 400 sets); resampling the two monitors independently (unpaired) gives 0.99 and fails."""
    cov = difference_coverage(paired_difference, reps=400)
    assert 0.92 <= cov <= 0.98, cov


def test_verdict_follows_the_paired_interval_under_the_null():
    """Two equally good monitors: the paired interval excludes 0 (a "measured" verdict) about 5% of the time. The
    rule the scorecard used before (the SAE monitor's own CI excludes the probe's point TPR) said "measured" twice
    as often (measured: 0.03 vs 0.105), because it ignores the probe's own sampling error."""
    rng = np.random.default_rng(3)
    new = old = 0
    reps = 200
    for r in range(reps):
        a, b, y, pairs = _texts(rng, 300, 1.6, 1.6, c=0.6, rho=0.5)
        point, lo, hi = bootstrap_stats(lambda p, q: [_tpr_rows(a[p], a[q], FPR) - _tpr_rows(b[p], b[q], FPR),
                                                      _tpr_rows(a[p], a[q], FPR), _tpr_rows(b[p], b[q], FPR)],
                                        y, pairs, n_boot=1000, seed=r)
        new += not lo[0] <= 0 <= hi[0]
        old += not lo[1] <= point[2] <= hi[1]
    assert new / reps <= 0.07, new / reps
    assert old / reps >= 0.08, old / reps


def test_the_scorecard_difference_is_this_interval():
    """monitor_intervals (what compare_monitors reports) gives the same difference interval as the statistic above:
    the coverage measured there is the coverage of the scorecard's row."""
    a, b, y, pairs = _texts(np.random.default_rng(5), 200, 2.0, 1.6, c=0.8, rho=0.5)
    _, diff = monitor_intervals({"sae": a, "probe": b}, y, pairs, ("sae", "probe"), n_boot=500, seed=3)
    _, lo, hi = bootstrap_stats(lambda p, q: [_tpr_rows(a[p], a[q], FPR) - _tpr_rows(b[p], b[q], FPR)], y, pairs,
                                n_boot=500, seed=3)
    assert diff["ci"] == pytest.approx([lo[0], hi[0]])


@pytest.mark.parametrize("paired, n", [(False, 400), (True, 300)])
def test_one_monitor_tpr_covers_95(paired, n):
    """One monitor's TPR at 1% FPR: sst2-like (400 texts per class, resampled by class) and HH-like (300 pairs)."""
    mu = 2.0
    truth = _true_tpr(mu)
    rng = np.random.default_rng(11 + n)
    hits, reps = 0, 200
    for r in range(reps):
        a, _, y, pairs = _texts(rng, n, mu, 0.0, c=0.5, rho=0.5 if paired else 0.0)
        _, lo, hi = bootstrap_stats(lambda p, q: [_tpr_rows(a[p], a[q], FPR)], y, pairs if paired else None,
                                    n_boot=1000, seed=r)
        hits += lo[0] <= truth <= hi[0]
    cov = hits / reps
    assert 0.90 <= cov <= 0.98, cov
