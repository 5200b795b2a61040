"""docs/results.md's tables, written from the runs' summaries (committed beside the docs), never typed by hand.

    python scripts/results_tables.py capture RUN_DIR NAME     store RUN_DIR's suite and summaries as docs/results/NAME.json.gz
    python scripts/results_tables.py record NAME FILE --command CMD
                                                             store the JSON a command wrote (FILE: a JSON file, or its
                                                             stdout whose last line is the `--json` object) as NAME
    python scripts/results_tables.py                         rewrite every generated block of docs/results.md
    python scripts/results_tables.py --check                 exit 1 (and show the first difference) if a block is stale

A generated block sits between two HTML comments (invisible on GitHub):

    <!-- results: scorecard default -->                      the scorecard of the run stored as NAME "default"
    <!-- results: table results w2s-sst2 0 -->               table 0 of experiment w2s-sst2's report sections
    <!-- results: record chinchilla chinchilla -->           a stored command output through a view (RECORD_VIEWS)
    <!-- results: bench chinchilla_fit -->                   the table(s) of a benchmark's block in docs/benchmarks.md
    ...generated markdown...
    <!-- /results -->

Other kinds: `pivot NAME EXP INDEX ROWS COL VAL`, `concat NAME EXP:INDEX,...` (rows of tables with the same columns),
`pixels NAMES`, `pixel-lift NAMES [TOL]`, `verifiers-setup NAME`, `lightman NAME:EXP:N,...`, `provenance` (the
stored files and their commands); each is the function `<kind>_block` below.

The tables are the ones the technique's HTML report shows (its `sections(summary)`), rendered as markdown, so the
docs, the report and the scorecard cannot drift apart; tests/test_results_doc.py runs `--check`.
"""

from __future__ import annotations

import argparse
import difflib
import functools
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


def record(name: str, file: Path, command: str, key: str | None = None) -> Path:
    """docs/results/NAME.json.gz: the JSON object a command wrote, with the command that wrote it. FILE is a JSON file,
    or a command's stdout whose last line is its `--json` object; KEY keeps one field of it (a large file's summary)."""
    text = file.read_text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise SystemExit(f"{file}: empty") from None
        try:
            data = json.loads(lines[-1])
        except json.JSONDecodeError as e:
            raise SystemExit(f"{file}: neither JSON nor output whose last line is a JSON object ({e})") from None
    if key is not None:
        data = data[key]
    STORE.mkdir(parents=True, exist_ok=True)
    path = STORE / f"{name}.json.gz"
    payload = {"command": command, "record": data}
    path.write_bytes(gzip.compress(json.dumps(payload, sort_keys=True).encode(), mtime=0))
    return path


def _record(name: str) -> dict:
    data = json.loads(gzip.decompress((STORE / f"{name}.json.gz").read_bytes()))
    if "record" not in data:
        raise SystemExit(f"{name}: a stored run, not a record (use scorecard/table blocks)")
    return data["record"]


def _load(name: str):
    from proctor.runs.spec import Suite

    data = json.loads(gzip.decompress((STORE / f"{name}.json.gz").read_bytes()))
    return Suite.model_validate(data["suite"]), data["summaries"]


def _num(x: float) -> str:
    """A number as a reader wants it: integers without decimals (257, 2,000), others with one decimal from 10 up
    (257.5, 24.4), two from 1 (8.38), three below 1 (0.171) and two significant digits below 0.01 (0.0013), without
    trailing zeros (3.6, 0.8)."""
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 10000 else str(int(x))
    if abs(x) >= 10:
        return f"{x:.1f}"
    if 0 < abs(x) < 0.01:  # 0.00013, not 0
        return f"{x:.2g}"
    return (f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}").rstrip("0").rstrip(".") or "0"


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


def _report_table(name: str, experiment: str, index: str):
    return _report_tables(STORE, name, experiment)[int(index)]


@functools.lru_cache(maxsize=None)
def _report_tables(store: Path, name: str, experiment: str) -> list:
    """Every table of an experiment's report sections, in order (computed once per process: the sections also draw
    the report's figures)."""
    from proctor.runs.technique import get

    suite, summaries = _load(name)
    spec = next((s for s in suite.experiment if s.title == experiment), None)
    if spec is None:
        raise SystemExit(f"{name}: no experiment {experiment!r} (have {[s.title for s in suite.experiment]})")
    return [t for sec in get(spec.type).sections(summaries[experiment]) for t in sec.tables]


