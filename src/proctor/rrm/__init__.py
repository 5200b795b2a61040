"""Recursive reward modeling (Leike et al. 2018) and nested scalable oversight (Engels et al. 2025).

    spec.py        RRMSpec: every setting and its default (read by `proctor rrm` and suites)
    experiment.py  run (the calculator unit; the assisted unit when models are given), evaluate_assisted
    nested.py      the nested-oversight calculator: P_win(n), n*, the paper's published per-game fits (no model needed)
    items.py       evaluation items with ground truth: GSM8K model solutions, QuALITY passage questions, JSONL files
    assisted.py    assisted evaluation as an inspect task (roles evaluator, assistant): levels, misleading assistants
    summary.py     summarize(store, spec), headline, scorecard rows
    report.py      the report section
    technique.py   the registration (`type = "rrm"`)
    tasks.py       `rrm_assisted` registered for `inspect eval` (imports inspect-ai)
    cli.py         `proctor rrm calculator | paper | evaluate`
"""

from .nested import EloLine, best_steps, from_gaps, nested_success, paper_table
from .spec import RRMSpec

__all__ = ["EloLine", "RRMSpec", "best_steps", "from_gaps", "nested_success", "paper_table"]
