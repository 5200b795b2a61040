"""Run a suite: every experiment's units in order, skipping the finished ones, then write the report.

The run directory holds `store.sqlite` (finished units), `units/` (their arrays), `suite.toml` (what was asked),
`summary.json` and `report.html`. Rerunning the same suite into the same directory resumes it.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..atomic import write_atomic
from ..errors import ConfigError
from ..term import fmt_ci, fmt_num
from . import technique as techniques
from .spec import Suite, dump_toml, path_name, validate
from .store import RunStore, canonical_json, run_lock, unit_key
from .store import repair as store_repair

RUNS_ROOT_ENV = "PROCTOR_RUNS"


def runs_root() -> Path:
    return Path(os.environ.get(RUNS_ROOT_ENV, "proctor-runs"))


def list_runs(root: Path) -> list[dict]:
    """One row per run directory and per recognised output folder under `root` (proctor.runs.listing): id, path,
    kind, date, data, headline, experiments, finished units, report; a damaged store is listed as damaged, with the
    reason, and the listing goes on."""
    from .listing import list_outputs

    return list_outputs(root)


def default_run_dir(suite: Suite) -> Path:
    """Same suite -> same directory, so rerunning a command resumes it."""
    digest = unit_key(suite.model_dump(mode="json"))[:10]
    return runs_root() / f"{suite.name}-{digest}"


def _reporter(console: Console):
    def on_unit(label: str, unit, computed: bool) -> None:
        acc = unit.result.get("test_acc") if hasattr(unit, "result") else None
        acc_s = f" test acc {100 * acc:.1f}%" if isinstance(acc, float) else ""
        if computed:
            console.print(f"  [green]done[/] {escape(label)}{acc_s} [dim]({unit.seconds:.1f} s)[/]")
        else:
            console.print(f"  [dim]skip {escape(label)} (finished earlier){acc_s}[/]")

    return on_unit


def run_suite(suite: Suite, run_dir: Path, console: Console | None = None, executor=None, *,
              repair: bool = False, log_to: list[str] | None = None) -> dict:
    """Run every experiment of `suite` in `run_dir`; return the summaries. The report is written at the end.

    `executor` (proctor.runs.fanout) says where the experiments' pieces run; default: in this process. With `repair`,
    damaged units (or a damaged store) are moved into RUN_DIR/damaged/ and recomputed instead of stopping the run.
    `log_to` names experiment trackers (proctor.tracking; default: the CLI's `--log-to` / PROCTOR_LOG_TO)."""
    from .. import tracking
    from .fanout import InlineExecutor

    console = console or Console(stderr=True, soft_wrap=True)
    executor = executor or InlineExecutor()
    log_to = tracking.configured() if log_to is None else log_to
    tracking.check(log_to)  # a missing tracker package fails before anything is written
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: is a file, not a run directory; choose another --out")
    # Load and check every experiment's data first: a bad input fails before the run directory is touched.
    for spec in suite.experiment:
        tech = techniques.get(spec.type)
        if tech.check is not None:
            tech.check(spec)
    if run_dir.exists() and any(run_dir.iterdir()) and not (run_dir / "store.sqlite").exists():
        raise ConfigError(f"{run_dir}: exists and is not a Proctor run directory")
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir, lambda msg: console.print(f"[yellow]{escape(msg)}[/]")):
        if repair:
            for line in store_repair(run_dir):
                console.print(f"[yellow]repair:[/] moved {escape(line)}")
        with RunStore(run_dir) as store:
            store.check()
            console.print(f"run directory: {escape(str(run_dir))}", soft_wrap=True)
            previous = store.meta().get("suite")
            if previous is not None and previous != json.loads(canonical_json(suite.model_dump(mode="json"))):
                raise ConfigError(f"{run_dir}: holds a different suite; choose another --out or delete it")
            store.set_meta("suite", suite.model_dump(mode="json"))
            started_with = store.meta().get("proctor_version")
            if started_with not in (None, __version__):
                # Unit keys hash the spec, not the code: units from another version are reused as they are.
                console.print(f"[yellow]warning:[/] this run was started with Proctor {escape(str(started_with))}; "
                              f"its finished units are reused under {__version__}. Use a new --out to recompute.")
            store.set_meta("proctor_version", __version__)
            store.meta().get("created") or store.set_meta("created", datetime.now(timezone.utc).isoformat())
            write_atomic(run_dir / "suite.toml", dump_toml(suite))
            store.clean_temporaries()
            with tracking.open_tracking(run_dir, suite, console, log_to) as track:
                for i, spec in enumerate(suite.experiment, 1):
                    tech = techniques.get(spec.type)
                    console.print(f"[bold]experiment {i}/{len(suite.experiment)}[/] ({tech.name}): "
                                  f"{escape(spec.title)}")
                    t0 = time.perf_counter()
                    executor.run_experiment(spec, store, track.on_unit(spec.title, _reporter(console)))
                    console.print(f"  [dim]{escape(spec.title)} finished in {time.perf_counter() - t0:.1f} s[/]")
                summaries = summarize_run(store, suite)
                if track.trackers:
                    track.scorecard(scorecard(suite, summaries))
        write_atomic(run_dir / "summary.json", json.dumps(summaries, indent=2, default=_json_default))
        write_report(run_dir, summaries=summaries)
    return summaries


