"""Figures of the scaling fits: runs and fitted L(N, D) curves, iso-loss contours with the compute-optimal path, and
the post-training curve with its bootstrap band. Each returns PNG bytes (Agg, never pyplot)."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure as MplFigure

from proctor.report import figure_png
from proctor.scaling.law import ChinchillaParams, compute_optimal
from proctor.scaling.posttrain import PosttrainParams

__all__ = ["chinchilla_curves_png", "isoloss_png", "joint_surface_png", "posttrain_png"]


def _size_groups(N: np.ndarray, max_groups: int = 14) -> list[np.ndarray]:
    """Indices of runs grouped by model size; with many distinct sizes, by log-size bins."""
    uniq = np.unique(N)
    if uniq.size <= max_groups:
        return [np.flatnonzero(N == u) for u in uniq]
    edges = np.quantile(np.log(N), np.linspace(0, 1, max_groups + 1))
    bins = np.clip(np.searchsorted(edges, np.log(N), side="right") - 1, 0, max_groups - 1)
    return [np.flatnonzero(bins == b) for b in range(max_groups) if np.any(bins == b)]


def chinchilla_curves_png(N, D, L, params: ChinchillaParams) -> bytes:
    """Loss against tokens, one colour per model size: the runs as dots, the fitted law at that size as a line."""
    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))
    fig = MplFigure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    groups = _size_groups(N)
    cmap = matplotlib.colormaps["viridis"]
    for k, idx in enumerate(groups):
        color = cmap(k / max(1, len(groups) - 1))
        n_mid = float(np.exp(np.log(N[idx]).mean()))
        ax.scatter(D[idx], L[idx], s=14, color=color, zorder=3, label=f"N = {n_mid:.3g}")
        d = np.geomspace(D[idx].min() / 1.5, D[idx].max() * 1.5, 100)
        ax.plot(d, params.loss(n_mid, d), color=color, lw=1.2)
    ax.axhline(params.E, ls="--", color="#7f8c8d", lw=1, label=f"E = {params.E:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("training tokens D")
    ax.set_ylabel("final loss")
    ax.set_title("Runs and the fitted L(N, D)", loc="left")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    return figure_png(fig)


def isoloss_png(N, D, L, params: ChinchillaParams) -> bytes:
    """Iso-loss contours of the fitted L(N, D) over (D, N), the runs, and the compute-optimal allocation (eq. 4)."""
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    n_grid = np.geomspace(N.min() / 3, N.max() * 3, 160)
    d_grid = np.geomspace(D.min() / 3, D.max() * 3, 160)
    dd, nn = np.meshgrid(d_grid, n_grid)
    fig = MplFigure(figsize=(6.0, 4.6))
    ax = fig.add_subplot()
    z = params.loss(nn, dd)
    levels = np.quantile(z, np.linspace(0.02, 0.98, 14))
    cs = ax.contour(dd, nn, z, levels=np.unique(levels), cmap="viridis", linewidths=0.9)
    ax.clabel(cs, fontsize=6, fmt="%.2f")
    ax.scatter(D, N, s=10, color="#1c2330", zorder=3, label="runs")
    if params.alpha > 0 and params.beta > 0:
        c = np.geomspace(6 * n_grid[0] * d_grid[0], 6 * n_grid[-1] * d_grid[-1], 200)
        n_opt, d_opt = compute_optimal(params, c)
        inside = (n_opt >= n_grid[0]) & (n_opt <= n_grid[-1]) & (d_opt >= d_grid[0]) & (d_opt <= d_grid[-1])
        ax.plot(d_opt[inside], n_opt[inside], color="#c0392b", lw=1.6, label="compute-optimal (C = 6ND)")
        tok = 20.0 * n_grid
        keep = (tok >= d_grid[0]) & (tok <= d_grid[-1])
        ax.plot(tok[keep], n_grid[keep], color="#d35400", lw=1.0, ls=":", label="D = 20 N (rule of thumb)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training tokens D")
    ax.set_ylabel("parameters N")
    ax.set_title("Iso-loss contours of the fitted law", loc="left")
    ax.legend(fontsize=7, loc="lower right")
    return figure_png(fig)


def posttrain_png(n_pairs, quality, params: PosttrainParams, boot: np.ndarray | None = None, level: float = 0.95) -> bytes:
    """Q against preference pairs (log x): the runs, the fitted curve, its bootstrap band, Q_inf and N*."""
    n = np.asarray(n_pairs, dtype=float)
    q = np.asarray(quality, dtype=float)
    grid = np.geomspace(n.min() / 2, n.max() * 2, 200)
    fig = MplFigure(figsize=(6.0, 4.0))
    ax = fig.add_subplot()
    if boot is not None and len(boot) > 1:
        curves = np.array([PosttrainParams(*row).quality(grid) for row in boot])
        lo, hi = np.nanpercentile(curves, [50 * (1 - level), 50 * (1 + level)], axis=0)
        ax.fill_between(grid, lo, hi, color="#2f5fb3", alpha=0.18, lw=0, label=f"{level:.0%} bootstrap band")
    ax.plot(grid, params.quality(grid), color="#2f5fb3", lw=1.6, label="fitted Q(N_p)")
    ax.scatter(n, q, s=16, color="#1c2330", zorder=3, label="runs")
    ax.axhline(params.Q_inf, ls="--", color="#2e8b57", lw=1, label=f"Q_inf = {params.Q_inf:.3g}")
    if grid[0] <= params.N_star <= grid[-1]:
        ax.axvline(params.N_star, ls=":", color="#c0392b", lw=1, label=f"N* = {params.N_star:,.0f}")
    ax.set_xscale("log")
    ax.set_xlabel("preference pairs N_p")
    ax.set_ylabel("quality Q")
    ax.set_title("Post-training log-saturation", loc="left")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    return figure_png(fig)


def joint_surface_png(params, n_sft=None, n_pref=None, *, plan: dict | None = None, ranges: dict | None = None) -> bytes:
    """Contours of the fitted Q(N_s, N_p) (log axes), the runs, and with `plan` the iso-budget line
    c_s N_s + c_p N_p = B, its optimum and the bootstrap fits' optima."""
    pts = []
    if n_sft is not None:
        pts += [np.asarray(n_sft, float), np.asarray(n_pref, float)]
    lo_s, hi_s = (ranges or {}).get("N_s", (None, None))
    lo_p, hi_p = (ranges or {}).get("N_p", (None, None))
    xs = [v for v in (lo_s, hi_s) if v] + ([pts[0].min(), pts[0].max()] if pts else [])
    ys = [v for v in (lo_p, hi_p) if v] + ([pts[1].min(), pts[1].max()] if pts else [])
    if plan is not None:
        xs += [plan["n_sft"], plan["budget"] / plan["cost_sft"] / 50]
        ys += [plan["n_pref"], plan["budget"] / plan["cost_pref"] / 50]
    s_grid = np.geomspace(min(xs) / 3, max(xs) * 3, 160)
    p_grid = np.geomspace(min(ys) / 3, max(ys) * 3, 160)
    ss, pp = np.meshgrid(s_grid, p_grid)
    z = params.quality(ss, pp)
    fig = MplFigure(figsize=(6.2, 4.8))
    ax = fig.add_subplot()
    levels = np.unique(np.quantile(z, np.linspace(0.03, 0.99, 16)))
    cs = ax.contour(ss, pp, z, levels=levels, cmap="viridis", linewidths=0.9)
    ax.clabel(cs, fontsize=6, fmt="%.3f")
    if pts:
        ax.scatter(pts[0], pts[1], s=10, color="#1c2330", zorder=3, label="runs")
    if plan is not None:
        b, cs_, cp_ = plan["budget"], plan["cost_sft"], plan["cost_pref"]
        line_s = np.geomspace(s_grid[0], min(s_grid[-1], b / cs_ * (1 - 1e-9)), 300)
        line_p = (b - cs_ * line_s) / cp_
        ok = (line_p >= p_grid[0]) & (line_p <= p_grid[-1])
        ax.plot(line_s[ok], line_p[ok], color="#c0392b", lw=1.5, label=f"budget line c_s N_s + c_p N_p = {b:.3g}")
        opt = np.asarray(plan.get("boot_optima") or [], float).reshape(-1, 2)
        if len(opt):
            ax.scatter(opt[:, 0], opt[:, 1], s=5, color="#e67e22", alpha=0.35, lw=0, zorder=4,
                       label="optima of the bootstrap fits")
        ax.scatter([plan["n_sft"]], [plan["n_pref"]], marker="*", s=160, color="#c0392b", edgecolor="white",
                   zorder=5, label=f"optimum: Q = {plan['quality']:.4f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(s_grid[0], s_grid[-1])
    ax.set_ylim(p_grid[0], p_grid[-1])
    ax.set_xlabel("SFT examples N_s")
    ax.set_ylabel("preference pairs N_p")
    ax.set_title("Fitted Q(N_s, N_p)" + (" and the iso-budget line" if plan is not None else ""), loc="left")
    ax.legend(fontsize=7, loc="upper right")
    return figure_png(fig)
