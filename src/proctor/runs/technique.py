"""The one registration point of a technique: its spec, runner, summary, report, scorecard rows and CLI verbs.

Every technique package has a `technique.py` holding `TECHNIQUE = Technique(...)`. Proctor finds them by looking for
`technique.py` files in its own packages (nothing else to edit when a technique is added), then in installed
packages (entry-point group `proctor.techniques`, name = type, value = module) and in
`PROCTOR_TECHNIQUES="type=module,..."` (how a user plugs in a technique of their own without packaging it).

`proctor run` dispatches `[[experiment]]` tables on `Technique.type`; `proctor.cli` mounts each `Technique.cli`
verb. A `technique.py` must stay light: heavy dependencies (torch, transformers, inspect-ai) are imported inside the
functions it points to, so `proctor --help` and spec loading stay fast.

    type             package                        what a unit is
    w2s              proctor.w2s                    one seed of weak -> student / ceiling
    pixel_debate     proctor.debate.pixels          one (k, precommit, order, agent) evaluation
    debate           proctor.debate                 one judged sample of an LLM protocol
    sae              proctor.sae                    SAE training, feature ranking, monitor evaluation
    verifiers        proctor.verifiers              PRM / ORM training and best-of-N evaluation
    superposition    proctor.superposition          one toy sweep / interference measurement
    monitor          proctor.monitor                injected-drift detection harness
    cai              proctor.constitution           critique -> revision chains, AI preferences (LLM)
    rrm              proctor.rrm                    assisted evaluation levels (LLM); nested-oversight calculator
    posttrain_plan   proctor.scaling                the joint SFT x preference fit of a table of runs; the budget plan
    tax_formats      proctor.tax                    one checkpoint's answers in every evaluation format
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: on_unit(label, unit, computed): called after each unit (computed now, or found finished in the store)
OnUnit = Callable[[str, Any, bool], None]


class Ref:
    """A function named "module:attr", imported on its first call: how a `technique.py` points at its runner,
    summary and report without importing them (and their torch / transformers imports) at registration time.
    Pickles as its name, so executors can send it to workers."""

    def __init__(self, ref: str):
        module, sep, attr = ref.partition(":")
        if not sep or not module or not attr:
            raise ValueError(f"{ref!r}: expected 'module:attr'")
        self.ref = ref
        self._fn: Callable | None = None

    def resolve(self) -> Callable:
        if self._fn is None:
            module, _, attr = self.ref.partition(":")
            self._fn = getattr(importlib.import_module(module), attr)
        return self._fn

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)

    def __reduce__(self):
        return (Ref, (self.ref,))

    def __repr__(self) -> str:
        return f"Ref({self.ref!r})"


_FUNCTIONS = ("run", "summarize", "sections", "scorecard", "headline", "check", "shards", "bind", "run_shard")


@dataclass(frozen=True)
class ScoreRow:
    """One row of the oversight scorecard: the measure of oversight one technique yields in one setting.

    Its verdict follows one rule (proctor.stats.verdict), never set by hand: "measured" only when the 95% CI of
    `value` excludes `null`, the value that means "no effect"; otherwise "no result: ..." with the reason."""

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
    null: float | None = 0.0
    """The value of `value` that means no effect (0 for PGR, lifts and differences; chance for an accuracy); None
    for a calculation with no sampling error (its verdict says so)."""
    null_label: str | None = None
    """How the null is named in the verdict (e.g. "chance", "no detection"); default: the number."""
    blocked: str | None = None
    """A reason there is no result whatever the CI says (e.g. "gap inside noise": a PGR over a gap that may be 0)."""
    unit: str | None = None
    """What the CI resampled (e.g. "test examples", "images", "prompt pairs"), named in the report's caption."""
    verdict: str = field(default="", init=False)
    """"measured", "calculated (no sampling error)", or "no result: <reason>" (computed)."""

    def __post_init__(self) -> None:
        from ..stats import verdict

        object.__setattr__(self, "verdict", verdict(self.value, self.ci, self.null, blocked=self.blocked,
                                                    null_label=self.null_label))


