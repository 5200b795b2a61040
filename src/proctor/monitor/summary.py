"""The detector evaluation's numbers, read back from the run store: per drift, the fastest (detector, metric) pair that
caught every replicate within its false-alarm budget, its median delay with a bootstrap CI over replicates."""

from __future__ import annotations

from ..runs.store import unit_key
from ..runs.technique import ScoreRow
from .spec import MonitorSpec

__all__ = ["headline", "median_ci", "scorecard", "summarize"]


def summarize(store, spec: MonitorSpec) -> dict:
    """The stored unit's tables plus `best` (per drift) as a JSON-ready dict; `complete` False until it is stored."""
    from ..jsonout import finite
    from .experiment import best_per_case, result_from_stored, unit_config

    unit = store.get(unit_key(unit_config(spec)))
    if unit is None:
        return {"experiment": spec.title, "complete": False, "best": []}
    best = best_per_case(result_from_stored(unit.result))
    for b in best:
        row = next((r for r in unit.result["detection"] if r["case"] == b["case"] and r["detector"] == b["detector"]
                    and r["metric"] == b["metric"]), None)
        b["delay_ci"] = median_ci(row["delays"]) if row and row.get("delays") else None
    return finite({"experiment": spec.title, "complete": True, "best": best, "horizon": spec.horizon, **unit.result})


def median_ci(delays: list, n_boot: int = 2000, seed: int = 0) -> list[float] | None:
    """Percentile-bootstrap 95% CI of the median delay over replicates (a missed replicate = no delay, skipped)."""
    import numpy as np

    d = np.asarray([x for x in delays if x is not None], dtype=float)
    if d.size < 2:
        return None
    rng = np.random.default_rng(seed)
    meds = np.median(d[rng.integers(0, d.size, size=(n_boot, d.size))], axis=1)
    return [float(np.percentile(meds, 2.5)), float(np.percentile(meds, 97.5))]


def scorecard(summary: dict) -> list[ScoreRow]:
    """One row per drift: the best pair's median detection delay, or why there is none."""
    rows = []
    for b in summary.get("best", []):
        found = b.get("detector") is not None
        ci = b.get("delay_ci")
        rows.append(ScoreRow(
            technique="reward-hacking monitor",
            setting=f"{b['case']}: {b['detector']} on {b['metric']}" if found else b["case"],
            measure="median detection delay (responses)",
            value=b.get("median_delay") if found else None,
            ci=tuple(ci) if ci else None,
            null=summary.get("horizon"), null_label="no detection within the horizon",
            blocked=None if found else "no pair caught every replicate within budget",
        ))
    return rows


def headline(summary: dict) -> dict:
    """What `proctor run --json` prints for the experiment."""
    return {"complete": summary.get("complete", False),
            "best": [{k: b.get(k) for k in ("case", "detector", "metric", "median_delay", "delay_ci",
                                            "false_per_10k")} for b in summary.get("best", [])]}
