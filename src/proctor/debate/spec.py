"""LLM debate as a suite technique (`type = "debate"`): one unit is one judged sample of one protocol.

It needs a judge model (and debaters for consultancy / debate), so the offline default suites do not include it:

    [[experiment]]
    type = "debate"
    dataset = "quality_example"
    protocols = ["naive", "expert", "consultancy", "debate"]
    judge = "openai-api/local/llama-3.1-8b"
    debater = "openai-api/local/qwen2.5-72b"

Samples already in the run store are skipped; the others run through inspect (response cache on), so a killed run
resumes at the sample level, and a sample whose model calls failed is not stored and runs again next time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..runs.spec import Spec
from ..runs.technique import ScoreRow, Technique


class DebateSpec(Spec):
    """LLM oversight protocols (naive / expert judge, consultancy, debate) on one data set."""

    type: Literal["debate"] = "debate"
    """The technique: LLM debate and its baselines."""
    name: str | None = None
    """Experiment name in the report; defaults to "debate-<dataset>"."""
    dataset: str = "quality_example"
    """quality_example, a local QuALITY / multiple-choice file, or a Hub id."""
    split: str | None = None
    """Hub split (default validation, dev, test or train, the first present)."""
    limit: int | None = Field(default=None, ge=1)
    """First N questions."""
    protocols: list[Literal["naive", "expert", "consultancy", "debate"]] = Field(
        default_factory=lambda: ["naive", "expert", "consultancy", "debate"])
    """Protocols to run."""
    judge: str
    """Judge model (inspect name, e.g. openai-api/local/NAME, vllm/..., hf/PATH)."""
    debater: str | None = None
    """Debater / consultant model (needed for consultancy and debate)."""
    debater_b: str | None = None
    """A different model for debater B; default the same as `debater` (self-play)."""
    rounds: int = Field(default=2, ge=0)
    """Debate rebuttal rounds / consultancy judge questions."""
    sequential: bool = False
    """Sequential debate rounds (default simultaneous)."""
    swap: bool = True
    """Alternate the correct answer's position across samples."""
    word_limit: int = Field(default=150, ge=10)
    """Words per debater / consultant turn."""
    logprobs: bool = False
    """Judge confidence from token log-probabilities when the provider returns them."""
    prompts: str | None = None
    """Folder of .jinja files overriding the packaged prompts."""
    max_connections: int | None = Field(default=None, ge=1)
    """Concurrent requests per model."""
    max_retries: int | None = Field(default=None, ge=0)
    """Retries of a failed model call."""
    timeout: int | None = Field(default=None, ge=1)
    """Seconds per model call, retries included."""
    seed: int = 0
    """Bootstrap seed."""

    @property
    def title(self) -> str:
        return self.name or f"debate-{self.dataset.rsplit('/', 1)[-1]}"


def _unit_config(spec: DebateSpec, protocol: str, item, index: int, roles: dict) -> dict:
    return {"protocol": protocol, "item": item.id, "index": index, "question": item.question,
            "answers": [item.correct, item.distractor], "roles": roles, "rounds": spec.rounds,
            "sequential": spec.sequential, "swap": spec.swap, "word_limit": spec.word_limit,
            "logprobs": spec.logprobs, "prompts": spec.prompts}


def _plan(spec: DebateSpec):
    from .cli import roles_for
    from .data import load_items

    items = load_items(spec.dataset, split=spec.split, limit=spec.limit)
    return items, {p: roles_for(p, spec.debater, spec.debater_b, spec.judge) for p in spec.protocols}


def _check(spec: DebateSpec) -> None:
    _plan(spec)


