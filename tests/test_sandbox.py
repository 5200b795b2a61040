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


# -- batches: one sandbox, a fresh forked process per row -----------------------------------------------------------
ROW = "import os, sys, time\ntime.sleep(0.05)\nprint(sys.stdin.read(), sorted(os.listdir('.')), sorted(os.environ))\n"
BATCH = Limits(cpu_s=1, wall_s=1.5, memory_mb=512, nproc=32)


def _batch_hostile(home: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in HOSTILE.items() if k != "network connection"},
        "network connection": "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)\nprint('connected')\n",
        "write to the caller's home": f"open({str(home / '.proctor-sandbox-probe')!r}, 'w').write('x')\n",
        "environment secret": "import os\nprint(os.environ['PROCTOR_TEST_SECRET'])\n",
        "kill the runner": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('killed')\n",
        "stop the runner": "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nimport time\ntime.sleep(60)\n",
        "write into the runner's output": "import os\nfd = os.open(f'/proc/{os.getppid()}/fd/1', os.O_WRONLY)\n"
                                          "os.write(fd, b'{\"i\": 99}\\n')\nprint('forged')\n",
        "daemon left behind": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    while True:\n"
                              "        try:\n            open('/tmp/work/planted.txt', 'w').write('x')\n"
                              "        except OSError:\n            pass\n        time.sleep(0.005)\n",
    }


def test_a_batch_contains_every_hostile_row_and_keeps_going(monkeypatch):
    """Each hostile row between two clean ones: it is a failed run (or leaves nothing behind), and the clean rows
    before and after it see only their own input and files, as if each had a sandbox of its own."""
    from proctor.sandbox import Job, run_python_batch

    monkeypatch.setenv("PROCTOR_TEST_SECRET", "s3cr3t-value")
    hostile = _batch_hostile(Path.home())
    jobs, kinds = [], []
    for k, code in hostile.items():
        jobs += [Job(stdin=f"clean-{len(jobs)}", files={"own.txt": "x"}), Job(stdin=code)]
        kinds += ["clean", k]
    jobs.append(Job(stdin="clean-last", files={"own.txt": "x"}))
    kinds.append("clean")
    runner = "import sys\nsrc = sys.stdin.read()\nif src.startswith('clean'):\n    sys.stdin = __import__('io').StringIO(src)\n" \
             "    exec(compile(" + repr(ROW) + ", 'row.py', 'exec'))\nelse:\n    exec(compile(src, 'row.py', 'exec'))\n"
    res = run_python_batch(runner, jobs, limits=BATCH)
    assert len(res) == len(jobs)
    for i, (k, r) in enumerate(zip(kinds, res)):
        if k == "clean":
            assert r.ok and r.sandboxed, (i, r)
            assert r.stdout.split("[")[0].strip() == jobs[i].stdin
            assert "['own.txt']" in r.stdout and "PROCTOR_TEST_SECRET" not in r.stdout, (i, r.stdout)
        elif k == "daemon left behind":
            assert r.ok  # its own run is clean; what it left running must not reach the next row (planted.txt)
        else:
            assert not r.ok and r.failure, (k, r)
            assert not any(w in r.stdout for w in ("connected", "allocated", "killed", "forged", "s3cr3t")), (k, r)
            assert r.wall_s < BATCH.wall_s + 4, (k, r)
    assert not Path("/etc/proctor-sandbox-probe").exists()
    assert not (Path.home() / ".proctor-sandbox-probe").exists()
