"""The CAI experiment: the three stages, each writing its files into one output folder, and the runner that does all
three as one unit of a run store (files under RUN_DIR/cai/<title>/; inspect's response cache makes a killed unit
cheap to redo):

    revise    prompts -> chains.jsonl (whole chains) + sft.jsonl (TRL `messages`)        roles policy, critic
    prefer    chains  -> preferences.jsonl (TRL `prompt`/`chosen`/`rejected` + judge_probability)    role judge
    evaluate  chains  -> ratings.jsonl + the harmlessness / helpfulness change with CIs             role judge

Inspect logs go to OUT/logs; with the response cache on (default), rerunning a stage re-sends only unfinished calls.
`proctor cai revise | prefer | evaluate` run one stage each; `proctor cai run` and suites run the unit.
"""

from __future__ import annotations

from pathlib import Path

from proctor.errors import DataError

from .constitution import Constitution
from .spec import CAISpec

__all__ = ["check", "evaluate", "prefer", "revise", "run", "run_stages", "unit_config"]


def _run(task, roles: dict, out: Path, config=None, max_samples=None):
    from proctor.llm import run_task

    return run_task(task, roles, log_dir=out / "logs", config=config, max_samples=max_samples)


def revise(prompts: list[dict], constitution: Constitution, policy, *, critic, out: str | Path, rounds: int = 1,
           seed: int = 0, prompts_dir=None, config=None, max_samples=None) -> dict:
    """Supervised stage: reply -> critique under a sampled principle -> revision, `rounds` times per prompt."""
    from proctor.llm import write_jsonl

    from .critique import chains_from_run, revision_summary, revision_task
    from .export import sft_rows, write_chains

    out = Path(out)
    if not prompts:
        raise DataError("no prompts to revise")
    run = _run(revision_task(prompts, constitution, rounds, seed, prompts_dir), {"policy": policy, "critic": critic},
               out, config, max_samples)
    chains = chains_from_run(run)
    write_chains(chains, out / "chains.jsonl")
    n_sft = write_jsonl(sft_rows(chains), out / "sft.jsonl")
    return {"stage": "revise", "constitution": constitution.name, "rounds": rounds, "seed": seed,
            **revision_summary(chains), "sft_rows": n_sft, "chains": str(out / "chains.jsonl"),
            "sft": str(out / "sft.jsonl"), "log": run.location}


def prefer(chain_rows: list[dict], constitution: Constitution, judge, *, out: str | Path, seed: int = 0,
           prompts_dir=None, config=None, max_samples=None, logprobs: bool = True) -> dict:
    """RL-stage data: the judge compares first reply and revision (or two given replies) under a sampled principle."""
    from proctor.llm import write_jsonl

    from .export import preference_rows, revision_pairs
    from .preference import comparison_task, preference_summary, preferences_from_run

    out = Path(out)
    items = revision_pairs(chain_rows)
    if not items:
        raise DataError("no complete revision chains to compare (every chain stopped early or failed)")
    run = _run(comparison_task(items, constitution, seed, prompts_dir, logprobs=logprobs), {"judge": judge}, out,
               config, max_samples)
    prefs = preferences_from_run(run)
    n = write_jsonl(preference_rows(prefs), out / "preferences.jsonl")
    summary = preference_summary(prefs)
    return {"stage": "prefer", "constitution": constitution.name, "seed": seed, **summary,
            "preference_rows": n, "preferences": str(out / "preferences.jsonl"), "log": run.location,
            # "prefer_second" counts pairs where the judge preferred the revision over the first reply
            "revision_preferred_rate": summary["prefer_second"] / max(1, summary["valid"])}


def evaluate(chain_rows: list[dict], judge, *, out: str | Path, seed: int = 0, prompts_dir=None, config=None,
             max_samples=None) -> dict:
    """Harmlessness and helpfulness (1-7) of the first reply and the final revision; paired change with CIs."""
    from proctor.llm import write_jsonl

    from .evaluate import evaluation_summary, rating_task, ratings_from_run

    out = Path(out)
    chains = [r for r in chain_rows if r.get("final") and r.get("initial")]
    if not chains:
        raise DataError("no complete revision chains to rate (every chain stopped early or failed)")
    run = _run(rating_task(chains, prompts_dir), {"judge": judge}, out, config, max_samples)
    ratings = ratings_from_run(run)
    write_jsonl(ratings, out / "ratings.jsonl")
    return {"stage": "evaluate", "chains": len(chains), "seed": seed, **evaluation_summary(ratings, seed),
            "ratings": str(out / "ratings.jsonl"), "log": run.location}


# -- the runner: one unit, the three stages ---------------------------------------------------------------------------
def unit_config(spec: CAISpec) -> dict:
    """The config of the experiment's unit (its hash is the unit's key in the store)."""
    return {"technique": "cai", **spec.model_dump(mode="json", exclude={"name", "type"})}


def check(spec: CAISpec) -> None:
    """The constitution and the prompts must load before the run directory is touched."""
    from .constitution import resolve_constitution
    from .redteam import load_prompts

    resolve_constitution(spec.constitution)
    load_prompts(spec.prompts, spec.limit, spec.seed)


def run_stages(spec: CAISpec, out: str | Path, policy, critic, judge, config=None) -> dict:
    """The unit's work: all three stages into `out` (models may be names or inspect Models); preference and
    evaluation only when some revision chain completed."""
    from .constitution import resolve_constitution
    from .export import read_chains
    from .redteam import load_prompts

    c = resolve_constitution(spec.constitution)
    common = {"out": out, "seed": spec.seed, "prompts_dir": spec.prompt_templates, "config": config,
              "max_samples": spec.max_samples}
    s1 = revise(load_prompts(spec.prompts, spec.limit, spec.seed), c, policy, critic=critic, rounds=spec.rounds,
                **common)
    rows = read_chains(Path(out) / "chains.jsonl")
    s2 = prefer(rows, c, judge, **common) if s1["complete"] else None
    s3 = evaluate(rows, judge, **common) if s1["complete"] else None
    return {"revise": s1, "prefer": s2, "evaluate": s3}


def run(spec: CAISpec, store, on_unit) -> None:
    def compute():
        from proctor.llm import generate_config

        critic = spec.critic or spec.policy
        return run_stages(spec, store.run_dir / "cai" / spec.title, spec.policy, critic, spec.judge or critic,
                          generate_config(cache=spec.cache, max_retries=3)), {}

    unit, computed = store.get_or_compute(spec.title, "pipeline", unit_config(spec), compute)
    on_unit("critique -> revision -> preferences -> evaluation", unit, computed)
