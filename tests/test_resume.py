"""A real run killed with SIGKILL keeps its finished units, loses only the one in flight, and resumes."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import last_json

from proctor.runs.store import RunStore


def _rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM units").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_sigkill_then_resume(tmp_path, data_dir):
    env = dict(os.environ, PROCTOR_CACHE=str(tmp_path / "cache"), PYTHONUNBUFFERED="1")
    run_dir = tmp_path / "run"
    # a one-block MiniLM fine-tuned on 160 SST-2 sentences: every unit takes seconds, so the kill lands mid-run
    cmd = [sys.executable, "-m", "proctor.cli", "w2s", "--dataset", "sst2", "--weak", "tfidf",
           "--strong", "finetune:minilm@1", "--loss", "xent", "--seeds", "3", "--max-train", "160",
           "--max-test", "100", "--out", str(run_dir), "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = run_dir / "store.sqlite"
    deadline = time.time() + 300
    while _rows(db) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with RunStore(run_dir) as store:
        before = {u.key: u.finished_at for u in store.units()}
        # every committed unit is whole: its arrays load
        for key in before:
            assert store.arrays(key), key
    assert 2 <= len(before) < 9  # 3 seeds x (weak, ceiling, student)

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("finished earlier") == len(before)
    obj = last_json(done)
    assert obj["complete"] and np.isfinite(obj["weak"])
    with RunStore(run_dir) as store:
        after = {u.key: u.finished_at for u in store.units()}
    assert len(after) == 9
    # finished units were skipped, not recomputed
    assert all(after[k] == t for k, t in before.items())
    assert not list((run_dir / "units").glob(".*.tmp.npz"))
