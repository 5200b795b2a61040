"""Sparse-autoencoder monitors (textbook 18.7.3): their registration (`type = "sae"`, `proctor sae`)."""

from ..runs.technique import Technique
from .spec import SAESpec, bind

TECHNIQUE = Technique(
    type="sae", name="SAE monitor", spec=SAESpec, bind=bind,
    run="proctor.sae.experiment:run", check="proctor.sae.experiment:check",
    summarize="proctor.sae.summary:summarize", headline="proctor.sae.summary:headline",
    scorecard="proctor.sae.summary:scorecard", sections="proctor.sae.report:sections",
    cli={"sae": "proctor.sae.cli:sae_app"},
)
