"""The LLM-debate experiment's spec: the one home of its defaults, read by `proctor debate`'s options and by
`[[experiment]]` tables with `type = "debate"`. It needs a judge model (and debaters for consultancy / debate), so
the offline default suites do not include it:

    [[experiment]]
    type = "debate"
    dataset = "quality_example"
    protocols = ["naive", "expert", "consultancy", "debate"]
    judge = "openai-api/local/llama-3.1-8b"
    debater = "openai-api/local/qwen2.5-72b"
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ..llm.run import ATTEMPT_TIMEOUT, MAX_RETRIES, TIMEOUT
from ..runs.spec import Spec


class DebateSpec(Spec):
    """LLM oversight protocols (naive / expert judge, consultancy, debate) on one data set."""

    ADDED_LATER: ClassVar[tuple[str, ...]] = ("cache", "attempt_timeout", "question_column", "passage_column",
                                              "choices_column", "answer_column", "label_column")

    type: Literal["debate"] = "debate"
    """The technique: LLM debate and its baselines."""
    name: str | None = None
    """Experiment name in the report; defaults to "debate-<dataset>"."""
    dataset: str = "quality_example"
    """quality_example, a local QuALITY / multiple-choice file, a Hugging Face save_to_disk folder, or a Hub id."""
    split: str | None = None
    """Split of a Hub id or a saved DatasetDict folder (default validation, dev, test or train, the first present)."""
    question_column: str | None = Field(default=None, min_length=1, max_length=200)
    """The table's question column, if not 'question'."""
    passage_column: str | None = Field(default=None, min_length=1, max_length=200)
    """The passage / story column only debaters see, if not 'passage', 'article' or 'context'."""
    choices_column: str | None = Field(default=None, min_length=1, max_length=1000)
    """The answers: one list column, if not 'choices' (e.g. 'options'), or several columns of one answer each,
    comma-separated (e.g. 'correct_answer,distractor1,distractor2,distractor3')."""
    answer_column: str | None = Field(default=None, min_length=1, max_length=200)
    """The correct answer's column (0-based index, letter or the answer's text), if not 'answer'."""
    label_column: str | None = Field(default=None, min_length=1, max_length=200)
    """The same as answer_column, for tables that call it a label (e.g. 'answerKey'); give one of the two."""
    limit: int | None = Field(default=None, ge=1, le=1_000_000)
    """First N questions."""
    protocols: list[Literal["naive", "expert", "consultancy", "debate"]] = Field(
        default_factory=lambda: ["naive", "expert", "consultancy", "debate"])
    """Protocols to run."""
    judge: str
    """Judge model (inspect name, e.g. openai-api/local/NAME, vllm/..., hf/PATH)."""
    debater: str | None = None
    """Debater / consultant model (needed for consultancy and debate)."""
    debater_b: str | None = None
    """A different model for debater B; default the same as `debater` (self-play)."""
    rounds: int = Field(default=2, ge=0, le=20)
    """Debate rebuttal rounds / consultancy judge questions."""
    sequential: bool = False
    """Sequential debate rounds (default simultaneous)."""
    swap: bool = True
    """Alternate the correct answer's position across samples."""
    word_limit: int = Field(default=150, ge=10, le=10_000)
    """Words per debater / consultant turn."""
    logprobs: bool = False
    """Judge confidence from token log-probabilities when the provider returns them."""
    prompts: str | None = None
    """Folder of .jinja files overriding the packaged prompts."""
    max_connections: int | None = Field(default=None, ge=1, le=10_000)
    """Concurrent requests per model."""
    max_retries: int | None = Field(default=MAX_RETRIES, ge=0, le=100)
    """Retries of a failed model call (inspect's, with exponential back-off from 3 s)."""
    timeout: int | None = Field(default=TIMEOUT, ge=1, le=86_400)
    """Seconds per model call, retries and back-off included: then the sample fails."""
    attempt_timeout: int | None = Field(default=ATTEMPT_TIMEOUT, ge=1, le=86_400)
    """Seconds one attempt of a model call may take before it is abandoned and retried."""
    allow_failures: bool = Field(default=False, exclude=True)
    """Report a run in which some samples failed (counted) instead of exiting with an error; a run in which every
    sample failed is an error regardless (not part of the experiment)."""
    cache: bool = True
    """inspect's response cache: a rerun re-sends only the calls that never finished."""
    seed: int = 0
    """Bootstrap seed."""

    @field_validator("choices_column")
    @classmethod
    def _choice_names(cls, v: str | None) -> str | None:
        if v is not None and not all(c.strip() for c in v.split(",")):
            raise ValueError(f"{v!r}: expected COLUMN or COLUMN,COLUMN,... (an empty column name)")
        return v

    @model_validator(mode="after")
    def _one_answer_column(self):
        if self.answer_column and self.label_column and self.answer_column != self.label_column:
            raise ValueError("answer_column and label_column both name the correct answer's column; give one")
        return self

    def columns(self):
        """The table mapping these fields give (proctor.debate.data.DebateColumns)."""
        from .data import DebateColumns

        return DebateColumns.of(self.question_column, self.passage_column, self.choices_column, self.answer_column,
                                self.label_column)

    @property
    def title(self) -> str:
        return self.name or f"debate-{self.dataset.rsplit('/', 1)[-1]}"


def bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """A suite's pair: the judge is the overseer; the debaters (and the consultant) are the overseen model."""
    if overseer and "judge" not in table:
        table["judge"] = overseer
    if overseen and "debater" not in table:
        table["debater"] = overseen
    return table
