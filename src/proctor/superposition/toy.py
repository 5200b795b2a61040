"""Toy models of superposition (Elhage et al. 2022), many trained at once as one batched tensor program.

Each model compresses n sparse features into m < n hidden dimensions and reads them back through a ReLU:

    h = W x,        x' = ReLU(W^T h + b),        loss = sum_i I_i (x_i - x'_i)^2

with x_i ~ U[0, 1] present with probability 1 - S (S = sparsity) and I_i the importance of feature i. A whole sweep
(one model per (sparsity, importance) setting) is one set of tensors with a leading "instance" axis, so one Adam step
trains every model: the loss is the per-model mean over batch and features, summed over models, which keeps the
models' gradients independent.

Storage convention: `W` has shape (instances, n, m) and row `W[k, i]` is feature i's direction W_i in the hidden
space (the paper's column W_i of its m x n matrix). The paper's W^T W is then `W @ W.T` here.

    from proctor.superposition.toy import ToySweep, train_toy_models
    models = train_toy_models(ToySweep(n_features=20, n_hidden=5, densities=[1, 0.3, 0.1, 0.03]))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from proctor.errors import ConfigError


@dataclass(frozen=True)
class ToySweep:
    """One batched sweep: every density is crossed with one importance profile (a model per density)."""

    n_features: int = 20
    """n: number of sparse input features."""
    n_hidden: int = 5
    """m: hidden dimensions (m < n forces a choice: drop features, or superpose them)."""
    densities: tuple[float, ...] = (1.0, 0.3, 0.1, 0.03, 0.01)
    """Feature probabilities 1 - S, one model each (1 = dense, S = 0)."""
    importance_decay: float = 0.7
    """Importance I_i = decay**i (the paper's 0.7 in its n=20, m=5 figure; 1 = uniform)."""
    steps: int = 2000
    """Adam steps (the paper trains 10,000 at lr 1e-3; 2,000 at lr 1e-2 reach the same n=20, m=5 solutions)."""
    batch_size: int = 1024
    """Samples per step, per model."""
    lr: float = 1e-2
    """Adam learning rate (the paper uses 1e-3 with 5x more steps; at 1e-3 and 3,000 steps the dense n=20 model has
    not yet settled on its 5 features)."""
    seed: int = 0
    """Seeds initialisation and data; the same seed gives the same models."""

    def __post_init__(self):
        object.__setattr__(self, "densities", tuple(float(d) for d in self.densities))
        check_sweep(self)

    def importances(self) -> np.ndarray:
        return self.importance_decay ** np.arange(self.n_features, dtype=np.float64)

    def config(self) -> dict:
        return asdict(self)


def check_sweep(s: ToySweep) -> None:
    """ConfigError naming the field of the first bad argument."""
    if s.n_features < 2:
        raise ConfigError(f"features must be at least 2, got {s.n_features}")
    if not 1 <= s.n_hidden:
        raise ConfigError(f"dims must be at least 1, got {s.n_hidden}")
    if s.n_hidden >= s.n_features:
        raise ConfigError(f"dims ({s.n_hidden}) must be smaller than features ({s.n_features}): "
                          "superposition needs m < n")
    if not s.densities:
        raise ConfigError("sparsities: give at least one value")
    for d in s.densities:
        if not (0 < d <= 1) or not math.isfinite(d):
            raise ConfigError(f"sparsity {1 - d:g} out of range: S must be in [0, 1) (feature density 1 - S in (0, 1])")
    if not 0 < s.importance_decay <= 1:
        raise ConfigError(f"importance decay must be in (0, 1], got {s.importance_decay}")
    if s.steps < 1 or s.batch_size < 1:
        raise ConfigError("steps and batch size must be positive")
    if not s.lr > 0:
        raise ConfigError(f"lr must be positive, got {s.lr}")


@dataclass
class ToyModels:
    """The trained models of one sweep: W (instances, n, m), b (instances, n), the final loss of each model."""

    sweep: ToySweep
    W: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    loss_curve: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """(checkpoints, instances): mean loss over the last steps before each checkpoint."""

    @property
    def densities(self) -> np.ndarray:
        return np.asarray(self.sweep.densities)

    @property
    def sparsities(self) -> np.ndarray:
        return 1 - self.densities

    def reconstruct(self, x: np.ndarray, k: int) -> np.ndarray:
        """x' = ReLU(W^T W x + b) of model k for a batch x of shape (batch, n)."""
        return np.maximum(x @ self.W[k] @ self.W[k].T + self.b[k], 0)


def sample_features(generator, instances: int, batch: int, n: int, densities, device=None):
    """x of shape (instances, batch, n): U[0,1] values present with probability densities[k] (torch)."""
    import torch

    dens = torch.as_tensor(densities, dtype=torch.float32, device=device).view(-1, 1, 1)
    values = torch.rand((instances, batch, n), generator=generator, device=device)
    present = torch.rand((instances, batch, n), generator=generator, device=device) < dens
    return values * present


def train_toy_models(sweep: ToySweep, *, densities_importances: Sequence[tuple[float, Sequence[float]]] | None = None,
                     progress: bool = False, device=None) -> ToyModels:
    """Train one toy model per density of `sweep` (or per (density, importance vector) pair), all at once.

    Initialisation is the paper's: W Xavier-normal, b = 0; optimiser Adam at a constant learning rate.
    """
    import torch

    from proctor.progress import progress_bar

    n, m = sweep.n_features, sweep.n_hidden
    if densities_importances is None:
        dens = list(sweep.densities)
        imp = np.tile(sweep.importances(), (len(dens), 1))
    else:
        dens = [float(d) for d, _ in densities_importances]
        imp = np.asarray([np.asarray(i, dtype=np.float64) for _, i in densities_importances])
        if imp.shape != (len(dens), n):
            raise ConfigError(f"importances must have {n} values per model, got shape {imp.shape}")
    device = device or torch.device("cpu")
    gen = torch.Generator(device=device).manual_seed(sweep.seed)
    k = len(dens)
    W = torch.empty((k, n, m), device=device)
    for i in range(k):
        torch.nn.init.xavier_normal_(W[i], generator=gen)
    W.requires_grad_(True)
    b = torch.zeros((k, n), device=device, requires_grad=True)
    importance = torch.as_tensor(imp, dtype=torch.float32, device=device).unsqueeze(1)
    opt = torch.optim.Adam([W, b], lr=sweep.lr)
    every = max(1, sweep.steps // 50)
    curve, running, last = [], torch.zeros(k, device=device), torch.zeros(k)
    with progress_bar(sweep.steps, f"toy models n={n} m={m} x{k}", enabled=progress) as advance:
        for step in range(sweep.steps):
            x = sample_features(gen, k, sweep.batch_size, n, dens, device)
            h = torch.einsum("kbn,knm->kbm", x, W)
            out = torch.relu(torch.einsum("kbm,knm->kbn", h, W) + b.unsqueeze(1))
            per_model = (importance * (x - out) ** 2).mean(dim=(1, 2))
            opt.zero_grad(set_to_none=True)
            per_model.sum().backward()
            opt.step()
            running += per_model.detach()
            if (step + 1) % every == 0 or step + 1 == sweep.steps:
                span = (step % every) + 1
                last = (running / span).cpu()
                curve.append(last.numpy())
                running.zero_()
            advance()
    return ToyModels(sweep, W.detach().cpu().numpy().astype(np.float64), b.detach().cpu().numpy().astype(np.float64),
                     last.numpy().astype(np.float64), np.asarray(curve))


def pca_solution_features(importances: np.ndarray, m: int) -> np.ndarray:
    """Indices of the m most important features: the features the dense (S = 0) optimum keeps, like PCA."""
    return np.sort(np.argsort(-np.asarray(importances), kind="stable")[:m])


def sweep_summary(models: ToyModels) -> dict:
    """Per model: sparsity, loss, represented features (||W_i|| > 0.5), D* = m / ||W||_F^2, dimensionality fractions;
    and whether the densest model kept exactly the m most important features (the PCA-like solution)."""
    from .geometry import represented, toy_geometry

    s = models.sweep
    rows = []
    for k, d in enumerate(s.densities):
        g = toy_geometry(models.W[k])
        rows.append({"sparsity": 1 - d, "density": d, "loss": float(models.loss[k]), **g})
    dense = int(np.argmax(models.densities))
    kept = np.flatnonzero(represented(models.W[dense]))
    pca = pca_solution_features(s.importances(), s.n_hidden)
    return {"config": s.config(), "models": rows,
            "dense": {"sparsity": 1 - s.densities[dense], "kept": kept.tolist(), "top_m": pca.tolist(),
                      "pca_like": bool(len(kept) == len(pca) and np.all(kept == pca))},
            "max_represented": max(r["represented"] for r in rows)}
