"""Weak-to-strong generalization (Burns et al. 2023): weak supervisor -> strong student -> PGR with CIs.

    spec.py        W2SSpec / ModelSpec: every setting and its default (read by `proctor w2s` and suites)
    experiment.py  W2SExperiment: weak on half A, ceiling and students on half B, chains; run / run_shard
    pgr.py         PGR, its bootstrap CIs, summaries over seeds
    summary.py     summarize(store, spec), headline, scorecard rows
    report.py      the report section
    technique.py   the registration (`type = "w2s"`)
    cli.py         `proctor w2s`

The heads, the fine-tuner, the training loop and the losses are shared with other techniques: `proctor.models`.
"""

from .pgr import PGREstimate, pgr
from .spec import ModelSpec, W2SSpec, load_w2s_spec

__all__ = ["ModelSpec", "PGREstimate", "W2SSpec", "load_w2s_spec", "pgr"]
