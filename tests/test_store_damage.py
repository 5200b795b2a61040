"""A damaged run store or unit is named on one line with the way out; `--repair` moves the damage aside (nothing is
deleted) and the run recomputes it; `proctor runs` lists a damaged folder and goes on; two runs into one folder at
once compute every unit once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_user_error, invoke

from proctor.runs.store import DamagedStore, RunStore

TESTS = Path(__file__).resolve().parent
SUITE = 'name = "toys"\n[[experiment]]\ntype = "toy"\npieces = 4\n'


@pytest.fixture
def toy(monkeypatch, tmp_path):
    monkeypatch.setenv("PROCTOR_TECHNIQUES", "toy=plugins.toy_technique")
    suite = tmp_path / "suite.toml"
    suite.write_text(SUITE)
    run_dir = tmp_path / "run"
    r = invoke("run", suite, "--out", run_dir, "--json")
    assert r.exit_code == 0, r.output
    return suite, run_dir


def _units(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "units").glob("*.npz"))


@pytest.mark.parametrize("damage", ["random", "half", "empty"])
def test_a_damaged_database_is_named_and_repaired(toy, damage):
    suite, run_dir = toy
    db = run_dir / "store.sqlite"
    with RunStore(run_dir) as st:  # fold the WAL into the main file, so that cutting it loses rows for real
        st._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    db.write_bytes({"random": os.urandom(len(data)), "half": data[: len(data) // 2], "empty": b""}[damage])
    for args in (("run", suite, "--out", run_dir), ("report", run_dir)):
        assert_user_error(invoke(*args), "store.sqlite", "--repair")
    listed = invoke("runs", run_dir.parent)
    assert listed.exit_code == 0 and "damaged" in listed.stdout
    fixed = invoke("run", suite, "--out", run_dir, "--repair", "--json")
    assert fixed.exit_code == 0, fixed.output
    assert "repair:" in fixed.stderr and fixed.stderr.count("done piece") == 4
    moved = list((run_dir / "damaged").iterdir())
    assert len(moved) == 1 and (moved[0] / "store.sqlite").exists()  # kept, not deleted


@pytest.mark.parametrize("damage", ["deleted", "garbled", "cut"])
def test_a_damaged_unit_is_named_and_recomputed_with_repair(toy, damage):
    suite, run_dir = toy
    victim = _units(run_dir)[1]
    data = victim.read_bytes()
    if damage == "deleted":
        victim.unlink()
    elif damage == "garbled":
        victim.write_bytes(bytes(b ^ 0x5A for b in data))
    else:
        victim.write_bytes(data[:20])
    r = invoke("run", suite, "--out", run_dir)
    assert_user_error(r, victim.name, "--repair")
    fixed = invoke("run", suite, "--out", run_dir, "--repair", "--json")
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stderr.count("done piece") == 1 and fixed.stderr.count("skip piece") == 3
    kept = next((run_dir / "damaged").iterdir())
    assert json.loads((kept / "units.json").read_text())["units"][0]["key"] == victim.stem


def test_a_garbled_unit_of_the_right_size_is_found_when_read(toy):
    suite, run_dir = toy
    victim = _units(run_dir)[0]
    victim.write_bytes(b"\0" * victim.stat().st_size)
    with RunStore(run_dir) as st, pytest.raises(DamagedStore, match=victim.name):
        st.arrays(victim.stem)
    assert invoke("run", suite, "--out", run_dir, "--repair").exit_code == 0


def test_two_runs_into_one_folder_compute_each_unit_once(tmp_path):
    suite = tmp_path / "suite.toml"
    suite.write_text(SUITE + "delay = 0.5\n")
    env = {**os.environ, "PROCTOR_TECHNIQUES": "toy=plugins.toy_technique",
           "PYTHONPATH": str(TESTS) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "proctor.cli", "run", str(suite), "--out", str(tmp_path / "run")]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    err = "".join(e for _, e in outs)
    assert err.count("done piece") == 4 and err.count("skip piece") == 4, err
    assert "waiting for it to finish" in err
