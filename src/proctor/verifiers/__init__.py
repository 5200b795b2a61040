"""Process vs outcome supervision (Lightman et al. 2023): PRMs, ORMs, best-of-N, error location, hackability.

    steps.py         Solution (TRL prompt/completions/labels); PRM800K, GSM8K, GSM8K model-solution loaders
    arith.py         generated arithmetic chains with exact step labels; policies of given strength
    perturb.py       verifiable errors injected into GSM8K reference solutions
    shepherd.py      LLM candidates and Math-Shepherd automatic process labels (inspect-ai)
    models.py        ProcessRewardModel / OutcomeRewardModel: heads on a text encoder (or full fine-tuning)
    aggregate.py     step scores -> solution score: min, product, last
    bon.py           best-of-N curves with bootstrap CIs; majority vote
    processbench.py  earliest-wrong-step identification (ProcessBench F1)
    hack.py          hackability: right-answer-wrong-reasoning solutions accepted
    experiment.py    the experiment end to end; summary.py / suite.py / report.py / cli.py: runs, report, CLI
"""

from .aggregate import AGGREGATIONS, aggregate
from .steps import Solution, load_gsm8k, load_gsm8k_model_solutions, load_prm800k, load_solutions

__all__ = ["AGGREGATIONS", "Solution", "aggregate", "load_gsm8k", "load_gsm8k_model_solutions", "load_prm800k",
           "load_solutions"]
