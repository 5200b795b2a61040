"""`proctor cai ...`: Constitutional AI (Bai et al. 2022) on any inspect-ai model (mounted by the main CLI as `cai`).
Options default to the spec's (proctor.constitution.spec.CAISpec).

    proctor cai principles [--constitution default|FILE.toml|cai-paper[:DIR]]
    proctor cai revise   --policy M [--critic M] [--prompts hh|FILE.jsonl] [--limit 20] [--rounds 1] --out DIR
    proctor cai sample   --policy M [--prompts hh|FILE.jsonl] [--limit 20] [--temperature 1] --out DIR
    proctor cai prefer   --judge M --pairs DIR/pairs.jsonl --out DIR       (or --chains DIR/chains.jsonl)
    proctor cai evaluate --judge M --chains DIR/chains.jsonl --out DIR
    proctor cai run      --policy M [--critic M] [--judge M] --limit 20 [--pairs samples|revision] [--out RUN_DIR]

`run` is the experiment as a one-experiment suite (resumable with the same `--out`, reported like `proctor run`; its
files go under RUN_DIR/cai/<title>/); `revise`, `sample`, `prefer` and `evaluate` run one stage each into `--out DIR`.
The RL stage's pairs are two samples per prompt (Bai et al. 2022, Section 4: `sample`, then `prefer --pairs`), or
with `--pairs revision` / `prefer --chains` each chain's first reply vs its final revision.
Models are inspect names (openai-api/local/NAME with OPENAI_API_BASE..., hf/PATH, vllm/..., mockllm/model).
Every command takes `--json` (one JSON object, last line of stdout). Model text is never printed raw.

Model calls give up after --max-retries retries, --timeout seconds in all or --attempt-timeout seconds per attempt
(finite defaults). A run in which no sample finished exits 2 with the endpoint's error; one in which some failed
exits 2 counting them, writing nothing (rerun to retry only those), unless --allow-failures reports the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..options import spec_option
from .spec import CAISpec

cai_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Constitutional AI: critique -> revision, AI preference labels, harmlessness change.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
ConstOpt = Annotated[Optional[str], spec_option(CAISpec, "constitution")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (files and inspect logs).")]
PromptsDirOpt = Annotated[Optional[Path], spec_option(CAISpec, "prompt_templates")]
SeedOpt = Annotated[Optional[int], spec_option(CAISpec, "seed")]
CacheOpt = Annotated[Optional[bool], spec_option(CAISpec, "cache", "--cache/--no-cache")]
ConnOpt = Annotated[Optional[int], spec_option(CAISpec, "max_samples")]
PolicyOpt = Annotated[str, spec_option(CAISpec, "policy")]
CriticOpt = Annotated[Optional[str], spec_option(CAISpec, "critic")]
PromptsOpt = Annotated[Optional[str], spec_option(CAISpec, "prompts")]
LimitOpt = Annotated[Optional[int], spec_option(CAISpec, "limit", min=1)]
RoundsOpt = Annotated[Optional[int], spec_option(CAISpec, "rounds", min=1)]
RetriesOpt = Annotated[Optional[int], spec_option(CAISpec, "max_retries", min=0, max=100)]
TimeoutOpt = Annotated[Optional[int], spec_option(CAISpec, "timeout", min=1, max=86_400)]
AttemptOpt = Annotated[Optional[int], spec_option(CAISpec, "attempt_timeout", min=1, max=86_400)]
AllowOpt = Annotated[Optional[bool], spec_option(CAISpec, "allow_failures", "--allow-failures")]


def _or_default(name: str, value):
    """An option's value, or the spec's default where it was not given."""
    from ..options import spec_default

    return spec_default(CAISpec, name) if value is None else value


def _config(cache: bool | None, max_retries: int | None, timeout: int | None, attempt_timeout: int | None):
    from proctor.llm import generate_config

    return generate_config(cache=_or_default("cache", cache), max_retries=_or_default("max_retries", max_retries),
                           timeout=_or_default("timeout", timeout),
                           attempt_timeout=_or_default("attempt_timeout", attempt_timeout))


def _constitution(name: str | None):
    from .constitution import resolve_constitution

    return resolve_constitution(_or_default("constitution", name))


def _templates(path: Path | None) -> str | None:
    return None if path is None else str(path)


@cai_app.command()
def principles(constitution: ConstOpt = None, as_json: JsonOpt = False):
    """List a constitution's critique/revision and comparison principles."""
    from ..jsonout import emit_json
    from ..term import out, safe

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
    from ..term import out, safe

    out.print(f"{s['prompts']} prompts, {s['rounds']} round(s): {s['complete']} complete chains, "
              f"{s['invalid_critique']} invalid critiques, {s['invalid_revision']} invalid revisions, "
              f"{s['failed']} failed; {s['sft_rows']} SFT rows -> {safe(s['sft'], 1000)}")


