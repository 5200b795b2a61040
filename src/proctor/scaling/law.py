"""The Chinchilla pretraining law and the compute-optimal budgets it implies.

    L(N, D) = E + A / N^alpha + B / D^beta           (Hoffmann et al. 2022, eq. 2)
    C = 6 N D                                         (forward + backward FLOPs per token per parameter)

`chinchilla_optimal` is the textbook's rule of thumb (Code Fragment 18.7.1, D = 20 N); `compute_optimal` is the
allocation a fitted law implies (Hoffmann et al. eq. 4).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "FLOPS_PER_PARAM_TOKEN",
    "ChinchillaParams",
    "chinchilla_optimal",
    "chinchilla_for_flops",
    "compute_optimal",
    "optimal_tokens_for_params",
]

#: C = 6 N D: 2 FLOPs per parameter per token forward, 4 backward (Kaplan et al. 2020, section 2.1).
FLOPS_PER_PARAM_TOKEN = 6


@dataclass(frozen=True)
class ChinchillaParams:
    """The five constants of L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, eq. 2)."""

    E: float
    """Irreducible loss: the entropy of natural text, what an infinite model on infinite data reaches."""
    A: float
    """Scale of the model-size term."""
    B: float
    """Scale of the data term."""
    alpha: float
    """Exponent of the model-size term."""
    beta: float
    """Exponent of the data term."""

    def loss(self, N, D):
        """Predicted loss at N parameters and D training tokens (scalars or arrays)."""
        N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
        return self.E + self.A / N**self.alpha + self.B / D**self.beta

    def to_log(self) -> np.ndarray:
        """(a, b, e, alpha, beta) with A = exp(a), B = exp(b), E = exp(e): Approach 3's parameters."""
        return np.array([math.log(self.A), math.log(self.B), math.log(self.E), self.alpha, self.beta])

    @classmethod
    def from_log(cls, x) -> ChinchillaParams:
        a, b, e, alpha, beta = (float(v) for v in x)
        return cls(E=math.exp(e), A=math.exp(a), B=math.exp(b), alpha=alpha, beta=beta)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def chinchilla_optimal(num_params: float, tokens_per_param: float = 20.0) -> dict:
    """Code Fragment 18.7.1: the compute-optimal token budget D = 20 N (Hoffmann et al. 2022) and C = 6 N D FLOPs.

    >>> chinchilla_optimal(7_000_000_000)
    {'params': 7000000000, 'tokens': 140000000000, 'flops': 5880000000000000000000}
    """
    if not num_params > 0 or not tokens_per_param > 0:
        raise ValueError(f"num_params and tokens_per_param must be positive, got {num_params}, {tokens_per_param}")
    params = int(num_params) if float(num_params).is_integer() else num_params
    tokens = int(tokens_per_param * params)
    return {"params": params, "tokens": tokens, "flops": FLOPS_PER_PARAM_TOKEN * params * tokens}


def chinchilla_for_flops(flops: float, tokens_per_param: float = 20.0) -> dict:
    """Invert the 20-tokens-per-parameter rule: C = 6 N (r N), so N = sqrt(C / (6 r)) and D = r N."""
    if not flops > 0 or not tokens_per_param > 0:
        raise ValueError(f"flops and tokens_per_param must be positive, got {flops}, {tokens_per_param}")
    n = math.sqrt(flops / (FLOPS_PER_PARAM_TOKEN * tokens_per_param))
    return {"params": n, "tokens": tokens_per_param * n, "flops": float(flops)}


def compute_optimal(params: ChinchillaParams, flops):
    """N_opt and D_opt minimising L(N, D) subject to 6 N D = C (Hoffmann et al. 2022, eq. 4).

    N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = G^-1 (C/6)^(alpha/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta)).
    Returns (N_opt, D_opt), scalars or arrays like `flops`.
    """
    a, b = params.alpha, params.beta
    if not (a > 0 and b > 0):
        raise ValueError(f"compute-optimal allocation needs alpha > 0 and beta > 0, got {a}, {b}")
    g = (a * params.A / (b * params.B)) ** (1.0 / (a + b))
    c6 = np.asarray(flops, dtype=float) / FLOPS_PER_PARAM_TOKEN
    return g * c6 ** (b / (a + b)), c6 ** (a / (a + b)) / g


def optimal_tokens_for_params(params: ChinchillaParams, num_params):
    """The D for which N is the compute-optimal size: invert N_opt(C) of eq. 4, then D = C / (6 N)."""
    a, b = params.alpha, params.beta
    if not (a > 0 and b > 0):
        raise ValueError(f"compute-optimal allocation needs alpha > 0 and beta > 0, got {a}, {b}")
    g = (a * params.A / (b * params.B)) ** (1.0 / (a + b))
    n = np.asarray(num_params, dtype=float)
    c6 = (n / g) ** ((a + b) / b)
    return c6 / n
