"""The `tax_formats` suite experiment: every capability item asked of each checkpoint in every format.

One unit per checkpoint (`answers`: its 0/1 correctness per evaluation, format and item), keyed by the model and the
settings that decide which items are asked how; the paired analysis runs in the summary, over both units. The same
model named as base and aligned is one unit. LLM answers go through inspect-ai into RUN_DIR/<experiment>/logs (a
rerun reuses finished samples); encoder checkpoints take the retrieval stand-in.
"""

from __future__ import annotations

import numpy as np

from .spec import FormatsSpec

__all__ = ["ROLES", "answers_config", "check", "correctness", "run"]

ROLES = ("base", "aligned")


def check(spec: FormatsSpec) -> None:
    """The evaluations' data load (a missing PROCTOR_DATA file or a bad row fails before the run starts)."""
    from .evaluations import RetrievalEvaluation
    from .formats import load_items

    for name in spec.evals:
        if spec.encoder:
            RetrievalEvaluation(name.partition(":")[2], n=spec.limit, max_length=spec.max_length, seed=spec.seed
                                ).prepare()
        else:
            load_items(name, spec.limit, spec.shots, spec.seed)


def answers_config(spec: FormatsSpec, model: str) -> dict:
    """The unit key's config of one checkpoint's answers."""
    cfg = {"technique": "tax_formats", "model": model, "evals": list(spec.evals), "formats": list(spec.formats),
           "limit": spec.limit, "seed": spec.seed, "version": 1}
    if spec.encoder:
        return cfg | {"max_length": spec.max_length}
    cfg |= {"shots": spec.shots, "max_tokens": spec.max_tokens}
    return cfg | ({"paraphraser": spec.paraphraser} if spec.paraphraser else {})


def run(spec: FormatsSpec, store, on_unit) -> None:
    from .formats import run_encoder, run_llm

    for role in ROLES:
        model = getattr(spec, role)

        def compute(role=role, model=model):
            if spec.encoder:
                correct, logs, para = run_encoder({role: model}, spec.evals, spec), {}, None
            else:
                correct, logs, para = run_llm({role: model}, spec.evals, spec, store.subdir(spec.title, "logs"),
                                              allow_failures=spec.allow_failures)
            arrays = {f"{i}_{fmt}": correct[name][role][fmt] for i, name in enumerate(spec.evals)
                      for fmt in spec.formats}
            result = {"model": model, "evals": list(spec.evals), "formats": list(spec.formats),
                      "accuracy": {name: {f: float(np.mean(v)) for f, v in correct[name][role].items()}
                                   for name in spec.evals},
                      "items": {name: int(len(correct[name][role][spec.formats[0]])) for name in spec.evals},
                      "log": logs.get(role), "paraphrase": para}
            return result, arrays

        unit, computed = store.get_or_compute(spec.title, "answers", answers_config(spec, model), compute)
        on_unit(f"{role} {model}", unit, computed)


def correctness(store, spec: FormatsSpec) -> dict | None:
    """correct[eval][role][format] 0/1 arrays from the two units, or None while either is missing."""
    from ..runs.store import unit_key

    out: dict = {name: {} for name in spec.evals}
    for role in ROLES:
        unit = store.get(unit_key(answers_config(spec, getattr(spec, role))))
        if unit is None:
            return None
        arrays = store.arrays(unit.key)
        for i, name in enumerate(spec.evals):
            out[name][role] = {fmt: arrays[f"{i}_{fmt}"] for fmt in spec.formats}
    return out
