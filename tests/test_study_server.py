"""The study server as a real process and on a real PostgreSQL: an acknowledged judgment survives SIGKILL of
uvicorn; the same flow runs on PostgreSQL (Debian's server binaries, started here in a temporary folder)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import invoke, last_json
from study_fixtures import make_study, serve, wait_up

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def test_sigkill_loses_no_acknowledged_judgment(tmp_path):
    import httpx

    from proctor.study.study import open_db

    study = make_study(tmp_path)
    db = open_db(study)
    (_, token), = db.invite(1)
    db.close()
    auth = {"Authorization": f"Bearer {token}"}
    proc, url = serve(study)
    try:
        wait_up(url)
        item = httpx.get(url + "/api/next", headers=auth).json()["item"]
        r = httpx.post(url + "/api/judgments", json={"item": item, "p_a": 0.25, "explanation": "acked"}, headers=auth)
        assert r.status_code == 201
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    proc, url = serve(study)
    try:
        wait_up(url)
        assert httpx.get(url + "/api/next", headers=auth).json()["item"] != item  # judged: not served again
        again = httpx.post(url + "/api/judgments", json={"item": item, "p_a": 0.25, "explanation": "acked"},
                           headers=auth)
        assert again.status_code == 200 and again.json()["repeat"] is True
    finally:
        proc.terminate()
        proc.wait(10)
    res = last_json(invoke("study", "results", study, "--json"))
    assert res["judgments"] == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    """A PostgreSQL server in a temporary folder (as an unprivileged user when run as root); its SQLAlchemy URL."""
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no PostgreSQL server binaries in {PG_BIN} (CI=true: install Debian's postgresql)")
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    pytest.importorskip("psycopg")
    root = Path(tempfile.mkdtemp(prefix="proctor-pg-"))
    prefix = []
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        os.chmod(root, 0o700)
        prefix = ["runuser", "-u", "nobody", "--"]
    port = _free_port()
    data = root / "data"
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}
    subprocess.run(prefix + [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync",
                             "-E", "UTF8"], check=True, capture_output=True, env=env, cwd=root)
    opts = f"-p {port} -k {root} -h 127.0.0.1 -F"
    subprocess.run(prefix + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w",
                             "start"], check=True, capture_output=True, env=env, cwd=root)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, env=env, cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def test_postgresql(tmp_path, postgres):
    from starlette.testclient import TestClient

    from proctor.study.app import make_app
    from proctor.study.study import open_db

    study = make_study(tmp_path, db=postgres)
    assert not (study / "study.sqlite").exists()
    inv = last_json(invoke("study", "invite", study, "--db", postgres, "--judges", "2", "--json"))["invites"]
    db = open_db(study, postgres)
    try:
        with TestClient(make_app(study, db), base_url="http://127.0.0.1") as c:
            auth = {"Authorization": f"Bearer {inv[0]['token']}"}
            item = c.get("/api/next", headers=auth).json()["item"]
            body = {"item": item, "p_a": 0.9, "explanation": "pg"}
            assert c.post("/api/judgments", json=body, headers=auth).status_code == 201
            assert c.post("/api/judgments", json=body, headers=auth).status_code == 200
            assert c.post("/api/judgments", json=body | {"p_a": 2}, headers=auth).status_code == 422
    finally:
        db.close()
    res = last_json(invoke("study", "results", study, "--db", postgres, "--json"))
    assert res["judgments"] == 1
