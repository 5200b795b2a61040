"""The RRM experiment as units in a run store, and assisted evaluation run on items with its records written.

Two kinds of unit: `nested` (the Engels et al. 2025 calculator on the published per-game fits, every game and gap;
no model) and, when `evaluator` and `assistant` are given, `assisted` (one assisted-evaluation run through inspect,
its files under RUN_DIR/rrm/<title>/):

    OUT/records.jsonl   one row per item: label and every level's notes, verdict, confidence, status
    OUT/logs/           the inspect log (open it with `inspect view`)

inspect's response cache makes a killed assisted unit cheap to redo. A run in which every item failed (a dead
endpoint) is a one-line ModelError with the endpoint's error; one in which some failed is an error counting them,
unless `allow_failures`; either way nothing is written and the unit is not stored.
"""

from __future__ import annotations

from pathlib import Path

from proctor.errors import ConfigError, DataError

from .spec import RRMSpec

__all__ = ["assisted_config", "check", "evaluate_assisted", "nested_config", "run"]


def nested_config(spec: RRMSpec) -> dict:
    """The config of the calculator unit (its hash is the unit's key in the store)."""
    return {"technique": "rrm", "kind": "nested", "games": spec.games, "gaps": spec.gaps,
            "max_steps": spec.max_steps, "plateaus": spec.plateaus}


def assisted_config(spec: RRMSpec) -> dict:
    """The config of the assisted-evaluation unit."""
    return {"technique": "rrm", "kind": "assisted", **spec.model_dump(
        mode="json", include={"evaluator", "assistant", "items", "n", "depth", "mislead", "seed", "prompt_templates",
                              "logprobs"})}


def check(spec: RRMSpec) -> None:
    """Known games, both models or neither, and readable items, before the run directory is touched."""
    from .nested import ENGELS_2025_FITS

    unknown = [g for g in spec.games if g not in ENGELS_2025_FITS]
    if unknown:
        raise ConfigError(f"rrm.games: unknown {unknown}; known: {', '.join(ENGELS_2025_FITS)}")
    if (spec.evaluator is None) != (spec.assistant is None):
        raise ConfigError("rrm: give both `evaluator` and `assistant`, or neither")
    if spec.evaluator is not None:
        from ..llm.prompts import PromptTemplates
        from .items import load_items

        PromptTemplates("proctor.rrm", spec.prompt_templates)  # an override folder: syntax and sandbox checked
        load_items(spec.items, spec.n, spec.seed)


def run(spec: RRMSpec, store, on_unit) -> None:
    def nested():
        from .nested import paper_table

        rows = []
        for gap in spec.gaps:
            rows += [{**r, "gap": gap} for r in paper_table(gap, spec.max_steps, spec.plateaus)
                     if r["game"] in spec.games]
        return {"rows": rows}, {}

    unit, computed = store.get_or_compute(spec.title, "nested", nested_config(spec), nested)
    on_unit("nested-oversight calculator", unit, computed)
    if spec.evaluator is None:
        return

    def assisted():
        from proctor.llm import generate_config

        from .items import load_items

        # RUN_DIR/rrm/<title>: each part made a safe folder name, and checked to lie inside the run directory
        return evaluate_assisted(load_items(spec.items, spec.n, spec.seed), spec.evaluator, spec.assistant,
                                 out=store.subdir("rrm", spec.title), depth=spec.depth, mislead=spec.mislead,
                                 seed=spec.seed, prompts_dir=spec.prompt_templates,
                                 config=generate_config(cache=spec.cache, max_retries=spec.max_retries,
                                                        timeout=spec.timeout, attempt_timeout=spec.attempt_timeout),
                                 max_samples=spec.max_samples, logprobs=spec.logprobs,
                                 allow_failures=spec.allow_failures), {}

    unit, computed = store.get_or_compute(spec.title, "assisted", assisted_config(spec), assisted)
    on_unit("assisted evaluation", unit, computed)


def evaluate_assisted(items: list[dict], evaluator, assistant, *, out: str | Path, depth: int = 1,
                      mislead: float = 0.0, seed: int = 0, prompts_dir=None, config=None, max_samples=None,
                      logprobs: bool = True, allow_failures: bool = False) -> dict:
    """Run assisted evaluation (`assisted.py`) on `items` into `out`; its summary with the records' paths."""
    from proctor.llm import run_task, write_jsonl
    from proctor.llm.run import check_run

    from .assisted import assisted_summary, assisted_task, records_from_run

    if not items:
        raise DataError("no items to evaluate")
    if depth < 0:
        raise ConfigError(f"--depth must be >= 0, got {depth}")
    if not 0.0 <= mislead <= 1.0:
        raise ConfigError(f"--mislead must be a fraction in [0, 1], got {mislead}")
    out = Path(out)
    run = run_task(assisted_task(items, depth, mislead, seed=seed, prompts_dir=prompts_dir, logprobs=logprobs),
                   {"evaluator": evaluator, "assistant": assistant}, log_dir=out / "logs", config=config,
                   max_samples=max_samples)
    note = check_run(run, "rrm assisted evaluation", allow_failures=allow_failures)
    if note:
        from proctor.term import err, safe

        err.print(f"[yellow]warning:[/] {safe(note, 1000)}")
    records = records_from_run(run)
    write_jsonl(records, out / "records.jsonl")
    return {"mislead_fraction": mislead, "seed": seed, **assisted_summary(records, depth, seed),
            "records": str(out / "records.jsonl"), "log": run.location}
