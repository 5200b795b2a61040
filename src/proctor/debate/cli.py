"""`proctor debate ...`: LLM oversight protocols (registered by the main CLI as `debate`).

    proctor debate --protocol debate --debater openai-api/local/qwen --judge openai-api/local/llama \
        --dataset quality_example [--rounds 2] [--sequential] [--limit 50] [--export prefs.jsonl] [--json]
    proctor debate --protocol naive|expert --judge MODEL --dataset FILE
    proctor debate --protocol consultancy --debater MODEL --judge MODEL --dataset org/name
    proctor debate tournament --debater small=MODEL --debater big=MODEL2 --judge MODEL --dataset ...
    proctor debate pixels ...                                  pixel debate on MNIST (proctor.debate.pixels)

Model names are inspect-ai's (openai-api/SERVICE/NAME with SERVICE_BASE_URL and SERVICE_API_KEY set, vllm/...,
ollama/..., hf/PATH, openai/..., anthropic/...). Replies are cached (rerunning the same command re-sends only calls
that never finished); logs go to --log-dir (open with `inspect view --log-dir DIR`). Every command takes `--json`:
the last stdout line is then one JSON object. Model-written text is printed escaped.
"""

from __future__ import annotations

import re
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import ConfigError
from ..jsonout import emit_json

debate_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                         help="Debate, consultancy, naive and expert judges on any inspect-ai model; pixel debate.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
JudgeOpt = Annotated[Optional[str], typer.Option(help="Judge model (inspect name, e.g. openai-api/local/NAME).")]
DataOpt = Annotated[str, typer.Option(help="quality_example, a local file (QuALITY or question/choices/answer), "
                                           "or a Hub id.")]


def safe(text: object, limit: int = 200) -> str:
    s = _CONTROL.sub("", str(text))
    return escape(s if len(s) <= limit else s[:limit] + "...")


def _fmt(x) -> str:
    return "undefined" if x is None or x != x else f"{x:.3f}"


def _config(max_connections, max_retries, timeout, cache):
    from ..llm.run import generate_config

    return generate_config(cache=cache, max_connections=max_connections, max_retries=max_retries, timeout=timeout)


def roles_for(protocol: str, debater: str | None, debater_b: str | None, judge: str | None) -> dict:
    """The role bindings a protocol needs, or a ConfigError naming the missing option."""
    if not judge:
        raise ConfigError("--judge MODEL is required")
    roles = {"judge": judge}
    if protocol in ("debate", "consultancy"):
        if not debater:
            raise ConfigError(f"--protocol {protocol} needs --debater MODEL")
        if protocol == "debate":
            roles.update(debater_a=debater, debater_b=debater_b or debater)
        else:
            roles["consultant"] = debater
    return roles


