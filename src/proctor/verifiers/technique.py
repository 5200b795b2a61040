"""Process vs outcome supervision as a suite technique (`type = "verifiers"`): one unit per seed."""

from __future__ import annotations

from ..runs.technique import ScoreRow, Technique
from .spec import VerifiersSpec


def _config(spec: VerifiersSpec, seed: int) -> dict:
    return spec.model_dump(mode="json", exclude={"name", "seeds"}) | {"seed": seed, "title": spec.title}


def _run_shard(spec: VerifiersSpec, store, on_unit, i: int) -> None:
    def compute():
        from .experiment import run_experiment
        from .summary import build_data, experiment_config

        return run_experiment(build_data(spec, i), experiment_config(spec, i))

    unit, computed = store.get_or_compute(spec.title, "seed", _config(spec, i), compute)
    on_unit(spec.title, unit, computed)


def _run(spec: VerifiersSpec, store, on_unit) -> None:
    for i in range(spec.seeds):
        _run_shard(spec, store, on_unit, i)


def _check(spec: VerifiersSpec) -> None:
    if spec.data == "gsm8k":
        from .summary import gsm8k_dir

        gsm8k_dir()


def _summarize(store, spec: VerifiersSpec) -> dict:
    from .summary import summarize

    return summarize(store, spec)


def _sections(summary: dict) -> list:
    from .report import verifiers_section

    return [verifiers_section(summary)]


def _headline(summary: dict) -> dict:
    keys = ("title", "data", "seeds_done", "largest_n", "headline", "lift", "bon_at_largest_n", "hackability")
    return {k: summary.get(k) for k in keys}


def _scorecard(summary: dict) -> list[ScoreRow]:
    lift = summary.get("lift")
    if not lift:
        return []
    ci = (100 * lift["lo"], 100 * lift["hi"])
    resolved = lift["lo"] > 0 or lift["hi"] < 0
    return [ScoreRow(
        technique="process supervision",
        setting=f"{summary.get('title') or summary['data']}: PRM ({summary['headline'].removeprefix('prm_')}) vs ORM, best-of-{summary['largest_n']}",
        measure="best-of-N accuracy lift over ORM (pts)",
        value=100 * lift["value"], ci=ci,
        verdict="measured" if resolved else "no result: lift inside noise",
    )]


def _bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """The verifier (PRM / ORM encoder) is the overseer."""
    from ..runs.technique import split_model

    if overseer and "model" not in table:
        table["model"], layers = split_model(overseer)
        if layers is not None and "layers" not in table:
            table["layers"] = layers
    return table


TECHNIQUE = Technique(type="verifiers", name="process vs outcome supervision", spec=VerifiersSpec, run=_run,
                      summarize=_summarize, sections=_sections, scorecard=_scorecard, headline=_headline,
                      check=_check, shards=lambda spec: spec.seeds, run_shard=_run_shard, bind=_bind)
