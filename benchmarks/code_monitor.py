"""Code monitor throughput (issue 19): static-only rows/s, and sandboxed dynamic rows/s against the floor of a bare
`python -c` subprocess per row, in the same run, one row at a time (one core).

Rows: hacked and honest variants of HumanEval solutions (proctor.monitor.code.variants), needs PROCTOR_DATA.
Static: `score_row(dynamic=False)` (parse the tests and the code, AST signals, score). Dynamic:
`score_rows(dynamic=True, workers=1)`: static plus the harness (visible tests, perturbed inputs, the reference) for
every row, the rows run up to 64 to a bubblewrap sandbox, each in its own forked process with its own rlimits and
wall-clock limit (proctor.sandbox.run_python_batch), one sandbox at a time. Floor, like for like: the same harness
with the same payload (the row's code, tests, probes and reference) run by a bare `python3 -I -S -c HARNESS`
subprocess per row, no sandbox, no limits: the least it can cost to run each row's checks in a fresh process.
Also timed, for context: `python3 -I -S -c pass` per row (interpreter start alone, which does none of the row's
work), one sandbox per row (`run_python("pass")`) and the batched sandbox alone (`run_python_batch("pass", ...)`:
forking, limits, cleaning up after each row).
Goals: static >= 2,000 rows/s per core; sandboxed dynamic >= 0.5 of the floor's rows/s.

    python benchmarks/code_monitor.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    from proctor.monitor.code.detector import score_row, score_rows
    from proctor.monitor.code.dynamic import _HARNESS, _payload, probe_inputs
    from proctor.monitor.code.variants import load_humaneval, variant_rows
    from proctor.sandbox import Job, python_path, run_python, run_python_batch

    n_dyn = 30 if a.quick else 120
    rows = [r for r, _ in variant_rows(load_humaneval(), seed=0)]
    static_rows = rows if not a.quick else rows[:600]
    for r in static_rows[:50]:
        score_row(r, dynamic=False)  # warm-up
    c0, t0 = time.process_time(), time.perf_counter()
    for r in static_rows:
        score_row(r, dynamic=False)
    static_cpu = time.process_time() - c0
    static_rps = len(static_rows) / static_cpu
    static_wall_rps = len(static_rows) / (time.perf_counter() - t0)

    dyn_rows = rows[:: max(1, len(rows) // n_dyn)][:n_dyn]
    py = python_path()
    t0 = time.perf_counter()
    for _ in dyn_rows:
        subprocess.run([py, "-I", "-S", "-c", "pass"], check=True)
    start_rps = len(dyn_rows) / (time.perf_counter() - t0)
    jobs = [_payload(r.code, r.suite, r.reference, probe_inputs(r.suite, seed=0))[0] for r in dyn_rows]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for k, job in enumerate(jobs):
            work = Path(tmp) / str(k)
            work.mkdir()
            for name, text in job.files.items():
                (work / name).write_text(text)
            subprocess.run([py, "-I", "-S", "-c", _HARNESS], input=job.stdin, cwd=work, capture_output=True,
                           text=True, timeout=60)
        floor_rps = len(dyn_rows) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in dyn_rows:
        run_python("pass")
    sandbox_only_rps = len(dyn_rows) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    assert all(r.ok for r in run_python_batch("pass", [Job()] * len(dyn_rows)))
    batch_only_rps = len(dyn_rows) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    scored = score_rows(dyn_rows, dynamic=True, workers=1)
    dyn_rps = len(dyn_rows) / (time.perf_counter() - t0)
    failed = sum(1 for d in scored if d.get("run_failure"))

    ratio = dyn_rps / floor_rps
    meets = static_rps >= 2000 and ratio >= 0.5
    device = f"{platform.processor() or platform.machine()}, 1 core (serial)"
    res = {"benchmark": "code_monitor", "proctor": dyn_rps, "reference": floor_rps, "ratio": ratio,
           "goal": "static >= 2000 rows/s per core; sandboxed dynamic >= 0.5 x the same checks in a bare python -c",
           "meets_goal": meets, "device": device, "static_rows_per_cpu_s": static_rps,
           "static_rows_per_wall_s": static_wall_rps, "sandbox_only_rows_per_s": sandbox_only_rps,
           "batched_sandbox_only_rows_per_s": batch_only_rps, "python_start_rows_per_s": start_rps,
           "ratio_to_python_start": dyn_rps / start_rps, "dynamic_failed_runs": failed,
           "static_rows": len(static_rows), "dynamic_rows": len(dyn_rows), "quick": a.quick,
           "load_average_1min": os.getloadavg()[0]}
    record("code_monitor" + ("_quick" if a.quick else ""), f"""## Code monitor (`benchmarks/code_monitor.py{' --quick' if a.quick else ''}`)

| what | rows/s | rows |
|---|---:|---:|
| static only (per CPU second) | {static_rps:,.0f} | {len(static_rows):,} |
| sandboxed dynamic (harness + reference + probes, a forked process per row, 64 rows per bubblewrap) | {dyn_rps:,.2f} | {len(dyn_rows)} |
| batched sandbox alone (`run_python_batch("pass")`) | {batch_only_rps:,.2f} | {len(dyn_rows)} |
| one bubblewrap per row (`run_python("pass")`) | {sandbox_only_rps:,.2f} | {len(dyn_rows)} |
| floor: the same checks in a bare `python -c` subprocess per row (no sandbox) | {floor_rps:,.2f} | {len(dyn_rows)} |
| interpreter start alone: `python -c pass` per row | {start_rps:,.2f} | {len(dyn_rows)} |

Sandboxed dynamic / floor = **{ratio:.2f}** (goal >= 0.5; against interpreter start alone, which runs none of the
rows' checks: {dyn_rps / start_rps:.2f}); static {static_rps:,.0f} rows/s (goal >= 2,000).
{failed} of the {len(dyn_rows)} dynamic rows were failed runs (a limit hit). Timed on a machine shared with other
jobs (1-minute load average {os.getloadavg()[0]:.1f} at the end of the run): rates move by tens of percent from run
to run; the ratio, timed in the same run, moves less.
Goal met: **{'yes' if meets else 'no'}**. Device: {device}.""")
    emit(res)


if __name__ == "__main__":
    main()
