"""A CAI experiment's numbers, read back from the run store (works before the unit finished), and its scorecard
rows: the harmlessness change from revision (1-7 judge scale, bootstrap CI) and the helpfulness change (the tax)."""

from __future__ import annotations

from ..runs.store import unit_key
from .experiment import unit_config
from .spec import CAISpec


def summarize(store, spec: CAISpec) -> dict:
    from ..jsonout import finite

    unit = store.get(unit_key(unit_config(spec)))
    return finite({"experiment": spec.title, "complete": unit is not None, "policy": spec.policy,
                   **(unit.result if unit else {"revise": None, "prefer": None, "evaluate": None})})


def headline(summary: dict) -> dict:
    """The `proctor run --json` object: the whole summary (the three stages' summaries)."""
    return summary


def scorecard(summary: dict) -> list:
    from ..llm.mock import is_scripted
    from ..runs.technique import ScoreRow

    technique = "constitutional AI" + (" (scripted)" if is_scripted(summary.get("policy") or "") else "")
    e = summary.get("evaluate")
    if not e:
        return [ScoreRow(technique=technique, setting=summary["experiment"],
                         measure="harmlessness change (1-7)", value=None,
                         blocked="no complete revision chain" if summary.get("complete") else "not run")]
    rows = []
    for rubric, measure in (("harmless", "harmlessness change (1-7)"), ("helpful", "helpfulness change (1-7)")):
        x = e[rubric]
        ci = tuple(x["ci"]) if x["ci"] and None not in x["ci"] else None
        rows.append(ScoreRow(technique=technique, setting=f"{summary['experiment']}: {summary['policy']}",
                             measure=measure, value=x["change"], ci=ci,
                             blocked=None if x["n"] else "no valid paired ratings",
                             unit="prompts (paired: first reply vs final revision)"))
    return rows
