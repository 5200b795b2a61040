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

from ..llm.run import ATTEMPT_TIMEOUT, MAX_RETRIES, TIMEOUT
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

    ADDED_LATER = ("prompt_templates",)

    @property
    def title(self) -> str:
        return self.name or "cai"
