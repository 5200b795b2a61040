"""A study's numbers in a suite: the newest snapshot of its judgments summarised (analysis.summarize_rows), the
`--json` headline and the scorecard row "human judge: debate - naive" (verdict by proctor.stats.verdict)."""

from __future__ import annotations

from ..runs.technique import ScoreRow
from .analysis import UNIT
from .spec import StudySpec


def summarize(store, spec: StudySpec) -> dict:
    from .analysis import summarize_rows

    units = store.units(experiment=spec.title, kind="judgments")
    rows = max((u.result["rows"] for u in units), key=len, default=[])
    return {"title": spec.title, "study": spec.study, "results": summarize_rows(rows, n_boot=spec.n_boot,
                                                                                 seed=spec.seed)}


def headline(summary: dict) -> dict:
    r = summary["results"]
    return {"title": summary["title"], "judgments": r["judgments"],
            "protocols": {p: {k: s[k] for k in ("n", "accuracy", "ci")} for p, s in r["protocols"].items()},
            "debate_minus_naive": r["debate_minus_naive"], "assisted_minus_unassisted": r.get("assisted_minus_unassisted")}


def scorecard_rows(summary: dict) -> list[ScoreRow]:
    """Human judges: debate minus naive accuracy, and assisted minus unassisted (points), each CI from the same
    two-way bootstrap resamples of both protocols."""
    r = summary["results"]
    rows = []
    for key, what in (("debate_minus_naive", "debate - naive"), ("assisted_minus_unassisted",
                                                                  "assisted - unassisted")):
        d = r.get(key)
        if d is None:
            continue
        ci = tuple(100 * c for c in d["ci"]) if all(c is not None for c in d["ci"]) else None
        rows.append(ScoreRow(technique="human judge", setting=f"{summary['title']}: {what}",
                             measure="accuracy difference (pts)", value=100 * d["value"], ci=ci, null=0.0,
                             null_label="no difference", unit=UNIT))
    return rows


def scorecard(summary: dict) -> list[ScoreRow]:
    return scorecard_rows(summary)
