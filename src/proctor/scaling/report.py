"""Report sections for the scaling fits: parameter tables with CIs, the compute-optimal plan, and the figures."""

from __future__ import annotations

import math

import numpy as np

from proctor.report import Figure, Section, Table
from proctor.scaling.approach3 import PARAM_NAMES, ChinchillaFit
from proctor.scaling.law import chinchilla_optimal, compute_optimal
from proctor.scaling.posttrain import PosttrainFit

__all__ = ["chinchilla_section", "joint_section", "plan_score_row", "plan_section", "posttrain_section", "sections"]


def _ci_cells(ci: dict, name: str) -> list:
    lo, hi = ci.get(name, (math.nan, math.nan))
    return [lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None]


def chinchilla_section(fit: ChinchillaFit, N, D, L, *, source: str, truth: dict | None = None) -> Section:
    """The Approach 3 fit of L(N, D): parameters with bootstrap CIs, compute-optimal budgets, curves, contours."""
    from proctor.scaling.plots import chinchilla_curves_png, isoloss_png

    p = fit.params
    cols = ["parameter", "estimate", "CI low", "CI high"] + (["true value"] if truth else [])
    rows = [[name, getattr(p, name), *_ci_cells(fit.ci, name)] + ([truth.get(name)] if truth else [])
            for name in PARAM_NAMES]
    plan_rows = []
    if p.alpha > 0 and p.beta > 0:
        for c in (1e20, 1e21, 1e22, 1e23, 1e24):
            n_opt, d_opt = compute_optimal(p, c)
            rule = chinchilla_optimal(math.sqrt(c / 120.0))
            plan_rows.append([f"{c:.0e}", float(n_opt), float(d_opt), float(d_opt / n_opt), float(p.loss(n_opt, d_opt)),
                              float(rule["params"])])
    level = f"{fit.config.ci:.0%}"
    summary = (
        f"Chinchilla Approach 3 (Hoffmann et al. 2022, Appendix D.2) on {fit.n_points} runs from {source}: Huber loss "
        f"(delta {fit.config.delta:g}) of log-space residuals, {'summed' if fit.config.objective == 'sum' else 'averaged'} over runs, L-BFGS from "
        f"{fit.n_starts:,} grid starts run as one batch, best kept. L(N, D) = {p.E:.3f} + {p.A:.4g} / N^{p.alpha:.3f} "
        f"+ {p.B:.4g} / D^{p.beta:.3f}."
    )
    notes = [f"CIs: {level} percentile bootstrap over runs ({0 if fit.boot is None else len(fit.boot)} replicates), "
             f"each refit from the full-data optimum and the {fit.config.boot_starts - 1} best grid starts."]
    if fit.config.objective == "mean":
        notes.append("The averaged objective is what Hoffmann et al.'s code minimised; Besiroglu et al. (2024) show "
                     "L-BFGS stops early on it, so its estimates depend on the optimiser's tolerances.")
    tables = [Table(cols, rows, caption=f"Fitted parameters with {level} bootstrap CIs")]
    if plan_rows:
        tables.append(Table(["budget C (FLOPs)", "N_opt", "D_opt", "tokens per parameter", "predicted loss",
                             "N by D = 20 N"], plan_rows, caption="Compute-optimal allocation from the fit (eq. 4)"))
    figures = [
        Figure("Runs and fitted curves", chinchilla_curves_png(N, D, L, p), "Dots: runs; lines: the fitted law at "
               "each model size."),
        Figure("Iso-loss contours", isoloss_png(N, D, L, p), "Contours of the fitted L(N, D); red: the compute-"
               "optimal allocation for each budget; dotted: the 20-tokens-per-parameter rule."),
    ]
    return Section("Pretraining scaling law L(N, D)", summary=summary, tables=tables, figures=figures, notes=notes)


