"""Strict parsers for a judge's reply: one verdict tag and one probability tag, or None. Never a guess.

The format every Proctor prompt asks for, and the only one accepted:

    <answer>A</answer>
    <probability>0.8</probability>

`parse_choice` returns the choice only when the reply has exactly one `<answer>` tag whose content (surrounding
white space ignored, case ignored) is one of the allowed labels. Two answer tags, an unknown label, a missing tag,
or "A or B" all give None: the sample is counted invalid. `parse_probability` accepts exactly one `<probability>`
tag holding a decimal in [0, 1] or a percentage in [0%, 100%]; anything else is None.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.IGNORECASE | re.DOTALL)
_PROB = re.compile(r"<probability>(.*?)</probability>", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)(%?)$")

#: The instruction a prompt includes so that its replies parse (kept here, beside the parser that enforces it).
ANSWER_FORMAT = ("End your reply with your final answer in exactly this form, on two lines:\n"
                 "<answer>LABEL</answer>\n<probability>P</probability>\n"
                 "where LABEL is one of {labels} and P is the probability (between 0 and 1) that your answer is "
                 "correct.")


def parse_choice(reply: str | None, labels: Sequence[str] = ("A", "B")) -> str | None:
    """The label in the reply's single `<answer>` tag, upper-cased; None when absent, repeated or not a label."""
    if not reply:
        return None
    found = _ANSWER.findall(reply)
    if len(found) != 1:
        return None
    value = found[0].strip().upper()
    allowed = {str(x).upper() for x in labels}
    return value if value in allowed else None


def parse_probability(reply: str | None) -> float | None:
    """The number in the reply's single `<probability>` tag as a probability; None when absent or out of range."""
    if not reply:
        return None
    found = _PROB.findall(reply)
    if len(found) != 1:
        return None
    text = found[0].strip()
    m = _NUMBER.match(text)
    if not m:
        return None
    value = float(text.rstrip("%"))
    if m.group(1):
        value /= 100.0
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        return None
    return value


def extract_tag(reply: str | None, tag: str) -> str | None:
    """The content of the reply's single `<tag>...</tag>` (stripped); None if absent, repeated or empty."""
    if not reply:
        return None
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", reply, flags=re.IGNORECASE | re.DOTALL)
    if len(found) != 1 or not found[0].strip():
        return None
    return found[0].strip()
