"""The alignment tax as a capability-alignment Pareto frontier: which checkpoints are undominated, which way the
frontier bends, and what each aligned checkpoint paid against its base.

Shape. On the frontier (sorted by capability, alignment falling), rescale both axes to [0, 1] over the frontier and
take the signed area between the frontier and the chord joining its two ends. Positive: the frontier bows out toward
the ideal corner, the achievable region is convex, and compromises keep more of both than a straight trade would
("convex": joint improvement is possible, in the textbook's terms, section 18.7). Negative: it bows in, and every
step toward alignment costs capability at a steep rate ("concave"). Askell et al. (2021) frame helpfulness and
harmlessness this way.

Verdict. A bootstrap of the area: with the number of evaluation examples behind each score, a parametric bootstrap
(binomial noise on each score); otherwise a bootstrap over checkpoints. The verdict is "convex" or "concave" only
when the interval excludes 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["FrontierResult", "pareto_frontier", "bend_area", "frontier_verdict", "alignment_tax"]


def pareto_frontier(capability, alignment) -> np.ndarray:
    """Indices of the undominated points (higher is better on both axes), sorted by capability then alignment.

    A point is dominated when another is at least as good on both axes and better on one; exact duplicates are all
    kept.
    """
    c = np.asarray(capability, dtype=float)
    a = np.asarray(alignment, dtype=float)
    ge = (c[None, :] >= c[:, None]) & (a[None, :] >= a[:, None])  # ge[i, j]: j at least as good as i on both
    gt = (c[None, :] > c[:, None]) | (a[None, :] > a[:, None])
    dominated = (ge & gt).any(axis=1)
    idx = np.flatnonzero(~dominated)
    return idx[np.lexsort((-a[idx], c[idx]))]


def bend_area(capability, alignment) -> float:
    """Signed area between the Pareto frontier and its chord, both axes rescaled to [0, 1] over the frontier.

    Positive: the frontier bows out (convex achievable region); negative: it bows in; 0 for a straight frontier.
    NaN with fewer than three frontier points or a frontier flat on either axis (no shape to speak of).
    """
    c = np.asarray(capability, dtype=float)
    a = np.asarray(alignment, dtype=float)
    f = pareto_frontier(c, a)
    if f.size < 3:
        return float("nan")
    x, y = c[f], a[f]
    cr, ar = x.max() - x.min(), y.max() - y.min()
    if cr <= 0 or ar <= 0:
        return float("nan")
    x = (x - x.min()) / cr
    y = (y - y.min()) / ar
    # Along the frontier alignment falls from 1 (x = 0) to 0 (x = 1): the chord is y = 1 - x.
    return float(np.trapezoid(y - (1.0 - x), x))


@dataclass
class FrontierResult:
    """Frontier, bend, bootstrap verdict."""

    frontier: np.ndarray  # indices of the frontier points, by capability
    area: float  # `bend_area` of the data
    ci: tuple[float, float]  # percentile bootstrap interval of the area
    p_convex: float  # fraction of bootstrap replicates (with a defined area) that bow out
    verdict: str  # "convex", "concave" or "undetermined"
    bootstrap: str  # "binomial (n=...)" or "checkpoints"
    n_boot: int
    samples: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def frontier_verdict(capability, alignment, *, n_eval: int | None = None, n_boot: int = 2000, level: float = 0.95,
                     seed: int = 0) -> FrontierResult:
    """The frontier and a bootstrap verdict on its bend.

    `n_eval`: the number of test examples behind each score, when the scores are accuracies in [0, 1]; the bootstrap
    then redraws every score as Binomial(n_eval, score) / n_eval (the frontier is about these checkpoints, and the
    scores are what is uncertain). Without it, checkpoints are resampled with replacement.
    """
    c = np.asarray(capability, dtype=float)
    a = np.asarray(alignment, dtype=float)
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    if n_eval is not None:
        if np.any((c < 0) | (c > 1) | (a < 0) | (a > 1)):
            raise ValueError("n_eval needs scores that are proportions in [0, 1]")
        how = f"binomial (n={n_eval})"
        for b in range(n_boot):
            samples[b] = bend_area(rng.binomial(n_eval, c) / n_eval, rng.binomial(n_eval, a) / n_eval)
    else:
        how = "checkpoints"
        for b in range(n_boot):
            i = rng.integers(0, c.size, c.size)
            samples[b] = bend_area(c[i], a[i])
    ok = samples[np.isfinite(samples)]
    if ok.size < max(10, n_boot // 2):
        ci, p_convex, verdict = (float("nan"), float("nan")), float("nan"), "undetermined"
    else:
        lo, hi = np.percentile(ok, [50 * (1 - level), 50 * (1 + level)])
        ci, p_convex = (float(lo), float(hi)), float((ok > 0).mean())
        verdict = "convex" if lo > 0 else "concave" if hi < 0 else "undetermined"
    return FrontierResult(pareto_frontier(c, a), bend_area(c, a), ci, p_convex, verdict, how, n_boot, samples)


def alignment_tax(names, capability, alignment, bases) -> list[dict]:
    """For each checkpoint with a base: capability lost (the tax, base minus checkpoint) and alignment gained.

    `bases[i]` names checkpoint i's base ('' for none); an unknown base name raises ValueError.
    """
    names = [str(n) for n in names]
    index = {n: i for i, n in enumerate(names)}
    out = []
    for i, base in enumerate(bases):
        if not base:
            continue
        if base not in index:
            raise ValueError(f"checkpoint '{names[i]}': base '{base}' is not a checkpoint in the table")
        j = index[base]
        out.append({"checkpoint": names[i], "base": base, "tax": float(capability[j] - capability[i]),
                    "alignment_gain": float(alignment[i] - alignment[j])})
    return out
