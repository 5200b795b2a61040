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

from ..runs.spec import Spec


class CAISpec(Spec):
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
    limit: int = Field(default=20, ge=1)
    """Number of prompts (seeded sample)."""
    rounds: int = Field(default=1, ge=1)
    """Critique/revision rounds."""
    seed: int = 0
    """Seed of prompt sampling, principle sampling, A/B order and bootstrap CIs."""
    prompt_templates: str | None = None
    """Folder overriding the prompt templates (*.jinja) by name."""
    cache: bool = Field(default=True, exclude=True)
    """inspect's response cache: a rerun re-sends only the calls that did not finish (not part of the experiment)."""
    max_samples: int | None = Field(default=None, ge=1, exclude=True)
    """Concurrent samples (inspect max_samples; not part of the experiment)."""

    ADDED_LATER = ("prompt_templates",)

    @property
    def title(self) -> str:
        return self.name or "cai"
