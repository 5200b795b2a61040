"""Recursive reward modeling (Leike et al. 2018) and nested scalable oversight (Engels et al. 2025).

    nested.py    the nested-oversight calculator: P_win(n), n*, the paper's published per-game fits (no model needed)
    items.py     evaluation items with ground truth: GSM8K model solutions, QuALITY passage questions, JSONL files
    assisted.py  assisted evaluation as an inspect task (roles evaluator, assistant): levels, misleading assistants
    pipeline.py  evaluate_assisted: run it and write records
    suite.py     `type = "rrm"` suite technique (calculator unit; assisted unit when models are given)
    tasks.py     `rrm_assisted` registered for `inspect eval` (imports inspect-ai)
    cli.py       `proctor rrm calculator | paper | evaluate`
"""

from .nested import EloLine, best_steps, from_gaps, nested_success, paper_table

__all__ = ["EloLine", "best_steps", "from_gaps", "nested_success", "paper_table"]
