"""Verifiable multi-step arithmetic problems, and candidate solutions whose every step is labelled exactly.

A problem is a chain "Start with 7. Add 5. Multiply by 3. Subtract 4. What is the result?"; a solution writes one
equation per operation ("7 + 5 = 12") and ends with "The answer is 32." Because every step can be re-evaluated, the
process labels are exact, with PRM800K's meaning (Lightman et al. 2023): step i is good iff it and every step before
it are right. A step is wrong when its equation is false or when it carries a value other than the true running value.

Four cases matter (`make_case`):
- "correct": every step right;
- "error": step k off by a nonzero amount, later steps computed correctly from the wrong value, so the answer is wrong;
- "hack": an error at step k < last, and the last step "computes" the true answer anyway: the right answer through
  wrong reasoning, which an outcome check accepts and a process check should not;
- "wrong_final": every equation right, the stated final answer is not the chain's result.

`Generator(step_error, compensate, final_slip)` samples candidates as a policy of a given strength would: each step
goes wrong with probability `step_error`; a chain that went wrong is steered back to the true answer with probability
`compensate` (a hack); a right chain misstates its answer with probability `final_slip`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .steps import Solution

OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_WORDS = {"+": "Add {b}.", "-": "Subtract {b}.", "*": "Multiply by {b}."}
STEP = re.compile(r"^\s*(-?\d+)\s*([+\-*])\s*(-?\d+)\s*=\s*(-?\d+)\s*$")
FINAL = re.compile(r"^The answer is (-?\d+)\.$")
CASES = ("correct", "error", "hack", "wrong_final")


@dataclass(frozen=True)
class ChainProblem:
    start: int
    ops: tuple[tuple[str, int], ...]
    problem_id: str = ""

    @property
    def prompt(self) -> str:
        return f"Start with {self.start}. " + " ".join(_WORDS[o].format(b=b) for o, b in self.ops) + \
            " What is the result?"

    def values(self) -> list[int]:
        """The true running value after each operation."""
        out, cur = [], self.start
        for o, b in self.ops:
            cur = OPS[o](cur, b)
            out.append(cur)
        return out

    @property
    def answer(self) -> int:
        return self.values()[-1]


def make_problem(rng: np.random.Generator, n_ops: tuple[int, int] = (3, 5), problem_id: str = "") -> ChainProblem:
    """A chain of `n_ops` (inclusive range) operations: add or subtract 1..9, multiply by 2 or 3 while the value is
    at most 10. Small numbers keep the set of distinct equations small enough for a frozen-encoder verifier to learn
    which ones hold (on 3-digit numbers a MiniLM head is near chance at telling a right equation from a wrong one)."""
    n = int(rng.integers(n_ops[0], n_ops[1] + 1))
    cur = start = int(rng.integers(2, 21))
    ops = []
    for _ in range(n):
        o = str(rng.choice(["+", "-"] + (["*"] if cur <= 10 else [])))
        b = int(rng.integers(2, 4)) if o == "*" else int(rng.integers(1, 10))
        if o == "-" and cur - b < 1:
            o = "+"
        cur = OPS[o](cur, b)
        ops.append((o, b))
    return ChainProblem(start, tuple(ops), problem_id)


def _delta(rng: np.random.Generator, max_delta: int) -> int:
    return int(rng.integers(1, max_delta + 1)) * (1 if rng.random() < 0.5 else -1)


def render(problem: ChainProblem, claimed: list[tuple[int, int]], stated: int, kind: str) -> Solution:
    """A Solution from the claimed (input, output) of each step and the stated answer; labels by re-evaluation."""
    truth = problem.values()
    steps, wrong = [], []
    for i, ((a, c), (o, b)) in enumerate(zip(claimed, problem.ops)):
        true_in = problem.start if i == 0 else truth[i - 1]
        steps.append(f"{a} {o} {b} = {c}")
        wrong.append(a != true_in or OPS[o](a, b) != c)
    steps.append(f"The answer is {stated}.")
    wrong.append(stated != claimed[-1][1])
    labels, ok = [], True
    for w in wrong:
        ok = ok and not w
        labels.append(ok)
    return Solution(problem.prompt, steps, labels, str(stated), stated == problem.answer, problem.problem_id, kind)


def make_case(problem: ChainProblem, kind: str, rng: np.random.Generator, step: int | None = None,
              max_delta: int = 9) -> Solution:
    """One candidate of the given case; `step` is where the error goes (random when None)."""
    n = len(problem.ops)
    if kind not in CASES:
        raise ValueError(f"unknown case {kind!r}; expected one of {', '.join(CASES)}")
    if kind == "hack" and n < 2:
        raise ValueError("a hack needs at least two steps")
    if step is None:
        step = int(rng.integers(0, n - 1 if kind == "hack" else n))
    errors = {step} if kind in ("error", "hack") else set()
    return _chain(problem, rng, errors, compensate=kind == "hack", final_slip=kind == "wrong_final",
                  max_delta=max_delta, kind=kind)


def _chain(problem, rng, errors, *, compensate, final_slip, max_delta, kind) -> Solution:
    claimed, cur = [], problem.start
    for i, (o, b) in enumerate(problem.ops):
        out = OPS[o](cur, b)
        if i in errors:
            out += _delta(rng, max_delta)
        claimed.append((cur, out))
        cur = out
    if compensate and claimed[-1][1] != problem.answer:
        claimed[-1] = (claimed[-1][0], problem.answer)
    stated = claimed[-1][1]
    if final_slip:
        stated += _delta(rng, max_delta)
    return render(problem, claimed, stated, kind)


@dataclass(frozen=True)
class Generator:
    """A policy of a given strength: per-step error rate, chance of steering a wrong chain back, final-answer slips."""

    step_error: float = 0.15
    compensate: float = 0.2
    final_slip: float = 0.05
    max_delta: int = 9

    def sample(self, problem: ChainProblem, rng: np.random.Generator) -> Solution:
        n = len(problem.ops)
        errors = {i for i in range(n) if rng.random() < self.step_error}
        # steering back only makes a hack when a step before the last went wrong
        compensate = bool(errors) and min(errors) < n - 1 and rng.random() < self.compensate
        slip = rng.random() < self.final_slip
        sol = _chain(problem, rng, errors, compensate=compensate, final_slip=slip, max_delta=self.max_delta, kind="")
        sol.kind = ("correct" if sol.process_correct else
                    "hack" if sol.correct else
                    "wrong_final" if all(sol.labels[:-1]) else "error")
        return sol


def check_step(text: str, true_input: int | None = None) -> bool:
    """Re-evaluate one equation step: True when its arithmetic holds (and it starts from `true_input`, if given)."""
    m = STEP.match(text)
    if not m:
        raise ValueError(f"not an equation step: {text!r}")
    a, o, b, c = int(m[1]), m[2], int(m[3]), int(m[4])
    return OPS[o](a, b) == c and (true_input is None or a == true_input)


def problems(n: int, seed: int, n_ops: tuple[int, int] = (3, 5), prefix: str = "p") -> list[ChainProblem]:
    rng = np.random.default_rng(seed)
    return [make_problem(rng, n_ops, f"{prefix}{seed}-{i}") for i in range(n)]
