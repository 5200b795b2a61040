"""LLM oversight protocols on inspect-ai: naive and expert judges, consultancy, and debate (Irving et al. 2018,
Algorithm 18.7.1 of the textbook section; the information-asymmetric setup of Khan et al. 2024 on QuALITY).
inspect-ai is imported inside the functions; `proctor.debate.pixels` is the separate pixel debate on MNIST.

    spec.py        DebateSpec: every setting and its default (read by `proctor debate` and suites), bind
    experiment.py  roles_for, role_models; the runner run / check (one unit = one judged sample of one protocol)
    summary.py     summarize(store, spec), headline, scorecard rows
    report.py      the report section: accuracy per protocol, calibration, Elo, transcripts with quotes marked
    technique.py   the registration (`type = "debate"`)
    cli.py         `proctor debate` (a protocol end to end), `proctor debate tournament`, mounts `debate pixels`
    data.py        load_items(dataset, split=, limit=) -> [DebateItem]: QuALITY or question/choices/answer
    protocols.py   ProtocolConfig, protocol_task(items, cfg) -> inspect Task (roles judge, debater_a, debater_b,
                   consultant)
    judged.py      run_protocol(items, cfg, roles, log_dir=, config=) -> (records, TaskRun)
    metrics.py     summarize_records(records) -> accuracy + CI, by_assignment, by_position, ECE, invalid, failed
    quotes.py      verify_quotes(text, passage) / QuoteChecker(passage).mark(text): <quote> -> <v_quote> / <u_quote>
    elo.py         fit_bradley_terry(games) / elo_ratings(games)
    tournament.py  run_tournament(items, players, judge): cross-play, Elo persuasiveness
    export.py      export_preferences(records, path): judged debates as TRL prompt / chosen / rejected JSONL
    tasks.py       inspect entry points proctor/debate, proctor/consultancy, proctor/naive_judge, proctor/expert_judge
"""

from __future__ import annotations

import importlib
from typing import Any

from .spec import DebateSpec

_EXPORTS = {
    "roles_for": "experiment", "DebateItem": "data", "load_items": "data",
    "ProtocolConfig": "protocols", "protocol_task": "protocols", "run_protocol": "judged",
    "summarize_records": "metrics", "QuoteChecker": "quotes", "verify_quotes": "quotes",
    "elo_ratings": "elo", "fit_bradley_terry": "elo", "run_tournament": "tournament",
    "export_preferences": "export",
}

__all__ = ["DebateItem", "DebateSpec", "ProtocolConfig", "QuoteChecker", "elo_ratings", "export_preferences",
           "fit_bradley_terry", "load_items", "protocol_task", "roles_for", "run_protocol", "run_tournament",
           "summarize_records", "verify_quotes"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
