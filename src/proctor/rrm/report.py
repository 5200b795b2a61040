"""The RRM section of a Proctor report: the nested-oversight table and, when run, assisted evaluation per level."""

from __future__ import annotations

from ..report import Section, Table
from .summary import pct


def sections(summary: dict) -> list[Section]:
    tables = [Table(["game", "gap", "Guard slope", "Houdini slope", "n*", "P_win %", "paper % (gap 400)"],
                    [[r["game"], r["gap"], round(r["guard_slope"], 3), round(r["houdini_slope"], 3),
                      r["best_steps"], pct(r["success"]), pct(r["paper_success"]) if r["gap"] == 400 else None]
                     for r in summary.get("nested", [])],
                    caption="Nested oversight (Engels et al. 2025) from the fits in the paper's code; the paper's "
                            "reported rates come from later fits (docs: results, RRM section).")]
    a = summary.get("assisted")
    if a:
        tables.append(Table(["level", "valid", "accuracy %", "95% CI", "change vs unassisted (pts)",
                             "invalid verdicts", "invalid notes"],
                            [[lv["level"], lv["n"], pct(lv["accuracy"]),
                              f"{pct(lv['ci'][0])} .. {pct(lv['ci'][1])}",
                              pct(lv["change_vs_unassisted"]["change"]), lv["invalid_verdicts"],
                              lv["invalid_notes"]] for lv in a["levels"]],
                            caption=f"Assisted evaluation, {summary.get('assisted_setting', '')}"))
    return [Section(title=f"Recursive reward modeling: {summary['experiment']}", tables=tables)]
