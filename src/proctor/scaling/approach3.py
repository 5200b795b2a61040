"""Chinchilla Approach 3: fit L(N, D) by a Huber loss on log-space residuals, L-BFGS from a grid of 4,500 starts.

Hoffmann et al. (2022), Appendix D.2: minimise over (a, b, e, alpha, beta)

    sum_i Huber_delta( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i ),    delta = 1e-3,

with A = exp(a), B = exp(b), E = exp(e), starting L-BFGS from every point of the grid alpha, beta in {0, 0.5, ..., 2},
e in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}, and keeping the best. Besiroglu et al. (2024) show that the
published estimates come from the *averaged* objective, on which L-BFGS stops early; both are offered
(`objective="sum"`, the default, or `"mean"`).

All starts run as one batched optimisation (`minimize_batched`); `scipy_grid_fit` is the plain scipy loop over the
same starts, the reference the benchmark compares against. Bootstrap CIs resample data points: each replicate is
a weight vector of multinomial counts, and all replicates are optimised in one more batch.

    from proctor.scaling import fit_chinchilla
    fit = fit_chinchilla(N, D, loss)              # fit.params.E, fit.ci["alpha"], ...
"""

from __future__ import annotations

import contextlib
import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from proctor.errors import DataError
from proctor.scaling.law import ChinchillaParams
from proctor.scaling.lbfgs import minimize_batched
from proctor.scaling.spec import Approach3Config

__all__ = ["Approach3Config", "ChinchillaFit", "grid_starts", "huber_objective", "fit_chinchilla", "scipy_grid_fit",
           "single_threaded"]

PARAM_NAMES = ("E", "A", "B", "alpha", "beta")


@dataclass
class ChinchillaFit:
    """The result of `fit_chinchilla`."""

    params: ChinchillaParams
    objective_value: float  # the objective at the best start
    best_start: np.ndarray  # (a, b, e, alpha, beta) of the grid point that led to the optimum
    n_starts: int
    n_points: int
    seconds: float
    config: Approach3Config
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (lo, hi) from the bootstrap
    boot: np.ndarray | None = None  # (n_boot, 5) bootstrap estimates of (E, A, B, alpha, beta)

    def as_dict(self) -> dict:
        """JSON-ready: the five parameters, their CIs and the fit's facts."""
        return {
            **self.params.as_dict(),
            "ci": {k: list(v) for k, v in self.ci.items()},
            "objective": self.config.objective,
            "objective_value": self.objective_value,
            "delta": self.config.delta,
            "n_points": self.n_points,
            "n_starts": self.n_starts,
            "n_boot": 0 if self.boot is None else int(self.boot.shape[0]),
            "seconds": self.seconds,
        }


def grid_starts() -> np.ndarray:
    """Hoffmann et al.'s 4,500 initialisations as rows (a, b, e, alpha, beta)."""
    exps = np.arange(0.0, 2.01, 0.5)
    es = np.arange(-1.0, 1.01, 0.5)
    scales = np.arange(0.0, 25.1, 5.0)
    return np.array([(a, b, e, al, be) for al, be, e, a, b in itertools.product(exps, exps, es, scales, scales)])


