"""The `[[experiment]]` table of type "rrm": the nested-oversight calculator and (optionally) assisted evaluation.
The one home of the technique's defaults, read by `proctor rrm` and by suites.

    [[experiment]]
    type = "rrm"
    gaps = [400, 800]
    evaluator = "openai-api/local/small"      # optional: without it only the calculator runs
    assistant = "openai-api/local/big"
    items = "gsm8k"
    n = 100
    depth = 2
    mislead = 0.2
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..runs.spec import LLMRunSettings

#: the `rrm` table of `proctor run --quick` (src/proctor/suites/quick.toml), without `type`
QUICK: dict = {"gaps": [400]}

class RRMSpec(LLMRunSettings):
    """Nested-oversight calculator and (optionally) assisted evaluation with an LLM."""

    type: Literal["rrm"] = "rrm"
    """The technique: recursive reward modeling."""
    name: str | None = None
    """Experiment title (default "rrm")."""
    games: list[str] = Field(default_factory=lambda: ["Mafia", "Debate", "Backdoor Code", "Wargames"])
    """Games of Engels et al. 2025 whose fitted Elo lines feed the calculator."""
    gaps: list[float] = Field(default_factory=lambda: [400.0])
    """General-Elo gaps between the starting Guard and the target Houdini."""
    max_steps: int = Field(default=20, ge=1, le=1000)
    """Largest number of oversight steps searched for n* (the paper's code: 20)."""
    plateaus: bool = False
    """Apply the fitted saturation plateaus (Backdoor Code Houdini)."""
    evaluator: str | None = None
    """Weak evaluator model (inspect name, role evaluator); with `assistant`, enables the assisted-evaluation unit."""
    assistant: str | None = None
    """Assistant model (inspect name, role assistant)."""
    items: str = "gsm8k"
    """Evaluation items: gsm8k, quality, or a JSONL file (question, answer, label)."""
    n: int = Field(default=40, ge=1, le=100_000)
    """Number of items (seeded sample)."""
    depth: int = Field(default=1, ge=0, le=10)
    """Assistance levels (0 = unassisted only)."""
    mislead: float = Field(default=0.0, ge=0.0, le=1.0)
    """Fraction of (item, level) pairs with a misleading assistant."""
    seed: int = 0
    """Seed of item sampling, misleading assistants and bootstrap CIs."""
    prompt_templates: str | None = None
    """Folder overriding the prompt templates (*.jinja) by name."""
    logprobs: bool = True
    """Ask the evaluator for token log-probabilities (its confidence)."""

    ADDED_LATER = ("prompt_templates", "logprobs")

    @field_validator("gaps")
    @classmethod
    def _gaps(cls, v: list[float]) -> list[float]:
        if not v or any(not 0 <= g <= 100_000 for g in v):
            raise ValueError("gaps must be a non-empty list of Elo gaps between 0 and 100,000")
        return v

    @property
    def title(self) -> str:
        return self.name or "rrm"
