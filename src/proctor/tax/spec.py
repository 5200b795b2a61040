"""The settings of the alignment-tax measurements and their defaults (the one home of both): `DemoConfig` (the
demonstration fine-tune of `proctor tax interpolate`), `FormatsConfig` (`proctor tax formats`) and `FormatsSpec`, the
`[[experiment]]` type `tax_formats`:

    [[experiment]]
    type = "tax_formats"
    base = "hf/ckpt/base"            # any inspect model id; scripted/base offline; minilm for retrieval:boolq
    aligned = "hf/ckpt/aligned"
    evals = ["gsm8k", "boolq"]
    formats = ["raw", "chat", "heldout"]
    limit = 500
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..data.fields import TABLE_FIELDS, TableColumns
from ..runs.spec import Spec

__all__ = ["DemoConfig", "FORMATS", "FormatsConfig", "FormatsSpec", "LLM_EVALS", "QUICK", "SCRIPTED_KINDS"]

#: The formats an item can be asked in (proctor.tax.formats renders them).
FORMATS = ("raw", "chat", "heldout", "paraphrase")
#: The capability evaluations asked through inspect-ai (others: retrieval:DATA for encoder checkpoints).
LLM_EVALS = ("gsm8k", "boolq")
#: The scripted stand-ins (scripted/KIND) that answer the LLM evaluations offline.
SCRIPTED_KINDS = ("base", "aligned-artifact", "aligned-intrinsic")


class DemoConfig(Spec, TableColumns):
    """The fine-tune that makes the demonstration's "aligned" checkpoint. Its table fields (`text_column`, ...,
    `split`; proctor.data.fields) map the columns of every user table `proctor tax interpolate` reads: the demo data
    set and the probe / retrieval evaluations' (named data sets keep their own)."""

    ADDED_LATER: ClassVar[tuple[str, ...]] = TABLE_FIELDS

    base: str = "minilm"
    """The base checkpoint (HF folder, Hub id, or 'minilm')."""
    layers: int | None = Field(None, ge=1, le=1000)
    """Keep the first k blocks (1 for a fast test); None: all."""
    dataset: str = "sst2"
    """The alignment target the base is fine-tuned on."""
    examples: int = Field(1000, ge=8, le=10_000_000)
    """Training examples (a stratified subsample)."""
    epochs: float = Field(2.0, gt=0, le=1000)
    """Passes over the examples."""
    lr: float = Field(1e-4, gt=0, le=1)
    """AdamW learning rate (cosine decay to 0)."""
    max_length: int = Field(64, ge=8, le=8192)
    """Tokens per training text."""
    seed: int = 0
    """Subsample and training seed."""


