"""The weak-to-strong experiment's spec (Burns et al. 2023): the one home of its defaults, read by `proctor w2s`'s
options and by `[[experiment]]` tables with `type = "w2s"`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ..data.fields import TABLE_FIELDS, TableColumns
from ..runs.spec import Spec, read_toml, validate

MODEL_KINDS = ("tfidf", "probe", "mlp", "finetune")

#: `proctor w2s --quick` and the w2s table of suites/quick.toml: frozen MiniLM features instead of fine-tuning, one seed
QUICK: dict = {"dataset": "sst2", "weak": ["tfidf"], "strong": "probe:minilm", "loss": ["xent"], "seeds": 1,
               "max_train": 1000, "max_test": 500}
_SPEC_RE = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<model>[^@]+?))?(?:@(?P<layers>\d+))?$")


class ModelSpec(Spec):
    """A weak, intermediate or strong model. Written as a string `KIND[:MODEL][@LAYERS]` or as a table.

    Examples: "tfidf"; "probe:minilm@1" (linear probe on MiniLM's first layer); "mlp:minilm";
    "finetune:minilm" (full fine-tuning); "finetune:/path/to/hf-folder@3"; "finetune:Qwen/Qwen2.5-0.5B".
    """

    kind: Literal["tfidf", "probe", "mlp", "finetune"]
    """tfidf: TF-IDF + logistic regression; probe / mlp: head on frozen representations; finetune: whole model."""
    model: str = "minilm"
    """A local Hugging Face model folder, a Hub id, or "minilm" (the packaged all-MiniLM-L6-v2). Ignored by tfidf."""
    layers: int | None = Field(default=None, ge=1, le=1000)
    """Keep only the first k transformer blocks (a smaller model of the same family); None keeps all."""
    pooling: Literal["mean", "cls", "last"] = "mean"
    """How token states become one vector."""
    max_length: int = Field(default=128, ge=8, le=8192)
    """Tokens kept per text."""
    epochs: float | None = Field(default=None, gt=0, le=1000)
    """Training epochs; None = 2 for fine-tuning, 10 for probes (80.4% on SST-2 MiniLM features vs 80.0% at 20)."""
    lr: float | None = Field(default=None, gt=0, le=1)
    """Learning rate; None = 5e-5 for fine-tuning, 1e-3 for probes."""
    batch_size: int = Field(default=32, ge=2, le=65536)
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


class W2SSpec(Spec, TableColumns):
    """Weak-to-strong generalization (Burns et al. 2023) on one data set. The table fields (`text_column`,
    `label_column`, `question_column`, `passage_column`, `answer_column`, `split`) map a local or Hub table's own
    column names and pick its splits (proctor.data.fields)."""

    ADDED_LATER: ClassVar[tuple[str, ...]] = TABLE_FIELDS

    type: Literal["w2s"] = "w2s"
    """The technique: weak-to-strong generalization."""
    name: str = ""
    """Experiment name in the report; defaults to "w2s-<dataset>"."""
    dataset: str
    """A named data set (sst2, boolq, anthropic_hh), a local file, a folder (train.* + test.* files, or a Hugging
    Face save_to_disk Dataset / DatasetDict), or a Hub id."""
    weak: list[ModelSpec] = Field(default_factory=lambda: [ModelSpec.model_validate("tfidf"),
                                                          ModelSpec.model_validate("probe:minilm@1")])
    """Weak supervisors, each trained on half A with ground truth."""
    strong: ModelSpec = Field(default_factory=lambda: ModelSpec.model_validate("finetune:minilm"))
    """The strong model: student (on weak labels) and ceiling (on ground truth), both on half B."""
    chain: list[ModelSpec] = Field(default_factory=list)
    """Optional bootstrapping chain weak -> ... -> strong: intermediate models, each supervising the next."""
    loss: list[Literal["xent", "aux"]] = Field(default_factory=lambda: ["xent", "aux"])
    """Student losses: cross-entropy on weak soft labels, and the auxiliary confidence loss."""
    seeds: int = Field(default=3, ge=1, le=1000)
    """Seeds 0..seeds-1; each reshuffles the A/B halves and the training order. The test split stays fixed."""
    a_max: float = Field(default=0.75, ge=0, le=1)
    """Final weight of the student's own hardened predictions in the aux loss."""
    warmup_frac: float = Field(default=0.2, ge=0, le=1)
    """Fraction of training over which the aux weight ramps linearly from 0 to a_max."""
    max_train: int | None = Field(default=None, ge=20, le=100_000_000)
    """Cap on training examples (stratified, deterministic); None uses all."""
    max_test: int | None = Field(default=None, ge=20, le=100_000_000)
    """Cap on test examples."""
    test_fraction: float = Field(default=0.3, gt=0, lt=1)
    """For data sets with one split: the share held out as the fixed test set."""
    split_seed: int = 0
    """Seed of the fixed train/test split (not of the A/B halves)."""
    n_boot: int = Field(default=1000, ge=100, le=100_000)
    """Bootstrap resamples of the test set for the CIs."""

    @field_validator("weak")
    @classmethod
    def _some_weak(cls, v):
        if not v:
            raise ValueError("at least one weak model is needed")
        return v

    @model_validator(mode="after")
    def _aux_needs_a_torch_student(self):
        """The aux loss trains on the student's own hardened predictions, in torch: TF-IDF + logistic regression
        cannot take it (found here, before any training, instead of after the weak models)."""
        if "aux" in self.loss:
            for where, m in [("strong", self.strong), *((f"chain.{i}", c) for i, c in enumerate(self.chain))]:
                if m.kind == "tfidf":
                    raise ValueError(f"{where}: a tfidf model cannot be trained with the aux loss; use loss = "
                                     f"[\"xent\"] or a probe / mlp / finetune model")
        return self

    @property
    def title(self) -> str:
        return self.name or f"w2s-{Path(self.dataset).stem if '/' in self.dataset else self.dataset}"


def load_w2s_spec(path: str | Path) -> W2SSpec:
    data = read_toml(path)
    data.setdefault("type", "w2s")
    return validate(W2SSpec, data, str(path))


def bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """A suite's pair: the overseer is the weak supervisor (a linear probe on it), the overseen the fine-tuned
    strong student."""
    if overseer and "weak" not in table:
        table["weak"] = [f"probe:{overseer}"]
    if overseen and "strong" not in table:
        table["strong"] = f"finetune:{overseen}"
    return table
