"""Intervals and bootstraps shared by every technique: `Interval` (a value with its CI) and the percentile
bootstrap of a mean (judge accuracy, best-of-N accuracy, per-image debate wins, per-latent suppression effects)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A point estimate with the bounds of its confidence interval."""

    value: float
    lo: float
    hi: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def bootstrap_mean(values, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> Interval:
    """Mean of `values` with a percentile-bootstrap CI: `n_boot` resamples of the examples, with replacement, drawn
    by `numpy.random.default_rng(seed)`. An empty input gives a NaN interval."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    means = x[np.random.default_rng(seed).integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return Interval(float(x.mean()), float(lo), float(hi))
