"""The settings of the alignment-tax demonstration and their defaults, read by `proctor tax interpolate`'s options
(the one home of both). The alignment tax is a CLI-only technique: no `[[experiment]]` type."""

from __future__ import annotations

from pydantic import Field

from ..runs.spec import Spec

__all__ = ["DemoConfig", "FormatsConfig"]


class DemoConfig(Spec):
    """The fine-tune that makes the demonstration's "aligned" checkpoint."""

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
    format: system + user turn, rendered by the model's chat template) and heldout (the chat format with an
    instruction wording not used elsewhere)."""
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
