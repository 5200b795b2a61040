"""Run untrusted code in a sandbox: a separate process under bubblewrap with rlimits and a wall-clock timeout.

Every execution of code Proctor did not write (a model's solution, a data set's tests) goes through `run_python`:

- bubblewrap (Debian package `bubblewrap`): the root file system bound read-only, a private size-capped tmpfs at /tmp
  holding the work directory /tmp/work, the caller's home hidden behind an empty read-only tmpfs, `--unshare-all` (no network,
  own PID, IPC, UTS and user namespaces), `--die-with-parent`, `--new-session` (no TIOCSTI into the caller's
  terminal), every capability dropped, the environment cleared except PATH and LANG (secrets never reach the code);
- rlimits set before bubblewrap starts and inherited by everything under it: CPU seconds, address space, file size,
  processes, open files, no core dumps; when Proctor runs as root the sandbox also drops to the `nobody` user, since
  the kernel does not apply the process limit to root;
- a wall-clock timeout after which the whole process group is killed (the PID namespace dies with its first process,
  taking every descendant along);
- stdout and stderr go to files (so the file-size limit bounds them too) and are read back truncated.

A run that breaks any limit is a failed run (`RunResult.ok` False, `failure` saying why), never an exception: the
caller records it and goes on. Where bubblewrap is missing, `run_python` refuses with one line (SandboxUnavailable,
exit 2) unless `unsafe_no_sandbox=True`, which keeps the rlimits and the timeout but not the isolation.

`run_python_batch` runs one program on many inputs (rows) in one sandbox, since starting bubblewrap costs more than
running most rows: a trusted runner inside it reads every job, then for each one forks a fresh child that sets the
row's own rlimits, gets its own stdin, work directory and output files and runs the program; the runner waits for it
up to the row's wall-clock limit, then kills every other process in the sandbox's PID namespace (`kill(-1)`: a fork
bomb's leftovers, a daemon a row started), wipes the private /tmp and reports the row as one JSON line. Rows cannot
reach one another: each child is a copy of the runner made before the row's code ran, nothing a row started
survives it, and the runner is not dumpable (a row cannot open its file descriptors or memory through /proc). A row
that kills or stops the runner costs only itself: the host records it as a failed run and resumes the remaining
rows in a fresh sandbox.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ProctorError

__all__ = ["Job", "Limits", "RunResult", "SandboxUnavailable", "bwrap_path", "python_path", "require_sandbox",
           "run_python", "run_python_batch", "sandbox_available"]

WORKDIR = "/tmp/work"
_NOBODY = 65534
_MAX_OUTPUT = 1 << 20  # bytes of stdout / stderr read back
_MARGIN_S = 2.0  # a batch's runner reports a row at most this long after the row's wall-clock limit


class SandboxUnavailable(ProctorError):
    """bubblewrap is missing and the caller did not accept running untrusted code without it."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    cpu_s: int = 10
    wall_s: float = 20.0
    memory_mb: int = 1024
    file_mb: int = 16
    nproc: int = 64
    tmpfs_mb: int = 64
    nofile: int = 256


@dataclass
class RunResult:
    """What a sandboxed run did. `failure` is None for a clean exit 0, else a short reason."""

    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float
    timed_out: bool
    sandboxed: bool

    @property
    def failure(self) -> str | None:
        if self.timed_out:
            return "wall-clock timeout"
        rc = self.returncode
        if rc is None:
            return "did not run"
        if rc < 0:
            name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
            why = {"SIGXCPU": " (CPU limit)", "SIGXFSZ": " (file size limit)", "SIGKILL": " (killed)"}.get(name, "")
            return f"killed by {name}{why}"
        return None if rc == 0 else f"exit status {rc}"

    @property
    def ok(self) -> bool:
        return self.failure is None


def bwrap_path() -> str | None:
    """The bubblewrap binary, or None (PROCTOR_BWRAP overrides the search; an empty value means none)."""
    if "PROCTOR_BWRAP" in os.environ:
        p = os.environ["PROCTOR_BWRAP"]
        return p if p and os.access(p, os.X_OK) else None
    return shutil.which("bwrap")


def sandbox_available() -> bool:
    return bwrap_path() is not None


