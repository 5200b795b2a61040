"""Monitor throughput: Proctor's cheap per-response metrics plus a drift detector, against langkit's light metrics,
on the same real responses, in one run.

Proctor: the eight prompt-free metrics of `proctor.monitor` (length in characters and words, type-token ratio, rep-3,
hedging, formatting, refusal, agreement), then a two-sided CUSUM with calibrated thresholds on every metric, in one
Python process (one core). Also timed: the streaming path (`StreamMonitor.update`, one response at a time, CUSUM).
Reference: langkit 0.0.35 `light_metrics` (textstat readability/counts + regex patterns) logged through whylogs, on
the response column only. langkit needs numpy<2, so it runs in its own virtual environment and its own process: the
same texts go to it through a temporary JSON file, and it times itself (imports and a warm-up excluded).

    python -m venv /tmp/langkit-venv && /tmp/langkit-venv/bin/pip install 'langkit==0.0.35' 'numpy<2'
    python benchmarks/monitor_throughput.py            # 20,000 responses
    python benchmarks/monitor_throughput.py --quick    # 4,000 responses

The venv is created on first use if missing (LANGKIT_PYTHON points at another interpreter). Texts: every distinct
assistant turn of the HH-RLHF harmless-base test transcripts (needs PROCTOR_DATA), ~170 characters on average.
Goal: >= 20,000 responses/s per core and >= 5x langkit. Prints one JSON object last; rewrites its block in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402

CHEAP = ["length_chars", "length_tokens", "type_token_ratio", "repetition", "hedging", "formatting", "refusal",
         "agreement"]
LANGKIT_VENV = Path(os.environ.get("LANGKIT_VENV", "/tmp/langkit-venv"))

LANGKIT_SIDE = r"""
import json, sys, time
import pandas as pd
import whylogs as why
from langkit import light_metrics
texts = json.load(open(sys.argv[1]))
schema = light_metrics.init()
why.log(pd.DataFrame({"response": texts[:200]}), schema=schema)  # warm-up: first-call setup, not throughput
t0 = time.perf_counter(); c0 = time.process_time()
profile = why.log(pd.DataFrame({"response": texts}), schema=schema)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
cols = sorted(c for c in profile.view().get_columns() if c.startswith("response."))
print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "rows": len(texts), "metrics": cols}))
"""


def hh_assistant_turns(limit: int) -> list[str]:
    """Distinct assistant turns of the HH-RLHF test transcripts (chosen and rejected), shuffled with a fixed seed."""
    path = Path(os.environ.get("PROCTOR_DATA", "")) / "anthropic_hh" / "test.jsonl.gz"
    seen: dict[str, None] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            for side in ("chosen", "rejected"):
                for turn in row[side].split("\n\nAssistant:")[1:]:
                    text = turn.split("\n\nHuman:")[0].strip()
                    if text:
                        seen.setdefault(text, None)
    texts = list(seen)
    np.random.default_rng(0).shuffle(texts)
    return (texts * (limit // len(texts) + 1))[:limit]


def langkit_python() -> Path:
    py = Path(os.environ.get("LANGKIT_PYTHON", LANGKIT_VENV / "bin" / "python"))
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LANGKIT_VENV)], check=True)
        subprocess.run([str(LANGKIT_VENV / "bin" / "pip"), "install", "-q", "langkit==0.0.35", "numpy<2"],
                       check=True)
    return py


def run_langkit(texts: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp, "texts.json"), Path(tmp, "langkit_side.py")
        data.write_text(json.dumps(texts))
        script.write_text(LANGKIT_SIDE)
        done = subprocess.run([str(langkit_python()), str(script), str(data)], capture_output=True, text=True,
                              check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_proctor(texts: list[str], calib: list[str]) -> dict:
    from proctor.monitor.calibrate import calibrate
    from proctor.monitor.changepoint import cusum_alarms
    from proctor.monitor.registry import compute_metrics, get_metric
    from proctor.monitor.stream import StreamMonitor

    ref = compute_metrics(calib, None, CHEAP)
    cal = calibrate(ref, {m: get_metric(m).kind for m in CHEAP}, target_per_10k=10.0, detectors=("cusum",),
                    statistics=(), n_sim=200_000)
    compute_metrics(texts[:200], None, CHEAP)  # warm-up (regex caches, first allocations)

    t0, c0 = time.perf_counter(), time.process_time()
    vals = compute_metrics(texts, None, CHEAP)
    alarms = 0
    for m in CHEAP:
        r = cal.metrics[m]
        alarms += cusum_alarms((vals[m] - r.mean) / r.sd, cal.thresholds[f"cusum:{m}"]).size
    batch_wall, batch_cpu = time.perf_counter() - t0, time.process_time() - c0

    mon = StreamMonitor(cal)
    t0 = time.perf_counter()
    for t in texts:
        mon.update(t)
    stream_wall = time.perf_counter() - t0
    return {"seconds": batch_wall, "cpu_seconds": batch_cpu, "rows": len(texts), "alarms": int(alarms),
            "stream_seconds": stream_wall, "stream_alarms": mon.alarms_total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4,000 responses instead of 20,000")
    args = ap.parse_args()
    n = 4000 if args.quick else 20_000
    texts = hh_assistant_turns(n + 2000)
    calib, texts = texts[:2000], texts[2000:]
    lk = run_langkit(texts)
    pr = run_proctor(texts, calib)
    # per core: both sides run single-threaded in one process; rows per CPU-second is the per-core rate
    ours, theirs = pr["rows"] / pr["cpu_seconds"], lk["rows"] / lk["cpu_seconds"]
    ratio = ours / theirs
    result = {
        "benchmark": "monitor_throughput",
        "proctor": {"responses_per_s_per_core": ours, "responses_per_s_wall": pr["rows"] / pr["seconds"],
                    "streaming_responses_per_s_wall": pr["rows"] / pr["stream_seconds"], "metrics": CHEAP,
                    "detector": "cusum on every metric", "alarms": pr["alarms"]},
        "reference": {"name": "langkit 0.0.35 light_metrics (whylogs)", "responses_per_s_per_core": theirs,
                      "responses_per_s_wall": lk["rows"] / lk["seconds"], "metrics": len(lk["metrics"])},
        "ratio": ratio,
        "goal": {"responses_per_s_per_core": 20_000, "ratio": 5.0},
        "meets_goal": bool(ours >= 20_000 and ratio >= 5.0),
        "device": f"CPU ({platform.processor() or platform.machine()}), 1 process, {os.cpu_count()} cores visible",
        "responses": pr["rows"],
        "mean_chars": float(np.mean([len(t) for t in texts])),
        "quick": args.quick,
    }
    lk_wall, verdict = lk["rows"] / lk["seconds"], "met" if result["meets_goal"] else "NOT met"
    record("monitor_throughput", f"""## Monitor throughput{' (--quick)' if args.quick else ''}

{pr['rows']:,} HH-RLHF assistant turns (mean {result['mean_chars']:.0f} characters), one process each side.

| | responses/s per core (CPU time) | responses/s (wall) |
|---|---|---|
| Proctor: 8 cheap metrics + CUSUM on each (batch) | {ours:,.0f} | {pr['rows'] / pr['seconds']:,.0f} |
| Proctor: same, streaming `StreamMonitor.update` | | {pr['rows'] / pr['stream_seconds']:,.0f} |
| langkit 0.0.35 light metrics via whylogs ({len(lk['metrics'])} columns) | {theirs:,.0f} | {lk_wall:,.0f} |

Ratio {ratio:.1f}x (goal >= 5x); Proctor {ours:,.0f}/s per core (goal >= 20,000): {verdict}.
The metric sets differ: langkit computes readability scores (syllable counting) that Proctor does not; Proctor
computes repetition, hedging, agreement and a detector that langkit does not.""")
    emit(result)


if __name__ == "__main__":
    main()
