"""Post-training log-saturation: alignment quality against the number of preference pairs, and what more data buys.

    Q(N_p) = Q_inf - alpha * log(1 + N* / N_p)        (the textbook's post-training law, section 18.7)

Q_inf is the ceiling, N* the data scale where the curve bends, alpha its slope. For a fixed N* the law is linear in
(Q_inf, alpha), so the fit profiles them out by least squares and searches log N* alone (variable projection): no
starting values, no local minima in the linear part. When every observed N_p lies below the fitted N*, the data sit
on the straight part Q ~ (Q_inf - alpha log N*) + alpha log N_p, where Q_inf and N* trade off freely: the fit says so.

    from proctor.scaling import fit_posttrain
    fit = fit_posttrain(n_pairs, quality)
    fit.params.gain(50_000, 10_000)        # what the next 10k pairs add at 50k
    fit.params.doubling_threshold(0.005)   # N_p past which doubling adds < 0.005
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from proctor.errors import DataError
from proctor.scaling.spec import PosttrainConfig

__all__ = ["PosttrainConfig", "PosttrainFit", "PosttrainParams", "fit_posttrain"]


@dataclass(frozen=True)
class PosttrainParams:
    """The three constants of Q(N_p) = Q_inf - alpha * log(1 + N*/N_p)."""

    Q_inf: float
    """Saturation ceiling: Q with unlimited preference pairs."""
    alpha: float
    """Slope: the most a doubling can add is alpha * log 2 (at N_p << N*)."""
    N_star: float
    """The number of pairs where the curve bends from logarithmic growth to saturation."""

    def quality(self, n_pairs):
        """Predicted Q at `n_pairs` preference pairs (scalar or array)."""
        n = np.asarray(n_pairs, dtype=float)
        return self.Q_inf - self.alpha * np.log1p(self.N_star / n)

    def gain(self, n_pairs, k):
        """The predicted gain of the next `k` pairs on top of `n_pairs`: Q(N_p + k) - Q(N_p)."""
        n = np.asarray(n_pairs, dtype=float)
        return self.quality(n + k) - self.quality(n)

    def doubling_threshold(self, threshold: float) -> float:
        """The N_p beyond which doubling the data gains less than `threshold` in Q.

        Q(2x) - Q(x) = alpha log((1 + u) / (1 + u/2)) with u = N*/x falls from alpha log 2 (x -> 0) to 0, so with
        r = exp(threshold / alpha) the answer is x = N* (1 - r/2) / (r - 1). Returns 0 when no doubling ever gains
        `threshold` (threshold >= alpha log 2) and inf when every doubling does (alpha <= 0 is not that case: it
        never gains, so 0).
        """
        if not threshold > 0:
            raise ValueError(f"threshold must be positive, got {threshold}")
        if self.alpha <= 0 or threshold >= self.alpha * math.log(2.0):
            return 0.0
        r = math.exp(threshold / self.alpha)
        return self.N_star * (1.0 - r / 2.0) / (r - 1.0)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class PosttrainFit:
    """The result of `fit_posttrain`."""

    params: PosttrainParams
    sse: float
    n_points: int
    seconds: float
    config: PosttrainConfig
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    boot: np.ndarray | None = None  # (n_boot, 3) bootstrap (Q_inf, alpha, N_star)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {**self.params.as_dict(), "ci": {k: list(v) for k, v in self.ci.items()}, "sse": self.sse,
                "n_points": self.n_points, "n_boot": 0 if self.boot is None else int(self.boot.shape[0]),
                "warnings": list(self.warnings), "seconds": self.seconds}

    def interval(self, fn) -> tuple[float, float]:
        """A percentile bootstrap interval of any function of the parameters (NaN, NaN without a bootstrap)."""
        if self.boot is None or not len(self.boot):
            return float("nan"), float("nan")
        vals = np.array([fn(PosttrainParams(*row)) for row in self.boot], dtype=float)
        vals = vals[np.isfinite(vals)]
        if not vals.size:
            return float("nan"), float("nan")
        lo, hi = np.percentile(vals, [50 * (1 - self.config.ci), 50 * (1 + self.config.ci)])
        return float(lo), float(hi)


def _profile(log_nstar, n: np.ndarray, q: np.ndarray, w: np.ndarray):
    """Weighted least squares of q on x = log(1 + N*/n) for fixed N* (scalar or array of log N*): (sse, Q_inf, alpha)."""
    g = np.atleast_1d(np.asarray(log_nstar, dtype=float))[:, None]
    x = np.log1p(np.exp(g) / n)  # (G, n)
    sw = w.sum()
    xm, qm = (x @ w) / sw, (w * q).sum() / sw
    xc = x - xm[:, None]
    sxx = (xc**2) @ w
    ok = sxx > 1e-300
    slope = np.where(ok, (xc * w) @ (q - qm) / np.where(ok, sxx, 1.0), np.nan)  # q = c + slope x, alpha = -slope
    c = qm - slope * xm
    sse = np.where(ok, ((q - c[:, None] - slope[:, None] * x) ** 2) @ w, np.inf)
    if np.ndim(log_nstar) == 0:
        return float(sse[0]), float(c[0]), float(-slope[0])
    return sse, c, -slope


def _fit_once(n: np.ndarray, q: np.ndarray, w: np.ndarray, config: PosttrainConfig) -> tuple[PosttrainParams, float]:
    from scipy.optimize import minimize_scalar

    lo = math.log(n.min()) - config.log_span
    hi = math.log(n.max()) + config.log_span
    grid = np.linspace(lo, hi, config.grid)
    sse = _profile(grid, n, q, w)[0]
    k = int(np.argmin(sse))
    step = grid[1] - grid[0]
    res = minimize_scalar(lambda g: _profile(g, n, q, w)[0], bounds=(max(lo, grid[k] - step), min(hi, grid[k] + step)),
                          method="bounded", options={"xatol": 1e-10})
    g = float(res.x) if res.fun <= sse[k] else float(grid[k])
    s, q_inf, alpha = _profile(g, n, q, w)
    return PosttrainParams(Q_inf=q_inf, alpha=alpha, N_star=math.exp(g)), s


def fit_posttrain(n_pairs, quality, config: PosttrainConfig | None = None) -> PosttrainFit:
    """Least-squares fit of Q(N_p) = Q_inf - alpha log(1 + N*/N_p), with percentile bootstrap CIs over points."""
    config = config or PosttrainConfig()
    n = np.asarray(n_pairs, dtype=float).ravel()
    q = np.asarray(quality, dtype=float).ravel()
    if n.shape != q.shape:
        raise DataError(f"N_p and Q must have the same length, got {n.size} and {q.size}")
    if not (np.all(np.isfinite(n) & (n > 0)) and np.all(np.isfinite(q))):
        raise DataError("N_p must be positive and finite, and Q finite, for every run")
    if np.unique(n).size < 4:
        raise DataError(f"a 3-parameter fit needs at least 4 distinct N_p values, got {np.unique(n).size}")
    t0 = time.perf_counter()
    params, sse = _fit_once(n, q, np.ones_like(n), config)
    fit = PosttrainFit(params, sse, n.size, 0.0, config)
    if config.n_boot:
        rng = np.random.default_rng(config.seed)
        rows = []
        for _ in range(config.n_boot):
            w = rng.multinomial(n.size, np.full(n.size, 1.0 / n.size)).astype(float)
            if np.unique(n[w > 0]).size < 3:  # too few distinct sizes left to pin three parameters
                continue
            p, _ = _fit_once(n, q, w, config)
            rows.append((p.Q_inf, p.alpha, p.N_star))
        fit.boot = np.array(rows).reshape(-1, 3)
        for j, name in enumerate(("Q_inf", "alpha", "N_star")):
            fit.ci[name] = fit.interval(lambda p, name=name: getattr(p, name))
    if np.all(n < params.N_star):
        fit.warnings.append(
            f"every N_p lies below the fitted N* = {params.N_star:,.0f}: the data are on the logarithmic part of "
            "the curve, so Q_inf and N* cannot be told apart (only Q_inf - alpha log N* is pinned down)")
    if np.log(params.N_star) >= math.log(n.max()) + config.log_span - 1e-6 or \
            np.log(params.N_star) <= math.log(n.min()) - config.log_span + 1e-6:
        fit.warnings.append("the fitted N* sits at the edge of the search range: the data do not show the bend")
    fit.seconds = time.perf_counter() - t0
    return fit
