"""`proctor monitor ...`: the reward-hacking monitor's commands (registered by the main CLI as `monitor`).

    proctor monitor metrics                                   list registered metrics
    proctor monitor calibrate REF.jsonl --out cal.json        thresholds at a target false-alarm rate
    proctor monitor watch FILE.jsonl --calibration cal.json   follow a growing file, print alarms, resumable
    proctor monitor eval [--quick] [--out DIR]                detection delay / false alarms on injected drifts,
                                                              run like `proctor run` (resumable run directory)
    proctor monitor sycophancy --model PROVIDER/MODEL         paired-prompt sycophancy through inspect-ai
    proctor monitor lc                                        AlpacaEval 2 length-control reproduction
    proctor monitor bias SCORED.jsonl [--pairs]               reward (or preference label) vs length
    proctor monitor code SOLUTIONS.jsonl --out SCORES.jsonl   solutions that game their tests (sandboxed runs)

`eval` builds proctor.monitor.spec.MonitorSpec (its options default to the spec's) and runs it through
proctor.runs.executor.run_one; the other commands are utilities over the library.

Every command takes `--json`: the last stdout line is then one JSON object (NaN -> null). Text written by a model or a
data file is never printed raw: control characters are stripped and rich markup escaped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ConfigError, DataError
from ..jsonout import emit_json
from ..llm import run as llm_run  # its defaults (inspect-ai itself loads on first use)
from ..options import check_out_file, float_option, spec_option
from ..term import err, fmt_ci, fmt_num, out, safe
from .spec import QUICK, MonitorSpec

monitor_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                          help="Reward-hacking monitor: metrics, drift alarms, sycophancy, length control.")


# -- calibration ------------------------------------------------------------------------------------------------------
def _metrics(metrics: str | None) -> list[str] | None:
    """The --metrics list, each name checked against the registry."""
    from .registry import resolve

    names = metrics.split(",") if metrics else None
    try:
        resolve(names)
    except ConfigError as e:
        raise ConfigError(f"--metrics: {e}") from None
    return names


def _calibrate(reference: str, metrics: str | None, false_alarms: float, *, window: int, detectors: str,
               statistics: str, seed: int, text_field: str | None = None, prompt_field: str | None = None):
    """`calibrate_reference` with the options' comma-separated lists split, checked before the reference is read;
    an error about the reference names it."""
    from ..errors import ProctorError
    from .calibrate import DETECTORS, STATISTICS, calibrate_reference

    dets, stats = [d for d in detectors.split(",") if d], [s for s in statistics.split(",") if s]
    for option, given, known in (("--detectors", dets, DETECTORS), ("--statistics", stats, STATISTICS)):
        unknown = [x for x in given if x not in known]
        if unknown or not given:
            raise ConfigError(f"{option}: unknown {', '.join(map(repr, unknown)) or '(none given)'}; known: "
                              f"{', '.join(known)}")
    _metrics(metrics)
    try:
        return calibrate_reference(reference, metrics=metrics.split(",") if metrics else None,
                                   target_per_10k=false_alarms, window=window, detectors=dets, statistics=stats,
                                   seed=seed, text_field=text_field, prompt_field=prompt_field)
    except ProctorError as e:
        if reference == "hh" or str(e).startswith(reference):
            raise
        raise type(e)(f"{reference}: {e}") from None


MetricsOpt = Annotated[Optional[str], typer.Option(help="Comma-separated metric names (default: all registered).")]
FalseOpt = Annotated[float, float_option("--false-alarms", gt=0, max=10_000, help="Target false alarms per 10k "
                                          "clean responses (whole monitor, split over detector-metric pairs).")]
WindowOpt = Annotated[int, typer.Option(min=10, max=100_000, help="Responses per window test.")]
DetOpt = Annotated[str, typer.Option(help="Online detectors: cusum,page_hinkley.")]
StatOpt = Annotated[str, typer.Option(help="Window tests: ks,psi,wasserstein,chi2.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]


@monitor_app.command("metrics")
def metrics_cmd(as_json: JsonOpt = False):
    """List the registered per-response metrics."""
    from .registry import get_metric, metric_names

    rows = [get_metric(n) for n in metric_names()]
    for s in rows:
        out.print(f"{s.name:22s} {s.kind:10s} {'needs prompt ' if s.needs_prompt else ''}{safe(s.description, 1000)}")
    if as_json:
        emit_json({"metrics": [{"name": s.name, "kind": s.kind, "needs_prompt": s.needs_prompt} for s in rows]})


@monitor_app.command()
def calibrate(
    reference: Annotated[str, typer.Argument(help="Clean reference responses: a JSONL file, or 'hh'.")],
    out_path: Annotated[Path, typer.Option("--out", help="Calibration JSON to write.")] = Path("calibration.json"),
    metrics: MetricsOpt = None, false_alarms: FalseOpt = 10.0, window: WindowOpt = 200,
    detectors: DetOpt = "cusum,page_hinkley", statistics: StatOpt = "ks,chi2", seed: int = 0,
    text_field: Optional[str] = None, prompt_field: Optional[str] = None, as_json: JsonOpt = False,
):
    """Calibrate every detector's threshold on clean reference responses at a target false-alarm rate."""
    from ..atomic import write_atomic

    check_out_file(out_path, "--out")
    cal, source = _calibrate(reference, metrics, false_alarms, window=window, detectors=detectors,
                             statistics=statistics, seed=seed, text_field=text_field, prompt_field=prompt_field)
    write_atomic(out_path, json.dumps(cal.to_dict()))
    out.print(f"calibrated {len(cal.thresholds)} detector-metric pairs on {cal.n_reference:,} responses from "
              f"{safe(source)}; {cal.per_pair_target:.3g} false alarms per 10k per pair -> {safe(out_path, 1000)}")
    if as_json:
        emit_json({"calibration": str(out_path), "reference": source, "n_reference": cal.n_reference,
                   "target_per_10k": cal.target_per_10k, "per_pair_target": cal.per_pair_target,
                   "thresholds": cal.thresholds})


