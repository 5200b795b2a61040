"""Scaling laws: the Chinchilla fit of L(N, D), post-training log-saturation Q(N_p), and the compute planner.

    from proctor.scaling import chinchilla_optimal, fit_chinchilla, fit_posttrain
    chinchilla_optimal(7e9)                 # {'params': 7e9, 'tokens': 140e9, 'flops': 5.88e21}
    fit = fit_chinchilla(N, D, loss)         # Approach 3, 4,500 L-BFGS starts in one batch, bootstrap CIs
    compute_optimal(fit.params, 1e23)        # (N_opt, D_opt) for a budget of 1e23 FLOPs

    spec.py        Approach3Config, PosttrainConfig, PosttrainJointConfig, PosttrainPlanConfig: the fits' settings and
                   defaults (read by the CLI's options); PosttrainPlanSpec, the `posttrain_plan` suite experiment
    law.py         the Chinchilla law L(N, D) and compute-optimal allocation
    approach3.py   Chinchilla Approach 3: Huber fit from a 4,500-start grid, bootstrap CIs
    lbfgs.py       batched L-BFGS (all starts in one optimisation)
    posttrain.py   post-training log-saturation Q(N_p) and what more data buys
    joint.py       the joint law Q(N_s, N_p) of SFT and preference data, its interaction test, the budget planner
    columns.py     reading tables of runs with errors that name the row and column
    synthetic.py   synthetic runs from known laws (tests, benchmarks)
    experiment.py  the `posttrain_plan` runner: the joint fit of a table of runs and the budget plan, as two units
    summary.py     its summary, `--json` headline and scorecard row (the planner's gain over an even split)
    plots.py       figures; report.py: report sections (also the suite experiment's)
    technique.py   the registration: type `posttrain_plan`; `proctor fit`, `proctor plan`
    cli.py         `proctor fit chinchilla|posttrain FILE`, `proctor plan --params N | --flops C`, `plan posttrain`
"""

from proctor.scaling.approach3 import ChinchillaFit, fit_chinchilla, grid_starts, scipy_grid_fit
from proctor.scaling.law import (
    ChinchillaParams,
    chinchilla_for_flops,
    chinchilla_optimal,
    compute_optimal,
    optimal_tokens_for_params,
)
from proctor.scaling.posttrain import PosttrainFit, PosttrainParams, fit_posttrain
from proctor.scaling.spec import Approach3Config, PosttrainConfig

__all__ = [
    "Approach3Config",
    "ChinchillaFit",
    "ChinchillaParams",
    "PosttrainConfig",
    "PosttrainFit",
    "PosttrainParams",
    "chinchilla_for_flops",
    "chinchilla_optimal",
    "compute_optimal",
    "fit_chinchilla",
    "fit_posttrain",
    "grid_starts",
    "optimal_tokens_for_params",
    "scipy_grid_fit",
]
