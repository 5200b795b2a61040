"""Pixel debate's numbers read back from the run store: per (k, precommit) the judge alone, the debate per move order
and averaged, the lift, with 95% bootstrap CIs over images; beside them the paper's.

PAPER holds Irving, Christiano & Amodei (2018), Table 2 (judge accuracy, %): random pixels, then debate with the
honest player first / the liar first / the mean of both orders.
"""

from __future__ import annotations

import numpy as np

from ...runs.technique import ScoreRow
from ...stats import Interval, bootstrap_mean

#: (pixels, precommit) -> the paper's accuracies in percent
PAPER = {
    (6, True): {"judge": 59.4, "honest_first": 87.4, "liar_first": 90.4, "mean": 88.9},
    (4, True): {"judge": 48.2, "honest_first": 83.8, "liar_first": 86.7, "mean": 85.2},
    (6, False): {"judge": 59.4, "honest_first": 67.4, "liar_first": 81.5, "mean": 74.4},
    (4, False): {"judge": 48.2, "honest_first": 51.0, "liar_first": 68.4, "mean": 59.7},
}


def paper_lift(k: int, precommit: bool) -> float | None:
    p = PAPER.get((k, precommit))
    return None if p is None else p["mean"] - p["judge"]


def _bounds(iv: Interval) -> tuple[float, float]:
    return iv.lo, iv.hi


def summarize_setting(judge_acc: np.ndarray, wins_by_order: dict[str, np.ndarray], n_boot: int = 1000,
                      seed: int = 0) -> dict:
    """Numbers of one (k, precommit) setting: judge accuracy, debate accuracy per order and averaged, the lift; CIs
    resample images (per image: the judge's mean over its draws, the honest win, the mean of both orders)."""
    boot = {"n_boot": n_boot, "seed": seed}
    out: dict = {"images": int(len(judge_acc)), "judge_accuracy": float(np.mean(judge_acc)),
                 "judge_accuracy_ci": _bounds(bootstrap_mean(judge_acc, **boot))}
    for order, w in wins_by_order.items():
        out[order] = float(np.mean(w))
        out[f"{order}_ci"] = _bounds(bootstrap_mean(w, **boot))
    if wins_by_order:
        both = np.stack([np.asarray(w, float) for w in wins_by_order.values()], axis=1)
        out["debate_accuracy"] = float(both.mean())
        out["debate_accuracy_ci"] = _bounds(bootstrap_mean(both.mean(axis=1), **boot))
        out["lift"] = out["debate_accuracy"] - out["judge_accuracy"]
        out["lift_ci"] = _bounds(bootstrap_mean(both.mean(axis=1) - np.asarray(judge_acc), **boot))
    return out


def summarize(store, spec) -> dict:
    """Every finished unit of `spec`. A partial run: per (k, precommit), the leading image blocks finished in every
    order of the spec (so the orders and the judge-alone numbers are on the same images)."""
    from ...runs.store import unit_key
    from .experiment import blocks, debate_unit_config, judge_unit_config, order_name, settings

    judge_acc, by_setting, example = {}, {}, None
    for k in spec.pixels:
        u = store.get(unit_key(judge_unit_config(spec, k)))
        if u is not None:
            judge_acc[k] = store.arrays(u.key)["per_image"]
    for s in settings(spec):
        parts = []
        for block in blocks(spec):
            u = store.get(unit_key(debate_unit_config(spec, s, block)))
            if u is None:
                break
            parts.append(store.arrays(u.key))
        if parts:
            by_setting.setdefault((s.pixels, s.precommit), {})[order_name(s)] = parts
            if example is None or (s.precommit and s.pixels == max(spec.pixels) and not example[0].precommit):
                example = (s, parts[0])
    settings_out = []
    every = len(spec.orders)
    for (k, pc), orders in sorted(by_setting.items(), key=lambda kv: (-kv[0][0], not kv[0][1])):
        if k not in judge_acc:
            continue
        n = min(sum(len(p["wins"]) for p in parts) for parts in orders.values()) if len(orders) == every else 0
        if n == 0:  # not every order so far: report those there are, without the averaged numbers
            n = max(sum(len(p["wins"]) for p in parts) for parts in orders.values())
        wins = {o: np.concatenate([p["wins"] for p in parts])[:n] for o, parts in orders.items()
                if sum(len(p["wins"]) for p in parts) >= n}
        row = {"pixels": k, "precommit": pc, **summarize_setting(judge_acc[k][:n], wins, spec.n_boot, spec.seed)}
        if len(wins) < every:
            for key in ("debate_accuracy", "debate_accuracy_ci", "lift", "lift_ci"):
                row.pop(key, None)
        row["paper"] = PAPER.get((k, pc))
        settings_out.append(row)
    agent = spec.agent if spec.agent == "greedy" else \
        f"MCTS ({spec.rollouts} rollouts{'' if spec.root_eval else ', pure'})"
    return {"agent_label": agent, "images": spec.images, "judge_steps": spec.judge_steps, "seed": spec.seed,
            "judge_accuracy": {str(k): float(np.mean(v)) for k, v in judge_acc.items()},
            "settings": settings_out, "examples": _examples(*example, mnist=spec.mnist) if example else []}


def _examples(setting, arr, n: int = 4, mnist: str | None = None) -> list[dict]:
    """A few finished debates for the figure: per image the liar's best game (lowest honest margin)."""
    from .game import schedule
    from .mnist import load_mnist

    try:
        images, labels = load_mnist(mnist)
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


def headline(summary: dict) -> dict:
    return {"agent": summary.get("agent_label"), "images": summary.get("images"),
            "settings": [{k: v for k, v in s.items() if k != "examples"} for s in summary.get("settings", [])]}


def scorecard(summary: dict) -> list[ScoreRow]:
    rows = []
    for s in summary.get("settings", []):
        if "lift" not in s:
            continue
        judge = s["judge_accuracy"]
        rows.append(ScoreRow(
            technique="pixel debate",
            setting=f"MNIST {s['pixels']} px, {'precommit' if s['precommit'] else 'no precommit'}, "
                    f"{summary.get('agent_label', '')} debaters".replace(" ,", ","),
            measure="judge accuracy lift (pts)",
            value=100 * s["lift"],
            ci=(100 * s["lift_ci"][0], 100 * s["lift_ci"][1]),
            # of the gap between the judge alone and a perfect judge (the judge's own sampling noise is not in the CI)
            gap_closed=s["lift"] / (1 - judge) if judge < 1 else None,
            gap_ci=(s["lift_ci"][0] / (1 - judge), s["lift_ci"][1] / (1 - judge)) if judge < 1 else None,
            unit="images",
        ))
    return rows
