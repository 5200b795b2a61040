"""The study's section of a Proctor report: per judge kind and protocol, accuracy with its 95% CI (judges and
questions resampled together), calibration, time per judgment, consultancy by consultant type, debate - naive."""

from __future__ import annotations

from ..report import Section, Table
from ..term import fmt_ci, fmt_num, fmt_pct


def sections(summary: dict) -> list:
    r = summary["results"]
    rows = []
    for kind, part in r["by_judge_kind"].items():
        for p, s in part["protocols"].items():
            rows.append([kind, p, s["n"], s["judges"], s["questions"], fmt_pct(s["accuracy"]),
                         fmt_ci(s["ci"], 1, scale=100), fmt_num(s["ece"]), fmt_num(s["brier"]),
                         fmt_num(s["seconds_median"], 1)])
            split = [(f"consultant {t}", g) for t, g in (s.get("by_consultant_type") or {}).items()]
            split += [(f"{m} argued the correct answer", g) for m, g in (s.get("by_honest_model") or {}).items()]
            for t, g in split:
                rows.append([kind, f"{p} ({t})", g["n"], g["judges"], g["questions"],
                             fmt_pct(g["accuracy"]), fmt_ci(g["ci"], 1, scale=100), fmt_num(g["ece"]),
                             fmt_num(g["brier"]), fmt_num(g["seconds_median"], 1)])
    table = Table(columns=["judges", "protocol", "n", "judges (n)", "questions", "accuracy", "95% CI (%)", "ECE",
                           "Brier", "median s"], rows=rows,
                  caption=f"CIs: percentile bootstrap, {r['n_boot']} resamples of {r['unit']}.")
    d = r.get("debate_minus_naive")
    diff = ("no debate and naive judgments of human judges yet" if d is None else
            f"Human judges, debate - naive: {fmt_num(100 * d['value'], 1, signed=True)} points, 95% CI "
            f"{fmt_ci(d['ci'], 1, scale=100)} (n = {d['n'][0]} vs {d['n'][1]}).")
    a = r.get("assisted_minus_unassisted")
    if a is not None:
        diff += (f" Assisted - unassisted: {fmt_num(100 * a['value'], 1, signed=True)} points, 95% CI "
                 f"{fmt_ci(a['ci'], 1, scale=100)} (n = {a['n'][0]} vs {a['n'][1]}).")
    summary_text = (f"{r['judgments']} judgments in study {summary['study']}. {diff}\n\nA judgment is correct when "
                    "it gives the correct answer more than 50% (half credit at exactly 50%); ECE over 10 bins of the "
                    "chosen answer's probability; Brier = mean (1 - p(correct))^2.")
    return [Section(title=f"Human study: {summary['title']}", summary=summary_text, tables=[table])]
