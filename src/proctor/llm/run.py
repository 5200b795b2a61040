"""Run an inspect-ai Task with model roles: cache on, retries and timeouts passed through, failures counted.

Proctor writes no HTTP client, retry loop or response cache of its own (DESIGN.md): every model call goes through
inspect-ai. `role_model` builds one `Model` with a `GenerateConfig` holding the knobs of a call (retries, timeouts,
connection limit, response cache); `run_task` runs a Task with such models bound to roles (`get_model(role=...)`
inside solvers) into a log directory and returns the log with its failed samples counted instead of raised.

Resume, two layers. (1) Log reuse: given a `log_dir` and a `fingerprint` (a string naming everything that
changes the answers: task inputs, models, prompts, generation settings), `run_task` reads the earlier logs in
`log_dir` with the same fingerprint, keeps their finished samples and runs only the others (inspect's `sample_id`
filter), the way `inspect eval-retry` does. A rerun of a finished command thus costs a log read. (2) The response
cache, on by default: every finished model call is stored under `INSPECT_CACHE_DIR` (or inspect's default cache
folder), keyed by model, messages and the answer-changing part of the config (inspect drops retries, timeouts and
connection limits from the key). A sample that failed half-way re-sends only the calls that never finished.

    from proctor.llm import run_task
    result = run_task(my_task(), {"judge": "openai-api/local/qwen", "debater_a": "hf/path/to/model"},
                      log_dir="logs", max_retries=3, timeout=60, max_connections=16)
    result.failed, result.samples, result.location
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, ModelError

#: How long cached replies stay valid by default (inspect's expiry syntax; None = forever).
CACHE_EXPIRY = "4W"

#: Proctor's defaults for every model call of its LLM techniques (their specs read these). inspect's own defaults
#: retry forever, so a dead endpoint would hang a run; with these a call gives up after at most MAX_RETRIES retries
#: or TIMEOUT seconds (retries and inspect's exponential back-off included), and one attempt after ATTEMPT_TIMEOUT.
MAX_RETRIES = 3
TIMEOUT = 600
ATTEMPT_TIMEOUT = 300


def require_inspect() -> None:
    """Raise a one-line ModelError when inspect-ai is not installed (extra `llm`)."""
    try:
        import inspect_ai  # noqa: F401
    except ImportError:  # pragma: no cover
        raise ModelError("LLM protocols need inspect-ai: pip install 'proctor[llm]'") from None


def generate_config(*, cache: bool = True, max_retries: int | None = None, timeout: int | None = None,
                    attempt_timeout: int | None = None, max_connections: int | None = None,
                    **kwargs: Any):
    """An inspect `GenerateConfig` with Proctor's defaults: response cache on (`CachePolicy(expiry=CACHE_EXPIRY)`).

    `timeout` bounds a call including its retries, `attempt_timeout` one attempt (seconds); `max_retries` is the
    number of retries after a retryable failure (HTTP 429 / 5xx, connection errors, timeouts); `max_connections`
    the concurrent requests to one model. Other keyword arguments (temperature, max_tokens, logprobs, ...) are
    GenerateConfig fields.
    """
    require_inspect()
    from inspect_ai.model import CachePolicy, GenerateConfig

    return GenerateConfig(cache=CachePolicy(expiry=CACHE_EXPIRY) if cache else False, max_retries=max_retries,
                          timeout=timeout, attempt_timeout=attempt_timeout, max_connections=max_connections,
                          **kwargs)


def role_model(model, config=None, base_url: str | None = None, **model_args: Any):
    """An inspect `Model` from a name ("openai-api/local/NAME", "hf/PATH", "vllm/...", "mockllm/model") or a
    `Model` (returned as is). `config` is a GenerateConfig (see `generate_config`). Unknown providers, missing
    packages or missing API keys become a one-line ModelError."""
    require_inspect()
    from inspect_ai.model import Model, get_model

    if isinstance(model, Model):
        return model
    if not isinstance(model, str) or "/" not in model:
        raise ConfigError(f"model {model!r}: expected PROVIDER/NAME, e.g. openai-api/local/qwen or hf/PATH")
    if model.startswith("mockllm/") and not model_args:
        # inspect's mockllm counts tokens with tiktoken, whose vocabulary is downloaded on first use; the scripted
        # double gives the same default reply with its usage filled in, so offline smoke runs work
        from inspect_ai.model._providers.mockllm import MockLLM

        from .mock import scripted_model

        return scripted_model(lambda prompt: MockLLM.default_output, name=model.split("/", 1)[1],
                              config=config if config is not None else generate_config())
    if model.startswith("scripted/"):
        from . import scripted  # noqa: F401 (importing registers the `scripted` model API with inspect)

        # replies cost nothing and follow the installed script: never answer them from an older script's cache
        config = (config if config is not None else generate_config()).model_copy(update={"cache": False})
    if model.startswith("openai-api/"):
        # the OpenAI SDK under this provider retries a failed request itself (twice, by default) inside each of
        # inspect's attempts; turned off, inspect's max_retries / timeout / attempt_timeout are the only retry loop
        model_args.setdefault("max_retries", 0)
    try:
        return get_model(model, config=config if config is not None else generate_config(), base_url=base_url,
                         memoize=False, **model_args)
    except Exception as e:  # inspect raises PrerequisiteError / ValueError / provider errors for a bad name or key
        raise ModelError(f"model {model}: {_one_line(_plain(e))}") from None


@dataclass
class TaskRun:
    """What `run_task` returns: the inspect log and the counts a report needs."""

    log: Any
    """The inspect `EvalLog` (samples, scores, transcripts, events)."""
    samples: list = field(default_factory=list)
    """Every `EvalSample` of the run, failed ones included (their `error` is set)."""
    failed: int = 0
    """Samples that raised (a model call that kept failing after its retries, a timeout); never guessed."""
    location: str = ""
    """Path of the `.eval` log file written by this run, or of the newest reused one when nothing had to run."""
    reused: int = 0
    """Finished samples taken from earlier logs of the same fingerprint instead of being run again."""

    @property
    def finished(self) -> list:
        """The samples that ran to the end (with or without a parsable verdict)."""
        return [s for s in self.samples if s.error is None]


def run_task(task, roles: Mapping[str, Any], *, model=None, log_dir: str | os.PathLike | None = None,
             config=None, max_samples: int | None = None, retry_on_error: int | None = None,
             fail_on_error: bool | float = False, display: str = "none", fingerprint: str | None = None,
             **eval_kwargs: Any) -> TaskRun:
    """Run an inspect `Task` with `roles` (role -> model name or Model) into `log_dir`; return a `TaskRun`.

    Model names in `roles` are built with `config` (default `generate_config()`: cache on). A sample whose model
    call keeps failing is recorded as failed (`fail_on_error=False`) rather than ending the run; `retry_on_error`
    re-runs such samples that many times within this run. `model` is the task's default model (default: the first
    role's model). With `log_dir` and `fingerprint`, finished samples of earlier runs with that fingerprint are
    reused from their logs (see the module docstring). Extra keyword arguments go to `inspect_ai.eval`.
    """
    require_inspect()
    from inspect_ai import eval as inspect_eval

    if not roles and model is None:
        raise ConfigError("no model given: bind at least one role (e.g. judge=PROVIDER/NAME)")
    config = config if config is not None else generate_config()
    built = {role: role_model(m, config) for role, m in roles.items()}
    default = role_model(model, config) if model is not None else next(iter(built.values()))
    kw: dict[str, Any] = {"display": display, "log_realtime": False, "fail_on_error": fail_on_error,
                          "score_display": False} | eval_kwargs
    if log_dir is not None:
        kw["log_dir"] = str(log_dir)
    if max_samples is not None:
        kw["max_samples"] = max_samples
    if retry_on_error is not None:
        kw["retry_on_error"] = retry_on_error
    reused: dict = {}
    newest = None
    if fingerprint is not None and log_dir is not None:
        kw["metadata"] = {**kw.get("metadata", {}), FINGERPRINT_KEY: fingerprint}
        reused, newest = finished_samples(log_dir, fingerprint)
        ids = [s.id for s in task.dataset]
        todo = [i for i in ids if i not in reused]
        reused = {i: reused[i] for i in ids if i in reused}
        if not todo:
            samples = list(reused.values())
            return TaskRun(log=newest, samples=samples, failed=0, location=_local(newest.location),
                           reused=len(samples))
        if reused:
            kw["sample_id"] = todo
    try:
        logs = inspect_eval(task, model=default, model_roles=built, **kw)
    except (ValueError, RuntimeError, TypeError) as e:
        raise ModelError(f"inspect eval failed: {_one_line(e)}") from None
    log = logs[0]
    if log.status == "error" and not log.samples:
        raise ModelError(f"inspect eval did not run: {_one_line(log.error.message if log.error else log.status)}")
    samples = list(reused.values()) + list(log.samples or [])
    return TaskRun(log=log, samples=samples, failed=sum(1 for s in samples if s.error is not None),
                   location=_local(log.location), reused=len(reused))


FINGERPRINT_KEY = "proctor_fingerprint"


def finished_samples(log_dir: str | os.PathLike, fingerprint: str) -> tuple[dict, Any]:
    """{sample id: EvalSample} of samples that finished without error in earlier logs of `log_dir` carrying
    `fingerprint` (newest log first wins), and the newest such log (None if there is none)."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    if not os.path.isdir(log_dir):
        return {}, None
    out: dict = {}
    newest = None
    for info in list_eval_logs(str(log_dir), recursive=False, descending=True):
        try:
            head = read_eval_log(info, header_only=True)
            if (head.eval.metadata or {}).get(FINGERPRINT_KEY) != fingerprint:
                continue
            log = read_eval_log(info)
        except Exception:  # a log being written or damaged is skipped, never fatal
            continue
        newest = newest or log
        for s in log.samples or []:
            if s.error is None and s.epoch == 1:
                out.setdefault(s.id, s)
    return out, newest