def run_one(spec, out_dir: Path | None = None, console: Console | None = None, executor=None) -> tuple[dict, Path]:
    """Run one experiment as a one-experiment suite named after it: the runner behind every technique verb, the
    same as `proctor run`'s, so a verb's run is resumable and reported like a suite's. Returns (summary, run_dir)."""
    suite = Suite(name=path_name(spec.title), experiment=[spec])
    run_dir = out_dir or default_run_dir(suite)
    summaries = run_suite(suite, run_dir, console, executor=executor)
    return summaries[spec.title], run_dir


def load_run_suite(run_dir: Path) -> Suite:
    if not (run_dir / "store.sqlite").exists():
        raise ConfigError(f"{run_dir}: not a Proctor run directory (no store.sqlite)")
    with RunStore(run_dir) as store:
        data = store.meta().get("suite")
    if data is None:
        raise ConfigError(f"{run_dir}: the run store holds no suite")
    return validate(Suite, data, str(run_dir / "store.sqlite"))


def summarize_run(store: RunStore, suite: Suite) -> dict:
    """{experiment title: its technique's summary} (JSON-able; works on unfinished runs)."""
    return {spec.title: techniques.get(spec.type).summarize(store, spec) for spec in suite.experiment}


def headlines(suite: Suite, summaries: dict) -> list[dict]:
    """The per-experiment objects of `proctor run --json`."""
    out = []
    for spec in suite.experiment:
        tech = techniques.get(spec.type)
        s = summaries[spec.title]
        h = tech.headline(s) if tech.headline else s
        out.append({"experiment": spec.title, "type": spec.type} | h)
    return out


def scorecard(suite: Suite, summaries: dict) -> list:
    """Every experiment's scorecard rows, in suite order."""
    rows = []
    for spec in suite.experiment:
        rows.extend(techniques.get(spec.type).scorecard(summaries[spec.title]))
    return rows


def write_report(run_dir: Path, against: Path | None = None, summaries: dict | None = None) -> Path:
    """RUN_DIR/report.html from the run store; `summaries` (from summarize_run) saves reading the store twice."""
    from ..device import describe_device
    from ..report import Section, Table, render_report

    suite = load_run_suite(run_dir)
    with RunStore(run_dir) as store:
        summaries = summaries if summaries is not None else summarize_run(store, suite)
        meta = store.meta()
    rows = scorecard(suite, summaries)
    overview = Section(
        title="Oversight scorecard",
        summary="For each technique, the measure of oversight it yields, with its 95% confidence interval (and "
                "what the interval resamples), and the fraction of the overseer-to-overseen gap it closes where the "
                "technique defines one. A row is \"measured\" only when its interval excludes the value that "
                "means no effect (0 for PGR, lifts and differences; chance for a judge's accuracy; the best probe "
                "for an SAE monitor); otherwise the verdict says why there is no result. Details of each "
                "experiment follow.",
        tables=[Table(
            columns=["technique", "setting", "measure", "value", "95% CI", "CI resamples", "gap closed", "verdict"],
            rows=[[r.technique, r.setting, r.measure, fmt_num(r.value, 2), fmt_ci(r.ci, 2), r.unit or "—",
                   "—" if r.gap_closed is None else fmt_num(r.gap_closed, 2), r.verdict]
                  for r in rows],
        )],
    )
    fig = _gap_figure(rows)
    if fig is not None:
        overview.figures.append(fig)
    sections = [overview]
    if against is not None:
        from .compare import compare_runs, comparison_section

        sections.append(comparison_section(compare_runs(run_dir, against, rows), str(against)))
    for spec in suite.experiment:
        sections.extend(techniques.get(spec.type).sections(summaries[spec.title]))
    return render_report(
        run_dir / "report.html",
        title=f"Proctor report: {suite.name}",
        sections=sections,
        meta={**({"overseer": suite.overseer} if suite.overseer else {}),
              **({"overseen": suite.overseen} if suite.overseen else {}),
              "run directory": str(run_dir), "created": str(meta.get("created", "")),
              "report written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "proctor": str(meta.get("proctor_version", __version__)), "device": describe_device()},
    )


def _gap_figure(rows):
    """Gap closed (or the raw measure where no gap is defined) per scorecard row, with CIs."""
    from ..report import Figure
    from ..report.plots import bar_with_ci

    shown = [r for r in rows if r.gap_closed is not None and r.gap_closed == r.gap_closed]
    if not shown:
        return None
    short = {"weak-to-strong": "W2S", "pixel debate": "debate"}
    png = bar_with_ci([_middle_cut(f"{short.get(r.technique, r.technique)}: {r.setting}") for r in shown],
                      [r.gap_closed for r in shown],
                      [r.gap_ci[0] if r.gap_ci else None for r in shown],
                      [r.gap_ci[1] if r.gap_ci else None for r in shown],
                      title="Gap closed per technique", ylabel="fraction of the gap closed",
                      ref_lines={"all of the gap": 1.0})
    return Figure(title="Gap closed per technique (95% CIs)", png=png,
                  caption="0 = the overseer alone, 1 = as good as the strong reference; rows without a defined "
                          "gap are in the table only.")


def _middle_cut(label: str, limit: int = 56) -> str:
    """Shorten a long label in its middle, keeping its end (where the variant, e.g. "(aux)", is)."""
    return label if len(label) <= limit else label[: limit // 2 - 1] + "…" + label[-(limit // 2):]


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))
