"""Scaling fits as a technique of the CLI: `proctor fit chinchilla | posttrain` and `proctor plan` (no suite type)."""

from ..runs.technique import Technique

TECHNIQUE = Technique(type=None, name="scaling fits",
                      cli={"fit": "proctor.scaling.cli:fit_app", "plan": "proctor.scaling.cli:plan_app"})
