"""Follow a growing JSONL file of responses (like `tail -f`), feed a `StreamMonitor`, survive SIGKILL exactly-once.

    follow(Path("responses.jsonl"), calibration, state_path=..., alarms_path=..., follow=True)

Durability: after each batch of complete lines, (1) the alarms of the batch are appended to the alarm log and fsynced,
then (2) the state (byte offset, line number, counts, detector state, the alarm log's committed size) is written with
`proctor.atomic.write_atomic` (a temporary file, fsynced, renamed over the state file). A restart truncates the
alarm log back to the committed size and reads on from the committed offset, so a process killed at any instant
neither loses a line nor counts one twice, and the alarm log never holds an alarm twice.

Only newline-terminated lines are consumed: a writer caught mid-line leaves the partial line for the next read.
A malformed line (bad JSON, no response field) is reported with its 1-based line number and skipped (counted as
invalid). Input is bounded: a line longer than `max_line_bytes` (default 1 MB) is never held in memory: it is read
in chunks up to its newline, skipped, and counted as invalid (and in `too_long`); a batch stops taking lines once
it holds 8 MB, so the memory watching needs does not grow with what the stream contains.
A file that shrinks below the committed offset, or whose first bytes change, was truncated or replaced: that is an
error, not a silent restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from proctor.atomic import write_atomic
from proctor.errors import DataError

from .calibrate import Calibration
from .responses import response_from_row
from .stream import Alarm, StreamMonitor

__all__ = ["WatchState", "calibration_digest", "follow", "load_state"]

_HEAD = 256  # bytes of the file's start fingerprinted to notice a replaced file

#: Longest line (bytes, newline excluded) that `follow` reads; a longer one is skipped and counted invalid.
MAX_LINE_BYTES = 1_000_000
_CHUNK = 1 << 20  # bytes read at a time while skipping an over-long line
_BATCH_BYTES = 8 << 20  # a batch stops collecting lines past this many bytes (or one over-long line's limit)


def calibration_digest(cal: Calibration) -> str:
    return hashlib.sha256(json.dumps(cal.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class WatchState:
    """What a restart needs. `offset` is the byte just after the last consumed newline; `line` its line number."""

    file: str
    calibration: str
    offset: int = 0
    line: int = 0
    valid: int = 0
    invalid: int = 0
    too_long: int = 0
    """Lines skipped for being longer than the limit (also counted in `invalid`)."""
    head: str = ""
    alarms_log_size: int = 0
    monitor: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, allow_nan=False)


def load_state(path: Path) -> WatchState | None:
    if not path.exists():
        return None
    try:
        return WatchState(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as e:
        raise DataError(f"{path}: not a monitor state file ({e}); delete it to start over") from None


def _head_digest(path: Path, upto: int) -> str:
    """"<n>:<sha256 prefix>" of the file's first n = min(256, upto) bytes; later checks hash the same n bytes."""
    n = min(_HEAD, upto)
    with open(path, "rb") as f:
        return f"{n}:{hashlib.sha256(f.read(n)).hexdigest()[:16]}"