class _Problem:
    """The Approach 3 objective and its gradient for a batch of rows, each with its own data weights.

    Written for speed, since it is the whole cost of the fit: the exponentials are taken once per distinct N and
    distinct D and gathered to the runs (a sweep has few sizes), the Huber loss is c (r - c/2) with c = clip(r), and
    the per-parameter sums are one small matmul each.
    """

    def __init__(self, N, D, L, delta: float, mean: bool, weights: np.ndarray | None = None):
        # Runs sorted by D (then N): when every D is distinct, as in most sweeps, the D term needs no gather.
        order = np.lexsort((np.log(N), np.log(D)))
        self.lnL = np.log(L)[order]
        self.terms = [_Term(np.log(N)[order]), _Term(np.log(D)[order])]
        self.delta, self.mean = delta, mean
        self.weights = None if weights is None else weights[:, order]  # (B, n) counts per row, or None: once each

    def __call__(self, rows: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Blocks of ~64k (row, run) cells keep the ~15 temporaries of a block in cache; one pass over the whole
        # batch streams them through memory instead and runs about 3x slower.
        step = max(32, (1 << 16) // self.lnL.size)
        if len(rows) <= step:
            return self._block(rows, X)
        parts = [self._block(rows[i : i + step], X[i : i + step]) for i in range(0, len(rows), step)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _block(self, rows: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # No max-shift in the log-sum-exp: grid starts keep every term within exp's range, and a line-search trial
        # that overflows gives a non-finite objective, which the optimiser treats as no decrease and backs off from.
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            tN, tD = self.terms
            uN = _exp(X[:, 0:1] - X[:, 3:4] * tN.values)  # A / N^alpha per distinct N
            uD = _exp(X[:, 1:2] - X[:, 4:5] * tD.values)  # B / D^beta per distinct D
            e3 = np.exp(X[:, 2])  # E
            s = tN.per_run(uN)
            s += tD.per_run(uD)
            s += e3[:, None]
            r = np.log(s)
            r -= self.lnL
            c = np.clip(r, -self.delta, self.delta, out=np.empty_like(r))  # Huber'(r)
            if self.weights is not None:
                cw = c * self.weights[rows]
                f = np.einsum("ij,ij->i", cw, r) - 0.5 * np.einsum("ij,ij->i", cw, c)
                c = cw
            else:
                f = np.einsum("ij,ij->i", c, r) - 0.5 * np.einsum("ij,ij->i", c, c)  # Huber(r) = c (r - c/2)
            c /= s  # phi: d/dt of the log-sum-exp is the term over the sum
            ga, galpha, gsum = tN.grad(c, uN, with_sum=True)
            gb, gbeta, _ = tD.grad(c, uD)
            grad = np.column_stack([ga, gb, gsum * e3, galpha, gbeta])
            if self.mean:
                scale = self.weights[rows].sum(axis=1) if self.weights is not None else float(r.shape[1])
                f = f / scale
                grad = grad / (scale[:, None] if self.weights is not None else scale)
        bad = ~np.isfinite(f) | ~np.isfinite(grad).all(axis=1)
        f[bad] = np.inf
        return f, grad


def _exp(x: np.ndarray) -> np.ndarray:
    """exp in place through torch: its vectorised kernel is several times faster than numpy's on float64 here."""
    import torch  # imported on first use, so `proctor --help` does not pay for torch

    torch.exp_(torch.from_numpy(x))
    return x


class _Term:
    """One power-law term's data (log N or log D): its distinct values and the gradient sums over runs."""

    def __init__(self, logs: np.ndarray):
        self.values, self.index = np.unique(logs, return_inverse=True)
        self.logs = logs
        # Few distinct values (a sweep's model sizes): sum phi per value with one matmul, then weight by the term.
        self.onehot = np.eye(self.values.size)[self.index] if self.values.size <= 32 else None
        self.ones_logs = np.column_stack([np.ones_like(logs), logs])
        self.aligned = self.values.size == logs.size and bool(np.all(self.index == np.arange(logs.size)))

    def per_run(self, u: np.ndarray) -> np.ndarray:
        """The term per run from the term per distinct value (a fresh array)."""
        return u.copy() if self.aligned else np.take(u, self.index, axis=1)

    def grad(self, phi: np.ndarray, u: np.ndarray, with_sum: bool = False):
        """(d/d scale, d/d exponent) of sum_i phi_i * term_i, where term = exp(scale - exponent * log x), and
        sum_i phi_i if `with_sum` (else None)."""
        if self.onehot is not None:
            grouped = phi @ self.onehot
            pu = grouped * u
            return pu.sum(axis=1), -(pu @ self.values), grouped.sum(axis=1) if with_sum else None
        pt = phi * (u if self.aligned else np.take(u, self.index, axis=1))
        sums = pt @ self.ones_logs
        return sums[:, 0], -sums[:, 1], phi.sum(axis=1) if with_sum else None


def huber_objective(x, N, D, L, delta: float = 1e-3, objective: str = "sum") -> tuple[float, np.ndarray]:
    """The Approach 3 objective and its gradient at one point x = (a, b, e, alpha, beta) (what scipy minimises)."""
    f, g = _Problem(N, D, L, delta, objective == "mean")(np.zeros(1, int), np.asarray(x, float)[None, :])
    return float(f[0]), g[0]


def _validate(N, D, L) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    N, D, L = (np.asarray(v, dtype=float).ravel() for v in (N, D, L))
    if not (N.shape == D.shape == L.shape):
        raise DataError(f"N, D and loss must have the same length, got {N.size}, {D.size}, {L.size}")
    if N.size < 6:
        raise DataError(f"a Chinchilla fit has 5 parameters and needs at least 6 runs, got {N.size}")
    for name, v in (("N", N), ("D", D), ("loss", L)):
        if not np.all(np.isfinite(v) & (v > 0)):
            raise DataError(f"{name} must be positive and finite for every run")
    if np.unique(N).size < 2 or np.unique(D).size < 2:
        raise DataError("N and D must each take at least two distinct values to separate the two terms")
    return N, D, L


def _percentile_ci(samples: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.nanpercentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def _as_natural(X: np.ndarray) -> np.ndarray:
    """(a, b, e, alpha, beta) rows -> (E, A, B, alpha, beta) rows."""
    with np.errstate(over="ignore"):
        return np.column_stack([np.exp(X[:, 2]), np.exp(X[:, 0]), np.exp(X[:, 1]), X[:, 3], X[:, 4]])


def fit_chinchilla(N, D, L, config: Approach3Config | None = None, *, starts: np.ndarray | None = None
                   ) -> ChinchillaFit:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta by Chinchilla Approach 3 (Hoffmann et al. 2022, Appendix D.2).

    N: parameters, D: training tokens, L: final loss, one entry per run. Returns the best of the 4,500 grid starts
    (or of `starts`, rows (a, b, e, alpha, beta)) and, when `config.n_boot` > 0, percentile bootstrap CIs over runs.
    """
    with single_threaded():
        return _fit_chinchilla(N, D, L, config, starts)


def _fit_chinchilla(N, D, L, config: Approach3Config | None, starts: np.ndarray | None) -> ChinchillaFit:
    config = config or Approach3Config()
    N, D, L = _validate(N, D, L)
    opts = dict(m=config.memory, gtol=config.gtol, ftol=config.ftol, maxiter=config.maxiter)
    mean = config.objective == "mean"
    t0 = time.perf_counter()
    starts = grid_starts() if starts is None else np.asarray(starts, dtype=float)
    res = minimize_batched(_Problem(N, D, L, config.delta, mean), starts, **opts)
    fun = np.where(np.isfinite(res.fun), res.fun, np.inf)
    best = int(np.argmin(fun))
    fit = ChinchillaFit(ChinchillaParams.from_log(res.x[best]), float(fun[best]), starts[best], len(starts), N.size,
                        0.0, config)

    if config.n_boot:
        rng = np.random.default_rng(config.seed)
        counts = rng.multinomial(N.size, np.full(N.size, 1.0 / N.size), size=config.n_boot).astype(float)
        k = config.boot_starts
        # Seeds per replicate: the full-data optimum plus the k-1 grid starts whose runs ended lowest.
        seeds = np.vstack([res.x[best], starts[np.argsort(fun)[: k - 1]]])[:k]
        x0 = np.tile(seeds, (config.n_boot, 1))
        weights = np.repeat(counts, len(seeds), axis=0)
        bres = minimize_batched(_Problem(N, D, L, config.delta, mean, weights), x0, **opts)
        bfun = np.where(np.isfinite(bres.fun), bres.fun, np.inf).reshape(config.n_boot, len(seeds))
        pick = bres.x.reshape(config.n_boot, len(seeds), 5)[np.arange(config.n_boot), bfun.argmin(axis=1)]
        fit.boot = _as_natural(pick)
        fit.ci = {name: _percentile_ci(fit.boot[:, j], config.ci) for j, name in enumerate(PARAM_NAMES)}
    fit.seconds = time.perf_counter() - t0
    return fit


def scipy_grid_fit(N, D, L, *, delta: float = 1e-3, objective: str = "sum", starts: np.ndarray | None = None
                   ) -> tuple[ChinchillaParams, float]:
    """The reference: one scipy L-BFGS-B call per grid start (default options), keeping the best. Slow by design."""
    from scipy.optimize import minimize

    N, D, L = _validate(N, D, L)
    problem = _Problem(N, D, L, delta, objective == "mean")
    row = np.zeros(1, int)

    def fg(x):
        f, g = problem(row, x[None, :])
        return float(f[0]), g[0]

    best_x, best_f = None, np.inf
    with single_threaded():  # the same single thread as the batched fit
        for x0 in grid_starts() if starts is None else starts:
            r = minimize(fg, x0, jac=True, method="L-BFGS-B")
            if np.isfinite(r.fun) and r.fun < best_f:
                best_x, best_f = r.x, float(r.fun)
    return ChinchillaParams.from_log(best_x), best_f


@contextlib.contextmanager
def _torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def single_threaded():
    """One thread for BLAS, OpenMP and torch inside the block; the previous settings after.

    Every array op of the fit is on a cache-sized block: waking a thread pool (BLAS for the small matmuls, torch
    for exp) for each costs more than it saves, and on a busy machine several times more.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), _torch_threads(1):
        yield
