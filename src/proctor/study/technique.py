"""Human oversight studies: their registration (`type = "study"`, `proctor study`; one unit is a snapshot of a
study's judgments)."""

from ..runs.technique import Technique
from .spec import StudySpec

TECHNIQUE = Technique(
    type="study", name="human study", spec=StudySpec,
    run="proctor.study.experiment:run", check="proctor.study.experiment:check",
    summarize="proctor.study.summary:summarize", headline="proctor.study.summary:headline",
    scorecard="proctor.study.summary:scorecard", sections="proctor.study.report:sections",
    cli={"study": "proctor.study.cli:study_app"},
)
