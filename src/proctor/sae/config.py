"""SAE configuration: the architecture (`SAEConfig`, saved beside the weights) and the training run (`TrainConfig`).

Every field is documented where it is declared. The width-scaled learning rate is Gao et al. 2024 ("Scaling and
evaluating sparse autoencoders", sec. 2.3 / appendix A): lr = 2e-4 / sqrt(latents / 2^14).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ARCHITECTURES = ("topk", "batchtopk", "relu")


class SAEConfig(BaseModel):
    """The shape and activation of one sparse autoencoder; written to `config.json` beside `sae.safetensors`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    d_in: int = Field(ge=1)
    """Width of the activations the SAE reads (MiniLM: 384)."""
    num_latents: int = Field(default=0, ge=0)
    """Dictionary size; 0 means `expansion_factor * d_in`."""
    expansion_factor: int = Field(default=8, ge=1)
    """Latents per input dimension when `num_latents` is 0."""
    architecture: Literal["topk", "batchtopk", "relu"] = "topk"
    """topk: keep the k largest pre-activations per row (Gao et al. 2024); batchtopk: keep the k * batch largest over
    the whole batch, then a learned global threshold at inference (Bussmann et al. 2024); relu: ReLU with an L1
    penalty (Bricken et al. 2023)."""
    k: int = Field(default=32, ge=1)
    """Active latents per row (topk), or on average per row (batchtopk). Ignored by relu."""
    l1_coeff: float = Field(default=0.5, ge=0)
    """relu only: weight of the L1 penalty, sum of latent activations (decoder rows are unit-norm) divided by the
    mean centred input norm, so the value does not depend on the activation scale."""
    normalize_decoder: bool = True
    """Keep each decoder row at unit L2 norm (and project out the gradient parallel to it before each step)."""
    threshold: float | None = None
    """batchtopk only: the inference threshold, a running mean of the smallest kept activation during training."""
    site: str = ""
    """Where the activations came from, e.g. "resid.3" (residual stream after block 3) or "mlp.3"."""
    model: str = ""
    """The model whose activations the SAE reads (a name, folder or Hub id), for the record."""

    @model_validator(mode="after")
    def _width(self):
        if self.num_latents == 0:
            self.num_latents = self.expansion_factor * self.d_in
        if self.architecture != "relu" and self.k > self.num_latents:
            raise ValueError(f"k ({self.k}) must not exceed num_latents ({self.num_latents})")
        return self


def scaled_lr(num_latents: int, base: float = 2e-4) -> float:
    """Gao et al. 2024: lr = 2e-4 / sqrt(latents / 2^14) (2e-4 at 16k latents, larger for narrower SAEs)."""
    return base / math.sqrt(num_latents / 2**14)


class TrainConfig(BaseModel):
    """One SAE training run over a fixed set of activation rows."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    batch_size: int = Field(default=4096, ge=2)
    """Rows per optimizer step (split over DDP ranks: each takes batch_size / world_size)."""
    epochs: float = Field(default=8.0, gt=0)
    """Passes over the activation rows (fractional allowed); `steps` overrides when set. The same default as
    `proctor.sae.spec.SAESpec.epochs` (tests/test_sae_math.py checks that the shared defaults agree)."""
    steps: int | None = Field(default=None, ge=1)
    """Optimizer steps; None = epochs * rows / batch_size."""
    lr: float | None = Field(default=None, gt=0)
    """Adam learning rate; None = `scaled_lr(num_latents)` (Gao et al. 2024)."""
    warmup_steps: int = Field(default=50, ge=0)
    """Linear learning-rate warm-up."""
    auxk_alpha: float = Field(default=1 / 32, ge=0)
    """Weight of the AuxK loss on dead latents (Gao et al. 2024 use 1/32); topk and batchtopk only."""
    dead_rows: int = Field(default=200_000, ge=1)
    """A latent that has not fired in this many training rows counts as dead (and enters the AuxK loss)."""
    b_dec_init: Literal["geometric_median", "mean", "zeros"] = "geometric_median"
    """How the decoder bias starts: the geometric median of a sample of rows (Weiszfeld), their mean, or zero."""
    encoder: Literal["sparse", "dense"] = "sparse"
    """sparse: TopK encoder whose backward only touches the chosen latents (index_add); dense: plain autograd."""
    decoder: Literal["sparse", "dense"] = "sparse"
    """sparse: decode with embedding_bag over the k chosen rows; dense: scatter to a dense code, then a matmul."""
    bf16: bool = False
    """Run the forward under bf16 autocast (the weights and the optimizer state stay float32)."""
    seed: int = 0
    """Seed of the initialisation and of the row order."""
    log_every: int = Field(default=50, ge=1)
    """Record FVU / L0 / dead fraction every this many steps."""
