"""`proctor cai ...`: Constitutional AI (Bai et al. 2022) on any inspect-ai model (mounted by the main CLI as `cai`).

    proctor cai principles [--constitution default|FILE.toml|cai-paper[:DIR]]
    proctor cai revise   --policy M [--critic M] [--prompts hh|FILE.jsonl] [--limit 20] [--rounds 1] --out DIR
    proctor cai prefer   --judge M --chains DIR/chains.jsonl --out DIR
    proctor cai evaluate --judge M --chains DIR/chains.jsonl --out DIR
    proctor cai run      --policy M [--critic M] [--judge M] --limit 20 --out DIR      (all three stages)

Models are inspect names (openai-api/local/NAME with OPENAI_API_BASE..., hf/PATH, vllm/..., mockllm/model).
Every command takes `--json` (one JSON object, last line of stdout). Model text is never printed raw.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..jsonout import emit_json

cai_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Constitutional AI: critique -> revision, AI preference labels, harmlessness change.")
out = Console(highlight=False, soft_wrap=True)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
ConstOpt = Annotated[Optional[str], typer.Option("--constitution", help="default, a TOML file, or cai-paper[:DIR].")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (files and inspect logs).")]
PromptsDirOpt = Annotated[Optional[Path], typer.Option("--prompt-templates", help="Folder overriding prompt "
                                                                                  "templates (*.jinja) by name.")]
SeedOpt = Annotated[int, typer.Option(help="Seed of principle sampling and A/B order.")]
CacheOpt = Annotated[bool, typer.Option("--cache/--no-cache", help="inspect's response cache (resume).")]
ConnOpt = Annotated[Optional[int], typer.Option(help="Concurrent samples (inspect max_samples).")]


def safe(text: object, limit: int = 200) -> str:
    s = _CONTROL.sub("", str(text))
    return escape(s if len(s) <= limit else s[:limit] + "...")


def _config(cache: bool):
    from proctor.llm import generate_config

    return generate_config(cache=cache, max_retries=3)


def _constitution(spec):
    from .constitution import resolve_constitution

    return resolve_constitution(spec)


@cai_app.command()
def principles(constitution: ConstOpt = None, as_json: JsonOpt = False):
    """List a constitution's critique/revision and comparison principles."""
    c = _constitution(constitution)
    out.print(f"{safe(c.name)}: {len(c.principle)} critique/revision principles, {len(c.comparison)} comparison "
              f"principles, {len(c.few_shot)} few-shot examples")
    for p in c.principle:
        out.print(f"  [bold]{safe(p.id)}[/] {safe(p.critique, 110)}")
    for p in c.comparison:
        out.print(f"  [bold]{safe(p.id)}[/] {safe(p.text, 110)}")
    if as_json:
        emit_json({"constitution": c.name, "principles": [p.id for p in c.principle],
                   "comparisons": [p.id for p in c.comparison], "few_shot": len(c.few_shot)})


def _print_revise(s: dict) -> None:
    out.print(f"{s['prompts']} prompts, {s['rounds']} round(s): {s['complete']} complete chains, "
              f"{s['invalid_critique']} invalid critiques, {s['invalid_revision']} invalid revisions, "
              f"{s['failed']} failed; {s['sft_rows']} SFT rows -> {escape(s['sft'])}")


def _print_prefer(s: dict) -> None:
    out.print(f"{s['pairs']} pairs: {s['valid']} valid verdicts, {s['invalid']} invalid, {s['failed']} failed; "
              f"revision preferred in {s['prefer_second']}; {s['preference_rows']} rows -> "
              f"{escape(s['preferences'])}")


def _fmt(x) -> str:
    return "undefined" if x is None or x != x else f"{x:+.2f}"


def _print_eval(s: dict) -> None:
    for rubric in ("harmless", "helpful"):
        r = s[rubric]
        out.print(f"{rubric}: change {_fmt(r['change'])} (95% CI {_fmt(r['ci'][0])} .. {_fmt(r['ci'][1])}) over "
                  f"{r['n']} prompts; {r['invalid']} invalid ratings")


@cai_app.command()
def revise(
    policy: Annotated[str, typer.Option(help="Model that answers and revises (role policy).")],
    critic: Annotated[Optional[str], typer.Option(help="Model that critiques (role critic; default: policy).")] = None,
    prompts: Annotated[str, typer.Option(help="'hh' (HH-RLHF red-team turns) or a JSONL file with 'prompt'.")] = "hh",
    limit: Annotated[Optional[int], typer.Option(min=1, help="Number of prompts (seeded sample).")] = 20,
    rounds: Annotated[int, typer.Option(min=1, help="Critique/revision rounds.")] = 1,
    constitution: ConstOpt = None, out_dir: OutOpt = Path("cai-out"), prompt_templates: PromptsDirOpt = None,
    seed: SeedOpt = 0, cache: CacheOpt = True, max_samples: ConnOpt = None, as_json: JsonOpt = False,
):
    """Supervised stage: reply -> critique under a sampled principle -> revision, for n rounds."""
    from .pipeline import revise as run_revise
    from .redteam import load_prompts

    s = run_revise(load_prompts(prompts, limit, seed), _constitution(constitution), policy, critic or policy,
                   out_dir, rounds, seed, prompt_templates, _config(cache), max_samples)
    _print_revise(s)
    if as_json:
        emit_json(s)


