"""proctor.sandbox: hostile code is contained and recorded as a failed run; the caller keeps going."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from proctor.sandbox import Limits, SandboxUnavailable, run_python, sandbox_available

pytestmark = pytest.mark.skipif(not sandbox_available() and os.environ.get("CI") != "true",
                                reason="bubblewrap is not installed")

FAST = Limits(cpu_s=1, wall_s=3, memory_mb=512, nproc=32)


def test_a_clean_run_sees_stdin_and_its_files():
    r = run_python("import sys; print(sys.stdin.read().upper(), open('data.txt').read())", stdin="hi",
                   files={"data.txt": "there"}, limits=FAST)
    assert r.ok and r.sandboxed, r.stderr
    assert r.stdout.split() == ["HI", "there"]


HOSTILE = {
    "fork bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "infinite loop": "while True:\n    pass\n",
    "10 GB allocation": "x = bytearray(10 * 1024 ** 3)\nprint('allocated')\n",
    "write to /etc": "open('/etc/proctor-sandbox-probe', 'w').write('x')\n",
    "network connection": None,  # filled in by the test: a port listening on the host
    "huge output file": "open('big', 'wb').write(b'x' * (100 << 20))\n",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_code_is_a_failed_run(case):
    code = HOSTILE[case]
    server = None
    if case == "network connection":
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        accepted = []
        threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('connected')\n"
    try:
        r = run_python(code, limits=FAST)
    finally:
        if server is not None:
            server.close()
    assert not r.ok and r.failure, (case, r.stdout, r.stderr)
    assert "connected" not in r.stdout and "allocated" not in r.stdout
    assert r.wall_s < FAST.wall_s + 5
    assert not Path("/etc/proctor-sandbox-probe").exists()
    # and the next run works: nothing of the hostile one is left over
    assert run_python("print(1)", limits=FAST).ok


def test_the_callers_home_is_out_of_reach(tmp_path):
    home = Path.home()
    target = home / ".proctor-sandbox-probe"
    r = run_python(f"open({str(target)!r}, 'w').write('x')\n", limits=FAST)
    assert not r.ok and not target.exists()


def test_environment_secrets_never_reach_the_code(monkeypatch):
    monkeypatch.setenv("PROCTOR_TEST_SECRET", "s3cr3t-value")
    r = run_python("import os\nprint(os.environ['PROCTOR_TEST_SECRET'])\n", limits=FAST)
    assert not r.ok and "KeyError" in r.stderr
    assert "s3cr3t" not in r.stdout + r.stderr
    env = run_python("import os\nprint(sorted(os.environ))\n", limits=FAST)
    assert "PROCTOR_TEST_SECRET" not in env.stdout


def test_missing_bubblewrap_is_refused_unless_unsafe(monkeypatch):
    monkeypatch.setenv("PROCTOR_BWRAP", "")
    with pytest.raises(SandboxUnavailable, match="--unsafe-no-sandbox"):
        run_python("print(1)", limits=FAST)
    r = run_python("print(1)", limits=FAST, unsafe_no_sandbox=True)
    assert r.ok and not r.sandboxed and r.stdout.strip() == "1"
