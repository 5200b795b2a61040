"""Assisted evaluation as a registered inspect task, for `inspect eval` (Proctor's own CLI is `proctor rrm ...`).

    inspect eval src/proctor/rrm/tasks.py@rrm_assisted --model-role evaluator=openai-api/local/small \\
        --model-role assistant=openai-api/local/big -T items=gsm8k -T n=40 -T depth=2 -T mislead=0.2 \\
        --model openai-api/local/small

The scorer (`evaluator_correct`) scores the deepest level's verdict: 1 right, 0 wrong, unscored when invalid. This
module imports inspect-ai at import time (the `llm` extra); the rest of the package does not.
"""

from inspect_ai import task, task_with
from inspect_ai.scorer import Score, accuracy, scorer, stderr


@scorer(metrics=[accuracy(), stderr()], name="evaluator_correct")
def evaluator_correct():
    """The verdict of the deepest level reached against the item's label (CORRECT / INCORRECT)."""
    async def score(state, target):
        levels = state.store.get("levels") or []
        verdict = levels[-1].get("verdict") if levels else None
        if verdict is None:
            return Score.unscored(reason="no valid verdict at the deepest level", answer=None)
        return Score(value=1.0 if verdict == target.text else 0.0, answer=verdict,
                     metadata={"level": levels[-1]["level"]})

    return score


@task
def rrm_assisted(items: str = "gsm8k", n: int = 40, depth: int = 1, mislead: float = 0.0, seed: int = 0,
                 prompt_templates: str | None = None):
    """Evaluator verdicts at levels 0..depth (roles evaluator, assistant); each sample's store holds the levels."""
    from proctor.rrm.assisted import assisted_task
    from proctor.rrm.items import load_items

    return task_with(assisted_task(load_items(items, n, seed), depth, mislead, seed=seed,
                                   prompts_dir=prompt_templates), scorer=evaluator_correct())
