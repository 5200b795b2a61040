"""Persuasiveness: Bradley-Terry / Elo ratings of debaters from cross-play wins, with bootstrap CIs.

Bradley-Terry (1952): P(i beats j) = sigma(s_i - s_j). The strengths s maximise the log-likelihood of the games

    L(s) = sum_games log sigma(s_winner - s_loser) - (lambda / 2) * ||s||^2,

fitted with scipy's L-BFGS (a tiny ridge `lambda` keeps an unbeaten player finite; 0 gives the plain MLE). Elo
puts strengths on the chess scale, Elo_i = 1000 + 400 / ln(10) * (s_i - mean(s)), so a 75% win rate against an
opponent is 400 * log10(3) = 190.8 points. CIs come from refitting on games resampled with replacement. In a debate
tournament a "game" is one judged sample: the winner is the debater whose answer the judge chose (Khan et al. 2024
measure persuasiveness the same way, with positions and correct/incorrect assignment balanced).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ELO_SCALE = 400.0 / math.log(10.0)


def fit_bradley_terry(games: Sequence[tuple[str, str]], players: Sequence[str] | None = None,
                      ridge: float = 1e-6) -> dict[str, float]:
    """Strengths (mean 0) from (winner, loser) pairs."""
    from scipy.optimize import minimize

    names = list(players) if players is not None else sorted({p for g in games for p in g})
    index = {p: i for i, p in enumerate(names)}
    if not games:
        return {p: 0.0 for p in names}
    w = np.array([index[a] for a, _ in games])
    l = np.array([index[b] for _, b in games])

    def f(s):
        d = s[w] - s[l]
        # -log sigma(d) = log(1 + exp(-d)), computed stably
        nll = np.logaddexp(0.0, -d).sum() + 0.5 * ridge * (s @ s)
        g = -1.0 / (1.0 + np.exp(d))  # d(-log sigma(d))/dd
        grad = np.bincount(w, g, len(names)) - np.bincount(l, g, len(names)) + ridge * s
        return nll, grad

    res = minimize(f, np.zeros(len(names)), jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "maxiter": 1000})
    s = res.x - res.x.mean()
    return {p: float(s[i]) for p, i in index.items()}


def elo_ratings(games: Sequence[tuple[str, str]], players: Sequence[str] | None = None, *, n_boot: int = 500,
                level: float = 0.95, seed: int = 0, ridge: float = 1e-6) -> dict[str, dict]:
    """{player: {"elo", "lo", "hi", "strength", "wins", "games"}}; ridge > 0 keeps a clean sweep finite."""
    names = list(players) if players is not None else sorted({p for g in games for p in g})
    point = fit_bradley_terry(games, names, ridge)
    rng = np.random.default_rng(seed)
    boot = {p: [] for p in names}
    games = list(games)
    for _ in range(n_boot if games else 0):
        sample = [games[i] for i in rng.integers(0, len(games), len(games))]
        fit = fit_bradley_terry(sample, names, ridge)
        for p in names:
            boot[p].append(fit[p])
    a = (1 - level) / 2
    out = {}
    for p in names:
        b = np.asarray(boot[p]) * ELO_SCALE + 1000.0
        lo, hi = (np.quantile(b, [a, 1 - a]) if b.size else (math.nan, math.nan))
        out[p] = {"elo": 1000.0 + ELO_SCALE * point[p], "lo": float(lo), "hi": float(hi), "strength": point[p],
                  "wins": sum(1 for g in games if g[0] == p), "games": sum(1 for g in games if p in g)}
    return out


def games_from_records(records: Sequence[dict], debater_a: str, debater_b: str) -> list[tuple[str, str]]:
    """(winner, loser) per valid verdict of one cross-play debate run (debater_a argued for position A)."""
    out = []
    for r in records:
        if r.get("failed") or r.get("choice") is None:
            continue
        out.append((debater_a, debater_b) if r["choice"] == "A" else (debater_b, debater_a))
    return out