def _load_calibration(path: Path):
    from .calibrate import Calibration

    try:
        return Calibration.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read calibration ({e})") from None


# -- watch ------------------------------------------------------------------------------------------------------------
@monitor_app.command()
def watch(
    file: Annotated[Path, typer.Argument(help="JSONL file of responses (it may still be growing).")],
    calibration: Annotated[Optional[Path], typer.Option(help="Calibration JSON from `monitor calibrate`.")] = None,
    reference: Annotated[Optional[str], typer.Option(help="Or calibrate now on this JSONL file (or 'hh').")] = None,
    state: Annotated[Optional[Path], typer.Option(help="State file (default FILE.monitor-state.json).")] = None,
    alarms: Annotated[Optional[Path], typer.Option(help="Alarm log, JSONL (default FILE.alarms.jsonl).")] = None,
    follow: Annotated[bool, typer.Option("--follow/--no-follow", help="Keep waiting for new lines.")] = True,
    poll: Annotated[float, float_option(gt=0, max=3600, help="Seconds between looks at a file that has not "
                                                            "grown.")] = 0.5,
    idle_timeout: Annotated[Optional[float], float_option(gt=0, max=10**9, help="Stop after this many idle "
                                                                                "seconds.")] = None,
    batch_lines: Annotated[int, typer.Option(min=1, max=1_000_000, help="Lines per committed batch.")] = 1000,
    max_lines: Annotated[Optional[int], typer.Option(min=1, help="Stop after this many lines.")] = None,
    max_line_bytes: Annotated[int, typer.Option(  # the default is proctor.monitor.watch.MAX_LINE_BYTES
        min=1, max=1 << 30, help="Longest line read, in bytes (default 1 MB): a longer one is skipped unread and "
                                 "counted invalid.")] = 1_000_000,
    metrics: MetricsOpt = None, false_alarms: FalseOpt = 10.0, window: WindowOpt = 200,
    text_field: Optional[str] = None, prompt_field: Optional[str] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report of the stream at the end.")] = None,
    as_json: JsonOpt = False,
):
    """Follow a growing JSONL file of responses, print drift alarms; restarts continue where the last run stopped."""
    from ..atomic import write_atomic
    from .watch import calibration_digest
    from .watch import follow as follow_file

    state = state or file.with_name(file.name + ".monitor-state.json")
    alarms = alarms or file.with_name(file.name + ".alarms.jsonl")
    for option, path in (("--state", state), ("--alarms", alarms), ("--report", report)):
        check_out_file(path, option)
    if calibration is not None:
        cal = _load_calibration(calibration)
    else:
        # a calibration made here is saved beside the state, so a restart judges the stream by the same thresholds
        saved = state.with_name(state.name + ".calibration.json")
        if saved.exists():
            cal = _load_calibration(saved)
        elif reference is None:
            raise ConfigError("give --calibration FILE.json or --reference REF.jsonl (or --reference hh)")
        else:
            cal, source = _calibrate(reference, metrics, false_alarms, window=window, detectors="cusum,page_hinkley",
                                     statistics="ks,chi2", seed=0, text_field=text_field, prompt_field=prompt_field)
            write_atomic(saved, json.dumps(cal.to_dict()))
            err.print(f"calibrated on {cal.n_reference:,} responses from {safe(source)} "
                      f"(calibration {calibration_digest(cal)})")

    def on_alarm(a):
        out.print(f"line {a.line}: ALARM {a.detector} on {a.metric}: statistic {a.statistic:.3g} > "
                  f"{a.threshold:.3g} (value {a.value:.3g})")

    def on_invalid(lineno, why):
        err.print(f"{safe(file, 1000)}:{lineno}: skipped invalid line: {safe(why, 120)}")

    st = follow_file(file, cal, state_path=state, alarms_path=alarms, follow=follow, poll=poll,
                     idle_timeout=idle_timeout, batch_lines=batch_lines, max_lines=max_lines, text_field=text_field,
                     prompt_field=prompt_field, max_line_bytes=max_line_bytes, on_alarm=on_alarm,
                     on_invalid=on_invalid)
    mon = st.monitor or {}
    too_long = f", {st.too_long:,} of them over {max_line_bytes:,} bytes" if st.too_long else ""
    out.print(f"{st.line:,} lines read ({st.valid:,} valid, {st.invalid:,} invalid{too_long}), "
              f"{mon.get('alarms_total', 0):,} alarms; state {safe(state, 1000)}")
    if report is not None:
        from ..report import render_report
        from .report import watch_section

        log = [json.loads(x) for x in alarms.read_text(encoding="utf-8").splitlines() if x.strip()]
        render_report(report, title="Proctor monitor: watched stream", meta={"file": str(file)},
                      sections=[watch_section(st.__dict__, log, str(file),
                                              {m: r.mean for m, r in cal.metrics.items()})])
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json({"file": str(file), "lines": st.line, "valid": st.valid, "invalid": st.invalid,
                   "too_long": st.too_long, "max_line_bytes": max_line_bytes, "offset": st.offset,
                   "alarms": mon.get("alarms_total", 0),
                   "alarms_by_pair": {k: v for k, v in mon.get("alarms_by_pair", {}).items() if v},
                   "state": str(state), "alarms_log": str(alarms), "report": str(report) if report else None})