def table_block(name: str, experiment: str, index: str) -> str:
    t = _report_table(name, experiment, index)
    return markdown_table(t.columns, t.rows, t.caption)


def concat_block(name: str, parts: str) -> str:
    """The rows of several report tables with the same columns, one after the other: PARTS is
    EXPERIMENT:INDEX,EXPERIMENT:INDEX,...; the first table's caption."""
    tables = [_report_table(name, *part.rsplit(":", 1)) for part in parts.split(",")]
    if any(t.columns != tables[0].columns for t in tables):
        raise SystemExit(f"concat {parts}: the tables have different columns")
    return markdown_table(tables[0].columns, [r for t in tables for r in t.rows], tables[0].caption)


def pivot_block(name: str, experiment: str, index: str, rows: str, col: str, val: str) -> str:
    """Table INDEX of an experiment's report, pivoted: one row per distinct value of the columns numbered ROWS
    (comma-separated), one column per distinct value of column COL, cells from column VAL (blank where absent)."""
    t = _report_table(name, experiment, index)
    keys, cols, cells = [], [], {}
    rs, c, v = [int(i) for i in rows.split(",")], int(col), int(val)
    for row in t.rows:
        k = tuple(row[i] for i in rs)
        if k not in keys:
            keys.append(k)
        if row[c] not in cols:
            cols.append(row[c])
        cells[k, row[c]] = row[v]
    return markdown_table([t.columns[i] for i in rs] + cols,
                          [list(k) + [cells.get((k, x), "") for x in cols] for k in keys],
                          f"Cells: {t.columns[v]}. {t.caption}".strip())


def _pixel_settings(names: str):
    """(debaters label, images, setting) for every setting of every pixel-debate experiment of the named runs."""
    for name in names.split(","):
        suite, summaries = _load(name)
        for spec in suite.experiment:
            summary = summaries[spec.title]
            for s in summary.get("settings", []):
                yield summary.get("agent_label", spec.agent), s.get("images", summary.get("images")), s


def verifiers_setup_block(name: str) -> str:
    """Per verifiers experiment of run NAME: its policy, best-of-1 accuracy (every seed), and the kinds of seed 0's
    candidates."""
    suite, summaries = _load(name)
    rows = []
    for spec in suite.experiment:
        s = summaries[spec.title]
        pol, pool = s["info"]["policy"], s["pool"]
        total = sum(pool["kinds"].values())
        rows.append([spec.title, f"{pol['step_error']:.2f}, {pol['compensate']:.1f}, {pol['final_slip']:.2f}",
                     f"{100 * next(r['value'] for r in s['curves']['orm'] if r['n'] == 1):.1f}%",
                     " / ".join(f"{100 * pool['kinds'].get(k, 0) / total:.1f}"
                                for k in ("correct", "error", "hack", "wrong_final")) + " %"])
    return markdown_table(["setting", "policy (step_error, compensate, final_slip)", "answer right at N=1",
                           "candidates: correct / error / hack / wrong final"], rows,
                          "Answer right at N=1: best-of-1 accuracy, every seed's problems pooled; candidate kinds: "
                          "seed 0's pool of each experiment.")


def lightman_block(columns: str) -> str:
    """Best-of-N accuracy of PRM, ORM and majority vote beside Lightman et al.'s best-of-1860 on MATH. COLUMNS:
    NAME:EXPERIMENT:N,... (a stored run, its verifiers experiment, the N shown)."""
    from proctor.term import fmt_ci
    from proctor.verifiers.report import LIGHTMAN

    cols, values, lifts = [], [], []
    for col in columns.split(","):
        name, exp, n = col.split(":")
        s = _load(name)[1][exp]
        at = {m: next(r["value"] for r in c if r["n"] == int(n)) for m, c in s["curves"].items()}
        label = f"{'GSM8K' if s['data'] == 'gsm8k' else 'chains'}, N={n}"
        cols.append(f"here: {label}")
        values.append({"prm": 100 * at[s["headline"]], "orm": 100 * at["orm"], "majority": 100 * at["majority"]})
        if int(n) == s["largest_n"]:
            lifts.append(f"{label}: {100 * s['lift']['value']:+.1f} {fmt_ci(s['lift'], 1, scale=100)}")
    names = {"prm": "PRM", "orm": "ORM", "majority": "majority vote"}
    rows = [[names[k], LIGHTMAN[k]] + [f"{v[k]:.1f}" for v in values] for k in names]
    order = lambda v: " > ".join(names[k] for k in sorted(v, key=v.get, reverse=True))  # noqa: E731
    rows.append(["ordering", order(LIGHTMAN)] + [order(v) for v in values])
    return markdown_table(["", "Lightman (MATH, N=1860)"] + cols, rows,
                          "PRM: the product aggregation; ordering by point estimate. PRM - ORM, paired over problems "
                          "(points, 95% CI), where the run has it: " + "; ".join(lifts) + ".")


