"""Summaries of a finished (or partly finished) SAE-monitor experiment, read back from the run store: the SAE's
reconstruction and training, per set the monitors vs probes and the paired SAE-minus-probe difference, splice cost and
suppression."""

from __future__ import annotations

from .experiment import MONITOR_CI
from .spec import SAESpec


def summarize(store, spec: SAESpec) -> dict:
    """The experiment's numbers as a JSON-ready dict."""
    out: dict = {"title": spec.title, "model": spec.model, "site": spec.site, "config": {"seed": spec.seed},
                 "sets": {}, "suppression": {}}
    for u in store.units(spec.title):
        if u.kind == "sae":
            out.update({k: u.result[k] for k in ("sae_config", "train_rows", "reconstruction", "train")})
        elif u.kind == "monitor":
            # a unit from before the paired comparison is shown only where no current one exists
            if u.config.get("ci") == MONITOR_CI or u.config["set"] not in out["sets"]:
                out["sets"][u.config["set"]] = u.result
        elif u.kind == "splice":
            out["splice"] = u.result
        elif u.kind == "suppression":
            out["suppression"][u.config["set"]] = u.result
    return out


def headline(summary: dict) -> dict:
    """The `proctor run --json` object: held-out reconstruction, AUROC and TPR at 1% FPR of every monitor, and per
    set the paired SAE-minus-probe difference."""
    rec = summary.get("reconstruction", {}).get("test", {})
    return {"title": summary.get("title"), "fvu": rec.get("fvu"), "l0": rec.get("l0"),
            "dead_fraction": rec.get("dead_fraction"),
            "sets": {n: {k: {"auroc": m["auroc"]["value"], "tpr@1%": m["tpr@1%"]["value"]}
                         for k, m in s["monitors"].items()} for n, s in summary.get("sets", {}).items()},
            "sae_minus_probe": {n: {k: s["comparison"][k] for k in ("probe", "value", "ci", "unit")}
                                for n, s in summary.get("sets", {}).items() if s.get("comparison")}}


def scorecard(summary: dict) -> list:
    """One row per set: the SAE monitor's TPR at 1% FPR minus that of the probe chosen on the training split, with
    the paired bootstrap CI (null 0: no better than the probe)."""
    from ..runs.technique import ScoreRow
    from ..term import fmt_num

    rows = []
    for name, s in summary.get("sets", {}).items():
        m, c = s["monitors"], s.get("comparison")
        where = f"{name}: {summary.get('model')} {summary.get('site')}"
        measure = "TPR @ 1% FPR: SAE monitor minus best probe"
        if not c:
            rows.append(ScoreRow(technique="SAE monitor", setting=where, measure=measure, value=None,
                                 null_label="the best probe", blocked="stored before the paired comparison; rerun "
                                                                     "into a new run directory"))
            continue
        probe = c["probe"].replace("_", "-")
        rows.append(ScoreRow(
            technique="SAE monitor",
            setting=(f"{where}; SAE {fmt_num(m['sae_features']['tpr@1%']['value'])} vs {probe} "
                     f"{fmt_num(m[c['probe']]['tpr@1%']['value'])} (probe chosen by cross-validation on the training "
                     f"split)"),
            measure=measure, value=c["value"], ci=tuple(c["ci"]), null=0.0, null_label="the best probe",
            unit=f"{c['unit']} (paired: both monitors on the same resamples)"))
    return rows
