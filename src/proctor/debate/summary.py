"""LLM debate's numbers read back from the run store: per protocol the judge's accuracy with its CI, by assignment and
by position, calibration, invalid and failed counts (metrics.py); the `--json` headline and the scorecard rows."""

from __future__ import annotations

from ..runs.technique import ScoreRow
from .spec import DebateSpec


def summarize(store, spec: DebateSpec) -> dict:
    """Every judged sample of `spec` in the store (also on an unfinished run)."""
    from .experiment import plan
    from .metrics import summarize_records

    units = store.units(experiment=spec.title, kind="judged")
    by: dict[str, list[dict]] = {}
    for u in units:
        by.setdefault(u.result["protocol"], []).append(u.result)
    protocols = {p: summarize_records(sorted(by[p], key=lambda r: r["index"]), seed=spec.seed)
                 for p in spec.protocols if p in by}
    try:
        planned = len(plan(spec)[0]) * len(spec.protocols)
    except Exception:  # data no longer readable: report what is stored
        planned = len(units)
    transcripts = [r for p in ("debate", "consultancy") for r in sorted(by.get(p, []), key=lambda r: r["index"])[:2]]
    return {"title": spec.title, "dataset": spec.dataset,
            "roles": {"judge": spec.judge, "debater": spec.debater, "debater_b": spec.debater_b or spec.debater},
            "protocols": protocols, "units_done": len(units), "units_planned": planned,
            "complete": len(units) >= planned, "transcripts": transcripts}


def headline(summary: dict) -> dict:
    return {"title": summary["title"], "complete": summary["complete"],
            "protocols": {p: {k: s[k] for k in ("accuracy", "ci", "samples", "valid", "invalid", "failed")}
                          for p, s in summary["protocols"].items()}}


def scorecard(summary: dict) -> list[ScoreRow]:
    """Judge accuracy with debate / consultancy; gap closed = (protocol - naive) / (expert - naive). Rows of a run
    with a scripted stand-in model are labelled "(scripted)"."""
    from ..llm.mock import is_scripted

    by = summary["protocols"]
    rows = []
    naive, expert = by.get("naive", {}).get("accuracy"), by.get("expert", {}).get("accuracy")
    for p in ("debate", "consultancy"):
        if p not in by:
            continue
        acc = by[p]["accuracy"]
        gap = None
        if naive is not None and expert is not None and expert - naive > 0 and acc == acc:
            gap = (acc - naive) / (expert - naive)
        scripted = is_scripted(*(v for v in summary["roles"].values() if v))
        rows.append(ScoreRow(technique=f"LLM {p}" + (" (scripted)" if scripted else ""),
                             setting=f"{summary['dataset']}: judge {summary['roles']['judge']}",
                             measure="judge accuracy", value=acc if acc == acc else None,
                             ci=tuple(by[p]["ci"]) if all(c == c for c in by[p]["ci"]) else None, gap_closed=gap,
                             null=0.5, null_label="chance",
                             blocked=None if by[p]["valid"] else "no valid verdicts", unit="questions"))
    return rows
