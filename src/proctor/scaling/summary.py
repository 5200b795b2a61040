"""The `posttrain_plan` experiment's summary (the fit, the runs, the plan), its `--json` headline and scorecard row."""

from __future__ import annotations

from .spec import PosttrainPlanSpec

__all__ = ["headline", "scorecard", "summarize"]


def summarize(store, spec: PosttrainPlanSpec) -> dict:
    """{"title", "spec", "fit" (JointFit.as_dict(boot=True)), "runs" (N_s, N_p, Q lists), "plan" (the allocation with
    its intervals and the bootstrap optima), "truth" (generated runs: the true parameters and optimum)}; "fit" and
    "plan" are None until computed."""
    from .experiment import stored_fit

    out: dict = {"title": spec.title, "spec": spec.model_dump(mode="json"), "fit": None, "runs": None, "plan": None,
                 "truth": None}
    plans = [u for u in store.units(spec.title, "plan")
             if (u.config.get("budget"), u.config.get("cost_sft"), u.config.get("cost_pref"))
             == (spec.budget, spec.cost_sft, spec.cost_pref)]
    # the plan names its fit (which another experiment on the same runs may have computed); before the plan, this
    # experiment's own latest fit
    fit_unit = store.get(plans[-1].config["fit"]) if plans else (store.units(spec.title, "fit") or [None])[-1]
    if fit_unit is None:
        return out
    out["fit"] = stored_fit(store, fit_unit)
    if spec.generated:  # the known parameters and the optimum under them
        from .joint import plan_allocation
        from .synthetic import JOINT_EXAMPLE

        true_plan = plan_allocation(JOINT_EXAMPLE, spec.budget, spec.cost_sft, spec.cost_pref)
        out["truth"] = JOINT_EXAMPLE.as_dict() | {"plan": {k: true_plan[k] for k in ("n_sft", "n_pref", "share_sft",
                                                                                      "quality")}}
    arrays = store.arrays(fit_unit.key)
    out["runs"] = {k: arrays[k].tolist() for k in ("N_s", "N_p", "Q") if k in arrays}
    if plans:
        optima = store.arrays(plans[-1].key).get("boot_optima")
        out["plan"] = dict(plans[-1].result) | {"boot_optima": [] if optima is None else optima.tolist()}
    return out


def headline(summary: dict) -> dict:
    """The `proctor run --json` object: the fitted law's interaction verdict and the plan with its intervals."""
    fit, plan = summary.get("fit") or {}, summary.get("plan") or {}
    keys = ("n_sft", "n_pref", "share_sft", "quality", "gain_over_even", "marginal_sft", "marginal_pref", "per_budget")
    return {"title": summary["title"], "runs": fit.get("n_points"),
            "interaction": (fit.get("interaction") or {}).get("verdict"),
            "params": {k: fit.get(k) for k in ("Q_inf", "a_s", "S_star", "a_p", "P_star", "gamma")} if fit else None,
            "plan": {k: plan.get(k) for k in keys} | {"ci": plan.get("ci", {}), "budget": plan.get("budget")}
            if plan else None,
            "warnings": list(fit.get("warnings") or []) + list(plan.get("warnings") or [])}


def scorecard(summary: dict) -> list:
    """One row: the Q the planned split gains over an even split, with its interval over the bootstrap fits."""
    from .report import plan_score_row

    return [plan_score_row(summary["plan"])] if summary.get("plan") else []
