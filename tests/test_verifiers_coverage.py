"""The verifiers' best-of-N lift CI (the scorecard's PRM - ORM lift at the largest N, paired over problems) covers the
true lift about 95% of the time.

Simulated problems of three kinds: each of a problem's 8 candidates is right with probability 0.05, 0.5 or 0.95
(by kind), and each verifier scores a candidate N(shift, 1) if right and N(0, 1) if wrong, the PRM with the larger
shift. The production path picks the top-scored candidate of the whole pool (best_of_n at N = 8) and computes the
lift's CI (paired_lift), as experiment.py does. The true lift is exact: the probability that the top of 8 normal
scores is a right one, by numerical integration (scipy), averaged over the binomial number of right candidates and the
kinds. Both verifiers do well on easy problems and badly on hard ones, so the CI must resample problems jointly: the
same harness shows that an unpaired interval over-covers.
"""

import numpy as np
from scipy import integrate, special, stats

from proctor.verifiers.bon import best_of_n, paired_lift

POOL = 8
RIGHT_P = np.array([0.05, 0.5, 0.95])  # chance that a candidate is right, per kind of problem (kinds equally likely)
SHIFT = {"prm": 1.5, "orm": 0.6}       # score shift of right candidates: the PRM separates them better
PROBLEMS, REPS, BAND = 150, 500, (0.92, 0.98)


def top_is_right(shift: float, k: int) -> float:
    """P(the best of POOL scores is one of the k right candidates): right ~ N(shift, 1), wrong ~ N(0, 1)."""
    if k in (0, POOL):
        return float(k == POOL)
    def density(x):  # the top right score is at x, every other score below it
        return (k * np.exp(-(x - shift) ** 2 / 2) / np.sqrt(2 * np.pi) * special.ndtr(x - shift) ** (k - 1)
                * special.ndtr(x) ** (POOL - k))

    return integrate.quad(density, -12.0, 12.0 + shift)[0]


def accuracy(shift: float) -> float:
    return float(np.mean([sum(stats.binom.pmf(k, POOL, p) * top_is_right(shift, k) for k in range(POOL + 1))
                          for p in RIGHT_P]))


def simulate(rep: int):
    rng = np.random.default_rng([6, rep])
    kind = rng.integers(0, 3, PROBLEMS)
    right = rng.random((PROBLEMS, POOL)) < RIGHT_P[kind][:, None]
    return right, {m: s * right + rng.standard_normal((PROBLEMS, POOL)) for m, s in SHIFT.items()}


def unpaired_lift_ci(a, b, seed):
    """The broken interval: the PRM's and the ORM's accuracies resampled over independent draws of problems."""
    rng = np.random.default_rng(seed)
    draws = a[rng.integers(0, len(a), (1000, len(a)))].mean(1) - b[rng.integers(0, len(b), (1000, len(b)))].mean(1)
    return np.quantile(draws, [0.025, 0.975])


def test_best_of_n_lift_ci_has_its_stated_coverage():
    true = accuracy(SHIFT["prm"]) - accuracy(SHIFT["orm"])
    assert 0.05 < true < 0.2
    # the integral against brute force: 400,000 simulated pools
    rng = np.random.default_rng(0)
    big = rng.random((400_000, POOL)) < RIGHT_P[rng.integers(0, 3, 400_000)][:, None]
    picked = np.argmax(SHIFT["prm"] * big + rng.standard_normal(big.shape), axis=1)
    assert abs(big[np.arange(len(big)), picked].mean() - accuracy(SHIFT["prm"])) < 0.005

    covered = covered_unpaired = 0
    for rep in range(REPS):
        right, scores = simulate(rep)
        per = best_of_n(scores, right, ns=[POOL], draws=1, n_boot=100, seed=rep)["per_problem"]
        lift = paired_lift(per["prm"][-1], per["orm"][-1], 1000, rep)
        covered += lift["lo"] <= true <= lift["hi"]
        lo, hi = unpaired_lift_ci(per["prm"][-1], per["orm"][-1], rep)
        covered_unpaired += lo <= true <= hi
    # 500 replicates: a true 95% interval lands in [0.92, 0.98] with probability > 0.99
    assert BAND[0] <= covered / REPS <= BAND[1], covered / REPS
    # the harness can tell: resampling the two verifiers' problems apart gives too wide an interval
    assert covered_unpaired / REPS > BAND[1], covered_unpaired / REPS
