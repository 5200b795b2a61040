"""Shared plumbing of the benchmark scripts: the result line and the docs/benchmarks.md table."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Each script in `benchmarks/` times Proctor against its reference (a peer library or the physical floor) in the same
process and the same run, and reports the ratio. Rows are rewritten by the scripts; `--quick` rows are marked.
The machine note says where each number came from: compare ratios, not absolute times, across machines.

"""


KEYS = ("benchmark", "proctor", "reference", "ratio", "goal", "meets_goal", "device")
"""The keys every benchmark's result line carries (more may follow)."""


def emit(result: dict) -> None:
    """Print the result as the last line of stdout (one JSON object with at least KEYS)."""
    missing = [k for k in KEYS if k not in result]
    if missing:
        raise ValueError(f"benchmark result lacks {missing}")
    print(json.dumps(result, default=float), flush=True)


def record(name: str, markdown: str) -> None:
    """Replace this benchmark's block in docs/benchmarks.md (between its markers), keeping the others."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = DOC.read_text() if DOC.exists() else HEADER
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = f"{begin}\n{markdown.rstrip()}\n\n_Written {stamp}, {os.cpu_count()} CPU cores visible._\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
