"""`monitor watch` bounds its input: a line longer than --max-line-bytes (default 1 MB) is skipped without being read
into memory, counted as invalid (and as `too_long`), and the lines around it are read as usual. A 60 MB line keeps
the process's peak memory near that of a small file (measured with getrusage in a subprocess)."""

import inspect
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import invoke, last_json

from proctor.monitor.calibrate import calibrate
from proctor.monitor.registry import compute_metrics, get_metric
from proctor.monitor.watch import MAX_LINE_BYTES, follow

METRICS = ["length_chars"]


@pytest.fixture(scope="module")
def cal_path(tmp_path_factory):
    rng = np.random.default_rng(0)
    texts = [" ".join(["word"] * int(n)) for n in rng.integers(5, 60, size=300)]
    cal = calibrate(compute_metrics(texts, None, METRICS), {m: get_metric(m).kind for m in METRICS},
                    target_per_10k=10.0, window=50, statistics=("ks",), n_sim=2000)
    path = tmp_path_factory.mktemp("cal") / "cal.json"
    path.write_text(json.dumps(cal.to_dict()))
    return path


def _cal(path):
    from proctor.monitor.calibrate import Calibration

    return Calibration.from_dict(json.loads(path.read_text()))


def _line(text: str) -> bytes:
    return (json.dumps({"response": text}) + "\n").encode()


def _follow(path, cal_path, tmp_path, **kw):
    invalid = []
    st = follow(path, _cal(cal_path), state_path=tmp_path / "st", alarms_path=tmp_path / "al", follow=False,
                on_invalid=lambda n, why: invalid.append((n, why)), **kw)
    return st, invalid


def test_over_long_line_is_skipped_and_counted_invalid(cal_path, tmp_path):
    path = tmp_path / "s.jsonl"
    long_line = _line("x" * 3000)
    path.write_bytes(_line("short one") + long_line + b"\n" + _line("another short one") + long_line)
    st, invalid = _follow(path, cal_path, tmp_path, max_line_bytes=1000, batch_lines=2)
    # line 3 is blank (neither valid nor invalid); 2 and 5 are too long; 1 and 4 are read
    assert (st.line, st.valid, st.invalid, st.too_long) == (5, 2, 2, 2)
    assert [n for n, _ in invalid] == [2, 5]
    assert f"{len(long_line) - 1:,} bytes" in invalid[0][1] and "1,000" in invalid[0][1]
    assert st.offset == path.stat().st_size


def test_limit_is_exact_and_crlf_is_not_counted(cal_path, tmp_path):
    line = _line("abc")  # {"response": "abc"}\n
    n = len(line) - 1
    for limit, too_long in ((n, 0), (n - 1, 1)):
        for ending in (b"\n", b"\r\n"):
            case = tmp_path / f"{limit}-{len(ending)}"
            case.mkdir()
            path = case / "s.jsonl"
            path.write_bytes((line[:-1] + ending) * 3)
            st, _ = _follow(path, cal_path, case, max_line_bytes=limit)
            assert (st.too_long, st.valid, st.line) == (3 * too_long, 3 * (1 - too_long), 3), (limit, ending)
            assert st.offset == path.stat().st_size


def test_over_long_line_still_being_written_waits_for_its_newline(cal_path, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(_line("first") + b'{"response": "' + b"y" * 5000)  # no newline yet
    st, _ = _follow(path, cal_path, tmp_path, max_line_bytes=100)
    assert (st.line, st.valid, st.too_long) == (1, 1, 0)
    with open(path, "ab") as f:
        f.write(b'"}\n' + _line("after"))
    st, invalid = _follow(path, cal_path, tmp_path, max_line_bytes=100)
    assert (st.line, st.valid, st.too_long) == (3, 2, 1) and [n for n, _ in invalid] == [2]


def test_cli_reports_too_long_in_json(cal_path, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(_line("ok") + _line("z" * 500) + _line("ok again"))
    res = invoke("monitor", "watch", path, "--calibration", cal_path, "--no-follow", "--max-line-bytes", 100,
                 "--json")
    out = last_json(res)
    assert (out["lines"], out["valid"], out["invalid"], out["too_long"]) == (3, 2, 1, 1)
    assert out["max_line_bytes"] == 100 and "longer than the limit" in res.stderr
    assert "--max-line-bytes" in invoke("monitor", "watch", "--help").stdout
    from proctor.monitor.cli import watch

    assert inspect.signature(watch).parameters["max_line_bytes"].default == MAX_LINE_BYTES == 1_000_000


_PEAK = """
import resource, sys
from proctor.monitor.cli import monitor_app
try:
    monitor_app(sys.argv[1:], standalone_mode=False)
finally:
    print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _peak_kb(path, cal_path, tmp_path) -> tuple[int, dict]:
    res = subprocess.run([sys.executable, "-c", _PEAK, "watch", str(path), "--calibration", str(cal_path),
                          "--state", str(tmp_path / f"{path.stem}.state"), "--alarms",
                          str(tmp_path / f"{path.stem}.alarms"), "--no-follow", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    peak = [int(x.split()[1]) for x in res.stderr.splitlines() if x.startswith("PEAK_KB")]
    return peak[0], last_json(res)


def test_a_60_mb_line_is_invalid_and_memory_stays_bounded(cal_path, tmp_path):
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    body = _line("a normal reply") * 20
    small.write_bytes(body)
    with open(big, "wb") as f:
        f.write(body)
        f.write(b'{"response": "')
        chunk = b"x" * (1 << 20)
        for _ in range(60):
            f.write(chunk)
        f.write(b'"}\n')
        f.write(body)
    base_kb, _ = _peak_kb(small, cal_path, tmp_path)
    big_kb, out = _peak_kb(big, cal_path, tmp_path)
    assert (out["lines"], out["valid"], out["invalid"], out["too_long"]) == (41, 40, 1, 1)
    # reading the line whole would cost at least 60 MB (a bytes copy, then the decoded str): allow 16 MB of noise
    assert big_kb - base_kb < 16 * 1024, (base_kb, big_kb)