@dataclass(frozen=True)
class Technique:
    """A technique's registration. Each function field takes a function or its name "module:attr" (see `Ref`)."""

    type: str | None
    """The `type` key of an `[[experiment]]` table; None for a technique that has CLI verbs only."""
    name: str
    """Human name, e.g. "weak-to-strong"."""
    spec: type | None = None
    """The pydantic spec class (a `proctor.runs.spec.Spec` with `type: Literal[...]` and a `title` property): the one
    home of the technique's defaults; its field docstrings are the help text of the CLI options."""
    run: Callable[[Any, Any, OnUnit], None] | None = None
    """run(spec, store, on_unit): compute every unit not yet in the store (RunStore.get_or_compute)."""
    summarize: Callable[[Any, Any], dict] | None = None
    """summarize(store, spec) -> a JSON-able dict of the experiment's numbers (also works on an unfinished run)."""
    sections: Callable[[dict], list] | None = None
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
    cli: dict[str, str] = field(default_factory=dict)
    """CLI verbs: verb -> "module:attr", a typer app (a group of commands) or a function (one command), mounted by
    `proctor.cli` under `proctor VERB` with one-line errors."""

    def __post_init__(self) -> None:
        # Each function field may be given as "module:attr" (imported on first call) instead of a function.
        for name in _FUNCTIONS:
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Ref(value))


def split_model(name: str) -> tuple[str, int | None]:
    """"minilm@1" -> ("minilm", 1); "Qwen/Qwen2.5-0.5B" -> ("Qwen/Qwen2.5-0.5B", None)."""
    model, sep, layers = name.rpartition("@")
    if sep and layers.isdigit():
        return model, int(layers)
    return name, None


_ROOT = Path(__file__).resolve().parent.parent  # the proctor package


@functools.cache
def _builtin_modules() -> tuple[str, ...]:
    """`proctor.<package>[.<sub>].technique` for every technique.py in Proctor's own packages (found on disk; nothing
    is imported here)."""
    found = sorted(p.relative_to(_ROOT).with_suffix("") for p in _ROOT.glob("**/technique.py")
                   if p.parent != _ROOT / "runs" and "__pycache__" not in p.parts)
    return tuple("proctor." + ".".join(p.parts) for p in found)


def _extra_modules() -> dict[str, str]:
    """type -> module from entry points (`proctor.techniques`) and PROCTOR_TECHNIQUES (the latter wins)."""
    from importlib.metadata import entry_points

    out = {ep.name: ep.value for ep in entry_points(group="proctor.techniques")}
    for item in filter(None, (x.strip() for x in os.environ.get("PROCTOR_TECHNIQUES", "").split(","))):
        name, sep, module = item.partition("=")
        if not sep or not name.strip() or not module.strip():
            raise ConfigError(f"PROCTOR_TECHNIQUES: {item!r} is not TYPE=MODULE")
        out[name.strip()] = module.strip()
    return out


def _load(module_name: str) -> Technique:
    module = importlib.import_module(module_name)
    tech = getattr(module, "TECHNIQUE", None)
    if not isinstance(tech, Technique):
        raise ConfigError(f"{module_name}: defines no TECHNIQUE = proctor.runs.technique.Technique(...)")
    return tech


def all_techniques() -> list[Technique]:
    """Every technique: Proctor's own (in package order), then user techniques. Importing a user technique that
    is missing is an error naming it."""
    return list(_all_techniques(os.environ.get("PROCTOR_TECHNIQUES", "")))


@functools.lru_cache(maxsize=8)
def _all_techniques(_env: str) -> tuple[Technique, ...]:
    out = [_load(m) for m in _builtin_modules()]
    types = {t.type for t in out}
    for type_, module in _extra_modules().items():
        if type_ in types:
            out = [t for t in out if t.type != type_]  # a user technique may replace a built-in one
        try:
            tech = _load(module)
        except ModuleNotFoundError as e:
            raise ConfigError(f"technique {type_!r}: module {module!r} not found ({e.name})") from None
        if tech.type != type_:
            raise ConfigError(f"technique {type_!r}: {module}.TECHNIQUE has type {tech.type!r}")
        out.append(tech)
    return tuple(out)


def registry() -> dict[str, Technique]:
    """`type` -> Technique, for every technique that runs in suites."""
    return {t.type: t for t in all_techniques() if t.type is not None}


def get(type_: str) -> Technique:
    tech = registry().get(type_)
    if tech is None:
        raise ConfigError(f"unknown experiment type {type_!r}; known: {', '.join(sorted(available()))}")
    return tech


def available() -> list[str]:
    """The experiment types a suite can name."""
    return list(registry())