@debate_app.callback(invoke_without_command=True)
def debate_cmd(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Option(help="naive | expert | consultancy | debate.")] = "debate",
    debater: Annotated[Optional[str], typer.Option(help="Debater (both sides) / consultant model.")] = None,
    debater_b: Annotated[Optional[str], typer.Option(help="A different model for debater B (cross-play).")] = None,
    judge: JudgeOpt = None,
    dataset: DataOpt = "quality_example",
    split: Annotated[Optional[str], typer.Option(help="Hub split (default validation/dev/test/train).")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="First N questions.")] = None,
    rounds: Annotated[int, typer.Option(min=0, help="Debate rebuttal rounds / consultancy questions.")] = 2,
    sequential: Annotated[bool, typer.Option(help="Sequential debate rounds (default simultaneous).")] = False,
    swap: Annotated[bool, typer.Option("--swap/--no-swap", help="Alternate answer positions.")] = True,
    word_limit: int = 150,
    logprobs: Annotated[bool, typer.Option(help="Judge confidence from token log-probabilities.")] = False,
    prompts: Annotated[Optional[str], typer.Option(help="Folder of .jinja files overriding the prompts.")] = None,
    log_dir: Annotated[str, typer.Option(help="inspect log folder.")] = "logs/debate",
    max_connections: Annotated[Optional[int], typer.Option(min=1, help="Concurrent requests per model.")] = None,
    max_retries: Annotated[Optional[int], typer.Option(min=0)] = None,
    timeout: Annotated[Optional[int], typer.Option(min=1, help="Seconds per model call incl. retries.")] = None,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="inspect's response cache.")] = True,
    reuse: Annotated[bool, typer.Option("--reuse/--no-reuse", help="Reuse finished samples of earlier runs "
                                                                    "with the same settings in --log-dir.")] = True,
    export: Annotated[Optional[str], typer.Option(help="Write judged debates as TRL preference JSONL here.")] = None,
    as_json: JsonOpt = False,
):
    """Run one oversight protocol over a data set and print the judge's accuracy (with a 95% bootstrap CI)."""
    if ctx is not None and ctx.invoked_subcommand is not None:
        return
    from .data import load_items
    from .judged import run_protocol
    from .metrics import summarize_records
    from .protocols import ProtocolConfig

    cfg = ProtocolConfig(protocol, rounds=rounds, sequential=sequential, word_limit=word_limit, swap=swap,
                         logprobs=logprobs, prompts=prompts)
    from ..llm.run import role_model

    roles = roles_for(protocol, debater, debater_b, judge)
    items = load_items(dataset, split=split, limit=limit)
    config = _config(max_connections, max_retries, timeout, cache)
    models = {role: role_model(name, config) for role, name in roles.items()}  # a bad name fails before any output
    err.print(f"{protocol}: {len(items)} questions from {safe(dataset)}; roles "
              + ", ".join(f"{k}={safe(v)}" for k, v in roles.items()))
    recs, run = run_protocol(items, cfg, models, log_dir=log_dir, config=config, reuse=reuse)
    s = summarize_records(recs)
    ci = escape(f"[{_fmt(s['ci'][0])}, {_fmt(s['ci'][1])}]")  # "[undefined, ...]" would read as rich markup
    out.print(f"judge accuracy {_fmt(s['accuracy'])} {ci} on {s['valid']} "
              f"valid verdicts; {s['invalid']} invalid, {s['failed']} failed of {s['samples']} samples"
              + (f" ({run.reused} reused from earlier logs)" if run.reused else ""))
    if "by_assignment" in s:
        ba = s["by_assignment"]
        who = "consultant" if protocol == "consultancy" else "debater A"
        out.print(f"  {who} assigned right: {_fmt(ba['right']['accuracy'])} (n={ba['right']['n']}); "
                  f"wrong: {_fmt(ba['wrong']['accuracy'])} (n={ba['wrong']['n']})")
    out.print(f"  ECE {_fmt(s['ece'])}; quotes verified {s['quotes']['verified']}/{s['quotes']['total']}; "
              f"log {safe(run.location)}")
    exported = None
    if export:
        from .export import export_preferences

        exported = export_preferences(recs, export)
        out.print(f"  {exported} preference rows -> {safe(export)}")
    if as_json:
        emit_json({"protocol": protocol, "dataset": dataset, "roles": roles, **s, "log": run.location,
                   "reused": run.reused, "exported": exported})


@debate_app.command("tournament")
def tournament_cmd(
    debater: Annotated[list[str], typer.Option(help="NAME=MODEL, at least two.")],
    judge: JudgeOpt = None, dataset: DataOpt = "quality_example",
    split: Annotated[Optional[str], typer.Option()] = None,
    limit: Annotated[Optional[int], typer.Option(min=1)] = None,
    rounds: Annotated[int, typer.Option(min=0)] = 1,
    log_dir: str = "logs/debate-tournament",
    max_connections: Annotated[Optional[int], typer.Option(min=1)] = None,
    as_json: JsonOpt = False,
):
    """Cross-play every ordered pair of debaters; Elo (Bradley-Terry) persuasiveness with 95% CIs."""
    from .data import load_items
    from .tournament import run_tournament

    players = {}
    for d in debater:
        name, sep, model = d.partition("=")
        if not sep or not name or not model:
            raise ConfigError(f"--debater {d!r}: expected NAME=MODEL")
        players[name] = model
    if len(players) < 2:
        raise ConfigError("a tournament needs at least two --debater NAME=MODEL")
    if not judge:
        raise ConfigError("--judge MODEL is required")
    items = load_items(dataset, split=split, limit=limit)
    res = run_tournament(items, players, judge, rounds=rounds, log_dir=log_dir,
                         config=_config(max_connections, None, None, True))
    for name, r in sorted(res["elo"].items(), key=lambda kv: -kv[1]["elo"]):
        ci = escape(f"[{r['lo']:.0f}, {r['hi']:.0f}]")
        out.print(f"{safe(name):20s} Elo {r['elo']:.0f} {ci}  wins {r['wins']}/{r['games']}")
    if as_json:
        emit_json(res)


try:  # the pixel debate command lives in proctor.debate.pixels (another package); mount it when present
    from .pixels.cli import pixels as _pixels
except ModuleNotFoundError as e:  # absent: no command; any other import failure is a bug and surfaces
    if e.name not in ("proctor.debate.pixels", "proctor.debate.pixels.cli"):
        raise
    _pixels = None
if _pixels is not None:
    debate_app.command("pixels")(_pixels)
