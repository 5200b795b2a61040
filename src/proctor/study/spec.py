"""The study's two specs: `StudyConfig`, the design of one study (its `study.toml`, written by `proctor study init`),
and `StudySpec`, the `[[experiment]]` table (`type = "study"`) that puts a study's judgments into a suite's report and
scorecard. Both are pydantic, unknown keys are errors, and a bad value is one line naming the file and the field.

    # DIR/study.toml
    name = "demo"
    items = "items.jsonl"        # the study's items (written by init; format: docs/study.md)
    judges = 6                   # judge slots: the design assigns items to judges 1..judges
    judges_per_item = 2          # N: each item is judged by N different judges
    seed = 0                     # assignment, answer positions and queue order
    time_limit = 0               # seconds per item, enforced by the server; a later judgment is refused (0 = none)
    min_turns = 1                # live protocols: questions the judge must ask before judging
    max_turns = 3                # live protocols: questions the judge may ask per item
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..runs.spec import Spec

STUDY_FILE = "study.toml"
ITEMS_FILE = "items.jsonl"
DB_FILE = "study.sqlite"


class StudyConfig(Spec):
    """A human-judging study: which items, how many judges, how they are assigned (study.toml)."""

    name: str = "study"
    """The study's name (shown on its pages, names its experiment in a suite)."""
    items: str = ITEMS_FILE
    """The items file, relative to the study folder (written by `proctor study init`)."""
    judges: int = Field(default=6, ge=1, le=10_000)
    """Judge slots in the design: items are assigned to judges 1..judges (invites mint tokens for them)."""
    judges_per_item: int = Field(default=2, ge=1, le=1_000)
    """N: how many different judges judge each item."""
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    """Seed of the assignment, the counterbalanced answer positions and each judge's queue order."""
    time_limit: int = Field(default=0, ge=0, le=86_400)
    """Seconds a judge has per item, from when the server first served it (0 = no limit); a later judgment is
    refused (409) and the item recorded as timed out (counted as `timed_out`, not in accuracy)."""

    min_turns: int = Field(default=1, ge=0, le=50)
    """Live protocols: questions a judge must ask the consultant before judging."""
    max_turns: int = Field(default=3, ge=0, le=50)
    """Live protocols: questions a judge may ask the consultant per item."""

    @model_validator(mode="after")
    def _enough_judges(self):
        if self.min_turns > self.max_turns:
            raise ValueError(f"min_turns ({self.min_turns}) is more than max_turns ({self.max_turns})")
        if self.judges_per_item > self.judges:
            raise ValueError(f"judges_per_item ({self.judges_per_item}) is more than judges ({self.judges})")
        return self


class StudySpec(Spec):
    """Human (and model) judgments of a `proctor study` folder, as an experiment of a suite."""

    type: Literal["study"] = "study"
    """The technique: a human-judging study."""
    name: str | None = None
    """Experiment name in the report; defaults to "study-<folder name>"."""
    study: str
    """The study folder (made by `proctor study init`)."""
    db: str | None = None
    """SQLAlchemy URL of the study's database (default: the SQLite file in the study folder)."""
    n_boot: int = Field(default=1000, ge=100, le=100_000)
    """Bootstrap resamples (judges and questions resampled together: a two-way cluster bootstrap)."""
    seed: int = 0
    """Bootstrap seed."""

    @property
    def title(self) -> str:
        from pathlib import Path

        return self.name or f"study-{Path(self.study).name or 'study'}"
