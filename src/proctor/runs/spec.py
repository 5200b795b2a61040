"""Experiment specs: typed, documented per field, loaded from TOML. An unknown key is an error that names it.

Each technique's own spec class lives in its package (`proctor.<technique>.spec`); this module has the base
class, the suite, and the loading and error formatting they share. A suite file is a `name` and a list of
`[[experiment]]` tables, each with a `type` (the technique):

    name = "default"
    [[experiment]]
    type = "w2s"
    dataset = "sst2"
    weak = ["tfidf", "probe:minilm@1"]
    strong = "finetune:minilm"
    loss = ["xent", "aux"]
    seeds = 3
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, ClassVar

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from ..errors import ConfigError
from ..llm.run import ATTEMPT_TIMEOUT, MAX_RETRIES, TIMEOUT

#: What a suite or experiment name may hold: it names folders (the run directory, an experiment's files in it).
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+=,()@-]{0,99}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.+=,()@-]")


def check_name(name: str) -> str:
    """`name` if it is safe as one folder name (letters, digits, space and `_.+=,()@-`, starting with a letter or
    digit, at most 100 characters, no `..`); otherwise a ValueError saying why."""
    if not NAME_RE.match(name) or ".." in name:
        raise ValueError(f"{name!r} is not a valid name: use letters, digits, space and _.+=,()@- (no '/', no "
                         f"'..', not starting with '.' or a space), at most 100 characters")
    return name


def path_name(title: str) -> str:
    """A derived title (which may hold a model id such as "org/model") made safe as one folder name."""
    s = _UNSAFE.sub("_", title).replace("..", "_").lstrip(" .") or "experiment"
    return s[:100]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True, allow_inf_nan=False)

    ADDED_LATER: ClassVar[tuple[str, ...]] = ()
    """Fields added after runs were stored: dumped (into suite.toml and unit keys) only when set away from their
    default, so that earlier suites and their finished units keep their keys."""

    @model_serializer(mode="wrap")
    def _omit_later_defaults(self, handler):
        data = handler(self)
        if isinstance(data, dict):
            for name in self.ADDED_LATER:
                if name in data and getattr(self, name) == type(self).model_fields[name].get_default(
                        call_default_factory=True):
                    del data[name]
        return data

    @model_validator(mode="after")
    def _safe_name(self):
        """A `name` field, where a spec has one, names folders: it must be safe as a path component."""
        name = getattr(self, "name", None)
        if isinstance(name, str) and name:
            try:
                check_name(name)
            except ValueError as e:
                raise ValueError(f"name: {e}") from None
        return self


class LLMRunSettings(Spec):
    """How an LLM technique's model calls run (inspect-ai's cache, concurrency, retries, timeouts) and whether failed
    samples are tolerated: settings of the run, not of the experiment, so they are left out of its dump (suite.toml
    and unit keys). Every LLM technique's spec inherits them."""

    cache: bool = Field(default=True, exclude=True)
    """inspect's response cache: a rerun re-sends only the calls that did not finish (not part of the experiment)."""
    max_samples: int | None = Field(default=None, ge=1, le=10_000, exclude=True)
    """Concurrent samples (inspect max_samples; not part of the experiment)."""
    max_retries: int = Field(default=MAX_RETRIES, ge=0, le=100, exclude=True)
    """Retries of a failed model call (inspect's, with exponential back-off from 3 s; not part of the experiment)."""
    timeout: int = Field(default=TIMEOUT, ge=1, le=86_400, exclude=True)
    """Seconds per model call, retries and back-off included: then the sample fails (not part of the experiment)."""
    attempt_timeout: int = Field(default=ATTEMPT_TIMEOUT, ge=1, le=86_400, exclude=True)
    """Seconds one attempt of a model call may take before it is abandoned and retried (not part of the experiment)."""
    allow_failures: bool = Field(default=False, exclude=True)
    """Report a run in which some samples failed (counted) instead of exiting with an error; a run in which every
    sample failed is an error regardless (not part of the experiment)."""


