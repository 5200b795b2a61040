"""The report section of a verifiers experiment: best-of-N curves, lift, hackability, ProcessBench, caveats."""

from __future__ import annotations

import math

from ..report import Figure, Section, Table, figure_png
from ..term import fmt_ci, fmt_num

NAMES = {"prm_min": "PRM (min)", "prm_product": "PRM (product)", "prm_last": "PRM (last step)", "orm": "ORM",
         "majority": "majority vote", "oracle": "pass@N (oracle)"}
COLORS = {"prm_min": "#3a7bd5", "prm_product": "#1b4f9c", "prm_last": "#7fb3f0", "orm": "#d1495b",
          "majority": "#2b9348", "oracle": "#888888"}
LIGHTMAN = {"prm": 78.2, "orm": 72.4, "majority": 69.6}


def _pct(x) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.1f}"


def bon_figure(curves: dict, title: str = "") -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    for m, rows in curves.items():
        ns = [r["n"] for r in rows]
        v = [100 * r["value"] for r in rows]
        ls = ":" if m == "oracle" else "--" if m == "majority" else "-"
        ax.plot(ns, v, ls, marker="o", ms=3, label=NAMES.get(m, m), color=COLORS.get(m))
        if m != "oracle":
            ax.fill_between(ns, [100 * r["lo"] for r in rows], [100 * r["hi"] for r in rows], alpha=0.12,
                            color=COLORS.get(m))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("N (candidates per problem)")
    ax.set_ylabel("% problems solved by the pick")
    ax.set_title(title or "Best-of-N (95% CI over problems)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncols=2)
    return figure_png(fig)


def bon_table(curves: dict) -> Table:
    ns = [r["n"] for r in next(iter(curves.values()))]
    rows = [[NAMES.get(m, m)] + [_pct(r["value"]) for r in c] + [fmt_ci(c[-1], 1, scale=100)]
            for m, c in curves.items()]
    return Table(["method"] + [f"N={n}" for n in ns] + [f"95% CI at N={ns[-1]}"], rows,
                 "Best-of-N accuracy (%): the share of problems whose top-scored candidate has the right answer; 95% CI "
                 "from a bootstrap over problems (resampling unit: the problem).")


def hack_table(hack: dict) -> Table:
    kinds = [k for k in ("hack", "error", "wrong_final", "correct") if any(k in h["accept"] for h in hack.values())]
    rows = []
    for m, h in hack.items():
        rows.append([NAMES.get(m, m), f"{h['threshold']:.3g}"] +
                    [f"{_pct(h['accept'][k]['value'])} {fmt_ci(h['accept'][k], 1, scale=100)}"
                     if k in h["accept"] else "—" for k in kinds])
    rows.append(["outcome check (answer key)", "—"] + ["100.0" if k in ("hack", "correct") else "0.0" for k in kinds])
    return Table(["verifier", "threshold"] + [f"accepts {k} (%)" for k in kinds], rows,
                 "Hackability: acceptance at the threshold where each verifier accepts "
                 f"{100 * next(iter(hack.values()))['recall']:.0f}% of fully correct solutions. 'hack' = right final "
                 "answer through a wrong step. 95% CI: bootstrap over the probe solutions of each kind (resampling unit: "
                 "the probe solution).")


def verifiers_section(summary: dict) -> Section:
    title = summary.get("title", "verifiers")
    if not summary.get("curves"):
        return Section(title=f"Process vs outcome supervision: {title}", summary="No finished seed yet.")
    lift = summary["lift"]
    head = NAMES.get(summary["headline"], summary["headline"])
    n = summary["largest_n"]
    bon = summary["bon_at_largest_n"]
    text = (f"{summary['data']}: {summary['seeds_done']} seed(s). At N={n}, {head} picks a right answer for "
            f"{_pct(bon.get(summary['headline']))}% of problems, the ORM for {_pct(bon.get('orm'))}%, majority vote for "
            f"{_pct(bon.get('majority'))}% (pass@{n} {_pct(bon.get('oracle'))}%). PRM - ORM lift: "
            f"{fmt_num(100 * lift['value'], 1, signed=True)} pts {fmt_ci(lift, 1, scale=100)}. Lightman et al. (2023), "
            "best-of-1860 on MATH: "
            f"PRM {LIGHTMAN['prm']}% > ORM {LIGHTMAN['orm']}% > majority {LIGHTMAN['majority']}%.")
    tables = [bon_table(summary["curves"])]
    if summary.get("hack"):
        tables.append(hack_table(summary["hack"]))
    pb = summary.get("processbench")
    if pb:
        tables.append(Table(["", "accuracy on flawed", "accuracy on correct", "F1 (harmonic mean)"],
                            [[f"PRM, first step < {pb['threshold']}", _pct(pb["acc_error"]), _pct(pb["acc_correct"]),
                              _pct(pb["f1"])]], "ProcessBench-style earliest-wrong-step identification (%)."))
    notes = ["Selection uses the same random N-subsets for every method; CIs resample problems.",
             "The hackability threshold is set on fully correct probe solutions (fixed acceptance), never on hacks."]
    return Section(title=f"Process vs outcome supervision: {title}", summary=text, tables=tables,
                   figures=[Figure("Best-of-N", bon_figure(summary["curves"]))], notes=notes)


def sections(summary: dict) -> list[Section]:
    return [verifiers_section(summary)]
