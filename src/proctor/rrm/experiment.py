"""Run assisted evaluation (`assisted.py`) on items and write its records and summary into one folder:

    OUT/records.jsonl   one row per item: label and every level's notes, verdict, confidence, status
    OUT/logs/           the inspect log (open it with `inspect view`)
"""

from __future__ import annotations

from pathlib import Path

from proctor.errors import ConfigError, DataError

__all__ = ["evaluate_assisted"]


def evaluate_assisted(items: list[dict], evaluator, assistant, out: str | Path, depth: int = 1,
                      mislead: float = 0.0, seed: int = 0, prompts_dir=None, config=None, max_samples=None,
                      logprobs: bool = True) -> dict:
    from proctor.llm import run_task, write_jsonl

    from .assisted import assisted_summary, assisted_task, records_from_run

    if not items:
        raise DataError("no items to evaluate")
    if depth < 0:
        raise ConfigError(f"--depth must be >= 0, got {depth}")
    if not 0.0 <= mislead <= 1.0:
        raise ConfigError(f"--mislead must be a fraction in [0, 1], got {mislead}")
    out = Path(out)
    run = run_task(assisted_task(items, depth, mislead, seed, prompts_dir, logprobs),
                   {"evaluator": evaluator, "assistant": assistant}, log_dir=out / "logs", config=config,
                   max_samples=max_samples)
    records = records_from_run(run)
    write_jsonl(records, out / "records.jsonl")
    return {"mislead_fraction": mislead, "seed": seed, **assisted_summary(records, depth, seed),
            "records": str(out / "records.jsonl"), "log": run.location}
