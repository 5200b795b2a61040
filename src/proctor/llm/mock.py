"""Scripted stand-ins for real models, built on inspect-ai's `mockllm/model` (for tests and offline demos).

`scripted_model(replies)` returns a `Model` that answers from a list (in call order) or from a function
`reply(messages) -> str` (deterministic replies that depend on the prompt, which is what a multi-role protocol
with concurrent samples needs). The fake stands for a real provider; everything downstream of `generate()` (roles,
logs, scoring, caching) is inspect's real code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .run import require_inspect

#: Model names of the offline stand-ins: `scripted/NAME` (`proctor.llm.scripted`) and inspect's `mockllm/NAME`.
SCRIPTED_PREFIX = "scripted/"


def is_scripted(*models) -> bool:
    """True when any of `models` (names or inspect Models) is an offline stand-in (`scripted/...`, `mockllm/...`),
    so that results computed with it are labelled "scripted" wherever they are shown."""
    for m in models:
        if isinstance(m, str):
            if m.startswith((SCRIPTED_PREFIX, "mockllm/")):
                return True
        elif type(getattr(m, "api", None)).__name__ in ("ScriptedAPI", "MockLLM"):
            return True
    return False


def _text(messages) -> str:
    return "\n\n".join(f"[{m.role}] {m.text}" for m in messages)


def scripted_model(replies: Sequence[str] | Callable[[str], str], name: str = "model", config=None):
    """A mockllm `Model` answering with `replies` in order, or `replies(prompt_text)` per call.

    `prompt_text` is every message of the call joined as "[role] text" blocks. `config` is a GenerateConfig
    (default: no cache, so a test's script is not answered from an earlier test's cache).
    """
    require_inspect()
    from inspect_ai.model import GenerateConfig, ModelOutput, ModelUsage, get_model

    def output(text: str, prompt: str = ""):
        out = ModelOutput.from_content(model=name, content=text)
        # usage given here, so mockllm does not count tokens with tiktoken (which would download its vocabulary)
        n_in, n_out = len(prompt.split()), len(text.split())
        out.usage = ModelUsage(input_tokens=n_in, output_tokens=n_out, total_tokens=n_in + n_out)
        return out

    if callable(replies):
        fn = replies

        def outputs(messages, tools, tool_choice, cfg):
            prompt = _text(messages)
            return output(fn(prompt), prompt)
    else:
        outputs = [output(r) for r in replies]
    return get_model(f"mockllm/{name}", custom_outputs=outputs, memoize=False,
                     config=config if config is not None else GenerateConfig(cache=False))
