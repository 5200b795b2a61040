"""Suites and their runs: specs loaded from TOML, the run store, the runner, executors and the technique registry.

    spec.py       Spec (base of every technique's spec), Suite, load_suite, validate; names checked as folder names
    store.py      RunStore: SQLite (WAL) units keyed by config hash, arrays with size + SHA-256, damage check, repair,
                  the run directory lock
    technique.py  Technique / ScoreRow / Ref: the one registration point of a technique; discovery of techniques
    executor.py   run_suite (the one runner) and run_one (a technique verb's one-experiment suite); summaries,
                  scorecard, report
    fanout.py     executors: inline, local process pool, Ray
    compare.py    `proctor report A --against B`
"""

from .executor import run_one, run_suite, write_report
from .spec import Spec, Suite, load_suite
from .store import DamagedStore, RunStore
from .technique import ScoreRow, Technique, all_techniques, get

__all__ = ["DamagedStore", "RunStore", "ScoreRow", "Spec", "Suite", "Technique", "all_techniques", "get", "load_suite",
           "run_one", "run_suite", "write_report"]
