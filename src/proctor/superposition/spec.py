"""The superposition experiment's spec: the one home of its defaults, read by `proctor superposition toy |
interference` and by `[[experiment]]` tables with `type = "superposition"`.

    [[experiment]]
    type = "superposition"
    features = 20
    dims = 5
    sparsities = [0.0, 0.7, 0.9, 0.97, 0.99]
    seeds = 1
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..runs.spec import Spec

MAX_BATCH_VALUES = 2**28
"""Most values (models x batch x features) one training step of the toy sweep may sample: 1 GiB of float32."""


class SuperpositionSpec(Spec):
    """Toy models of superposition (Elhage et al. 2022) and interference in real representations."""

    type: Literal["superposition"] = "superposition"
    """The technique: superposition."""
    name: str | None = None
    """Experiment name in the report; defaults to "superposition-n<features>-m<dims>"."""
    features: int = Field(default=20, ge=2, le=2000)
    """n: sparse input features of the toy models."""
    dims: int = Field(default=5, ge=1, le=2000)
    """m: hidden dimensions (must be < features)."""
    sparsities: list[float] = Field(default_factory=lambda: [0.0, 0.7, 0.9, 0.97, 0.99])
    """Feature sparsities S (a feature is present with probability 1 - S); one toy model each."""
    importance_decay: float = Field(default=0.7, gt=0, le=1)
    """Importance I_i = decay^i (1 = uniform importance)."""
    steps: int = Field(default=2000, ge=1, le=1_000_000)
    """Adam steps of the batched sweep (all models train at once)."""
    lr: float = Field(default=1e-2, gt=0, le=1)
    """Adam learning rate."""
    batch_size: int = Field(default=1024, ge=1, le=65_536)
    """Samples per step per model."""
    seeds: int = Field(default=1, ge=1, le=1000)
    """Sweeps, with seeds seed .. seed+seeds-1 (spread of represented-feature counts across seeds)."""
    seed: int = 0
    """The first sweep's seed (initialisation and data; also the real-representation measurement's)."""
    interference_sparsity: float | None = Field(default=0.9, ge=0, lt=1)
    """Sparsity of the toy model whose features are ablated one at a time (one of `sparsities`); none: no
    interference check."""
    minilm: bool = False
    """Also measure MiniLM's FFN neurons of `block` on SST-2 token activations (needs PROCTOR_DATA; ~3 minutes)."""
    block: int = Field(default=6, ge=1, le=6)
    """MiniLM block (from 1; all-MiniLM-L6-v2 has 6) whose FFN neurons are the dictionary when `minilm` is true."""
    sae: str | None = None
    """Also measure an SAE folder saved by `proctor sae` (decoder interference, collateral effects)."""
    suppress: int = Field(default=32, ge=1, le=100_000)
    """Latents suppressed one at a time in the real-representation measurement."""
    texts: int = Field(default=400, ge=20, le=100_000)
    """SST-2 test sentences whose token activations the real measurement uses."""

    @field_validator("sparsities")
    @classmethod
    def _range(cls, v):
        if not v or any(not 0 <= s < 1 for s in v):
            raise ValueError("sparsities must be a non-empty list of values in [0, 1)")
        if len(v) > 1000:
            raise ValueError(f"sparsities: {len(v)} values; at most 1000 toy models train at once")
        return v

    @model_validator(mode="after")
    def _shape(self):
        if self.dims >= self.features:
            raise ValueError(f"dims ({self.dims}) must be smaller than features ({self.features})")
        s = self.interference_sparsity
        if s is not None and not any(abs(v - s) < 1e-12 for v in self.sparsities):
            raise ValueError(f"interference_sparsity {s} is not one of sparsities")
        # one step samples (models, batch_size, features) values at once: keep that under MAX_BATCH_VALUES
        values = len(self.sparsities) * self.batch_size * self.features
        if values > MAX_BATCH_VALUES:
            raise ValueError(f"batch_size: {len(self.sparsities)} models x batch_size {self.batch_size} x features "
                             f"{self.features} = {values:,} values per step, above the {MAX_BATCH_VALUES:,} that fit "
                             f"in memory (1 GiB); use a smaller batch_size, fewer features or fewer sparsities")
        return self

    @property
    def title(self) -> str:
        return self.name or f"superposition-n{self.features}-m{self.dims}"

    def seed_list(self) -> list[int]:
        return list(range(self.seed, self.seed + self.seeds))

    def sweep(self, seed: int):
        """The batched toy sweep of one seed (proctor.superposition.toy.ToySweep)."""
        from .toy import ToySweep

        return ToySweep(n_features=self.features, n_hidden=self.dims, densities=tuple(1 - s for s in self.sparsities),
                        importance_decay=self.importance_decay, steps=self.steps, lr=self.lr,
                        batch_size=self.batch_size, seed=seed)


QUICK: dict = {"seeds": 1}
"""The `superposition` table of the quick suite (src/proctor/suites/quick.toml)."""