@cai_app.command()
def prefer(
    judge: Annotated[str, typer.Option(help="AI judge model (role judge).")],
    chains: Annotated[Optional[Path], typer.Option(help="chains.jsonl written by `revise` (first reply vs "
                                                        "revision).")] = None,
    pairs: Annotated[Optional[Path], typer.Option(help="Or a JSONL file with prompt, response_a, response_b.")] = None,
    constitution: ConstOpt = None, out_dir: OutOpt = Path("cai-out"), prompt_templates: PromptsDirOpt = None,
    seed: SeedOpt = 0, cache: CacheOpt = True, max_samples: ConnOpt = None,
    logprobs: Annotated[bool, typer.Option("--logprobs/--no-logprobs", help="Ask for token log-probabilities.")] = True,
    as_json: JsonOpt = False,
):
    """RL stage data: the judge compares two replies (first reply vs revision, or a pairs file) under a sampled
    comparison principle."""
    from ..errors import ConfigError
    from .export import read_chains, read_pairs
    from .pipeline import prefer as run_prefer

    if (chains is None) == (pairs is None):
        raise ConfigError("give exactly one of --chains and --pairs")
    rows = read_chains(chains) if chains is not None else read_pairs(pairs)
    s = run_prefer(rows, _constitution(constitution), judge, out_dir, seed, prompt_templates,
                   _config(cache), max_samples, logprobs)
    _print_prefer(s)
    if as_json:
        emit_json(s)


@cai_app.command()
def evaluate(
    judge: Annotated[str, typer.Option(help="Harmlessness / helpfulness judge model (role judge).")],
    chains: Annotated[Path, typer.Option(help="chains.jsonl written by `revise`.")],
    out_dir: OutOpt = Path("cai-out"), prompt_templates: PromptsDirOpt = None, seed: SeedOpt = 0,
    cache: CacheOpt = True, max_samples: ConnOpt = None, as_json: JsonOpt = False,
):
    """Harmlessness and helpfulness before vs after revision, paired change with bootstrap CIs."""
    from .export import read_chains
    from .pipeline import evaluate as run_evaluate

    s = run_evaluate(read_chains(chains), judge, out_dir, seed, prompt_templates, _config(cache), max_samples)
    _print_eval(s)
    if as_json:
        emit_json(s)


@cai_app.command("run")
def run_all(
    policy: Annotated[str, typer.Option(help="Model that answers and revises (role policy).")],
    critic: Annotated[Optional[str], typer.Option(help="Critic model (default: policy).")] = None,
    judge: Annotated[Optional[str], typer.Option(help="Judge model (default: critic).")] = None,
    prompts: Annotated[str, typer.Option(help="'hh' or a JSONL file with 'prompt'.")] = "hh",
    limit: Annotated[Optional[int], typer.Option(min=1, help="Number of prompts.")] = 20,
    rounds: Annotated[int, typer.Option(min=1, help="Critique/revision rounds.")] = 1,
    constitution: ConstOpt = None, out_dir: OutOpt = Path("cai-out"), prompt_templates: PromptsDirOpt = None,
    seed: SeedOpt = 0, cache: CacheOpt = True, max_samples: ConnOpt = None, as_json: JsonOpt = False,
):
    """All three stages: revise, prefer, evaluate."""
    from .export import read_chains
    from .pipeline import evaluate as run_evaluate, prefer as run_prefer, revise as run_revise
    from .redteam import load_prompts

    c, cfg = _constitution(constitution), _config(cache)
    critic = critic or policy
    judge = judge or critic
    s1 = run_revise(load_prompts(prompts, limit, seed), c, policy, critic, out_dir, rounds, seed, prompt_templates,
                    cfg, max_samples)
    _print_revise(s1)
    rows = read_chains(Path(out_dir) / "chains.jsonl")
    s2 = s3 = None
    if s1["complete"]:
        s2 = run_prefer(rows, c, judge, out_dir, seed, prompt_templates, cfg, max_samples)
        _print_prefer(s2)
        s3 = run_evaluate(rows, judge, out_dir, seed, prompt_templates, cfg, max_samples)
        _print_eval(s3)
    else:
        out.print("no complete revision chain: preference and evaluation stages skipped")
    if as_json:
        emit_json({"revise": s1, "prefer": s2, "evaluate": s3})
