"""`monitor watch`: follows a growing JSONL file, reports malformed lines by number, and survives SIGKILL exactly once:
a run killed mid-stream and restarted ends in the same state and alarm log as one uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, last_json

from proctor.errors import DataError
from proctor.monitor.calibrate import calibrate
from proctor.monitor.drifts import inject_stream
from proctor.monitor.registry import compute_metrics, get_metric
from proctor.monitor.responses import hh_responses
from proctor.monitor.watch import follow

METRICS = ["length_chars", "hedging", "agreement"]
BAD = {7: "this is not json", 100: '{"foo": "no response field"}', 250: "[1, 2, 3]", 251: '{"response": 42}'}


@pytest.fixture(scope="module")
def stream(tmp_path_factory, request):
    root = os.environ.get("PROCTOR_DATA")
    if not root or not Path(root, "anthropic_hh").is_dir():
        pytest.skip("PROCTOR_DATA is not set to the shared data folder")
    tmp = tmp_path_factory.mktemp("watch")
    texts, prompts = hh_responses(root)
    ref = compute_metrics(texts[:1000], prompts[:1000], METRICS)
    cal = calibrate(ref, {m: get_metric(m).kind for m in METRICS}, target_per_10k=50.0, window=50,
                    statistics=("ks", "chi2"), n_sim=100_000)
    cal_path = tmp / "cal.json"
    cal_path.write_text(json.dumps(cal.to_dict()))
    # 1,200 held-out replies; from reply 600 on, a third get verbose filler and a quarter an agreeing opener
    rng = np.random.default_rng(0)
    t, p = texts[1000:2200], prompts[1000:2200]
    t, _ = inject_stream(t, p, "filler", rate=0.35, onset=600, rng=rng)
    t, _ = inject_stream(t, p, "agreement", rate=0.25, onset=600, rng=rng)
    lines, k = [], 0
    for n in range(1, len(t) + len(BAD) + 1):
        if n in BAD:
            lines.append(BAD[n])
        else:
            lines.append(json.dumps({"prompt": p[k], "response": t[k]}))
            k += 1
    return tmp, cal, cal_path, [x + "\n" for x in lines]


def _run_uninterrupted(tmp, cal, lines, name):
    path = tmp / f"{name}.jsonl"
    path.write_text("".join(lines))
    invalid = []
    st = follow(path, cal, state_path=tmp / f"{name}.state", alarms_path=tmp / f"{name}.alarms", follow=False,
                batch_lines=37, on_invalid=lambda n, why: invalid.append(n))
    return st, (tmp / f"{name}.alarms").read_text(), invalid


def test_malformed_lines_are_reported_by_number_and_skipped(stream):
    tmp, cal, _, lines = stream
    st, alarms, invalid = _run_uninterrupted(tmp, cal, lines, "plain")
    assert invalid == sorted(BAD)
    assert (st.line, st.invalid, st.valid) == (len(lines), len(BAD), len(lines) - len(BAD))
    assert st.monitor["n"] == st.valid
    log = [json.loads(x) for x in alarms.splitlines()]
    assert log and len(log) == st.monitor["alarms_total"]
    # the drift starts at reply 600; nearly all alarms come after it
    assert sum(a["index"] >= 600 for a in log) / len(log) > 0.9
    assert any(a["metric"] == "agreement" for a in log) and any(a["metric"] == "length_chars" for a in log)


def test_partial_last_line_waits_for_its_newline(stream, tmp_path):
    _, cal, _, lines = stream
    path = tmp_path / "s.jsonl"
    half = lines[8][: len(lines[8]) // 2]
    path.write_text("".join(lines[:8]) + half)
    kw = dict(state_path=tmp_path / "st", alarms_path=tmp_path / "al", follow=False)
    st = follow(path, cal, **kw)
    assert (st.line, st.invalid) == (8, 1)  # line 7 is bad JSON; the half line 9 is not read yet
    with open(path, "a") as f:
        f.write(lines[8][len(half):])
    st = follow(path, cal, **kw)
    assert (st.line, st.valid, st.invalid) == (9, 8, 1)


def test_truncated_or_replaced_file_is_an_error_not_a_silent_restart(stream, tmp_path):
    _, cal, _, lines = stream
    path = tmp_path / "s.jsonl"
    path.write_text(lines[0][:50] + "\n")  # a first commit shorter than the fingerprinted head
    kw = dict(state_path=tmp_path / "st", alarms_path=tmp_path / "al", follow=False)
    follow(path, cal, **kw)
    with open(path, "a") as f:
        f.write("".join(lines[:20]))
    assert follow(path, cal, **kw).line == 21  # growing is fine
    path.write_text("".join(lines[:5]))
    with pytest.raises(DataError, match="shrank"):
        follow(path, cal, **kw)
    path.write_text("X" + "".join(lines[1:40]))  # same size class, different first bytes
    with pytest.raises(DataError, match="first bytes changed"):
        follow(path, cal, **kw)


def _watch_cmd(path, cal_path, tmp):
    code = "from proctor.monitor.cli import monitor_app; monitor_app()"
    return [sys.executable, "-c", code, "watch", str(path), "--calibration", str(cal_path), "--state",
            str(tmp / "k.state"), "--alarms", str(tmp / "k.alarms"), "--batch-lines", "15", "--poll", "0.02"]


def _committed_lines(state: Path) -> int:
    try:
        return json.loads(state.read_text())["line"]
    except (OSError, ValueError):
        return 0


def test_restart_after_sigkill_loses_and_repeats_no_line(stream):
    tmp, cal, cal_path, lines = stream
    ref_state, ref_alarms, _ = _run_uninterrupted(tmp, cal, lines, "ref")
    path = tmp / "k.jsonl"
    path.write_text("")
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(_watch_cmd(path, cal_path, tmp), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    try:
        # a writer appends in bursts while the watcher follows; it is killed while lines keep arriving
        deadline = time.monotonic() + 30
        with open(path, "a") as f:
            f.write("".join(lines[:30]))
            f.flush()
            written = 30
            while _committed_lines(tmp / "k.state") == 0 and time.monotonic() < deadline:
                time.sleep(0.02)  # the watcher is starting up (interpreter, imports)
            while _committed_lines(tmp / "k.state") < 300 and written < 900 and time.monotonic() < deadline:
                f.write("".join(lines[written: written + 15]))
                f.flush()
                written += 15
                time.sleep(0.01)
        assert _committed_lines(tmp / "k.state") > 0, "the watcher never committed a batch"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    committed = _committed_lines(tmp / "k.state")
    assert 0 < committed < len(lines)
    # the worst instant to die: alarms of an uncommitted batch already in the log, a state temp file half written
    with open(tmp / "k.alarms", "a") as f:
        f.write('{"index": -1, "torn": true}\n')
    (tmp / ".k.state.99999.tmp").write_text('{"line": 10')
    with open(path, "a") as f:
        f.write("".join(lines[written:]))
    done = subprocess.run(_watch_cmd(path, cal_path, tmp) + ["--no-follow", "--json"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    summary = last_json(done)
    state = json.loads((tmp / "k.state").read_text())
    assert (state["line"], state["valid"], state["invalid"]) == (ref_state.line, ref_state.valid, ref_state.invalid)
    assert state["monitor"] == ref_state.monitor  # detector state, windows, counts: as if never interrupted
    assert (tmp / "k.alarms").read_text() == ref_alarms  # no alarm lost, none repeated, the torn one gone
    assert summary["lines"] == len(lines) and summary["invalid"] == len(BAD)
    # lines after the committed offset were re-read by the second run, and only those
    reported = [int(x.split(":")[1]) for x in done.stderr.splitlines() if "skipped invalid line" in x]
    assert reported == [n for n in sorted(BAD) if n > committed]


def test_cli_json_and_escaped_output(stream, tmp_path):
    _, _, cal_path, lines = stream
    path = tmp_path / "s.jsonl"
    # a reply whose JSON is fine but whose "response" is not a string, and a line with rich markup and an escape
    path.write_text("".join(lines[:10]) + '{"response": ["x"]}\n' + '[bold red]\x1b[2J\n')
    res = invoke("monitor", "watch", path, "--calibration", cal_path, "--no-follow", "--json")
    last = last_json(res)
    assert (last["lines"], last["invalid"]) == (12, 3)
    assert "\x1b" not in res.output
    assert ":12: skipped invalid line" in res.output
