"""`proctor runs`: every run and output folder under a root, with its full id, date, data set and headline.

Kinds of output found (each a folder directly under the root; the root itself counts too):
    suite       a run directory (store.sqlite): `proctor run` and every end-to-end verb (w2s, debate, cai run, sae
                run, verify run, monitor eval, ...), each a one-experiment suite; headline = its first scorecard row
    sae         `proctor sae train --out DIR`: sae.safetensors + config.json / cfg.json, train.json
    verifiers   `proctor verify train --out DIR`: prm.safetensors / orm.safetensors, train.jsonl
    cai         `proctor cai critique | sample | prefer | evaluate --out DIR`: chains / pairs / preferences / ratings
    inspect     a folder of inspect logs (*.eval, *.json), e.g. `proctor debate tournament --log-dir DIR`
    export      a TRL JSONL file (`proctor debate --export FILE`, `cai` exports): prompt/chosen/rejected or messages
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

from .store import DamagedStore, RunStore, is_run_dir

__all__ = ["DATA_KEYS", "list_outputs", "print_runs", "suite_data"]

DATA_KEYS = ("dataset", "data", "items", "prompts", "sets", "test")
"""Spec fields that name an experiment's data (a named set, a file, a Hub id)."""

_CAI_FILES = ("chains.jsonl", "preferences.jsonl", "pairs.jsonl", "ratings.jsonl", "sft.jsonl")


def suite_data(suite: dict) -> list[str]:
    """The data sets a suite's experiments read (from their DATA_KEYS fields), in order, without repeats."""
    found: list[str] = []
    for exp in suite.get("experiment", []) if isinstance(suite, dict) else []:
        for key in DATA_KEYS:
            value = exp.get(key) if isinstance(exp, dict) else None
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and v and v not in found:
                    found.append(v)
    return found


def _date(ts: float | str | None) -> str:
    if isinstance(ts, str) and ts:
        try:
            ts = datetime.fromisoformat(ts).timestamp()
        except ValueError:
            return ts[:16]
    if not isinstance(ts, (int, float)):
        return "—"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _mtime(d: Path) -> float:
    times = [p.stat().st_mtime for p in d.iterdir() if p.is_file()] if d.is_dir() else []
    return max(times) if times else d.stat().st_mtime


def _num(x, digits: int = 3) -> str:
    from ..term import fmt_num

    return fmt_num(x, digits)


def _row_headline(r) -> str:
    from ..term import fmt_ci

    if r.value is None or not math.isfinite(r.value):
        return f"{r.measure}: {r.verdict}"
    ci = f" {fmt_ci(r.ci, 2)}" if r.ci else ""
    return f"{r.measure} {_num(r.value, 2)}{ci} ({r.technique}: {r.setting})"


def _suite_row(d: Path) -> dict:
    row = {"id": d.name, "path": str(d), "run_dir": str(d), "kind": "suite",
           "report": "yes" if (d / "report.html").exists() else "no"}
    try:
        with RunStore(d) as st:
            meta = st.meta()
            damaged = st.damaged_units()
            suite = meta.get("suite", {})
            exps = suite.get("experiment", [])
            row["experiments"] = str(len(exps))
            row["units"] = str(len(st.units())) + (f" ({len(damaged)} damaged)" if damaged else "")
    except DamagedStore as e:
        row |= {"experiments": "damaged", "units": str(e).split(";")[0].split(": ", 1)[-1], "date": _date(_mtime(d)),
                "data": "—", "headline": "damaged: " + str(e).split(";")[0].split(": ", 1)[-1]}
        return row
    types = sorted({str(e.get("type")) for e in exps})
    row["kind"] = types[0] if len(exps) == 1 else f"suite ({', '.join(types)})"
    row["date"] = _date(meta.get("created") or _mtime(d))
    row["data"] = ", ".join(suite_data(suite)) or "—"
    row["headline"] = _suite_headline(d, suite)
    return row


def _suite_headline(d: Path, suite: dict) -> str:
    """The first scorecard row with a number, from RUN_DIR/summary.json (written when a run finishes)."""
    if not (d / "summary.json").is_file():
        return "unfinished (no summary yet)"
    try:
        from . import technique as techniques
        from .spec import Suite, validate

        summaries = json.loads((d / "summary.json").read_text())
        s = validate(Suite, suite, str(d / "store.sqlite"))
        rows = [r for spec in s.experiment for r in techniques.get(spec.type).scorecard(summaries[spec.title])]
    except Exception as e:  # an old or foreign summary: say so, list the rest
        return f"— (summary not readable: {type(e).__name__})"
    if not rows:
        return "— (no scorecard rows)"
    best = next((r for r in rows if r.verdict == "measured"), rows[0])
    more = f"; +{len(rows) - 1} more" if len(rows) > 1 else ""
    return _row_headline(best) + more


def _json(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text())
        return obj if isinstance(obj, dict) else {}
    except (OSError, ValueError):
        return {}


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def _sae_row(d: Path) -> dict:
    train = _json(d / "train.json")
    cfg = _json(d / "cfg.json") or _json(d / "config.json")
    model = cfg.get("model") or ""
    site = cfg.get("site") or cfg.get("hook_name") or ""
    data = train.get("source") or " ".join(x for x in (str(model), str(site)) if x) or "—"
    if "fvu" in train:
        head = (f"FVU {_num(train['fvu'])}, L0 {_num(train.get('l0'), 1)}, dead "
                f"{_num(100 * train['dead_fraction'], 1) if 'dead_fraction' in train else '—'}%, "
                f"{train.get('num_latents', '?')} latents")
    else:
        head = f"{cfg.get('num_latents', '?')} latents, k={cfg.get('k', '?')} (no train.json)"
    return {"kind": "sae", "date": _date(_mtime(d)), "data": data, "headline": head}


