"""How a technique plugs into a suite: its spec, how it runs, how it is summarised, reported and scored.

Each technique package has a `suite.py` with one `TECHNIQUE = Technique(...)`. The registry below maps the `type` of
an `[[experiment]]` table to that module; modules are imported only when a suite names their type, so the CLI and
the spec loader stay fast. A `suite.py` must import heavy dependencies (torch, transformers) inside its functions.

    type             module                              what a unit is
    w2s              proctor.w2s.suite                    one seed of weak -> student / ceiling
    pixel_debate     proctor.debate.pixels.suite          one (k, precommit, order, agent) evaluation
    debate           proctor.debate.suite                 one judged sample of an LLM protocol
    sae              proctor.sae.suite                    SAE training, feature ranking, monitor evaluation
    verifiers        proctor.verifiers.suite              PRM / ORM training and best-of-N evaluation
    superposition    proctor.superposition.suite          one toy sweep / interference measurement
    monitor          proctor.monitor.suite                injected-drift detection harness
    cai              proctor.constitution.suite           critique -> revision chains, AI preferences (LLM)
    rrm              proctor.rrm.suite                    assisted evaluation levels (LLM); nested-oversight calculator
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

#: `type` -> module holding `TECHNIQUE`
REGISTRY: dict[str, str] = {
    "w2s": "proctor.w2s.suite",
    "pixel_debate": "proctor.debate.pixels.suite",
    "debate": "proctor.debate.suite",
    "sae": "proctor.sae.suite",
    "verifiers": "proctor.verifiers.suite",
    "superposition": "proctor.superposition.suite",
    "monitor": "proctor.monitor.suite",
    "cai": "proctor.constitution.suite",
    "rrm": "proctor.rrm.suite",
}

#: on_unit(label, unit, computed): called after each unit (computed now, or found finished in the store)
OnUnit = Callable[[str, Any, bool], None]


@dataclass(frozen=True)
class ScoreRow:
    """One row of the oversight scorecard: the measure of oversight one technique yields in one setting."""

    technique: str
    """e.g. "weak-to-strong", "pixel debate", "SAE monitor"."""
    setting: str
    """What was compared, e.g. "sst2: tfidf -> finetune:minilm (xent)"."""
    measure: str
    """What `value` is, e.g. "PGR", "judge accuracy lift (pts)", "TPR @ 1% FPR"."""
    value: float | None
    ci: tuple[float, float] | None = None
    """95% confidence interval of `value`, where one exists."""
    gap_closed: float | None = None
    """Fraction of the overseer -> overseen gap closed (0 = none, 1 = all), where the technique defines one."""
    gap_ci: tuple[float, float] | None = None
    """95% confidence interval of `gap_closed`."""
    verdict: str = "measured"
    """"measured", or why there is no result (e.g. "no result: gap inside noise")."""


@dataclass(frozen=True)
class Technique:
    type: str
    """The `type` key of an `[[experiment]]` table."""
    name: str
    """Human name, e.g. "weak-to-strong"."""
    spec: type
    """The pydantic spec class (a `proctor.runs.spec.Spec` with `type: Literal[...]` and a `title` property)."""
    run: Callable[[Any, Any, OnUnit], None]
    """run(spec, store, on_unit): compute every unit not yet in the store (RunStore.get_or_compute)."""
    summarize: Callable[[Any, Any], dict]
    """summarize(store, spec) -> a JSON-able dict of the experiment's numbers (also works on an unfinished run)."""
    sections: Callable[[dict], list]
    """sections(summary) -> list of proctor.report.Section for the HTML report."""
    scorecard: Callable[[dict], list[ScoreRow]] = field(default=lambda summary: [])
    """scorecard(summary) -> the rows this experiment contributes to the report's opening table."""
    headline: Callable[[dict], dict] | None = None
    """headline(summary) -> the small dict `proctor run --json` prints for this experiment (default: summary)."""
    check: Callable[[Any], None] | None = None
    """check(spec): load and validate inputs (data files, models) before the run directory is touched; raise
    proctor.errors.DataError / ConfigError naming the file or field."""
    shards: Callable[[Any], int] | None = None
    """shards(spec) -> how many independent pieces (e.g. seeds) the experiment splits into for fan-out; None = 1."""
    bind: Callable[[dict, str | None, str | None], dict] | None = None
    """bind(table, overseer, overseen) -> the `[[experiment]]` table with the suite's overseer / overseen filled into
    the fields this technique uses for them, where the table does not set them (see `Suite.overseer`)."""
    run_shard: Callable[[Any, Any, OnUnit, int], None] | None = None
    """run_shard(spec, store, on_unit, i): run piece i only (all pieces together = `run`). Needed when shards > 1.
    It must be a module-level function (executors pickle it by reference), as must `run`."""


def split_model(name: str) -> tuple[str, int | None]:
    """"minilm@1" -> ("minilm", 1); "Qwen/Qwen2.5-0.5B" -> ("Qwen/Qwen2.5-0.5B", None)."""
    model, sep, layers = name.rpartition("@")
    if sep and layers.isdigit():
        return model, int(layers)
    return name, None


def registry() -> dict[str, str]:
    """REGISTRY plus techniques added by installed packages (entry-point group `proctor.techniques`, name = type,
    value = module) or by `PROCTOR_TECHNIQUES="type=module,..."` (how a user plugs in a technique of their own)."""
    from importlib.metadata import entry_points

    out = dict(REGISTRY)
    for ep in entry_points(group="proctor.techniques"):
        out.setdefault(ep.name, ep.value)
    for item in filter(None, (x.strip() for x in os.environ.get("PROCTOR_TECHNIQUES", "").split(","))):
        name, sep, module = item.partition("=")
        if not sep or not name.strip() or not module.strip():
            raise ConfigError(f"PROCTOR_TECHNIQUES: {item!r} is not TYPE=MODULE")
        out[name.strip()] = module.strip()
    return out


def get(type_: str) -> Technique:
    module_name = registry().get(type_)
    if module_name is None:
        raise ConfigError(f"unknown experiment type {type_!r}; known: {', '.join(sorted(available()))}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            raise ConfigError(f"experiment type {type_!r} is not available in this install") from None
        raise
    return module.TECHNIQUE


def available() -> list[str]:
    """The types whose modules are installed."""
    return [t for t, m in registry().items() if _has_module(m)]


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
