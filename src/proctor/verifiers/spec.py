"""The `[[experiment]]` table of type "verifiers": process vs outcome reward models on one data setting. The one home
of the technique's defaults, read by `proctor verify` and by suites."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from ..runs.spec import Spec

#: the `verifiers` table of `proctor run --quick` (src/proctor/suites/quick.toml), without `type`
QUICK: dict = {"data": "arith", "n_train": 150, "n_test": 60, "pool": 16, "seeds": 1}


class GeneratorSpec(Spec):
    """A policy of given strength that writes candidate arithmetic chains (see proctor.verifiers.arith.Generator)."""

    step_error: float = Field(default=0.15, ge=0, le=1)
    """Probability that each step's result is wrong (the error then propagates)."""
    compensate: float = Field(default=0.2, ge=0, le=1)
    """Probability that a chain that went wrong before its last step is steered back to the true answer (a hack)."""
    final_slip: float = Field(default=0.05, ge=0, le=1)
    """Probability that a chain misstates its own result as the final answer."""
    max_delta: int = Field(default=9, ge=1, le=1_000_000)
    """Errors are off by 1..max_delta."""


GENERATED = ("arith", "gsm8k")
"""The settings that bring their own data."""
FILE_FIELDS = ("test", "prompt_column", "completions_column", "labels_column", "split")
"""The fields that only go with a file `data`."""


class VerifiersSpec(Spec):
    """PRM vs ORM vs majority vote: best-of-N, ProcessBench-style error location, hackability (Lightman et al. 2023)."""

    type: Literal["verifiers"] = "verifiers"
    """The technique: process vs outcome supervision."""
    name: str | None = None
    """Experiment name in the report; defaults to "verifiers-<data>"."""
    data: str = Field(default="arith", min_length=1, max_length=1000)
    """"arith": generated arithmetic chains with exact step labels; "gsm8k": GSM8K references with injected errors for
    training, Cobbe et al.'s model solutions for best-of-4 (needs PROCTOR_DATA); or your training solutions: a file
    (TRL prompt/completions/labels, PRM800K, GSM8K), a save_to_disk folder or a Hub id, with `test`."""
    test: str | None = Field(default=None, min_length=1, max_length=1000)
    """With a file `data`: the test candidates (same formats), grouped by problem_id, with 'correct' (and 'labels' for
    ProcessBench and hackability)."""
    prompt_column: str | None = Field(default=None, min_length=1, max_length=200)
    """With a file `data`: the step table's prompt column, if not 'prompt'."""
    completions_column: str | None = Field(default=None, min_length=1, max_length=200)
    """With a file `data`: the column of step lists, if not 'completions'."""
    labels_column: str | None = Field(default=None, min_length=1, max_length=200)
    """With a file `data`: the column of per-step labels, if not 'labels'."""
    split: str | None = Field(default=None, min_length=1, max_length=400)
    """With a file `data`: the split of a saved DatasetDict folder or a Hub id, TRAIN or TRAIN,TEST (TEST for `test`;
    default: each one's train split, else its first)."""
    model: str = "minilm"
    """Encoder under both verifiers: "minilm", a local Hugging Face folder, or a Hub id."""
    head: Literal["mlp", "linear", "finetune"] = "mlp"
    """Head on frozen features (mlp, linear), or full fine-tuning of the encoder."""
    layers: int | None = Field(default=None, ge=1, le=1000)
    """Keep only the first k transformer blocks of the encoder."""
    epochs: float | None = Field(default=None, gt=0, le=1000)
    """Training epochs (None: 30 for heads, 2 for fine-tuning)."""
    max_length: int = Field(default=128, ge=8, le=8192)
    """Tokens kept per embedded segment."""
    n_train: int = Field(default=400, ge=10, le=1_000_000)
    """Training problems (arith) or training questions (gsm8k)."""
    k_train: int = Field(default=8, ge=1, le=1024)
    """arith: candidates sampled per training problem."""
    n_test: int = Field(default=150, ge=5, le=1_000_000)
    """Test problems."""
    pool: int = Field(default=64, ge=1, le=4096)
    """arith: candidates per test problem; best-of-N runs N = 1, 2, 4, ... up to it (gsm8k has 4)."""
    n_ops: tuple[int, int] = (3, 5)
    """arith: fewest and most operations per chain."""
    train_generator: GeneratorSpec = GeneratorSpec(step_error=0.2, compensate=0.3, final_slip=0.1)
    """arith: the policy whose samples (with exact labels) train both verifiers."""
    policy: GeneratorSpec = GeneratorSpec()
    """arith: the policy whose samples form the best-of-N pool."""
    aggregations: list[Literal["min", "product", "last"]] = Field(default_factory=lambda: ["min", "product", "last"])
    """How PRM step scores become a solution score."""
    headline_aggregation: Literal["min", "product", "last"] = "product"
    """The PRM aggregation in the scorecard row (Lightman et al.'s product), fixed before looking at results."""
    draws: int = Field(default=50, ge=1, le=10_000)
    """Random N-subsets of the pool per problem and N."""
    n_boot: int = Field(default=1000, ge=100, le=100_000)
    """Bootstrap resamples of problems for the CIs."""
    recall: float = Field(default=0.9, gt=0, lt=1)
    """Hackability threshold: each verifier accepts this share of the process-correct probe solutions."""
    threshold: float = Field(default=0.5, gt=0, lt=1)
    """ProcessBench: the first step scored below this is the predicted error."""
    seeds: int = Field(default=1, ge=1, le=1000)
    """Seeds seed..seed+seeds-1: new problems (arith) or new splits, and new verifier initialisations."""
    seed: int = Field(default=0, ge=0)
    """The first seed."""

    @model_validator(mode="after")
    def _ops(self):
        if not 1 <= self.n_ops[0] <= self.n_ops[1] <= 100:
            raise ValueError("n_ops must be (fewest, most) with 1 <= fewest <= most <= 100")
        if self.headline_aggregation not in self.aggregations:
            raise ValueError("headline_aggregation must be one of aggregations")
        table = [k for k in FILE_FIELDS if getattr(self, k) is not None]
        if self.data in GENERATED and table:
            raise ValueError(f"{', '.join(table)}: only with a file `data` (the generated and GSM8K settings bring "
                             "their own test set and columns)")
        if self.data not in GENERATED and self.test is None:
            raise ValueError(f"data {self.data!r} is a file, folder or Hub id: give `test` too (the candidates to "
                             "pick from)")
        parts = self.split_parts()
        if self.split is not None and (len(parts) > 2 or not all(parts)):
            raise ValueError(f"split {self.split!r}: expected TRAIN or TRAIN,TEST")
        return self

    ADDED_LATER = ("seed", *FILE_FIELDS)

    def split_parts(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.split.split(",")) if self.split else ()

    @property
    def title(self) -> str:
        if self.name:
            return self.name
        if self.data in GENERATED:
            return f"verifiers-{self.data}"
        return "verifiers-" + (re.sub(r"[^\w.-]+", "-", Path(self.data).name).strip("-.") or "data")


def bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """A suite's pair: the verifier (the PRM / ORM encoder) is the overseer."""
    from ..runs.technique import split_model

    if overseer and "model" not in table:
        table["model"], layers = split_model(overseer)
        if layers is not None and "layers" not in table:
            table["layers"] = layers
    return table
