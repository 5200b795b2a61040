"""Constitutional AI as a suite technique (`type = "cai"`): one unit runs revise -> prefer -> evaluate on an LLM
(files under RUN_DIR/cai/<title>/; inspect's response cache makes a killed unit cheap to redo). The scorecard gets
the harmlessness change from revision (1-7 judge scale, bootstrap CI) and the helpfulness change (the tax).

    [[experiment]]
    type = "cai"
    policy = "openai-api/local/m"
    judge = "openai-api/local/j"
    limit = 100
    rounds = 2
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ..runs.spec import Spec
from ..runs.store import unit_key
from ..runs.technique import ScoreRow, Technique


class CAISpec(Spec):
    """Critique -> revision, AI preference labels and the harmlessness / helpfulness change on one LLM setup."""

    type: Literal["cai"] = "cai"
    name: str | None = None
    """Experiment title (default "cai")."""
    policy: str
    """Model that answers and revises (inspect name, e.g. openai-api/local/NAME)."""
    critic: str | None = None
    """Model that critiques (default: policy)."""
    judge: str | None = None
    """Model that compares and rates (default: critic)."""
    constitution: str = "default"
    """"default", a TOML file, or "cai-paper[:DIR]"."""
    prompts: str = "hh"
    """"hh" (HH-RLHF red-team first turns) or a JSONL file with `prompt`."""
    limit: int = Field(default=20, ge=1)
    """Number of prompts (seeded sample)."""
    rounds: int = Field(default=1, ge=1)
    """Critique/revision rounds."""
    seed: int = 0
    """Seed of prompt sampling, principle sampling, A/B order and bootstrap CIs."""

    @property
    def title(self) -> str:
        return self.name or "cai"


def _config(spec: CAISpec) -> dict:
    return {"technique": "cai", **spec.model_dump(mode="json", exclude={"name", "type"})}


def _check(spec: CAISpec) -> None:
    from .constitution import resolve_constitution
    from .redteam import load_prompts

    resolve_constitution(spec.constitution)
    load_prompts(spec.prompts, spec.limit, spec.seed)


def run_stages(spec: CAISpec, out: str | Path, policy, critic, judge, config=None) -> dict:
    """The unit's work: all three stages into `out` (models may be names or inspect Models)."""
    from .constitution import resolve_constitution
    from .export import read_chains
    from .pipeline import evaluate, prefer, revise
    from .redteam import load_prompts

    c = resolve_constitution(spec.constitution)
    s1 = revise(load_prompts(spec.prompts, spec.limit, spec.seed), c, policy, critic, out, spec.rounds, spec.seed,
                config=config)
    rows = read_chains(Path(out) / "chains.jsonl")
    s2 = prefer(rows, c, judge, out, spec.seed, config=config) if s1["complete"] else None
    s3 = evaluate(rows, judge, out, spec.seed, config=config) if s1["complete"] else None
    return {"revise": s1, "prefer": s2, "evaluate": s3}


def _run(spec: CAISpec, store, on_unit) -> None:
    def compute():
        from proctor.llm import generate_config

        critic = spec.critic or spec.policy
        return run_stages(spec, store.run_dir / "cai" / spec.title, spec.policy, critic, spec.judge or critic,
                          generate_config(max_retries=3)), {}

    unit, computed = store.get_or_compute(spec.title, "pipeline", _config(spec), compute)
    on_unit("critique -> revision -> preferences -> evaluation", unit, computed)


def _summarize(store, spec: CAISpec) -> dict:
    from ..jsonout import finite

    unit = store.get(unit_key(_config(spec)))
    return finite({"experiment": spec.title, "complete": unit is not None, "policy": spec.policy,
                   **(unit.result if unit else {"revise": None, "prefer": None, "evaluate": None})})


def _sections(summary: dict) -> list:
    from ..report import Section, Table

    r, p, e = summary.get("revise"), summary.get("prefer"), summary.get("evaluate")
    if not r:
        return []
    tables = [Table(["prompts", "complete chains", "invalid critiques", "invalid revisions", "failed", "SFT rows"],
                    [[r["prompts"], r["complete"], r["invalid_critique"], r["invalid_revision"], r["failed"],
                      r["sft_rows"]]], caption="Supervised stage (critique -> revision)")]
    if p:
        tables.append(Table(["pairs", "valid verdicts", "invalid", "revision preferred", "mean judge probability"],
                            [[p["pairs"], p["valid"], p["invalid"], p["prefer_second"],
                              p["mean_judge_probability"]]], caption="AI preference labels (RLAIF)"))
    if e:
        tables.append(Table(["rubric", "prompts", "before", "after", "change", "95% CI", "invalid ratings"],
                            [[k, e[k]["n"], e[k]["before"], e[k]["after"], e[k]["change"],
                              None if e[k]["ci"][0] is None else f"{e[k]['ci'][0]:+.2f} .. {e[k]['ci'][1]:+.2f}",
                              e[k]["invalid"]] for k in ("harmless", "helpful")],
                            caption="Judge ratings (1-7) of the first reply and the final revision"))
    return [Section(title=f"Constitutional AI: {summary['experiment']}",
                    summary=f"Policy {summary.get('policy')}, constitution {r['constitution']}, "
                            f"{r['rounds']} round(s), seed {r['seed']}.", tables=tables)]


def _scorecard(summary: dict) -> list[ScoreRow]:
    e = summary.get("evaluate")
    if not e:
        return [ScoreRow(technique="constitutional AI", setting=summary["experiment"],
                         measure="harmlessness change (1-7)", value=None,
                         verdict="no result: no complete revision chain" if summary.get("complete")
                         else "no result: not run")]
    rows = []
    for rubric, measure in (("harmless", "harmlessness change (1-7)"), ("helpful", "helpfulness change (1-7)")):
        x = e[rubric]
        ci = tuple(x["ci"]) if x["ci"] and None not in x["ci"] else None
        rows.append(ScoreRow(technique="constitutional AI", setting=f"{summary['experiment']}: {summary['policy']}",
                             measure=measure, value=x["change"], ci=ci,
                             verdict="measured" if x["n"] else "no result: no valid paired ratings"))
    return rows


TECHNIQUE = Technique(type="cai", name="constitutional AI", spec=CAISpec, run=_run, summarize=_summarize,
                      sections=_sections, scorecard=_scorecard, check=_check)
