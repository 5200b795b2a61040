"""Compare two runs: every scorecard number of run A against the same row of run B, and whether the CIs overlap.

Rows match on (technique, setting, measure). Two intervals that overlap do not prove the numbers equal, and two that
do not overlap are a (conservative) sign of a real difference at roughly the 95% level: that is all this says.
"""

from __future__ import annotations

from pathlib import Path

from .store import RunStore


def run_scorecard(run_dir: Path) -> list:
    from .executor import load_run_suite, scorecard, summarize_run

    suite = load_run_suite(run_dir)
    with RunStore(run_dir) as store:
        return scorecard(suite, summarize_run(store, suite))


def overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool | None:
    """Whether two closed intervals overlap; None when either is missing."""
    if a is None or b is None:
        return None
    return a[0] <= b[1] and b[0] <= a[1]


def compare_rows(rows_a: list, rows_b: list) -> list[dict]:
    """One dict per row of A (and per row only in B): values, difference A - B, CIs, overlap."""
    key = lambda r: (r.technique, r.setting, r.measure)  # noqa: E731
    b_by_key = {key(r): r for r in rows_b}
    out, seen = [], set()
    for ra in rows_a:
        k = key(ra)
        rb = b_by_key.get(k)
        seen.add(k)
        diff = (ra.value - rb.value) if rb is not None and ra.value is not None and rb.value is not None else None
        out.append({"technique": ra.technique, "setting": ra.setting, "measure": ra.measure,
                    "a": ra.value, "a_ci": ra.ci, "b": rb.value if rb else None, "b_ci": rb.ci if rb else None,
                    "difference": diff, "ci_overlap": overlap(ra.ci, rb.ci) if rb else None,
                    "only_in": None if rb else "A"})
    for rb in rows_b:
        if key(rb) not in seen:
            out.append({"technique": rb.technique, "setting": rb.setting, "measure": rb.measure, "a": None,
                        "a_ci": None, "b": rb.value, "b_ci": rb.ci, "difference": None, "ci_overlap": None,
                        "only_in": "B"})
    return out


def comparison_section(rows: list[dict], name_b: str):
    from ..report import Section, Table
    from ..term import fmt_ci as ci
    from ..term import fmt_num as num

    def verdict(r):
        if r["only_in"]:
            return f"only in run {r['only_in']}"
        if r["ci_overlap"] is None:
            return "no CI"
        return "CIs overlap" if r["ci_overlap"] else "CIs do not overlap"

    return Section(
        title=f"Compared with {name_b}",
        summary="Each scorecard number of this run (A) against the same row of the earlier run (B). Overlapping 95% "
                "intervals mean the runs do not distinguish the two numbers; disjoint ones suggest a real change.",
        tables=[Table(columns=["technique", "setting", "measure", "A", "A 95% CI", "B", "B 95% CI", "A − B",
                               "verdict"],
                      rows=[[r["technique"], r["setting"], r["measure"], num(r["a"]), ci(r["a_ci"]), num(r["b"]),
                             ci(r["b_ci"]), num(r["difference"]), verdict(r)] for r in rows])],
    )