def _verifiers_row(d: Path) -> dict:
    n = _lines(d / "train.jsonl") if (d / "train.jsonl").is_file() else 0
    models = " + ".join(m.upper() for m in ("prm", "orm") if (d / f"{m}.safetensors").exists())
    return {"kind": "verifiers", "date": _date(_mtime(d)), "data": "train.jsonl" if n else "—",
            "headline": f"{models} trained on {n:,} solutions"}


def _cai_row(d: Path) -> dict:
    counts = [f"{_lines(d / f):,} {f.removesuffix('.jsonl')}" for f in _CAI_FILES if (d / f).is_file()]
    data = "—"
    for f in _CAI_FILES:
        if (d / f).is_file():
            with (d / f).open() as fh:
                first = fh.readline()
            try:
                rec = json.loads(first) if first.strip() else {}
            except ValueError:
                rec = {}
            src = rec.get("source") or rec.get("dataset") or (rec.get("metadata") or {}).get("source")
            if isinstance(src, str):
                data = src
                break
    if data == "—" and (d / "logs").is_dir() and any((d / "logs").glob("*.eval")):
        data = _inspect_row(d / "logs")["data"]  # the prompts' data set, as inspect logged it
    return {"kind": "cai", "date": _date(_mtime(d)), "data": data, "headline": ", ".join(counts)}


def _inspect_row(d: Path) -> dict:
    logs = sorted(p for p in d.iterdir() if p.suffix == ".eval")
    row = {"kind": "inspect", "date": _date(_mtime(d)), "data": "—", "headline": f"{len(logs)} inspect log(s)"}
    try:
        from inspect_ai.log import read_eval_log

        head = read_eval_log(str(logs[-1]), header_only=True)
        row["data"] = str(getattr(head.eval.dataset, "name", None) or "—")
        row["date"] = _date(str(head.eval.created))
        scores = head.results.scores if head.results else []
        metric = next(((s.name, m) for s in scores for m in s.metrics.values()), None)
        if metric:
            row["headline"] = f"{head.eval.task}: {metric[0]} {metric[1].name} {_num(metric[1].value)} ({len(logs)} logs)"
        else:
            row["headline"] = f"{head.eval.task}: {head.status} ({len(logs)} logs)"
    except Exception:  # inspect absent or a log it cannot read: the count is still shown
        pass
    return row


def _export_row(f: Path) -> dict | None:
    try:
        with f.open() as fh:
            first = json.loads(fh.readline() or "{}")
    except (OSError, ValueError):
        return None
    if not isinstance(first, dict):
        return None
    if {"chosen", "rejected"} <= first.keys():
        what = "preference rows"
    elif "messages" in first or "prompt" in first and "completions" in first:
        what = "training rows"
    else:
        return None
    return {"kind": "export", "date": _date(f.stat().st_mtime), "data": "—",
            "headline": f"{_lines(f):,} {what} ({', '.join(list(first)[:5])})"}


def _output_row(p: Path) -> dict | None:
    """The row of one non-suite output (file or folder), or None if it is not one."""
    if p.is_file():
        return _export_row(p) if p.suffix == ".jsonl" else None
    names = {c.name for c in p.iterdir()}
    if "sae.safetensors" in names and names & {"config.json", "cfg.json"}:
        return _sae_row(p)
    if names & {"prm.safetensors", "orm.safetensors"}:
        return _verifiers_row(p)
    if names & set(_CAI_FILES):
        return _cai_row(p)
    if any(n.endswith(".eval") for n in names):
        return _inspect_row(p)
    return None


def list_outputs(root: Path) -> list[dict]:
    """One row per suite run directory and per recognised output under `root` (and `root` itself), oldest first:
    id (the folder's full name), path, kind, date (UTC), data, headline; suite runs also experiments, units,
    report. A damaged store is listed as damaged, with the reason, and the listing goes on."""
    if not root.is_dir():
        return []
    rows = []
    for p in [root, *sorted(root.iterdir())]:
        try:
            if is_run_dir(p):
                rows.append(_suite_row(p))
            elif p != root or not any(is_run_dir(c) for c in root.iterdir()):
                row = _output_row(p)
                if row is not None:
                    rows.append({"id": p.name, "path": str(p), "run_dir": str(p), "experiments": "—", "units": "—",
                                 "report": "—"}
                                | row)
        except OSError:
            continue
    return sorted(rows, key=lambda r: (r.get("date") or "", r["id"]))


def print_runs(root: Path, rows: list[dict], console) -> None:
    """The `proctor runs` table: the full id (never cut), date, kind, data set, headline, units, report."""
    from rich.table import Table

    from ..term import safe

    if not rows:
        console.print(f"no runs under {safe(root, 1000)}")
        return
    table = Table("id", "date (UTC)", "kind", "data", "headline", "units", "report", title=f"runs under {safe(root, 1000)}")
    # the id is the folder name: its hash must show whole, however narrow the terminal
    table.columns[0].no_wrap, table.columns[0].min_width = True, max(len(r["id"]) for r in rows)
    table.columns[1].no_wrap, table.columns[1].min_width = True, 16
    for r in rows:
        table.add_row(safe(r["id"], 1000), r.get("date", "—"), safe(r.get("kind", "—")), safe(r.get("data", "—")),
                      safe(r.get("headline", "—"), 300), safe(r.get("units", "—")), safe(r.get("report", "—")))
    console.print(table)
