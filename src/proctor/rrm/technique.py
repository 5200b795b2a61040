"""Recursive reward modeling: its registration (`type = "rrm"`, `proctor rrm`)."""

from ..runs.technique import Technique
from .spec import RRMSpec

TECHNIQUE = Technique(
    type="rrm", name="recursive reward modeling", spec=RRMSpec,
    run="proctor.rrm.experiment:run", check="proctor.rrm.experiment:check",
    summarize="proctor.rrm.summary:summarize", headline="proctor.rrm.summary:headline",
    scorecard="proctor.rrm.summary:scorecard", sections="proctor.rrm.report:sections",
    cli={"rrm": "proctor.rrm.cli:rrm_app"},
)
