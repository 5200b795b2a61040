"""The settings of the alignment-tax demonstration and their defaults, read by `proctor tax interpolate`'s options
(the one home of both). The alignment tax is a CLI-only technique: no `[[experiment]]` type."""

from __future__ import annotations

from pydantic import Field

from ..runs.spec import Spec

__all__ = ["DemoConfig"]


class DemoConfig(Spec):
    """The fine-tune that makes the demonstration's "aligned" checkpoint."""

    base: str = "minilm"
    """The base checkpoint (HF folder, Hub id, or 'minilm')."""
    layers: int | None = Field(None, ge=1)
    """Keep the first k blocks (1 for a fast test); None: all."""
    dataset: str = "sst2"
    """The alignment target the base is fine-tuned on."""
    examples: int = Field(1000, ge=8)
    """Training examples (a stratified subsample)."""
    epochs: float = Field(2.0, gt=0)
    """Passes over the examples."""
    lr: float = Field(1e-4, gt=0)
    """AdamW learning rate (cosine decay to 0)."""
    max_length: int = Field(64, ge=8)
    """Tokens per training text."""
    seed: int = 0
    """Subsample and training seed."""
