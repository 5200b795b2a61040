"""The pixel-debate experiment's spec (Irving, Christiano & Amodei 2018, Table 2): the one home of its defaults, read
by `proctor debate pixels`'s options and by `[[experiment]]` tables with `type = "pixel_debate"`:

    [[experiment]]
    type = "pixel_debate"
    pixels = [6]
    precommit = [true]
    agent = "greedy"
    images = 200
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ...runs.spec import Spec

ORDERS = ("honest_first", "liar_first")

#: `proctor run --quick`'s pixel-debate table (src/proctor/suites/quick.toml, without `type`)
QUICK: dict = {"pixels": [6], "precommit": [True], "agent": "greedy", "images": 50, "unit_images": 50,
               "judge_steps": 1500}


class PixelDebateSpec(Spec):
    """MNIST debate with a sparse-pixel judge: judge accuracy on random pixels vs on pixels chosen by debaters."""

    ADDED_LATER: ClassVar[tuple[str, ...]] = ("orders", "mnist", "judge_eval_every")

    type: Literal["pixel_debate"] = "pixel_debate"
    """The technique: pixel debate on MNIST."""
    name: str | None = None
    """Experiment name in the report; defaults to "pixel-debate-<agent>"."""
    pixels: list[int] = Field(default_factory=lambda: [6])
    """Revealed pixels per debate (k); one judge is trained per k."""
    precommit: list[bool] = Field(default_factory=lambda: [True])
    """Debate variants: labels stated first (all 9 lies played per image), and/or not."""
    orders: list[Literal["honest_first", "liar_first"]] = Field(default_factory=lambda: list(ORDERS))
    """Who reveals the first pixel: the honest player, the liar, or both (debate accuracy = their mean)."""
    agent: Literal["greedy", "mcts"] = "greedy"
    """The debaters (both players)."""
    rollouts: int = Field(default=100, ge=1, le=100_000)
    """MCTS rollouts per move."""
    c_puct: float = Field(default=1.0, gt=0, le=1000)
    """MCTS exploration constant."""
    root_eval: bool = True
    """MCTS: judge every root pixel once, batched, before the rollouts; false = the paper's pure MCTS."""
    images: int = Field(default=200, ge=1, le=2000)
    """Held-out images debated (the first N of the fixed 2,000-image debate split)."""
    judge_steps: int = Field(default=6000, ge=1, le=1_000_000)
    """Adam steps of the judge (batch 128, lr 1e-3); the trained judge is cached by its config."""
    judge_eval_every: int = Field(default=0, ge=0, le=1_000_000)
    """Score the judge on the held-out images every N training steps (its learning curve; 0 = never). Scoring runs
    the judge channels-last and training goes on in that layout, so the weights differ in float rounding from a
    judge trained without: the suites behind docs/results.md's pixel-debate tables set 1000, as their judges had."""
    judge_draws: int = Field(default=10, ge=1, le=1000)
    """Independent random-pixel draws per image for the judge-alone accuracy."""
    unit_images: int = Field(default=100, ge=1, le=2000)
    """Images per unit of work: a killed run loses at most one such block per setting in flight."""
    seed: int = 0
    """Seed of the debaters' tie-breaks and of the random pixels."""
    n_boot: int = Field(default=1000, ge=100, le=100_000)
    """Bootstrap resamples of the images for the CIs."""
    mnist: str | None = None
    """MNIST folder holding the IDX files; None = $PROCTOR_DATA/mnist."""

    @field_validator("pixels")
    @classmethod
    def _pixels(cls, v):
        if not v or any(k < 1 or k > 40 for k in v):
            raise ValueError("pixels must be a non-empty list of counts between 1 and 40")
        return v

    @field_validator("orders")
    @classmethod
    def _orders(cls, v):
        if not v:
            raise ValueError("at least one order is needed")
        return v

    @property
    def title(self) -> str:
        return self.name or f"pixel-debate-{self.agent}"
