"""One minibatch training loop for every torch classifier in w2s (probes on features, fine-tuned transformers).

The loop knows nothing of the model: it gets a function from a batch of example indices to logits. It handles the
target format (hard labels or soft probabilities), the loss and its schedule over training progress, shuffling with
a seeded generator, and a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch

from .losses import w2s_loss


def as_targets(y, n_classes: int | None = None) -> tuple[np.ndarray, int]:
    """Hard labels (n,) or probabilities (n, k) -> float32 probabilities (n, k) and k."""
    y = np.asarray(y)
    if y.ndim == 1:
        if y.dtype.kind == "f" and np.any((y > 0) & (y < 1)):
            raise ValueError("1-D float targets must be class indices; pass soft labels as an (n, k) array")
        y = y.astype(np.int64)
        k = n_classes or int(y.max()) + 1
        k = max(k, 2)
        out = np.zeros((y.shape[0], k), dtype=np.float32)
        out[np.arange(y.shape[0]), y] = 1.0
        return out, k
    if y.ndim == 2:
        return y.astype(np.float32), y.shape[1]
    raise ValueError(f"targets must be 1-D labels or 2-D probabilities, got shape {y.shape}")


TRAIN_PARAMS = ("loss", "epochs", "batch_size", "lr", "weight_decay", "a_max", "warmup_frac")


def train_params(estimator) -> dict:
    """The `train_loop` keyword arguments held by an estimator's hyper-parameters (and its random_state)."""
    return {k: getattr(estimator, k) for k in TRAIN_PARAMS} | {"seed": estimator.random_state}


def minibatches(order: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def train_loop(
    logits_fn: Callable[[np.ndarray], torch.Tensor],
    params: Iterable[torch.nn.Parameter],
    targets: np.ndarray,
    *,
    loss: str = "xent",
    epochs: float = 1.0,
    batch_size: int = 32,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    a_max: float = 0.75,
    warmup_frac: float = 0.2,
    seed: int = 0,
    batch_order: Callable[[np.random.Generator], list[np.ndarray]] | None = None,
    lr_schedule: str = "constant",
    device: torch.device | None = None,
    progress: str | None = None,
) -> list[float]:
    """Train with AdamW; returns the loss of every step.

    `epochs` may be fractional. `batch_order(rng)` may supply one epoch's batches (e.g. length-bucketed);
    by default examples are shuffled uniformly. `lr_schedule` "cosine" decays to 0 with no warm-up, as in
    openai/weak-to-strong; "constant" keeps `lr`.
    """
    from ..progress import progress_bar

    params = [p for p in params if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
    rng = np.random.default_rng(seed)
    n = targets.shape[0]
    tgt = torch.from_numpy(targets)
    if device is not None:
        tgt = tgt.to(device)

    def one_epoch() -> list[np.ndarray]:
        if batch_order is not None:
            return batch_order(rng)
        return list(minibatches(rng.permutation(n), batch_size))

    epoch_batches: list[list[np.ndarray]] = []
    whole, frac = int(epochs), epochs - int(epochs)
    for _ in range(whole):
        epoch_batches.append(one_epoch())
    if frac > 0:
        b = one_epoch()
        epoch_batches.append(b[: max(1, int(round(frac * len(b))))])
    steps = [b for e in epoch_batches for b in e]
    total = len(steps)
    sched = None
    if lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, total))
    elif lr_schedule != "constant":
        raise ValueError(f"unknown lr_schedule {lr_schedule!r}")

    losses: list[float] = []
    with progress_bar(total, progress or "", enabled=progress is not None) as advance:
        for i, idx in enumerate(steps):
            logits = logits_fn(idx)
            loss_value = w2s_loss(loss, logits, tgt[torch.from_numpy(idx).to(tgt.device)], i / total, a_max, warmup_frac)
            opt.zero_grad(set_to_none=True)
            loss_value.backward()
            opt.step()
            if sched is not None:
                sched.step()
            losses.append(float(loss_value.detach()))
            advance()
    return losses