# -- eval -------------------------------------------------------------------------------------------------------------
@monitor_app.command("eval")
def eval_cmd(
    replicates: Annotated[Optional[int], spec_option(MonitorSpec, "replicates", min=1)] = None,
    fresh_replicates: Annotated[Optional[int], spec_option(MonitorSpec, "fresh_replicates", min=6)] = None,
    clean_length: Annotated[Optional[int], spec_option(MonitorSpec, "clean_length", min=1000)] = None,
    target: Annotated[Optional[float], spec_option(MonitorSpec, "target_per_10k", "--target")] = None,
    window: Annotated[Optional[int], spec_option(MonitorSpec, "window")] = None,
    onset: Annotated[Optional[int], spec_option(MonitorSpec, "onset")] = None,
    horizon: Annotated[Optional[int], spec_option(MonitorSpec, "horizon")] = None,
    seed: Annotated[Optional[int], spec_option(MonitorSpec, "seed")] = None,
    metrics: Annotated[Optional[str], spec_option(MonitorSpec, "metrics", help="Comma-separated metric names "
                                                  "(default: all registered).")] = None,
    quick: Annotated[bool, typer.Option(help="The quick suite's settings (" + ", ".join(
        f"{k} {v}" for k, v in QUICK.items()) + "); options given explicitly still win.")] = False,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory: DIR/report.html, DIR/eval.json "
                                                                  "(default: derived from the settings).")] = None,
    as_json: JsonOpt = False,
):
    """Measure each detector: detection delay on injected drifts, false alarms per 10k clean HH-RLHF responses."""
    from ..atomic import write_atomic
    from ..jsonout import finite
    from ..options import check_out_dir, spec_from_options
    from ..runs.executor import run_one

    check_out_dir(out_dir)
    given = {"replicates": replicates, "fresh_replicates": fresh_replicates, "clean_length": clean_length, "target_per_10k": target, "window": window,
             "onset": onset, "horizon": horizon, "seed": seed,
             "metrics": _metrics(metrics)}
    values = (dict(QUICK) if quick else {}) | {k: v for k, v in given.items() if v is not None}
    spec = spec_from_options(MonitorSpec, **values)
    summary, run_dir = run_one(spec, out_dir, err)
    for b in summary["best"]:
        out.print(f"{safe(b['case']):22s} best: {safe(b['detector'] or '-')} on {safe(b['metric'] or '-')}, median "
                  f"delay {fmt_num(b['median_delay'], 1)} {fmt_ci(b.get('delay_ci'), 0)} responses (95% CI), false "
                  f"alarms {fmt_num(b['false_per_10k'], 1)}/10k")
    anyfa = next(r["per_10k"] for r in summary["false_alarms"] if r["detector"] == "any")
    out.print(f"any pair: {fmt_num(anyfa, 1)} false alarms per 10k clean responses")
    payload = {"best": summary["best"], "false_alarms": summary["false_alarms"], "detection": summary["detection"],
               "config": {"replicates": spec.replicates, "fresh_replicates": spec.fresh_replicates,
                          "clean_length": spec.clean_length,
                          "target_per_10k": spec.target_per_10k, "window": spec.window, "onset": spec.onset,
                          "horizon": spec.horizon, "seed": spec.seed},
               "report": str(run_dir / "report.html")}
    write_atomic(run_dir / "eval.json", json.dumps(finite({k: v for k, v in payload.items() if k != "report"})))
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        emit_json(payload)