def _pct_ci(x, ci) -> str:
    from proctor.term import fmt_ci

    return "—" if x is None else f"{100 * x:.1f} {fmt_ci(ci, 1, scale=100)}"


def pixels_block(names: str) -> str:
    """Pixel debate beside the paper's Table 2, one row per setting of the named runs (comma-separated), every
    accuracy with its 95% CI (bootstrap over images)."""
    from proctor.debate.pixels.summary import paper_lift

    rows = []
    for agent, images, s in _pixel_settings(names):
        p = s.get("paper") or {}
        rows.append([agent, s["pixels"], "yes" if s["precommit"] else "no", images,
                     _pct_ci(s["judge_accuracy"], s.get("judge_accuracy_ci")), p.get("judge"),
                     _pct_ci(s.get("honest_first"), s.get("honest_first_ci")), p.get("honest_first"),
                     _pct_ci(s.get("liar_first"), s.get("liar_first_ci")), p.get("liar_first"),
                     _pct_ci(s.get("debate_accuracy"), s.get("debate_accuracy_ci")), p.get("mean"),
                     _pct_ci(s.get("lift"), s.get("lift_ci")), paper_lift(s["pixels"], s["precommit"])])
    return markdown_table(["debaters", "k", "precommit", "images", "judge alone %", "paper", "honest first %",
                           "paper", "liar first %", "paper", "mean %", "paper", "lift, pts", "paper lift"], rows,
                          "95% CIs: percentile bootstrap over the held-out images (resampling unit: the image; the "
                          "lift is paired: debate and judge alone on the same images).")


def pixel_lift_block(names: str, tolerance: str = "4") -> str:
    """The precommit rows' lift against the paper's, and whether each is within TOLERANCE points."""
    from proctor.debate.pixels.summary import paper_lift

    rows = []
    for agent, images, s in _pixel_settings(names):
        paper = paper_lift(s["pixels"], s["precommit"])
        if not s["precommit"] or paper is None or s.get("lift") is None:
            continue
        diff = 100 * s["lift"] - paper
        rows.append([f"{agent}, {s['pixels']} px, {images} images", _pct_ci(s["lift"], s.get("lift_ci")), paper,
                     f"{diff:+.1f}", "yes" if abs(diff) <= float(tolerance) else "no"])
    return markdown_table(["precommit setting", "our lift, pts [95% CI]", "paper's lift", "difference",
                           f"within {tolerance} pts"], rows,
                          "Lift: debate accuracy minus the judge alone on the same images; 95% CI from a paired "
                          "bootstrap over images (resampling unit: the image).")


# -- records: stored command outputs, through a view ------------------------------------------------------------------
def _sig(x, digits: int = 4) -> str:
    """x to `digits` significant digits, with thousands separators from 10,000 up (25,422; 0.3105; 1.669)."""
    if x is None:
        return "—"
    if abs(x) >= 10000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2g}"


def _params(rec: dict, truth: dict, unit: str) -> list[list]:
    names = {"Q_inf": "Q_inf", "N_star": "N*", "S_star": "S*", "P_star": "P*"}
    cap = (f"95% percentile bootstrap CI, {rec['n_boot']:,} replicates (resampling unit: {unit}); true: the "
           f"parameters the {rec['n_points']} runs were generated from.")
    rows = [[names.get(k, k), _sig(v), _sig(rec[k]), f"[{_sig(rec['ci'][k][0])}, {_sig(rec['ci'][k][1])}]"]
            for k, v in truth.items()]
    return [markdown_table(["parameter", "true", "fitted", "95% CI"], rows, cap)]


def _chinchilla(rec: dict) -> list[str]:
    from proctor.scaling.synthetic import HOFFMANN

    return _params(rec, _dataclass_values(HOFFMANN), "the run")


def _dataclass_values(obj) -> dict:
    import dataclasses

    return dataclasses.asdict(obj)


def _posttrain(rec: dict) -> list[str]:
    from proctor.scaling.synthetic import POSTTRAIN_EXAMPLE

    return _params(rec, _dataclass_values(POSTTRAIN_EXAMPLE), "the run")


