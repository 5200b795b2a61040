"""The math of TopK sparse autoencoders (Gao et al. 2024, "Scaling and evaluating sparse autoencoders").

    z = TopK(ReLU(W_enc (x - b_dec) + b_enc))          keep the k largest pre-activations per row, zero the rest
    x_hat = z W_dec + b_dec                             W_dec rows are the latents' unit-norm directions
    FVU = ||x - x_hat||^2 / ||x - mean(x)||^2           fraction of variance unexplained, over the batch
    AuxK = ||e - e_hat||^2 / ||x - mean(x)||^2          e = x - x_hat; e_hat decodes the top k_aux *dead* latents
                                                        (k_aux = d_in / 2), scaled by min(dead / k_aux, 1)

BatchTopK (Bussmann et al. 2024) keeps the k * batch largest activations of the whole batch instead of k per row.
Speed: `sparse_topk_encode` is a TopK encoder whose backward touches only the chosen latents (index_add over k
entries per row instead of a dense batch x latents matmul), and `sparse_decode` decodes with `embedding_bag` over the
k chosen rows of W_dec; both have plain dense counterparts for checking and for the speed comparison.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def total_variance(x: Tensor) -> Tensor:
    """sum_i ||x_i - mean(x)||^2 over the batch: the FVU denominator."""
    return (x - x.mean(0)).pow(2).sum()


def fvu(x: Tensor, x_hat: Tensor, variance: Tensor | None = None) -> Tensor:
    """Fraction of variance unexplained: ||x - x_hat||^2 / sum_i ||x_i - mean(x)||^2."""
    return (x - x_hat).pow(2).sum() / (total_variance(x) if variance is None else variance)


def topk_select(pre_acts: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """(values, indices) of the k largest entries of each row (values already past the ReLU)."""
    return pre_acts.topk(k, dim=-1, sorted=False)


def batch_topk_mask(pre_acts: Tensor, k: int) -> Tensor:
    """BatchTopK: a boolean mask keeping the k * rows largest positive entries of the whole batch."""
    flat = pre_acts.flatten()
    keep = min(k * pre_acts.shape[0], flat.numel())
    idx = flat.topk(keep, sorted=False).indices
    mask = torch.zeros_like(flat, dtype=torch.bool)
    mask[idx] = True
    return mask.view_as(pre_acts) & (pre_acts > 0)


def dense_code(values: Tensor, indices: Tensor, num_latents: int) -> Tensor:
    """Scatter (values, indices) of shape [n, k] into a dense code [n, num_latents]."""
    z = values.new_zeros(values.shape[0], num_latents)
    return z.scatter(1, indices, values)


def dense_decode(values: Tensor, indices: Tensor, W_dec: Tensor) -> Tensor:
    """sum_j values[:, j] * W_dec[indices[:, j]] through a dense code and one matmul (no bias)."""
    return dense_code(values, indices, W_dec.shape[0]) @ W_dec


def sparse_decode(values: Tensor, indices: Tensor, W_dec: Tensor) -> Tensor:
    """The same sum as `dense_decode`, gathering only the k chosen rows of W_dec (embedding_bag)."""
    return F.embedding_bag(indices, W_dec, per_sample_weights=values.to(W_dec.dtype), mode="sum")


class _SparseTopKEncoder(torch.autograd.Function):
    """x W^T + b -> top-k per row -> ReLU, with a backward that only touches the k chosen latents of each row.

    ReLU is monotone, so the top k of ReLU(pre) are ReLU of the top k of pre: selecting first skips one full
    batch x latents pass over memory (the ReLU of every pre-activation), which nothing downstream needs."""

    @staticmethod
    def forward(ctx, x, weight, bias, k: int):
        pre = F.linear(x, weight, bias)
        values, indices = pre.topk(k, dim=-1, sorted=False)
        values = values.relu_()
        ctx.save_for_backward(x, weight, indices, values)
        ctx.bias_dtype = bias.dtype
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        x, weight, indices, values = ctx.saved_tensors
        grad_x = grad_w = grad_b = None
        # the ReLU's gradient: zero where the selected pre-activation was not positive
        g = (grad_values * (values > 0)).contiguous().to(weight.dtype)
        if ctx.needs_input_grad[0]:
            grad_x = F.embedding_bag(indices, weight, per_sample_weights=g, mode="sum").to(x.dtype)
        if ctx.needs_input_grad[1]:
            # row j of grad_W = sum over (row n, slot s) with indices[n, s] == j of g[n, s] * x[n]
            d = x.shape[1]
            contributions = (g.unsqueeze(2) * x.to(weight.dtype).unsqueeze(1)).reshape(-1, d)
            grad_w = torch.zeros_like(weight).index_add_(0, indices.flatten(), contributions)
        if ctx.needs_input_grad[2]:
            grad_b = torch.zeros(weight.shape[0], dtype=ctx.bias_dtype, device=weight.device)
            grad_b.index_add_(0, indices.flatten(), g.flatten().to(ctx.bias_dtype))
        return grad_x, grad_w, grad_b, None


def sparse_topk_encode(x: Tensor, weight: Tensor, bias: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """(top values after ReLU, top indices) [n, k] with the sparse backward."""
    return _SparseTopKEncoder.apply(x, weight, bias, k)


def dense_topk_encode(x: Tensor, weight: Tensor, bias: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """The same outputs through plain autograd (its backward is a dense batch x latents matmul)."""
    pre = F.relu(F.linear(x, weight, bias))
    return pre.topk(k, dim=-1, sorted=False)


def auxk_k(d_in: int, num_dead: int) -> tuple[int, float]:
    """(k_aux, scale): k_aux = min(d_in // 2, dead), scale = min(dead / (d_in // 2), 1) (Gao et al. appendix B.1)."""
    half = max(d_in // 2, 1)
    return min(half, num_dead), min(num_dead / half, 1.0)


def auxk_loss(x_sub: Tensor, residual: Tensor, dead_mask: Tensor, *, weight: Tensor, bias: Tensor, W_dec: Tensor,
              variance: Tensor) -> Tensor:
    """AuxK: the top k_aux dead latents (by pre-activation) reconstruct the detached residual e = x - x_hat.

    Only the dead latents' encoder rows are recomputed (a matmul over the dead rows), so the main encoder's sparse
    backward stays sparse. Returns scale * ||e_hat - e||^2 / variance (no b_dec in e_hat: the residual has none)."""
    num_dead = int(dead_mask.sum())
    if num_dead == 0:
        return residual.new_zeros(())
    k_aux, scale = auxk_k(x_sub.shape[-1], num_dead)
    dead = dead_mask.nonzero().squeeze(1)
    pre = F.relu(F.linear(x_sub, weight[dead], bias[dead]))
    values, local = pre.topk(k_aux, dim=-1, sorted=False)
    e_hat = sparse_decode(values, dead[local], W_dec)
    return scale * (e_hat.float() - residual.detach().float()).pow(2).sum() / variance
