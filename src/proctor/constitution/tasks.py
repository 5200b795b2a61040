"""The CAI stages as registered inspect tasks, for `inspect eval` (Proctor's own CLI is `proctor cai ...`).

    inspect eval src/proctor/constitution/tasks.py@cai_revision --model-role policy=openai-api/local/m \\
        --model-role critic=openai-api/local/m -T limit=20 -T rounds=2 --model openai-api/local/m
    inspect eval src/proctor/constitution/tasks.py@cai_samples --model-role policy=openai-api/local/m \\
        -T limit=20 --model openai-api/local/m
    inspect eval src/proctor/constitution/tasks.py@cai_preferences -T chains=out/chains.jsonl \\
        --model-role judge=openai-api/local/j --model openai-api/local/j

This module imports inspect-ai at import time (the `llm` extra); the rest of the package does not.
"""

from inspect_ai import task

from proctor.constitution.constitution import resolve_constitution


@task
def cai_revision(prompts: str = "hh", limit: int = 20, rounds: int = 1, seed: int = 0,
                 constitution: str = "default", prompt_templates: str | None = None):
    """Critique -> revision chains (roles policy, critic); the chain is in each sample's store."""
    from proctor.constitution.critique import revision_task
    from proctor.constitution.redteam import load_prompts

    return revision_task(load_prompts(prompts, limit, seed), resolve_constitution(constitution), rounds, seed,
                         prompt_templates)


@task
def cai_samples(prompts: str = "hh", limit: int = 20, seed: int = 0, temperature: float = 1.0,
                prompt_templates: str | None = None):
    """Two replies per prompt from role policy (the RL stage's pairs, Bai et al. 2022 Section 4); in each sample's
    store (`samples`)."""
    from proctor.constitution.preference import sampling_task
    from proctor.constitution.redteam import load_prompts

    return sampling_task(load_prompts(prompts, limit, seed), seed, temperature, prompt_templates)


@task
def cai_preferences(chains: str, seed: int = 0, constitution: str = "default", prompt_templates: str | None = None):
    """AI preference labels for first reply vs revision (role judge), from a `chains.jsonl`."""
    from proctor.constitution.export import read_chains, revision_pairs
    from proctor.constitution.preference import comparison_task

    return comparison_task(revision_pairs(read_chains(chains)), resolve_constitution(constitution), seed,
                           prompt_templates)
