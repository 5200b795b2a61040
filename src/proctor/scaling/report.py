"""Report sections for the scaling fits: parameter tables with CIs, the compute-optimal plan, and the figures."""

from __future__ import annotations

import math

import numpy as np

from proctor.report import Figure, Section, Table
from proctor.scaling.approach3 import PARAM_NAMES, ChinchillaFit
from proctor.scaling.law import chinchilla_optimal, compute_optimal
from proctor.scaling.posttrain import PosttrainFit

__all__ = ["chinchilla_section", "posttrain_section"]


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
