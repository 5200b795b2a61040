"""Summaries of a finished (or partly finished) superposition experiment, read back from the run store."""

from __future__ import annotations

from .spec import SuperpositionSpec

MATRIX_FEATURES = 64
"""Sweeps with at most this many features carry their matrices W, b in the summary (for the W^T W figure)."""


def summarize(store, spec: SuperpositionSpec) -> dict:
    """The sweeps (per seed), their interference checks and the real-representation measurements.

    Units are looked up by their configuration, not by the experiment that stored them: two experiments of a suite
    that share a sweep (the same seed and settings) compute it once, and both summaries show it."""
    from ..runs.store import unit_key
    from .experiment import interference_index, real_config, sources, sweep_config

    out: dict = {"title": spec.title, "spec": spec.model_dump(mode="json"), "sweeps": [], "interference": [],
                 "real": []}
    for seed in spec.seed_list():
        config = sweep_config(spec, seed)
        u = store.get(unit_key(config))
        if u is None:
            continue
        arrays = store.arrays(u.key)
        s = dict(u.result)
        if arrays and spec.features <= MATRIX_FEATURES:
            s["W"], s["b"] = arrays["W"].tolist(), arrays["b"].tolist()
        out["sweeps"].append(s)
        if spec.interference_sparsity is not None:
            iu = store.get(unit_key({"unit": "toy_interference", "sweep": config,
                                     "index": interference_index(spec)}))
            if iu is not None:
                out["interference"].append(dict(iu.result, seed=seed))
    for source in sources(spec):
        u = store.get(unit_key(real_config(spec, source)))
        if u is None:
            continue
        r = dict(u.result)
        arrays = store.arrays(u.key)
        r["geometry"] = dict(r["geometry"], **{k: v.tolist() for k, v in arrays.items()})
        out["real"].append(r)
    return out


def headline(summary: dict) -> dict:
    """The `proctor run --json` object: per sweep the represented features and D*, the interference summaries, and
    per dictionary its mean max |cos| and collateral effects."""
    return {"title": summary["title"],
            "sweeps": [{"seed": s["config"]["seed"], "pca_like_at_dense": s["dense"]["pca_like"],
                        "represented": [m["represented"] for m in s["models"]],
                        "dims_per_feature": [m["dims_per_feature"] for m in s["models"]]} for s in summary["sweeps"]],
            "interference": [i["summary"] for i in summary["interference"]],
            "real": [{"dictionary": r["dictionary"], "max_cos_mean": r["geometry"]["max_cos_mean"],
                      **r["collateral"]["summary"]} for r in summary["real"]]}