def _run(spec: DebateSpec, store, on_unit) -> None:
    from ..llm.run import generate_config
    from .judged import run_protocol
    from .protocols import ProtocolConfig

    items, roles = _plan(spec)
    config = generate_config(max_connections=spec.max_connections, max_retries=spec.max_retries,
                             timeout=spec.timeout)
    for p in spec.protocols:
        todo = [(i, it) for i, it in enumerate(items)
                if store.get(_unit_key(_unit_config(spec, p, it, i, roles[p]))) is None]
        for i, it in enumerate(items):
            if (i, it) not in todo:
                on_unit(spec.title, store.get(_unit_key(_unit_config(spec, p, it, i, roles[p]))), False)
        if not todo:
            continue
        cfg = ProtocolConfig(p, rounds=spec.rounds, sequential=spec.sequential, word_limit=spec.word_limit,
                             swap=spec.swap, logprobs=spec.logprobs, prompts=spec.prompts)
        recs, _ = run_protocol([it for _, it in todo], cfg, roles[p], indices=[i for i, _ in todo],
                               log_dir=str(store.run_dir / "inspect-logs"), config=config)
        by_index = {r["index"]: r for r in recs}
        for i, it in todo:
            rec = by_index.get(i)
            if rec is None or rec["failed"]:
                continue  # not stored: the next run tries this sample again
            unit, computed = store.get_or_compute(spec.title, "judged", _unit_config(spec, p, it, i, roles[p]),
                                                  lambda rec=rec: (rec, {}))
            on_unit(spec.title, unit, computed)


def _unit_key(config: dict) -> str:
    from ..runs.store import unit_key

    return unit_key(config)


def _summarize(store, spec: DebateSpec) -> dict:
    from .metrics import summarize_records

    units = store.units(experiment=spec.title, kind="judged")
    by: dict[str, list[dict]] = {}
    for u in units:
        by.setdefault(u.result["protocol"], []).append(u.result)
    protocols = {p: summarize_records(sorted(by[p], key=lambda r: r["index"]), seed=spec.seed)
                 for p in spec.protocols if p in by}
    try:
        planned = len(_plan(spec)[0]) * len(spec.protocols)
    except Exception:  # data no longer readable: report what is stored
        planned = len(units)
    transcripts = [r for p in ("debate", "consultancy") for r in sorted(by.get(p, []), key=lambda r: r["index"])[:2]]
    return {"title": spec.title, "dataset": spec.dataset,
            "roles": {"judge": spec.judge, "debater": spec.debater, "debater_b": spec.debater_b or spec.debater},
            "protocols": protocols, "units_done": len(units), "units_planned": planned,
            "complete": len(units) >= planned, "transcripts": transcripts}


def _sections(summary: dict) -> list:
    from .report import debate_section

    return [debate_section(summary)]


def _headline(summary: dict) -> dict:
    return {"title": summary["title"], "complete": summary["complete"],
            "protocols": {p: {k: s[k] for k in ("accuracy", "ci", "samples", "valid", "invalid", "failed")}
                          for p, s in summary["protocols"].items()}}


def _scorecard(summary: dict) -> list[ScoreRow]:
    """Judge accuracy with debate / consultancy; gap closed = (protocol - naive) / (expert - naive)."""
    by = summary["protocols"]
    rows = []
    naive, expert = by.get("naive", {}).get("accuracy"), by.get("expert", {}).get("accuracy")
    for p in ("debate", "consultancy"):
        if p not in by:
            continue
        acc = by[p]["accuracy"]
        gap = None
        if naive is not None and expert is not None and expert - naive > 0 and acc == acc:
            gap = (acc - naive) / (expert - naive)
        rows.append(ScoreRow(technique=f"LLM {p}", setting=f"{summary['dataset']}: judge {summary['roles']['judge']}",
                             measure="judge accuracy", value=acc if acc == acc else None,
                             ci=tuple(by[p]["ci"]) if all(c == c for c in by[p]["ci"]) else None, gap_closed=gap,
                             verdict="measured" if by[p]["valid"] else "no result: no valid verdicts"))
    return rows


def _bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """The judge is the overseer; the debaters (and the consultant) are the overseen model."""
    if overseer and "judge" not in table:
        table["judge"] = overseer
    if overseen and "debater" not in table:
        table["debater"] = overseen
    return table


TECHNIQUE = Technique(type="debate", name="LLM debate", spec=DebateSpec, run=_run, summarize=_summarize,
                      sections=_sections, scorecard=_scorecard, headline=_headline, check=_check, bind=_bind)
