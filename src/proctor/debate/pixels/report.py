"""Pixel debate in the report: the table beside the paper's Table 2 (Irving, Christiano & Amodei 2018) and a figure
of debates; the numbers come from summary.py."""

from __future__ import annotations

import numpy as np

from ...term import fmt_ci
from .summary import paper_lift

HONEST_COLOR, LIAR_COLOR = "#1f77b4", "#d62728"


def debate_figure(examples: list[dict]):
    """Panels of debates: the image faint (the judge never sees it), revealed pixels coloured by player, numbered."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    fig, axes = plt.subplots(1, len(examples), figsize=(2.4 * len(examples), 3.2), squeeze=False)
    for ax, ex in zip(axes[0], examples):
        ax.imshow(np.asarray(ex["image"]), cmap="Greys", alpha=0.25, vmin=0, vmax=255)
        for t, (p, who) in enumerate(zip(ex["pixels"], ex["players"])):
            r, c = divmod(int(p), 28)
            color = HONEST_COLOR if who == 0 else LIAR_COLOR
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color=color))
            ax.text(c + 0.9, r - 0.6, str(t + 1), color=color, fontsize=7, fontweight="bold")
        lie = f" vs {ex['lie']}" if ex["lie"] >= 0 else " (no precommit)"
        ax.set_title(f"true {ex['label']}{lie}\n{'honest' if ex['margin'] > 0 else 'liar'} wins "
                     f"(margin {ex['margin']:+.1f})", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.legend(handles=[Patch(color=HONEST_COLOR, label="honest"), Patch(color=LIAR_COLOR, label="liar")],
               loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 0.93))
    return fig


def _pct(x) -> float | None:
    """A fraction as a number of percent for a table cell (the renderer formats it; None is shown as missing)."""
    return None if x is None else round(100 * x, 1)


def table_rows(summary: dict) -> list[list]:
    rows = []
    for s in summary.get("settings", []):
        p = s.get("paper") or {}
        rows.append([s["pixels"], "yes" if s["precommit"] else "no",
                     _pct(s["judge_accuracy"]), p.get("judge"),
                     _pct(s.get("honest_first")), p.get("honest_first"),
                     _pct(s.get("liar_first")), p.get("liar_first"),
                     _pct(s.get("debate_accuracy")), fmt_ci(s.get("debate_accuracy_ci"), 1, scale=100),
                     p.get("mean"), _pct(s.get("lift")), fmt_ci(s.get("lift_ci"), 1, scale=100),
                     paper_lift(s["pixels"], s["precommit"])])
    return rows


COLUMNS = ["k", "precommit", "judge alone %", "paper", "honest first %", "paper", "liar first %", "paper",
           "debate (mean) %", "95% CI", "paper", "lift (pts)", "95% CI", "paper lift"]


def sections(summary: dict) -> list:
    """The report's pixel-debate section."""
    return [pixel_debate_section(summary)]


def pixel_debate_section(summary: dict):
    from ...report import Figure, Section, Table, figure_png

    figures = []
    if summary.get("examples"):
        ex = summary["examples"]
        figures.append(Figure("A few debates", figure_png(debate_figure(ex)),
                              caption=f"{ex[0]['pixels_k']} pixels, "
                                      f"{'precommit' if ex[0]['precommit'] else 'no precommit'}, "
                                      f"{'honest' if ex[0]['honest_first'] else 'liar'} first; with precommit each "
                                      "panel is the liar's best of its 9 games. Blue: honest, red: liar; numbers "
                                      "give the move order. The judge sees only the coloured pixels."))
    return Section(
        "Pixel debate (MNIST)",
        summary=(f"Irving, Christiano & Amodei (2018), Table 2: a CNN judge that sees only k pixels of an MNIST "
                 f"image, on random nonzero pixels and on pixels chosen by two debaters ({summary.get('agent_label')})"
                 f"; {summary.get('images')} held-out images, judge trained {summary.get('judge_steps')} Adam steps "
                 f"on 8,000 MNIST test images (the paper: the 60,000 training images). Debate accuracy is the "
                 f"honest player's win rate; with precommit it must beat all 9 lies. CIs: bootstrap over images."),
        tables=[Table(COLUMNS, table_rows(summary), caption="Judge accuracy (%), ours beside the paper's.")],
        figures=figures,
    )
