"""Earliest-wrong-step identification, scored as in ProcessBench (Zheng et al. 2024).

Each solution has a label: the index of its earliest wrong step, or -1 when every step is right. A PRM predicts the
first step whose score falls below a threshold (-1 when none does). ProcessBench reports the accuracy on flawed
solutions (the exact step must be named), the accuracy on correct ones (-1 must be predicted), and their harmonic mean
("F1"), so a critic that flags everything, or nothing, scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def predict_first_error(step_scores: Sequence[float], threshold: float = 0.5) -> int:
    """Index of the first step scored below `threshold`, or -1."""
    below = np.flatnonzero(np.asarray(step_scores, dtype=np.float64) < threshold)
    return int(below[0]) if below.size else -1


def processbench_score(predicted: Sequence[int], truth: Sequence[int]) -> dict:
    """{"acc_error", "acc_correct", "f1", "n_error", "n_correct"}; F1 = 2ab/(a+b), 0 when both are 0."""
    pred, true = np.asarray(predicted), np.asarray(truth)
    if pred.shape != true.shape:
        raise ValueError("predicted and truth differ in length")
    err, ok = true >= 0, true == -1
    a = float((pred[err] == true[err]).mean()) if err.any() else float("nan")
    b = float((pred[ok] == -1).mean()) if ok.any() else float("nan")
    f1 = float("nan") if np.isnan(a) or np.isnan(b) else (0.0 if a + b == 0 else 2 * a * b / (a + b))
    return {"acc_error": a, "acc_correct": b, "f1": f1, "n_error": int(err.sum()), "n_correct": int(ok.sum())}
