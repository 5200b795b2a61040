"""Running a protocol and reading its judged samples back from the inspect log as plain records.

A record is a JSON-able dict per sample (what the run store keeps and the report, metrics and TRL export read):
id, index, protocol, question, answers, correct_label, choice (None = invalid verdict), correct (None when invalid),
confidence, confidence_source, assigned (consultancy: "right" / "wrong"), consultant_label, turns (speaker, side,
phase, text, quotes with verified flags), judge_reply, failed (the sample raised, e.g. an endpoint that kept timing
out; such samples have no verdict and are retried on the next run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .data import DebateItem
from .protocols import ProtocolConfig, protocol_task


def sample_record(sample) -> dict:
    """One inspect EvalSample as a record."""
    md = dict(sample.metadata or {})
    score = (sample.scores or {}).get("judge_verdict")
    smd = dict(score.metadata or {}) if score is not None else {}
    choice = score.answer if score is not None else None
    rec = {
        "id": str(sample.id), "index": md.get("index"), "protocol": md.get("protocol"),
        "question": md.get("question", ""), "answers": md.get("answers", []),
        "correct_label": md.get("correct_label"), "choice": choice,
        "correct": None if choice is None else choice == md.get("correct_label"),
        "confidence": smd.get("confidence"), "confidence_source": smd.get("confidence_source", "none"),
        "assigned": md.get("assigned"), "consultant_label": md.get("consultant_label"),
        "turns": smd.get("turns", []), "judge_reply": smd.get("judge_reply", ""),
        "failed": sample.error is not None,
        "error": sample.error.message.splitlines()[0][:300] if sample.error is not None else None,
    }
    return rec


_RUNTIME_KNOBS = {"max_connections", "adaptive_connections", "max_retries", "timeout", "attempt_timeout",
                  "stream_idle_timeout", "cache", "batch"}


def _model_name(m) -> str:
    if isinstance(m, str):
        return m
    api = getattr(m, "api", None)
    return f"{type(api).__name__}:{getattr(m, 'name', m)}@{getattr(api, 'base_url', None) or ''}"


def fingerprint(items: Sequence[DebateItem], cfg: ProtocolConfig, roles: Mapping[str, Any], config=None,
                indices=None) -> str:
    """A hash of everything that changes a protocol's answers: items and their positions, protocol settings,
    prompt texts (packaged or overridden), role models and the answer-changing generation settings."""
    import dataclasses
    import hashlib
    import json

    from ..llm.prompts import PromptTemplates

    templates = PromptTemplates("proctor.debate", cfg.prompts)
    payload = {
        "items": [it.as_dict() for it in items], "indices": list(indices) if indices is not None else None,
        "cfg": {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("cache", "prompts")},
        "prompts": {n: templates.source(n)[0] for n in templates.names()},
        "roles": {r: _model_name(m) for r, m in sorted(roles.items())},
        "config": config.model_dump(exclude=_RUNTIME_KNOBS, exclude_none=True) if config is not None else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def run_protocol(items: Sequence[DebateItem], cfg: ProtocolConfig, roles: Mapping[str, Any], *,
                 log_dir: str | None = None, config=None, indices=None, reuse: bool = True,
                 **run_kwargs) -> tuple[list[dict], Any]:
    """Run `cfg.protocol` on `items` with `roles` bound; return (records in item order, TaskRun).

    `indices`: the items' positions in the full data set (see `protocols.debate_samples`). With `log_dir` and
    `reuse`, samples finished by an earlier run of the same fingerprint in `log_dir` are read from its log, not
    run again (`run.reused` counts them)."""
    from ..llm.run import run_task

    fp = fingerprint(items, cfg, roles, config, indices) if (reuse and log_dir is not None) else None
    run = run_task(protocol_task(items, cfg, indices=indices), roles, log_dir=log_dir, config=config,
                   fingerprint=fp, **run_kwargs)
    recs = sorted((sample_record(s) for s in run.samples), key=lambda r: (r["index"] is None, r["index"]))
    return recs, run
