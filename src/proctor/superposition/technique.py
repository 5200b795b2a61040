"""Superposition (Section 18.7.3): its registration (`type = "superposition"`, `proctor superposition`)."""

from ..runs.technique import Technique
from .spec import SuperpositionSpec

TECHNIQUE = Technique(
    type="superposition", name="superposition", spec=SuperpositionSpec,
    run="proctor.superposition.experiment:run", check="proctor.superposition.experiment:check",
    summarize="proctor.superposition.summary:summarize", headline="proctor.superposition.summary:headline",
    sections="proctor.superposition.report:sections",
    cli={"superposition": "proctor.superposition.cli:superposition_app"},
)
