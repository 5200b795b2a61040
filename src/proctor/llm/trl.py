"""Training data in TRL's column names, written as JSONL that `datasets.load_dataset("json", ...)` reads.

    preference:  {"prompt": [...messages], "chosen": [assistant message], "rejected": [assistant message]}
    SFT:         {"messages": [...messages]}

Both use TRL's conversational form (lists of {"role", "content"}), which DPOTrainer / RewardTrainer / SFTTrainer
accept directly. Extra keys (e.g. "metadata") are kept as further columns. Rows are written atomically (temp file,
then rename) so a killed export never leaves half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..atomic import write_atomic
from ..errors import DataError

ROLES = ("system", "user", "assistant")


def _messages(msgs: Sequence[Mapping[str, str]], where: str) -> list[dict[str, str]]:
    out = []
    for i, m in enumerate(msgs):
        role, content = m.get("role"), m.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise DataError(f"{where}[{i}]: a message needs role in {ROLES} and string content")
        out.append({"role": role, "content": content})
    return out


def preference_row(prompt: Sequence[Mapping[str, str]] | str, chosen: str, rejected: str, **extra) -> dict:
    """One TRL preference row; a string prompt becomes one user message."""
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]
    return {"prompt": _messages(prompt, "prompt"), "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": rejected}], **extra}


def messages_row(messages: Sequence[Mapping[str, str]], **extra) -> dict:
    """One TRL SFT row (`messages`)."""
    return {"messages": _messages(messages, "messages"), **extra}


def write_jsonl(rows: Iterable[Mapping], path: str | os.PathLike) -> int:
    """Write rows to `path` as JSONL (atomic); returns the number of rows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.dumps(row, ensure_ascii=False) + "\n" for row in rows]
    write_atomic(path, "".join(rows))
    return len(rows)
