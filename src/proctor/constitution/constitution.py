"""A constitution (Bai et al. 2022, "Constitutional AI", arXiv:2212.08073): the written principles that drive
self-critique and AI preference labels, as a TOML file.

    name = "my-constitution"
    description = "what it is for"

    [[principle]]                     # supervised stage: critique, then revise, under one sampled principle
    id = "no-dangerous-help"
    critique = "Point out where the reply helps someone cause physical harm ..."
    revision = "Rewrite the reply so that it no longer ..."
    weight = 1.0                      # optional sampling weight

    [[comparison]]                    # RL stage: an AI judge picks the better of two replies under one of these
    id = "less-harmful"
    text = "Which reply is less likely to help anyone hurt someone, while still being useful?"

Proctor ships its own default (`default_constitution()`, package data `constitutions/default.toml`). The CAI paper's
own principles can be read from the authors' JSON files with `proctor.constitution.cai_paper.load_cai_paper`.
"""

from __future__ import annotations

import random
import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from proctor.errors import ConfigError

__all__ = ["Principle", "ComparisonPrinciple", "Constitution", "load_constitution", "default_constitution",
           "constitution_path", "sample_principle", "sample_comparison"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Principle(_Strict):
    """One critique/revision pair of the supervised stage."""

    id: str = Field(min_length=1)
    """Short unique name, kept with every sample so results can be broken down by principle."""
    critique: str = Field(min_length=1)
    """The critique request: what the critic looks for in the reply."""
    revision: str = Field(min_length=1)
    """The revision request: how the policy rewrites its reply given the critique."""
    weight: float = Field(default=1.0, gt=0)
    """Relative probability of this principle being sampled."""


class ComparisonPrinciple(_Strict):
    """One principle under which an AI judge compares two replies (RLAIF)."""

    id: str = Field(min_length=1)
    """Short unique name."""
    text: str = Field(min_length=1)
    """The question put to the judge, e.g. "Which reply is less harmful?"."""
    weight: float = Field(default=1.0, gt=0)
    """Relative probability of this principle being sampled."""


class Constitution(_Strict):
    """Principles for critique/revision and for pairwise comparison."""

    name: str = "unnamed"
    """Name shown in reports and stored with every sample."""
    description: str = ""
    """What this constitution is for."""
    principle: list[Principle] = Field(default_factory=list)
    """Critique/revision principles (TOML: `[[principle]]`)."""
    comparison: list[ComparisonPrinciple] = Field(default_factory=list)
    """Comparison principles for AI preference labels (TOML: `[[comparison]]`)."""
    few_shot: list[str] = Field(default_factory=list)
    """Optional worked examples prepended to critique prompts (the CAI paper's few-shot prompts go here)."""

    @field_validator("principle", "comparison")
    @classmethod
    def _unique_ids(cls, v):
        seen = set()
        for p in v:
            if p.id in seen:
                raise ValueError(f"duplicate id {p.id!r}")
            seen.add(p.id)
        return v

    @model_validator(mode="after")
    def _not_empty(self):
        if not self.principle and not self.comparison:
            raise ValueError("a constitution needs at least one [[principle]] or [[comparison]]")
        return self

    def get_principle(self, pid: str) -> Principle:
        for p in self.principle:
            if p.id == pid:
                return p
        raise ConfigError(f"constitution {self.name!r} has no principle {pid!r}")

    def get_comparison(self, pid: str) -> ComparisonPrinciple:
        for p in self.comparison:
            if p.id == pid:
                return p
        raise ConfigError(f"constitution {self.name!r} has no comparison principle {pid!r}")


def _where(err: ValidationError) -> str:
    """The first few problems, unknown keys (likely typos) first."""
    msgs = []
    for e in sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")[:3]:
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msgs.append(f"unknown key {loc!r}" if e["type"] == "extra_forbidden" else f"{loc}: {e['msg']}")
    return "; ".join(msgs)


def load_constitution(path: str | Path) -> Constitution:
    """Read a constitution TOML file; a mistake raises ConfigError naming the file and the field."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such constitution file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    try:
        return Constitution.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(f"{path}: {_where(e)}") from None


def constitution_path(name: str = "default") -> Path:
    """The packaged constitution called `name` (constitutions/NAME.toml)."""
    p = Path(str(resources.files("proctor.constitution") / "constitutions" / f"{name}.toml"))
    if not p.is_file():
        raise ConfigError(f"no packaged constitution {name!r}")
    return p


def default_constitution() -> Constitution:
    """Proctor's default harmlessness constitution (written for Proctor; not the CAI paper's text)."""
    return load_constitution(constitution_path("default"))


def resolve_constitution(spec: str | Path | None) -> Constitution:
    """A TOML path, a packaged name ("default"), or "cai-paper[:FOLDER]" (the paper's JSON files)."""
    if spec is None or str(spec) == "default":
        return default_constitution()
    s = str(spec)
    if s.startswith("cai-paper"):
        from .cai_paper import load_cai_paper

        return load_cai_paper(s.partition(":")[2] or None)
    p = Path(s)
    if p.suffix == ".toml" or p.exists():
        return load_constitution(p)
    return load_constitution(constitution_path(s))


def _weighted(items, rng: random.Random):
    return rng.choices(items, weights=[x.weight for x in items], k=1)[0]


def sample_principle(c: Constitution, rng: random.Random) -> Principle:
    """One critique/revision principle, drawn with the principles' weights."""
    if not c.principle:
        raise ConfigError(f"constitution {c.name!r} has no [[principle]] entries (needed for critique/revision)")
    return _weighted(c.principle, rng)


def sample_comparison(c: Constitution, rng: random.Random) -> ComparisonPrinciple:
    """One comparison principle, drawn with the principles' weights."""
    if not c.comparison:
        raise ConfigError(f"constitution {c.name!r} has no [[comparison]] entries (needed for preference labels)")
    return _weighted(c.comparison, rng)
