"""Nested scalable oversight (NSO) calculator: Engels, Baek, Kantamneni & Tegmark 2025, "Scaling Laws for Scalable
Oversight" (arXiv:2504.18530), Section 5.

A game between an overseer (Guard) and an overseen model (Houdini). Each player's *domain* Elo in the game is a
piecewise-linear ("double ReLU") function of its *general* Elo g:

    E(g) = clip(slope * g + intercept, floor, ceiling)            (floor/ceiling: task incompetence / saturation)

The Guard wins one game with the Elo probability

    p(guard beats houdini) = 1 / (1 + 10 ** ((E_H - E_G) / 400)).

Nested oversight with n steps climbs a general-Elo gap D from a trusted Guard at g0 to a target Houdini at g0 + D in
equal rungs g_i = g0 + i D / n: at step i the Guard at g_{i-1} oversees the Houdini at g_i, which, once overseen,
becomes the trusted Guard of step i + 1. Oversight succeeds only if every step does:

    P_win(n) = prod_{i=1..n} p(E_G(g_{i-1}), E_H(g_i)),           n* = argmax_n P_win(n).

More steps make each step easier (a smaller gap) but multiply more chances to fail; n* balances the two. The
product is taken in log space (log p = -log1p(10 ** x)), so no underflow even for hundreds of steps.

`ENGELS_2025_FITS` holds the per-game fitted lines published with the paper's code (see its docstring for where
they come from); `paper_table()` puts our n* and P_win at a 400-Elo gap next to the paper's reported rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from proctor.errors import ConfigError

__all__ = ["EloLine", "NestedResult", "ENGELS_2025_FITS", "ENGELS_2025_REPORTED", "ENGELS_2025_START_ELO",
           "elo_win_probability", "nested_success", "best_steps", "from_gaps", "paper_table"]


@dataclass(frozen=True)
class EloLine:
    """Domain Elo as a function of general Elo: slope * g + intercept, optionally clipped to [floor, ceiling]."""

    slope: float
    intercept: float = 0.0
    floor: float | None = None
    """Task-incompetence plateau (the lower ReLU knee), if any."""
    ceiling: float | None = None
    """Task-saturation plateau (the upper knee), if any."""

    def __call__(self, g: float) -> float:
        e = self.slope * g + self.intercept
        if self.floor is not None:
            e = max(e, self.floor)
        if self.ceiling is not None:
            e = min(e, self.ceiling)
        return e


@dataclass(frozen=True)
class NestedResult:
    steps: int
    """Number of oversight steps n."""
    success: float
    """P_win(n): probability that every step's Guard wins."""
    step_probabilities: tuple[float, ...]
    """The Guard's win probability at each step, first (weakest Guard) to last."""
    general_elos: tuple[float, ...]
    """The rungs g_0 .. g_n."""


def _log_guard_win(guard_elo: float, houdini_elo: float) -> float:
    x = (houdini_elo - guard_elo) / 400.0 * math.log(10.0)
    # log(1 / (1 + e^x)) = -softplus(x), computed without overflow for large |x|
    return -(x + math.log1p(math.exp(-x))) if x > 0 else -math.log1p(math.exp(x))


def elo_win_probability(guard_elo: float, houdini_elo: float) -> float:
    """Probability that a player rated `guard_elo` beats one rated `houdini_elo` (base-10 logistic, scale 400)."""
    return math.exp(_log_guard_win(guard_elo, houdini_elo))


def _check(steps: int, gap: float) -> None:
    if steps < 1:
        raise ConfigError(f"number of oversight steps must be >= 1, got {steps}")
    if not math.isfinite(gap) or gap < 0:
        raise ConfigError(f"general Elo gap must be a finite number >= 0, got {gap}")


def nested_success(guard: EloLine, houdini: EloLine, gap: float, steps: int, start: float = 0.0) -> NestedResult:
    """P_win(n) for n = `steps` equal rungs from a Guard at general Elo `start` to a Houdini at `start + gap`."""
    _check(steps, gap)
    g = [start + gap * i / steps for i in range(steps + 1)]
    logs = [_log_guard_win(guard(g[i - 1]), houdini(g[i])) for i in range(1, steps + 1)]
    return NestedResult(steps, math.exp(sum(logs)), tuple(math.exp(x) for x in logs), tuple(g))