class _Stop:
    """SIGTERM / SIGINT ask for a clean stop after the current batch (a KILL needs no handler: state is committed)."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGTERM, signal.SIGINT)}
        return self

    def _handle(self, *_):
        self.requested = True

    def __exit__(self, *exc):
        for s, h in self._old.items():
            signal.signal(s, h)


def follow(path: Path, calibration: Calibration, *, state_path: Path, alarms_path: Path, follow: bool = True,
           poll: float = 0.5, idle_timeout: float | None = None, batch_lines: int = 1000,
           max_lines: int | None = None, text_field: str | None = None, prompt_field: str | None = None,
           max_line_bytes: int = MAX_LINE_BYTES, on_alarm: Callable[[Alarm], None] = lambda a: None,
           on_invalid: Callable[[int, str], None] = lambda n, why: None) -> WatchState:
    """Consume `path` from the committed state on; return the final committed state.

    Without `follow` it stops at the end of the file's complete lines; with it, it polls every `poll` seconds and
    stops after `idle_timeout` seconds without new lines (never, if None), on SIGTERM / SIGINT, or once `max_lines`
    more lines were consumed (tests and batch jobs). A line longer than `max_line_bytes` is skipped without being
    read into memory and counted as invalid.
    """
    if max_line_bytes < 1:
        raise DataError(f"max_line_bytes must be at least 1, got {max_line_bytes}")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    digest = calibration_digest(calibration)
    st = load_state(state_path) or WatchState(file=str(path.resolve()), calibration=digest)
    if st.calibration != digest:
        raise DataError(f"{state_path}: written with a different calibration; use a new --state or the same "
                        f"calibration")
    mon = StreamMonitor.from_state(calibration, st.monitor) if st.monitor else StreamMonitor(calibration)
    # undo alarms of a batch whose state never committed
    alarms_path.touch()
    if alarms_path.stat().st_size > st.alarms_log_size:
        os.truncate(alarms_path, st.alarms_log_size)
    consumed, idle_since = 0, time.monotonic()
    with _Stop() as stop, open(alarms_path, "ab") as log:
        while not stop.requested:
            size = path.stat().st_size
            if size < st.offset:
                raise DataError(f"{path}: shrank to {size} bytes, below the {st.offset} already read (truncated or "
                                f"replaced); use a new --state to start over")
            if st.head and _head_digest(path, int(st.head.split(":", 1)[0])) != st.head:
                raise DataError(f"{path}: its first bytes changed since the last run (file replaced); use a new "
                                f"--state to start over")
            batch = _read_batch(path, st.offset, batch_lines if max_lines is None
                                else min(batch_lines, max_lines - consumed), max_line_bytes)
            if batch is not None:
                raw_lines, end = batch
                new_alarms: list[Alarm] = []
                for raw in raw_lines:
                    st.line += 1
                    if isinstance(raw, int):  # an over-long line, skipped unread: its length
                        st.invalid += 1
                        st.too_long += 1
                        on_invalid(st.line, f"line of {raw:,} bytes is longer than the limit of {max_line_bytes:,} "
                                            f"bytes (--max-line-bytes); skipped")
                        continue
                    if not raw.strip():
                        continue  # blank lines advance the line count but are neither valid nor invalid
                    try:
                        text, prompt = response_from_row(json.loads(raw), text_field, prompt_field)
                    except (ValueError, UnicodeDecodeError) as e:
                        st.invalid += 1
                        on_invalid(st.line, str(e))
                        continue
                    st.valid += 1
                    new_alarms += mon.update(text, prompt, line=st.line)
                for a in new_alarms:
                    log.write((json.dumps(a.to_dict(), allow_nan=False, default=float) + "\n").encode())
                log.flush()
                os.fsync(log.fileno())
                st.offset = end
                st.head = st.head or _head_digest(path, end)
                st.alarms_log_size = log.tell()
                st.monitor = mon.state_dict()
                write_atomic(state_path, st.to_json())
                for a in new_alarms:
                    on_alarm(a)
                consumed += len(raw_lines)
                idle_since = time.monotonic()
                if max_lines is not None and consumed >= max_lines:
                    break
                continue
            if not follow:
                break
            if idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
                break
            time.sleep(poll)
    if not state_path.exists():  # an empty file still leaves a state behind
        st.monitor = mon.state_dict()
        write_atomic(state_path, st.to_json())
    return st


def _read_batch(path: Path, offset: int, max_lines: int,
                max_line_bytes: int = MAX_LINE_BYTES) -> tuple[list[bytes | int], int] | None:
    """Up to `max_lines` complete lines from `offset`: (lines without newlines, offset after the last), or None.

    A line longer than `max_line_bytes` (newline excluded) appears as its length in bytes (an int) instead of its
    bytes: it is read `_CHUNK` bytes at a time up to its newline and dropped, never held whole. A batch stops once
    it holds `max(_BATCH_BYTES, max_line_bytes)` bytes of lines."""
    budget = max(_BATCH_BYTES, max_line_bytes)
    held = 0
    with open(path, "rb") as f:
        f.seek(offset)
        lines: list[bytes | int] = []
        pos = offset
        while len(lines) < max_lines and held < budget:
            raw = f.readline(max_line_bytes + 2)  # the longest allowed line with "\r\n"
            if raw.endswith(b"\n") and len(raw.rstrip(b"\r\n")) <= max_line_bytes:
                pos += len(raw)
                held += len(raw)
                lines.append(raw.rstrip(b"\r\n"))
                continue
            if len(raw) < max_line_bytes + 2 and not raw.endswith(b"\n"):
                break  # end of file, or a line still being written
            # over-long: skip to its newline in bounded chunks
            length = len(raw)
            while not raw.endswith(b"\n"):
                raw = f.readline(_CHUNK)
                if not raw:
                    return (lines, pos) if lines else None  # its newline is not written yet: wait for it
                length += len(raw)
            pos += length
            lines.append(length - (2 if length >= 2 and _ends_crlf(f) else 1))
    return (lines, pos) if lines else None


def _ends_crlf(f) -> bool:
    """Whether the line just read (the file position is after its newline) ended with "\r\n"."""
    here = f.tell()
    f.seek(here - 2)
    crlf = f.read(2) == b"\r\n"
    f.seek(here)
    return crlf