def require_sandbox(unsafe_no_sandbox: bool = False) -> None:
    """Raise the one-line refusal where bubblewrap is missing, unless the caller opted out of the sandbox."""
    if not unsafe_no_sandbox and not sandbox_available():
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed, so untrusted code cannot be run safely; "
                                 "install it (apt-get install bubblewrap) or pass --unsafe-no-sandbox")


def python_path() -> str:
    """An interpreter the sandbox user can run: the system python3 if there is one, else this one (stdlib only is
    assumed: it runs with -I -S)."""
    for p in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(p, os.X_OK):
            return p
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def _preexec(limits: Limits, drop: bool):
    import resource

    def fn():
        mb = 1 << 20
        for res, val in ((resource.RLIMIT_CPU, limits.cpu_s), (resource.RLIMIT_AS, limits.memory_mb * mb),
                         (resource.RLIMIT_FSIZE, limits.file_mb * mb), (resource.RLIMIT_NPROC, limits.nproc),
                         (resource.RLIMIT_NOFILE, limits.nofile), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(res, (val, val))
        if drop:
            os.setgroups([])
            os.setgid(_NOBODY)
            os.setuid(_NOBODY)

    return fn


def _bwrap_args(bwrap: str, limits: Limits, files: Mapping[str, int]) -> list[str]:
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(limits.tmpfs_mb << 20), "--tmpfs", "/tmp", "--dir", WORKDIR]
    home = os.path.expanduser("~")
    py = python_path()
    if home not in ("/", "") and os.path.isdir(home) and not py.startswith(home.rstrip("/") + "/"):
        args += ["--tmpfs", home, "--remount-ro", home]  # the caller's home (keys, tokens) is empty, read-only
    for name, fd in files.items():
        args += ["--file", str(fd), f"{WORKDIR}/{name}"]
    return args + ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
                   "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
                   "--setenv", "HOME", WORKDIR, "--chdir", WORKDIR]


def run_python(source: str, *, stdin: str = "", files: Mapping[str, str] | None = None,
               limits: Limits = Limits(), unsafe_no_sandbox: bool = False) -> RunResult:
    """Run `source` as a Python program (`python3 -I -S main.py`) in the sandbox, `stdin` on its standard input and
    `files` (name -> text) beside it in the private work directory; never raises for what the code does."""
    bwrap = bwrap_path()
    if bwrap is None:
        require_sandbox(unsafe_no_sandbox)
    tmp = Path(tempfile.mkdtemp(prefix="proctor-sbx-"))
    opened: dict[str, int] = {}
    try:
        all_files = {"main.py": source, **dict(files or {})}
        for name, text in all_files.items():
            if "/" in name or name.startswith("."):
                raise ValueError(f"sandbox file name {name!r} must be a plain name")
            p = tmp / name
            p.write_text(text, encoding="utf-8")
        (tmp / "stdin").write_text(stdin, encoding="utf-8")
        py = python_path()
        if bwrap is not None:
            for name in all_files:
                opened[name] = os.open(tmp / name, os.O_RDONLY)
            cmd = _bwrap_args(bwrap, limits, opened) + [py, "-I", "-S", "-B", f"{WORKDIR}/main.py"]
            cwd, env = "/", {"PATH": "/usr/bin:/bin"}
        else:  # --unsafe-no-sandbox: rlimits and the timeout only
            work = tmp / "work"
            work.mkdir()
            for name, text in all_files.items():
                (work / name).write_text(text, encoding="utf-8")
            cmd, cwd = [py, "-I", "-S", "-B", str(work / "main.py")], str(work)
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work)}
        drop = os.getuid() == 0 and bwrap is not None
        if drop:
            os.chmod(tmp, 0o700)

        def read(name: str) -> str:
            with open(tmp / name, "rb") as f:
                return f.read(_MAX_OUTPUT).decode("utf-8", errors="replace")

        for attempt in range(40):
            t0 = time.perf_counter()
            timed_out = False
            for fd in opened.values():
                os.lseek(fd, 0, os.SEEK_SET)
            with open(tmp / "stdin", "rb") as fin, open(tmp / "out", "wb") as fout, \
                    open(tmp / "err", "wb") as ferr:
                try:
                    proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr, cwd=cwd, env=env,
                                            start_new_session=True, pass_fds=tuple(opened.values()),
                                            preexec_fn=_preexec(limits, drop))
                except BlockingIOError:  # setuid to the sandbox user over its process limit: see below
                    time.sleep(0.05 * (attempt + 1))
                    continue
                try:
                    proc.wait(timeout=limits.wall_s)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    _kill_group(proc.pid)
                    proc.wait()
                _kill_group(proc.pid)  # anything left in the session (unsafe mode has no PID namespace)
            wall = time.perf_counter() - t0
            res = RunResult(proc.returncode, read("out"), read("err"), wall, timed_out, bwrap is not None)
            # The processes of a killed sandbox (a fork bomb) take a moment to be reaped; until then the process
            # limit, shared by every sandbox of the same user, stops bubblewrap itself from starting: wait, retry.
            if not (res.returncode == 1 and res.stderr.startswith("bwrap:") and "unavailable" in res.stderr):
                break
            time.sleep(0.05 * (attempt + 1))
        else:
            return RunResult(None, "", "sandbox could not start: the sandbox user's process limit stayed full",
                             0.0, False, bwrap is not None)
        return res
    finally:
        for fd in opened.values():
            os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# -- batches: one sandbox, a fresh forked child per row ----------------------------------------------------------------
