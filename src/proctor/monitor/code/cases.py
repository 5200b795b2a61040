"""The visible tests of a coding problem, read without running them: the literal inputs each test passes to the
function under test and, where the assert states it, the literal output it expects.

Two forms are accepted (as in the rows of `proctor monitor code`): a list of assert statements calling the function
by its name (MBPP style), or the source of a `check(candidate)` function (HumanEval style) with the entry point's
name. Inputs and outputs are Python literals (`ast.literal_eval`); a test whose arguments are computed (a loop over
random inputs) contributes no case, only its source.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from proctor.errors import DataError

__all__ = ["Case", "TestSuite", "parse_tests"]

_MISSING = object()


@dataclass
class Case:
    """One visible test call: its literal arguments and, if the assert states one, the expected literal output."""

    args: tuple
    expected: object = _MISSING
    line: int = 0

    @property
    def has_expected(self) -> bool:
        return self.expected is not _MISSING


@dataclass
class TestSuite:
    """Parsed tests: the cases, the program that runs them (`check(candidate)`), and the entry point."""

    entry_point: str
    check_source: str
    cases: list[Case] = field(default_factory=list)
    n_asserts: int = 0


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _MISSING


def _call_args(node: ast.AST, names: set[str]):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names and not node.keywords:
        vals = tuple(_literal(a) for a in node.args)
        if all(v is not _MISSING for v in vals):
            return vals
    return None


def _expected_of(test: ast.AST, names: set[str]):
    """(args, expected) for `f(x) == y`, `y == f(x)`, `f(x)`, `not f(x)`, `f(x) is True`, `abs(f(x) - y) < tol`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        a = _call_args(test.operand, names)
        return (a, False) if a is not None else None
    a = _call_args(test, names)
    if a is not None:
        return a, True
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        if isinstance(op, (ast.Eq, ast.Is)):
            for call, lit in ((left, right), (right, left)):
                a = _call_args(call, names)
                if a is not None:
                    v = _literal(lit)
                    if v is not _MISSING:
                        return a, v
        if isinstance(op, (ast.Lt, ast.LtE)) and isinstance(left, ast.Call) and getattr(left.func, "id", "") == "abs" \
                and len(left.args) == 1 and isinstance(left.args[0], ast.BinOp) \
                and isinstance(left.args[0].op, ast.Sub):
            a = _call_args(left.args[0].left, names)
            v = _literal(left.args[0].right)
            if a is not None and v is not _MISSING:
                return a, v
    return None


def parse_tests(tests, entry_point: str | None, *, where: str = "tests") -> TestSuite:
    """Parse a row's `tests` (a list of assert strings, or a `check(candidate)` source with `entry_point`)."""
    if isinstance(tests, list):
        if not tests or not all(isinstance(t, str) and t.strip() for t in tests):
            raise DataError(f"{where}: 'tests' must be a non-empty list of assert statements")
        src = "\n".join(t.strip() for t in tests)
        try:
            tree = ast.parse(src)
        except SyntaxError as e:
            raise DataError(f"{where}: 'tests' is not valid Python ({e.msg}, line {e.lineno})") from None
        if entry_point is None:  # the function the asserts call most often
            counts: dict[str, int] = {}
            for n in ast.walk(tree):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                    counts[n.func.id] = counts.get(n.func.id, 0) + 1
            for b in ("abs", "len", "set", "sorted", "round", "isinstance", "all", "any", "list", "tuple", "str"):
                counts.pop(b, None)
            if not counts:
                raise DataError(f"{where}: cannot tell which function the tests call; give 'entry_point'")
            entry_point = max(counts, key=counts.get)
        body = "\n".join("    " + line for line in src.splitlines())
        check = f"def check(candidate):\n    {entry_point} = candidate\n{body}\n"
        names = {entry_point, "candidate"}
    elif isinstance(tests, str):
        if not entry_point:
            raise DataError(f"{where}: a check(candidate) test needs 'entry_point'")
        try:
            tree = ast.parse(tests)
        except SyntaxError as e:
            raise DataError(f"{where}: 'tests' is not valid Python ({e.msg}, line {e.lineno})") from None
        if not any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body):
            raise DataError(f"{where}: 'tests' as a string must define check(candidate)")
        check, names = tests, {"candidate", entry_point}
    else:
        raise DataError(f"{where}: 'tests' must be a list of assert strings or a check(candidate) source")
    if not entry_point.isidentifier():
        raise DataError(f"{where}: 'entry_point' {entry_point!r} is not a Python name")
    suite = TestSuite(entry_point, check)
    seen = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            suite.n_asserts += 1
            got = _expected_of(node.test, names)
            if got is not None and got[0] is not None:
                suite.cases.append(Case(got[0], got[1], node.lineno))
                seen.add(id(node.test))
    for node in ast.walk(tree):  # calls with literal arguments the asserts above did not cover
        a = _call_args(node, names)
        if a is not None and not any(c.args == a and type(c.args) is type(a) for c in suite.cases):
            suite.cases.append(Case(a, line=getattr(node, "lineno", 0)))
    return suite