def failure_reason(samples) -> str:
    """The error of the first failed sample as one line, as the endpoint (or the template, or the solver) gave it:
    the outermost exception that is not inspect's retry wrapper, with its root cause when that differs (e.g.
    "openai.APIConnectionError: Connection error. (cause: httpx.ConnectError: All connection attempts failed)")."""
    import re

    failed = next((s for s in samples if s.error is not None), None)
    if failed is None:
        return ""
    error = failed.error
    lines = [line for line in (getattr(error, "traceback", "") or "").splitlines()
             if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Timeout)\w*(: |$)", line)]
    lines = [line for line in lines if not line.startswith(("tenacity.RetryError", "RetryError"))]
    if not lines:
        return _one_line(error.message)
    outer, root = _one_line(lines[-1], 200), _one_line(lines[0], 160)
    return outer if root == outer else f"{outer} (cause: {root})"


def check_failures(what: str, failed: int, total: int, reason: str, *, allow_failures: bool = False) -> str | None:
    """Raise a one-line ModelError when `failed` of the `total` samples of an LLM run failed (a model call kept
    failing after its retries or timed out, a template the sandbox refused): always when none finished (nothing was
    measured), and when only some failed unless `allow_failures` (the rest are then reported with the failures
    counted). `what` names the run, `reason` is the first failure (`failure_reason`). Returns the line to show
    when failures were allowed, else None."""
    if failed <= 0 or total <= 0:
        return None
    if failed < total and allow_failures:
        return f"{what}: {failed} of {total} samples failed ({reason or 'no error recorded'}); reported without them"
    if failed >= total:
        raise ModelError(f"{what}: no sample finished ({failed} of {total} failed): {reason or 'no error recorded'}")
    raise ModelError(f"{what}: {failed} of {total} samples failed ({reason or 'no error recorded'}); rerun the same "
                     f"command to retry only the failed ones, or pass --allow-failures (allow_failures = true in a "
                     f"suite) to report the others")


def check_run(run: TaskRun, what: str, *, allow_failures: bool = False) -> str | None:
    """`check_failures` on a TaskRun's samples (reused ones included)."""
    return check_failures(what, run.failed, len(run.samples), failure_reason(run.samples),
                          allow_failures=allow_failures)


def _local(location) -> str:
    text = str(location or "")
    return text[len("file://"):] if text.startswith("file://") else text


def _plain(reason: object) -> str:
    """An error's text without rich console markup (inspect writes "[bold][blue]OPENAI_API_KEY[/blue][/bold]")."""
    text = str(reason)
    try:
        from rich.markup import render

        text = render(text).plain
    except Exception:  # not markup after all (a stray "[" in a path): keep the text as it is
        pass
    return text.removeprefix("ERROR: ")


def _one_line(reason: object, limit: int = 300) -> str:
    text = " ".join(str(reason).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
