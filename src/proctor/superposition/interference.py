"""Interference in a toy model: ablate one feature's direction, measure the error it causes on every other feature.

Ablating feature k's direction u_k = W_k / ||W_k|| projects it out of the hidden vector, h' = h - (u_k . h) u_k.
For an input holding feature j alone at amplitude a (h = a W_j), the pre-activation of output j drops by

    a (u_k . W_j)^2 = a (W_k . W_j)^2 / ||W_k||^2                                   (the W_k . W_j prediction)

so the output changes by exactly that amount while the ReLU stays active, and by less where it clips. A feature in
its own dimension (W_k . W_j = 0 for all j != k) can be removed without collateral; a feature in superposition
takes its neighbours down with it. `measured_interference` runs the ablation through the model; on the training
distribution (`data_interference`) several features are active at once and the ReLU clips, so the prediction is
compared by correlation and by whether it flags exactly the pairs whose error changes.
"""

from __future__ import annotations

import numpy as np

from .geometry import unit_directions


def predicted_interference(W) -> np.ndarray:
    """P[k, j] = (W_k . W_j)^2 / ||W_k||^2: drop of output j's pre-activation per unit of x_j when k is ablated.

    Rows of ignored features (W_k ~ 0) are zero: there is no direction to ablate."""
    W = np.asarray(W, dtype=np.float64)
    return (unit_directions(W) @ W.T) ** 2


def ablate(h: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Project the unit direction u out of each row of h."""
    return h - np.outer(h @ u, u)


def forward(W, b, x, ablated: int | None = None) -> np.ndarray:
    """x' = ReLU(W^T h + b) with h = W x, optionally with feature `ablated`'s direction projected out of h."""
    W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)
    h = np.asarray(x, dtype=np.float64) @ W
    if ablated is not None:
        h = ablate(h, unit_directions(W)[ablated])
    return np.maximum(h @ W.T + b, 0.0)


def measured_interference(W, b, amplitude: float = 1.0) -> np.ndarray:
    """M[k, j] = x'_j - x'_j(k ablated) for the input a e_j: the measured loss of feature j when k is removed."""
    W = np.asarray(W, dtype=np.float64)
    n = W.shape[0]
    probes = amplitude * np.eye(n)
    base = np.diag(forward(W, b, probes))
    M = np.empty((n, n))
    for k in range(n):
        M[k] = base - np.diag(forward(W, b, probes, ablated=k))
    return M


def data_interference(W, b, x, importance=None) -> np.ndarray:
    """E[k, j]: increase of (importance-weighted) squared error on feature j over the samples `x` when k is ablated."""
    W = np.asarray(W, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    imp = np.ones(W.shape[0]) if importance is None else np.asarray(importance, dtype=np.float64)
    base = (imp * (x - forward(W, b, x)) ** 2).mean(axis=0)
    out = np.empty((W.shape[0], W.shape[0]))
    for k in range(W.shape[0]):
        out[k] = (imp * (x - forward(W, b, x, ablated=k)) ** 2).mean(axis=0) - base
    return out


def _offdiag(A: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, mask) of A[k, j] for k in rows, j != k."""
    n = A.shape[0]
    mask = np.zeros_like(A, dtype=bool)
    mask[rows] = True
    mask[np.arange(n), np.arange(n)] = False
    return A[mask], mask


def interference_summary(W, b, x=None, importance=None, threshold: float = 0.5) -> dict:
    """Prediction vs measurement over every (ablated k, affected j != k) pair with k represented (||W_k|| > threshold).

    Returns the probe-input agreement (max |measured - predicted| where the ReLU stays active, Pearson r) and, when
    samples `x` are given, the Pearson / Spearman correlation of the data-distribution error increase with the
    prediction and a 2 x 2 count of flagged (P > 0.01) vs affected pairs (Spearman is weak here: most pairs are tied
    at zero on both sides).
    """
    from scipy.stats import pearsonr, spearmanr

    W = np.asarray(W, dtype=np.float64)
    rows = np.flatnonzero(np.linalg.norm(W, axis=1) > threshold)
    P = predicted_interference(W)
    M = measured_interference(W, b)
    p, mask = _offdiag(P, rows)
    m = M[mask]
    # where x'_j is positive with and without the ablation, the ReLU is linear and M must equal P exactly
    pre = np.sum(W * W, axis=1) + np.asarray(b, dtype=np.float64)
    active = np.broadcast_to(pre - P > 0, P.shape)[mask]
    out = {
        "pairs": int(p.size),
        "ablated_features": rows.tolist(),
        "probe_max_abs_error_active": float(np.max(np.abs(m - p)[active])) if active.any() else None,
        "probe_pearson": float(pearsonr(p, m)[0]) if p.size > 2 and np.std(p) > 0 and np.std(m) > 0 else None,
        "pairs_with_interference": int(np.sum(p > 1e-2)),
        "mean_predicted": float(p.mean()) if p.size else None,
        "mean_measured": float(m.mean()) if m.size else None,
    }
    if x is not None:
        E = data_interference(W, b, x, importance)[mask]
        out["data_pearson"] = float(pearsonr(p, E)[0]) if p.size > 2 and np.std(p) > 0 and np.std(E) > 0 else None
        out["data_spearman"] = (float(spearmanr(p, E)[0]) if p.size > 2 and np.std(p) > 0 and np.std(E) > 0
                                else None)
        # does the geometry name exactly the pairs whose error moves? flagged: P > 0.01; affected: |error change| >
        # 1% of the largest (orthogonal pairs are untouched exactly; the change can be negative where ablating k
        # also removes k's interference on j, so affected uses its size)
        flagged, hit = p > 1e-2, np.abs(E) > 1e-2 * max(float(np.abs(E).max()), 1e-12)
        out["data_agreement"] = {"flagged_and_affected": int(np.sum(flagged & hit)),
                                 "flagged_only": int(np.sum(flagged & ~hit)),
                                 "affected_only": int(np.sum(~flagged & hit)),
                                 "neither": int(np.sum(~flagged & ~hit))}
        out["data_mean_error_increase"] = float(E.mean()) if E.size else None
    return out


def top_pairs(W, b, k: int | None = None, limit: int = 8) -> list[dict]:
    """The (ablated, affected) pairs with the largest predicted interference, with the measured value beside it."""
    P, M = predicted_interference(W), measured_interference(W, b)
    np.fill_diagonal(P, -np.inf)
    if k is not None:
        P = np.where(np.arange(P.shape[0])[:, None] == k, P, -np.inf)
    order = np.argsort(-P, axis=None)[:limit]
    rows = []
    for flat in order:
        a, j = np.unravel_index(flat, P.shape)
        if not np.isfinite(P[a, j]):
            break
        rows.append({"ablated": int(a), "affected": int(j), "predicted": float(P[a, j]), "measured": float(M[a, j]),
                     "cosine": float(unit_directions(W)[a] @ unit_directions(W)[j])})
    return rows


def toy_interference(models, index: int, *, samples: int = 4096, seed: int = 0, limit: int = 8) -> dict:
    """Prediction vs measurement for model `index` of a trained `ToyModels` sweep, on probes and on its own data."""
    s = models.sweep
    rng = np.random.default_rng(seed)
    d = float(s.densities[index])
    x = rng.uniform(0, 1, (samples, s.n_features)) * (rng.uniform(0, 1, (samples, s.n_features)) < d)
    W, b = models.W[index], models.b[index]
    return {"sparsity": 1 - d, "summary": interference_summary(W, b, x, s.importances()),
            "top_pairs": top_pairs(W, b, limit=limit)}
