"""`proctor rrm ...`: recursive reward modeling / assisted evaluation, and the nested-oversight calculator
(mounted by the main CLI as `rrm`).

    proctor rrm calculator --guard-slope 1 --houdini-slope 1 --gap 400 [--domain-gap 0] [--steps N]   (no model)
    proctor rrm calculator --game Debate --gap 400                 (Engels et al. 2025's published fits)
    proctor rrm paper [--gap 400]                                  our n* and P_win next to the paper's table
    proctor rrm evaluate --evaluator M --assistant M [--items gsm8k|quality|FILE] [-n 40] [--depth 2]
                         [--mislead 0.25] --out DIR

Every command takes `--json` (one JSON object, last line of stdout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import ConfigError
from ..jsonout import emit_json

rrm_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Recursive reward modeling: assisted evaluation, error accumulation, nested oversight.")
out = Console(highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]


def _pct(x) -> str:
    return "undefined" if x is None or x != x else f"{100 * x:.1f}%"


@rrm_app.command()
def calculator(
    gap: Annotated[float, typer.Option(help="General Elo gap between the starting Guard and the target Houdini.")],
    guard_slope: Annotated[Optional[float], typer.Option(help="Guard's domain-Elo slope vs general Elo.")] = None,
    houdini_slope: Annotated[Optional[float], typer.Option(help="Houdini's domain-Elo slope.")] = None,
    domain_gap: Annotated[float, typer.Option(help="Target Houdini's domain-Elo advantage over the starting "
                                                   "Guard (the paper's Delta_domain).")] = 0.0,
    game: Annotated[Optional[str], typer.Option(help="Use Engels et al.'s fitted lines for this game "
                                                     "(Mafia, Debate, Backdoor Code, Wargames).")] = None,
    steps: Annotated[Optional[int], typer.Option(min=1, help="Evaluate exactly n steps (default: find n*).")] = None,
    max_steps: Annotated[int, typer.Option(min=1, help="Largest n searched for n*.")] = 50,
    as_json: JsonOpt = False,
):
    """Success probability of n-level nested oversight and the best n (Engels et al. 2025)."""
    from .nested import ENGELS_2025_FITS, ENGELS_2025_START_ELO, EloLine, best_steps, from_gaps, nested_success

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
    out.print(f"{label} = {r.steps}: P(oversight succeeds) = {_pct(r.success)}  (one step: {_pct(one.success)}); "
              f"per-step Guard win: {', '.join(_pct(p) for p in r.step_probabilities)}")
    if as_json:
        emit_json({"steps": r.steps, "success": r.success, "one_step_success": one.success,
                   "step_probabilities": list(r.step_probabilities), "general_elos": list(r.general_elos),
                   "guard": vars(guard), "houdini": vars(houdini), "gap": gap, "searched": steps is None})


@rrm_app.command()
def paper(
    gap: Annotated[float, typer.Option(help="General Elo gap.")] = 400.0,
    max_steps: Annotated[int, typer.Option(min=1, help="Largest n searched (the paper's code: 20).")] = 20,
    plateaus: Annotated[bool, typer.Option(help="Apply the fitted saturation plateau (Backdoor Code Houdini).")] = False,
    as_json: JsonOpt = False,
):
    """Engels et al. 2025's four games: our n* and P_win from their published fits, next to their reported rates."""
    from .nested import paper_table

    rows = paper_table(gap, max_steps, plateaus)
    out.print(f"{'game':14s} {'guard slope':>11s} {'houdini slope':>13s} {'n*':>3s} {'P_win':>7s} {'paper':>7s}")
    for r in rows:
        out.print(f"{r['game']:14s} {r['guard_slope']:11.3f} {r['houdini_slope']:13.3f} {r['best_steps']:3d} "
                  f"{_pct(r['success']):>7s} {_pct(r['paper_success']) if gap == 400 else '-':>7s}")
    if as_json:
        emit_json({"gap": gap, "plateaus": plateaus, "games": rows})


@rrm_app.command()
def evaluate(
    evaluator: Annotated[str, typer.Option(help="The weak evaluator model (role evaluator).")],
    assistant: Annotated[str, typer.Option(help="The assistant model (role assistant).")],
    items: Annotated[str, typer.Option(help="gsm8k, quality, or a JSONL file (question, answer, label).")] = "gsm8k",
    n: Annotated[Optional[int], typer.Option("-n", min=1, help="Number of items (seeded sample).")] = 40,
    depth: Annotated[int, typer.Option(min=0, help="Assistance levels (0 = unassisted only).")] = 1,
    mislead: Annotated[float, typer.Option(help="Fraction of (item, level) with a misleading assistant.")] = 0.0,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("rrm-out"),
    prompt_templates: Annotated[Optional[Path], typer.Option(help="Folder overriding *.jinja prompts.")] = None,
    seed: int = 0,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="inspect's response cache (resume).")] = True,
    max_samples: Annotated[Optional[int], typer.Option(help="Concurrent samples.")] = None,
    logprobs: Annotated[bool, typer.Option("--logprobs/--no-logprobs")] = True,
    as_json: JsonOpt = False,
):
    """Evaluator accuracy without and with (recursive) assistance, with bootstrap CIs."""
    from proctor.llm import generate_config

    from .items import load_items
    from .pipeline import evaluate_assisted

    s = evaluate_assisted(load_items(items, n, seed), evaluator, assistant, out_dir, depth, mislead, seed,
                          prompt_templates, generate_config(cache=cache, max_retries=3), max_samples, logprobs)
    out.print(f"{s['items']} items ({escape(items)}), {s['failed']} failed, misleading fraction {mislead}:")
    for lv in s["levels"]:
        ci = lv["ci"]
        out.print(f"  level {lv['level']}: accuracy {_pct(lv['accuracy'])} (95% CI {_pct(ci[0])} .. {_pct(ci[1])}) "
                  f"over {lv['n']} valid; {lv['invalid_verdicts']} invalid verdicts, {lv['invalid_notes']} invalid "
                  f"notes, {lv['not_reached']} not reached")
    if as_json:
        emit_json(s)
