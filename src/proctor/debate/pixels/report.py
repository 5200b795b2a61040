"""Pixel debate in the report: numbers read back from the run store, the table beside the paper's, a figure of debates.

PAPER holds Irving, Christiano & Amodei (2018), Table 2 (judge accuracy, %): random pixels, then debate with the
honest player first / the liar first / the mean of both orders.
"""

from __future__ import annotations

import numpy as np

#: (pixels, precommit) -> the paper's accuracies in percent
PAPER = {
    (6, True): {"judge": 59.4, "honest_first": 87.4, "liar_first": 90.4, "mean": 88.9},
    (4, True): {"judge": 48.2, "honest_first": 83.8, "liar_first": 86.7, "mean": 85.2},
    (6, False): {"judge": 59.4, "honest_first": 67.4, "liar_first": 81.5, "mean": 74.4},
    (4, False): {"judge": 48.2, "honest_first": 51.0, "liar_first": 68.4, "mean": 59.7},
}
HONEST_COLOR, LIAR_COLOR = "#1f77b4", "#d62728"


def paper_lift(k: int, precommit: bool) -> float | None:
    p = PAPER.get((k, precommit))
    return None if p is None else p["mean"] - p["judge"]


def summarize_units(store, spec) -> dict:
    """Every finished unit of `spec`. A partial run: per (k, precommit), the leading image blocks finished in both
    orders (so the orders and the judge-alone numbers are on the same images)."""
    from ...runs.store import unit_key
    from .experiment import summarize_setting
    from .suite import _settings, blocks, debate_unit_config, judge_unit_config

    judge_acc, by_setting, example = {}, {}, None
    for k in spec.pixels:
        u = store.get(unit_key(judge_unit_config(spec, k)))
        if u is not None:
            judge_acc[k] = store.arrays(u.key)["per_image"]
    for s in _settings(spec):
        parts = []
        for block in blocks(spec):
            u = store.get(unit_key(debate_unit_config(spec, s, block)))
            if u is None:
                break
            parts.append(store.arrays(u.key))
        if parts:
            order = "honest_first" if s.honest_first else "liar_first"
            by_setting.setdefault((s.pixels, s.precommit), {})[order] = parts
            if example is None or (s.precommit and s.pixels == max(spec.pixels) and not example[0].precommit):
                example = (s, parts[0])
    settings = []
    for (k, pc), orders in sorted(by_setting.items(), key=lambda kv: (-kv[0][0], not kv[0][1])):
        if k not in judge_acc:
            continue
        n = min(sum(len(p["wins"]) for p in parts) for parts in orders.values()) if len(orders) == 2 else 0
        if n == 0:  # one order only so far: report it, without the averaged numbers
            n = max(sum(len(p["wins"]) for p in parts) for parts in orders.values())
        wins = {o: np.concatenate([p["wins"] for p in parts])[:n] for o, parts in orders.items()
                if sum(len(p["wins"]) for p in parts) >= n}
        row = {"pixels": k, "precommit": pc, **summarize_setting(judge_acc[k][:n], wins, spec.n_boot, spec.seed)}
        if len(wins) < 2:
            for key in ("debate_accuracy", "debate_accuracy_ci", "lift", "lift_ci"):
                row.pop(key, None)
        row["paper"] = PAPER.get((k, pc))
        settings.append(row)
    agent = spec.agent if spec.agent == "greedy" else \
        f"MCTS ({spec.rollouts} rollouts{'' if spec.root_eval else ', pure'})"
    return {"agent_label": agent, "images": spec.images, "judge_steps": spec.judge_steps, "seed": spec.seed,
            "judge_accuracy": {str(k): float(np.mean(v)) for k, v in judge_acc.items()},
            "settings": settings, "examples": _examples(*example) if example else []}


def _examples(setting, arr, n: int = 4) -> list[dict]:
    """A few finished debates for the figure: per image the liar's best game (lowest honest margin)."""
    from .game import schedule
    from .mnist import load_mnist

    try:
        images, labels = load_mnist()
    except Exception:  # noqa: BLE001 - the figure is optional; the numbers do not need the images
        return []
    out = []
    for i in range(min(n, len(arr["wins"]))):
        g = int(np.argmin(arr["margins"][i]))
        img = int(arr["image"][i])
        out.append({"image": images[img].astype(int).tolist(), "label": int(labels[img]),
                    "lie": int(arr["lies"][i, g]), "pixels": arr["pixels"][i, g].tolist(),
                    "players": schedule(setting.pixels, setting.honest_first),
                    "margin": float(arr["margins"][i, g]), "honest_won_image": bool(arr["wins"][i]),
                    "pixels_k": setting.pixels, "precommit": setting.precommit,
                    "honest_first": setting.honest_first})
    return out


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
    return None if x is None else round(100 * x, 1)


def _ci(ci) -> str:
    return "" if not ci else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}"


def table_rows(summary: dict) -> list[list]:
    rows = []
    for s in summary.get("settings", []):
        p = s.get("paper") or {}
        rows.append([s["pixels"], "yes" if s["precommit"] else "no",
                     _pct(s["judge_accuracy"]), p.get("judge"),
                     _pct(s.get("honest_first")), p.get("honest_first"),
                     _pct(s.get("liar_first")), p.get("liar_first"),
                     _pct(s.get("debate_accuracy")), _ci(s.get("debate_accuracy_ci")), p.get("mean"),
                     _pct(s.get("lift")), _ci(s.get("lift_ci")), paper_lift(s["pixels"], s["precommit"])])
    return rows


COLUMNS = ["k", "precommit", "judge alone %", "paper", "honest first %", "paper", "liar first %", "paper",
           "debate (mean) %", "95% CI", "paper", "lift (pts)", "95% CI", "paper lift"]


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
