"""A verifiers experiment's numbers, read back from the run store (works on partial runs): best-of-N curves, the
PRM - ORM lift, ProcessBench and hackability; its `--json` headline and its scorecard row.

Across seeds, best-of-N accuracies are averaged per N and the lift's CI is recomputed from the per-problem results
of every finished seed pooled together (each seed draws new problems, so pooling them is resampling problems).
"""

from __future__ import annotations

import numpy as np

from ..stats import bootstrap_mean
from .bon import paired_lift
from .spec import VerifiersSpec


def combine(results: list[dict], arrays: list[dict], n_boot: int = 1000) -> dict:
    """One summary from the results (and per-problem arrays) of several seeds."""
    first = results[0]
    ns = first["bon"]["ns"]
    curves = {}
    for m in first["bon"]["curves"]:
        rows = []
        for j, n in enumerate(ns):
            vals = [r["bon"]["curves"][m][j] for r in results]
            if len(results) == 1:
                rows.append(vals[0])
            else:
                per = np.concatenate([a[f"per_{m}"][j] for a in arrays])
                rows.append({"n": n} | bootstrap_mean(per, n_boot=n_boot, seed=0).as_dict())
        curves[m] = rows
    head = first["headline"]
    lift = (first["lift"] if len(results) == 1 else
            paired_lift(np.concatenate([a[f"per_{head}"][-1] for a in arrays]),
                        np.concatenate([a["per_orm"][-1] for a in arrays]), n_boot, 0))
    out = {"data": first["data"], "seeds_done": len(results), "ns": ns, "largest_n": ns[-1], "headline": head,
           "curves": curves, "lift": lift,
           "bon_at_largest_n": {m: c[-1]["value"] for m, c in curves.items()},
           "per_seed": [{k: r[k] for k in ("seed", "lift", "lift_vs_orm", "train", "pool", "processbench", "seconds")
                         if k in r} for r in results]}
    if "hack" in first:
        out["hack"] = first["hack"] if len(results) == 1 else {m: _pooled_hack(m, results, arrays, n_boot)
                                                                 for m in first["hack"]}
        out["hackability"] = {m: h["accept"].get("hack", {}).get("value") for m, h in out["hack"].items()}
        pbs = [r["processbench"] for r in results]
        out["processbench"] = pbs[0] if len(pbs) == 1 else {
            k: float(np.mean([p[k] for p in pbs])) for k in ("acc_error", "acc_correct", "f1", "threshold")}
    out["info"] = first.get("info", {})
    out["train"] = first.get("train", {})
    out["pool"] = first.get("pool", {})
    return out


def _pooled_hack(m: str, results: list[dict], arrays: list[dict], n_boot: int) -> dict:
    """Acceptance pooled over seeds (each seed at its own threshold), bootstrap CI over the pooled probes."""
    first = results[0]["hack"][m]
    accept = {}
    for k in first["accept"]:
        key = f"accept_{m}_{k}"
        if all(key in a for a in arrays):
            v = np.concatenate([a[key] for a in arrays]).astype(float)
            accept[k] = bootstrap_mean(v, n_boot=n_boot, seed=0).as_dict() | {"n": int(v.size)}
        else:  # units stored before acceptance vectors were kept: seed means, no pooled CI
            accept[k] = {"value": float(np.mean([r["hack"][m]["accept"][k]["value"] for r in results])),
                         "lo": float("nan"), "hi": float("nan"),
                         "n": sum(r["hack"][m]["accept"][k]["n"] for r in results)}
    return {"threshold": float(np.mean([r["hack"][m]["threshold"] for r in results])), "recall": first["recall"],
            "accept": accept}


def summarize(store, spec: VerifiersSpec) -> dict:
    """The experiment's numbers from its finished seeds (an unfinished run gives what is there)."""
    from ..runs.store import unit_key
    from .experiment import unit_config

    # looked up by config: a unit of an earlier version of a data file (another content hash) is not this run's
    units = [u for s in range(spec.seed, spec.seed + spec.seeds)
             if (u := store.get(unit_key(unit_config(spec, s)))) is not None]
    base = {"title": spec.title, "data": spec.data, "seeds": spec.seeds, "seeds_done": len(units)}
    if not units:
        return base
    return base | combine([u.result for u in units], [store.arrays(u.key) for u in units], spec.n_boot) | \
        {"title": spec.title}


def headline(summary: dict) -> dict:
    """The `proctor run --json` object of the experiment."""
    keys = ("title", "data", "seeds_done", "largest_n", "headline", "lift", "bon_at_largest_n", "hackability")
    return {k: summary.get(k) for k in keys}


def scorecard(summary: dict) -> list:
    """One row: the PRM's best-of-N accuracy lift over the ORM at the largest N, with its CI."""
    from ..runs.technique import ScoreRow

    lift = summary.get("lift")
    if not lift:
        return []
    ci = (100 * lift["lo"], 100 * lift["hi"])
    head = summary["headline"].removeprefix("prm_")
    return [ScoreRow(
        technique="process supervision",
        setting=f"{summary.get('title') or summary['data']}: PRM ({head}) vs ORM, best-of-{summary['largest_n']}",
        measure="best-of-N accuracy lift over ORM (pts)",
        value=100 * lift["value"], ci=ci,
        unit="problems",
    )]
