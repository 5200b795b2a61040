"""Weak-to-strong generalization (Burns et al. 2023): its registration (`type = "w2s"`, `proctor w2s`)."""

from ..runs.technique import Technique
from .spec import W2SSpec, bind

TECHNIQUE = Technique(
    type="w2s", name="weak-to-strong", spec=W2SSpec, bind=bind,
    run="proctor.w2s.experiment:run", run_shard="proctor.w2s.experiment:run_shard",
    shards="proctor.w2s.experiment:shards", check="proctor.w2s.experiment:check",
    summarize="proctor.w2s.summary:summarize", headline="proctor.w2s.summary:headline",
    scorecard="proctor.w2s.summary:scorecard", sections="proctor.w2s.report:sections",
    cli={"w2s": "proctor.w2s.cli:w2s"},
)
