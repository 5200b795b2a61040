"""The three CAI stages end to end, each writing its files into one output folder:

    revise    prompts -> chains.jsonl (whole chains) + sft.jsonl (TRL `messages`)        roles policy, critic
    prefer    chains  -> preferences.jsonl (TRL `prompt`/`chosen`/`rejected` + judge_probability)    role judge
    evaluate  chains  -> ratings.jsonl + the harmlessness / helpfulness change with CIs             role judge

Inspect logs go to OUT/logs; with the response cache on (default), rerunning a stage re-sends only unfinished calls.
"""

from __future__ import annotations

from pathlib import Path

from proctor.errors import DataError

from .constitution import Constitution

__all__ = ["revise", "prefer", "evaluate"]


def _run(task, roles: dict, out: Path, config=None, max_samples=None):
    from proctor.llm import run_task

    return run_task(task, roles, log_dir=out / "logs", config=config, max_samples=max_samples)


def revise(prompts: list[dict], constitution: Constitution, policy, critic, out: str | Path, rounds: int = 1,
           seed: int = 0, prompts_dir=None, config=None, max_samples=None) -> dict:
    from .critique import chains_from_run, revision_summary, revision_task
    from .export import sft_rows, write_chains

    out = Path(out)
    if not prompts:
        raise DataError("no prompts to revise")
    run = _run(revision_task(prompts, constitution, rounds, seed, prompts_dir), {"policy": policy, "critic": critic},
               out, config, max_samples)
    chains = chains_from_run(run)
    from proctor.llm import write_jsonl

    write_chains(chains, out / "chains.jsonl")
    n_sft = write_jsonl(sft_rows(chains), out / "sft.jsonl")
    return {"stage": "revise", "constitution": constitution.name, "rounds": rounds, "seed": seed,
            **revision_summary(chains), "sft_rows": n_sft, "chains": str(out / "chains.jsonl"),
            "sft": str(out / "sft.jsonl"), "log": run.location}


def prefer(chain_rows: list[dict], constitution: Constitution, judge, out: str | Path, seed: int = 0,
           prompts_dir=None, config=None, max_samples=None, logprobs: bool = True) -> dict:
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
    return {"stage": "prefer", "constitution": constitution.name, "seed": seed, **preference_summary(prefs),
            "preference_rows": n, "preferences": str(out / "preferences.jsonl"), "log": run.location,
            # "prefer_second" counts pairs where the judge preferred the revision over the first reply
            "revision_preferred_rate": (preference_summary(prefs)["prefer_second"] /
                                        max(1, preference_summary(prefs)["valid"]))}


def evaluate(chain_rows: list[dict], judge, out: str | Path, seed: int = 0, prompts_dir=None, config=None,
             max_samples=None) -> dict:
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

