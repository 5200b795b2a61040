"""The `tax_formats` experiment's summary (the paired analysis of both checkpoints' answers), its `--json` headline
and scorecard row."""

from __future__ import annotations

from .spec import FormatsSpec

__all__ = ["headline", "scorecard", "summarize"]


def summarize(store, spec: FormatsSpec) -> dict:
    """{"title", "spec", "base", "aligned", "scripted", "engine", "results" (one per evaluation, then the pooled one;
    empty until both checkpoints are answered), "verdict"}. The bootstrap is seeded: the same units give the same
    summary."""
    from .experiment import correctness
    from .formats import analyse

    out = {"title": spec.title, "spec": spec.model_dump(mode="json"), "base": spec.base, "aligned": spec.aligned,
           "scripted": spec.scripted, "engine": "encoder" if spec.encoder else "inspect", "evals": list(spec.evals),
           "formats": list(spec.formats), "deployment": spec.deployment, "threshold": spec.artifact_share,
           "results": [], "verdict": None, "paraphrase": None}
    correct = correctness(store, spec)
    if correct is None:
        return out
    results = analyse(correct, raw="raw", deployment=spec.deployment, n_boot=spec.n_boot, level=spec.ci,
                      threshold=spec.artifact_share, seed=spec.seed)
    out["results"] = [r.as_dict() for r in results]
    if spec.paraphraser:  # the base's run made the paraphrases the aligned one reuses
        from ..runs.store import unit_key
        from .experiment import answers_config

        out["paraphrase"] = store.get(unit_key(answers_config(spec, spec.base))).result.get("paraphrase")
    out["verdict"] = results[-1].verdict
    return out


def headline(summary: dict) -> dict:
    """The `proctor run --json` object: per evaluation the tax per format with its CI, the share gone, the verdict."""
    return {"title": summary["title"], "base": summary["base"], "aligned": summary["aligned"],
            "scripted": summary["scripted"], "verdict": summary["verdict"],
            "results": [{k: r[k] for k in ("eval", "n_items", "tax", "tax_ci", "share_recovered", "share_ci",
                                           "verdict")} for r in summary["results"]]}


def scorecard(summary: dict) -> list:
    """One row for the overall result (the pooled one with two or more evaluations): the share of the raw-format tax
    that disappears in the deployment format (null 0), blocked when there is no raw-format tax."""
    from .formats import FormatResult
    from .report import formats_score_row

    if not summary["results"]:
        return []
    return [formats_score_row(FormatResult.from_dict(summary["results"][-1]), base=summary["base"],
                              aligned=summary["aligned"], deployment=summary["deployment"],
                              scripted=summary["scripted"])]
