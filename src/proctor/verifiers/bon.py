"""Best-of-N: pick one of N sampled solutions by a verifier's score, and how often the pick is right, vs N.

Lightman et al. (2023, Fig. 3) sample N of a fixed pool of candidates per problem many times and report the mean
accuracy of the top-scored pick; majority voting picks the most frequent final answer. Here every method sees the same
random subsets (common random numbers), so differences between methods are not sampling noise of the subsets.
Uncertainty: each problem's accuracy is averaged over `draws` subsets; the 95% CI resamples problems (bootstrap).

    scores: (P, C) verifier scores of C candidates of P problems (NaN = no candidate)
    correct: (P, C) bool, final answer right
    answers: (P, C) hashable final answers (for majority vote)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..stats import bootstrap_mean


def default_ns(pool: int) -> list[int]:
    """1, 2, 4, ... up to the pool size (the pool size itself included)."""
    ns, n = [], 1
    while n < pool:
        ns.append(n)
        n *= 2
    return ns + [pool]


def subsets(n_candidates: np.ndarray, n: int, draws: int, seed: int) -> np.ndarray:
    """(draws, P, n) candidate indices: for each problem, `n` of its candidates without replacement, in random order.

    A problem with fewer than `n` candidates repeats its own at random (sampling with replacement), which
    `n_candidates` (P,) tells apart."""
    rng = np.random.default_rng(seed)
    P, C = len(n_candidates), int(np.max(n_candidates))
    keys = rng.random((draws, P, C))
    keys[:, np.arange(C)[None, :].repeat(P, 0) >= n_candidates[:, None]] = np.inf
    order = np.argsort(keys, axis=-1)
    if n <= int(np.min(n_candidates)):
        return order[..., :n]
    extra = (rng.random((draws, P, n)) * n_candidates[None, :, None]).astype(np.int64)
    out = order[..., :n].copy()
    short = n_candidates < n
    out[:, short, :] = np.take_along_axis(order[:, short, :], extra[:, short, :], axis=-1)
    return out


def pick_top(scores: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(draws, P) the chosen candidate: the highest score in each subset; ties go to the first in the (random) order."""
    s = np.take_along_axis(np.broadcast_to(scores, idx.shape[:1] + scores.shape), idx, axis=-1)
    s = np.where(np.isnan(s), -np.inf, s)
    return np.take_along_axis(idx, s.argmax(-1)[..., None], axis=-1)[..., 0]


def pick_majority(codes: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(draws, P) a candidate carrying the most frequent answer in each subset (first such in the random order)."""
    a = np.take_along_axis(np.broadcast_to(codes, idx.shape[:1] + codes.shape), idx, axis=-1)  # (R, P, n)
    counts = (a[..., :, None] == a[..., None, :]).sum(-1)  # votes for each member's answer
    best = counts.argmax(-1)
    return np.take_along_axis(idx, best[..., None], axis=-1)[..., 0]


def answer_codes(answers: Sequence[Sequence]) -> np.ndarray:
    """(P, C) integer codes of the answers, equal codes = equal answers within a problem; None never matches."""
    P, C = len(answers), max(len(r) for r in answers)
    out = np.full((P, C), -1, dtype=np.int64)
    neg = -2
    for p, row in enumerate(answers):
        seen: dict = {}
        for c, a in enumerate(row):
            if a is None:
                out[p, c], neg = neg, neg - 1
            else:
                out[p, c] = seen.setdefault(a, len(seen))
    return out


def best_of_n(methods: Mapping[str, np.ndarray], correct: np.ndarray, answers: Sequence[Sequence] | None = None, *,
              ns: Sequence[int] | None = None, draws: int = 100, n_boot: int = 1000, seed: int = 0,
              n_candidates: np.ndarray | None = None) -> dict:
    """Best-of-N accuracy curves with CIs for each scoring method (+ "majority" when `answers` is given).

    Returns {"ns": [...], "curves": {method: [{"n", "value", "lo", "hi"}...]}, "per_problem": {method: (len(ns), P)}}.
    """
    correct = np.asarray(correct, dtype=bool)
    P, C = correct.shape
    if n_candidates is None:
        n_candidates = np.full(P, C)
    ns = list(ns) if ns is not None else default_ns(int(n_candidates.max()))
    codes = answer_codes(answers) if answers is not None else None
    names = list(methods) + (["majority"] if codes is not None else [])
    per = {m: np.zeros((len(ns), P)) for m in names}
    rows = np.arange(P)[None, :]
    for j, n in enumerate(ns):
        idx = subsets(n_candidates, n, draws, seed + 7919 * n)
        for m in names:
            chosen = pick_majority(codes, idx) if m == "majority" else pick_top(np.asarray(methods[m], float), idx)
            per[m][j] = correct[rows, chosen].mean(0)
    curves = {m: [{"n": n} | bootstrap_mean(per[m][j], n_boot=n_boot, seed=seed).as_dict() for j, n in enumerate(ns)]
              for m in names}
    return {"ns": ns, "curves": curves, "per_problem": per}


def paired_lift(per_a: np.ndarray, per_b: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict:
    """Mean of a - b over problems (same subsets for both) with a paired bootstrap CI over problems."""
    return bootstrap_mean(np.asarray(per_a) - np.asarray(per_b), n_boot=n_boot, seed=seed).as_dict()
