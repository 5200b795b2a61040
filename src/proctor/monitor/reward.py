"""Reward-model length bias: diagnostics, and a length-penalised reward for training-time use.

- `length_bias`: how much a reward (or judge score) follows length: Spearman and Pearson correlation of reward with
  length, and the OLS slope in reward units per 100 characters (Singhal et al. 2023, "A Long Way to Go:
  Investigating Length Correlations in RLHF"). For pairwise preferences use `lengthcontrol.fit_length_controlled`.
- `LengthPenalisedReward`: wraps any reward function r(prompt, response) as
  r'(x, y) = r(x, y) - alpha * max(0, len(y) - target) / scale, a hinge that leaves answers up to `target`
  characters alone and charges every extra `scale` characters `alpha` reward units (the length penalty of
  Exercise 35.1.2 (2a); cf. the length-normalised rewards of Park et al. 2024, "Disentangling Length from Quality
  in DPO"). `alpha_for_zero_slope` picks alpha so the penalised reward no longer trends with length on given data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from proctor.errors import ConfigError, DataError

__all__ = ["LengthPenalisedReward", "alpha_for_zero_slope", "length_bias"]


def length_bias(rewards: Sequence[float], lengths: Sequence[float]) -> dict:
    """Correlation of reward with length: Spearman rho, Pearson r and the OLS slope per 100 characters."""
    r = np.asarray(rewards, dtype=np.float64)
    n = np.asarray(lengths, dtype=np.float64)
    if r.shape != n.shape or r.size < 3:
        raise DataError(f"length_bias needs >= 3 aligned rewards and lengths, got {r.size} and {n.size}")
    ok = ~(np.isnan(r) | np.isnan(n))
    r, n = r[ok], n[ok]
    if np.ptp(n) == 0 or np.ptp(r) == 0:
        return {"n": int(r.size), "spearman": float("nan"), "pearson": float("nan"), "slope_per_100_chars": 0.0}
    slope = np.polyfit(n, r, 1)[0]
    return {"n": int(r.size), "spearman": float(stats.spearmanr(n, r).statistic),
            "pearson": float(stats.pearsonr(n, r).statistic), "slope_per_100_chars": float(100.0 * slope)}


@dataclass
class LengthPenalisedReward:
    """r'(prompt, response) = reward(prompt, response) - alpha * max(0, len(response) - target) / scale."""

    reward: Callable[[str, str], float]
    alpha: float = 0.1
    target: int = 600
    scale: float = 100.0

    def __post_init__(self):
        if self.alpha < 0 or self.scale <= 0 or self.target < 0:
            raise ConfigError("LengthPenalisedReward: need alpha >= 0, scale > 0, target >= 0")

    def penalty(self, response: str) -> float:
        return self.alpha * max(0, len(response) - self.target) / self.scale

    def __call__(self, prompt: str, response: str) -> float:
        return float(self.reward(prompt, response)) - self.penalty(response)

    def batch(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        return np.array([self(p, r) for p, r in zip(prompts, responses)], dtype=np.float64)


def alpha_for_zero_slope(rewards: Sequence[float], lengths: Sequence[float], target: int = 0,
                         scale: float = 100.0) -> float:
    """The alpha >= 0 at which the hinge-penalised reward has zero OLS slope on length (0 if it already falls).

    r' = r - alpha * h with h = max(0, len - target) / scale, so slope(r', len) = slope(r) - alpha * slope(h): linear
    in alpha, solved exactly.
    """
    r = np.asarray(rewards, dtype=np.float64)
    n = np.asarray(lengths, dtype=np.float64)
    h = np.maximum(0.0, n - target) / scale
    if np.ptp(n) == 0 or np.ptp(h) == 0:
        return 0.0
    s_r, s_h = np.polyfit(n, r, 1)[0], np.polyfit(n, h, 1)[0]
    return float(max(0.0, s_r / s_h))


def pairwise_length_bias(chosen: Sequence[str], rejected: Sequence[str], seed: int = 0) -> dict:
    """Length bias of preference labels (the data a reward model learns from): the share of pairs whose chosen reply
    is the longer one, and the AlpacaEval-style GLM coefficient phi of tanh(standardized length difference).

    Each pair is put in a random order (seeded) so the intercept is 0 in expectation; phi < 0 means the longer
    reply tends to be chosen. Ties in length count half.
    """
    from .lengthcontrol import fit_length_controlled

    if len(chosen) != len(rejected) or len(chosen) < 3:
        raise DataError(f"need >= 3 aligned chosen/rejected pairs, got {len(chosen)} and {len(rejected)}")
    lc = np.array([len(t) for t in chosen], dtype=np.float64)
    lr = np.array([len(t) for t in rejected], dtype=np.float64)
    flip = np.random.default_rng(seed).random(lc.size) < 0.5
    # "model" = the reply shown second; preference 1 when it is the chosen one
    model_len, base_len = np.where(flip, lc, lr), np.where(flip, lr, lc)
    fit = fit_length_controlled(flip.astype(np.float64), model_len, base_len)
    longer = np.where(lc > lr, 1.0, np.where(lc == lr, 0.5, 0.0))
    return {"pairs": int(lc.size), "chosen_longer": float(longer.mean()), "phi": fit.phi,
            "mean_len_chosen": float(lc.mean()), "mean_len_rejected": float(lr.mean())}
