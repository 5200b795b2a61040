"""Prompt templates kept as Jinja2 files in a package's `prompts/` folder, overridable from a user folder.

A technique ships its prompts as `src/proctor/<pkg>/prompts/<name>.jinja`. A user copies the folder, edits the
files they want to change and passes the folder (`--prompts DIR`): files found there replace the packaged ones by
name, the rest fall back to the package. Templates are plain text (no HTML escaping) rendered with
`StrictUndefined`, so a template that names a variable the protocol does not supply fails loudly with the file name.

Templates are untrusted (a suite can name any folder), so they render in Jinja2's immutable sandbox
(`jinja2.sandbox.ImmutableSandboxedEnvironment`): no attribute starting with `_`, no Python internals, no mutation
of the values passed in, `range` capped by Jinja2 at 100,000; `*` and `**` are capped here so that `{{ 'x' * 10**12 }}`
cannot exhaust memory. Every variable and filter the packaged templates use works the same. An override folder is
checked when it is opened: a syntax error or a reach for an internal attribute (`cycler.__init__`) is a one-line
ConfigError naming the file and line before anything runs; the sandbox still stops at render time whatever a static
check cannot see.

    templates = PromptTemplates("proctor.debate", override="my_prompts/")
    templates.render("judge_debate", question=..., transcript=...)
"""

from __future__ import annotations

import operator
import os
from importlib.resources import files
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from ..errors import ConfigError

SUFFIX = ".jinja"

#: Largest string / list a template may build with `*` (items), and largest result of `**` (bits).
MAX_REPEAT = 1_000_000
MAX_POWER_BITS = 4096


class _PromptSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with `*` and `**` bounded (Jinja2's documented `intercepted_binops` hook)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, op, left, right):
        if op == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise SecurityError(f"the template repeats a sequence of {len(seq)} items {n} times (limit "
                                        f"{MAX_REPEAT:,} items)")
            return operator.mul(left, right)
        if op == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and \
                    right * max(1, abs(left).bit_length()) > MAX_POWER_BITS:
                raise SecurityError(f"{left} ** {right} is too large for a template (limit {MAX_POWER_BITS} bits)")
            return operator.pow(left, right)
        return super().call_binop(context, op, left, right)


def _unsafe_names(tree: nodes.Template):
    """(line, name) of every constant attribute or item name starting with "_" (`x.__class__`, `x['_y']`,
    `x|attr('__init__')`): the sandbox refuses them at render time; found here, they are reported before a run."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            names = [node.attr]
        elif isinstance(node, nodes.Getitem):
            names = [node.arg.value] if isinstance(node.arg, nodes.Const) else []
        else:
            names = [a.value for a in node.args if isinstance(a, nodes.Const)] if node.name == "attr" else []
        for name in names:
            if isinstance(name, str) and name.startswith("_"):
                yield node.lineno, name


class PromptTemplates:
    """Named templates of package `package` (folder `prompts/`), with an optional override folder."""

    def __init__(self, package: str, override: str | os.PathLike | None = None):
        self.package = package
        self.override = Path(override).expanduser() if override else None
        if self.override is not None and not self.override.is_dir():
            raise ConfigError(f"{self.override}: prompt folder not found")
        self._env = _PromptSandbox(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)
        self._compiled: dict[str, tuple[jinja2.Template, str]] = {}  # compiling is ~10 ms; a debate renders dozens
        if self.override is not None:
            for path in sorted(self.override.glob(f"*{SUFFIX}")):
                self.check(path.read_text(encoding="utf-8"), str(path))

    def check(self, text: str, where: str) -> None:
        """A ConfigError naming `where` and the line if `text` does not parse or reaches for an internal name."""
        try:
            tree = self._env.parse(text)
        except jinja2.TemplateSyntaxError as e:
            raise ConfigError(f"{where}:{e.lineno}: template syntax error: {_one_line(e.message)}") from None
        found = sorted(set(_unsafe_names(tree)))
        if found:
            names = ", ".join(dict.fromkeys(repr(name) for _, name in found))
            raise ConfigError(f"{where}:{found[0][0]}: the template reaches for {names}; prompt templates render in "
                              f"a sandbox and may not use names starting with '_'")

    def names(self) -> list[str]:
        """Template names available (packaged and overridden)."""
        out = {p.name[: -len(SUFFIX)] for p in files(self.package).joinpath("prompts").iterdir()
               if p.name.endswith(SUFFIX)}
        if self.override is not None:
            out |= {p.stem for p in self.override.glob(f"*{SUFFIX}")}
        return sorted(out)

    def source(self, name: str) -> tuple[str, str]:
        """(template text, where it came from)."""
        if self.override is not None:
            path = self.override / f"{name}{SUFFIX}"
            if path.is_file():
                return path.read_text(encoding="utf-8"), str(path)
        res = files(self.package).joinpath("prompts", f"{name}{SUFFIX}")
        if not res.is_file():
            raise ConfigError(f"no prompt template {name!r} in {self.package}/prompts"
                              + (f" or {self.override}" if self.override else ""))
        return res.read_text(encoding="utf-8"), f"{self.package}/prompts/{name}{SUFFIX}"

    def render(self, name: str, /, **variables) -> str:
        """The template `name` rendered with `variables`; a missing variable, bad syntax or an operation the sandbox
        refuses is a one-line ConfigError naming the file."""
        try:
            if name not in self._compiled:
                text, where = self.source(name)
                self._compiled[name] = (self._env.from_string(text), where)
            template, where = self._compiled[name]
            return template.render(**variables).strip()
        except ConfigError:
            raise
        except Exception as e:  # the template's own fault: bad syntax, the sandbox's refusal, 1/0, range(10**9) ...
            where = self._compiled[name][1] if name in self._compiled else self.source(name)[1]
            raise ConfigError(f"{where}: {type(e).__name__}: {_one_line(e)}") from None


def _one_line(reason: object, limit: int = 300) -> str:
    text = " ".join(str(reason).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
