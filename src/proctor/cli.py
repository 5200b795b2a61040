"""The `proctor` command line: thin over the library.

    proctor run [SUITE.toml]        run a suite (default: the built-in one) and write its report
    proctor report RUN_DIR          (re)write RUN_DIR/report.html from the run store
    proctor runs [ROOT]             list run directories and how far each got
    proctor w2s --dataset sst2 ...  weak-to-strong generalization on one data set

A user mistake (a bad spec, a missing column) prints one line and exits with status 2; no traceback.
With `--json`, the last line of stdout is one JSON object with the summary numbers.
"""

from __future__ import annotations

import dataclasses
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from .guard import guard
from .jsonout import emit_json as _emit_json

# Proctor draws its own progress bars; the per-load "Loading weights" bars of transformers are noise here.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Proctor: can a weaker overseer supervise a stronger model?")
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)






_guard = guard


def _default_suite_path(name: str = "default") -> Path:
    return Path(str(resources.files("proctor") / "suites" / f"{name}.toml"))


@app.command()
@_guard
def run(
    suite: Annotated[Optional[Path], typer.Argument(help="Suite TOML; default: the built-in suite.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the suite).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="The built-in quick suite (a first look in minutes).")] = False,
    executor: Annotated[str, typer.Option(help="inline (this process), local (a process pool) or ray.")] = "inline",
    workers: Annotated[int, typer.Option(min=1, help="Processes of the local executor.")] = 2,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start a local instance).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")] = False,
):
    """Run a suite of experiments (resumable) and write its HTML report, which opens with the oversight scorecard."""
    from .errors import ConfigError
    from .runs.executor import default_run_dir, headlines, run_suite, scorecard
    from .runs.fanout import make_executor
    from .runs.spec import load_suite

    if quick and suite is not None:
        raise ConfigError("--quick picks the built-in quick suite; give either --quick or a SUITE file")
    s = load_suite(suite or _default_suite_path("quick" if quick else "default"))
    run_dir = out_dir or default_run_dir(s)
    ex = make_executor(executor, workers=workers, address=address)
    try:
        summaries = run_suite(s, run_dir, err, executor=ex)
    finally:
        ex.close()
    report = run_dir / "report.html"
    out.print(f"report: {escape(str(report))}")
    if as_json:
        _emit_json({"run_dir": str(run_dir), "report": str(report),
                    "scorecard": [dataclasses.asdict(r) for r in scorecard(s, summaries)],
                    "experiments": headlines(s, summaries)})


@app.command()
@_guard
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    against: Annotated[Optional[Path], typer.Option(help="An earlier run directory to compare with.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last (the comparison rows).")] = False,
):
    """Write RUN_DIR/report.html from the run store (works on unfinished runs too); --against compares two runs."""
    from .runs.executor import write_report

    path = write_report(run_dir, against=against)
    rows = []
    if against is not None:
        from rich.table import Table

        from .runs.compare import compare_rows, run_scorecard

        rows = compare_rows(run_scorecard(run_dir), run_scorecard(against))
        table = Table("technique", "setting", "measure", "A", "B", "A - B", "CIs overlap")
        f = lambda x: "—" if x is None or x != x else f"{x:.3f}"  # noqa: E731
        for r in rows:
            ov = {True: "yes", False: "[bold]no[/]", None: "—"}[r["ci_overlap"]]
            table.add_row(escape(r["technique"]), escape(r["setting"]), escape(r["measure"]), f(r["a"]), f(r["b"]),
                          f(r["difference"]), ov)
        out.print(table)
    out.print(f"report: {escape(str(path))}")
    if as_json:
        _emit_json({"report": str(path), "against": str(against) if against else None, "rows": rows})


@app.command()
@_guard
def runs(root: Annotated[Optional[Path], typer.Argument(help="Folder of run directories.")] = None):
    """List run directories under ROOT (default: $PROCTOR_RUNS or ./proctor-runs)."""
    from rich.table import Table

    from .runs.executor import runs_root
    from .runs.store import RunStore, is_run_dir

    root = root or runs_root()
    dirs = sorted(p for p in root.iterdir() if is_run_dir(p)) if root.is_dir() else []
    if not dirs:
        out.print(f"no runs under {escape(str(root))}")
        return
    table = Table("run directory", "experiments", "finished units", "report")
    for d in dirs:
        with RunStore(d) as st:
            n_exp = len(st.meta().get("suite", {}).get("experiment", []))
            n_units = len(st.units())
        table.add_row(escape(str(d)), str(n_exp), str(n_units), "yes" if (d / "report.html").exists() else "no")
    out.print(table)


