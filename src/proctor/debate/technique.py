"""LLM debate and its baselines: its registration (`type = "debate"`, `proctor debate`; one unit is one judged
sample of one protocol)."""

from ..runs.technique import Technique
from .spec import DebateSpec, bind

TECHNIQUE = Technique(
    type="debate", name="LLM debate", spec=DebateSpec, bind=bind,
    run="proctor.debate.experiment:run", check="proctor.debate.experiment:check",
    summarize="proctor.debate.summary:summarize", headline="proctor.debate.summary:headline",
    scorecard="proctor.debate.summary:scorecard", sections="proctor.debate.report:sections",
    cli={"debate": "proctor.debate.cli:debate_app"},
)
