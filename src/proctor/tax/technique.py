"""The alignment tax as a technique: `[[experiment]] type = "tax_formats"` (the tax per evaluation format) and the
CLI verbs `proctor tax frontier | interpolate | formats`."""

from ..runs.technique import Technique
from .spec import FormatsSpec

TECHNIQUE = Technique(
    type="tax_formats", name="alignment tax by format", spec=FormatsSpec,
    run="proctor.tax.experiment:run", check="proctor.tax.experiment:check",
    summarize="proctor.tax.summary:summarize", headline="proctor.tax.summary:headline",
    scorecard="proctor.tax.summary:scorecard", sections="proctor.tax.report:sections",
    cli={"tax": "proctor.tax.cli:tax_app"},
)