# The runner is Proctor's own code (stdlib only), started as main.py inside the sandbox; it never runs a row's code
# itself, only in children forked from it before that code is loaded.
_RUNNER = r'''
import builtins, io, json, os, resource, select, shutil, signal, sys, time, traceback
# warm modules a row's program and solutions commonly import: a forked child finds them loaded
import ast, bisect, collections, copy, fractions, functools, hashlib, heapq, itertools, math, operator, random, re
import statistics, string
try:  # not dumpable: a row (same user) cannot open this process's fds or memory through /proc
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
except Exception:
    pass
_stdin = sys.stdin.buffer
cfg = json.loads(_stdin.readline())
jobs = [line for line in _stdin.read().splitlines() if line.strip()]
src = compile(cfg["source"], cfg["workdir"] + "/main.py", "exec")
lim, pidns, me = cfg["limits"], cfg["pidns"], os.getpid()
WORK, IO = cfg["workdir"], cfg["io"]
SCRATCH = [d for d in ("/tmp", "/dev/shm") if os.path.isdir(d)] if pidns else [WORK]
def put(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(1, data):]
def others():
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
def reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return
def kill_rest(child):
    """Kill everything the row started; True when nothing but the runner (and the namespace's init) is left."""
    if not pidns:  # --unsafe-no-sandbox: only the row's own session can be reached
        try:
            os.killpg(child, signal.SIGKILL)
        except OSError:
            pass
        reap()
        return True
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)  # every process of this PID namespace but init and the runner
        except OSError:
            pass
        reap()
        left = others()
        if not left:
            return True
        time.sleep(0.002)
    return False
def _unlock(fn, path, exc):
    try:
        os.chmod(os.path.dirname(path) or "/", 0o700)
        os.chmod(path, 0o700)
        fn(path)
    except OSError:
        pass
def wipe():
    """Empty the writable scratch space; True when it is empty."""
    clean = True
    for d in SCRATCH:
        if not os.path.isdir(d):
            continue
        for n in os.listdir(d):
            p = os.path.join(d, n)
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, onerror=_unlock)
                else:
                    os.unlink(p)
            except OSError:
                pass
        if os.listdir(d):
            clean = False
    return clean
def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(cfg["max_output"]).decode("utf-8", errors="replace")
    except OSError:
        return ""
def child(job):
    try:
        os.setsid()
        fds = [os.open(IO + "/stdin", os.O_RDONLY),
               os.open(IO + "/out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
               os.open(IO + "/err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
        for k, fd in enumerate(fds):
            os.dup2(fd, k)
        os.closerange(3, 65536)
        os.chdir(WORK)
        for name in ("SIGALRM", "SIGCHLD", "SIGPIPE", "SIGINT", "SIGTERM"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        mb = 1 << 20
        for res, val in ((resource.RLIMIT_CPU, lim["cpu_s"]), (resource.RLIMIT_AS, lim["memory_mb"] * mb),
                         (resource.RLIMIT_FSIZE, lim["file_mb"] * mb), (resource.RLIMIT_NPROC, lim["nproc"]),
                         (resource.RLIMIT_NOFILE, lim["nofile"]), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(res, (val, val))
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=False)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace")
        sys.argv = [WORK + "/main.py"]
    except BaseException:
        os._exit(71)
    code = 0
    try:
        exec(src, {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException as e:
        try:  # the row's frames only, not the runner's
            traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        except BaseException:
            pass
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    os._exit(code & 0xFF)
wipe()  # this file (main.py) included: every row starts from the same empty scratch space
put({"ready": True})
for i, line in enumerate(jobs):
    job = json.loads(line)
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(IO, exist_ok=True)
    for name, text in job["files"].items():
        with open(os.path.join(WORK, name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(IO + "/stdin", "w", encoding="utf-8") as f:
        f.write(job["stdin"])
    sys.stdout.flush()
    sys.stderr.flush()
    t0 = time.monotonic()
    pid = None
    for attempt in range(20):
        try:
            pid = os.fork()
            break
        except OSError:  # the sandbox user's process limit, full from another sandbox's fork bomb
            time.sleep(0.05 * (attempt + 1))
    if pid is None:
        put({"i": i, "rc": None, "timed_out": False, "wall": 0.0, "out": "",
             "err": "sandbox could not start the row: the process limit stayed full"})
        continue
    if pid == 0:
        child(job)
    timed_out = False
    try:
        pfd = os.pidfd_open(pid)
        timed_out = not select.select([pfd], [], [], lim["wall_s"])[0]
        os.close(pfd)
    except OSError:
        pass
    if timed_out:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _, status = os.waitpid(pid, 0)
    wall = time.monotonic() - t0
    clean = kill_rest(pid)
    out, err = read(IO + "/out"), read(IO + "/err")
    clean = wipe() and clean
    put({"i": i, "rc": os.waitstatus_to_exitcode(status), "timed_out": timed_out, "wall": wall, "out": out,
         "err": err})
    if not clean and i + 1 < len(jobs):
        put({"restart": True})  # something of this row is left over: the host goes on in a fresh sandbox
        sys.exit(0)
'''


