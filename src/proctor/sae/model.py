"""`SparseAutoencoder`: TopK, BatchTopK and ReLU + L1 SAEs with unit-norm decoder rows, in sparsify's tensor layout.

Parameters (the names and shapes EleutherAI sparsify uses, so its checkpoints load unchanged):
    encoder.weight [latents, d_in], encoder.bias [latents], W_dec [latents, d_in], b_dec [d_in].

`forward(x, dead_mask=...)` returns a `ForwardOutput` with the reconstruction, the code, FVU, the AuxK loss and the
training loss. Saving and loading live in `proctor.sae.checkpoint`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from .config import SAEConfig
from .topk import (
    auxk_loss,
    batch_topk_mask,
    dense_code,
    dense_decode,
    dense_topk_encode,
    sparse_decode,
    sparse_topk_encode,
    total_variance,
)


class ForwardOutput(NamedTuple):
    x_hat: Tensor
    """Reconstruction [n, d_in]."""
    values: Tensor
    """Activations of the active latents [n, k] (topk) or the dense code [n, latents] (batchtopk, relu)."""
    indices: Tensor | None
    """Indices of the active latents [n, k] (topk); None when `values` is dense."""
    fvu: Tensor
    """Fraction of variance unexplained over the batch."""
    auxk: Tensor
    """AuxK loss on dead latents (0 when none are dead or for relu)."""
    l1: Tensor
    """Scale-free L1 penalty term (relu; 0 otherwise)."""
    loss: Tensor
    """What training minimises: fvu + auxk_alpha * auxk + l1_coeff * l1."""
    fired: Tensor
    """Boolean [latents]: which latents were active on some row of this batch."""


class SparseAutoencoder(nn.Module):
    def __init__(self, cfg: SAEConfig, *, device=None, dtype=None, seed: int | None = None):
        super().__init__()
        self.cfg = cfg
        n, d = cfg.num_latents, cfg.d_in
        self.encoder = nn.Linear(d, n, device=device, dtype=dtype)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        with torch.no_grad():
            bound = 1 / d**0.5
            self.encoder.weight.copy_(torch.empty(n, d).uniform_(-bound, bound, generator=gen))
            self.encoder.bias.zero_()
        # Tied initialisation (Gao et al. 2024): the decoder starts as the encoder's transpose, rows unit-norm.
        self.W_dec = nn.Parameter(self.encoder.weight.detach().clone())
        self.b_dec = nn.Parameter(torch.zeros(d, device=device, dtype=dtype))
        self.encoder_impl = "sparse"
        self.decoder_impl = "sparse"
        if cfg.normalize_decoder:
            self.normalize_decoder()

    # -- the public interface other packages use -------------------------------------------------------------------
    @property
    def d_in(self) -> int:
        return self.cfg.d_in

    @property
    def num_latents(self) -> int:
        return self.cfg.num_latents

    def pre_acts(self, x: Tensor) -> Tensor:
        """ReLU(W_enc (x - b_dec) + b_enc) for every latent, [n, latents]."""
        return torch.relu(self.encoder(x.to(self.encoder.weight.dtype) - self.b_dec))

    def encode(self, x: Tensor) -> Tensor:
        """The dense sparse code z [n, latents] of activations x [n, d_in] (inference: batchtopk uses its threshold)."""
        pre = self.pre_acts(x)
        arch = self.cfg.architecture
        if arch == "topk":
            v, i = pre.topk(self.cfg.k, dim=-1, sorted=False)
            return dense_code(v, i, self.num_latents)
        if arch == "batchtopk":
            if self.cfg.threshold is None:
                return pre * batch_topk_mask(pre, self.cfg.k)
            return pre * (pre > self.cfg.threshold)
        return pre

    def decode(self, z: Tensor) -> Tensor:
        """x_hat = z W_dec + b_dec for a dense code z [n, latents]."""
        return z.to(self.W_dec.dtype) @ self.W_dec + self.b_dec

    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    # -- training ----------------------------------------------------------------------------------------------------
    def forward(self, x: Tensor, *, dead_mask: Tensor | None = None, auxk_alpha: float = 0.0) -> ForwardOutput:
        x = x.to(self.encoder.weight.dtype) if not torch.is_autocast_enabled(x.device.type) else x
        variance = total_variance(x.float())
        x_sub = x - self.b_dec
        arch = self.cfg.architecture
        zero = x.new_zeros((), dtype=torch.float32)
        l1 = zero
        if arch == "topk":
            enc = sparse_topk_encode if self.encoder_impl == "sparse" else dense_topk_encode
            values, indices = enc(x_sub, self.encoder.weight, self.encoder.bias, self.cfg.k)
            dec = sparse_decode if self.decoder_impl == "sparse" else dense_decode
            x_hat = dec(values, indices, self.W_dec) + self.b_dec
            fired = torch.zeros(self.num_latents, dtype=torch.bool, device=x.device)
            fired[indices.flatten()[values.flatten() > 0]] = True
        else:
            pre = torch.relu(self.encoder(x_sub))
            if arch == "batchtopk":
                mask = batch_topk_mask(pre, self.cfg.k)
                values = pre * mask
                if self.training:
                    self._update_threshold(pre[mask])
            else:
                values = pre
                x_norm = (x.float() - x.float().mean(0)).norm(dim=-1).mean().clamp_min(1e-8)
                l1 = values.float().sum(-1).mean() / x_norm
            indices = None
            x_hat = values @ self.W_dec + self.b_dec
            fired = (values > 0).any(0)
        e = x.float() - x_hat.float()
        fvu = e.pow(2).sum() / variance
        aux = zero
        if arch != "relu" and dead_mask is not None and auxk_alpha > 0 and bool(dead_mask.any()):
            aux = auxk_loss(x_sub, e, dead_mask, weight=self.encoder.weight, bias=self.encoder.bias,
                            W_dec=self.W_dec, variance=variance)
        loss = fvu + auxk_alpha * aux + self.cfg.l1_coeff * l1
        return ForwardOutput(x_hat, values, indices, fvu, aux, l1, loss, fired)

    @torch.no_grad()
    def _update_threshold(self, kept: Tensor) -> None:
        if kept.numel() == 0:
            return
        low = float(kept.min())
        old = self.cfg.threshold
        self.cfg.threshold = low if old is None else 0.99 * old + 0.01 * low

    @torch.no_grad()
    def normalize_decoder(self) -> None:
        """Scale each decoder row to unit L2 norm."""
        eps = torch.finfo(self.W_dec.dtype).eps
        self.W_dec.div_(self.W_dec.norm(dim=1, keepdim=True) + eps)

    @torch.no_grad()
    def project_decoder_grad(self) -> None:
        """Remove from each decoder row's gradient its component along the row (keeps rows on the unit sphere)."""
        if self.W_dec.grad is None:
            return
        parallel = (self.W_dec.grad * self.W_dec).sum(1, keepdim=True)
        self.W_dec.grad.sub_(parallel * self.W_dec)

    @torch.no_grad()
    def init_b_dec(self, sample: Tensor, how: str = "geometric_median") -> None:
        """Set b_dec to the geometric median (Weiszfeld) or the mean of `sample` rows, or leave it at zero."""
        if how == "zeros":
            return
        sample = sample.float()
        self.b_dec.copy_(geometric_median(sample) if how == "geometric_median" else sample.mean(0))


def geometric_median(points: Tensor, iters: int = 100, tol: float = 1e-6) -> Tensor:
    """argmin_y sum_i ||x_i - y||, by Weiszfeld's iteration from the mean."""
    y = points.mean(0)
    for _ in range(iters):
        w = 1 / (points - y).norm(dim=1).clamp_min(1e-8)
        new = (w[:, None] * points).sum(0) / w.sum()
        if (new - y).norm() <= tol * (y.norm() + 1e-12):
            return new
        y = new
    return y
