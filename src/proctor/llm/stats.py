"""A judge's calibration: expected calibration error and reliability bins (accuracy with its bootstrap CI is
`proctor.stats.bootstrap_mean` of the 0/1 outcomes). ECE (Guo et al. 2017, eq. 3 / Naeini et al. 2015) with B
equal-width bins:

    ECE = sum_b (n_b / n) * | acc(b) - conf(b) |
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def reliability_bins(confidence: Sequence[float], correct: Sequence[float], n_bins: int = 10) -> list[dict]:
    """Per equal-width confidence bin on [0, 1]: count, mean confidence, accuracy (empty bins omitted).

    The last bin is closed ([0.9, 1.0]); the others are [lo, hi)."""
    c = np.asarray(list(confidence), dtype=np.float64)
    y = np.asarray(list(correct), dtype=np.float64)
    if c.shape != y.shape:
        raise ValueError("confidence and correct differ in length")
    idx = np.minimum((c * n_bins).astype(int), n_bins - 1)
    out = []
    for b in range(n_bins):
        m = idx == b
        if m.any():
            out.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "n": int(m.sum()),
                        "confidence": float(c[m].mean()), "accuracy": float(y[m].mean())})
    return out


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[float], n_bins: int = 10) -> float:
    """ECE with `n_bins` equal-width bins; NaN for no data."""
    bins = reliability_bins(confidence, correct, n_bins)
    n = sum(b["n"] for b in bins)
    if n == 0:
        return math.nan
    return float(sum(b["n"] / n * abs(b["accuracy"] - b["confidence"]) for b in bins))
