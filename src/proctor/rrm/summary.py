"""An RRM experiment's numbers, read back from the run store (works on unfinished runs), and its scorecard rows: the
evaluator's accuracy lift from assistance at the deepest level (points, bootstrap CI) and the calculator's
nested-oversight success per game."""

from __future__ import annotations

from ..runs.store import unit_key
from .experiment import assisted_config, nested_config
from .spec import RRMSpec


def pct(x):
    """A fraction as percentage points rounded to 0.1 (None stays None)."""
    return None if x is None else round(100 * x, 1)


def summarize(store, spec: RRMSpec) -> dict:
    from ..jsonout import finite

    nested = store.get(unit_key(nested_config(spec)))
    assisted = store.get(unit_key(assisted_config(spec))) if spec.evaluator else None
    return finite({"experiment": spec.title, "nested": nested.result["rows"] if nested else [],
                   "assisted": assisted.result if assisted else None,
                   "assisted_setting": f"{spec.items}: {spec.evaluator} + {spec.assistant}, mislead {spec.mislead}",
                   "assisted_models": [m for m in (spec.evaluator, spec.assistant) if m],
                   "complete": nested is not None and (assisted is not None or spec.evaluator is None)})


def headline(summary: dict) -> dict:
    """The `proctor run --json` object: the whole summary (it is small)."""
    return summary


def scorecard(summary: dict) -> list:
    from ..runs.technique import ScoreRow

    rows = []
    a = summary.get("assisted")
    if a and a["levels"]:
        from ..llm.mock import is_scripted

        top = a["levels"][-1]["change_vs_unassisted"]
        ci = top.get("ci")
        scripted = is_scripted(*(summary.get("assisted_models") or []))
        rows.append(ScoreRow(technique="assisted evaluation (RRM)" + (" (scripted)" if scripted else ""),
                             setting=f"{summary.get('assisted_setting', '')}, depth {a['depth']}",
                             measure="evaluator accuracy lift (pts)", value=pct(top.get("change")),
                             ci=(pct(ci[0]), pct(ci[1])) if ci and None not in ci else None,
                             blocked=None if top.get("n") else "no valid paired verdicts",
                             unit="items (paired: assisted vs unassisted)"))
    for r in summary.get("nested", []):
        rows.append(ScoreRow(technique="nested oversight (calculator)", setting=f"{r['game']}, gap {r['gap']:g}",
                             measure=f"P(success), n* = {r['best_steps']}", value=r["success"],
                             null=None))
    return rows
