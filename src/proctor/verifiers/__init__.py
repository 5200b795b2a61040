"""Process vs outcome supervision (Lightman et al. 2023): PRMs, ORMs, best-of-N, error location, hackability.

    spec.py          VerifiersSpec / GeneratorSpec: every setting and its default (read by `proctor verify` and suites)
    experiment.py    the data settings (arith, gsm8k, files), run_experiment (one seed), run / run_shard (the runner)
    steps.py         Solution (TRL prompt/completions/labels); PRM800K, GSM8K, GSM8K model-solution loaders
    arith.py         generated arithmetic chains with exact step labels; policies of given strength
    perturb.py       verifiable errors injected into GSM8K reference solutions
    shepherd.py      LLM candidates and Math-Shepherd automatic process labels (inspect-ai)
    models.py        ProcessRewardModel / OutcomeRewardModel: heads on a text encoder (or full fine-tuning)
    aggregate.py     step scores -> solution score: min, product, last
    bon.py           best-of-N curves with bootstrap CIs; majority vote
    processbench.py  earliest-wrong-step identification (ProcessBench F1)
    hack.py          hackability: right-answer-wrong-reasoning solutions accepted
    summary.py       summarize(store, spec) (seeds pooled), headline, scorecard
    report.py        the report section (best-of-N figure and tables)
    technique.py     the registration (`type = "verifiers"`)
    cli.py           `proctor verify train | bon | eval`

The heads, the fine-tuner and the training loop are shared with other techniques: `proctor.models`.
"""

from .aggregate import AGGREGATIONS, aggregate
from .spec import GeneratorSpec, VerifiersSpec
from .steps import Solution, load_gsm8k, load_gsm8k_model_solutions, load_prm800k, load_solutions

__all__ = ["AGGREGATIONS", "GeneratorSpec", "Solution", "VerifiersSpec", "aggregate", "load_gsm8k",
           "load_gsm8k_model_solutions", "load_prm800k", "load_solutions"]
