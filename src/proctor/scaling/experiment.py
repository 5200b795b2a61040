"""The `posttrain_plan` suite experiment: fit Q(N_s, N_p) to a table of runs, then split a budget under the fit.

Two units: `fit` (the joint fit with its bootstrap fits; keyed by the fit's settings and the SHA-256 of the three
columns it read, so an edited table is refitted, and shared by experiments that fit the same runs the same way, e.g.
plans at several budgets) and `plan` (the allocation with intervals over the bootstrap fits; keyed by the experiment,
the fit unit, the budget and the costs).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from .spec import PosttrainPlanSpec

__all__ = ["check", "fit_unit_config", "read_runs", "run", "stored_fit"]


def read_runs(spec: PosttrainPlanSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N_s, N_p, Q) from the spec's table; a DataError naming the file and the column or row otherwise."""
    from ..data.columns import numeric_column, read_table, require_columns
    from .joint import check_runs

    if spec.generated:
        from .synthetic import joint_runs

        df = joint_runs(seed=spec.seed)
        return check_runs(df.N_s, df.N_p, df.Q, interaction=spec.interaction)
    file = Path(spec.runs).expanduser()
    if not file.is_file():
        raise DataError(f"{file}: no such table of runs (experiment {spec.title!r}, field 'runs')")
    df = read_table(file)
    require_columns(df, file, {spec.ns_col: "ns_col", spec.np_col: "np_col", spec.q_col: "q_col"})
    ns = numeric_column(df, file, spec.ns_col, positive=True)
    n_p = numeric_column(df, file, spec.np_col, positive=True)
    q = numeric_column(df, file, spec.q_col)
    try:
        return check_runs(ns, n_p, q, interaction=spec.interaction)
    except DataError as e:
        raise DataError(f"{file}: {e}") from None


def check(spec: PosttrainPlanSpec) -> None:
    read_runs(spec)


def fit_unit_config(spec: PosttrainPlanSpec, ns, n_p, q) -> dict:
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a, dtype="<f8").tobytes() for a in (ns, n_p, q)))
    return {"technique": "posttrain_plan", "stage": "fit", "data": digest.hexdigest(),
            **spec.joint_config().model_dump()}


def run(spec: PosttrainPlanSpec, store, on_unit) -> None:
    from ..jsonout import finite
    from .joint import fit_joint, joint_fit_from_dict, plan_allocation

    ns, n_p, q = read_runs(spec)

    def fit_now():
        fit = fit_joint(ns, n_p, q, spec.joint_config())
        boot = fit.boot if fit.boot is not None else np.zeros((0, 6))
        return finite(fit.as_dict()), {"boot": boot, "N_s": ns, "N_p": n_p, "Q": q}

    fit_unit, computed = store.get_or_compute(spec.title, "fit", fit_unit_config(spec, ns, n_p, q), fit_now)
    on_unit(f"joint fit of {len(q)} runs", fit_unit, computed)

    def plan_now():
        fit = joint_fit_from_dict(stored_fit(store, fit_unit))
        plan = plan_allocation(fit, spec.budget, spec.cost_sft, spec.cost_pref)
        optima = np.asarray(plan.pop("boot_optima", []), dtype=float).reshape(-1, 2)
        return finite(plan), {"boot_optima": optima}

    config = {"technique": "posttrain_plan", "stage": "plan", "experiment": spec.title, "fit": fit_unit.key,
              "budget": spec.budget,
              "cost_sft": spec.cost_sft, "cost_pref": spec.cost_pref}
    unit, computed = store.get_or_compute(spec.title, "plan", config, plan_now)
    on_unit(f"budget plan (B = {spec.budget:g})", unit, computed)


def stored_fit(store, unit) -> dict:
    """The fit unit's result with its bootstrap fits, as `JointFit.as_dict(boot=True)` writes it."""
    from .joint import JOINT_NAMES

    arrays = store.arrays(unit.key)
    boot = arrays.get("boot", np.zeros((0, 6)))
    return dict(unit.result) | {"boot": {"columns": list(JOINT_NAMES), "rows": boot.tolist()}}
