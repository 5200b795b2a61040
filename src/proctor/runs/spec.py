"""Experiment specs: typed, documented per field, loaded from TOML. An unknown key is an error that names it.

A suite file is a `name` and a list of `[[experiment]]` tables, each with a `type` (the technique):

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
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator, model_validator

from ..errors import ConfigError

MODEL_KINDS = ("tfidf", "probe", "mlp", "finetune")
_SPEC_RE = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<model>[^@]+?))?(?:@(?P<layers>\d+))?$")


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ModelSpec(Spec):
    """A weak, intermediate or strong model. Written as a string `KIND[:MODEL][@LAYERS]` or as a table.

    Examples: "tfidf"; "probe:minilm@1" (linear probe on MiniLM's first layer); "mlp:minilm";
    "finetune:minilm" (full fine-tuning); "finetune:/path/to/hf-folder@3"; "finetune:Qwen/Qwen2.5-0.5B".
    """

    kind: Literal["tfidf", "probe", "mlp", "finetune"]
    """tfidf: TF-IDF + logistic regression; probe / mlp: head on frozen representations; finetune: whole model."""
    model: str = "minilm"
    """A local Hugging Face model folder, a Hub id, or "minilm" (the packaged all-MiniLM-L6-v2). Ignored by tfidf."""
    layers: int | None = Field(default=None, ge=1)
    """Keep only the first k transformer blocks (a smaller model of the same family); None keeps all."""
    pooling: Literal["mean", "cls", "last"] = "mean"
    """How token states become one vector."""
    max_length: int = Field(default=128, ge=8)
    """Tokens kept per text."""
    epochs: float | None = Field(default=None, gt=0)
    """Training epochs; None = 2 for fine-tuning, 10 for probes (80.4% on SST-2 MiniLM features vs 80.0% at 20)."""
    lr: float | None = Field(default=None, gt=0)
    """Learning rate; None = 5e-5 for fine-tuning, 1e-3 for probes."""
    batch_size: int = Field(default=32, ge=2)
    """Minibatch size; the aux loss thresholds within each batch."""

    @model_validator(mode="before")
    @classmethod
    def _parse_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_model_string(value)
        return value

    @property
    def label(self) -> str:
        if self.kind == "tfidf":
            return "tfidf"
        name = self.model if len(self.model) <= 40 else "…" + self.model[-39:]
        return f"{self.kind}:{name}" + (f"@{self.layers}" if self.layers else "")


def parse_model_string(text: str) -> dict[str, Any]:
    m = _SPEC_RE.match(text.strip())
    if not m or m["kind"] not in MODEL_KINDS:
        raise ValueError(f"model {text!r}: expected KIND[:MODEL][@LAYERS] with KIND one of {', '.join(MODEL_KINDS)}")
    out: dict[str, Any] = {"kind": m["kind"]}
    if m["model"]:
        out["model"] = m["model"]
    if m["layers"]:
        out["layers"] = int(m["layers"])
    return out


class W2SSpec(Spec):
    """Weak-to-strong generalization (Burns et al. 2023) on one data set."""

    type: Literal["w2s"] = "w2s"
    """The technique: weak-to-strong generalization."""
    name: str = ""
    """Experiment name in the report; defaults to "w2s-<dataset>"."""
    dataset: str
    """A named data set (sst2, boolq, anthropic_hh), a local file/folder, or a Hub id."""
    weak: list[ModelSpec] = Field(default_factory=lambda: [ModelSpec.model_validate("tfidf"),
                                                          ModelSpec.model_validate("probe:minilm@1")])
    """Weak supervisors, each trained on half A with ground truth."""
    strong: ModelSpec = Field(default_factory=lambda: ModelSpec.model_validate("finetune:minilm"))
    """The strong model: student (on weak labels) and ceiling (on ground truth), both on half B."""
    chain: list[ModelSpec] = Field(default_factory=list)
    """Optional bootstrapping chain weak -> ... -> strong: intermediate models, each supervising the next."""
    loss: list[Literal["xent", "aux"]] = Field(default_factory=lambda: ["xent", "aux"])
    """Student losses: cross-entropy on weak soft labels, and the auxiliary confidence loss."""
    seeds: int = Field(default=3, ge=1)
    """Seeds 0..seeds-1; each reshuffles the A/B halves and the training order. The test split stays fixed."""
    a_max: float = Field(default=0.75, ge=0, le=1)
    """Final weight of the student's own hardened predictions in the aux loss."""
    warmup_frac: float = Field(default=0.2, ge=0, le=1)
    """Fraction of training over which the aux weight ramps linearly from 0 to a_max."""
    max_train: int | None = Field(default=None, ge=20)
    """Cap on training examples (stratified, deterministic); None uses all."""
    max_test: int | None = Field(default=None, ge=20)
    """Cap on test examples."""
    test_fraction: float = Field(default=0.3, gt=0, lt=1)
    """For data sets with one split: the share held out as the fixed test set."""
    split_seed: int = 0
    """Seed of the fixed train/test split (not of the A/B halves)."""
    n_boot: int = Field(default=1000, ge=100)
    """Bootstrap resamples of the test set for the CIs."""

    @field_validator("weak")
    @classmethod
    def _some_weak(cls, v):
        if not v:
            raise ValueError("at least one weak model is needed")
        return v

    @property
    def title(self) -> str:
        return self.name or f"w2s-{Path(self.dataset).stem if '/' in self.dataset else self.dataset}"




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


def load_w2s_spec(path: str | Path) -> W2SSpec:
    data = read_toml(path)
    data.setdefault("type", "w2s")
    return validate(W2SSpec, data, str(path))


def dump_toml(spec: Spec) -> str:
    return tomli_w.dumps(spec.model_dump(mode="json", exclude_none=True))
