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
"""

from __future__ import annotations

import os
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

__all__ = ["Limits", "RunResult", "SandboxUnavailable", "bwrap_path", "python_path", "require_sandbox",
           "run_python", "sandbox_available"]

WORKDIR = "/tmp/work"
_NOBODY = 65534
_MAX_OUTPUT = 1 << 20  # bytes of stdout / stderr read back


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
