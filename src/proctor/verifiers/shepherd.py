"""Candidates from an LLM, and Math-Shepherd automatic process labels (Wang et al. 2024), through inspect-ai.

    model = proctor.llm.role_model("openai-api/local/qwen")          # any inspect-ai model; tests: mockllm
    cands = sample_candidates(model, prompt, truth="18", n=16)       # Solutions with outcome labels
    labelled = shepherd_label(model, cands[0], truth="18", rollouts=8)

Math-Shepherd: a step is good if continuations from it can still reach the right answer. For each prefix
(problem + steps 0..i) the completer model writes `rollouts` continuations; "hard" estimation labels the step good when
any of them ends with the right answer, "soft" gives the share that does (`extra["soft_labels"]`). A reply with no
final answer counts as not reaching it (it is counted in `extra["invalid_rollouts"]`, never guessed). Labels are made
monotone (a step after a bad step is bad), matching PRM800K's meaning of a label.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from .steps import Solution, normalize_answer

INSTRUCTIONS = ("Solve the problem step by step. Write one step per line. End with a line 'The answer is X.' where X "
                "is the final answer.")
_ANSWER = re.compile(r"(?:the answer is|####)\s*\$?\s*([^\n]*?)\s*\.?\s*$", re.IGNORECASE)


def parse_solution(text: str) -> tuple[list[str], str | None]:
    """(steps, final answer or None): one step per non-empty line; the answer from 'The answer is X' or '#### X'."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    for j in range(len(lines) - 1, -1, -1):
        m = _ANSWER.search(lines[j])
        if m and m[1]:
            return lines[:j + 1], m[1].strip()
    return lines, None


def _generate(model, prompts: Sequence[str], config=None) -> list[str]:
    """One completion per prompt, all sent concurrently (inspect bounds connections and caches replies)."""
    async def go():
        outs = await asyncio.gather(*(model.generate(p, config=config) if config is not None else model.generate(p)
                                      for p in prompts))
        return [o.completion for o in outs]

    return asyncio.run(go())


def _model(model):
    from ..llm.run import role_model

    return role_model(model)


def sample_candidates(model, prompt: str, truth: str | None, n: int, problem_id: str = "", config=None
                      ) -> list[Solution]:
    """`n` candidate solutions written by `model`; outcome labels against `truth`; process labels left unknown."""
    m = _model(model)
    replies = _generate(m, [f"{INSTRUCTIONS}\n\nProblem: {prompt}"] * n, config)
    out = []
    for r in replies:
        steps, answer = parse_solution(r)
        correct = None if truth is None or answer is None else normalize_answer(answer) == normalize_answer(truth)
        if answer is None and truth is not None:
            correct = False  # no final answer: a wrong outcome, and flagged invalid
        out.append(Solution(prompt, steps or [""], None, answer, correct, problem_id, str(getattr(m, "name", "llm")),
                            {"invalid": answer is None}))
    return out


def shepherd_label(model, solution: Solution, truth: str, rollouts: int = 8, config=None) -> Solution:
    """Math-Shepherd process labels for `solution` from `rollouts` continuations of each prefix (hard estimation)."""
    m = _model(model)
    prompts = []
    for i in range(len(solution.steps)):
        done = "\n".join(solution.steps[:i + 1])
        prompts += [f"{INSTRUCTIONS}\n\nProblem: {solution.prompt}\n\nSteps so far:\n{done}\n\nContinue from here."] \
            * rollouts
    replies = _generate(m, prompts, config)
    soft, invalid = [], 0
    for i in range(len(solution.steps)):
        hits = 0
        for r in replies[i * rollouts:(i + 1) * rollouts]:
            _, ans = parse_solution(r)
            if ans is None:
                invalid += 1
            elif normalize_answer(ans) == normalize_answer(truth):
                hits += 1
        soft.append(hits / rollouts)
    labels, ok = [], True
    for s in soft:
        ok = ok and s > 0
        labels.append(ok)
    return Solution(solution.prompt, solution.steps, labels, solution.answer, solution.correct, solution.problem_id,
                    solution.kind, solution.extra | {"soft_labels": soft, "invalid_rollouts": invalid})
