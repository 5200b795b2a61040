"""The settings of the scaling fits and their defaults, read by `proctor fit chinchilla | posttrain`'s options (the
one home of both): `Approach3Config` (the Chinchilla fit) and `PosttrainConfig` (the post-training law).
Scaling is a CLI-only technique: no `[[experiment]]` type."""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import Field

from ..runs.spec import Spec

__all__ = ["Approach3Config", "PosttrainConfig"]


class Approach3Config(Spec):
    """Knobs of the Approach 3 fit; the defaults are Hoffmann et al.'s."""

    delta: float = Field(1e-3, gt=0)
    """Huber loss threshold on log-space residuals (Hoffmann: 1e-3)."""
    objective: Literal["sum", "mean"] = "sum"
    """Sum the Huber terms (as published) or average them (what Hoffmann's code did; L-BFGS then stops early,
    Besiroglu et al. 2024)."""
    memory: int = Field(10, ge=1)
    """L-BFGS history length (scipy's default maxcor is 10)."""
    gtol: float = Field(1e-5, gt=0)
    """Stop when the largest gradient component is below this (scipy's pgtol)."""
    ftol: float = Field(1e7 * sys.float_info.epsilon, gt=0)
    """Stop when the relative decrease of the objective is below this (scipy's factr*eps)."""
    maxiter: int = Field(15000, ge=1)
    """Iteration cap per start (scipy's default)."""
    n_boot: int = Field(200, ge=0)
    """Bootstrap replicates over data points; 0 skips the CIs."""
    boot_starts: int = Field(32, ge=1)
    """Starts per bootstrap replicate: the full-data optimum plus the grid starts that ended lowest on the full data
    (re-running all 4,500 per replicate changes nothing but the time)."""
    ci: float = Field(0.95, gt=0, lt=1)
    """Coverage of the percentile bootstrap intervals."""
    seed: int = 0
    """Seed of the bootstrap resampling."""


class PosttrainConfig(Spec):
    """Knobs of the post-training fit."""

    log_span: float = Field(6.0, gt=0)
    """Search log N* from log(min N_p) - span to log(max N_p) + span (natural log; 6 is a factor of ~400 beyond the
    data either way)."""
    grid: int = Field(400, ge=10)
    """Points of the coarse search over log N* before the bounded refinement."""
    n_boot: int = Field(1000, ge=0)
    """Bootstrap replicates over data points; 0 skips the CIs."""
    ci: float = Field(0.95, gt=0, lt=1)
    """Coverage of the percentile bootstrap intervals."""
    seed: int = 0
    """Seed of the bootstrap resampling."""
