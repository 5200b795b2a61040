"""A judge's confidence in its verdict: from token log-probabilities when the provider returns them, else stated.

With log-probabilities (OpenAI-compatible servers, vLLM, hf/ with `logprobs=True`), the confidence is read at the
token that carries the verdict label inside `<answer>...</answer>`: the probability mass of the chosen label
renormalised over the allowed labels among that position's top alternatives,

    conf = p(chosen) / sum_{l in labels} p(l),

which is the judge's own belief between the answers rather than a number it writes down. When only the sampled
token's log-probability is present (no alternatives), conf = p(chosen). Without log-probabilities, the stated
`<probability>` is used. `judge_confidence` says which source it used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .parse import parse_probability


def _norm(token: str) -> str:
    return token.strip().upper()


def confidence_from_logprobs(logprobs, choice: str, labels: Sequence[str] = ("A", "B")) -> float | None:
    """Confidence in `choice` from an inspect `Logprobs` (or a list of its `Logprob` items); None if not found.

    The verdict token is the first token after the text "<answer>" whose stripped text is a label.
    """
    items = getattr(logprobs, "content", logprobs) or []
    allowed = {_norm(x) for x in labels}
    text = ""
    for item in items:
        token = item.token
        if "<answer>" in text.lower()[-40:] and _norm(token) in allowed:
            if _norm(token) != _norm(choice):
                return None  # the tokens disagree with the parsed verdict: do not invent a confidence
            mass = {}
            for alt in (item.top_logprobs or []):
                if _norm(alt.token) in allowed:
                    mass[_norm(alt.token)] = mass.get(_norm(alt.token), 0.0) + math.exp(alt.logprob)
            mass.setdefault(_norm(token), math.exp(item.logprob))
            total = sum(mass.values())
            if len(mass) == 1:
                return math.exp(item.logprob)
            return mass[_norm(token)] / total if total > 0 else None
        text += token
    return None


def judge_confidence(output, choice: str | None, labels: Sequence[str] = ("A", "B")) -> tuple[float | None, str]:
    """(confidence, source) for a judge's `ModelOutput`: source is "logprobs", "stated" or "none"."""
    if choice is None:
        return None, "none"
    choices = getattr(output, "choices", None) or []
    lp = choices[0].logprobs if choices else None
    if lp is not None:
        conf = confidence_from_logprobs(lp, choice, labels)
        if conf is not None:
            return conf, "logprobs"
    stated = parse_probability(getattr(output, "completion", None))
    return (stated, "stated") if stated is not None else (None, "none")
