"""The geometry of superposition: feature norms, dimensionality, represented-feature counts, W^T W.

Pure numpy functions of a feature-direction matrix `W` of shape (n, m) whose row W_i is feature i's direction
(a toy model's embedding, or an SAE's decoder row). Elhage et al. 2022, "Toy Models of Superposition":

- feature dimensionality  D_i = ||W_i||^2 / sum_j (W_i_hat . W_j)^2      (Section "Feature dimensionality")
  A feature with its own dimension has D_i = 1; an antipodal pair 1/2 each; a triangle 2/3 (in 2-D), a tetrahedron
  3/4 (in 3-D), a pentagon 2/5 (in 2-D). Features the model ignores (W_i ~ 0) get D_i = 0.
- dimensions per feature  D* = m / ||W||_F^2                             (the "sticky" fractions of the sweep)
- superposition of feature i: sum_{j != i} (W_i_hat . W_j)^2              (the colour of the paper's bar plots)
"""

from __future__ import annotations

import numpy as np

#: the fractions the paper's dimensionality plot clusters at, with the geometry that produces each
FRACTIONS: dict[str, tuple[float, str]] = {
    "1": (1.0, "own dimension"),
    "3/4": (3 / 4, "tetrahedron"),
    "2/3": (2 / 3, "triangle"),
    "1/2": (1 / 2, "antipodal pair (digon)"),
    "2/5": (2 / 5, "pentagon"),
    "3/8": (3 / 8, "square antiprism"),
    "1/3": (1 / 3, "no named geometry in the paper (listed by issue 11)"),
}


def _rows(W) -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"expected a 2-D matrix of feature directions (features x dims), got shape {W.shape}")
    return W


def feature_norms(W) -> np.ndarray:
    """||W_i|| for every feature i."""
    return np.linalg.norm(_rows(W), axis=1)


def unit_directions(W, eps: float = 1e-12) -> np.ndarray:
    """W_i / ||W_i|| (zero rows stay zero)."""
    W = _rows(W)
    norms = np.linalg.norm(W, axis=1, keepdims=True)
    return np.where(norms > eps, W / np.maximum(norms, eps), 0.0)


def gram(W) -> np.ndarray:
    """The paper's W^T W: entry (i, j) = W_i . W_j (features x features)."""
    W = _rows(W)
    return W @ W.T


def dimensionality(W, eps: float = 1e-12, block: int = 2048) -> np.ndarray:
    """D_i = ||W_i||^2 / sum_j (W_i_hat . W_j)^2; 0 for a feature whose direction is (numerically) zero.

    Computed in blocks of rows, so a 32k-latent SAE decoder never needs its full latents x latents matrix."""
    W = _rows(W)
    norms2 = np.sum(W * W, axis=1)
    U = unit_directions(W, eps)
    denom = np.concatenate([((U[i:i + block] @ W.T) ** 2).sum(axis=1) for i in range(0, len(W), block)])
    return np.where(norms2 > eps, norms2 / np.maximum(denom, eps), 0.0)


def superposition(W, eps: float = 1e-12) -> np.ndarray:
    """sum_{j != i} (W_i_hat . W_j)^2: how much other features load on feature i's direction."""
    W = _rows(W)
    overlap = (unit_directions(W, eps) @ W.T) ** 2
    np.fill_diagonal(overlap, 0.0)
    return overlap.sum(axis=1)


def represented(W, threshold: float = 0.5) -> np.ndarray:
    """Boolean mask of represented features: ||W_i|| > threshold (the paper's toys put kept features near 1)."""
    return feature_norms(W) > threshold


def dims_per_feature(W) -> float:
    """D* = m / ||W||_F^2: hidden dimensions per (norm-weighted) represented feature."""
    W = _rows(W)
    f = float(np.sum(W * W))
    return float(W.shape[1] / f) if f > 0 else float("nan")


def nearest_fraction(d: float, tol: float = 0.03) -> str | None:
    """Name of the paper's fraction within `tol` of `d`, else None."""
    best = min(FRACTIONS, key=lambda k: abs(FRACTIONS[k][0] - d))
    return best if abs(FRACTIONS[best][0] - d) <= tol else None


def fraction_counts(D, *, min_dim: float = 0.05, tol: float = 0.03) -> dict[str, int]:
    """How many of the represented features' dimensionalities (D_i > min_dim) sit within `tol` of each fraction.

    The key "other" counts represented features near none of them."""
    counts = {k: 0 for k in FRACTIONS} | {"other": 0}
    for d in np.asarray(D, dtype=np.float64).ravel():
        if d <= min_dim:
            continue
        counts[nearest_fraction(float(d), tol) or "other"] += 1
    return counts


def max_abs_cosine(W, eps: float = 1e-12, block: int = 2048) -> np.ndarray:
    """For each feature, its largest |cos| with any other feature (the worst interference it suffers)."""
    U = unit_directions(W, eps)
    out = np.empty(len(U))
    for i in range(0, len(U), block):
        c = np.abs(U[i:i + block] @ U.T)
        rows = np.arange(i, min(i + block, len(U)))
        c[rows - i, rows] = -np.inf
        out[i:i + block] = c.max(axis=1)
    return out


def toy_geometry(W) -> dict:
    """Summary numbers of one model: represented features, D*, dimensionalities, fraction counts."""
    D = dimensionality(W)
    rep = represented(W)
    return {
        "represented": int(rep.sum()),
        "dims_per_feature": dims_per_feature(W),
        "dimensionality": D.tolist(),
        "norms": feature_norms(W).tolist(),
        "superposition": superposition(W).tolist(),
        "fractions": fraction_counts(D[rep]),
    }
