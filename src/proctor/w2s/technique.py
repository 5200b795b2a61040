"""Weak-to-strong generalization as a suite technique (`type = "w2s"`)."""

from __future__ import annotations

from ..runs.spec import W2SSpec
from ..runs.technique import ScoreRow, Technique


def _run(spec: W2SSpec, store, on_unit) -> None:
    from .protocol import W2SExperiment

    W2SExperiment(spec).run(store, on_unit)


def _run_shard(spec: W2SSpec, store, on_unit, i: int) -> None:
    """One seed: its weak models, ceiling, students and chain (seeds are independent of each other)."""
    from .protocol import W2SExperiment

    exp = W2SExperiment(spec)
    exp.store, exp.on_unit = store, on_unit
    exp.run_seed(i)


def _check(spec: W2SSpec) -> None:
    from .protocol import W2SExperiment

    W2SExperiment(spec)


def _summarize(store, spec: W2SSpec) -> dict:
    from .summary import summarize

    return summarize(store, spec)


def _sections(summary: dict) -> list:
    from .report import w2s_section

    return [w2s_section(summary)]


def _headline(summary: dict) -> dict:
    from .summary import headline

    return headline(summary)


def _scorecard(summary: dict) -> list[ScoreRow]:
    rows = []
    for r in _headline(summary)["results"]:
        pgr = r["pgr"]
        ci = tuple(r["pgr_ci"]) if r.get("pgr_ci") and None not in r["pgr_ci"] else None
        rows.append(ScoreRow(
            technique="weak-to-strong",
            setting=f"{summary.get('dataset', '')}: {r['weak_model']} -> {summary.get('strong', 'student')} "
                    f"({r['loss']})".lstrip(": "),
            measure="PGR",
            value=None if pgr is None or pgr != pgr else pgr,
            ci=ci,
            # an unresolved PGR (gap inside noise) is a ratio of noise: kept in the table, not plotted as gap closed
            gap_closed=pgr if r["resolved"] and pgr is not None and pgr == pgr else None,
            gap_ci=ci if r["resolved"] else None,
            verdict="measured" if r["resolved"] else "no result: gap inside noise",
        ))
    return rows


def _bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """The overseer is the weak supervisor (a linear probe on it), the overseen the fine-tuned strong student."""
    if overseer and "weak" not in table:
        table["weak"] = [f"probe:{overseer}"]
    if overseen and "strong" not in table:
        table["strong"] = f"finetune:{overseen}"
    return table


TECHNIQUE = Technique(type="w2s", name="weak-to-strong", spec=W2SSpec, run=_run, summarize=_summarize,
                      sections=_sections, scorecard=_scorecard, headline=_headline, check=_check,
                      shards=lambda spec: spec.seeds, run_shard=_run_shard, bind=_bind)