def _print_prefer(s: dict) -> None:
    from ..term import out, safe

    second = "revision" if s.get("pairing", "revision") == "revision" else "second reply"
    out.print(f"{s['pairs']} pairs: {s['valid']} valid verdicts, {s['invalid']} invalid, {s['failed']} failed; "
              f"{second} preferred in {s['prefer_second']}; {s['preference_rows']} rows -> "
              f"{safe(s['preferences'], 1000)}")


def _print_sample(s: dict) -> None:
    from ..term import out, safe

    out.print(f"{s['prompts']} prompts sampled twice: {s['pairs']} pairs, {s['identical']} identical, "
              f"{s['no_response']} with an empty sample, {s['failed']} failed -> {safe(s['pairs_file'], 1000)}")


def _print_eval(s: dict) -> None:
    from ..term import fmt_num, out

    for rubric in ("harmless", "helpful"):
        r = s[rubric]
        out.print(f"{rubric}: change {fmt_num(r['change'], 2, signed=True)} (95% CI "
                  f"{fmt_num(r['ci'][0], 2, signed=True)} .. {fmt_num(r['ci'][1], 2, signed=True)}) over "
                  f"{r['n']} prompts; {r['invalid']} invalid ratings")


@cai_app.command()
def revise(
    policy: PolicyOpt, critic: CriticOpt = None, prompts: PromptsOpt = None, limit: LimitOpt = None,
    rounds: RoundsOpt = None, constitution: ConstOpt = None, out_dir: OutOpt = Path("cai-out"),
    prompt_templates: PromptsDirOpt = None, seed: SeedOpt = None, cache: CacheOpt = None, max_samples: ConnOpt = None,
    max_retries: RetriesOpt = None, timeout: TimeoutOpt = None, attempt_timeout: AttemptOpt = None,
    allow_failures: AllowOpt = None, as_json: JsonOpt = False,
):
    """Supervised stage: reply -> critique under a sampled principle -> revision, for n rounds."""
    from ..jsonout import emit_json
    from ..options import check_out_dir, spec_from_options
    from .experiment import revise as run_revise
    from .experiment import spec_config
    from .redteam import load_prompts

    check_out_dir(out_dir)
    spec = spec_from_options(CAISpec, policy=policy, critic=critic, prompts=prompts, limit=limit, rounds=rounds,
                             constitution=constitution, seed=seed, prompt_templates=_templates(prompt_templates),
                             cache=cache, max_samples=max_samples, max_retries=max_retries, timeout=timeout,
                             attempt_timeout=attempt_timeout, allow_failures=allow_failures)
    s = run_revise(load_prompts(spec.prompts, spec.limit, spec.seed), _constitution(spec.constitution), spec.policy,
                   critic=spec.critic or spec.policy, out=out_dir, rounds=spec.rounds, seed=spec.seed,
                   prompts_dir=spec.prompt_templates, config=spec_config(spec), max_samples=spec.max_samples,
                   allow_failures=spec.allow_failures)
    _print_revise(s)
    if as_json:
        emit_json(s)


