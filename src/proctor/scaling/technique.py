"""Scaling fits as a technique: `[[experiment]] type = "posttrain_plan"` (the joint SFT x preference fit of a table of
runs and the budget split under it) and the CLI verbs `proctor fit chinchilla | posttrain` and `proctor plan`."""

from ..runs.technique import Technique
from .spec import PosttrainPlanSpec

TECHNIQUE = Technique(
    type="posttrain_plan", name="post-training budget planner", spec=PosttrainPlanSpec,
    run="proctor.scaling.experiment:run", check="proctor.scaling.experiment:check",
    summarize="proctor.scaling.summary:summarize", headline="proctor.scaling.summary:headline",
    scorecard="proctor.scaling.summary:scorecard", sections="proctor.scaling.report:sections",
    cli={"fit": "proctor.scaling.cli:fit_app", "plan": "proctor.scaling.cli:plan_app"},
)
