"""The W2S section of a Proctor report: accuracies, PGR with CIs, per-seed detail, chains, caveats."""

from __future__ import annotations

import math

import numpy as np

from ..report import Figure, Sample, Section, Table, figure_png
from ..stats import verdict
from ..term import fmt_num


def _pct(x: float) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.1f}"


def _msd(d: dict, scale: float = 100.0, digits: int = 1) -> str:
    if not math.isfinite(d["mean"]):
        return "undefined"
    s = f"{scale * d['mean']:.{digits}f}"
    if math.isfinite(d.get("sd", math.nan)):
        s += f" ± {scale * d['sd']:.{digits}f}"
    return s


def _ci(iv: dict, scale: float = 100.0, digits: int = 1) -> str:
    if not (math.isfinite(iv["lo"]) and math.isfinite(iv["hi"])):
        return "—"
    return f"[{scale * iv['lo']:.{digits}f}, {scale * iv['hi']:.{digits}f}]"


def _accuracy_figure(rows: list[dict]) -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(rows) + 2), 3.6))
    x = np.arange(len(rows))
    width = 0.26
    colors = {"weak": "#c9a227", "student": "#3a7bd5", "ceiling": "#2b9348"}
    for j, role in enumerate(("weak", "student", "ceiling")):
        means = [100 * r[role]["mean"] for r in rows]
        sds = [100 * r[role]["sd"] if math.isfinite(r[role]["sd"]) else 0.0 for r in rows]
        ax.bar(x + (j - 1) * width, means, width, yerr=sds, capsize=3, label=role, color=colors[role])
    lo = min(100 * r["weak"]["mean"] for r in rows)
    ax.set_ylim(max(0.0, lo - 10), 100)
    ax.set_xticks(x, [f"{r['weak_model']}\n{r['loss']}" for r in rows], fontsize=8)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Weak supervisor, strong student, strong ceiling (mean ± sd over seeds)")
    ax.legend(fontsize=8, ncols=3, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    return figure_png(fig)


def _pgr_figure(rows: list[dict]) -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(5.0, 1.4 * len(rows) + 2), 3.4))
    x = np.arange(len(rows))
    for i, r in enumerate(rows):
        iv = r["pooled"]["pgr"]
        color = "#3a7bd5" if r["resolved"] else "#9aa5b1"
        if math.isfinite(iv["value"]):
            err = [[max(0.0, iv["value"] - iv["lo"])], [max(0.0, iv["hi"] - iv["value"])]] \
                if math.isfinite(iv["lo"]) else None
            ax.bar(i, iv["value"], 0.55, yerr=err, capsize=4, color=color)
        seeds = [s["pgr"]["value"] for s in r["per_seed"] if math.isfinite(s["pgr"]["value"])]
        ax.scatter([i] * len(seeds), seeds, color="black", s=12, zorder=3)
    ax.axhline(0, color="black", lw=0.8)
    ax.axhline(1, color="#2b9348", lw=0.8, ls="--")
    ax.set_xticks(x, [f"{r['weak_model']}\n{r['loss']}" for r in rows], fontsize=8)
    ax.set_ylabel("PGR")
    ax.set_title("Performance gap recovered (bar: PGR of seed-averaged correctness, 95% CI over test examples; "
                 "dots: seeds)", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    return figure_png(fig)


def _chain_figure(chain: list[dict]) -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for c in chain:
        ax.plot(range(len(c["step_acc"])), [100 * a for a in c["step_acc"]], marker="o", label=f"seed {c['seed']}")
        ax.scatter([len(c["step_acc"]) - 1], [100 * c["direct_acc"]], marker="x", color="black", zorder=3)
    labels = chain[0]["labels"]
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Bootstrapping chain (x: direct weak -> strong on the same data)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return figure_png(fig)


def w2s_section(summary: dict) -> Section:
    rows = summary["rows"]
    title = f"Weak-to-strong: {summary['experiment']}"
    if not rows:
        return Section(title=title, summary="No finished units yet for this experiment.")
    main = Table(
        columns=["weak model", "loss", "seeds", "weak %", "student %", "ceiling %", "gap (pts) [95% CI]",
                 "PGR [95% CI]", "PGR per seed, mean ± sd", "verdict"],
        rows=[[r["weak_model"], r["loss"], r["n_seeds"], _msd(r["weak"]), _msd(r["student"]), _msd(r["ceiling"]),
               f"{100 * r['pooled']['gap']['value']:.1f} {_ci(r['pooled']['gap'])}",
               f"{fmt_num(r['pgr'], 2)} {_ci(r['pooled']['pgr'], 1.0, 2)}", _msd(r["pgr_seeds"], 1.0, 2),
               verdict(r["pgr"], (r["pooled"]["pgr"]["lo"], r["pooled"]["pgr"]["hi"]), 0.0,
                       blocked=None if r["resolved"] else "gap inside noise")] for r in rows],
        caption=f"Strong model {summary['strong']} on {summary['dataset']}. Accuracies on the fixed test split. "
                "PGR and its CI come from one estimator: the PGR of the seed-averaged correctness, with a percentile "
                "bootstrap over test examples (resampled jointly for weak, student and ceiling; the CI does not "
                "include seed-to-seed variation, shown beside it as the per-seed spread). Resamples whose gap is "
                "<= 0 are kept as -inf / +inf (counted below), never dropped.",
    )
    per_seed = Table(
        columns=["weak model", "loss", "seed", "weak %", "student %", "ceiling %", "PGR", "PGR 95% CI",
                 "student agrees with weak on half B %"],
        rows=[[r["weak_model"], r["loss"], s["seed"], _pct(s["weak"]["value"]), _pct(s["student"]["value"]),
               _pct(s["ceiling"]["value"]),
               "undefined" if not math.isfinite(s["pgr"]["value"]) else f"{s['pgr']['value']:.2f}",
               _ci(s["pgr"], 1.0, 2), _pct(s.get("agree_weak_half_b") or math.nan)]
              for r in rows for s in r["per_seed"]],
        caption="Per seed: each seed redraws the A/B halves and the training order.",
    )
    tables = [main, per_seed]
    figures = [Figure("Accuracies", _accuracy_figure(rows)), Figure("PGR", _pgr_figure(rows))]
    if summary["chain"]:
        c0 = summary["chain"]
        tables.append(Table(
            columns=["seed", *[f"step {i}: {lab}" for i, lab in enumerate(c0[0]["labels"])], "direct weak→strong"],
            rows=[[c["seed"], *[_pct(a) for a in c["step_acc"]], _pct(c["direct_acc"])] for c in c0],
            caption="Bootstrapping: each model is trained on the previous one's labels on a disjoint part of half B.",
        ))
        figures.append(Figure("Bootstrapping chain", _chain_figure(c0)))
    notes = []
    for r in rows:
        if not r["resolved"]:
            notes.append(f"{r['weak_model']} / {r['loss']}: the gap's 95% CI reaches 0, so this PGR is no result.")
        if r["pgr_seeds"]["n_undefined"]:
            notes.append(f"{r['weak_model']} / {r['loss']}: {r['pgr_seeds']['n_undefined']} seed(s) had ceiling <= "
                         "weak; their own PGR is undefined and left out of the per-seed mean (not of the pooled PGR).")
        if r["pooled"].get("n_undefined"):
            notes.append(f"{r['weak_model']} / {r['loss']}: {r['pooled']['n_undefined']} of {r['pooled']['n_boot']} "
                         "bootstrap resamples had ceiling <= weak; they count as -inf / +inf in the PGR interval.")
    if not summary["complete"]:
        notes.append(f"Incomplete run: {summary['units_done']} of {summary['units_planned']} units finished; "
                     "rerun the same command to resume.")
    text = (f"{len(rows)} weak-model × loss combinations over {summary['seeds']} seed(s). "
            "PGR = (student − weak) / (ceiling − weak): 0 is pure imitation of the weak supervisor, 1 recovers "
            "the whole gap to a strong model trained on ground truth.")
    samples = [Sample(label=f"{x['kind']}: truth {x['label']}, weak ({x['weak_model']}) {x['weak']}, "
                            f"student ({x['loss']}) {x['student']}", text=x["text"])
               for x in summary.get("samples", [])]
    return Section(title=title, summary=text, tables=tables, figures=figures, notes=notes, samples=samples)


def sections(summary: dict) -> list[Section]:
    """The technique's report sections (proctor.runs.technique)."""
    return [w2s_section(summary)]
