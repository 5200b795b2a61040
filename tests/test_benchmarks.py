"""Every benchmark runs from a fresh clone: `make bench` (the same install as `make test`, plus nothing) has every
module each script imports, each script takes `--quick`, and each writes the one-line JSON result the standards ask
for. The benchmarks themselves are not run here (they time things; `make bench` runs them)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))
#: modules a benchmark imports only inside a separate environment it builds itself (see the script's docstring)
OWN_ENV = {"monitor_throughput.py": {"langkit", "whylogs"}}


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_import_of_a_benchmark_resolves(script):
    sys.path.insert(0, str(BENCH))
    try:
        missing = sorted(m for m in _imported(script) - OWN_ENV.get(script.name, set())
                         if m != "__future__" and importlib.util.find_spec(m) is None)
    finally:
        sys.path.remove(str(BENCH))
    assert not missing, f"{script.name} imports {missing}, which `make bench` does not install"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_takes_quick_and_prints_the_result_line(script):
    text = script.read_text()
    assert "--quick" in text, f"{script.name}: no --quick"
    r = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120,
                       cwd=BENCH.parent)
    assert r.returncode == 0 and "--quick" in r.stdout, r.stdout + r.stderr
    assert "emit(" in text, f"{script.name}: does not print its result with _common.emit"


def test_the_result_line_carries_every_key(capsys):
    sys.path.insert(0, str(BENCH))
    try:
        from _common import KEYS, emit
    finally:
        sys.path.remove(str(BENCH))
    with pytest.raises(ValueError, match="ratio"):
        emit({k: 1 for k in KEYS if k != "ratio"})
    emit({k: 1 for k in KEYS})
    assert set(KEYS) <= set(__import__("json").loads(capsys.readouterr().out.splitlines()[-1]))


def test_make_bench_runs_every_benchmark():
    makefile = (BENCH.parent / "Makefile").read_text()
    assert "$(wildcard benchmarks/*.py)" in makefile and "--quick" in makefile


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_quick_run_writes_its_own_block(script):
    """`make bench` runs every script with --quick: it must not overwrite the full run's block of docs/benchmarks.md
    (docs/results.md quotes those), so each record(...) call names a separate block when quick."""
    calls = [n for n in ast.walk(ast.parse(script.read_text()))
             if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "record"]
    for call in calls:
        assert "_quick" in ast.unparse(call.args[0]), f"{script.name}: {ast.unparse(call.args[0])} is the same block " \
                                                      "for a --quick run and a full one"
