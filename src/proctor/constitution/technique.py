"""Constitutional AI (Bai et al. 2022): its registration (`type = "cai"`, `proctor cai`)."""

from ..runs.technique import Technique
from .spec import CAISpec

TECHNIQUE = Technique(
    type="cai", name="constitutional AI", spec=CAISpec,
    run="proctor.constitution.experiment:run", check="proctor.constitution.experiment:check",
    summarize="proctor.constitution.summary:summarize", headline="proctor.constitution.summary:headline",
    scorecard="proctor.constitution.summary:scorecard", sections="proctor.constitution.report:sections",
    cli={"cai": "proctor.constitution.cli:cai_app"},
)
