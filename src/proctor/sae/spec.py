"""The SAE-monitor experiment's spec: the one home of its defaults, read by `proctor sae study | train` and by
`[[experiment]]` tables with `type = "sae"`.

    [[experiment]]
    type = "sae"
    sets = ["sst2"]
    sizes = { sst2 = 600 }

The SAE's own configs (`SAEConfig`, saved beside the weights, and `TrainConfig`, the trainer's) are derived from a
spec in one place, `trainer_configs`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..runs.spec import Spec
from .config import SAEConfig, TrainConfig

DEFAULT_SIZES = {"sycophancy": 600, "hh": 1000, "sst2": 2000}
"""Pairs (sycophancy, hh) or training sentences (sst2) of a set that `sizes` does not name."""


class SAESpec(Spec):
    """Train an SAE on one site of a model, then compare SAE-feature monitors with linear probes per set."""

    type: Literal["sae"] = "sae"
    """The technique: sparse-autoencoder monitors."""
    name: str | None = None
    """Experiment name in the report; defaults to "sae-<model>-<site>"."""
    model: str = "minilm"
    """A local Hugging Face model folder, a Hub id, or "minilm"."""
    site: str = "resid.3"
    """Capture site: resid.N (residual stream after block N) or mlp.N (MLP output of block N)."""
    sets: list[Literal["sycophancy", "hh", "sst2"]] = Field(default_factory=lambda: ["sycophancy", "hh", "sst2"])
    """Contrastive sets (proctor.sae.contrast); the SAE trains on the training-split tokens of all of them."""
    sizes: dict[str, int] = Field(default_factory=dict)
    """Per set: pairs (sycophancy, hh) or training sentences (sst2); missing sets use 600 / 1000 / 2000."""
    expansion_factor: int = Field(default=8, ge=1, le=256)
    """Latents per input dimension."""
    k: int = Field(default=32, ge=1, le=65_536)
    """Active latents per token (topk, batchtopk)."""
    architecture: Literal["topk", "batchtopk", "relu"] = "topk"
    """SAE architecture."""
    epochs: float = Field(default=8.0, gt=0, le=1000)
    """Passes over the training tokens."""
    batch_size: int = Field(default=4096, ge=2, le=1_048_576)
    """Rows per optimizer step."""
    max_train_rows: int = Field(default=300_000, ge=100, le=20_000_000)
    """Cap on training tokens (a seeded random subset of the training-split tokens of all sets)."""
    n_boot: int = Field(default=1000, ge=100, le=100_000)
    """Bootstrap resamples for the CIs."""
    seed: int = 0
    """Seed of the data subsample, the splits, the initialisation and the bootstrap."""
    splice: bool = True
    """Measure the cost of splicing the SAE into the model (needs sst2 among the sets)."""
    suppress: bool = True
    """Ablate each set's monitor latents and measure the effect."""

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: dict[str, int]) -> dict[str, int]:
        for name, n in v.items():
            if name not in DEFAULT_SIZES:
                raise ValueError(f"unknown set {name!r}; known: {', '.join(DEFAULT_SIZES)}")
            if not 10 <= n <= 1_000_000:
                raise ValueError(f"{name}: {n} is out of range; give 10 to 1,000,000")
        return v

    @property
    def title(self) -> str:
        return self.name or f"sae-{self.model if len(self.model) < 30 else 'model'}-{self.site}"

    def size(self, set_name: str) -> int | None:
        """Pairs or training sentences of `set_name`: `sizes`, else DEFAULT_SIZES."""
        return {**DEFAULT_SIZES, **self.sizes}.get(set_name)


QUICK: dict = {"sets": ["sst2"], "sizes": {"sst2": 300}, "expansion_factor": 4, "epochs": 2, "batch_size": 1024,
               "splice": False, "suppress": False}
"""`proctor sae study --quick`: the `sae` table of the quick suite (src/proctor/suites/quick.toml)."""


def trainer_configs(spec: SAESpec, d_in: int, *, num_latents: int = 0, steps: int | None = None,
                    lr: float | None = None, bf16: bool = False) -> tuple[SAEConfig, TrainConfig]:
    """The SAE's architecture and its training run, from the spec (the only place the two are filled from it).
    The keyword arguments are trainer settings that `proctor sae train` exposes and the spec does not."""
    from ..errors import ConfigError

    try:
        sae_cfg = SAEConfig(d_in=d_in, num_latents=num_latents, expansion_factor=spec.expansion_factor, k=spec.k,
                            architecture=spec.architecture, site=spec.site, model=spec.model)
        train_cfg = TrainConfig(batch_size=spec.batch_size, epochs=spec.epochs, steps=steps, lr=lr, bf16=bf16,
                                seed=spec.seed)
    except ValueError as e:
        raise ConfigError(" ".join(str(e).split())[:300]) from None
    return sae_cfg, train_cfg


def bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """The SAE monitor reads the overseen model's activations."""
    from ..runs.technique import split_model

    if overseen and "model" not in table:
        table["model"] = split_model(overseen)[0]
    return table
