"""docs/results.md's tables, written from the runs' summaries (committed beside the docs), never typed by hand.

    python scripts/results_tables.py capture RUN_DIR NAME     store RUN_DIR's suite and summaries as docs/results/NAME.json.gz
    python scripts/results_tables.py                         rewrite every generated block of docs/results.md
    python scripts/results_tables.py --check                 exit 1 (and show the first difference) if a block is stale

A generated block sits between two HTML comments (invisible on GitHub):

    <!-- results: scorecard default -->                      the scorecard of the run stored as NAME "default"
    <!-- results: table results w2s-sst2 0 -->               table 0 of experiment w2s-sst2's report sections
    ...generated markdown...
    <!-- /results -->

The tables are the ones the technique's HTML report shows (its `sections(summary)`), rendered as markdown, so the
docs, the report and the scorecard cannot drift apart; tests/test_results_doc.py runs `--check`.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "results.md"
STORE = ROOT / "docs" / "results"
BLOCK = re.compile(r"(<!-- results: (?P<args>[^>]*?) -->\n)(?P<body>.*?)(<!-- /results -->)", re.S)


def capture(run_dir: Path, name: str) -> Path:
    """docs/results/NAME.json.gz: the suite (as stored in the run) and every experiment's summary, computed from the
    run store by the current code."""
    from proctor.runs.executor import _json_default, load_run_suite, summarize_run
    from proctor.runs.store import RunStore

    suite = load_run_suite(run_dir)
    with RunStore(run_dir) as store:
        summaries = json.loads(json.dumps(summarize_run(store, suite), default=_json_default))
    STORE.mkdir(parents=True, exist_ok=True)
    path = STORE / f"{name}.json.gz"
    payload = {"suite": suite.model_dump(mode="json"), "summaries": summaries}
    path.write_bytes(gzip.compress(json.dumps(payload, sort_keys=True).encode(), mtime=0))
    return path


def _load(name: str):
    from proctor.runs.spec import Suite

    data = json.loads(gzip.decompress((STORE / f"{name}.json.gz").read_bytes()))
    return Suite.model_validate(data["suite"]), data["summaries"]


def _num(x: float) -> str:
    """Three significant digits where they matter: 0.171, 24.4, 263."""
    from proctor.term import fmt_num

    return fmt_num(x, 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 3)


def _cell(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return _num(x)
    return str(x).replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: list[str], rows: list[list], caption: str = "") -> str:
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + (f"\n\n{caption}" if caption else "") + "\n"


def scorecard_block(name: str) -> str:
    from proctor.runs.executor import scorecard
    from proctor.term import fmt_num

    suite, summaries = _load(name)
    rows = scorecard(suite, summaries)
    return markdown_table(
        ["technique", "setting", "measure", "value", "95% CI", "CI resamples", "gap closed", "verdict"],
        [[r.technique, r.setting, r.measure, r.value, _ci(r.ci), r.unit,
          None if r.gap_closed is None else fmt_num(r.gap_closed, 2), r.verdict] for r in rows])


def _ci(ci) -> str:
    from proctor.term import fmt_ci

    if not ci or fmt_ci(ci) == "—":
        return "—"
    return f"[{_num(ci[0])}, {_num(ci[1])}]"


def table_block(name: str, experiment: str, index: str) -> str:
    from proctor.runs.technique import get

    suite, summaries = _load(name)
    spec = next((s for s in suite.experiment if s.title == experiment), None)
    if spec is None:
        raise SystemExit(f"{name}: no experiment {experiment!r} (have {[s.title for s in suite.experiment]})")
    tables = [t for sec in get(spec.type).sections(summaries[experiment]) for t in sec.tables]
    t = tables[int(index)]
    return markdown_table(t.columns, t.rows, t.caption)


def render(text: str) -> str:
    def block(m: re.Match) -> str:
        kind, *args = m["args"].split()
        body = {"scorecard": scorecard_block, "table": table_block}[kind](*args)
        return m.group(1) + body + m.group(4)

    return BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    cap = sub.add_parser("capture")
    cap.add_argument("run_dir", type=Path)
    cap.add_argument("name")
    parser.add_argument("--check", action="store_true", help="fail if docs/results.md differs from its data")
    args = parser.parse_args(argv)
    if args.command == "capture":
        print(capture(args.run_dir, args.name))
        return 0
    text = DOC.read_text()
    new = render(text)
    if args.check:
        if new != text:
            diff = difflib.unified_diff(text.splitlines(), new.splitlines(), "docs/results.md", "generated",
                                        lineterm="", n=1)
            print("\n".join(list(diff)[:40]), file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