@dataclass(frozen=True)
class Job:
    """One row of a batch: its standard input and the files beside the program in its work directory."""

    stdin: str = ""
    files: Mapping[str, str] | None = None


def _check_names(files: Mapping[str, str]) -> None:
    for name in files:
        if not name or "/" in name or name.startswith(".") or name == "main.py":
            raise ValueError(f"sandbox file name {name!r} must be a plain name (not main.py)")


def run_python_batch(source: str, jobs: list[Job], *, limits: Limits = Limits(), unsafe_no_sandbox: bool = False,
                     on_result=None, start_s: float = 15.0) -> list[RunResult]:
    """Run `source` once per job, each in a fresh process with `limits` of its own, many in one sandbox; one
    RunResult per job, in order (`on_result(index, result)` as each arrives). A job's `wall_s` counts from its fork.
    Never raises for what the code does: a row that breaks a limit, kills the runner or leaves something behind is
    a failed run of that row (or the end of its sandbox), and the rest go on."""
    bwrap = bwrap_path()
    if bwrap is None:
        require_sandbox(unsafe_no_sandbox)
    for j in jobs:
        _check_names(j.files or {})
    results: list[RunResult | None] = [None] * len(jobs)

    def done(i: int, r: RunResult) -> None:
        results[i] = r
        if on_result is not None:
            on_result(i, r)

    start, busy_retries = 0, 0
    while start < len(jobs):
        got, failure = _run_batch_once(bwrap, source, jobs[start:], limits, start_s,
                                       lambda k, r, s=start: done(s + k, r))
        start += got
        if failure is None:  # the runner asked for a fresh sandbox (or finished)
            continue
        why, wall, timed_out, stderr = failure
        if got == 0 and stderr.startswith("bwrap:") and "unavailable" in stderr and busy_retries < 40:
            busy_retries += 1  # a killed sandbox's processes are still being reaped: bubblewrap cannot fork yet
            time.sleep(0.05 * busy_retries)
            continue
        busy_retries = 0
        done(start, RunResult(None, "", f"{why}\n{stderr}"[-2000:], wall, timed_out, bwrap is not None))
        start += 1
    return results  # type: ignore[return-value]