class FormatsConfig(Spec):
    """`proctor tax formats`: the alignment tax measured per evaluation format (section 18.7.1's first open question)."""

    evals: list[str] = ["gsm8k", "boolq"]
    """Capability evaluations: gsm8k and boolq through inspect-ai (any inspect model ids), or retrieval:boolq (or
    retrieval:FILE) for encoder checkpoints (`minilm`, HF folders), where a format is a query template."""
    formats: list[str] = ["raw", "chat"]
    """Formats, two or more of raw (few-shot completion, as pre-training evaluations prompt), chat (the deployment
    format: system + user turn, rendered by the model's chat template), heldout (the chat format with an
    instruction wording not used elsewhere) and paraphrase (the chat format on held-out items: each question reworded
    by `paraphraser`)."""
    paraphraser: str | None = None
    """The inspect model id that rewords each item's question for the paraphrase format (scripted/paraphraser
    offline); needed when `formats` has paraphrase. A rewording that drops one of a GSM8K question's numbers, comes
    back empty or runs 4x longer is not used: that item keeps its own wording there (counted in the results)."""
    deployment: str = "chat"
    """The format that matches deployment: the share of the raw-format tax that disappears is measured in it."""
    limit: int = Field(200, ge=2, le=100_000)
    """Items per evaluation (a seeded sample of the test split)."""
    shots: int = Field(4, ge=0, le=32)
    """Few-shot examples in the raw format (from GSM8K's train split; BoolQ items outside the evaluated sample)."""
    max_tokens: int = Field(512, ge=1, le=32_768)
    """Generation limit per answer."""
    n_boot: int = Field(2000, ge=100, le=100_000)
    """Bootstrap replicates, resampling items (paired: the same items for both checkpoints and every format)."""
    ci: float = Field(0.95, gt=0, lt=1)
    """Coverage of the percentile bootstrap intervals."""
    artifact_share: float = Field(0.5, gt=0, lt=1)
    """Verdict threshold: artifact when the CI of the share of the raw-format tax that disappears in the deployment
    format lies above it; intrinsic when that CI lies below it and the deployment-format tax is itself above 0."""
    max_length: int = Field(64, ge=8, le=8192)
    """Tokens per text for encoder checkpoints (retrieval evaluations)."""
    seed: int = 0
    """Item sample, few-shot choice and bootstrap seed."""

    @model_validator(mode="after")
    def _consistent(self):
        bad = [f for f in self.formats if f not in FORMATS]
        if bad or len(set(self.formats)) < 2 or "raw" not in self.formats:
            raise ValueError(f"formats (--formats): give two or more of {', '.join(FORMATS)}, raw among them"
                             + (f" (unknown: {bad[0]!r})" if bad else ""))
        if len(set(self.formats)) != len(self.formats):
            raise ValueError("formats (--formats): a format is named twice")
        if self.deployment not in self.formats or self.deployment == "raw":
            raise ValueError(f"deployment (--deployment) {self.deployment!r}: must be one of the formats other than "
                             "raw")
        unknown = [e for e in self.evals if e not in LLM_EVALS and not e.startswith("retrieval:")]
        if unknown:
            raise ValueError(f"evals (--eval) {unknown[0]!r}: expected {', '.join(LLM_EVALS)} or retrieval:DATA")
        retrieval = [e.startswith("retrieval:") for e in self.evals]
        if not self.evals or (any(retrieval) and not all(retrieval)):
            raise ValueError("evals (--eval): retrieval evaluations (encoders) and LLM evaluations cannot be mixed "
                             "in one run" if self.evals else "evals (--eval): give at least one evaluation")
        if len(set(self.evals)) != len(self.evals):
            raise ValueError("evals (--eval): an evaluation is named twice")
        if ("paraphrase" in self.formats) != (self.paraphraser is not None):
            raise ValueError("paraphraser (--paraphraser): give it exactly when formats include paraphrase")
        if self.paraphraser is not None and self.evals[0].startswith("retrieval:"):
            raise ValueError("paraphraser (--paraphraser): the retrieval stand-in has no paraphrase format")
        if (self.paraphraser or "").startswith("scripted/") and self.paraphraser != "scripted/paraphraser":
            raise ValueError(f"paraphraser {self.paraphraser!r}: the scripted one is scripted/paraphraser")
        return self

    @property
    def encoder(self) -> bool:
        """Retrieval evaluations on encoder checkpoints (else LLM evaluations through inspect-ai)."""
        return self.evals[0].startswith("retrieval:")


QUICK: dict = {"base": "scripted/base", "aligned": "scripted/aligned-artifact", "evals": ["gsm8k", "boolq"],
               "limit": 40, "n_boot": 500}
"""The `tax_formats` table of the quick suite (src/proctor/suites/quick.toml): scripted models, a check of the
machinery."""


class FormatsSpec(FormatsConfig):
    """The alignment tax per evaluation format as a suite experiment: each checkpoint's answers in every format are
    one unit; the summary is the paired-bootstrap analysis and its scorecard row the share of the raw-format tax that
    disappears in the deployment format."""

    type: Literal["tax_formats"] = "tax_formats"
    """The technique: the alignment tax by evaluation format."""
    name: str | None = None
    """Experiment name in the report; defaults to "tax-formats-<aligned model>"."""
    base: str
    """The base checkpoint: an inspect model id (hf/PATH, vllm/NAME, openai-api/...) or scripted/base; for retrieval
    evaluations minilm, an HF folder or a Hub id (NAME@k keeps the first k blocks)."""
    aligned: str
    """The aligned checkpoint, same kinds as `base` (scripted: scripted/aligned-artifact or
    scripted/aligned-intrinsic)."""
    allow_failures: bool = Field(default=False, exclude=True)
    """Score the samples that finished when some model calls failed (failed ones count as wrong; not part of the
    experiment)."""

    @model_validator(mode="after")
    def _models(self):
        for role in ("base", "aligned"):
            model = getattr(self, role)
            if model.startswith("scripted/"):
                if self.encoder:
                    raise ValueError(f"{role} {model!r}: scripted models answer gsm8k and boolq; retrieval "
                                     "evaluations need encoder checkpoints")
                if model.removeprefix("scripted/") not in SCRIPTED_KINDS:
                    raise ValueError(f"{role} {model!r}: expected " + ", ".join(f"scripted/{k}" for k in SCRIPTED_KINDS))
        return self

    @property
    def title(self) -> str:
        return self.name or "tax-formats-" + "".join(c if c.isalnum() or c in "-_." else "-" for c in self.aligned)

    @property
    def scripted(self) -> bool:
        return self.base.startswith("scripted/") or self.aligned.startswith("scripted/")
