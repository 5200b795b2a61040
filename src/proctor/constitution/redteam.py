"""Red-team prompts for the CAI stages: the first human turn of Anthropic HH-RLHF harmless-base conversations
(PROCTOR_DATA/anthropic_hh/test.jsonl.gz, or any JSONL file with a `prompt` column).

The HH harmless-base split was collected by asking crowdworkers to elicit harmful replies (Bai et al. 2022a), so its
opening human turns are red-team prompts. Duplicates are dropped; `limit` picks prompts with a seeded shuffle.
"""

from __future__ import annotations

import gzip
import json
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


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def load_prompts(source: str | Path = "hh", limit: int | None = None, seed: int = 0) -> list[dict]:
    """[{"id", "prompt"}] from "hh" (the shared HH file) or a JSONL file with `prompt` (and optional `id`)."""
    if str(source) == "hh":
        path = Path(os.environ.get("PROCTOR_DATA") or ".") / HH_FILE
        if not path.is_file():
            raise DataError(f"{path}: HH-RLHF file not found (set PROCTOR_DATA to the shared data folder)")
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"{path}: no such prompts file")
    rows, seen = [], set()
    try:
        with _open(path) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except ValueError as e:
                    raise DataError(f"{path}:{lineno}: not JSON: {e}") from None
                if not isinstance(r, dict):
                    raise DataError(f"{path}:{lineno}: expected a JSON object")
                if str(source) == "hh":
                    text, pid = first_human_turn(str(r.get("chosen", ""))), f"hh-{lineno}"
                else:
                    if not isinstance(r.get("prompt"), str):
                        raise DataError(f"{path}:{lineno}: missing string column 'prompt'")
                    text, pid = r["prompt"].strip(), str(r.get("id", lineno))
                if text and text not in seen:
                    seen.add(text)
                    rows.append({"id": pid, "prompt": text})
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read: {e}") from None
    if not rows:
        raise DataError(f"{path}: no prompts found")
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows
