"""`proctor rrm ...`: recursive reward modeling / assisted evaluation, and the nested-oversight calculator
(mounted by the main CLI as `rrm`). Options default to the spec's (proctor.rrm.spec.RRMSpec).

    proctor rrm calculator --guard-slope 1 --houdini-slope 1 --gap 400 [--domain-gap 0] [--steps N]   (no model)
    proctor rrm calculator --game Debate --gap 400                 (Engels et al. 2025's published fits)
    proctor rrm paper [--gap 400]                                  our n* and P_win next to the paper's table
    proctor rrm evaluate --evaluator M --assistant M [--items gsm8k|quality|FILE] [-n 40] [--depth 2]
                         [--mislead 0.25] [--out RUN_DIR]

`evaluate` runs the experiment (calculator and assisted evaluation) as a one-experiment suite: resumable with the
same `--out`, reported like `proctor run`. Every command takes `--json` (one JSON object, last line of stdout).

Model calls give up after --max-retries retries, --timeout seconds in all or --attempt-timeout seconds per attempt
(finite defaults). A run in which no sample finished exits 2 with the endpoint's error; one in which some failed
exits 2 counting them, writing nothing (rerun to retry only those), unless --allow-failures reports the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..options import float_option, spec_option
from .spec import RRMSpec

rrm_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Recursive reward modeling: assisted evaluation, error accumulation, nested oversight.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
MaxStepsOpt = Annotated[Optional[int], spec_option(RRMSpec, "max_steps", min=1)]


@rrm_app.command()
def calculator(
    gap: Annotated[float, float_option(min=0, max=100_000, help="General Elo gap between the starting Guard and "
                                                                 "the target Houdini.")],
    guard_slope: Annotated[Optional[float], float_option(min=-1000, max=1000, help="Guard's domain-Elo slope vs "
                                                                                  "general Elo.")] = None,
    houdini_slope: Annotated[Optional[float], float_option(min=-1000, max=1000, help="Houdini's domain-Elo "
                                                                                    "slope.")] = None,
    domain_gap: Annotated[float, float_option(min=-100_000, max=100_000, help="Target Houdini's domain-Elo "
                                              "advantage over the starting Guard (the paper's Delta_domain).")] = 0.0,
    game: Annotated[Optional[str], typer.Option(help="Use Engels et al.'s fitted lines for this game "
                                                     "(Mafia, Debate, Backdoor Code, Wargames).")] = None,
    steps: Annotated[Optional[int], typer.Option(min=1, max=1000, help="Evaluate exactly n steps (default: find "
                                                                       "n*).")] = None,
    max_steps: MaxStepsOpt = None,
    as_json: JsonOpt = False,
):
    """Success probability of n-level nested oversight and the best n (Engels et al. 2025)."""
    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..options import spec_from_options
    from ..term import fmt_pct, out
    from .nested import ENGELS_2025_FITS, ENGELS_2025_START_ELO, EloLine, best_steps, from_gaps, nested_success

    max_steps = spec_from_options(RRMSpec, max_steps=max_steps).max_steps  # the spec's bounds and default
    if game is not None:
        fits = {k.lower(): v for k, v in ENGELS_2025_FITS.items()}
        if game.lower() not in fits:
            raise ConfigError(f"--game {game!r}: known games are {', '.join(ENGELS_2025_FITS)}")
        f = fits[game.lower()]
        guard = EloLine(f["guard"].slope, f["guard"].intercept)
        houdini = EloLine(f["houdini"].slope, f["houdini"].intercept)
        start = ENGELS_2025_START_ELO
    else:
        if guard_slope is None or houdini_slope is None:
            raise ConfigError("give --guard-slope and --houdini-slope (or --game NAME)")
        guard, houdini, _ = from_gaps(guard_slope, houdini_slope, gap, domain_gap)
        start = 0.0
    r = (nested_success(guard, houdini, gap, steps, start) if steps else
         best_steps(guard, houdini, gap, start, max_steps))
    one = nested_success(guard, houdini, gap, 1, start)
    label = "n" if steps else "best n*"
    out.print(f"{label} = {r.steps}: P(oversight succeeds) = {fmt_pct(r.success)}  (one step: "
              f"{fmt_pct(one.success)}); per-step Guard win: {', '.join(fmt_pct(p) for p in r.step_probabilities)}")
    if as_json:
        emit_json({"steps": r.steps, "success": r.success, "one_step_success": one.success,
                   "step_probabilities": list(r.step_probabilities), "general_elos": list(r.general_elos),
                   "guard": vars(guard), "houdini": vars(houdini), "gap": gap, "searched": steps is None})


@rrm_app.command()
def paper(
    gap: Annotated[float, float_option(min=0, max=100_000, help="General Elo gap.")] = 400.0,
    max_steps: MaxStepsOpt = None,
    plateaus: Annotated[Optional[bool], spec_option(RRMSpec, "plateaus", "--plateaus/--no-plateaus")] = None,
    as_json: JsonOpt = False,
):
    """Engels et al. 2025's four games: our n* and P_win from their published fits, next to their reported rates."""
    from ..jsonout import emit_json
    from ..options import spec_from_options
    from ..term import fmt_pct, out
    from .nested import paper_table

    spec = spec_from_options(RRMSpec, max_steps=max_steps, plateaus=plateaus)
    max_steps, plateaus = spec.max_steps, spec.plateaus
    rows = paper_table(gap, max_steps, plateaus)
    out.print(f"{'game':14s} {'guard slope':>11s} {'houdini slope':>13s} {'n*':>3s} {'P_win':>7s} {'paper':>7s}")
    for r in rows:
        out.print(f"{r['game']:14s} {r['guard_slope']:11.3f} {r['houdini_slope']:13.3f} {r['best_steps']:3d} "
                  f"{fmt_pct(r['success']):>7s} {fmt_pct(r['paper_success']) if gap == 400 else '-':>7s}")
    if as_json:
        emit_json({"gap": gap, "plateaus": plateaus, "games": rows})


@rrm_app.command()
def evaluate(
    evaluator: Annotated[str, spec_option(RRMSpec, "evaluator", help="The weak evaluator model (role evaluator).")],
    assistant: Annotated[str, spec_option(RRMSpec, "assistant", help="The assistant model (role assistant).")],
    items: Annotated[Optional[str], spec_option(RRMSpec, "items")] = None,
    n: Annotated[Optional[int], spec_option(RRMSpec, "n", "-n", min=1)] = None,
    depth: Annotated[Optional[int], spec_option(RRMSpec, "depth", min=0)] = None,
    mislead: Annotated[Optional[float], spec_option(RRMSpec, "mislead")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the "
                                                                  "spec).")] = None,
    prompt_templates: Annotated[Optional[Path], spec_option(RRMSpec, "prompt_templates")] = None,
    seed: Annotated[Optional[int], spec_option(RRMSpec, "seed")] = None,
    cache: Annotated[Optional[bool], spec_option(RRMSpec, "cache", "--cache/--no-cache")] = None,
    max_samples: Annotated[Optional[int], spec_option(RRMSpec, "max_samples")] = None,
    logprobs: Annotated[Optional[bool], spec_option(RRMSpec, "logprobs", "--logprobs/--no-logprobs")] = None,
    max_retries: Annotated[Optional[int], spec_option(RRMSpec, "max_retries", min=0, max=100)] = None,
    timeout: Annotated[Optional[int], spec_option(RRMSpec, "timeout", min=1, max=86_400)] = None,
    attempt_timeout: Annotated[Optional[int], spec_option(RRMSpec, "attempt_timeout", min=1, max=86_400)] = None,
    allow_failures: Annotated[Optional[bool], spec_option(RRMSpec, "allow_failures", "--allow-failures")] = None,
    as_json: JsonOpt = False,
):
    """Evaluator accuracy without and with (recursive) assistance, with bootstrap CIs."""
    from ..jsonout import emit_json
    from ..options import check_out_dir, spec_from_options
    from ..runs.executor import run_one
    from ..term import err, fmt_pct, out, safe

    check_out_dir(out_dir)
    spec = spec_from_options(RRMSpec, evaluator=evaluator, assistant=assistant, items=items, n=n, depth=depth,
                             mislead=mislead, seed=seed, cache=cache, max_samples=max_samples, logprobs=logprobs,
                             prompt_templates=None if prompt_templates is None else str(prompt_templates),
                             max_retries=max_retries, timeout=timeout, attempt_timeout=attempt_timeout,
                             allow_failures=allow_failures)
    summary, run_dir = run_one(spec, out_dir, err)
    s = summary["assisted"]
    out.print(f"{s['items']} items ({safe(spec.items)}), {s['failed']} failed, misleading fraction {spec.mislead}:")
    for lv in s["levels"]:
        ci = lv["ci"]
        out.print(f"  level {lv['level']}: accuracy {fmt_pct(lv['accuracy'])} (95% CI {fmt_pct(ci[0])} .. "
                  f"{fmt_pct(ci[1])}) over {lv['n']} valid; {lv['invalid_verdicts']} invalid verdicts, "
                  f"{lv['invalid_notes']} invalid notes, {lv['not_reached']} not reached")
    from ..llm.mock import is_scripted

    scripted = is_scripted(spec.evaluator, spec.assistant)
    if scripted:
        out.print("scripted models: a check of the machinery, not a measurement of any model (proctor.llm.scripted)")
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        emit_json(s | {"run_dir": str(run_dir), "report": str(run_dir / "report.html"), "scripted": scripted})
