"""Compare two runs: every scorecard number of run A against the same row of run B, and whether the CIs overlap.

Rows match on (technique, setting, measure): first exactly, then, for the rows left over, on the setting with its
data set taken out (the data values of either run's experiments and anything that looks like a file path become
"<data>"), so one technique run on two data files is compared row by row; then with numbers inside the setting
taken out too (e.g. an SAE monitor's setting quotes its probe's score). A looser key is used only where it is
unique in both runs. Rows left without a partner are listed as such ("only in A" / "only in B").

Two intervals that overlap do not prove the numbers equal, and two that do not overlap are a (conservative) sign of
a real difference at roughly the 95% level: that is all this says.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .store import RunStore


def run_scorecard(run_dir: Path) -> list:
    from .executor import load_run_suite, scorecard, summarize_run

    suite = load_run_suite(run_dir)
    with RunStore(run_dir) as store:
        return scorecard(suite, summarize_run(store, suite))


def run_data(run_dir: Path) -> list[str]:
    """The data sets a run's experiments read (see proctor.runs.listing.suite_data)."""
    from .executor import load_run_suite
    from .listing import suite_data

    return suite_data(load_run_suite(run_dir).model_dump(mode="json"))


def overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool | None:
    """Whether two closed intervals overlap; None when either is missing."""
    if a is None or b is None:
        return None
    return a[0] <= b[1] and b[0] <= a[1]


# a file path: absolute, ./ or ~/ relative, or ending in a data file's extension (a model id like org/name is not one)
_PATH = re.compile(r"(?<![^\s(])(?:(?:[A-Za-z]:[\\/]|\.{0,2}/|~/)[^\s,;:()]+|[^\s,;:()]+\.(?:jsonl|json|csv|tsv|parquet|gz|txt|arrow)\b)")
_NUMBER = re.compile(r"[-+]?\d+\.\d+|[-+]?\.\d+")


def setting_without_data(setting: str, data: Iterable[str] = ()) -> str:
    """`setting` with each data value in `data` (longest first) and every path-like token replaced by "<data>"."""
    out = setting
    for d in sorted({x for x in data if x}, key=len, reverse=True):
        out = re.sub(rf"(?<![\w.-]){re.escape(d)}(?![\w-])", "<data>", out)  # whole names only
    return _PATH.sub("<data>", out)


def compare_rows(rows_a: list, rows_b: list, data: Iterable[str] = ()) -> list[dict]:
    """One dict per row of A (and per row only in B): values, difference A - B, CIs, overlap, and `matched_on`
    ("setting", "setting without data", "setting without data and numbers") or `only_in` ("A" / "B"). `data`: the
    data set values of both runs (see `run_data`); paths are recognised without it."""
    data = list(data)
    keys = [lambda r: (r.technique, r.setting, r.measure),
            lambda r: (r.technique, setting_without_data(r.setting, data), r.measure),
            lambda r: (r.technique, _NUMBER.sub("#", setting_without_data(r.setting, data)), r.measure)]
    names = ["setting", "setting without data", "setting without data and numbers"]
    partner: dict[int, tuple[int, str]] = {}  # index in A -> (index in B, how)
    for key, how in zip(keys, names):
        free_a = [i for i in range(len(rows_a)) if i not in partner]
        taken_b = {j for j, _ in partner.values()}
        free_b = [j for j in range(len(rows_b)) if j not in taken_b]
        count_a = Counter(key(rows_a[i]) for i in free_a)
        by_b: dict = {}
        for j in free_b:
            by_b.setdefault(key(rows_b[j]), []).append(j)
        for i in free_a:
            k = key(rows_a[i])
            if len(by_b.get(k, [])) == 1 and (how == "setting" or count_a[k] == 1):
                partner[i] = (by_b.pop(k)[0], how)
    out = []
    for i, ra in enumerate(rows_a):
        j, how = partner.get(i, (None, None))
        rb = rows_b[j] if j is not None else None
        diff = (ra.value - rb.value) if rb is not None and ra.value is not None and rb.value is not None else None
        out.append({"technique": ra.technique, "setting": ra.setting, "measure": ra.measure,
                    "setting_b": rb.setting if rb is not None else None,
                    "a": ra.value, "a_ci": ra.ci, "b": rb.value if rb else None, "b_ci": rb.ci if rb else None,
                    "difference": diff, "ci_overlap": overlap(ra.ci, rb.ci) if rb else None,
                    "matched_on": how, "only_in": None if rb else "A"})
    matched_b = {j for j, _ in partner.values()}
    for j, rb in enumerate(rows_b):
        if j not in matched_b:
            out.append({"technique": rb.technique, "setting": rb.setting, "measure": rb.measure, "setting_b": rb.setting,
                        "a": None, "a_ci": None, "b": rb.value, "b_ci": rb.ci, "difference": None, "ci_overlap": None,
                        "matched_on": None, "only_in": "B"})
    return out