def best_steps(guard: EloLine, houdini: EloLine, gap: float, start: float = 0.0,
               max_steps: int = 50) -> NestedResult:
    """The n in 1..max_steps that maximises P_win (the smallest such n on ties), with its result."""
    _check(max_steps, gap)
    best = nested_success(guard, houdini, gap, 1, start)
    for n in range(2, max_steps + 1):
        r = nested_success(guard, houdini, gap, n, start)
        if r.success > best.success * (1 + 1e-12):
            best = r
    return best


def from_gaps(guard_slope: float, houdini_slope: float, delta_general: float,
              delta_domain: float) -> tuple[EloLine, EloLine, float]:
    """The paper's normalised parameterisation (its Figure 9 grid): the starting Guard sits at general and domain
    Elo 0; the target Houdini is `delta_general` stronger in general Elo and `delta_domain` stronger in the game.
    Returns (guard line, houdini line, gap) for `nested_success` / `best_steps` with start = 0."""
    guard = EloLine(guard_slope, 0.0)
    houdini = EloLine(houdini_slope, delta_domain - houdini_slope * delta_general)
    return guard, houdini, delta_general


#: Start of every game's ladder in the paper's code: the general (Chatbot Arena) Elo of its weakest model,
#: llama-3.2-3b-instruct (1103).
ENGELS_2025_START_ELO = 1103.0

#: Per-game fitted lines (slope, intercept) of domain Elo against general Elo, Guard and Houdini, as published in
#: the paper's code: github.com/subhashk01/oversight-scaling-laws, elo/theory-predictions.ipynb (commit 86e693d,
#: `opt_param_dict`), fitted in elo/all_analysis.ipynb. Debate is the TruthfulQA debate. The Backdoor Code Houdini
#: fit there has an upper plateau at 1320.29 (`linear_upper_cut`), which the repository's NSO cell does not use;
#: `paper_table(use_plateaus=True)` applies it.
ENGELS_2025_FITS: dict[str, dict[str, EloLine]] = {
    "Mafia": {"guard": EloLine(1.5305382247861692, -622.9317463747565),
              "houdini": EloLine(0.8344154600833648, 173.2206142928111)},
    "Debate": {"guard": EloLine(1.0983942546126946, -47.49890598669299),
               "houdini": EloLine(0.04936115584058696, 1080.3983558810423)},
    "Backdoor Code": {"guard": EloLine(0.7192614624976502, 552.0221384375485),
                      "houdini": EloLine(1.9518243250891987, -1361.61176329289, ceiling=1320.2906445983103)},
    "Wargames": {"guard": EloLine(1.1666737577004682, -229.07366870912878),
                 "houdini": EloLine(0.6795738441484533, 422.0053838057133)},
}

#: The paper's reported NSO success at a general Elo gap of 400 (abstract of arXiv:2504.18530v2).
ENGELS_2025_REPORTED: dict[str, float] = {"Mafia": 0.135, "Debate": 0.517, "Backdoor Code": 0.100,
                                          "Wargames": 0.094}


def paper_table(gap: float = 400.0, max_steps: int = 20, use_plateaus: bool = False) -> list[dict]:
    """For each game: our n* and P_win(n*) from the published fits, next to the paper's reported success."""
    rows = []
    for game, fit in ENGELS_2025_FITS.items():
        guard, houdini = fit["guard"], fit["houdini"]
        if not use_plateaus:
            guard, houdini = EloLine(guard.slope, guard.intercept), EloLine(houdini.slope, houdini.intercept)
        r = best_steps(guard, houdini, gap, start=ENGELS_2025_START_ELO, max_steps=max_steps)
        rows.append({"game": game, "guard_slope": guard.slope, "houdini_slope": houdini.slope,
                     "best_steps": r.steps, "success": r.success, "one_step": nested_success(
                         guard, houdini, gap, 1, ENGELS_2025_START_ELO).success,
                     "paper_success": ENGELS_2025_REPORTED[game]})
    return rows