@cai_app.command()
def sample(
    policy: Annotated[str, spec_option(CAISpec, "policy", help="Model sampled twice per prompt (role policy; the "
                                       "paper's SL-CAI model, e.g. the policy fine-tuned on sft.jsonl).")],
    prompts: PromptsOpt = None, limit: LimitOpt = None,
    temperature: Annotated[Optional[float], spec_option(CAISpec, "temperature", gt=0, max=2)] = None,
    out_dir: OutOpt = Path("cai-out"), prompt_templates: PromptsDirOpt = None, seed: SeedOpt = None,
    cache: CacheOpt = None, max_samples: ConnOpt = None, max_retries: RetriesOpt = None, timeout: TimeoutOpt = None,
    attempt_timeout: AttemptOpt = None, allow_failures: AllowOpt = None, as_json: JsonOpt = False,
):
    """RL-stage pairs (Bai et al. 2022, Section 4): two replies sampled per prompt -> OUT/pairs.jsonl, the input of
    `prefer --pairs`."""
    from ..jsonout import emit_json
    from ..options import check_out_dir, spec_from_options
    from .experiment import sample as run_sample
    from .experiment import spec_config
    from .redteam import load_prompts

    check_out_dir(out_dir)
    spec = spec_from_options(CAISpec, policy=policy, sampler=policy, prompts=prompts, limit=limit,
                             temperature=temperature, seed=seed, prompt_templates=_templates(prompt_templates),
                             cache=cache, max_samples=max_samples, max_retries=max_retries, timeout=timeout,
                             attempt_timeout=attempt_timeout, allow_failures=allow_failures)
    s = run_sample(load_prompts(spec.prompts, spec.limit, spec.seed), spec.sampler, out=out_dir, seed=spec.seed,
                   temperature=spec.temperature, prompts_dir=spec.prompt_templates, config=spec_config(spec),
                   max_samples=spec.max_samples, allow_failures=spec.allow_failures)
    _print_sample(s)
    if as_json:
        emit_json(s)


@cai_app.command()
def prefer(
    judge: Annotated[str, spec_option(CAISpec, "judge", help="AI judge model (role judge).")],
    chains: Annotated[Optional[Path], typer.Option(help="chains.jsonl written by `revise` (first reply vs "
                                                        "revision).")] = None,
    pairs: Annotated[Optional[Path], typer.Option(help="Or a JSONL file with prompt, response_a, response_b (e.g. "
                                                       "pairs.jsonl written by `sample`).")] = None,
    constitution: ConstOpt = None, out_dir: OutOpt = Path("cai-out"), prompt_templates: PromptsDirOpt = None,
    seed: SeedOpt = None, cache: CacheOpt = None, max_samples: ConnOpt = None,
    logprobs: Annotated[bool, typer.Option("--logprobs/--no-logprobs", help="Ask for token log-probabilities.")] = True,
    max_retries: RetriesOpt = None, timeout: TimeoutOpt = None, attempt_timeout: AttemptOpt = None,
    allow_failures: AllowOpt = None, as_json: JsonOpt = False,
):
    """RL stage data: the judge compares two replies (first reply vs revision, or a pairs file) under a sampled
    comparison principle."""
    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..options import check_out_dir
    from .experiment import prefer as run_prefer
    from .export import read_chains, read_pairs

    check_out_dir(out_dir)
    if (chains is None) == (pairs is None):
        raise ConfigError("give exactly one of --chains and --pairs")
    rows = read_chains(chains) if chains is not None else read_pairs(pairs)
    s = run_prefer(rows, _constitution(constitution), judge, out=out_dir, seed=_or_default("seed", seed),
                   prompts_dir=_templates(prompt_templates),
                   config=_config(cache, max_retries, timeout, attempt_timeout), max_samples=max_samples,
                   logprobs=logprobs, allow_failures=_or_default("allow_failures", allow_failures),
                   pairing="revision" if chains is not None else "file")
    _print_prefer(s)
    if as_json:
        emit_json(s)


