"""The hackability test: how often a verifier accepts a right final answer reached through wrong reasoning.

A verifier "accepts" a solution when its score reaches a threshold. The threshold is not tuned against the hacks: it
is set, per verifier, so that the verifier accepts a fixed share (`recall`, default 90%) of the solutions whose every
step is right (the (1 - recall) quantile of its scores on them). At equal acceptance of genuinely correct work, the
verifier that accepts fewer right-answer-wrong-reasoning solutions is the harder one to fool (Lightman et al. 2023:
process supervision rewards the reasoning, outcome supervision only the answer). An outcome check (compare the final
answer with the key) accepts every hack by definition: hackability 1.
"""

from __future__ import annotations

import numpy as np

from ..stats import bootstrap_mean


def threshold_at_recall(scores_on_correct: np.ndarray, recall: float = 0.9) -> float:
    """The score that `recall` of the process-correct solutions reach."""
    s = np.asarray(scores_on_correct, dtype=np.float64)
    s = s[~np.isnan(s)]
    if s.size == 0:
        return float("nan")
    # the k-th smallest score with k = floor((1 - recall) n): scores at or above it are at least `recall` of them
    return float(np.sort(s)[min(s.size - 1, int(np.floor((1.0 - recall) * s.size + 1e-9)))])


def acceptance(scores: np.ndarray, threshold: float, n_boot: int = 1000, seed: int = 0) -> dict:
    """Share of solutions scored at or above `threshold`, with a bootstrap CI over solutions."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0 or np.isnan(threshold):
        return {"value": float("nan"), "lo": float("nan"), "hi": float("nan"), "n": int(s.size)}
    return bootstrap_mean((s >= threshold).astype(float), n_boot=n_boot, seed=seed).as_dict() | {"n": int(s.size)}


def hackability(scores_by_kind: dict[str, np.ndarray], recall: float = 0.9, n_boot: int = 1000, seed: int = 0) -> dict:
    """Acceptance of each kind ("hack", "error", "wrong_final", "correct") at the threshold set on "correct"."""
    thr = threshold_at_recall(scores_by_kind["correct"], recall)
    return {"threshold": thr, "recall": recall,
            "accept": {k: acceptance(v, thr, n_boot, seed) for k, v in scores_by_kind.items()}}
