"""Assisted evaluation as a registered inspect task, for `inspect eval` (Proctor's own CLI is `proctor rrm ...`).

    inspect eval src/proctor/rrm/tasks.py@rrm_assisted --model-role evaluator=openai-api/local/small \\
        --model-role assistant=openai-api/local/big -T items=gsm8k -T n=40 -T depth=2 -T mislead=0.2 \\
        --model openai-api/local/small

This module imports inspect-ai at import time (the `llm` extra); the rest of the package does not.
"""

from inspect_ai import task


@task
def rrm_assisted(items: str = "gsm8k", n: int = 40, depth: int = 1, mislead: float = 0.0, seed: int = 0,
                 prompt_templates: str | None = None):
    """Evaluator verdicts at levels 0..depth (roles evaluator, assistant); each sample's store holds the levels."""
    from proctor.rrm.assisted import assisted_task
    from proctor.rrm.items import load_items

    return assisted_task(load_items(items, n, seed), depth, mislead, seed=seed, prompts_dir=prompt_templates)
