"""The settings of the scaling fits and their defaults, read by `proctor fit chinchilla | posttrain`'s options (the
one home of both): `Approach3Config` (the Chinchilla fit), `PosttrainConfig` (the post-training law),
`PosttrainJointConfig` and `PosttrainPlanConfig` (the joint law and the budget planner), and `PosttrainPlanSpec`, the
`[[experiment]]` type `posttrain_plan` (fit the joint law to a table of runs, then split a budget under it):

    [[experiment]]
    type = "posttrain_plan"
    runs = "runs.csv"            # columns N_s, N_p, Q (ns_col / np_col / q_col rename them)
    budget = 2e5
    cost_sft = 4.0
    cost_pref = 1.0
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..runs.spec import Spec

__all__ = ["Approach3Config", "GENERATED", "PosttrainConfig", "PosttrainJointConfig", "PosttrainPlanConfig",
           "PosttrainPlanSpec", "QUICK"]


class Approach3Config(Spec):
    """Knobs of the Approach 3 fit; the defaults are Hoffmann et al.'s."""

    delta: float = Field(1e-3, gt=0)
    """Huber loss threshold on log-space residuals (Hoffmann: 1e-3)."""
    objective: Literal["sum", "mean"] = "sum"
    """Sum the Huber terms (as published) or average them (what Hoffmann's code did; L-BFGS then stops early,
    Besiroglu et al. 2024)."""
    memory: int = Field(10, ge=1, le=1000)
    """L-BFGS history length (scipy's default maxcor is 10)."""
    gtol: float = Field(1e-5, gt=0)
    """Stop when the largest gradient component is below this (scipy's pgtol)."""
    ftol: float = Field(1e7 * sys.float_info.epsilon, gt=0)
    """Stop when the relative decrease of the objective is below this (scipy's factr*eps)."""
    maxiter: int = Field(15000, ge=1, le=1_000_000)
    """Iteration cap per start (scipy's default)."""
    n_boot: int = Field(200, ge=0, le=10_000)
    """Bootstrap replicates over data points (at most 10,000: each one refits from `boot_starts` starts); 0 skips
    the CIs."""
    boot_starts: int = Field(32, ge=1, le=4500)
    """Starts per bootstrap replicate: the full-data optimum plus the grid starts that ended lowest on the full data
    (re-running all 4,500 per replicate changes nothing but the time)."""
    ci: float = Field(0.95, gt=0, lt=1)
    """Coverage of the percentile bootstrap intervals."""
    seed: int = 0
    """Seed of the bootstrap resampling."""


class PosttrainConfig(Spec):
    """Knobs of the post-training fit."""

    log_span: float = Field(6.0, gt=0, le=50)
    """Search log N* from log(min N_p) - span to log(max N_p) + span (natural log; 6 is a factor of ~400 beyond the
    data either way)."""
    grid: int = Field(400, ge=10, le=1_000_000)
    """Points of the coarse search over log N* before the bounded refinement."""
    n_boot: int = Field(1000, ge=0, le=100_000)
    """Bootstrap replicates over data points; 0 skips the CIs."""
    ci: float = Field(0.95, gt=0, lt=1)
    """Coverage of the percentile bootstrap intervals."""
    seed: int = 0
    """Seed of the bootstrap resampling."""


class PosttrainJointConfig(Spec):
    """Knobs of the joint post-training fit Q(N_s, N_p) (`proctor fit posttrain --ns-col`)."""

    interaction: bool = True
    """Fit the interaction term gamma x_s x_p (and test it against the additive law); False fits the additive law."""
    log_span: float = Field(6.0, gt=0, le=50)
    """Search log S* and log P* from log(min) - span to log(max) + span of their runs (natural log)."""
    grid: int = Field(40, ge=5, le=1000)
    """Points per axis of the coarse search over (log S*, log P*) before the Nelder-Mead refinement."""
    n_boot: int = Field(500, ge=0, le=100_000)
    """Bootstrap replicates over runs; 0 skips the CIs (and the planner's intervals)."""
    ci: float = Field(0.95, gt=0, lt=1)
    """Coverage of the percentile bootstrap intervals."""
    seed: int = 0
    """Seed of the bootstrap resampling."""


class PosttrainPlanConfig(Spec):
    """The SFT : preference budget question of `proctor plan posttrain`."""

    budget: float | None = Field(None, gt=0)
    """The budget B to split, in the costs' unit (dollars, GPU-hours, annotator-hours); required."""
    cost_sft: float = Field(1.0, gt=0)
    """Cost c_s of one SFT example."""
    cost_pref: float = Field(1.0, gt=0)
    """Cost c_p of one preference pair."""


GENERATED = "generated"
"""`runs = "generated"`: runs drawn from known parameters instead of a table."""

QUICK: dict = {"runs": GENERATED, "budget": 2e5, "cost_sft": 4.0, "cost_pref": 1.0, "n_boot": 100}
"""The `posttrain_plan` table of the quick suite (src/proctor/suites/quick.toml)."""


class PosttrainPlanSpec(PosttrainPlanConfig, PosttrainJointConfig):
    """The SFT : preference budget as a suite experiment: the joint fit of a table of runs (one unit) and the split of
    `budget` under it with bootstrap intervals (a second unit); its scorecard row is the planner's gain over an even
    split."""

    type: Literal["posttrain_plan"] = "posttrain_plan"
    """The technique: the post-training budget planner."""
    name: str | None = None
    """Experiment name in the report; defaults to "posttrain-plan-<file stem>"."""
    runs: str
    """Table of post-training runs (CSV, TSV, JSONL, Parquet; a path relative to where `proctor run` starts): one row
    per run with its SFT examples, preference pairs and score. `generated`: the 49 runs that
    proctor.scaling.synthetic.joint_runs draws from known parameters (JOINT_EXAMPLE, noise seed `seed`), a check of the
    machinery whose report shows the true values next to the fitted ones."""
    ns_col: str = "N_s"
    """Column of SFT example counts."""
    np_col: str = "N_p"
    """Column of preference-pair counts."""
    q_col: str = "Q"
    """Column of the quality metric."""
    budget: float = Field(gt=0)
    """The budget B to split, in the costs' unit (dollars, GPU-hours, annotator-hours)."""

    @property
    def title(self) -> str:
        return self.name or f"posttrain-plan-{Path(self.runs).stem}"

    @property
    def generated(self) -> bool:
        return self.runs == GENERATED

    def joint_config(self) -> PosttrainJointConfig:
        """The fit's settings (the part of the spec `fit_joint` reads)."""
        return PosttrainJointConfig(**{k: getattr(self, k) for k in PosttrainJointConfig.model_fields})
