"""Report sections and figures for the alignment tax: the frontier of a table of checkpoints, and the
weight-averaging path."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure as MplFigure

from proctor.report import Figure, Section, Table, figure_png
from proctor.tax.frontier import FrontierResult
from proctor.tax.interpolate import InterpolationPoint

__all__ = ["formats_png", "formats_score_row", "formats_section", "frontier_png", "frontier_section", "interpolation_png",
           "interpolation_section", "sections"]


def frontier_png(names, capability, alignment, result: FrontierResult, *, xlabel: str, ylabel: str) -> bytes:
    """All checkpoints, the frontier as a line, its chord dashed, checkpoint names as labels."""
    c, a = np.asarray(capability, float), np.asarray(alignment, float)
    fig = MplFigure(figsize=(6.0, 4.4))
    ax = fig.add_subplot()
    on = np.zeros(c.size, bool)
    on[result.frontier] = True
    ax.scatter(c[~on], a[~on], s=22, color="#9aa3b2", label="dominated", zorder=2)
    ax.scatter(c[on], a[on], s=30, color="#2f5fb3", label="Pareto frontier", zorder=3)
    f = result.frontier
    ax.plot(c[f], a[f], color="#2f5fb3", lw=1.4, zorder=2)
    if f.size >= 2:
        ax.plot([c[f[0]], c[f[-1]]], [a[f[0]], a[f[-1]]], ls="--", color="#c0392b", lw=1, label="chord")
    for i, name in enumerate(names):
        ax.annotate(str(name)[:24], (c[i], a[i]), xytext=(4, 3), textcoords="offset points", fontsize=7,
                    color="#3b4453")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"Capability vs alignment: frontier {result.verdict}", loc="left")
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    return figure_png(fig)


def frontier_section(names, capability, alignment, *, result: FrontierResult, taxes: list[dict], source: str,
                     cap_cols: list[str], ali_cols: list[str]) -> Section:
    """The frontier table, the bend verdict and the per-checkpoint tax."""
    c, a = np.asarray(capability, float), np.asarray(alignment, float)
    on = set(int(i) for i in result.frontier)
    rows = [[str(n), float(c[i]), float(a[i]), i in on] for i, n in enumerate(names)]
    lo, hi = result.ci
    summary = (
        f"{len(names)} checkpoints from {source}; capability = mean of {', '.join(cap_cols)}, alignment = mean of "
        f"{', '.join(ali_cols)}. {len(on)} lie on the Pareto frontier. Bend (signed area between the frontier and its "
        f"chord, axes rescaled to [0, 1]): {result.area:.3f}, {result.bootstrap} bootstrap interval "
        f"[{lo:.3f}, {hi:.3f}]; verdict: {result.verdict}."
    )
    notes = ["Convex: the frontier bows out toward the ideal corner, so compromises keep more of both than a straight "
             "trade; concave: it bows in, and alignment costs capability at a steep rate. The verdict needs the "
             "bootstrap interval to exclude 0."]
    tables = [Table(["checkpoint", "capability", "alignment", "on frontier"], rows, caption="Checkpoints")]
    if taxes:
        tables.append(Table(["checkpoint", "base", "tax (capability lost)", "alignment gained"],
                            [[t["checkpoint"], t["base"], t["tax"], t["alignment_gain"]] for t in taxes],
                            caption="Alignment tax against each checkpoint's base"))
    fig = Figure("Pareto frontier", frontier_png(names, c, a, result, xlabel="capability", ylabel="alignment"))
    return Section("Alignment tax: the capability-alignment frontier", summary=summary, tables=tables, figures=[fig],
                   notes=notes)


def interpolation_png(points: list[InterpolationPoint], capability: str, alignment: str) -> bytes:
    """The path theta(lam) in (capability, alignment) space, each point labelled with its lam."""
    x = [p.scores[capability] for p in points]
    y = [p.scores[alignment] for p in points]
    fig = MplFigure(figsize=(6.0, 4.4))
    ax = fig.add_subplot()
    ax.plot(x, y, color="#2f5fb3", lw=1.2, marker="o", ms=4)
    for p, xi, yi in zip(points, x, y):
        ax.annotate(f"{p.lam:.2g}", (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.set_xlabel(f"capability: {capability}")
    ax.set_ylabel(f"alignment: {alignment}")
    ax.set_title("Weight averaging (1 - lam) base + lam tuned", loc="left")
    ax.grid(alpha=0.3)
    return figure_png(fig)


def interpolation_section(points: list[InterpolationPoint], *, base: str, tuned: str, capability: str,
                          alignment: str, result: FrontierResult) -> Section:
    """The sweep's table and path, and the frontier verdict of the path's points."""
    rows = [[p.lam, p.scores[capability], p.scores[alignment], p.seconds] for p in points]
    base_pt, tuned_pt = points[0], points[-1]
    summary = (
        f"Weight averaging (Lin et al. 2023) between base {base} and fine-tuned {tuned}: capability = {capability}, "
        f"alignment = {alignment}. From lam = {base_pt.lam:g} to {tuned_pt.lam:g}, alignment moves "
        f"{base_pt.scores[alignment]:.3f} -> {tuned_pt.scores[alignment]:.3f} and capability "
        f"{base_pt.scores[capability]:.3f} -> {tuned_pt.scores[capability]:.3f}. Frontier of the path: "
        f"{len(result.frontier)} of {len(points)} points, bend {result.area:.3f}"
        + ("" if math.isnan(result.ci[0]) else f" [{result.ci[0]:.3f}, {result.ci[1]:.3f}]")
        + f", verdict {result.verdict}."
    )
    return Section("Alignment tax: weight-averaging path", summary=summary,
                   tables=[Table(["lam", "capability", "alignment", "seconds"], rows)],
                   figures=[Figure("Interpolation path", interpolation_png(points, capability, alignment))])


def formats_png(results, formats: list[str]) -> bytes:
    """The tax (base minus aligned accuracy) per format, grouped by evaluation, with bootstrap CIs."""
    fig = MplFigure(figsize=(6.4, 3.8))
    ax = fig.add_subplot()
    width = 0.8 / len(formats)
    colors = ["#c0392b", "#2f5fb3", "#2e8b57", "#8e44ad"]
    for k, f in enumerate(formats):
        x = np.arange(len(results)) + (k - (len(formats) - 1) / 2) * width
        y = np.array([r.tax[f] for r in results])
        lo = np.array([r.tax_ci[f][0] for r in results])
        hi = np.array([r.tax_ci[f][1] for r in results])
        ax.bar(x, y, width * 0.9, color=colors[k % len(colors)], label=f, alpha=0.85)
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="none", ecolor="#1c2330", capsize=3, lw=1)
    ax.axhline(0, color="#7f8c8d", lw=0.8)
    ax.set_xticks(np.arange(len(results)), [r.name.split(" (")[0][:20] for r in results], fontsize=8)
    ax.set_ylabel("tax: base - aligned accuracy")
    ax.set_title("Alignment tax by evaluation format", loc="left")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    return figure_png(fig)


def formats_section(results, *, base: str, aligned: str, deployment: str, formats: list[str], scripted: bool,
                    threshold: float, paraphrase: dict | None = None) -> Section:
    """`proctor tax formats`: the tax per format with paired-bootstrap CIs, the share that disappears in the
    deployment format, the verdict."""
    rows = []
    for r in results:
        for f in formats:
            rows.append([r.name, f, r.n_items, r.accuracy["base"][f], r.accuracy["aligned"][f], r.tax[f],
                         *r.tax_ci[f]])
    verdicts = [[r.name, r.share if math.isfinite(r.share) else None,
                 *[v if math.isfinite(v) else None for v in r.share_ci], r.verdict, r.reason] for r in results]
    tag = " [scripted models]" if scripted else ""
    summary = (
        f"Base {base} against aligned {aligned}{tag}: each capability item asked in {', '.join(formats)}; the tax is "
        f"the base's accuracy minus the aligned model's, per format. Share = 1 - tax({deployment}) / tax(raw): how "
        f"much of the raw-format tax disappears when the format matches deployment. Overall verdict: "
        f"{results[-1].verdict}.")
    notes = ["Intervals: percentile bootstrap over items, paired (each replicate draws one set of items for both "
             "checkpoints and every format); the pooled row averages the evaluations' taxes.",
             f"Verdict: artifact when the share's CI lies above {threshold:.0%}; intrinsic when it lies below "
             f"{threshold:.0%} and the {deployment}-format tax's CI lies above 0; otherwise undetermined (always when "
             "the raw-format tax's CI includes 0)."]
    if paraphrase:
        notes.append(f"Paraphrase format: the chat format on each question reworded by {paraphrase['paraphraser']}; "
                     f"{paraphrase['reworded']} rewordings used, {paraphrase['kept_own_wording']} rejected (empty, "
                     "too long, or a GSM8K number lost), whose items keep their own wording there.")
    if scripted:
        notes.insert(0, "Scripted models (proctor.llm.mock on inspect's mockllm) answer from a fixed script: these "
                        "numbers check the machinery end to end and measure no model.")
    return Section("Alignment tax by evaluation format" + tag, summary=summary,
                   tables=[Table(["evaluation", "format", "items", "base", "aligned", "tax", "CI low", "CI high"],
                                 rows, caption="Accuracy and tax per format. CI: 95% percentile bootstrap over items, "
                                 "paired across the checkpoints and formats (resampling unit: the item)."),
                           Table(["evaluation", "share of the raw tax gone", "CI low", "CI high", "verdict", "why"],
                                 verdicts, caption=f"Does the tax disappear in the {deployment} format? Share = 1 - "
                                 f"tax({deployment}) / tax(raw); CI from the same paired bootstrap.")],
                   figures=[Figure("Tax by format", formats_png(results, formats))], notes=notes)


def formats_score_row(result, *, base: str, aligned: str, deployment: str, scripted: bool):
    """A scorecard row: the share of the raw-format tax that disappears in the deployment format (null 0: none
    does), blocked when the raw-format tax is not above 0."""
    from proctor.runs.technique import ScoreRow

    ok = all(math.isfinite(v) for v in result.share_ci)
    blocked = None if result.tax_ci["raw"][0] > 0 else "no raw-format tax (its CI includes 0)"
    return ScoreRow(technique="alignment tax by format" + (" (scripted)" if scripted else ""),
                    setting=f"{result.name}: {base} -> {aligned}, raw vs {deployment}",
                    measure="share of the raw-format tax gone in the deployment format",
                    value=result.share if math.isfinite(result.share) else None,
                    ci=tuple(result.share_ci) if ok else None, null=0.0, blocked=blocked, unit="items (paired)")


def sections(summary: dict) -> list[Section]:
    """The `tax_formats` experiment in a suite's report: the tax per format, the share gone, the verdict."""
    from proctor.tax.formats import FormatResult

    title = summary["title"]
    if not summary["results"]:
        return [Section(f"{title}: alignment tax by evaluation format",
                        summary="Both checkpoints' answers are needed; the run has not finished them yet.")]
    section = formats_section([FormatResult.from_dict(r) for r in summary["results"]], base=summary["base"],
                              aligned=summary["aligned"], deployment=summary["deployment"],
                              formats=summary["formats"], scripted=summary["scripted"],
                              threshold=summary["threshold"], paraphrase=summary.get("paraphrase"))
    section.title = f"{title}: {section.title}"
    return [section]
