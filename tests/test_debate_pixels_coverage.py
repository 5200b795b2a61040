"""The pixel-debate lift CI (the scorecard's "judge accuracy lift", paired over images) covers the true lift about 95%
of the time.

Simulated images of three kinds (easy, middling, hard) with known probabilities: the judge alone is right on each of
10 random-pixel draws with a probability set by the kind, and the honest player wins each move order with a
probability set by the kind (one uniform per image decides both orders, so an image lost in one order tends to be
lost in the other). The true lift, E[mean of the two orders' wins] - E[judge accuracy], is then exact. Per image,
judge accuracy and debate wins move together (easy images: both high), which is why the CI must resample images
jointly: the same harness shows that an unpaired interval (judge and debate resampled separately) over-covers.
"""

import numpy as np
import pytest

from proctor.debate.pixels.summary import summarize_setting

KIND_P = np.array([0.4, 0.35, 0.25])      # share of easy / middling / hard images
JUDGE_P = np.array([0.95, 0.5, 0.05])      # judge alone right on one draw of pixels
HONEST_FIRST = np.array([1.0, 0.75, 0.2])  # honest player wins, moving first
LIAR_FIRST = np.array([1.0, 0.85, 0.3])   # honest player wins, moving second
TRUE_LIFT = float(KIND_P @ ((HONEST_FIRST + LIAR_FIRST) / 2 - JUDGE_P))
IMAGES, REPS, BAND = 100, 500, (0.92, 0.98)


def simulate(rep: int):
    rng = np.random.default_rng([16, rep])
    kind = rng.choice(3, size=IMAGES, p=KIND_P)
    judge = rng.binomial(10, JUDGE_P[kind]) / 10
    u = rng.random(IMAGES)
    return judge, {"honest_first": u < HONEST_FIRST[kind], "liar_first": u < LIAR_FIRST[kind]}


def unpaired_lift_ci(judge, wins, seed):
    """The broken interval: debate and judge-alone means resampled over independent draws of images."""
    debate = np.mean([wins["honest_first"], wins["liar_first"]], axis=0).astype(float)
    rng = np.random.default_rng(seed)
    draws = (debate[rng.integers(0, IMAGES, (1000, IMAGES))].mean(1)
             - judge[rng.integers(0, IMAGES, (1000, IMAGES))].mean(1))
    return np.quantile(draws, [0.025, 0.975])


def test_lift_ci_has_its_stated_coverage():
    assert TRUE_LIFT == pytest.approx(0.175)
    covered = covered_unpaired = 0
    for rep in range(REPS):
        judge, wins = simulate(rep)
        s = summarize_setting(judge, wins, n_boot=1000, seed=rep)
        lo, hi = s["lift_ci"]
        covered += lo <= TRUE_LIFT <= hi
        lo, hi = unpaired_lift_ci(judge, wins, rep)
        covered_unpaired += lo <= TRUE_LIFT <= hi
    # 500 replicates: a true 95% interval lands in [0.92, 0.98] with probability > 0.99
    assert BAND[0] <= covered / REPS <= BAND[1], covered / REPS
    # the harness can tell: resampling judge and debate apart gives too wide an interval (about 1.7 times too wide here)
    assert covered_unpaired / REPS > BAND[1], covered_unpaired / REPS
