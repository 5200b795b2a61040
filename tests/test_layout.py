"""The shape of the code (issue "One shape for every technique"): one layout per technique package, library modules
that never import a CLI, techniques that import each other only through shared layers, keyword-only parameters for
long signatures, a short `proctor.cli`, and a light `proctor --help`."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "proctor"
LAYOUT = ("__init__.py", "spec.py", "experiment.py", "summary.py", "report.py", "technique.py", "cli.py")
#: technique packages with CLI verbs only (no suite type): they have no runner, summary or spec of their own
CLI_ONLY: dict[str, tuple[str, ...]] = {}  # every technique package now has the whole layout
#: imports from one technique into another that the design allows (a shared artifact, not shared code)
ALLOWED_CROSS = {("superposition", "sae"),
                 ("study", "debate"), ("study", "rrm")}  # a study reads debate transcripts and pixel debates, RRM items


def _technique_dirs() -> list[Path]:
    return sorted(p.parent for p in SRC.glob("**/technique.py") if p.parent.name != "runs")


def _technique_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC).parts)


@pytest.mark.parametrize("folder", _technique_dirs(), ids=_technique_name)
def test_every_technique_package_has_the_layout(folder):
    expected = CLI_ONLY.get(folder.name, LAYOUT)
    missing = [f for f in expected if not (folder / f).is_file()]
    assert not missing, f"{_technique_name(folder)}: missing {missing}"
    init = ast.parse((folder / "__init__.py").read_text())
    assert any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
               for n in init.body), f"{folder}/__init__.py has no __all__"


def _imports(path: Path) -> list[str]:
    """Absolute names of the proctor modules `path` imports (relative imports resolved)."""
    pkg = ("proctor." + ".".join(path.relative_to(SRC).with_suffix("").parts)).rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append(mod)
            out.extend(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return [m for m in out if m.startswith("proctor")]


LIBRARY = [p for p in sorted(SRC.rglob("*.py")) if p.name != "cli.py" and "__pycache__" not in p.parts]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(SRC)))
def test_no_library_module_imports_a_cli(path):
    bad = [m for m in _imports(path) if m == "proctor.cli" or m.endswith(".cli")]
    assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def _owner(module: str) -> str | None:
    """The technique package a proctor module belongs to (debate.pixels counts as debate)."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    techniques = {d.relative_to(SRC).parts[0] for d in _technique_dirs()}
    return parts[1] if parts[1] in techniques else None


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_techniques_import_each_other_only_through_shared_layers(path):
    if "__pycache__" in path.parts:
        return
    mine = _owner("proctor." + ".".join(path.relative_to(SRC).parts))
    if mine is None:
        return
    others = {o for o in (_owner(m) for m in _imports(path)) if o and o != mine}
    assert not (others - {b for a, b in ALLOWED_CROSS if a == mine}), f"{path.relative_to(SRC)} imports {others}"


def _library_functions():
    for path in LIBRARY:
        name = "proctor." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                params = a.posonlyargs + a.args + a.kwonlyargs
                positional = [x.arg for x in a.posonlyargs + a.args if x.arg not in ("self", "cls")]
                n = len([x for x in params if x.arg not in ("self", "cls")])
                yield f"{name}.{node.name}:{node.lineno}", n, len(positional)


def test_long_signatures_are_keyword_only():
    """A library function with more than six parameters takes at most four positionally (its data)."""
    bad = [f"{name} ({n} parameters, {pos} positional)" for name, n, pos in _library_functions() if n > 6 and pos > 4]
    assert not bad, "\n".join(bad)


def test_cli_module_is_short():
    assert len((SRC / "cli.py").read_text().splitlines()) < 150


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; import proctor.cli; heavy = [m for m in ('torch', 'transformers', 'inspect_ai', 'sklearn', "
            "'matplotlib') if m in sys.modules]; print(','.join(heavy))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"importing proctor.cli imports {r.stdout.strip()}"


def test_signature_rule_sees_keyword_only():
    def f(a, b, c, *, d, e, f_, g):  # 7 parameters, 3 positional: allowed
        return None

    sig = inspect.signature(f)
    assert sum(p.kind == p.KEYWORD_ONLY for p in sig.parameters.values()) == 4