class Suite(Spec):
    """A set of experiments run together into one report."""

    name: str = "suite"
    """Names the run directory and the report."""
    overseer: str | None = None
    """The weaker overseer, used by every experiment that takes one and does not name its own: `MODEL[@LAYERS]` for
    encoder techniques (the weak-to-strong probe, the verifiers' encoder), an inspect model id for the LLM judge."""
    overseen: str | None = None
    """The stronger model being overseen: the weak-to-strong student (fine-tuned), the model whose activations the
    SAE monitor reads, an inspect model id for LLM debaters."""
    experiment: list[SerializeAsAny[Spec]] = Field(min_length=1)
    """The experiments, as `[[experiment]]` tables with a `type` (see proctor.runs.technique for the types)."""

    @model_validator(mode="before")
    @classmethod
    def _bind_pair(cls, data: Any) -> Any:
        """Fill each experiment's overseer / overseen fields from the suite's pair where the table leaves them out."""
        from .technique import get

        if not isinstance(data, dict) or not (data.get("overseer") or data.get("overseen")):
            return data
        items = data.get("experiment")
        if not isinstance(items, list):
            return data
        out = []
        for item in items:
            if isinstance(item, dict) and "type" in item:
                try:
                    tech = get(str(item["type"]))
                except ConfigError:
                    tech = None  # reported with its position by _dispatch
                if tech is not None and tech.bind is not None:
                    item = tech.bind(dict(item), data.get("overseer"), data.get("overseen"))
            out.append(item)
        return {**data, "experiment": out}

    @model_validator(mode="after")
    def _distinct_titles(self):
        """Units are keyed by experiment title: two experiments with one title would mix their results."""
        seen: dict[str, int] = {}
        for i, spec in enumerate(self.experiment):
            title = getattr(spec, "title", None)
            if title in seen:
                raise ValueError(f"experiment {seen[title]} and experiment {i} are both named {title!r}; give each "
                                 f"a distinct `name`")
            seen[title] = i
        return self

    @field_validator("experiment", mode="before")
    @classmethod
    def _dispatch(cls, items: Any) -> Any:
        """Validate each table with the spec class of its `type`; errors keep the table's position."""
        from .technique import get

        if not isinstance(items, list):
            return items
        out = []
        for i, item in enumerate(items):
            if isinstance(item, Spec):
                out.append(item)
                continue
            if not isinstance(item, dict) or "type" not in item:
                raise ValueError(f"experiment {i}: needs a `type` key")
            try:
                spec_cls = get(str(item["type"])).spec
            except ConfigError as e:
                raise ValueError(f"experiment {i}: {e}") from None
            try:
                out.append(spec_cls.model_validate(item))
            except ValidationError as err:
                raise ValueError(_format_validation(err, f"experiment.{i}", prefix=True)) from None
        return out


def _format_validation(err: ValidationError, source: str, prefix: bool = False) -> str:
    """`source: field.path: message; ...`; with `prefix`, `source` is joined to each field path instead."""
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        if prefix:
            loc = f"{source}.{loc}" if loc else source
        # a nested table's error already names its own path ("experiment.0.seeds: ...")
        parts.append(f"{loc}: {msg}" if loc and not msg.startswith(f"{loc}.") and not msg.startswith(f"{loc} ") else msg)
    more = f" (+{len(err.errors()) - 3} more)" if len(err.errors()) > 3 else ""
    return "; ".join(parts) + more if prefix else f"{source}: " + "; ".join(parts) + more


def validate(model: type[Spec], data: Any, source: str) -> Any:
    """Validate `data` as `model`; a ConfigError naming `source` and the field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation(err, source)) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such spec file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def load_suite(path: str | Path) -> Suite:
    """A suite file, or a single experiment table (with `type`) promoted to a one-experiment suite."""
    data = read_toml(path)
    if "experiment" not in data and "type" in data:
        data = {"name": Path(path).stem, "experiment": [data]}
    return validate(Suite, data, str(path))


def dump_toml(spec: Spec) -> str:
    return tomli_w.dumps(spec.model_dump(mode="json", exclude_none=True))
