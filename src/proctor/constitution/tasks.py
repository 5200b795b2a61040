"""The CAI stages as registered inspect tasks, for `inspect eval` (Proctor's own CLI is `proctor cai ...`).

    inspect eval src/proctor/constitution/tasks.py@cai_revision --model-role policy=openai-api/local/m \\
        --model-role critic=openai-api/local/m -T limit=20 -T rounds=2 --model openai-api/local/m
    inspect eval src/proctor/constitution/tasks.py@cai_samples --model-role policy=openai-api/local/m \\
        -T limit=20 --model openai-api/local/m
    inspect eval src/proctor/constitution/tasks.py@cai_preferences -T chains=out/chains.jsonl \\
        --model-role judge=openai-api/local/j --model openai-api/local/j

Each task has a scorer, so `inspect eval` reports a number: cai_revision the share of complete chains
(`chain_complete`), cai_samples the share of prompts with two distinct replies (`distinct_pair`), cai_preferences
the share of valid verdicts that prefer the second reply, i.e. the revision (`prefers_second`; invalid verdicts are
unscored). This module imports inspect-ai at import time (the `llm` extra); the rest of the package does not.
"""

from inspect_ai import task, task_with
from inspect_ai.scorer import Score, accuracy, scorer, stderr

from proctor.constitution.constitution import resolve_constitution


@scorer(metrics=[accuracy(), stderr()], name="chain_complete")
def chain_complete():
    """1 when the critique -> revision chain ran to the end, 0 when it stopped (its status is the answer)."""
    async def score(state, target):
        status = state.store.get("status", "failed")
        return Score(value=1.0 if status == "complete" else 0.0, answer=status)

    return score


@scorer(metrics=[accuracy(), stderr()], name="distinct_pair")
def distinct_pair():
    """1 when the two sampled replies are both non-empty and differ (a pair the judge can compare)."""
    async def score(state, target):
        replies = state.store.get("samples") or []
        ok = len(replies) == 2 and all(replies) and replies[0] != replies[1]
        return Score(value=1.0 if ok else 0.0)

    return score


@scorer(metrics=[accuracy(), stderr()], name="prefers_second")
def prefers_second():
    """1 when the judge preferred the pair's second reply (the revision), 0 the first; unscored when invalid."""
    async def score(state, target):
        choice = state.store.get("choice")
        if choice is None:
            return Score.unscored(reason="no <answer> verdict in the judge's reply", answer=None)
        second = (choice == "A") == bool(state.metadata.get("swap"))
        return Score(value=1.0 if second else 0.0, answer=choice,
                     metadata={"confidence": state.store.get("confidence"), "source": state.store.get("source")})

    return score


@task
def cai_revision(prompts: str = "hh", limit: int = 20, rounds: int = 1, seed: int = 0,
                 constitution: str = "default", prompt_templates: str | None = None):
    """Critique -> revision chains (roles policy, critic); the chain is in each sample's store."""
    from proctor.constitution.critique import revision_task
    from proctor.constitution.redteam import load_prompts

    return task_with(revision_task(load_prompts(prompts, limit, seed), resolve_constitution(constitution), rounds,
                                   seed, prompt_templates), scorer=chain_complete())


@task
def cai_samples(prompts: str = "hh", limit: int = 20, seed: int = 0, temperature: float = 1.0,
                prompt_templates: str | None = None):
    """Two replies per prompt from role policy (the RL stage's pairs, Bai et al. 2022 Section 4); in each sample's
    store (`samples`)."""
    from proctor.constitution.preference import sampling_task
    from proctor.constitution.redteam import load_prompts

    return task_with(sampling_task(load_prompts(prompts, limit, seed), seed, temperature, prompt_templates),
                     scorer=distinct_pair())


@task
def cai_preferences(chains: str, seed: int = 0, constitution: str = "default", prompt_templates: str | None = None):
    """AI preference labels for first reply vs revision (role judge), from a `chains.jsonl`."""
    from proctor.constitution.export import read_chains, revision_pairs
    from proctor.constitution.preference import comparison_task

    return task_with(comparison_task(revision_pairs(read_chains(chains)), resolve_constitution(constitution), seed,
                                     prompt_templates), scorer=prefers_second())
