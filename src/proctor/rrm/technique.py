"""Recursive reward modeling as a suite technique (`type = "rrm"`).

Two kinds of unit: `nested` (the Engels et al. 2025 calculator on the published per-game fits, every game and gap;
no model) and, when `evaluator` and `assistant` are given, `assisted` (one assisted-evaluation run through inspect,
its files under RUN_DIR/rrm/<title>/). The scorecard gets the evaluator's accuracy lift from assistance at the
deepest level (points, bootstrap CI) and the calculator's nested-oversight success per game.

    [[experiment]]
    type = "rrm"
    gaps = [400, 800]
    evaluator = "openai-api/local/small"      # optional: without it only the calculator runs
    assistant = "openai-api/local/big"
    items = "gsm8k"
    n = 100
    depth = 2
    mislead = 0.2
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..runs.spec import Spec
from ..runs.store import unit_key
from ..runs.technique import ScoreRow, Technique


class RRMSpec(Spec):
    """Nested-oversight calculator and (optionally) assisted evaluation with an LLM."""

    type: Literal["rrm"] = "rrm"
    name: str | None = None
    """Experiment title (default "rrm")."""
    games: list[str] = Field(default_factory=lambda: ["Mafia", "Debate", "Backdoor Code", "Wargames"])
    """Games of Engels et al. 2025 whose fitted Elo lines feed the calculator."""
    gaps: list[float] = Field(default_factory=lambda: [400.0])
    """General-Elo gaps between the starting Guard and the target Houdini."""
    max_steps: int = Field(default=20, ge=1)
    """Largest number of oversight steps searched for n*."""
    plateaus: bool = False
    """Apply the fitted saturation plateaus (Backdoor Code Houdini)."""
    evaluator: str | None = None
    """Weak evaluator model (inspect name); with `assistant`, enables the assisted-evaluation unit."""
    assistant: str | None = None
    """Assistant model (inspect name)."""
    items: str = "gsm8k"
    """Evaluation items: gsm8k, quality, or a JSONL file (question, answer, label)."""
    n: int = Field(default=40, ge=1)
    """Number of items (seeded sample)."""
    depth: int = Field(default=1, ge=0)
    """Assistance levels (0 = unassisted only)."""
    mislead: float = Field(default=0.0, ge=0.0, le=1.0)
    """Fraction of (item, level) pairs with a misleading assistant."""
    seed: int = 0
    """Seed of item sampling, misleading assistants and bootstrap CIs."""

    @property
    def title(self) -> str:
        return self.name or "rrm"


def _nested_config(spec: RRMSpec) -> dict:
    return {"technique": "rrm", "kind": "nested", "games": spec.games, "gaps": spec.gaps,
            "max_steps": spec.max_steps, "plateaus": spec.plateaus}


def _assisted_config(spec: RRMSpec) -> dict:
    return {"technique": "rrm", "kind": "assisted", **spec.model_dump(
        mode="json", include={"evaluator", "assistant", "items", "n", "depth", "mislead", "seed"})}


def _check(spec: RRMSpec) -> None:
    from ..errors import ConfigError
    from .nested import ENGELS_2025_FITS

    unknown = [g for g in spec.games if g not in ENGELS_2025_FITS]
    if unknown:
        raise ConfigError(f"rrm.games: unknown {unknown}; known: {', '.join(ENGELS_2025_FITS)}")
    if (spec.evaluator is None) != (spec.assistant is None):
        raise ConfigError("rrm: give both `evaluator` and `assistant`, or neither")
    if spec.evaluator is not None:
        from .items import load_items

        load_items(spec.items, spec.n, spec.seed)


def _run(spec: RRMSpec, store, on_unit) -> None:
    def nested():
        from .nested import paper_table

        rows = []
        for gap in spec.gaps:
            rows += [{**r, "gap": gap} for r in paper_table(gap, spec.max_steps, spec.plateaus)
                     if r["game"] in spec.games]
        return {"rows": rows}, {}

    unit, computed = store.get_or_compute(spec.title, "nested", _nested_config(spec), nested)
    on_unit("nested-oversight calculator", unit, computed)
    if spec.evaluator is None:
        return

    def assisted():
        from proctor.llm import generate_config

        from .items import load_items
        from .pipeline import evaluate_assisted

        out = store.run_dir / "rrm" / spec.title
        return evaluate_assisted(load_items(spec.items, spec.n, spec.seed), spec.evaluator, spec.assistant, out,
                                 spec.depth, spec.mislead, spec.seed,
                                 config=generate_config(max_retries=3)), {}

    unit, computed = store.get_or_compute(spec.title, "assisted", _assisted_config(spec), assisted)
    on_unit("assisted evaluation", unit, computed)


def _summarize(store, spec: RRMSpec) -> dict:
    from ..jsonout import finite

    nested = store.get(unit_key(_nested_config(spec)))
    assisted = store.get(unit_key(_assisted_config(spec))) if spec.evaluator else None
    return finite({"experiment": spec.title, "nested": nested.result["rows"] if nested else [],
                   "assisted": assisted.result if assisted else None,
                   "assisted_setting": f"{spec.items}: {spec.evaluator} + {spec.assistant}, mislead {spec.mislead}",
                   "complete": nested is not None and (assisted is not None or spec.evaluator is None)})


def _pct(x):
    return None if x is None else round(100 * x, 1)


def _sections(summary: dict) -> list:
    from ..report import Section, Table

    tables = [Table(["game", "gap", "Guard slope", "Houdini slope", "n*", "P_win %", "paper % (gap 400)"],
                    [[r["game"], r["gap"], round(r["guard_slope"], 3), round(r["houdini_slope"], 3),
                      r["best_steps"], _pct(r["success"]), _pct(r["paper_success"]) if r["gap"] == 400 else None]
                     for r in summary.get("nested", [])],
                    caption="Nested oversight (Engels et al. 2025) from the fits in the paper's code; the paper's "
                            "reported rates come from later fits (docs: results, RRM section).")]
    a = summary.get("assisted")
    if a:
        tables.append(Table(["level", "valid", "accuracy %", "95% CI", "change vs unassisted (pts)",
                             "invalid verdicts", "invalid notes"],
                            [[lv["level"], lv["n"], _pct(lv["accuracy"]),
                              f"{_pct(lv['ci'][0])} .. {_pct(lv['ci'][1])}",
                              _pct(lv["change_vs_unassisted"]["change"]), lv["invalid_verdicts"],
                              lv["invalid_notes"]] for lv in a["levels"]],
                            caption=f"Assisted evaluation, {summary.get('assisted_setting', '')}"))
    return [Section(title=f"Recursive reward modeling: {summary['experiment']}", tables=tables)]


def _scorecard(summary: dict) -> list[ScoreRow]:
    rows = []
    a = summary.get("assisted")
    if a and a["levels"]:
        top = a["levels"][-1]["change_vs_unassisted"]
        ci = top.get("ci")
        rows.append(ScoreRow(technique="assisted evaluation (RRM)",
                             setting=f"{summary.get('assisted_setting', '')}, depth {a['depth']}",
                             measure="evaluator accuracy lift (pts)", value=_pct(top.get("change")),
                             ci=(_pct(ci[0]), _pct(ci[1])) if ci and None not in ci else None,
                             verdict="measured" if top.get("n") else "no result: no valid paired verdicts"))
    for r in summary.get("nested", []):
        rows.append(ScoreRow(technique="nested oversight (calculator)", setting=f"{r['game']}, gap {r['gap']:g}",
                             measure=f"P(success), n* = {r['best_steps']}", value=r["success"],
                             verdict="calculated from published fits (no model)"))
    return rows


TECHNIQUE = Technique(type="rrm", name="recursive reward modeling", spec=RRMSpec, run=_run, summarize=_summarize,
                      sections=_sections, scorecard=_scorecard, check=_check)
