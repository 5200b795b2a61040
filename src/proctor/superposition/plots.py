"""Figures for superposition (Elhage et al. 2022 style), each returned as PNG bytes.

- `gram_and_bias`: the W^T W matrix and the bias b of every model of a sweep, one column per sparsity;
- `represented_vs_sparsity`: represented features and D* = m / ||W||_F^2 against 1 / (1 - S);
- `dimensionality_scatter`: each feature's D_i against 1 / (1 - S), with the paper's fractions as lines;
- `max_cos_hist`: distribution of each latent's max |cosine| with another latent, against random directions.
Built on matplotlib's object API (no pyplot), like proctor.report.plots.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from proctor.report.render import figure_png

from .geometry import FRACTIONS, gram


def gram_and_bias(W: np.ndarray, b: np.ndarray, sparsities, max_models: int = 8) -> bytes:
    """Top row: W^T W per model (red positive, blue negative); bottom row: the bias vector."""
    idx = np.linspace(0, len(W) - 1, min(len(W), max_models)).round().astype(int)
    idx = list(dict.fromkeys(idx.tolist()))
    fig = Figure(figsize=(1.9 * len(idx) + 0.6, 4.2))
    axes = fig.subplots(2, len(idx), squeeze=False, gridspec_kw={"height_ratios": [5, 1]})
    for col, k in enumerate(idx):
        G = gram(W[k])
        lim = max(1e-9, float(np.abs(G).max()))
        ax = axes[0, col]
        ax.imshow(G, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(f"S = {sparsities[k]:.3g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax = axes[1, col]
        lim_b = max(1e-9, float(np.abs(b[k]).max()))
        ax.imshow(b[k][None, :], cmap="RdBu_r", vmin=-lim_b, vmax=lim_b, aspect="auto")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("W^T W")
    axes[1, 0].set_ylabel("b")
    fig.tight_layout()
    return figure_png(fig)


def represented_vs_sparsity(sparsities, represented, dims_per_feature, n_hidden: int) -> bytes:
    x = 1 / (1 - np.asarray(sparsities, dtype=np.float64))
    fig = Figure(figsize=(8.5, 3.2))
    a1, a2 = fig.subplots(1, 2)
    a1.plot(x, represented, "o-", color="#2f5fb3")
    a1.axhline(n_hidden, color="#c0392b", ls="--", lw=1, label=f"m = {n_hidden}")
    if np.ptp(x) == 0:  # one model (`proctor superposition interference`): a range around its point
        for ax in (a1, a2):
            ax.set_xlim(x[0] / 2, x[0] * 2)
    a1.set_xscale("log")
    a1.set_xlabel("1 / (1 - S)")
    a1.set_ylabel("features with ||W_i|| > 0.5")
    a1.set_title("represented features")
    a1.legend()
    a2.plot(x, dims_per_feature, "o-", color="#2e8b57")
    for name in ("1", "1/2", "2/5"):
        a2.axhline(FRACTIONS[name][0], color="#7f8c8d", ls=":", lw=1)
        a2.text(x.min(), FRACTIONS[name][0], name, fontsize=8, va="bottom", color="#7f8c8d")
    a2.set_xscale("log")
    a2.set_xlabel("1 / (1 - S)")
    a2.set_ylabel("m / ||W||_F^2")
    a2.set_title("dimensions per feature D*")
    fig.tight_layout()
    return figure_png(fig)


def dimensionality_scatter(dims, sparsities) -> bytes:
    """Each represented feature's dimensionality against sparsity; dashed lines at the paper's fractions. `dims[k]`:
    the dimensionalities D_i of model k's represented features."""
    x = 1 / (1 - np.asarray(sparsities, dtype=np.float64))
    fig = Figure(figsize=(6.5, 3.6))
    ax = fig.subplots()
    rng = np.random.default_rng(0)
    for k in range(len(dims)):
        D = np.asarray(dims[k], dtype=np.float64)
        jitter = x[k] * np.exp(rng.uniform(-0.06, 0.06, D.size))
        ax.scatter(jitter, D, s=5, alpha=0.35, color="#2f5fb3", linewidths=0)
    for name, (v, _) in FRACTIONS.items():
        ax.axhline(v, color="#c0392b", ls="--", lw=0.7, alpha=0.6)
        ax.text(x.max() * 1.08, v, name, fontsize=8, va="center", color="#c0392b")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("1 / (1 - S)")
    ax.set_ylabel("feature dimensionality D_i")
    ax.set_title("feature dimensionality vs sparsity")
    fig.tight_layout()
    return figure_png(fig)


def max_cos_hist(results: list[dict]) -> bytes:
    """One panel per dictionary: its latents' max |cos| and the same for random directions of the same shape."""
    fig = Figure(figsize=(4.2 * max(1, len(results)), 3.2))
    axes = np.atleast_1d(fig.subplots(1, max(1, len(results))))
    for ax, r in zip(axes, results):
        g = r["geometry"]
        bins = np.linspace(0, 1, 51)
        ax.hist(g["max_cos"], bins=bins, alpha=0.7, color="#2f5fb3", label="latents")
        ax.hist(g["random_max_cos"], bins=bins, alpha=0.5, color="#7f8c8d", label="random directions")
        ax.axvline(g["welch_bound"], color="#c0392b", ls="--", lw=1, label="Welch bound")
        ax.set_title(r["dictionary"][:48], fontsize=9)
        ax.set_xlabel("max |cos| with another latent")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return figure_png(fig)
