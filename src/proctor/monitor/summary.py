"""The detector evaluation's numbers, read back from the run store: per drift, the (detector, metric) pair chosen on the
selection replicates (the fastest that caught every one within its false-alarm budget) and its median delay on fresh
replicates, with an exact distribution-free 95% CI from order statistics (`median_ci`)."""

from __future__ import annotations

import functools
import math

from ..runs.store import unit_key
from ..runs.technique import ScoreRow
from .spec import MonitorSpec

__all__ = ["headline", "median_ci", "scorecard", "summarize"]

LEVEL = 0.95
"""Confidence level of the delay interval."""


def summarize(store, spec: MonitorSpec) -> dict:
    """The stored unit's tables plus `best` (per drift) as a JSON-ready dict; `complete` False until it is stored.

    Each `best` row: the chosen pair; `median_delay`, `delay_ci`, `ci_coverage`, `detected` and `delays` over the
    fresh replicates; `selection` = the same pair's numbers on the selection replicates that chose it."""
    from ..jsonout import finite
    from .experiment import best_per_case, result_from_stored, unit_config

    unit = store.get(unit_key(unit_config(spec)))
    if unit is None:
        return {"experiment": spec.title, "complete": False, "best": []}
    fresh = {r["case"]: r for r in unit.result.get("fresh", [])}
    best = []
    for b in best_per_case(result_from_stored(unit.result)):
        row = {"case": b["case"], "detector": b["detector"], "metric": b["metric"],
               "false_per_10k": b["false_per_10k"],
               "selection": {"median_delay": b["median_delay"], "detected": b["detected"],
                             "replicates": b.get("replicates", spec.replicates)}}
        f = fresh.get(b["case"])
        if b["detector"] is not None and f and f["delays"]:
            m = median_ci(f["delays"], spec.horizon)
            row |= {"median_delay": m["median"], "delay_ci": m["ci"], "ci_coverage": m["coverage"],
                    "detected": m["detected"], "replicates": m["replicates"], "delays": f["delays"]}
        else:
            row |= {"median_delay": math.nan, "delay_ci": None, "ci_coverage": None, "detected": 0.0,
                    "replicates": 0, "delays": []}
        best.append(row)
    extra = {}
    if spec.code_drift:
        from .experiment import code_drift_config

        cd = store.get(unit_key(code_drift_config(spec)))
        extra["code_drift"] = cd.result if cd is not None else None
    return finite({"experiment": spec.title, "complete": True, "best": best, "horizon": spec.horizon,
                   "level": LEVEL, **unit.result, **extra})


def median_ci(delays: list, horizon: float, level: float = LEVEL) -> dict:
    """Median detection delay over replicates with its exact distribution-free CI: the order statistics
    [X(l), X(u)] that cover the true median with probability >= `level` for any distribution, continuous or discrete
    (scipy.stats.quantile_test: the sign test's binomial(n, 1/2)); `coverage` is that probability exactly.

    A missed replicate (None: no alarm within the horizon) counts: it enters the order statistics as a delay beyond
    the horizon (+inf), and a median or bound beyond the horizon is reported as the horizon itself, the scorecard's
    null ("no detection within the horizon"). With fewer than 6 replicates no interval reaches 95%: `ci` is None."""
    import numpy as np
    from scipy.stats import quantile_test

    x = np.asarray([math.inf if d is None else float(d) for d in delays], dtype=float)
    n = x.size
    if n == 0:
        return {"median": math.nan, "ci": None, "coverage": None, "detected": math.nan, "replicates": 0}
    med = min(float(np.median(x)), float(horizon))
    lo, hi = quantile_test(x, q=0, p=0.5).confidence_interval(level)
    h = float(horizon)
    ci = None if math.isnan(lo) or math.isnan(hi) else [min(float(lo), h), min(float(hi), h)]
    return {"median": med, "ci": ci, "coverage": _coverage(n, level) if ci else None,
            "detected": float(np.isfinite(x).mean()), "replicates": int(n)}


@functools.lru_cache(maxsize=256)
def _coverage(n: int, level: float) -> float:
    """Exact coverage of the order-statistic interval quantile_test gives for n values: it takes X(i+1) and X(j+1)
    (1-based), which hold the median between them unless fewer than i+1 or more than j of the n values fall below
    it, a binomial(n, 1/2) count."""
    from scipy.stats import binom

    bd, alpha = binom(n, 0.5), (1 - level) / 2
    i, j = int(bd.ppf(alpha)) - 1, int(bd.isf(alpha))
    return float(bd.cdf(j) - bd.cdf(i))


def scorecard(summary: dict) -> list[ScoreRow]:
    """One row per drift: the chosen pair's median delay on fresh replicates, or why there is none."""
    rows = []
    for b in summary.get("best", []):
        found = b.get("detector") is not None
        ci = b.get("delay_ci")
        sel = b.get("selection")
        if sel is None:  # a summary stored before the fresh replicates: its interval is the old one, not shown
            rows.append(ScoreRow(technique="reward-hacking monitor", setting=b["case"],
                                 measure="median detection delay (responses)", value=None,
                                 null=summary.get("horizon"), null_label="no detection within the horizon",
                                 blocked="stored before the fresh replicates; rerun into a new run directory"))
            continue
        rows.append(ScoreRow(
            technique="reward-hacking monitor",
            setting=f"{b['case']}: {b['detector']} on {b['metric']}" if found else b["case"],
            measure="median detection delay (responses)",
            value=b.get("median_delay") if found else None,
            ci=tuple(ci) if ci else None,
            null=summary.get("horizon"), null_label="no detection within the horizon",
            blocked=None if found else "no pair caught every selection replicate within budget",
            unit=(f"{b.get('replicates', 0)} fresh replicates (exact order-statistic CI); pair chosen on "
                  f"{sel.get('replicates')} others"),
        ))
    return rows + code_drift_rows(summary)


def code_drift_rows(summary: dict) -> list[ScoreRow]:
    """With `code_drift = true`: per hack rate, CUSUM's median delay (training steps) on the code monitor's flagged
    rate, with the exact order-statistic CI, and its false alarms in the unit."""
    if "code_drift" not in summary:
        return []
    cd = summary["code_drift"]
    if cd is None:
        return [ScoreRow(technique="reward-hacking monitor", setting="code hacking from an onset",
                         measure="median detection delay (training steps)", value=None, null=None,
                         blocked="the code-drift unit is not stored yet")]
    fa = {r["detector"]: r for r in cd["false_alarms"]}
    rows = []
    for r in cd["detection"]:
        if r["detector"] != "cusum":
            continue
        f = fa.get("cusum", {})
        ci = r.get("delay_ci")
        rows.append(ScoreRow(
            technique="reward-hacking monitor",
            setting=f"code hacking at rate {r['rate']:g} per rollout from step {cd['onset']}: cusum on the flagged rate",
            measure="median detection delay (training steps)", value=r["median_delay"],
            ci=tuple(ci) if ci else None, null=cd["horizon"], null_label="no detection within the horizon",
            unit=(f"{r['replicates']} streams of {cd['batch']} rollouts per step (exact order-statistic CI); clean "
                  f"false alarms {f.get('per_10k', float('nan')):.1f} per 10k steps")))
    return rows


def headline(summary: dict) -> dict:
    """What `proctor run --json` prints for the experiment."""
    return {"complete": summary.get("complete", False),
            "best": [{k: b.get(k) for k in ("case", "detector", "metric", "median_delay", "delay_ci", "ci_coverage",
                                            "detected", "false_per_10k")} for b in summary.get("best", [])]}
