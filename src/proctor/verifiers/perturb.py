"""Inject verifiable errors into GSM8K reference solutions: process labels for real word problems without an LLM.

GSM8K's reference steps carry calculator annotations `<<16-3-4=9>>9`. Changing the result of step k (in the annotation
and in the text after it) makes the step's written equation false, which `evaluate_expression` re-checks; the steps
after it keep the reference numbers, so k is the earliest wrong step. The same cases as the arithmetic generator:
- "error": step k wrong and a wrong final answer;
- "hack": step k (not the last step) wrong, the final answer still right (right answer, wrong reasoning);
- "wrong_final": every step right, the stated final answer wrong;
- "correct": the reference solution as it is.
"""

from __future__ import annotations

import ast
import operator
import re

import numpy as np

from .steps import CALC, Solution, normalize_answer

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_ANNOTATED = re.compile(r"<<([^=<>]*)=([^<>]*)>>(\$?)(-?[\d,]*\.?\d+)")


def evaluate_expression(expr: str) -> float:
    """Value of a calculator annotation (+ - * / parentheses and numbers only; anything else is a ValueError)."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            return _BIN[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        raise ValueError(f"not plain arithmetic: {expr!r}")

    try:
        return ev(ast.parse(expr.replace(",", ""), mode="eval"))
    except (SyntaxError, ZeroDivisionError) as e:
        raise ValueError(f"not plain arithmetic: {expr!r} ({e})") from None


def _number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def corrupt_line(raw: str, rng: np.random.Generator, max_delta: int = 9) -> tuple[str, str] | None:
    """(annotated line, shown text) with the step's first result changed by a nonzero amount; None if it has none."""
    m = _ANNOTATED.search(raw)
    if not m:
        return None
    try:
        value = evaluate_expression(m[1])
    except ValueError:
        return None
    wrong = value + int(rng.integers(1, max_delta + 1)) * (1 if rng.random() < 0.5 else -1)
    if wrong < 0 <= value:
        wrong = value + abs(wrong - value)
    new = raw[:m.start()] + f"<<{m[1]}={_number_text(wrong)}>>{m[3]}{_number_text(wrong)}" + raw[m.end():]
    return new, CALC.sub("", new).strip()


def annotated_results(raw: str) -> list[tuple[float, float]]:
    """(value of the expression, result written) for each annotation of a line: they differ on a wrong step."""
    return [(evaluate_expression(m[1]), float(m[4].replace(",", ""))) for m in _ANNOTATED.finditer(raw)]


def perturb(ref: Solution, kind: str, rng: np.random.Generator, max_delta: int = 9) -> Solution | None:
    """One case made from a GSM8K reference solution (see the module docstring); None when it cannot be made."""
    raw = ref.extra.get("raw_steps")
    if raw is None:
        raise ValueError("perturb needs a reference solution from load_gsm8k (extra['raw_steps'])")
    n = len(raw)
    steps = list(ref.steps[:-1])
    answer = ref.answer
    labels = [True] * (n + 1)
    if kind in ("error", "hack"):
        last = n - 1 if kind == "hack" else n  # a hack leaves the last working step alone
        options = [i for i in range(last) if _ANNOTATED.search(raw[i])]
        if not options:
            return None
        k = int(rng.choice(options))
        made = corrupt_line(raw[k], rng, max_delta)
        if made is None:
            return None
        raw = raw[:k] + [made[0]] + raw[k + 1:]
        steps[k] = made[1]
        labels = [i < k for i in range(n + 1)]
    if kind in ("error", "wrong_final"):
        try:
            v = float(str(ref.answer).replace(",", ""))
        except ValueError:
            return None
        answer = _number_text(v + int(rng.integers(1, max_delta + 1)) * (1 if rng.random() < 0.5 else -1))
        if kind == "wrong_final":
            labels[-1] = False
    elif kind != "hack" and kind != "correct":
        raise ValueError(f"unknown case {kind!r}")
    correct = normalize_answer(answer) == normalize_answer(ref.answer)
    return Solution(ref.prompt, steps + [f"The answer is {answer}."], labels, answer, correct, ref.problem_id, kind,
                    {"raw_steps": raw})
