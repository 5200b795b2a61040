"""The run store: one SQLite database (WAL) per run directory, a row per finished unit of work.

A unit (one seed of one configuration) is keyed by the SHA-256 of its canonical JSON config, so rerunning the same
command finds it and skips it. Its arrays go to `units/<key>.npz`, written under a temporary name, flushed and
renamed *before* its row is committed: a process killed at any instant leaves either a complete unit or none, and
loses only the units in flight. The row records the arrays' file size and SHA-256, so a unit whose file was
deleted, cut or garbled is found when the run starts.

A damaged store (not an SQLite file, failing `PRAGMA quick_check`, emptied while the run has results) or a damaged
unit is never used and never deleted silently: opening it raises `DamagedStore`, naming the file and the way out,
and `repair()` moves what is damaged into `RUN_DIR/damaged/<time>/` so that the run recomputes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ProctorError

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    key TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    result TEXT NOT NULL,
    seconds REAL NOT NULL,
    finished_at REAL NOT NULL,
    arrays_bytes INTEGER,
    arrays_sha256 TEXT
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_COLUMNS = "key, experiment, kind, config, result, seconds, finished_at"


class DamagedStore(ProctorError):
    """A run store or one of its units is damaged; the message names the file and how to repair it."""


def repair_hint(run_dir: Path) -> str:
    return f"to move the damage aside and recompute it: proctor run {run_dir / 'suite.toml'} --out {run_dir} --repair"


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
        self.path = self.run_dir / "store.sqlite"
        problem = self._file_problem()
        if problem:
            raise DamagedStore(f"{self.path}: {problem}; {repair_hint(self.run_dir)}")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            check = self._db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                self._db.close()
                raise DamagedStore(f"{self.path}: damaged (quick_check: {check}); {repair_hint(self.run_dir)}")
            self._db.executescript(SCHEMA)
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(units)")}
            for col, kind in (("arrays_bytes", "INTEGER"), ("arrays_sha256", "TEXT")):
                if col not in cols:  # a store written before these were recorded: its units are not checked
                    self._db.execute(f"ALTER TABLE units ADD COLUMN {col} {kind}")
        except sqlite3.DatabaseError as e:
            raise DamagedStore(f"{self.path}: not a readable run store ({e}); {repair_hint(self.run_dir)}") from None
        self.units_dir.mkdir(parents=True, exist_ok=True)  # only once the store is known to be sound

    def _file_problem(self) -> str | None:
        """What is wrong with the store file before SQLite opens it (SQLite would silently start afresh)."""
        if not self.path.exists():
            return None
        if self.path.is_dir():
            return "is a folder, not a run store"
        wal = self.path.with_name(self.path.name + "-wal")
        if self.path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
            has_results = any(self.units_dir.glob("*.npz")) if self.units_dir.is_dir() else False
            if has_results or (self.run_dir / "suite.toml").exists():
                return "is empty but the run has results (cut or truncated)"
        return None

    def subdir(self, *parts: str) -> Path:
        """RUN_DIR/part/... for an experiment's own files (logs, exports), created; each part is made safe as one
        folder name and the result is checked to lie inside the run directory."""
        from .spec import path_name

        path = self.run_dir.joinpath(*(path_name(str(p)) for p in parts))
        root = self.run_dir.resolve()
        if not path.resolve().is_relative_to(root):
            raise ProctorError(f"{path}: outside the run directory {root}")
        path.mkdir(parents=True, exist_ok=True)
        return path

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
        row = self._db.execute(f"SELECT {_COLUMNS} FROM units WHERE key = ?", (key,)).fetchone()
        return self._unit(row) if row else None

    def units(self, experiment: str | None = None, kind: str | None = None) -> list[Unit]:
        sql, args = f"SELECT {_COLUMNS} FROM units WHERE 1=1", []
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
        row = self._db.execute("SELECT arrays_bytes FROM units WHERE key = ?", (key,)).fetchone()
        expected = row[0] if row else None
        if not path.exists():
            if expected:
                raise DamagedStore(f"{path}: missing (unit {key[:12]}); {repair_hint(self.run_dir)}")
            return {}
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except Exception as e:  # a garbled archive: BadZipFile, zlib.error, ValueError, EOFError, OSError
            raise DamagedStore(f"{path}: unreadable ({type(e).__name__}); {repair_hint(self.run_dir)}") from None

    def put(self, experiment: str, kind: str, config: Mapping[str, Any], result: Mapping[str, Any],
            arrays: Mapping[str, np.ndarray] | None = None, seconds: float = 0.0) -> Unit:
        key = unit_key(config)
        size = digest = None
        if arrays:
            final = self.units_dir / f"{key}.npz"
            tmp = self.units_dir / f".{key}.{os.getpid()}.tmp.npz"
            with open(tmp, "wb") as f:
                np.savez(f, **{k: np.asarray(v) for k, v in arrays.items()})
                f.flush()
                os.fsync(f.fileno())
                size = f.tell()
            digest = _sha256(tmp)
            os.replace(tmp, final)
        now = time.time()
        self._db.execute(
            "INSERT OR REPLACE INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, experiment, kind, canonical_json(config), canonical_json(result), seconds, now, size, digest),
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

    def damaged_units(self) -> list[tuple[str, str]]:
        """[(key, what is wrong)] for every unit whose arrays file is missing, cut, or not the bytes written."""
        out = []
        rows = self._db.execute("SELECT key, arrays_bytes, arrays_sha256 FROM units WHERE arrays_bytes IS NOT NULL")
        for key, size, digest in rows.fetchall():
            path = self.units_dir / f"{key}.npz"
            if not path.exists():
                out.append((key, f"{path.name} is missing"))
            elif path.stat().st_size != size:
                out.append((key, f"{path.name} has {path.stat().st_size} bytes, {size} were written"))
            elif digest and _sha256(path) != digest:
                out.append((key, f"{path.name} is not the file that was written (checksum differs)"))
        return out

    def check(self) -> None:
        """Raise DamagedStore naming the first damaged unit (and how many there are)."""
        bad = self.damaged_units()
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise DamagedStore(f"{self.units_dir / (bad[0][0] + '.npz')}: damaged unit: {bad[0][1]}{more}; "
                               f"{repair_hint(self.run_dir)}")

    def forget(self, keys: list[str], reason: str) -> Path | None:
        """Move the given units (rows as JSON, arrays files) into RUN_DIR/damaged/<time>/ and drop their rows, so a
        rerun recomputes them. Returns the folder, or None when there was nothing to move."""
        if not keys:
            return None
        folder = _damaged_folder(self.run_dir)
        rows = []
        for key in keys:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM units WHERE key = ?", (key,)).fetchone()
            if row:
                rows.append(dict(zip(_COLUMNS.split(", "), row)))
            path = self.units_dir / f"{key}.npz"
            if path.exists():
                os.replace(path, folder / path.name)
        (folder / "units.json").write_text(json.dumps({"reason": reason, "units": rows}, indent=1))
        self._db.executemany("DELETE FROM units WHERE key = ?", [(k,) for k in keys])
        return folder

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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_run_dir(path: str | Path) -> bool:
    return (Path(path) / "store.sqlite").exists()


@contextmanager
def run_lock(run_dir: Path, on_wait: Callable[[str], None] | None = None):
    """Hold RUN_DIR/.lock (an exclusive `flock`) while a run writes to RUN_DIR: a second run into the same folder waits
    until the first has finished (then finds its units finished) instead of computing them again. The lock goes
    with the process, so a killed run never leaves the folder locked."""
    import fcntl

    path = run_dir / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            if on_wait is not None:
                on_wait(f"{run_dir}: another run is writing to it (pid {holder}); waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _damaged_folder(run_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = run_dir / "damaged" / stamp
    n = 1
    while folder.exists():
        n += 1
        folder = run_dir / "damaged" / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def repair(run_dir: str | Path) -> list[str]:
    """Move whatever is damaged in RUN_DIR aside (into RUN_DIR/damaged/<time>/) so that a rerun recomputes it;
    returns one line per thing moved. A damaged database moves with every unit file (their rows are lost with it);
    damaged units move alone. Nothing is deleted."""
    run_dir = Path(run_dir)
    done: list[str] = []
    try:
        with RunStore(run_dir) as store:
            bad = store.damaged_units()
            for key in list(store._db.execute("SELECT key FROM units WHERE arrays_bytes IS NOT NULL")):
                try:
                    store.arrays(key[0])
                except DamagedStore:
                    if key[0] not in {k for k, _ in bad}:
                        bad.append((key[0], "unreadable"))
            folder = store.forget([k for k, _ in bad], "damaged units")
            done += [f"unit {k[:12]}: {why} -> {folder}" for k, why in bad]
    except DamagedStore:
        folder = _damaged_folder(run_dir)
        for name in ("store.sqlite", "store.sqlite-wal", "store.sqlite-shm"):
            p = run_dir / name
            if p.exists():
                os.replace(p, folder / name)
                done.append(f"{name} -> {folder}")
        units = run_dir / "units"
        if units.is_dir():
            os.replace(units, folder / "units")
            done.append(f"units/ -> {folder}")
    return done
