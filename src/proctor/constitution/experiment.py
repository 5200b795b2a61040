"""The CAI experiment: the three stages, each writing its files into one output folder, and the runner that does all
three as one unit of a run store (files under RUN_DIR/cai/<title>/; inspect's response cache makes a killed unit
cheap to redo):

    revise    prompts -> chains.jsonl (whole chains) + sft.jsonl (TRL `messages`)        roles policy, critic
    sample    prompts -> pairs.jsonl (two replies per prompt; pairs = "samples")            role policy (sampler)
    prefer    pairs (or chains) -> preferences.jsonl (TRL `prompt`/`chosen`/`rejected` + judge_probability)  judge
    evaluate  chains  -> ratings.jsonl + the harmlessness / helpfulness change with CIs             role judge

The RL stage's pairs follow Bai et al. (2022, Section 4) by default: two samples per prompt, compared by the judge
(`pairs = "samples"`); `pairs = "revision"` compares each chain's first reply with its final revision instead.

Inspect logs go to OUT/logs; with the response cache on (default), rerunning a stage re-sends only unfinished calls.
`proctor cai revise | sample | prefer | evaluate` run one stage each; `proctor cai run` and suites run the unit.

A stage in which every sample failed (a dead endpoint) is a one-line ModelError with the endpoint's error; one in
which some failed is an error counting them, unless `allow_failures` (then they are counted in the summary). Either
way the error comes before the stage writes its files, and a suite unit that raised is not stored.
"""

from __future__ import annotations

from pathlib import Path

from proctor.errors import DataError

from .constitution import Constitution
from .spec import CAISpec

__all__ = ["check", "evaluate", "prefer", "revise", "run", "run_stages", "sample", "spec_config", "unit_config"]


def _run(task, roles: dict, out: Path, *, config=None, max_samples=None, what: str, allow_failures: bool = False):
    from proctor.llm import run_task
    from proctor.llm.run import check_run

    run = run_task(task, roles, log_dir=out / "logs", config=config, max_samples=max_samples)
    note = check_run(run, what, allow_failures=allow_failures)
    if note:
        from proctor.term import err, safe

        err.print(f"[yellow]warning:[/] {safe(note, 1000)}")
    return run


def revise(prompts: list[dict], constitution: Constitution, policy, *, critic, out: str | Path, rounds: int = 1,
           seed: int = 0, prompts_dir=None, config=None, max_samples=None, allow_failures: bool = False) -> dict:
    """Supervised stage: reply -> critique under a sampled principle -> revision, `rounds` times per prompt."""
    from proctor.llm import write_jsonl

    from .critique import chains_from_run, revision_summary, revision_task
    from .export import sft_rows, write_chains

    out = Path(out)
    if not prompts:
        raise DataError("no prompts to revise")
    run = _run(revision_task(prompts, constitution, rounds, seed, prompts_dir), {"policy": policy, "critic": critic},
               out, config=config, max_samples=max_samples, what="cai revise", allow_failures=allow_failures)
    chains = chains_from_run(run)
    write_chains(chains, out / "chains.jsonl")
    n_sft = write_jsonl(sft_rows(chains), out / "sft.jsonl")
    return {"stage": "revise", "constitution": constitution.name, "rounds": rounds, "seed": seed,
            **revision_summary(chains), "sft_rows": n_sft, "chains": str(out / "chains.jsonl"),
            "sft": str(out / "sft.jsonl"), "log": run.location}


def sample(prompts: list[dict], policy, *, out: str | Path, seed: int = 0, temperature: float = 1.0,
           prompts_dir=None, config=None, max_samples=None, allow_failures: bool = False) -> dict:
    """RL-stage pairs as in Bai et al. (2022, Section 4): two replies sampled per prompt from `policy` (the sampler)
    -> pairs.jsonl (`prompt`, `response_a`, `response_b`, `id`: the input of `prefer`)."""
    from proctor.llm import write_jsonl

    from .preference import pairs_from_run, sampling_task

    out = Path(out)
    if not prompts:
        raise DataError("no prompts to sample")
    run = _run(sampling_task(prompts, seed, temperature, prompts_dir), {"policy": policy}, out, config=config,
               max_samples=max_samples, what="cai sample", allow_failures=allow_failures)
    items, counts = pairs_from_run(run)
    write_jsonl(items, out / "pairs.jsonl")
    return {"stage": "sample", "seed": seed, "temperature": temperature, **counts,
            "pairs_file": str(out / "pairs.jsonl"), "log": run.location}


