"""Pixel debate on MNIST (Irving, Christiano & Amodei 2018, Table 2): its registration (`type = "pixel_debate"`;
the verb `proctor debate pixels` is mounted by the LLM debate's CLI)."""

from ...runs.technique import Technique
from .spec import PixelDebateSpec

TECHNIQUE = Technique(
    type="pixel_debate", name="pixel debate", spec=PixelDebateSpec,
    run="proctor.debate.pixels.experiment:run", check="proctor.debate.pixels.experiment:check",
    summarize="proctor.debate.pixels.summary:summarize", headline="proctor.debate.pixels.summary:headline",
    scorecard="proctor.debate.pixels.summary:scorecard", sections="proctor.debate.pixels.report:sections",
)
