"""EmbeddingCache: float32 vectors in one SQLite file, keyed by a hash of (model, layer, pooling, max_length, text).

Several processes may share the file (seeds fanned out by Ray, two `proctor run`s): the journal is WAL, writers take
the lock up front and wait on it (busy_timeout). A stored vector whose byte length disagrees with its dim is never
returned. The file is a cache: deleting it only costs recomputation.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from proctor.errors import ProctorError

_SCHEMA = "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL)"
# Below SQLite's oldest default limit of 999 bound variables per statement.
_CHUNK = 900
_BUSY_MS = 60_000
_KEY_VERSION = 1


class EmbeddingCache:
    """A persistent map from `EmbeddingCache.key(...)` to a float32 vector."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._connect()

    @classmethod
    def default(cls) -> EmbeddingCache:
        """The cache under `$PROCTOR_CACHE` (default `~/.cache/proctor`)."""
        root = os.environ.get("PROCTOR_CACHE") or Path.home() / ".cache" / "proctor"
        return cls(Path(root) / "embeddings.sqlite")

    @staticmethod
    def key(model_identity: str, layer: int, pooling: str, max_length: int, text: str) -> str:
        """SHA-256 hex of the canonical JSON of the parts, so no two different tuples can collide by concatenation."""
        parts = [_KEY_VERSION, model_identity, int(layer), pooling, int(max_length), text]
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()

    def _connect(self) -> sqlite3.Connection:
        # A connection must not cross a fork: a child process (multiprocessing, Ray) opens its own.
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are explicit below (BEGIN IMMEDIATE for writes).
            conn = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as e:
            raise ProctorError(f"embedding cache {self.path}: {e} (the file is safe to delete)") from None
        self._conn, self._pid = conn, os.getpid()
        return conn

    def __getstate__(self):
        return {"path": self.path}

    def __setstate__(self, state):
        self.__init__(state["path"])

    def get_many(self, keys: Sequence[str], *, dim: int | None = None) -> dict[str, np.ndarray]:
        """The stored vectors among `keys` (missing keys are absent); with `dim`, only vectors of that length."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            conn = self._connect()
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, stored_dim, blob in conn.execute(
                    f"SELECT key, dim, vec FROM embeddings WHERE key IN ({marks})", chunk
                ):
                    if len(blob) != 4 * stored_dim or (dim is not None and stored_dim != dim):
                        continue
                    found[key] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return found

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        """Store all of `items` in one transaction, replacing vectors already stored under the same keys."""
        rows = []
        for key, vec in items.items():
            arr = np.ascontiguousarray(np.asarray(vec, dtype="<f4").reshape(-1))
            rows.append((key, int(arr.shape[0]), arr.tobytes()))
        if not rows:
            return
        with self._lock:
            conn = self._connect()
            # IMMEDIATE takes the write lock now, so a second writer waits on busy_timeout instead of failing
            # with SQLITE_BUSY when it would have to upgrade a read transaction.
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("INSERT OR REPLACE INTO embeddings (key, dim, vec) VALUES (?, ?, ?)", rows)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return self._connect().execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"
