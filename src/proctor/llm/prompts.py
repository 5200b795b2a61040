"""Prompt templates kept as Jinja2 files in a package's `prompts/` folder, overridable from a user folder.

A technique ships its prompts as `src/proctor/<pkg>/prompts/<name>.jinja`. A user copies the folder, edits the
files they want to change and passes the folder (`--prompts DIR`): files found there replace the packaged ones by
name, the rest fall back to the package. Templates are plain text (no HTML escaping) rendered with
`StrictUndefined`, so a template that names a variable the protocol does not supply fails loudly with the file name.

    templates = PromptTemplates("proctor.debate", override="my_prompts/")
    templates.render("judge_debate", question=..., transcript=...)
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import jinja2

from ..errors import ConfigError

SUFFIX = ".jinja"


class PromptTemplates:
    """Named templates of package `package` (folder `prompts/`), with an optional override folder."""

    def __init__(self, package: str, override: str | os.PathLike | None = None):
        self.package = package
        self.override = Path(override).expanduser() if override else None
        if self.override is not None and not self.override.is_dir():
            raise ConfigError(f"{self.override}: prompt folder not found")
        self._env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                                       autoescape=False)
        self._compiled: dict[str, tuple[jinja2.Template, str]] = {}  # compiling is ~10 ms; a debate renders dozens

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
        """The template `name` rendered with `variables`; a missing variable or bad syntax is a ConfigError."""
        try:
            if name not in self._compiled:
                text, where = self.source(name)
                self._compiled[name] = (self._env.from_string(text), where)
            template, where = self._compiled[name]
            return template.render(**variables).strip()
        except jinja2.TemplateError as e:
            where = self._compiled[name][1] if name in self._compiled else self.source(name)[1]
            raise ConfigError(f"{where}: {type(e).__name__}: {e}") from None