def posttrain_section(fit: PosttrainFit, n_pairs, quality, *, source: str, at: float, next_pairs: float,
                      threshold: float, truth: dict | None = None) -> Section:
    """The post-training fit Q(N_p): parameters with CIs, the marginal value of more data, the curve."""
    from proctor.scaling.plots import posttrain_png

    p = fit.params
    names = ("Q_inf", "alpha", "N_star")
    cols = ["parameter", "estimate", "CI low", "CI high"] + (["true value"] if truth else [])
    rows = [[name, getattr(p, name), *_ci_cells(fit.ci, name)] + ([truth.get(name)] if truth else [])
            for name in names]
    gain = float(p.gain(at, next_pairs))
    g_lo, g_hi = fit.interval(lambda q: float(q.gain(at, next_pairs)))
    x = p.doubling_threshold(threshold)
    x_lo, x_hi = fit.interval(lambda q: q.doubling_threshold(threshold))
    value_rows = [
        [f"gain of the next {next_pairs:,.0f} pairs at N_p = {at:,.0f}", gain, g_lo, g_hi],
        [f"N_p beyond which doubling gains < {threshold:g}", x, x_lo, x_hi],
    ]
    summary = (
        f"Q(N_p) = Q_inf - alpha log(1 + N*/N_p) fitted by least squares on {fit.n_points} runs from {source}: "
        f"Q_inf = {p.Q_inf:.4g}, alpha = {p.alpha:.4g}, N* = {p.N_star:,.0f}. The most a doubling of the data can add "
        f"is alpha log 2 = {p.alpha * math.log(2):.4g}."
    )
    fig = Figure("Post-training curve", posttrain_png(n_pairs, quality, p, fit.boot, fit.config.ci),
                 "Dots: runs; line: fit; band: bootstrap band of the curve.")
    return Section("Post-training scaling Q(N_p)", summary=summary,
                   tables=[Table(cols, rows, caption=f"Fitted parameters with {fit.config.ci:.0%} bootstrap CIs"),
                           Table(["marginal value of data", "estimate", "CI low", "CI high"],
                                 [[r[0], *[None if not np.isfinite(v) else v for v in r[1:]]] for r in value_rows])],
                   figures=[fig], notes=list(fit.warnings))


def joint_section(fit, n_sft, n_pref, quality, *, source: str, truth: dict | None = None) -> Section:
    """The joint fit Q(N_s, N_p): parameters with CIs, the interaction test, the fitted surface with the runs."""
    from proctor.scaling.joint import JOINT_NAMES
    from proctor.scaling.plots import joint_surface_png

    p = fit.params
    names = JOINT_NAMES if fit.config.interaction else JOINT_NAMES[:-1]
    cols = ["parameter", "estimate", "CI low", "CI high"] + (["true value"] if truth else [])
    rows = [[name, getattr(p, name), *_ci_cells(fit.ci, name)] + ([truth.get(name)] if truth else [])
            for name in names]
    form = "Q_inf - a_s x_s - a_p x_p" + (" - gamma x_s x_p" if fit.config.interaction else "")
    summary = (
        f"Q(N_s, N_p) = {form}, x_s = log(1 + S*/N_s), x_p = log(1 + P*/N_p), fitted by least squares on "
        f"{fit.n_points} runs from {source}: Q_inf = {p.Q_inf:.4g}, a_s = {p.a_s:.4g}, S* = {p.S_star:,.0f}, "
        f"a_p = {p.a_p:.4g}, P* = {p.P_star:,.0f}" + (f", gamma = {p.gamma:.3g}" if fit.config.interaction else "")
        + ".")
    notes = [f"CIs: {fit.config.ci:.0%} percentile bootstrap over runs "
             f"({0 if fit.boot is None else len(fit.boot)} replicates)."]
    tables = [Table(cols, rows, caption=f"Fitted parameters with {fit.config.ci:.0%} bootstrap CIs")]
    if fit.config.interaction:
        lo, hi = fit.ci.get("gamma", (math.nan, math.nan))
        tables.append(Table(["test of gamma = 0", "value"], [
            ["F (additive law nested in the full one)", fit.f_stat if math.isfinite(fit.f_stat) else None],
            ["p-value (F with 1 and n - 6 degrees of freedom; approximate)",
             fit.p_interaction if math.isfinite(fit.p_interaction) else None],
            ["bootstrap CI of gamma", f"[{lo:.3g}, {hi:.3g}]"],
            ["verdict", fit.interaction_verdict]], caption="Is the interaction needed?"))
        notes.append("Verdict 'interaction' needs both the F test (p < 0.05) and the bootstrap CI of gamma excluding "
                     "0; 'additive' needs neither; otherwise 'undetermined'.")
    fig = Figure("Fitted surface", joint_surface_png(p, n_sft, n_pref, ranges=fit.ranges),
                 "Contours of the fitted Q over SFT examples and preference pairs; dots: runs.")
    return Section("Post-training scaling Q(N_s, N_p): SFT and preference data", summary=summary, tables=tables,
                   figures=[fig], notes=notes + list(fit.warnings))


