"""The `proctor` command line: thin over the library.

    proctor run [SUITE.toml]        run a suite (default: the built-in one) and write its report
    proctor report RUN_DIR          (re)write RUN_DIR/report.html from the run store
    proctor runs [ROOT]             list run directories and how far each got
    proctor VERB ...                each technique's own verbs (w2s, debate, sae, verify, monitor, fit, plan, tax, ...),
                                    mounted from the techniques' registration (proctor.runs.technique)

A user mistake (a bad spec, a missing column) prints one line and exits with status 2; no traceback.
With `--json`, the last line of stdout is one JSON object with the summary numbers.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Optional

import typer

from .guard import guard, mount
from .jsonout import emit_json
from .options import OneLineErrors, check_out_dir
from .term import err, out, safe

# Proctor draws its own progress bars; the per-load "Loading weights" bars of transformers are noise here.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, cls=OneLineErrors,
                  help="Proctor: can a weaker overseer supervise a stronger model?")


@app.callback()
@guard
def _options(log_to: Annotated[Optional[str], typer.Option(
        "--log-to", envvar="PROCTOR_LOG_TO", help="Log every suite run (proctor run and each end-to-end verb) to "
        "mlflow, tensorboard and/or wandb (comma-separated; W&B offline). See proctor.tracking.")] = None):
    from .tracking import configure

    configure(log_to)


def _default_suite_path(name: str = "default") -> Path:
    return Path(str(resources.files("proctor") / "suites" / f"{name}.toml"))


@app.command()
@guard
def run(
    suite: Annotated[Optional[Path], typer.Argument(help="Suite TOML; default: the built-in suite.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the suite).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="The built-in quick suite (a first look in minutes).")] = False,
    executor: Annotated[str, typer.Option(help="inline (this process), local (a process pool) or ray.")] = "inline",
    workers: Annotated[int, typer.Option(min=1, max=1024, help="Processes of the local executor.")] = 2,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start a local instance).")] = None,
    repair: Annotated[bool, typer.Option("--repair", help="Move damaged units aside and recompute them.")] = False,
    allow_failures: Annotated[bool, typer.Option("--allow-failures", help="LLM experiments in which some samples "
                                                 "failed are reported (failures counted), not an error.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")] = False,
    log_to: Annotated[Optional[str], typer.Option("--log-to", help="As `proctor --log-to`.")] = None,
):
    """Run a suite of experiments (resumable) and write its HTML report, which opens with the oversight scorecard."""
    from .errors import ConfigError
    from .runs.executor import default_run_dir, headlines, run_suite, scorecard
    from .runs.fanout import make_executor
    from .runs.spec import load_suite
    from .tracking import configure

    check_out_dir(out_dir)
    configure(log_to) if log_to else None
    if quick and suite is not None:
        raise ConfigError("--quick picks the built-in quick suite; give either --quick or a SUITE file")
    s = load_suite(suite or _default_suite_path("quick" if quick else "default"))
    if allow_failures:  # as `allow_failures = true` in each LLM experiment's table (not part of the suite's identity)
        s = s.model_copy(update={"experiment": [e.model_copy(update={"allow_failures": True}) if "allow_failures"
                                                in type(e).model_fields else e for e in s.experiment]})
    run_dir = out_dir or default_run_dir(s)
    ex = make_executor(executor, workers=workers, address=address)
    try:
        summaries = run_suite(s, run_dir, err, executor=ex, repair=repair)
    finally:
        ex.close()
    report = run_dir / "report.html"
    out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json({"run_dir": str(run_dir), "report": str(report),
                   "scorecard": [dataclasses.asdict(r) for r in scorecard(s, summaries)],
                   "experiments": headlines(s, summaries)})


@app.command()
@guard
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
        from .runs.compare import compare_runs, print_comparison

        rows = compare_runs(run_dir, against)
        print_comparison(rows, out)
    out.print(f"report: {safe(path, 1000)}")
    if as_json:
        emit_json({"report": str(path), "against": str(against) if against else None, "rows": rows})


@app.command()
@guard
def runs(root: Annotated[Optional[Path], typer.Argument(help="Folder of run directories.")] = None):
    """List the runs under ROOT (default: $PROCTOR_RUNS or ./proctor-runs): suite runs and the output folders of
    `sae train`, `verify train`, `cai` and debate exports, with id, date, data set and headline; damage is marked."""
    from .runs.executor import list_runs, runs_root
    from .runs.listing import print_runs

    root = root or runs_root()
    check_out_dir(root, "ROOT")  # a file is not a folder of run directories
    print_runs(root, list_runs(root), out)


def _mount_techniques() -> None:
    """Every technique's verbs, from its registration (`Technique.cli`: verb -> "module:attr")."""
    from .runs.technique import all_techniques

    for tech in all_techniques():
        for verb, ref in tech.cli.items():
            module, _, attr = ref.partition(":")
            mount(app, verb, getattr(importlib.import_module(module), attr))


_mount_techniques()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
