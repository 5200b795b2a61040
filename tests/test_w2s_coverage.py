"""The W2S PGR interval has its stated coverage: simulated test sets with a known true PGR (correlated correctness of
weak, student and ceiling, as real models err on the same hard examples), the production estimator
(proctor.w2s.pgr.bootstrap_correct), and the share of 95% intervals that contain the truth."""

from __future__ import annotations

import numpy as np

from proctor.w2s.pgr import bootstrap_correct

TRUE = {"weak": 0.70, "student": 0.78, "ceiling": 0.86}  # true PGR = 0.5


def _test_set(rng: np.random.Generator, n: int) -> np.ndarray:
    """(3, n) correctness with the true accuracies above: one latent difficulty per example drives all three."""
    u = rng.random(n)  # shared difficulty: a model is right on an example when its accuracy exceeds its difficulty
    noise = rng.random((3, n)) < 0.15  # and some disagreement of its own
    acc = np.array([TRUE["weak"], TRUE["student"], TRUE["ceiling"]])[:, None]
    own = rng.random((3, n)) < acc
    return np.where(noise, own, u[None, :] < acc).astype(np.float64)


def _coverage(estimate, reps: int = 300, n: int = 600) -> float:
    rng = np.random.default_rng(7)
    truth = (TRUE["student"] - TRUE["weak"]) / (TRUE["ceiling"] - TRUE["weak"])
    hits = 0
    for r in range(reps):
        lo, hi = estimate(_test_set(rng, n), r)
        hits += lo <= truth <= hi
    return hits / reps


def test_pgr_interval_covers_the_true_pgr_about_95_percent():
    def production(correct, r):
        est = bootstrap_correct(correct, n_boot=1000, seed=r)
        return est.pgr.lo, est.pgr.hi

    cov = _coverage(production)
    # 300 repetitions: Monte-Carlo sd of a 95% coverage is 1.3 points; the percentile bootstrap of a ratio is close
    assert 0.915 <= cov <= 0.985, cov


def test_an_unpaired_resample_would_be_caught():
    """The property above can fail: resampling the three models' examples independently (ignoring that they err on
    the same examples) gives intervals far too wide, and this coverage check sees it."""
    def unpaired(correct, r):
        rng = np.random.default_rng(r)
        n = correct.shape[1]
        boot = np.stack([correct[i, rng.integers(0, n, size=(1000, n))].mean(axis=1) for i in range(3)])
        ratio = (boot[1] - boot[0]) / (boot[2] - boot[0])
        return np.quantile(ratio, [0.025, 0.975])

    assert _coverage(unpaired, reps=150) > 0.985
