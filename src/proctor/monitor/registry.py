"""The metric registry: named per-response metrics that users can extend.

A metric is a pure function of one parsed response (`Doc`: the text, its lower-cased form, its word tokens and the
prompt when known) returning a float; NaN means "not applicable" (e.g. a prompt-dependent metric without a prompt) and
is skipped by every detector. Built-in metrics live in `proctor.monitor.metrics`; add your own with

    from proctor.monitor import register_metric

    @register_metric("exclamations", kind="continuous")
    def exclamations(doc):
        return doc.text.count("!") / max(len(doc.words), 1) * 100

`kind` picks the two-sample test of a window test: "continuous" metrics get KS / PSI / Wasserstein, "binary" ones (0/1
flags such as refusal) a chi-squared test on counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from proctor.errors import ConfigError

__all__ = ["Doc", "MetricSpec", "compute_metrics", "get_metric", "make_doc", "metric_names", "register_metric"]

Kind = Literal["continuous", "binary"]

# Word tokens: runs of word characters with inner apostrophes ("don't"). Not a model tokenizer: BPE tokenizers give
# about 1.3 tokens per word on English prose; register a tokenizer-based metric where exact counts matter.
_WORD = re.compile(r"\w+(?:'\w+)*")


@dataclass(frozen=True, slots=True)
class Doc:
    """One response, parsed once and shared by every metric (tokenizing once is most of the speed).

    `lower` is lower-cased with typographic apostrophes made plain ("it’s" -> "it's"), so lexicons need one spelling.
    """

    text: str
    lower: str
    words: list[str]
    prompt: str | None = None


def make_doc(text: str, prompt: str | None = None) -> Doc:
    lower = text.lower().replace("’", "'")
    return Doc(text, lower, _WORD.findall(lower), prompt)


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: its function, its kind and whether it needs the prompt (NaN without one)."""

    name: str
    fn: Callable[[Doc], float]
    kind: Kind = "continuous"
    needs_prompt: bool = False
    description: str = ""


_REGISTRY: dict[str, MetricSpec] = {}


def register_metric(name: str, *, kind: Kind = "continuous", needs_prompt: bool = False,
                    replace: bool = False) -> Callable[[Callable[[Doc], float]], Callable[[Doc], float]]:
    """Decorator: register `fn(doc) -> float` under `name`. Registering a taken name needs `replace=True`."""
    if kind not in ("continuous", "binary"):
        raise ConfigError(f"metric {name!r}: kind must be 'continuous' or 'binary', got {kind!r}")

    def deco(fn: Callable[[Doc], float]) -> Callable[[Doc], float]:
        if name in _REGISTRY and not replace and _REGISTRY[name].fn is not fn:
            raise ConfigError(f"metric {name!r} is already registered (pass replace=True to override it)")
        doc = (fn.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = MetricSpec(name, fn, kind, needs_prompt, doc[0] if doc else "")
        return fn

    return deco


def _builtins() -> dict[str, MetricSpec]:
    from . import metrics  # noqa: F401  (registers the built-in metrics on first use)

    return _REGISTRY


def metric_names() -> list[str]:
    """Names of every registered metric, built-ins first in their declared order."""
    return list(_builtins())


def get_metric(name: str) -> MetricSpec:
    reg = _builtins()
    if name not in reg:
        raise ConfigError(f"unknown metric {name!r}; known metrics: {', '.join(reg)}")
    return reg[name]


def resolve(names: Iterable[str] | None) -> list[MetricSpec]:
    """Metric specs by name (all registered metrics when `names` is None), in the given order, without repeats."""
    if names is None:
        return list(_builtins().values())
    out: list[MetricSpec] = []
    for n in names:
        spec = get_metric(n.strip())
        if spec not in out:
            out.append(spec)
    if not out:
        raise ConfigError("no metric selected")
    return out


def metric_row(specs: Sequence[MetricSpec], text: str, prompt: str | None = None) -> list[float]:
    """Every metric of one response (prompt-dependent metrics are NaN without a prompt)."""
    doc = make_doc(text, prompt)
    return [math.nan if (s.needs_prompt and not prompt) else float(s.fn(doc)) for s in specs]


def compute_metrics(texts: Sequence[str], prompts: Sequence[str | None] | None = None,
                    names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Metric name -> float64 array over `texts` (prompts align with texts when given)."""
    specs = resolve(names)
    if prompts is not None and len(prompts) != len(texts):
        raise ConfigError(f"{len(prompts)} prompts for {len(texts)} texts")
    ps = prompts if prompts is not None else [None] * len(texts)
    rows = np.array([metric_row(specs, t, p) for t, p in zip(texts, ps)], dtype=np.float64).reshape(len(texts),
                                                                                                     len(specs))
    return {s.name: rows[:, j].copy() for j, s in enumerate(specs)}