def prefer(chain_rows: list[dict], constitution: Constitution, judge, *, out: str | Path, seed: int = 0,
           prompts_dir=None, config=None, max_samples=None, logprobs: bool = True,
           allow_failures: bool = False, pairing: str = "revision") -> dict:
    """RL-stage data: the judge compares two replies under a sampled principle: a chain's first reply and its final
    revision (chain rows, `pairing` "revision"), or the two replies of pair rows ("samples": two samples of the
    policy; "file": a user's pairs)."""
    from proctor.llm import write_jsonl

    from .export import preference_rows, revision_pairs
    from .preference import comparison_task, preference_summary, preferences_from_run

    out = Path(out)
    items = revision_pairs(chain_rows)
    if not items:
        raise DataError("no pairs to compare (no two distinct samples of a prompt)" if pairing == "samples" else
                        "no complete revision chains to compare (every chain stopped early or failed)")
    run = _run(comparison_task(items, constitution, seed, prompts_dir, logprobs=logprobs), {"judge": judge}, out,
               config=config, max_samples=max_samples, what="cai prefer", allow_failures=allow_failures)
    prefs = preferences_from_run(run)
    from proctor.llm.mock import is_scripted

    n = write_jsonl(preference_rows(prefs, scripted=is_scripted(judge)), out / "preferences.jsonl")
    summary = preference_summary(prefs)
    out_summary = {"stage": "prefer", "constitution": constitution.name, "seed": seed, "pairing": pairing, **summary,
                   "preference_rows": n, "preferences": str(out / "preferences.jsonl"), "log": run.location}
    if pairing == "revision":  # "prefer_second" then counts pairs where the judge preferred the revision
        out_summary["revision_preferred_rate"] = summary["prefer_second"] / max(1, summary["valid"])
    return out_summary


def evaluate(chain_rows: list[dict], judge, *, out: str | Path, seed: int = 0, prompts_dir=None, config=None,
             max_samples=None, allow_failures: bool = False) -> dict:
    """Harmlessness and helpfulness (1-7) of the first reply and the final revision; paired change with CIs."""
    from proctor.llm import write_jsonl

    from .evaluate import evaluation_summary, rating_task, ratings_from_run

    out = Path(out)
    chains = [r for r in chain_rows if r.get("final") and r.get("initial")]
    if not chains:
        raise DataError("no complete revision chains to rate (every chain stopped early or failed)")
    run = _run(rating_task(chains, prompts_dir), {"judge": judge}, out, config=config, max_samples=max_samples,
               what="cai evaluate", allow_failures=allow_failures)
    ratings = ratings_from_run(run)
    write_jsonl(ratings, out / "ratings.jsonl")
    return {"stage": "evaluate", "chains": len(chains), "seed": seed, **evaluation_summary(ratings, seed),
            "ratings": str(out / "ratings.jsonl"), "log": run.location}


# -- the runner: one unit, the three stages ---------------------------------------------------------------------------
def unit_config(spec: CAISpec) -> dict:
    """The config of the experiment's unit (its hash is the unit's key in the store)."""
    return {"technique": "cai", **spec.model_dump(mode="json", exclude={"name", "type"})}


def check(spec: CAISpec) -> None:
    """The constitution, the prompts and an override folder of templates must load before the run directory is
    touched."""
    from ..llm.prompts import PromptTemplates
    from .constitution import resolve_constitution
    from .redteam import load_prompts

    PromptTemplates("proctor.constitution", spec.prompt_templates)

    resolve_constitution(spec.constitution)
    load_prompts(spec.prompts, spec.limit, spec.seed)


def run_stages(spec: CAISpec, out: str | Path, policy, *, critic, judge, config=None, sampler=None) -> dict:
    """The unit's work: every stage into `out` (models may be names or inspect Models; `sampler` defaults to
    `policy`). Preferences compare two samples per prompt (spec.pairs "samples", when some prompt gave two distinct
    ones) or first reply vs revision ("revision", when some chain completed); evaluation needs a complete chain."""
    from .constitution import resolve_constitution
    from .export import read_chains, read_pairs
    from .redteam import load_prompts

    c = resolve_constitution(spec.constitution)
    common = {"out": out, "seed": spec.seed, "prompts_dir": spec.prompt_templates, "config": config,
              "max_samples": spec.max_samples, "allow_failures": spec.allow_failures}
    prompts = load_prompts(spec.prompts, spec.limit, spec.seed)
    s1 = revise(prompts, c, policy, critic=critic, rounds=spec.rounds, **common)
    rows = read_chains(Path(out) / "chains.jsonl")
    if spec.pairs == "samples":
        s_pairs = sample(prompts, sampler if sampler is not None else policy, temperature=spec.temperature, **common)
        s2 = prefer(read_pairs(Path(out) / "pairs.jsonl"), c, judge, pairing="samples", **common) \
            if s_pairs["pairs"] else None
    else:
        s_pairs = None
        s2 = prefer(rows, c, judge, pairing="revision", **common) if s1["complete"] else None
    s3 = evaluate(rows, judge, **common) if s1["complete"] else None
    return {"revise": s1, "sample": s_pairs, "prefer": s2, "evaluate": s3}


def spec_config(spec: CAISpec):
    """The inspect GenerateConfig of every model call of the spec (response cache, retries, timeouts)."""
    from proctor.llm import generate_config

    return generate_config(cache=spec.cache, max_retries=spec.max_retries, timeout=spec.timeout,
                           attempt_timeout=spec.attempt_timeout)


def run(spec: CAISpec, store, on_unit) -> None:
    def compute():
        critic = spec.critic or spec.policy
        # RUN_DIR/cai/<title>: each part made a safe folder name, and checked to lie inside the run directory
        return run_stages(spec, store.subdir("cai", spec.title), spec.policy, critic=critic,
                          judge=spec.judge or critic, config=spec_config(spec),
                          sampler=spec.sampler or spec.policy), {}

    unit, computed = store.get_or_compute(spec.title, "pipeline", unit_config(spec), compute)
    on_unit("critique -> revision -> pairs -> preferences -> evaluation", unit, computed)
