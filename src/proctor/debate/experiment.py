"""The LLM-debate experiment as resumable units in a run store: one unit is one judged sample of one protocol.

Samples already in the run store are skipped; the others run through inspect (response cache on by default), so a
killed run resumes at the sample level, and a sample whose model calls failed is not stored and runs again next
time. inspect's logs go to RUN_DIR/inspect-logs (`inspect view --log-dir RUN_DIR/inspect-logs`).

Failures: model calls give up after the spec's `max_retries` / `timeout` / `attempt_timeout` (finite by default).
When every sample of a protocol failed (a dead endpoint) the run stops with the endpoint's error; when some failed,
the finished ones are stored and the run ends with an error counting the failures, unless `allow_failures`.

    roles_for(protocol, debater, debater_b, judge) -> {role: model name}
    role_models(spec) -> {model name: inspect Model}, each built once (a bad name fails here)
    run(spec, store, on_unit) / check(spec)           the technique's runner (`proctor run`, `proctor debate`)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .spec import DebateSpec

LOGS = "inspect-logs"
"""The folder of the run directory that holds inspect's logs."""

_models: dict[tuple, Any] = {}
"""(model name, generation knobs) -> inspect Model, for the spec last prepared; `run` empties it when it ends."""


def roles_for(protocol: str, debater: str | None, debater_b: str | None, judge: str | None) -> dict:
    """The role bindings a protocol needs, or a ConfigError naming the missing option."""
    if not judge:
        raise ConfigError("--judge MODEL is required")
    roles = {"judge": judge}
    if protocol in ("debate", "consultancy"):
        if not debater:
            raise ConfigError(f"--protocol {protocol} needs --debater MODEL")
        if protocol == "debate":
            roles.update(debater_a=debater, debater_b=debater_b or debater)
        else:
            roles["consultant"] = debater
    return roles


def spec_roles(spec: DebateSpec) -> dict[str, dict]:
    """{protocol: its role bindings} for every protocol of the spec."""
    return {p: roles_for(p, spec.debater, spec.debater_b, spec.judge) for p in spec.protocols}


def generate_config(spec: DebateSpec):
    """The inspect GenerateConfig of every model call of the spec."""
    from ..llm.run import generate_config

    return generate_config(cache=spec.cache, max_connections=spec.max_connections, max_retries=spec.max_retries,
                           timeout=spec.timeout, attempt_timeout=spec.attempt_timeout)


def role_models(spec: DebateSpec) -> dict[str, Any]:
    """{model name: inspect Model} for every model the spec's protocols bind, each built once (a local model is
    loaded once for all protocols). An unknown provider or a missing key is a one-line ModelError. The models are
    kept until `run` of this spec ends, so a verb that builds them first (to fail before the run directory is
    touched) does not build them twice."""
    from ..llm.run import role_model

    knobs = (spec.cache, spec.max_connections, spec.max_retries, spec.timeout, spec.attempt_timeout)
    names = sorted({name for roles in spec_roles(spec).values() for name in roles.values()})
    missing = [n for n in names if (n, knobs) not in _models]
    if missing:
        config = generate_config(spec)
        built = {n: role_model(n, config) for n in missing}
        kept = {key: m for key, m in _models.items() if key[1] == knobs and key[0] in names}
        _models.clear()
        _models.update(kept | {(n, knobs): m for n, m in built.items()})
    return {n: _models[(n, knobs)] for n in names}


def unit_config(spec: DebateSpec, protocol: str, item, index: int, roles: dict) -> dict:
    return {"protocol": protocol, "item": item.id, "index": index, "question": item.question,
            "answers": [item.correct, item.distractor], "roles": roles, "rounds": spec.rounds,
            "sequential": spec.sequential, "swap": spec.swap, "word_limit": spec.word_limit,
            "logprobs": spec.logprobs, "prompts": spec.prompts}


def plan(spec: DebateSpec):
    """(items, {protocol: roles}); a missing model is named before the data is read."""
    from ..llm.prompts import PromptTemplates
    from .data import load_items

    roles = spec_roles(spec)
    PromptTemplates("proctor.debate", spec.prompts)  # an override folder is checked (syntax, sandbox) here
    return load_items(spec.dataset, split=spec.split, limit=spec.limit, columns=spec.columns()), roles


def check(spec: DebateSpec) -> None:
    """Roles, prompt templates and data before the run directory is touched (models are built when the first sample
    runs)."""
    plan(spec)


def run(spec: DebateSpec, store, on_unit) -> None:
    """Every judged sample of every protocol not yet in the store."""
    from ..llm.run import check_failures, failure_reason
    from ..runs.store import unit_key
    from .judged import run_protocol
    from .protocols import ProtocolConfig

    items, roles = plan(spec)
    failed, reason = 0, ""
    try:
        for p in spec.protocols:
            configs = [unit_config(spec, p, it, i, roles[p]) for i, it in enumerate(items)]
            found = [store.get(unit_key(c)) for c in configs]
            todo = [(i, it) for i, it in enumerate(items) if found[i] is None]
            for i, unit in enumerate(found):
                if unit is not None:
                    on_unit(f"{p} sample {i}", unit, False)
            if not todo:
                continue
            cfg = ProtocolConfig(p, rounds=spec.rounds, sequential=spec.sequential, word_limit=spec.word_limit,
                                 swap=spec.swap, logprobs=spec.logprobs, prompts=spec.prompts)
            models = role_models(spec)
            recs, task_run = run_protocol([it for _, it in todo], cfg, {r: models[n] for r, n in roles[p].items()},
                                          indices=[i for i, _ in todo], log_dir=str(store.subdir(LOGS)),
                                          config=generate_config(spec))
            by_index = {r["index"]: r for r in recs}
            for i, _ in todo:
                rec = by_index.get(i)
                if rec is None or rec["failed"]:
                    continue  # not stored: the next run tries this sample again
                unit, computed = store.get_or_compute(spec.title, "judged", configs[i], lambda rec=rec: (rec, {}))
                on_unit(f"{p} sample {i}", unit, computed)
            # a protocol of which no sample ever finished (a dead endpoint) stops the run with the endpoint's error
            check_failures(f"{spec.title} ({p})", task_run.failed, len(items), failure_reason(task_run.samples),
                           allow_failures=True)
            failed += task_run.failed
            reason = reason or failure_reason(task_run.samples)
        note = check_failures(spec.title, failed, len(items) * len(spec.protocols), reason,
                              allow_failures=spec.allow_failures)
        if note:
            from ..term import err, safe

            err.print(f"[yellow]warning:[/] {safe(note, 1000)}")
    finally:
        _models.clear()


def newest_log(run_dir: Path) -> str | None:
    """The newest inspect log of a run directory (None before any sample ran)."""
    logs = sorted((run_dir / LOGS).glob("*.eval"), key=lambda p: p.stat().st_mtime)
    return str(logs[-1]) if logs else None