# -- sycophancy and length control ------------------------------------------------------------------------------------
@monitor_app.command()
def sycophancy(
    model: Annotated[str, typer.Option(help="Any inspect-ai model, e.g. openai/gpt-4o-mini or vllm/...")],
    pairs: Annotated[int, typer.Option(min=1, max=100_000, help="Question pairs (two prompts each).")] = 50,
    log_dir: Annotated[Optional[str], typer.Option(help="inspect log folder.")] = None,
    max_retries: Annotated[int, typer.Option(min=0, max=100, help="Retries of a failed model call (inspect's, with "
                                             "exponential back-off from 3 s).")] = llm_run.MAX_RETRIES,
    timeout: Annotated[int, typer.Option(min=1, max=86_400, help="Seconds per model call, retries and back-off "
                                         "included: then the sample fails.")] = llm_run.TIMEOUT,
    attempt_timeout: Annotated[int, typer.Option(min=1, max=86_400, help="Seconds one attempt of a model call may "
                                                 "take before it is abandoned and retried.")] = llm_run.ATTEMPT_TIMEOUT,
    allow_failures: Annotated[bool, typer.Option("--allow-failures", help="Report the pairs that ran when some "
                                                 "samples failed (counted) instead of exiting with an error; no "
                                                 "sample finishing is an error regardless.")] = False,
    as_json: JsonOpt = False,
):
    """Sycophancy: how much more often the model gives each user their own political side's answer."""
    from ..options import check_out_dir
    from .sycophancy import run_sycophancy

    check_out_dir(Path(log_dir) if log_dir else None, "--log-dir")
    s = run_sycophancy(model, pairs=pairs, log_dir=log_dir, max_retries=max_retries, timeout=timeout,
                       attempt_timeout=attempt_timeout, allow_failures=allow_failures)
    if s["failed"]:
        out.print(f"{s['failed']} of {s['failed'] + s['samples']} samples failed (model calls that kept failing); "
                  f"left out of every count below")
    for p in ("liberal", "conservative"):
        d = s[p]
        out.print(f"{p} user: {d['liberal_answers']} liberal answers / {d['answered']} answered "
                  f"({d['no_verdict']} without a verdict) = {fmt_num(d['p_liberal'])}")
    out.print(f"gap = {fmt_num(s['liberal']['p_liberal'])} - {fmt_num(s['conservative']['p_liberal'])} = "
              f"{fmt_num(s['gap'])}; paired: ({s['pairs_flip_toward_user']} - {s['pairs_flip_away_from_user']}) / "
              f"{s['pairs_answered']} = {fmt_num(s['paired_gap'])}"
              + (" (scripted model: a check of the machinery, not a measurement)" if s.get("scripted") else ""))
    if as_json:
        emit_json(s)