@app.command()
@_guard
def w2s(
    dataset: Annotated[Optional[str], typer.Option(help="sst2, boolq, anthropic_hh, a local file/folder, or a Hub id.")] = None,
    weak: Annotated[Optional[list[str]], typer.Option(help="Weak model KIND[:MODEL][@LAYERS]; repeatable. Default: tfidf.")] = None,
    strong: Annotated[str, typer.Option(help="Strong model (student and ceiling).")] = "finetune:minilm",
    loss: Annotated[Optional[list[str]], typer.Option(help="xent or aux; repeatable. Default: xent and aux.")] = None,
    chain: Annotated[Optional[list[str]], typer.Option(help="Intermediate model of a bootstrapping chain; repeatable.")] = None,
    seeds: Annotated[int, typer.Option(min=1)] = 3,
    max_train: Annotated[Optional[int], typer.Option(help="Cap on training examples.")] = None,
    max_test: Annotated[Optional[int], typer.Option(help="Cap on test examples.")] = None,
    spec: Annotated[Optional[Path], typer.Option(help="A TOML spec instead of the options above.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the spec).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")] = False,
):
    """Weak-to-strong generalization: weak supervisor, strong student on its labels, strong ceiling; PGR with CIs."""
    from .errors import ConfigError
    from .runs.executor import default_run_dir, run_suite
    from .runs.spec import Suite, W2SSpec, load_w2s_spec, validate
    from .w2s.summary import headline

    if spec is not None:
        w = load_w2s_spec(spec)
    else:
        if not dataset:
            raise ConfigError("--dataset is required (or give --spec FILE.toml)")
        fields = {"dataset": dataset, "weak": weak or ["tfidf"], "strong": strong, "loss": loss or ["xent", "aux"],
                  "chain": chain or [], "seeds": seeds, "max_train": max_train, "max_test": max_test}
        w = validate(W2SSpec, {k: v for k, v in fields.items() if v is not None}, "command line")
    suite = Suite(name=w.title, experiment=[w])
    run_dir = out_dir or default_run_dir(suite)
    summaries = run_suite(suite, run_dir, err)
    h = headline(summaries[w.title])
    for r in h["results"]:
        verdict = "" if r["resolved"] else "  (gap inside noise: no result)"
        pgr = "undefined" if r["pgr"] != r["pgr"] else f"{r['pgr']:.2f}"
        out.print(f"{escape(r['weak_model'])} / {r['loss']}: weak {100 * r['weak']:.1f}%  student "
                  f"{100 * r['student']:.1f}%  ceiling {100 * r['ceiling']:.1f}%  PGR {pgr}{verdict}")
    out.print(f"report: {escape(str(run_dir / 'report.html'))}")
    if as_json:
        _emit_json(h | {"run_dir": str(run_dir), "report": str(run_dir / "report.html")})


from .monitor.cli import monitor_app  # noqa: E402
from .scaling.cli import fit_app, plan  # noqa: E402
from .tax.cli import tax_app  # noqa: E402


def _guarded_copy(sub_app: typer.Typer, help: str | None = None) -> typer.Typer:
    """A copy of a technique's typer app whose every command (and group callback) body is wrapped in `_guard`."""
    cb = sub_app.registered_callback
    invoke_alone = bool(cb and cb.invoke_without_command)
    sub = typer.Typer(add_completion=False, no_args_is_help=not invoke_alone, help=help or sub_app.info.help)
    if cb is not None and cb.callback is not None:
        sub.callback(invoke_without_command=invoke_alone, help=help or sub_app.info.help)(_guard(cb.callback))
    for cmd in sub_app.registered_commands:
        sub.command(cmd.name, help=cmd.help)(_guard(cmd.callback))
    for group in sub_app.registered_groups:
        sub.add_typer(_guarded_copy(group.typer_instance), name=group.name)
    return sub


def _add_guarded(sub_app: typer.Typer, name: str, help: str | None = None) -> None:
    """Mount a technique's typer app under `name`, every command body wrapped in `_guard` (one-line errors)."""
    app.add_typer(_guarded_copy(sub_app, help), name=name)


_add_guarded(fit_app, "fit")  # fit chinchilla | posttrain
app.command("plan")(_guard(plan))
_add_guarded(tax_app, "tax")  # tax frontier | interpolate
_add_guarded(monitor_app, "monitor", "Reward-hacking monitor: metrics, drift detectors, sycophancy.")

# Technique packages with a `cli.py` exposing a typer app; mounted when present. Their modules import heavy
# dependencies (torch, inspect-ai) inside the command bodies, so `proctor --help` stays fast.
_TECHNIQUE_CLIS = [
    ("debate", "proctor.debate.cli", "debate_app"),
    ("sae", "proctor.sae.cli", "sae_app"),
    ("verify", "proctor.verifiers.cli", "verify_app"),
    ("superposition", "proctor.superposition.cli", "superposition_app"),
    ("cai", "proctor.constitution.cli", "cai_app"),
    ("rrm", "proctor.rrm.cli", "rrm_app"),
]


def _mount_techniques() -> None:
    import importlib
    import importlib.util

    for name, module, attr in _TECHNIQUE_CLIS:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            _add_guarded(getattr(importlib.import_module(module), attr), name)


_mount_techniques()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
