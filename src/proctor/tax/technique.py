"""The alignment tax as a technique of the CLI: `proctor tax frontier | interpolate` (no suite type)."""

from ..runs.technique import Technique

TECHNIQUE = Technique(type=None, name="alignment tax", cli={"tax": "proctor.tax.cli:tax_app"})
