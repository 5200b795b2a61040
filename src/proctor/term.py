"""Terminal output shared by every CLI verb: the two consoles, untrusted text made safe, numbers and CIs formatted.

stdout (`out`) carries results and the `--json` line; stderr (`err`) carries progress, warnings and errors. Text that
a data set or a model wrote goes through `safe()` before it reaches either.
"""

from __future__ import annotations

import math
import re

from rich.console import Console
from rich.markup import escape

__all__ = ["err", "fmt_ci", "fmt_num", "fmt_pct", "out", "safe"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# C0/C1 controls (newline and tab kept out of the range, flattened below), zero-width and bidi overrides: a
# model's reply must not move the cursor, recolour the terminal or reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

SAFE_LIMIT = 200
"""Characters of untrusted text shown on one terminal line."""


def safe(text: object, limit: int = SAFE_LIMIT) -> str:
    """Data- or model-written text for the terminal: control and bidi characters dropped, newlines and tabs
    flattened to spaces, cut to `limit` characters ("..." marks a cut), rich markup escaped."""
    s = _CONTROL.sub("", str(text)).replace("\n", " ").replace("\t", " ")
    return escape(s if len(s) <= limit else s[:limit] + "...")


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_num(x, digits: int = 3, *, signed: bool = False) -> str:
    """A number with `digits` decimals ("+" shown with `signed`); "undefined" for None, NaN or infinity."""
    if not _finite(x):
        return "undefined"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def fmt_pct(x, digits: int = 1) -> str:
    """A fraction as a percentage ("87.4%"); "undefined" where there is no number."""
    return "undefined" if not _finite(x) else f"{100 * x:.{digits}f}%"


def fmt_ci(ci, digits: int = 3, *, scale: float = 1.0) -> str:
    """An interval (a pair, or a dict with lo/hi) as "[lo, hi]", each bound times `scale`; "—" where undefined."""
    if isinstance(ci, dict):
        ci = (ci.get("lo"), ci.get("hi"))
    if not ci or len(ci) != 2 or not all(_finite(v) for v in ci):
        return "—"
    return f"[{scale * ci[0]:.{digits}f}, {scale * ci[1]:.{digits}f}]"
