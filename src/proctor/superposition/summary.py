"""Summaries of a finished (or partly finished) superposition experiment, read back from the run store."""

from __future__ import annotations

from .spec import SuperpositionSpec

MATRIX_FEATURES = 64
"""Sweeps with at most this many features carry their matrices W, b in the summary (for the W^T W figure)."""


def summarize(store, spec: SuperpositionSpec) -> dict:
    """The sweeps (per seed), their interference checks and the real-representation measurements."""
    out: dict = {"title": spec.title, "spec": spec.model_dump(mode="json"), "sweeps": [], "interference": [],
                 "real": []}
    for u in store.units(spec.title, "toy_sweep"):
        arrays = store.arrays(u.key)
        s = dict(u.result)
        if arrays and spec.features <= MATRIX_FEATURES:
            s["W"], s["b"] = arrays["W"].tolist(), arrays["b"].tolist()
        out["sweeps"].append(s)
    out["interference"] = [u.result for u in store.units(spec.title, "toy_interference")]
    for u in store.units(spec.title, "real"):
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
