"""The `[[experiment]]` table of type "verifiers": process vs outcome reward models on one data setting. The one home
of the technique's defaults, read by `proctor verify` and by suites."""

from __future__ import annotations

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


class VerifiersSpec(Spec):
    """PRM vs ORM vs majority vote: best-of-N, ProcessBench-style error location, hackability (Lightman et al. 2023)."""

    type: Literal["verifiers"] = "verifiers"
    """The technique: process vs outcome supervision."""
    name: str | None = None
    """Experiment name in the report; defaults to "verifiers-<data>"."""
    data: Literal["arith", "gsm8k"] = "arith"
    """"arith": generated arithmetic chains with exact step labels; "gsm8k": GSM8K references with injected errors for
    training, Cobbe et al.'s model solutions for best-of-4 (needs PROCTOR_DATA)."""
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
        return self

    ADDED_LATER = ("seed",)

    @property
    def title(self) -> str:
        return self.name or f"verifiers-{self.data}"


def bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """A suite's pair: the verifier (the PRM / ORM encoder) is the overseer."""
    from ..runs.technique import split_model

    if overseer and "model" not in table:
        table["model"], layers = split_model(overseer)
        if layers is not None and "layers" not in table:
            table["layers"] = layers
    return table
