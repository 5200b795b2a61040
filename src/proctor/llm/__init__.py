"""Shared LLM plumbing on inspect-ai for Proctor's LLM protocols (debate, consultancy, CAI, RRM, verifiers).

Every model call goes through inspect-ai (providers, retries, rate limits, response cache, logs, viewer); this
package only adds what the protocols share. Importing it is cheap: inspect-ai is imported inside the functions.

Running tasks (`proctor.llm.run`)
    generate_config(cache=True, max_retries=, timeout=, attempt_timeout=, max_connections=, **GenerateConfig)
        -> inspect GenerateConfig with the response cache on by default
    role_model(name_or_model, config=None, **model_args) -> inspect Model ("openai-api/local/NAME", "hf/PATH", ...)
    run_task(task, roles={"judge": ..., "debater_a": ...}, log_dir=, config=, max_samples=, fingerprint=, ...)
        -> TaskRun (.log / .samples / .failed / .finished / .location / .reused). Resume: with log_dir and a
        fingerprint string (hash of whatever changes the answers), finished samples of earlier logs with that
        fingerprint are reused and only the rest run; inside a run, inspect's response cache answers every call
        that finished before (set INSPECT_CACHE_DIR to choose where it lives)
    finished_samples(log_dir, fingerprint) -> ({sample id: EvalSample}, newest log)
    require_inspect()   one-line ModelError when the `llm` extra is missing
    MAX_RETRIES = 3, TIMEOUT = 600, ATTEMPT_TIMEOUT = 300   the finite defaults of every model call (the specs read
        them; inspect's own would retry forever); for openai-api/... the SDK's own retries are off
    failure_reason(samples) -> the first failed sample's error, one line (the endpoint's, not inspect's wrapper)
    check_failures(what, failed, total, reason, allow_failures=False) / check_run(task_run, what, ...)
        one-line ModelError when no sample finished, or when some failed and not allow_failures
    Model names with "mockllm/" give inspect's default mock reply without its tiktoken download (offline runs).

Parsing replies strictly (`proctor.llm.parse`): the format is `<answer>A</answer>` + `<probability>0.8</probability>`
    parse_choice(reply, labels=("A", "B")) -> "A" | "B" | None      (None = invalid, never guessed)
    parse_probability(reply) -> float in [0, 1] | None
    extract_tag(reply, tag) -> the content of the reply's single <tag>...</tag> | None
    ANSWER_FORMAT       the instruction prompts include so that replies parse

Confidence (`proctor.llm.confidence`)
    judge_confidence(output, choice, labels) -> (confidence, "logprobs" | "stated" | "none")
    confidence_from_logprobs(logprobs, choice, labels) -> float | None

Prompts (`proctor.llm.prompts`)
    PromptTemplates(package, override=folder).render(name, **vars)   Jinja2 files in <package>/prompts/*.jinja,
        rendered in Jinja2's immutable sandbox; an override folder is checked (syntax, internal names) when opened

Training-data export in TRL column names (`proctor.llm.trl`)
    preference_row(prompt, chosen, rejected, **extra) ; messages_row(messages, **extra) ; write_jsonl(rows, path)

Calibration (`proctor.llm.stats`; an accuracy's CI is `proctor.stats.bootstrap_mean` of the 0/1 outcomes)
    expected_calibration_error(confidence, correct, n_bins=10) ; reliability_bins(confidence, correct, n_bins=10)

Test doubles (`proctor.llm.mock`, `proctor.llm.scripted`, `proctor.llm.local_server`)
    scripted_model(replies_list_or_fn) -> mockllm Model answering from a script (fn gets the prompt text)
    model name "scripted/NAME" -> the offline stand-in for every Proctor protocol (inspect model API `scripted`,
        `proctor.llm.scripted`): replies in each protocol's format computed from the input; never cached
    is_scripted(*models) -> True for scripted/... and mockllm/... (results from them are labelled scripted)
    local_server.LocalChatServer(reply_fn, latency=) -> OpenAI-compatible HTTP server on 127.0.0.1 in a thread
        (`python -m proctor.llm.local_server --port 8000` for a dry run); counts requests and requests in flight
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "generate_config": "run", "role_model": "run", "run_task": "run", "TaskRun": "run", "require_inspect": "run",
    "finished_samples": "run", "failure_reason": "run", "check_failures": "run", "check_run": "run",
    "parse_choice": "parse", "parse_probability": "parse", "ANSWER_FORMAT": "parse", "extract_tag": "parse",
    "judge_confidence": "confidence", "confidence_from_logprobs": "confidence",
    "PromptTemplates": "prompts",
    "preference_row": "trl", "messages_row": "trl", "write_jsonl": "trl",
    "expected_calibration_error": "stats", "reliability_bins": "stats",
    "scripted_model": "mock", "is_scripted": "mock",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