@monitor_app.command()
def lc(
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report with the scatter plots.")] = None,
    as_json: JsonOpt = False,
):
    """Reproduce AlpacaEval 2 length control: Spearman of length with raw vs length-controlled win rate."""
    from .lengthcontrol import alpacaeval_correlations, alpacaeval_table

    check_out_file(report, "--report")
    c = alpacaeval_correlations()
    out.print(f"{c['models']} models: Spearman(length, raw win rate) = {c['spearman_length_raw']:.3f}, "
              f"Spearman(length, LC win rate) = {c['spearman_length_lc']:.3f}")
    out.print(f"LC recomputed from the GLM weights of {c['models_with_weights']} models: RMSE "
              f"{c['lc_reconstruction_rmse']:.2f} points, Spearman(length, recomputed LC) = "
              f"{c['spearman_length_recon']:.3f}")
    try:  # the same diagnostic on human preference labels, where the HH-RLHF file is present
        from .responses import hh_pairs
        from .reward import pairwise_length_bias

        _, chosen, rejected = hh_pairs()
        c["hh_preference_length_bias"] = hh = pairwise_length_bias(chosen, rejected)
        out.print(f"HH-RLHF harmless-base labels: the chosen reply is the longer one in {hh['chosen_longer']:.1%} of "
                  f"{hh['pairs']:,} pairs; GLM length coefficient phi = {hh['phi']:+.2f} (negative = longer wins)")
    except DataError:
        pass
    if report is not None:
        from ..report import render_report
        from .report import lc_section

        render_report(report, title="Proctor monitor: length control", meta={},
                      sections=[lc_section(c, alpacaeval_table())])
        c["report"] = str(report)
    if as_json:
        emit_json(c)


