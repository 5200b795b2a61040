"""The `[[experiment]]` table of type "cai": Constitutional AI on one LLM setup. The one home of the technique's
defaults, read by `proctor cai` and by suites.

    [[experiment]]
    type = "cai"
    policy = "openai-api/local/m"
    judge = "openai-api/local/j"
    limit = 100
    rounds = 2
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..runs.spec import LLMRunSettings


class CAISpec(LLMRunSettings):
    """Critique -> revision, AI preference labels and the harmlessness / helpfulness change on one LLM setup."""

    type: Literal["cai"] = "cai"
    """The technique: Constitutional AI."""
    name: str | None = None
    """Experiment title (default "cai")."""
    policy: str
    """Model that answers and revises (inspect name, e.g. openai-api/local/NAME; role policy)."""
    critic: str | None = None
    """Model that critiques (role critic; default: policy)."""
    judge: str | None = None
    """Model that compares and rates (role judge; default: critic)."""
    constitution: str = "default"
    """"default", a TOML file, or "cai-paper[:DIR]"."""
    prompts: str = "hh"
    """"hh" (HH-RLHF red-team first turns) or a JSONL file with `prompt`."""
    limit: int = Field(default=20, ge=1, le=100_000)
    """Number of prompts (seeded sample)."""
    rounds: int = Field(default=1, ge=1, le=20)
    """Critique/revision rounds."""
    seed: int = 0
    """Seed of prompt sampling, principle sampling, A/B order and bootstrap CIs."""
    prompt_templates: str | None = None
    """Folder overriding the prompt templates (*.jinja) by name."""
    pairs: Literal["samples", "revision"] = "samples"
    """The RL stage's preference pairs: "samples" = two replies sampled per prompt from the sampler, compared by the
    judge (Bai et al. 2022, Section 4); "revision" = each complete chain's first reply vs its final revision."""
    sampler: str | None = None
    """Model whose two samples per prompt form the pairs (role policy of the sampling task; default: policy). The
    paper samples its SL-CAI model: the policy fine-tuned on this run's sft.jsonl, served under its own name."""
    temperature: float = Field(default=1.0, gt=0, le=2)
    """Sampling temperature of the two replies per prompt (pairs = "samples")."""

    ADDED_LATER = ("prompt_templates",)

    @property
    def title(self) -> str:
        return self.name or "cai"
