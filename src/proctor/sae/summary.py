"""Summaries of a finished (or partly finished) SAE-monitor experiment, read back from the run store: the SAE's
reconstruction and training, per set the monitors vs probes, splice cost and suppression."""

from __future__ import annotations

from .spec import SAESpec


def summarize(store, spec: SAESpec) -> dict:
    """The experiment's numbers as a JSON-ready dict."""
    out: dict = {"title": spec.title, "model": spec.model, "site": spec.site, "config": {"seed": spec.seed},
                 "sets": {}, "suppression": {}}
    for u in store.units(spec.title):
        if u.kind == "sae":
            out.update({k: u.result[k] for k in ("sae_config", "train_rows", "reconstruction", "train")})
        elif u.kind == "monitor":
            out["sets"][u.config["set"]] = u.result
        elif u.kind == "splice":
            out["splice"] = u.result
        elif u.kind == "suppression":
            out["suppression"][u.config["set"]] = u.result
    return out


def headline(summary: dict) -> dict:
    """The `proctor run --json` object: held-out reconstruction, AUROC and TPR at 1% FPR of every monitor."""
    rec = summary.get("reconstruction", {}).get("test", {})
    return {"title": summary.get("title"), "fvu": rec.get("fvu"), "l0": rec.get("l0"),
            "dead_fraction": rec.get("dead_fraction"),
            "sets": {n: {k: {"auroc": m["auroc"]["value"], "tpr@1%": m["tpr@1%"]["value"]}
                         for k, m in s["monitors"].items()} for n, s in summary.get("sets", {}).items()}}


def best_probe(monitors: dict) -> str:
    """The probe with the higher TPR at 1% FPR (AUROC breaks ties)."""
    return max(("diff_of_means", "logistic"),
               key=lambda k: (monitors[k]["tpr@1%"]["value"], monitors[k]["auroc"]["value"]))


def scorecard(summary: dict) -> list:
    """One row per set: the SAE monitor's TPR at 1% FPR, the best probe's beside it in the setting."""
    from ..runs.technique import ScoreRow
    from ..term import fmt_ci, fmt_num

    rows = []
    for name, s in summary.get("sets", {}).items():
        m = s["monitors"]
        sae, bp = m["sae_features"]["tpr@1%"], best_probe(m)
        probe = m[bp]["tpr@1%"]
        rows.append(ScoreRow(
            technique="SAE monitor",
            setting=(f"{name}: {summary.get('model')} {summary.get('site')}; best probe ({bp.replace('_', '-')}) "
                     f"{fmt_num(probe['value'])} {fmt_ci(probe['ci'])}"),
            measure="TPR @ 1% FPR", value=sae["value"], ci=tuple(sae["ci"]),
            null=probe["value"], null_label="the best probe's TPR"))
    return rows
