"""Performance gap recovered (PGR), its bootstrap confidence interval, and summaries over seeds.

PGR = (student - weak) / (ceiling - weak)   (Burns et al. 2023, Sec. 3)

0 means the strong student only imitates its weak supervisor; 1 means it recovers the whole gap to a strong model
trained on ground truth. Where ceiling <= weak there is no gap to recover and PGR is undefined (NaN), never a
division by a non-positive number. A PGR whose gap's confidence interval reaches 0 is flagged as no result: the gap
is inside the noise and the ratio means nothing.

The PGR interval is a percentile bootstrap over test examples, resampled jointly for the three models. A resample
whose gap is <= 0 has no PGR: it is counted (`n_undefined`) and kept in the interval as the most extreme value on
both sides (-inf for the lower bound, +inf for the upper), so the interval is conservative rather than silently
conditioned on a positive gap; more than 2.5% such resamples make a bound infinite (shown as "—").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..stats import Interval


def pgr(weak: float, student: float, ceiling: float) -> float:
    """Point PGR from three accuracies; NaN when ceiling <= weak."""
    gap = ceiling - weak
    if not gap > 0:
        return math.nan
    return (student - weak) / gap


@dataclass(frozen=True)
class PGREstimate:
    """One seed's accuracies, gap and PGR with percentile-bootstrap CIs over test examples."""

    weak: Interval
    student: Interval
    ceiling: Interval
    gap: Interval
    pgr: Interval
    undefined_frac: float  # share of bootstrap resamples with ceiling <= weak
    n_undefined: int  # how many: kept in the PGR interval as -inf / +inf, never dropped
    n_test: int
    n_boot: int
    level: float

    @property
    def resolved(self) -> bool:
        """The gap's CI excludes 0: only then is the PGR a result."""
        return self.gap.lo > 0

    def as_dict(self) -> dict:
        d = {k: getattr(self, k).as_dict() for k in ("weak", "student", "ceiling", "gap", "pgr")}
        d.update(undefined_frac=self.undefined_frac, n_undefined=self.n_undefined, n_test=self.n_test, n_boot=self.n_boot, level=self.level,
                 resolved=self.resolved)
        return d


def _ratio_interval(point: float, samples: np.ndarray, level: float) -> Interval:
    """Percentile interval of a ratio whose undefined resamples (NaN) count as -inf for the lower bound and +inf
    for the upper; with none undefined it equals `_interval`."""
    undefined = ~np.isfinite(samples)
    if not undefined.any():
        return _interval(point, samples, level)
    a = (1.0 - level) / 2.0
    lo = np.quantile(np.where(undefined, -np.inf, samples), a, method="lower")
    hi = np.quantile(np.where(undefined, np.inf, samples), 1.0 - a, method="higher")
    return Interval(float(point), float(lo), float(hi))


def _interval(point: float, samples: np.ndarray, level: float) -> Interval:
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return Interval(point, math.nan, math.nan)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(samples, [a, 1.0 - a])
    return Interval(float(point), float(lo), float(hi))


def bootstrap_pgr(
    y: np.ndarray,
    pred_weak: np.ndarray,
    pred_student: np.ndarray,
    pred_ceiling: np.ndarray,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> PGREstimate:
    """Accuracies, gap and PGR on one test set, with CIs from resampling test examples jointly for all three models.

    Resampling the same indices for the three models keeps their correlation (they err on the same hard examples),
    which gives a tighter and honest interval on the differences.
    """
    y = np.asarray(y)
    correct = np.stack([np.asarray(p) == y for p in (pred_weak, pred_student, pred_ceiling)]).astype(np.float64)
    return bootstrap_correct(correct, n_boot=n_boot, level=level, seed=seed)


def bootstrap_correct(correct: np.ndarray, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> PGREstimate:
    """Like `bootstrap_pgr`, from a (3, n) array of per-example correctness (weak, student, ceiling).

    Entries may be fractions: the correctness of an example averaged over seeds gives the CI of the seed-mean PGR
    that comes from the finite test set alone.
    """
    correct = np.asarray(correct, dtype=np.float64)
    n = correct.shape[1]
    if n == 0:
        raise ValueError("empty test set")
    rng = np.random.default_rng(seed)
    boot = np.empty((3, n_boot))
    chunk = max(1, 2_000_000 // n)  # bound memory: chunk * n indices at a time
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        boot[:, start:stop] = correct[:, idx].mean(axis=2)
    w, s, c = correct.mean(axis=1)
    bw, bs, bc = boot
    bgap = bc - bw
    with np.errstate(divide="ignore", invalid="ignore"):
        bpgr = np.where(bgap > 0, (bs - bw) / np.where(bgap > 0, bgap, 1.0), np.nan)
    return PGREstimate(
        weak=_interval(w, bw, level),
        student=_interval(s, bs, level),
        ceiling=_interval(c, bc, level),
        gap=_interval(c - w, bgap, level),
        pgr=_ratio_interval(pgr(w, s, c), bpgr, level),
        undefined_frac=float(np.mean(~(bgap > 0))),
        n_undefined=int(np.sum(~(bgap > 0))),
        n_test=int(n),
        n_boot=int(n_boot),
        level=float(level),
    )


def mean_sd(values) -> dict[str, float]:
    """Mean and sample standard deviation over seeds, ignoring undefined (NaN) values; counts both."""
    arr = np.asarray(list(values), dtype=np.float64)
    ok = arr[np.isfinite(arr)]
    return {
        "mean": float(ok.mean()) if ok.size else math.nan,
        "sd": float(ok.std(ddof=1)) if ok.size > 1 else math.nan,
        "n": int(ok.size),
        "n_undefined": int(arr.size - ok.size),
    }
