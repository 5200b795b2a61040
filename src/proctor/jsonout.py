"""The `--json` line every technique verb prints last: one JSON object, undefined numbers as null."""

from __future__ import annotations

import json
import math
import sys


def finite(o):
    """JSON has no NaN or infinity: such numbers become null, recursively."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [finite(v) for v in o]
    return o


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(finite(obj), default=str) + "\n")
    sys.stdout.flush()
