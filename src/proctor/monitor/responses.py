"""Where monitored responses come from: rows of a JSONL stream, and the clean HH-RLHF stream of the harness.

A stream row is a JSON object with the response under `text_field` (default: the first of "response", "output",
"completion", "text" present) and, optionally, the user's prompt under `prompt_field` ("prompt" / "instruction" /
"question"). A TRL-style row with `messages` works too: the last assistant message is the response, the last user
message before it the prompt.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from proctor.errors import DataError

__all__ = ["hh_pairs", "hh_responses", "reference_responses", "response_from_row"]

TEXT_FIELDS = ("response", "output", "completion", "text")
PROMPT_FIELDS = ("prompt", "instruction", "question")


def response_from_row(row: object, text_field: str | None = None,
                      prompt_field: str | None = None) -> tuple[str, str | None]:
    """(response, prompt or None) from one parsed JSONL row; ValueError says what is wrong with the row."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    if text_field is None and "messages" in row and not any(f in row for f in TEXT_FIELDS):
        msgs = row["messages"]
        if not isinstance(msgs, list):
            raise ValueError("'messages' is not a list")
        idx = [i for i, m in enumerate(msgs) if isinstance(m, dict) and m.get("role") == "assistant"]
        if not idx:
            raise ValueError("'messages' has no assistant message")
        text = msgs[idx[-1]].get("content")
        users = [m.get("content") for m in msgs[: idx[-1]] if isinstance(m, dict) and m.get("role") == "user"]
        prompt = users[-1] if users and isinstance(users[-1], str) else None
    else:
        names = (text_field,) if text_field else TEXT_FIELDS
        field = next((f for f in names if f in row), None)
        if field is None:
            raise ValueError(f"no response field (looked for {', '.join(names)})")
        text = row[field]
        pnames = (prompt_field,) if prompt_field else PROMPT_FIELDS
        pf = next((f for f in pnames if f in row), None)
        prompt = row[pf] if pf is not None else None
        if prompt is not None and not isinstance(prompt, str):
            raise ValueError(f"field {pf!r} is not a string")
    if not isinstance(text, str):
        raise ValueError(f"the response is {type(text).__name__}, not a string")
    return text, prompt


def _split_turns(dialogue: str) -> tuple[str, str]:
    """(last human turn, last assistant turn) of an HH-RLHF transcript ("\\n\\nHuman: ... \\n\\nAssistant: ...")."""
    a = dialogue.rfind("\n\nAssistant:")
    h = dialogue.rfind("\n\nHuman:", 0, a)
    if a < 0 or h < 0:
        raise ValueError("not an HH-RLHF transcript")
    return dialogue[h + len("\n\nHuman:"): a].strip(), dialogue[a + len("\n\nAssistant:"):].strip()


def hh_responses(data_dir: str | Path | None = None, which: str = "chosen") -> tuple[list[str], list[str]]:
    """(responses, prompts): the final assistant turn of each HH-RLHF harmless-base test pair (`chosen` by default)
    and the human turn before it. Read from $PROCTOR_DATA/anthropic_hh/test.jsonl.gz; empty replies dropped."""
    root = Path(data_dir or os.environ.get("PROCTOR_DATA") or "")
    path = root / "anthropic_hh" / "test.jsonl.gz"
    if not path.is_file():
        raise DataError(f"HH-RLHF data not found at {path} (set PROCTOR_DATA to the shared data folder)")
    texts, prompts = [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                prompt, text = _split_turns(json.loads(line)[which])
            except (ValueError, KeyError, TypeError) as e:
                raise DataError(f"{path}:{lineno}: {e}") from None
            if text:
                texts.append(text)
                prompts.append(prompt)
    return texts, prompts


def hh_pairs(data_dir: str | Path | None = None) -> tuple[list[str], list[str], list[str]]:
    """(prompts, chosen, rejected): the final assistant turns of each HH-RLHF harmless-base test pair, aligned (empty
    replies kept, so a pair is never split)."""
    root = Path(data_dir or os.environ.get("PROCTOR_DATA") or "")
    path = root / "anthropic_hh" / "test.jsonl.gz"
    if not path.is_file():
        raise DataError(f"HH-RLHF data not found at {path} (set PROCTOR_DATA to the shared data folder)")
    prompts, chosen, rejected = [], [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                row = json.loads(line)
                p, c = _split_turns(row["chosen"])
                _, r = _split_turns(row["rejected"])
            except (ValueError, KeyError, TypeError) as e:
                raise DataError(f"{path}:{lineno}: {e}") from None
            prompts.append(p)
            chosen.append(c)
            rejected.append(r)
    return prompts, chosen, rejected


def reference_responses(ref: str, text_field: str | None = None,
                        prompt_field: str | None = None) -> tuple[list[str], list[str | None], str]:
    """(responses, prompts, description) of clean reference responses: a JSONL file of rows (see `response_from_row`),
    or "hh" for the HH-RLHF harmless-base chosen replies. A bad row is a DataError naming its line."""
    if ref == "hh":
        texts, prompts = hh_responses()
        return texts, list(prompts), "HH-RLHF harmless-base chosen replies"
    path = Path(ref)
    if not path.is_file():
        raise DataError(f"{path}: no such reference file (give a JSONL file, or 'hh')")
    texts, prompts = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                t, p = response_from_row(json.loads(line), text_field, prompt_field)
            except ValueError as e:
                raise DataError(f"{path}:{lineno}: {e}") from None
            texts.append(t)
            prompts.append(p)
    return texts, prompts, str(path)
