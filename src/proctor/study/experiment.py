"""The study as an experiment of a suite (`type = "study"`): one unit is a snapshot of the study's judgments.

A snapshot is keyed by the study folder and a hash of its judgments, so rerunning a suite while judges are still at
work stores a new snapshot and the report uses the newest (largest) one; an unchanged study is not stored twice.

    run(spec, store, on_unit) / check(spec)    the technique's runner (`proctor run`)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .spec import StudySpec


def snapshot(spec: StudySpec) -> list[dict]:
    from .study import open_db

    db = open_db(Path(spec.study), spec.db)
    try:
        return db.rows()
    finally:
        db.close()


def check(spec: StudySpec) -> None:
    """The study folder and its database are readable before the run directory is touched."""
    snapshot(spec)


def run(spec: StudySpec, store, on_unit) -> None:
    rows = snapshot(spec)
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()
    config = {"study": str(Path(spec.study).resolve()), "judgments": len(rows), "digest": digest}
    unit, computed = store.get_or_compute(spec.title, "judgments", config,
                                          lambda: ({"judgments": len(rows), "rows": rows}, {}))
    on_unit(f"{len(rows)} judgments", unit, computed)