def _run_batch_once(bwrap: str | None, source: str, jobs: list[Job], limits: Limits, start_s: float, done):
    """Start one sandbox on `jobs`; report each finished job through `done(k, RunResult)`. Returns (jobs reported,
    None) when the runner ended cleanly, or (jobs reported, (why, wall_s, timed_out, stderr)) when it died or went
    silent while running job number `jobs reported`."""
    tmp = Path(tempfile.mkdtemp(prefix="proctor-sbx-"))
    got = 0
    proc = None
    fd = None
    try:
        sandboxed = bwrap is not None
        cfg = {"source": source, "limits": {"cpu_s": limits.cpu_s, "memory_mb": limits.memory_mb,
                                            "file_mb": limits.file_mb, "nproc": limits.nproc,
                                            "nofile": limits.nofile, "wall_s": limits.wall_s},
               "pidns": sandboxed, "max_output": _MAX_OUTPUT}
        if sandboxed:
            cfg.update(workdir=WORKDIR, io="/tmp/io")
        else:
            cfg.update(workdir=str(tmp / "work"), io=str(tmp / "io"))
        with open(tmp / "stdin", "w", encoding="utf-8") as f:
            f.write(json.dumps(cfg) + "\n")
            for j in jobs:
                f.write(json.dumps({"stdin": j.stdin, "files": dict(j.files or {})}) + "\n")
        (tmp / "main.py").write_text(_RUNNER, encoding="utf-8")
        py = python_path()
        # the runner itself may use the whole batch's CPU time; each row lowers the limit to its own
        whole = Limits(cpu_s=int(limits.cpu_s + 1 + 0.05 * len(jobs) * (1 + limits.cpu_s)),
                       wall_s=limits.wall_s, memory_mb=limits.memory_mb, file_mb=max(limits.file_mb, 16),
                       nproc=limits.nproc, tmpfs_mb=limits.tmpfs_mb, nofile=limits.nofile)
        if sandboxed:
            fd = os.open(tmp / "main.py", os.O_RDONLY)
            cmd = _bwrap_args(bwrap, limits, {"main.py": fd}) + [py, "-I", "-S", "-B", f"{WORKDIR}/main.py"]
            cwd, env = "/", {"PATH": "/usr/bin:/bin"}
        else:
            cmd, cwd = [py, "-I", "-S", "-B", str(tmp / "main.py")], str(tmp)
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp)}
        drop = os.getuid() == 0 and sandboxed
        if drop:
            os.chmod(tmp, 0o700)
        t0 = time.perf_counter()
        with open(tmp / "stdin", "rb") as fin, open(tmp / "err", "wb") as ferr:
            try:
                proc = subprocess.Popen(cmd, stdin=fin, stdout=subprocess.PIPE, stderr=ferr, cwd=cwd, env=env,
                                        start_new_session=True, pass_fds=(fd,) if fd is not None else (),
                                        preexec_fn=_preexec(whole, drop))
            except BlockingIOError:
                return 0, ("sandbox could not start", 0.0, False, "bwrap: process limit unavailable")
        out = proc.stdout
        assert out is not None
        buf = b""
        deadline = time.monotonic() + start_s
        last = time.perf_counter()
        silent = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                silent = True
                break
            ready, _, _ = select.select([out], [], [], left)
            if not ready:
                continue
            chunk = os.read(out.fileno(), 1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                if d.get("restart") or d.get("ready"):
                    deadline = time.monotonic() + limits.wall_s + _MARGIN_S
                    continue
                if d.get("i") != got:
                    continue
                done(got, RunResult(d["rc"], d["out"], d["err"], float(d["wall"]), bool(d["timed_out"]), sandboxed))
                got += 1
                last = time.perf_counter()
                deadline = time.monotonic() + limits.wall_s + _MARGIN_S
        _kill_group(proc.pid)
        proc.wait()
        _kill_group(proc.pid)
        if got == len(jobs):
            return got, None
        with open(tmp / "err", "rb") as f:
            stderr = f.read(_MAX_OUTPUT).decode("utf-8", errors="replace")
        if proc.returncode == 0 and not silent and got > 0:
            return got, None  # the runner asked for a fresh sandbox after its last row
        if silent:
            why = "wall-clock timeout (the sandbox stopped answering)"
        else:
            why = (f"the sandbox ended while this row ran "
                   f"({RunResult(proc.returncode, '', '', 0, False, True).failure or 'no report'})")
        return got, (why, time.perf_counter() - max(last, t0), silent, stderr)
    finally:
        if proc is not None and proc.poll() is None:
            _kill_group(proc.pid)
            proc.wait()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if fd is not None:
            os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)
