"""Red-team prompts for the CAI stages: the first human turn of Anthropic HH-RLHF harmless-base conversations
(PROCTOR_DATA/anthropic_hh/test.jsonl.gz, or any JSONL file with a `prompt` column).

The HH harmless-base split was collected by asking crowdworkers to elicit harmful replies (Bai et al. 2022a), so its
opening human turns are red-team prompts. Duplicates are dropped; `limit` picks prompts with a seeded shuffle.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from proctor.errors import DataError

__all__ = ["first_human_turn", "load_prompts"]

HH_FILE = Path("anthropic_hh") / "test.jsonl.gz"


def first_human_turn(dialogue: str) -> str | None:
    """The text of the first "Human:" turn of an HH dialogue ("\\n\\nHuman: ...\\n\\nAssistant: ..."), or None."""
    start = dialogue.find("Human:")
    if start < 0:
        return None
    rest = dialogue[start + len("Human:"):]
    end = rest.find("\n\nAssistant:")
    text = (rest if end < 0 else rest[:end]).strip()
    return text or None


def load_prompts(source: str | Path = "hh", limit: int | None = None, seed: int = 0) -> list[dict]:
    """[{"id", "prompt"}] from "hh" (the shared HH file) or a JSONL file with `prompt` (and optional `id`)."""
    from ..data.tables import iter_jsonl

    hh = str(source) == "hh"
    path = Path(os.environ.get("PROCTOR_DATA") or ".") / HH_FILE if hh else Path(source)
    rows, seen = [], set()
    for lineno, r in iter_jsonl(path, "set PROCTOR_DATA to the shared data folder" if hh else "a prompts file"):
        if hh:
            text, pid = first_human_turn(str(r.get("chosen", ""))), f"hh-{lineno}"
        else:
            if not isinstance(r.get("prompt"), str):
                raise DataError(f"{path}:{lineno}: missing string column 'prompt'")
            text, pid = r["prompt"].strip(), str(r.get("id", lineno))
        if text and text not in seen:
            seen.add(text)
            rows.append({"id": pid, "prompt": text})
    if not rows:
        raise DataError(f"{path}: no prompts found")
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows
