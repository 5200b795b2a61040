"""L-BFGS over a batch of independent small problems, advanced together in lock step.

Chinchilla's Approach 3 runs L-BFGS from 4,500 starting points; each problem has five parameters and the same data,
so one vectorised step over all starts costs about as much as a few Python-level scipy iterations. Each row keeps its
own curvature history, step length and stopping state, so a row converges as it would alone (the line search is a
weak Wolfe bracketing search rather than scipy's More-Thuente, so paths can differ in detail).

The stopping rules are scipy's L-BFGS-B rules, so that a summed and an averaged objective stop where scipy would stop
them (Besiroglu et al. 2024 trace the published Chinchilla fit to the averaged objective stopping early):

* ``max |g| <= gtol`` (scipy's ``pgtol``, default 1e-5);
* ``(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol`` (scipy's ``factr * eps``, default 2.2e-9);
* ``maxiter`` iterations, or a line search that finds no decrease.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["BatchResult", "minimize_batched", "CONVERGED_GTOL", "CONVERGED_FTOL", "MAXITER", "LINE_SEARCH_FAILED"]

CONVERGED_GTOL, CONVERGED_FTOL, MAXITER, LINE_SEARCH_FAILED = 0, 1, 2, 3
_SCIPY_FTOL = 1e7 * np.finfo(float).eps  # scipy's default factr=1e7 times machine epsilon

#: fun(rows, X) -> (f, g): the objective and gradient of the batch rows `rows` (indices) at points X (k, d).
Objective = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class BatchResult:
    """Where each row of the batch stopped."""

    x: np.ndarray  # (B, d) final points
    fun: np.ndarray  # (B,) objective at x
    grad: np.ndarray  # (B, d) gradient at x
    nit: np.ndarray  # (B,) iterations taken
    status: np.ndarray  # (B,) CONVERGED_GTOL, CONVERGED_FTOL, MAXITER or LINE_SEARCH_FAILED


def _direction(G: np.ndarray, S: np.ndarray, Y: np.ndarray, RHO: np.ndarray, count: np.ndarray) -> np.ndarray:
    """-H g by the L-BFGS two-loop recursion (Nocedal & Wright, Algorithm 7.4), newest pair last; empty slots are 0."""
    m = S.shape[1]
    q = G.copy()
    alphas = np.zeros((G.shape[0], m))
    for j in range(m - 1, -1, -1):
        a = RHO[:, j] * np.einsum("kd,kd->k", S[:, j], q)
        alphas[:, j] = a
        q -= a[:, None] * Y[:, j]
    sy = np.einsum("kd,kd->k", S[:, -1], Y[:, -1])
    yy = np.einsum("kd,kd->k", Y[:, -1], Y[:, -1])
    gamma = np.where(count > 0, sy / np.where(yy > 0, yy, 1.0), 1.0)
    r = gamma[:, None] * q
    for j in range(m):
        b = RHO[:, j] * np.einsum("kd,kd->k", Y[:, j], r)
        r += S[:, j] * (alphas[:, j] - b)[:, None]
    return -r


def minimize_batched(
    fun: Objective,
    x0: np.ndarray,
    *,
    m: int = 10,
    gtol: float = 1e-5,
    ftol: float = _SCIPY_FTOL,
    maxiter: int = 15000,
    max_ls: int = 40,
    c1: float = 1e-4,
    c2: float = 0.9,
) -> BatchResult:
    """Minimise B independent problems from the rows of `x0` (B, d) with L-BFGS (memory `m`), all in one batch.

    `fun(rows, X)` returns the objective (k,) and gradient (k, d) of the problems `rows` at X; a non-finite value
    counts as no decrease, so the line search backs off from overflow.

    Rows run asynchronously: every call to `fun` evaluates one trial point of every unfinished row, whether that row
    is in the middle of a line search or starting its next iteration, so no call is spent waiting on the slowest
    line search and the number of calls is the largest per-row count of evaluations, not the sum over iterations.
    The line search is a weak Wolfe bracketing search (Lewis & Overton 2013): halve the bracket after a failed
    sufficient decrease, double (or bisect) after a failed curvature test. The curvature test keeps s'y > 0, which
    the Huber objective (nearly piecewise linear) needs: plain Armijo backtracking creeps along with tiny steps.
    """
    x0 = np.asarray(x0, dtype=float)
    B, d = x0.shape
    out = BatchResult(x0.copy(), np.full(B, np.nan), np.full((B, d), np.nan), np.zeros(B, int), np.full(B, MAXITER))

    st = {"ids": np.arange(B), "X": x0.copy()}
    st["F"], st["G"] = fun(st["ids"], st["X"])
    for name, shape in (("S", (B, m, d)), ("Y", (B, m, d)), ("RHO", (B, m)), ("P", (B, d)), ("Xb", (B, d)),
                        ("Gb", (B, d))):
        st[name] = np.zeros(shape)
    for name, fill in (("count", 0), ("nit", 0), ("trials", 0)):
        st[name] = np.full(B, fill, dtype=int)
    for name, fill in (("slope", 0.0), ("t", 1.0), ("lo", 0.0), ("hi", np.inf), ("Fb", np.inf)):
        st[name] = np.full(B, fill)

    def retire(done: np.ndarray, status: np.ndarray) -> None:
        rows = st["ids"][done]
        out.x[rows], out.fun[rows], out.grad[rows] = st["X"][done], st["F"][done], st["G"][done]
        out.nit[rows], out.status[rows] = st["nit"][done], status[done]
        for k in st:
            st[k] = st[k][~done]

    def start_iteration(sel: np.ndarray) -> None:
        """New direction and first trial step for the rows `sel` (a boolean mask)."""
        G = st["G"][sel]
        P = _direction(G, st["S"][sel], st["Y"][sel], st["RHO"][sel], st["count"][sel])
        slope = np.einsum("kd,kd->k", P, G)
        bad = ~(slope < 0) | ~np.isfinite(slope)  # history went stale: restart from steepest descent
        count = st["count"][sel]
        if bad.any():
            P[bad], count[bad] = -G[bad], 0
            rows = np.flatnonzero(sel)[bad]
            st["S"][rows], st["Y"][rows], st["RHO"][rows] = 0.0, 0.0, 0.0
            slope[bad] = -np.einsum("kd,kd->k", G[bad], G[bad])
        st["count"][sel], st["P"][sel], st["slope"][sel] = count, P, slope
        # A fresh history has no curvature scale yet: cap the first step's length at 1, as scipy does.
        st["t"][sel] = np.where(count > 0, 1.0, np.minimum(1.0, 1.0 / np.linalg.norm(P, axis=1)))
        st["lo"][sel], st["hi"][sel], st["trials"][sel], st["Fb"][sel] = 0.0, np.inf, 0, np.inf

    retire(np.abs(st["G"]).max(axis=1) <= gtol, np.full(B, CONVERGED_GTOL))
    start_iteration(np.ones(st["ids"].size, bool))
    while st["ids"].size:
        X, P, t, slope, F = st["X"], st["P"], st["t"], st["slope"], st["F"]
        trial = X + t[:, None] * P
        f_t, g_t = fun(st["ids"], trial)
        armijo = np.isfinite(f_t) & (f_t <= F + c1 * t * slope)
        curv = np.einsum("kd,kd->k", g_t, P) >= c2 * slope
        # Keep the best sufficient-decrease point, in case the bracket collapses before the curvature test passes.
        better = armijo & (f_t < st["Fb"])
        st["Xb"][better], st["Fb"][better], st["Gb"][better] = trial[better], f_t[better], g_t[better]
        st["trials"] += 1
        st["hi"] = np.where(armijo, st["hi"], t)
        st["lo"] = np.where(armijo & ~curv, t, st["lo"])
        st["t"] = np.where(np.isfinite(st["hi"]), 0.5 * (st["lo"] + st["hi"]), 2.0 * st["lo"])
        ended = (armijo & curv) | (st["trials"] >= max_ls)
        if not ended.any():
            continue

        failed = ended & ~np.isfinite(st["Fb"])  # no sufficient decrease anywhere on the line
        moved = ended & ~failed
        Xn, Fn, Gn = st["Xb"][moved], st["Fb"][moved], st["Gb"][moved]
        s = Xn - X[moved]
        y = Gn - st["G"][moved]
        sy = np.einsum("kd,kd->k", s, y)
        yy = np.einsum("kd,kd->k", y, y)
        # Skip a pair whose curvature is not safely positive (scipy's test), so the inverse Hessian stays positive.
        ok_pair = (sy > np.finfo(float).eps * yy) & np.isfinite(sy)
        upd = np.flatnonzero(moved)[ok_pair]
        if upd.size:
            S, Y, RHO = st["S"], st["Y"], st["RHO"]
            S[upd, :-1], Y[upd, :-1], RHO[upd, :-1] = S[upd, 1:], Y[upd, 1:], RHO[upd, 1:]
            S[upd, -1], Y[upd, -1], RHO[upd, -1] = s[ok_pair], y[ok_pair], 1.0 / sy[ok_pair]
            st["count"][upd] = np.minimum(st["count"][upd] + 1, m)
        F_old = F[moved]
        st["X"][moved], st["F"][moved], st["G"][moved] = Xn, Fn, Gn
        st["nit"][moved] += 1

        status = np.full(st["ids"].size, -1)
        rel = (F_old - Fn) / np.maximum(np.maximum(np.abs(F_old), np.abs(Fn)), 1.0)
        mv = np.flatnonzero(moved)
        status[mv[rel <= ftol]] = CONVERGED_FTOL
        status[mv[np.abs(Gn).max(axis=1) <= gtol]] = CONVERGED_GTOL
        status[moved & (status < 0) & (st["nit"] >= maxiter)] = MAXITER
        status[failed] = LINE_SEARCH_FAILED
        done = status >= 0
        again = moved & ~done
        if again.any():
            start_iteration(again)
        if done.any():
            retire(done, status)
    return out