def _joint(rec: dict) -> list[str]:
    from proctor.scaling.synthetic import JOINT_EXAMPLE

    table = _params(rec, _dataclass_values(JOINT_EXAMPLE), "the run")[0]
    i = rec["interaction"]
    return [table.rstrip("\n") + f" Interaction test: F = {i['f']:.2f}, p = {i['p']:.2f}, verdict {i['verdict']}.\n"]


def _plan(rec: dict) -> list[str]:
    ci = rec["ci"]

    def row(label, key, fmt):
        lo, hi = ci[key]
        return [label, fmt(rec[key]), f"[{fmt(lo)}, {fmt(hi)}]"]

    n = lambda x: f"{x:,.0f}"  # noqa: E731
    rows = [row("SFT examples", "n_sft", n), row("preference pairs", "n_pref", n),
            row("share of the budget on SFT", "share_sft", lambda x: f"{100 * x:.1f}%"),
            row("predicted Q", "quality", lambda x: f"{x:.4f}"),
            row("dQ per SFT example", "marginal_sft", lambda x: f"{x:.2g}"),
            row("dQ per preference pair", "marginal_pref", lambda x: f"{x:.2g}"),
            row("gain over an even split", "gain_over_even", lambda x: f"{x:+.5f}")]
    return [markdown_table(["budget {:,.0f}, SFT example {:g}x a pair".format(rec["budget"], rec["cost_sft"] /
                                                                               rec["cost_pref"]), "plan", "95% CI"],
                           rows, f"CI: the plan re-optimised under each of the fit's {rec['n_boot']} bootstrap fits (resampling "
                           "unit of those fits: the run).")]


def _code_families(rec: dict) -> list[str]:
    from proctor.monitor.code.evaluate import tables

    return [markdown_table(t.columns, t.rows, t.caption) for t in tables(rec)]


def _code_drift(rec: dict) -> list[str]:
    from proctor.monitor.report import code_drift_section

    return [markdown_table(t.columns, t.rows, t.caption) for t in code_drift_section(rec).tables]


def _tax_interpolate(rec: dict) -> list[str]:
    pts = rec["points"]
    n = len(pts) - 1
    head = ["lam"] + [f"{p['lam']:g}" + (" (base)" if i == 0 else " (tuned)" if i == n else "")
                      for i, p in enumerate(pts)]
    rows = [[f"capability: {rec['capability']}"] + [f"{p['capability']:.3f}" for p in pts],
            [f"alignment: {rec['alignment']}"] + [f"{p['alignment']:.3f}" for p in pts]]
    return [markdown_table(head, rows, f"Weights (1 - lam) {rec['base']} + lam {rec['tuned']}. Pareto frontier: lam = "
                                       f"{', '.join(f'{x:g}' for x in sorted(rec['frontier_lams']))}; its bend "
                                       f"{rec['area']:.2f} [{rec['ci'][0]:.2f}, {rec['ci'][1]:.2f}], verdict "
                                       f"{rec['verdict']} (95% CI: parametric bootstrap, binomial noise on each "
                                       "score from the evaluation examples behind it).")]


def _tax_formats(rec: dict) -> list[str]:
    """`proctor tax formats --json`, through the tax_formats report section (the suite experiment's tables)."""
    from proctor.tax.report import sections

    summary = {"title": "tax formats", "results": rec["results"], "base": rec["base"], "aligned": rec["aligned"],
               "deployment": rec["deployment"], "formats": rec["formats"], "scripted": rec["scripted"],
               "threshold": rec["config"]["artifact_share"], "paraphrase": rec.get("paraphrase")}
    return [markdown_table(t.columns, t.rows, t.caption) for sec in sections(summary) for t in sec.tables]


def _alpacaeval_lc(rec: dict) -> list[str]:
    """`proctor monitor lc --json` beside the anchors (ANCHORS.md: 0.73 raw, 0.57 length-controlled)."""
    n, m = rec["models"], rec["models_with_weights"]
    rows = [[f"Spearman(average length, raw win rate), {n} models",
             f"**{rec['spearman_length_raw']:.3f}** (p = {rec['p_length_raw']:.0e})", "0.73"],
            [f"Spearman(average length, LC win rate), {n} models",
             f"**{rec['spearman_length_lc']:.3f}** (p = {rec['p_length_lc']:.0e})", "0.57"],
            [f"same two, on the {m} models that have GLM weights",
             f"{rec['spearman_length_raw_matched']:.3f} / {rec['spearman_length_lc_matched']:.3f}", ""],
            [f"LC win rate recomputed from the GLM weights ({m} models): RMSE vs published",
             f"{rec['lc_reconstruction_rmse']:.2f} points (max {rec['lc_reconstruction_max_abs']:.1f})", ""],
            ["Spearman(recomputed LC, published LC)", f"{rec['spearman_recon_vs_lc']:.4f}", ""],
            ["Spearman(average length, recomputed LC)", f"{rec['spearman_length_recon']:.3f}", ""],
            ["length coefficient phi < 0 (judge favours the longer output)",
             f"{round(rec['share_phi_negative'] * m)} of {m} models, median {rec['median_phi']:.2f}", ""]]
    return [markdown_table(["quantity", "here", "ANCHORS / published"], rows)]


