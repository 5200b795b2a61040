"""Reusable matplotlib figures for report sections. Each returns PNG bytes (see `figure_png`).

Figures are built on `matplotlib.figure.Figure` directly, never through pyplot, so no GUI backend is ever chosen and
nothing is left in pyplot's figure registry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib
from matplotlib.figure import Figure as MplFigure

from proctor.report.render import figure_png

__all__ = ["PALETTE", "bar_with_ci"]

#: Bar colour first, then the colours of reference lines in order.
PALETTE = ["#2f5fb3", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#7f8c8d"]

_STYLE = {
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa3b2",
    "axes.axisbelow": True,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e2e6ec",
    "grid.linewidth": 0.8,
    "xtick.color": "#3b4453",
    "ytick.color": "#3b4453",
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "svg.fonttype": "none",
}


def _floats(name: str, xs: Sequence[float], n: int) -> list[float]:
    out = [float("nan") if x is None else float(x) for x in xs]
    if len(out) != n:
        raise ValueError(f"bar_with_ci: {name} has {len(out)} values but there are {n} labels")
    return out


def bar_with_ci(
    labels: Sequence[str],
    values: Sequence[float],
    lo: Sequence[float],
    hi: Sequence[float],
    *,
    title: str,
    ylabel: str,
    ref_lines: Mapping[str, float] = {},
) -> bytes:
    """A bar chart with asymmetric error bars (e.g. bootstrap CIs) as PNG bytes.

    `lo` and `hi` are the interval's bounds (not distances from the value); a NaN or None bound draws no error bar
    on that side, a NaN value draws no bar. `ref_lines` maps a legend label to a y value drawn as a dashed
    horizontal line (chance, the ceiling, PGR = 0 ...). Each bar is annotated with its value.
    """
    labels = [str(x) for x in labels]
    n = len(labels)
    if n == 0:
        raise ValueError("bar_with_ci: no labels to plot")
    v = _floats("values", values, n)
    lower = _floats("lo", lo, n)
    upper = _floats("hi", hi, n)
    err_lo = [0.0 if math.isnan(a) or math.isnan(b) else max(a - b, 0.0) for a, b in zip(v, lower)]
    err_hi = [0.0 if math.isnan(a) or math.isnan(b) else max(b - a, 0.0) for a, b in zip(v, upper)]

    longest = max(len(x) for x in labels)
    rotate = n > 4 and longest > 10 or longest > 24
    width = min(max(4.8, 0.85 * n + 2.2), 11.0)
    height = 3.6 + (min(longest, 40) * 0.045 if rotate else 0.0)

    with matplotlib.rc_context(_STYLE):
        fig = MplFigure(figsize=(width, height))
        ax = fig.add_subplot()
        xs = list(range(n))
        ax.bar(
            xs,
            [0.0 if math.isnan(x) else x for x in v],
            width=0.62,
            color=[PALETTE[0] if not math.isnan(x) else "none" for x in v],
            edgecolor="none",
            zorder=2,
        )
        ax.errorbar(
            xs, [0.0 if math.isnan(x) else x for x in v], yerr=[err_lo, err_hi], fmt="none",
            ecolor="#1c2330", elinewidth=1.2, capsize=4, capthick=1.2, zorder=3,
        )
        for i, (x, top) in enumerate(zip(v, (a + b for a, b in zip(v, err_hi)))):
            if math.isnan(x):
                ax.annotate("n/a", (i, 0), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                            fontsize=8, color="#5d6778")
                continue
            ax.annotate(f"{x:.3g}", (i, top if x >= 0 else x - err_lo[i]), xytext=(0, 3 if x >= 0 else -3),
                        textcoords="offset points", ha="center", va="bottom" if x >= 0 else "top", fontsize=8,
                        color="#3b4453")
        for k, (name, y) in enumerate(ref_lines.items()):
            ax.axhline(float(y), linestyle="--", linewidth=1.2, color=PALETTE[1 + k % (len(PALETTE) - 1)],
                       label=f"{name} ({float(y):.3g})", zorder=1.5)
        ax.axhline(0.0, color="#9aa3b2", linewidth=0.8, zorder=1)
        ax.set_xticks(xs)
        if rotate:
            ax.set_xticklabels(labels, rotation=30, ha="right", rotation_mode="anchor")
        else:
            ax.set_xticklabels(labels)
        ax.set_xlim(-0.6, n - 0.4)
        ax.margins(y=0.12)
        ax.set_title(str(title), loc="left")
        ax.set_ylabel(str(ylabel))
        if ref_lines:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return figure_png(fig)
