"""Weight averaging between a base and a fine-tuned checkpoint, traced as a capability-alignment path.

Lin et al. (2023, "Mitigating the Alignment Tax of RLHF") find that averaging the weights of the model before and
after alignment, theta(lam) = (1 - lam) theta_base + lam theta_aligned, gives a frontier that dominates most other
ways of trading alignment against forgetting. `interpolation_sweep` loads both Hugging Face checkpoints (any local
folder, Hub id, or "minilm"), and for each lam writes the averaged weights into one model and runs every evaluation.

An evaluation is any callable `(model, tokenizer) -> float`. Two come with Proctor (see `proctor.tax.evaluations`):
a linear probe's test accuracy on a labelled data set, and question-to-passage retrieval on BoolQ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from proctor.errors import ModelError

__all__ = ["InterpolationPoint", "average_state", "interpolation_sweep"]

Evaluation = Callable[..., float]


@dataclass
class InterpolationPoint:
    """The scores of the averaged model at one interpolation weight."""

    lam: float  # 0 = base, 1 = fine-tuned
    scores: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def average_state(base: Mapping, tuned: Mapping, lam: float) -> dict:
    """(1 - lam) base + lam tuned for every floating-point tensor; other tensors (position ids) are taken from base.

    Both state dicts must hold the same names and shapes (the same architecture); otherwise a `ModelError`.
    """
    if set(base) != set(tuned):
        only = sorted(set(base) ^ set(tuned))[:3]
        raise ModelError(f"the two checkpoints have different parameters (e.g. {', '.join(only)}): "
                         "weight averaging needs the same architecture")
    out = {}
    for k, b in base.items():
        t = tuned[k]
        if b.shape != t.shape:
            raise ModelError(f"parameter {k}: shape {tuple(b.shape)} in the base, {tuple(t.shape)} in the tuned model")
        out[k] = b + lam * (t - b) if b.is_floating_point() else b
    return out


def interpolation_sweep(base: str, tuned: str, evaluations: Mapping[str, Evaluation], *,
                        lambdas: Sequence[float] = tuple(np.linspace(0, 1, 11)), layers: int | None = None,
                        progress: Callable[[str], None] | None = None) -> list[InterpolationPoint]:
    """Evaluate theta(lam) = (1 - lam) theta_base + lam theta_tuned for every lam (Lin et al. 2023, model averaging).

    `base`, `tuned`: Hugging Face checkpoints (local folder, Hub id or "minilm"); `layers` cuts the base to its first
    k blocks (the tuned checkpoint must already have that many). `evaluations` maps a name to
    `fn(model, tokenizer) -> float`. Returns one point per lam, in the order given.
    """
    import torch

    from proctor.models import load_backbone

    tok, model, _ = load_backbone(base, layers)
    _, tuned_model, _ = load_backbone(tuned)
    base_sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    tuned_sd = tuned_model.state_dict()
    average_state(base_sd, tuned_sd, 0.0)  # fail before any evaluation when the architectures differ
    del tuned_model
    points = []
    for lam in lambdas:
        lam = float(lam)
        t0 = time.perf_counter()
        with torch.no_grad():
            model.load_state_dict(average_state(base_sd, tuned_sd, lam))
        model.eval()
        scores = {name: float(fn(model, tok)) for name, fn in evaluations.items()}
        points.append(InterpolationPoint(lam, scores, time.perf_counter() - t0))
        if progress is not None:
            progress(f"lam {lam:.2f}: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    return points