def plan_section(fit, plan: dict) -> Section:
    """The budget split under a joint fit: the optimum with its CI, the marginal values, the iso-budget plot."""
    from proctor.scaling.plots import joint_surface_png

    ci = plan.get("ci", {})
    labels = [("n_sft", "SFT examples N_s"), ("n_pref", "preference pairs N_p"),
              ("share_sft", "share of the budget on SFT"), ("quality", "predicted Q"),
              ("gain_over_even", "gain over an even budget split"),
              ("marginal_sft", "dQ/dN_s: one more SFT example"), ("marginal_pref", "dQ/dN_p: one more preference pair"),
              ("per_budget", "dQ/dB: one more unit of budget")]
    rows = [[label, plan[key], *(ci.get(key) or [None, None])] for key, label in labels]
    summary = (
        f"Budget B = {plan['budget']:g} at c_s = {plan['cost_sft']:g} per SFT example and c_p = {plan['cost_pref']:g} "
        f"per preference pair: the fitted law is highest at {plan['n_sft']:,.0f} SFT examples and "
        f"{plan['n_pref']:,.0f} preference pairs ({plan['share_sft']:.1%} of the budget on SFT), Q = "
        f"{plan['quality']:.4f}. At an interior optimum one more unit of budget is worth the same on either side: "
        f"dQ/dN_s / c_s = dQ/dN_p / c_p.")
    notes = [f"Intervals: {plan.get('level', 0.95):.0%} percentiles over the {plan.get('n_boot', 0)} bootstrap fits "
             "saved with the fit, each re-optimised on the same budget line (scipy.optimize.minimize_scalar over the "
             "SFT share)."] + list(plan.get("warnings", []))
    fig = Figure("Iso-budget line over the fitted surface",
                 joint_surface_png(fit.params, plan=plan, ranges=fit.ranges),
                 "Contours: fitted Q; red line: every split of the budget; star: the optimum; orange: the optima of "
                 "the bootstrap fits.")
    return Section("Post-training budget: SFT examples vs preference pairs", summary=summary,
                   tables=[Table(["quantity", "estimate", "CI low", "CI high"], rows)], figures=[fig], notes=notes)


def plan_score_row(plan: dict):
    """The planner's answer as a scorecard row: how much the planned split adds to Q over spending the budget evenly,
    with its bootstrap CI (null 0: planning buys nothing)."""
    from proctor.runs.technique import ScoreRow

    ci = plan.get("ci", {}).get("gain_over_even")
    return ScoreRow(technique="post-training budget planner",
                    setting=f"B = {plan['budget']:g}, c_s = {plan['cost_sft']:g}, c_p = {plan['cost_pref']:g}: "
                            f"{plan['n_sft']:,.0f} SFT + {plan['n_pref']:,.0f} pairs",
                    measure="Q gain of the planned split over an even split", value=plan["gain_over_even"],
                    ci=tuple(ci) if ci else None, null=0.0, unit="runs (bootstrap fits)")


def sections(summary: dict) -> list[Section]:
    """The `posttrain_plan` experiment in a suite's report: the joint fit (parameters, interaction test, surface) and
    the budget plan (allocation with intervals, marginal values, iso-budget plot)."""
    from dataclasses import replace

    from proctor.scaling.joint import joint_fit_from_dict

    title = summary["title"]
    if not summary.get("fit"):
        return [Section(f"{title}: post-training budget", summary="The joint fit has not finished yet.")]
    fit = joint_fit_from_dict(summary["fit"])
    runs, truth = summary.get("runs") or {}, summary.get("truth")
    source = "generated runs (known parameters: a check of the machinery)" if truth else summary["spec"]["runs"]
    out = [joint_section(fit, runs.get("N_s"), runs.get("N_p"), runs.get("Q"), source=source, truth=truth)]
    if summary.get("plan"):
        out.append(plan_section(fit, summary["plan"]))
        if truth:
            t = truth["plan"]
            out[-1].notes.append(f"Under the true law the optimum is {t['n_sft']:,.0f} SFT examples and "
                                 f"{t['n_pref']:,.0f} preference pairs ({t['share_sft']:.1%} of the budget on SFT), "
                                 f"Q = {t['quality']:.4f}.")
    return [replace(s, title=f"{title}: {s.title}") for s in out]
