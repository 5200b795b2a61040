"""The run store: one SQLite database (WAL) per run directory, a row per finished unit of work.

A unit (one seed of one configuration) is keyed by the SHA-256 of its canonical JSON config, so rerunning the same
command finds it and skips it. Its arrays go to `units/<key>.npz`, written under a temporary name, flushed and
renamed *before* its row is committed: a process killed at any instant leaves either a complete unit or none, and
loses only the units in flight.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    key TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    result TEXT NOT NULL,
    seconds REAL NOT NULL,
    finished_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def unit_key(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()


@dataclass(frozen=True)
class Unit:
    key: str
    experiment: str
    kind: str
    config: dict
    result: dict
    seconds: float
    finished_at: float


class RunStore:
    """Finished units of one run directory."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.units_dir = self.run_dir / "units"
        self.units_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / "store.sqlite"
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- metadata ---------------------------------------------------------------------------------------------------
    def set_meta(self, name: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, canonical_json(value)))

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT name, value FROM meta")}

    # -- units ------------------------------------------------------------------------------------------------------
    def get(self, key: str) -> Unit | None:
        row = self._db.execute("SELECT * FROM units WHERE key = ?", (key,)).fetchone()
        return self._unit(row) if row else None

    def units(self, experiment: str | None = None, kind: str | None = None) -> list[Unit]:
        sql, args = "SELECT * FROM units WHERE 1=1", []
        if experiment is not None:
            sql += " AND experiment = ?"
            args.append(experiment)
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        return [self._unit(r) for r in self._db.execute(sql + " ORDER BY finished_at", args)]

    def experiments(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT experiment FROM units ORDER BY experiment")]

    def arrays(self, key: str) -> dict[str, np.ndarray]:
        path = self.units_dir / f"{key}.npz"
        if not path.exists():
            return {}
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def put(self, experiment: str, kind: str, config: Mapping[str, Any], result: Mapping[str, Any],
            arrays: Mapping[str, np.ndarray] | None = None, seconds: float = 0.0) -> Unit:
        key = unit_key(config)
        if arrays:
            final = self.units_dir / f"{key}.npz"
            tmp = self.units_dir / f".{key}.{os.getpid()}.tmp.npz"
            with open(tmp, "wb") as f:
                np.savez(f, **{k: np.asarray(v) for k, v in arrays.items()})
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        now = time.time()
        self._db.execute(
            "INSERT OR REPLACE INTO units VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, experiment, kind, canonical_json(config), canonical_json(result), seconds, now),
        )
        return Unit(key, experiment, kind, dict(config), dict(result), seconds, now)

    def get_or_compute(self, experiment: str, kind: str, config: Mapping[str, Any],
                       compute: Callable[[], tuple[dict, dict[str, np.ndarray]]]) -> tuple[Unit, bool]:
        """The stored unit for `config`, or compute, store and return it. The flag says whether it was computed."""
        unit = self.get(unit_key(config))
        if unit is not None:
            return unit, False
        start = time.perf_counter()
        result, arrays = compute()
        return self.put(experiment, kind, config, result, arrays, time.perf_counter() - start), True

    def clean_temporaries(self) -> int:
        """Remove temporary files left by killed processes (they never had a row)."""
        n = 0
        for p in self.units_dir.glob(".*.tmp.npz"):
            p.unlink(missing_ok=True)
            n += 1
        return n

    @staticmethod
    def _unit(row) -> Unit:
        key, experiment, kind, config, result, seconds, finished_at = row
        return Unit(key, experiment, kind, json.loads(config), json.loads(result), seconds, finished_at)


def is_run_dir(path: str | Path) -> bool:
    return (Path(path) / "store.sqlite").exists()
