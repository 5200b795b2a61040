"""Training losses for weak-to-strong generalization (Burns et al. 2023, Sec. 4.3.2 and App. A.4).

Targets are probability vectors (n, k): weak soft labels, or one-hot ground truth.

- `soft_cross_entropy`: the naive baseline, cross-entropy against the weak soft labels.
- `aux_confidence_loss`: L = CE(f(x), (1 - a) * f_w(x) + a * hard(f(x))), where hard(.) thresholds the student's own
  prediction so that its class balance matches the weak labels' in the batch, and a = a(t) ramps linearly from 0 to
  `a_max` over the first `warmup_frac` of training (`alpha_schedule`). Burns et al. use a_max = 0.75 for their
  largest students and a 20% warm-up. openai/weak-to-strong's `logconf_loss_fn` instead sets the coefficient to
  `step_frac * a_max` during warm-up and then jumps to `a_max` (from 0.1 * a to a at the default 10% warm-up); we
  implement the paper's continuous linear ramp.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("xent", "aux")


def alpha_schedule(step_frac: float, a_max: float = 0.75, warmup_frac: float = 0.2) -> float:
    """a(t): linear from 0 at t=0 to `a_max` at t=`warmup_frac`, then constant. `step_frac` is in [0, 1]."""
    if not 0.0 <= a_max <= 1.0:
        raise ValueError(f"a_max must be in [0, 1], got {a_max}")
    if warmup_frac <= 0:
        return a_max
    return a_max * min(1.0, max(0.0, step_frac) / warmup_frac)


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of `logits` (n, k) against probability targets (n, k)."""
    return -(target * F.log_softmax(logits.float(), dim=-1)).sum(-1).mean()


def harden(probs: torch.Tensor, weak: torch.Tensor) -> torch.Tensor:
    """One-hot hardened predictions whose positive rate matches the weak labels' (binary), else argmax.

    Binary: threshold = the (1 - mean weak P(y=1)) quantile of the student's P(y=1) over the batch, so the fraction
    predicted positive equals the weak labels' mean positive probability (Burns et al.'s adaptive threshold).
    """
    n, k = probs.shape
    if k != 2:
        return F.one_hot(probs.argmax(-1), k).to(probs.dtype)
    pos_rate = weak[:, 1].mean()
    threshold = torch.quantile(probs[:, 1], (1.0 - pos_rate).clamp(0.0, 1.0))
    pos = (probs[:, 1] > threshold).to(probs.dtype)
    return torch.stack([1.0 - pos, pos], dim=-1)


def aux_confidence_target(logits: torch.Tensor, weak: torch.Tensor, alpha: float) -> torch.Tensor:
    """(1 - alpha) * weak + alpha * hard(student): the target of the auxiliary confidence loss (no gradient)."""
    with torch.no_grad():
        probs = torch.softmax(logits.float(), dim=-1)
        return (1.0 - alpha) * weak.float() + alpha * harden(probs, weak.float())


def aux_confidence_loss(logits: torch.Tensor, weak: torch.Tensor, alpha: float) -> torch.Tensor:
    return soft_cross_entropy(logits, aux_confidence_target(logits, weak, alpha))


def w2s_loss(
    name: str,
    logits: torch.Tensor,
    target: torch.Tensor,
    step_frac: float,
    a_max: float = 0.75,
    warmup_frac: float = 0.2,
) -> torch.Tensor:
    """The named training loss ("xent" or "aux") at training progress `step_frac` in [0, 1]."""
    if name == "xent":
        return soft_cross_entropy(logits, target)
    if name == "aux":
        return aux_confidence_loss(logits, target, alpha_schedule(step_frac, a_max, warmup_frac))
    raise ValueError(f"unknown loss {name!r}; expected one of {LOSSES}")
