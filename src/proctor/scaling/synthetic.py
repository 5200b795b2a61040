"""Scaling curves generated from known parameters with noise: the ground truth that the fits are tested against.

The pretraining default is Hoffmann et al.'s (2022) published fit, E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28,
on a grid of model sizes and tokens-per-parameter ratios like theirs (70M to 16B parameters, 1 to 400 tokens per
parameter). The post-training default is a curve that bends near 30k preference pairs, as the textbook's
"diminishing returns past roughly 50k to 100k pairs" describes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from proctor.scaling.joint import JointParams
from proctor.scaling.law import ChinchillaParams
from proctor.scaling.posttrain import PosttrainParams

__all__ = ["HOFFMANN", "JOINT_EXAMPLE", "POSTTRAIN_EXAMPLE", "chinchilla_runs", "joint_runs", "posttrain_runs"]

#: Hoffmann et al. (2022), eq. 10.
HOFFMANN = ChinchillaParams(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)

#: An illustrative post-training curve: ceiling 0.75 win rate, bend at 30k pairs.
POSTTRAIN_EXAMPLE = PosttrainParams(Q_inf=0.75, alpha=0.08, N_star=30_000.0)

#: An illustrative joint curve: ceiling 0.80; SFT bends at 10k examples, preference data at 30k pairs; additive.
JOINT_EXAMPLE = JointParams(Q_inf=0.80, a_s=0.05, S_star=10_000.0, a_p=0.04, P_star=30_000.0, gamma=0.0)


def chinchilla_runs(params: ChinchillaParams = HOFFMANN, *, sizes: int = 12, ratios=(1, 2, 5, 10, 20, 50, 100, 200, 400),
                    noise: float = 0.01, seed: int = 0) -> pd.DataFrame:
    """Runs (N, D, loss) on `sizes` log-spaced model sizes from 7e7 to 1.6e10, each trained on D = r N tokens for every
    ratio r; the loss is the law's value times exp(eps), eps ~ Normal(0, `noise`) (multiplicative, so the log-space
    residuals the fit sees have standard deviation `noise`)."""
    rng = np.random.default_rng(seed)
    N = np.repeat(np.logspace(np.log10(7e7), np.log10(1.6e10), sizes), len(ratios))
    D = N * np.tile(np.asarray(ratios, dtype=float), sizes)
    loss = params.loss(N, D) * np.exp(rng.normal(0.0, noise, N.size))
    return pd.DataFrame({"N": N, "D": D, "loss": loss})


def posttrain_runs(params: PosttrainParams = POSTTRAIN_EXAMPLE, *, points: int = 14, low: float = 500.0,
                   high: float = 2e6, noise: float = 0.005, seed: int = 0) -> pd.DataFrame:
    """Runs (N_p, Q) at `points` log-spaced preference-data sizes from `low` to `high`; Q gets additive
    Normal(0, `noise`) noise (an evaluation's sampling error)."""
    rng = np.random.default_rng(seed)
    n_p = np.round(np.logspace(np.log10(low), np.log10(high), points))
    q = params.quality(n_p) + rng.normal(0.0, noise, n_p.size)
    return pd.DataFrame({"N_p": n_p, "Q": q})


def joint_runs(params: JointParams = JOINT_EXAMPLE, *, sft=(300, 1e3, 3e3, 1e4, 3e4, 1e5, 3e5),
               pref=(500, 2e3, 8e3, 3e4, 1e5, 4e5, 1.5e6), noise: float = 0.005, seed: int = 0) -> pd.DataFrame:
    """Runs (N_s, N_p, Q) on the full grid of `sft` x `pref` sizes (49 runs by default); Q gets additive
    Normal(0, `noise`) noise."""
    rng = np.random.default_rng(seed)
    ns, np_ = (a.ravel() for a in np.meshgrid(np.asarray(sft, float), np.asarray(pref, float), indexing="ij"))
    q = params.quality(ns, np_) + rng.normal(0.0, noise, ns.size)
    return pd.DataFrame({"N_s": ns, "N_p": np_, "Q": q})