def compare_runs(run_a: Path, run_b: Path, rows_a: list | None = None) -> list[dict]:
    """compare_rows over two run directories (A's rows may be given, already computed)."""
    return compare_rows(run_scorecard(run_a) if rows_a is None else rows_a, run_scorecard(run_b),
                        data=run_data(run_a) + run_data(run_b))


def unpartnered(rows: list[dict]) -> str:
    """"N rows matched; no partner: ..." in one sentence."""
    alone = [r for r in rows if r["only_in"]]
    matched = len(rows) - len(alone)
    if not alone:
        return f"{matched} row(s) matched; every row has a partner."
    names = "; ".join(f"{r['technique']} / {r['setting']} / {r['measure']} (only in {r['only_in']})" for r in alone)
    return f"{matched} row(s) matched; {len(alone)} without a partner: {names}."


def _setting(r: dict) -> str:
    if r["setting_b"] and r["setting_b"] != r["setting"] and not r["only_in"]:
        return f"{r['setting']}  (B: {r['setting_b']})"
    return r["setting"]


def print_comparison(rows: list[dict], console) -> None:
    """The terminal table of `proctor report A --against B`, then which rows had no partner."""
    from rich.table import Table

    from ..term import fmt_num, safe

    table = Table("technique", "setting", "measure", "A", "B", "A - B", "CIs overlap")
    for r in rows:
        ov = {True: "yes", False: "[bold]no[/]", None: "—"}[r["ci_overlap"]]
        if r["only_in"]:
            ov = f"no partner (only in {r['only_in']})"
        table.add_row(safe(r["technique"]), safe(_setting(r), 400), safe(r["measure"]), fmt_num(r["a"]),
                      fmt_num(r["b"]), fmt_num(r["difference"]), ov)
    console.print(table)
    console.print(safe(unpartnered(rows), 4000))


def comparison_section(rows: list[dict], name_b: str):
    from ..report import Section, Table
    from ..term import fmt_ci as ci
    from ..term import fmt_num as num

    def verdict(r):
        if r["only_in"]:
            return f"no partner: only in run {r['only_in']}"
        if r["ci_overlap"] is None:
            return "no CI"
        return "CIs overlap" if r["ci_overlap"] else "CIs do not overlap"

    return Section(
        title=f"Compared with {name_b}",
        summary="Each scorecard number of this run (A) against the same row of the earlier run (B), matched by "
                "technique, setting and measure (the setting's data set left out where that is what differs). "
                "Overlapping 95% intervals mean the runs do not distinguish the two numbers; disjoint ones suggest a "
                "real change.\n\n" + unpartnered(rows),
        tables=[Table(columns=["technique", "setting", "measure", "A", "A 95% CI", "B", "B 95% CI", "A − B",
                               "verdict"],
                      rows=[[r["technique"], _setting(r), r["measure"], num(r["a"]), ci(r["a_ci"]), num(r["b"]),
                             ci(r["b_ci"]), num(r["difference"]), verdict(r)] for r in rows])],
    )
