"""Process vs outcome supervision (Lightman et al. 2023): its registration (`type = "verifiers"`, `proctor verify`)."""

from ..runs.technique import Technique
from .spec import VerifiersSpec, bind

TECHNIQUE = Technique(
    type="verifiers", name="process vs outcome supervision", spec=VerifiersSpec, bind=bind,
    run="proctor.verifiers.experiment:run", run_shard="proctor.verifiers.experiment:run_shard",
    shards="proctor.verifiers.experiment:shards", check="proctor.verifiers.experiment:check",
    summarize="proctor.verifiers.summary:summarize", headline="proctor.verifiers.summary:headline",
    scorecard="proctor.verifiers.summary:scorecard", sections="proctor.verifiers.report:sections",
    cli={"verify": "proctor.verifiers.cli:verify_app"},
)