def _nested_oversight(rec: dict) -> list[str]:
    """`proctor rrm paper --json`: Engels et al.'s four games at the given Elo gap."""
    rows = [[g["game"], f"{g['guard_slope']:.3f}", f"{g['houdini_slope']:.3f}", g["best_steps"],
             f"{100 * g['success']:.1f}%", f"{100 * g['paper_success']:.1f}%"] for g in rec["games"]]
    return [markdown_table(["game", "Guard slope", "Houdini slope", "Proctor n*",
                            f"Proctor P_win (gap {rec['gap']:g})", "paper reports (v2 abstract)"], rows)]


RECORD_VIEWS = {"chinchilla": _chinchilla, "posttrain": _posttrain, "joint": _joint, "plan": _plan,
                "code-families": _code_families, "code-drift": _code_drift,
                "tax-interpolate": _tax_interpolate, "tax-formats": _tax_formats,
                "alpacaeval-lc": _alpacaeval_lc, "nested-oversight": _nested_oversight}
"""How a record is shown: view name -> function(record) -> markdown tables."""


def record_block(name: str, view: str, index: str = "0") -> str:
    if view not in RECORD_VIEWS:
        raise SystemExit(f"no record view {view!r} (have {sorted(RECORD_VIEWS)})")
    return RECORD_VIEWS[view](_record(name))[int(index)]


def bench_block(name: str) -> str:
    """The tables and text of benchmark NAME's block in docs/benchmarks.md (as the benchmark wrote it), without its
    heading."""
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    m = re.search(rf"<!-- {re.escape(name)}:begin -->\n(.*?)<!-- {re.escape(name)}:end -->", text, re.S)
    if m is None:
        raise SystemExit(f"docs/benchmarks.md has no block {name!r}")
    lines = m.group(1).splitlines()
    if lines and lines[0].startswith("## "):
        lines = lines[1:]
    return "\n".join(lines).strip("\n") + "\n"


def provenance_block() -> str:
    """Every stored file of docs/results/: a run (its suite's name and experiments) or a record (its command)."""
    rows = []
    for path in sorted(STORE.glob("*.json.gz")):
        data = json.loads(gzip.decompress(path.read_bytes()))
        name = path.name.removesuffix(".json.gz")
        if "record" in data:
            rows.append([f"`{name}`", "command output", f"`{data['command']}`"])
        else:
            exps = [e.get("name") or e["type"] for e in data["suite"]["experiment"]]
            rows.append([f"`{name}`", f"run of suite `{data['suite'].get('name')}`",
                         f"{len(exps)} experiment(s): " + ", ".join(exps)])
    return markdown_table(["stored as docs/results/NAME.json.gz", "what", "command / experiments"], rows)


def render(text: str) -> str:
    def block(m: re.Match) -> str:
        kind, *args = m["args"].split()
        body = {"scorecard": scorecard_block, "table": table_block, "pixels": pixels_block,
                "pixel-lift": pixel_lift_block, "pivot": pivot_block, "record": record_block,
                "bench": bench_block, "concat": concat_block, "verifiers-setup": verifiers_setup_block,
                "lightman": lightman_block, "provenance": provenance_block}[kind](*args)
        return m.group(1) + body + m.group(4)

    return BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    cap = sub.add_parser("capture")
    cap.add_argument("run_dir", type=Path)
    cap.add_argument("name")
    rec = sub.add_parser("record")
    rec.add_argument("name")
    rec.add_argument("file", type=Path)
    rec.add_argument("--command", dest="command_line", required=True, help="the command that wrote FILE")
    rec.add_argument("--key", help="keep only this field of the JSON object")
    parser.add_argument("--check", action="store_true", help="fail if docs/results.md differs from its data")
    args = parser.parse_args(argv)
    if args.command == "capture":
        print(capture(args.run_dir, args.name))
        return 0
    if args.command == "record":
        print(record(args.name, args.file, args.command_line, args.key))
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