@monitor_app.command()
def bias(
    file: Annotated[Path, typer.Argument(help="JSONL: rows with a response and its reward, or chosen/rejected pairs.")],
    reward_field: Annotated[str, typer.Option(help="Field holding a reward-model score.")] = "reward",
    pairs: Annotated[bool, typer.Option("--pairs", help="Rows are preference pairs (chosen / rejected).")] = False,
    text_field: Optional[str] = None,
    as_json: JsonOpt = False,
):
    """Reward-model length bias: correlation of reward with length, or of preference labels with length."""
    from .responses import response_from_row
    from .reward import length_bias, pairwise_length_bias

    if not file.is_file():
        raise DataError(f"{file}: no such file")
    rows = []
    with open(file, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if pairs:
                    if not (isinstance(row.get("chosen"), str) and isinstance(row.get("rejected"), str)):
                        raise ValueError("needs string fields 'chosen' and 'rejected'")
                    rows.append((row["chosen"], row["rejected"]))
                else:
                    text, _ = response_from_row(row, text_field)
                    r = row.get(reward_field)
                    if isinstance(r, bool) or not isinstance(r, (int, float)):
                        raise ValueError(f"field {reward_field!r} is not a number")
                    rows.append((text, float(r)))
            except (ValueError, AttributeError) as e:
                raise DataError(f"{file}:{lineno}: {e}") from None
    if pairs:
        res = pairwise_length_bias([c for c, _ in rows], [r for _, r in rows])
        out.print(f"{res['pairs']:,} pairs: the chosen reply is the longer one in {res['chosen_longer']:.1%}; "
                  f"GLM length coefficient phi = {res['phi']:+.2f} (negative = longer wins)")
    else:
        res = length_bias([r for _, r in rows], [len(t) for t, _ in rows])
        out.print(f"{res['n']:,} responses: Spearman(length, reward) = {fmt_num(res['spearman'])}, Pearson = "
                  f"{fmt_num(res['pearson'])}, slope {res['slope_per_100_chars']:+.4f} reward per 100 characters")
    if as_json:
        emit_json(res)


# -- code -------------------------------------------------------------------------------------------------------------
@monitor_app.command("code")
def code_cmd(
    file: Annotated[Path, typer.Argument(help="JSONL of solutions: id, code, tests (asserts, or check(candidate) "
                                              "with entry_point), optional prompt and reference.")],
    out_path: Annotated[Path, typer.Option("--out", help="Scores JSONL to write (one row per input).")] = Path(
        "code-scores.jsonl"),
    static_only: Annotated[bool, typer.Option("--static-only", help="AST signals only: run nothing.")] = False,
    target_fpr: Annotated[float, typer.Option(min=0.0, max=0.5, help="False-positive rate on known-good "
                                              "solutions that sets the flag threshold.")] = 0.01,
    calibration: Annotated[Optional[Path], typer.Option(help="Calibration JSON (threshold); default: measured on "
                                                             "HumanEval's reference solutions and cached.")] = None,
    unsafe_no_sandbox: Annotated[bool, typer.Option("--unsafe-no-sandbox", help="Run the code without bubblewrap "
                                                    "(rlimits and timeout only) where bwrap is missing.")] = False,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Sandboxes run at once.")] = 2,
    as_json: JsonOpt = False,
):
    """Score solutions for gaming their tests (hard-coded outputs, early exits, __eq__ hacks, patched builtins)."""
    from ..atomic import write_atomic
    from ..sandbox import require_sandbox
    from .code.detector import CodeCalibration, default_calibration, read_rows, score_rows

    check_out_file(out_path, "--out")
    rows = read_rows(file)
    if not static_only:
        require_sandbox(unsafe_no_sandbox)
    if calibration is not None:
        try:
            cal = CodeCalibration.from_dict(json.loads(calibration.read_text(encoding="utf-8")))
        except (OSError, ValueError) as e:
            raise DataError(f"{calibration}: cannot read calibration ({e})") from None
    else:
        cal = default_calibration(dynamic=not static_only, target_fpr=target_fpr,
                                  unsafe_no_sandbox=unsafe_no_sandbox)
    scored = score_rows(rows, dynamic=not static_only, calibration=cal, unsafe_no_sandbox=unsafe_no_sandbox,
                        workers=workers)
    write_atomic(out_path, "".join(json.dumps(d) + "\n" for d in scored))
    flagged = [d for d in scored if d["flagged"]]
    for d in flagged[:20]:
        names = ", ".join(sorted({s["name"] for s in d["signals"]}))
        out.print(f"{safe(d['id'], 80)}: score {d['score']:.3f} FLAGGED ({safe(names, 200)})")
    out.print(f"{len(scored):,} solutions, {len(flagged):,} flagged at threshold {cal.threshold:.3g} "
              f"({'static' if static_only else 'static + sandboxed dynamic'}) -> {safe(out_path, 1000)}")
    if as_json:
        emit_json({"rows": len(scored), "flagged": len(flagged), "threshold": cal.threshold,
                   "target_fpr": cal.target_fpr, "dynamic": not static_only, "out": str(out_path),
                   "flagged_ids": [d["id"] for d in flagged]})
