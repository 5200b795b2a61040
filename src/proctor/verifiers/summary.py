"""From a spec to data and config, and from a run store back to the experiment's numbers (works on partial runs).

Across seeds, best-of-N accuracies are averaged per N and the lift's CI is recomputed from the per-problem results
of every finished seed pooled together (each seed draws new problems, so pooling them is resampling problems).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from .arith import Generator
from .bon import paired_lift
from .experiment import ExperimentConfig, VerifierData, arith_data, gsm8k_data
from .spec import VerifiersSpec


def gsm8k_dir() -> Path:
    root = os.environ.get("PROCTOR_DATA")
    d = Path(root) / "gsm8k" if root else None
    if d is None or not (d / "example_model_solutions.jsonl").is_file():
        raise DataError(f"{d or '$PROCTOR_DATA/gsm8k'}: no GSM8K folder with example_model_solutions.jsonl "
                        "(set PROCTOR_DATA to the shared data folder)")
    return d


def build_data(spec: VerifiersSpec, seed: int) -> VerifierData:
    if spec.data == "gsm8k":
        return gsm8k_data(gsm8k_dir(), spec.n_train, spec.n_test, seed)
    g = lambda s: Generator(s.step_error, s.compensate, s.final_slip, s.max_delta)  # noqa: E731
    return arith_data(spec.n_train, spec.k_train, spec.n_test, spec.pool, seed, g(spec.train_generator),
                      g(spec.policy), tuple(spec.n_ops))


def experiment_config(spec: VerifiersSpec, seed: int) -> ExperimentConfig:
    return ExperimentConfig(model=spec.model, head=spec.head, layers=spec.layers, epochs=spec.epochs,
                            max_length=spec.max_length, aggregations=tuple(spec.aggregations),
                            headline_aggregation=spec.headline_aggregation, draws=spec.draws, n_boot=spec.n_boot,
                            recall=spec.recall, threshold=spec.threshold, seed=seed)


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
                from .bon import bootstrap_mean

                rows.append({"n": n} | bootstrap_mean(per, n_boot, 0))
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
    from .bon import bootstrap_mean

    first = results[0]["hack"][m]
    accept = {}
    for k in first["accept"]:
        key = f"accept_{m}_{k}"
        if all(key in a for a in arrays):
            v = np.concatenate([a[key] for a in arrays]).astype(float)
            accept[k] = bootstrap_mean(v, n_boot, 0) | {"n": int(v.size)}
        else:  # units stored before acceptance vectors were kept: seed means, no pooled CI
            accept[k] = {"value": float(np.mean([r["hack"][m]["accept"][k]["value"] for r in results])),
                         "lo": float("nan"), "hi": float("nan"),
                         "n": sum(r["hack"][m]["accept"][k]["n"] for r in results)}
    return {"threshold": float(np.mean([r["hack"][m]["threshold"] for r in results])), "recall": first["recall"],
            "accept": accept}


def summarize(store, spec: VerifiersSpec) -> dict:
    units = sorted(store.units(spec.title, "seed"), key=lambda u: u.config.get("seed", 0))
    base = {"title": spec.title, "data": spec.data, "seeds": spec.seeds, "seeds_done": len(units)}
    if not units:
        return base
    return base | combine([u.result for u in units], [store.arrays(u.key) for u in units], spec.n_boot) | \
        {"title": spec.title}
