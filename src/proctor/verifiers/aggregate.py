"""Aggregate a PRM's per-step scores into one solution score (Lightman et al. 2023, Sec. 2.6; Wang et al. 2024).

With p_i = P(step i is good | steps before it):
- "product": prod_i p_i, the probability that every step is right if the step judgements were independent; this is
  how Lightman et al. score solutions (OpenAI's prm_score is the product of P(+1)+P(0) over steps);
- "min": min_i p_i, the weakest step (Wang et al. 2024, Math-Shepherd; Snell et al. 2024);
- "last": p_last, the PRM's judgement at the final step, which has seen the whole solution.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

AGGREGATIONS = ("min", "product", "last")


def aggregate(step_scores: Sequence[float], how: str) -> float:
    """One solution's score from its step scores; an empty solution scores NaN."""
    p = np.asarray(step_scores, dtype=np.float64)
    if p.size == 0:
        return float("nan")
    if how == "min":
        return float(p.min())
    if how == "product":
        return float(np.prod(p))
    if how == "last":
        return float(p[-1])
    raise ValueError(f"unknown aggregation {how!r}; expected one of {', '.join(AGGREGATIONS)}")


def aggregate_many(step_scores: Sequence[Sequence[float]], how: str) -> np.ndarray:
    return np.array([aggregate(s, how) for s in step_scores], dtype=np.float64)