@cai_app.command()
def evaluate(
    judge: Annotated[str, spec_option(CAISpec, "judge", help="Harmlessness / helpfulness judge model (role judge).")],
    chains: Annotated[Path, typer.Option(help="chains.jsonl written by `revise`.")],
    out_dir: OutOpt = Path("cai-out"), prompt_templates: PromptsDirOpt = None, seed: SeedOpt = None,
    cache: CacheOpt = None, max_samples: ConnOpt = None, max_retries: RetriesOpt = None, timeout: TimeoutOpt = None,
    attempt_timeout: AttemptOpt = None, allow_failures: AllowOpt = None, as_json: JsonOpt = False,
):
    """Harmlessness and helpfulness before vs after revision, paired change with bootstrap CIs."""
    from ..jsonout import emit_json
    from ..options import check_out_dir
    from .experiment import evaluate as run_evaluate
    from .export import read_chains

    check_out_dir(out_dir)
    s = run_evaluate(read_chains(chains), judge, out=out_dir, seed=_or_default("seed", seed),
                     prompts_dir=_templates(prompt_templates),
                     config=_config(cache, max_retries, timeout, attempt_timeout), max_samples=max_samples,
                     allow_failures=_or_default("allow_failures", allow_failures))
    _print_eval(s)
    if as_json:
        emit_json(s)


@cai_app.command("run")
def run_all(
    policy: PolicyOpt, critic: CriticOpt = None,
    judge: Annotated[Optional[str], spec_option(CAISpec, "judge")] = None,
    prompts: PromptsOpt = None, limit: LimitOpt = None, rounds: RoundsOpt = None, constitution: ConstOpt = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the "
                                                                  "spec).")] = None,
    prompt_templates: PromptsDirOpt = None, seed: SeedOpt = None, cache: CacheOpt = None, max_samples: ConnOpt = None,
    max_retries: RetriesOpt = None, timeout: TimeoutOpt = None, attempt_timeout: AttemptOpt = None,
    allow_failures: AllowOpt = None,
    pairs: Annotated[Optional[str], spec_option(CAISpec, "pairs")] = None,
    sampler: Annotated[Optional[str], spec_option(CAISpec, "sampler")] = None,
    temperature: Annotated[Optional[float], spec_option(CAISpec, "temperature", gt=0, max=2)] = None,
    as_json: JsonOpt = False,
):
    """Every stage: revise, sample (with --pairs samples), prefer, evaluate (a resumable run with a report)."""
    from ..jsonout import emit_json
    from ..options import check_out_dir, spec_from_options
    from ..runs.executor import run_one
    from ..term import err, out, safe

    check_out_dir(out_dir)
    spec = spec_from_options(CAISpec, policy=policy, critic=critic, judge=judge, prompts=prompts, limit=limit,
                             rounds=rounds, constitution=constitution, seed=seed,
                             prompt_templates=_templates(prompt_templates), cache=cache, max_samples=max_samples,
                             max_retries=max_retries, timeout=timeout, attempt_timeout=attempt_timeout,
                             allow_failures=allow_failures, pairs=pairs, sampler=sampler, temperature=temperature)
    summary, run_dir = run_one(spec, out_dir, err)
    s1, sp, s2, s3 = summary["revise"], summary.get("sample"), summary["prefer"], summary["evaluate"]
    _print_revise(s1)
    if sp is not None:
        _print_sample(sp)
    if s2 is not None:
        _print_prefer(s2)
    else:
        out.print("no pair to compare: preference stage skipped" if spec.pairs == "samples" else
                  "no complete revision chain: preference stage skipped")
    if s3 is not None:
        _print_eval(s3)
    else:
        out.print("no complete revision chain: evaluation stage skipped")
    from ..llm.mock import is_scripted

    if is_scripted(*(m for m in (spec.policy, spec.critic, spec.judge, spec.sampler) if m)):
        out.print("scripted models: a check of the machinery, not a measurement of any model (proctor.llm.scripted)")
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        emit_json({"revise": s1, "sample": sp, "prefer": s2, "evaluate": s3, "run_dir": str(run_dir),
                   "report": str(run_dir / "report.html")})
