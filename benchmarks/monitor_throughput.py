"""Monitor throughput: Proctor's per-response metrics against langkit's, on the same real responses, in one run,
like for like.

The headline compares the metrics both libraries compute: the length of a response in characters and in words
(Proctor `length_chars`, `length_tokens`; langkit `character_count`, `lexicon_count`, from textstat), each library's
own batch path, no profiling, no detector. Beside it, information only: each side's whole light set (Proctor: the eight
prompt-free metrics, length in characters and words, type-token ratio, rep-3, hedging, formatting, refusal,
agreement, plus a calibrated two-sided CUSUM on each; langkit 0.0.35 `light_metrics`: textstat readability and
counts, regex patterns, as UDFs through langkit's `extract`), which compute different things; the whylogs profile that
langkit's usual `why.log` adds on top of its UDFs, timed as its own row; and Proctor's streaming path
(`StreamMonitor.update`, one response at a time). langkit needs numpy<2, so it runs in its own virtual environment and
its own process: the same texts go to it through a temporary JSON file, and it times itself (imports and a warm-up
excluded).

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

SHARED = {"length_chars": "response.character_count", "length_tokens": "response.lexicon_count"}
"""The metrics both libraries compute (Proctor's name: langkit's column)."""

LANGKIT_SIDE = r"""
import json, sys, time
import pandas as pd
import whylogs as why
from langkit import light_metrics
from langkit.extract import extract
from whylogs.experimental.core.udf_schema import UdfSchema
texts, shared = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
schema = light_metrics.init()
only = UdfSchema(udf_specs=[s for s in schema.multicolumn_udfs if set(s.udfs) & set(shared)])
df, warm = pd.DataFrame({"response": texts}), pd.DataFrame({"response": texts[:200]})
for run in (lambda d: extract(d, only), lambda d: extract(d, schema), lambda d: why.log(d, schema=schema)):
    run(warm)  # warm-up: first-call setup, not throughput
why.log(extract(warm, schema))
out, enhanced = {"rows": len(texts)}, None
# "profile": whylogs alone, profiling the columns the UDFs produced (what why.log adds on top of them)
for name, run in (("shared", lambda: extract(df, only)), ("udfs", lambda: extract(df, schema)),
                  ("profile", lambda: why.log(enhanced)), ("log", lambda: why.log(df, schema=schema))):
    t0, c0 = time.perf_counter(), time.process_time()
    res = run()
    out[name] = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
    if name in ("shared", "udfs"):
        out[name]["metrics"] = sorted(c for c in res.columns if c.startswith("response."))
    if name == "udfs":
        enhanced = res
assert set(out["shared"]["metrics"]) == set(shared), out["shared"]["metrics"]
print(json.dumps(out))
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
        done = subprocess.run([str(langkit_python()), str(script), str(data), json.dumps(list(SHARED.values()))],
                              capture_output=True, text=True, check=True)
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
    compute_metrics(texts, None, list(SHARED))
    shared_wall, shared_cpu = time.perf_counter() - t0, time.process_time() - c0

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
            "stream_seconds": stream_wall, "stream_alarms": mon.alarms_total,
            "shared": {"seconds": shared_wall, "cpu_seconds": shared_cpu}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4,000 responses instead of 20,000")
    args = ap.parse_args()
    n = 4000 if args.quick else 20_000
    texts = hh_assistant_turns(n + 2000)
    calib, texts = texts[:2000], texts[2000:]
    lk = run_langkit(texts)
    pr = run_proctor(texts, calib)
    rows = pr["rows"]
    # per core: both sides run single-threaded in one process; rows per CPU-second is the per-core rate
    rate = lambda t: rows / t["cpu_seconds"]  # noqa: E731
    wall = lambda t: rows / t["seconds"]  # noqa: E731
    ours, theirs = rate(pr["shared"]), rate(lk["shared"])
    ratio = ours / theirs
    full_ours, full_theirs = rows / pr["cpu_seconds"], rate(lk["udfs"])
    profile_cpu = lk["profile"]["cpu_seconds"]
    result = {
        "benchmark": "monitor_throughput",
        "compared": "the metrics both compute: length in characters and in words (no profiling, no detector)",
        "proctor": {"responses_per_s_per_core": ours, "responses_per_s_wall": wall(pr["shared"]),
                    "metrics": list(SHARED), "full_set": {
                        "metrics": CHEAP, "detector": "cusum on every metric", "responses_per_s_per_core": full_ours,
                        "responses_per_s_wall": rows / pr["seconds"], "alarms": pr["alarms"],
                        "streaming_responses_per_s_wall": rows / pr["stream_seconds"]}},
        "reference": {"name": "langkit 0.0.35 (textstat UDFs through langkit.extract)",
                      "responses_per_s_per_core": theirs, "responses_per_s_wall": wall(lk["shared"]),
                      "metrics": lk["shared"]["metrics"], "full_set": {
                          "name": "light_metrics", "metrics": lk["udfs"]["metrics"],
                          "responses_per_s_per_core": full_theirs, "responses_per_s_wall": wall(lk["udfs"]),
                          "with_whylogs_profile_per_core": rate(lk["log"]),
                          "whylogs_profile_alone_per_core": rate(lk["profile"]),
                          "whylogs_profile_share_of_cpu": profile_cpu / (profile_cpu + lk["udfs"]["cpu_seconds"])}},
        "ratio": ratio,
        "ratio_full_sets_information": full_ours / full_theirs,
        "goal": {"responses_per_s_per_core": 20_000, "ratio": 5.0},
        "meets_goal": bool(ours >= 20_000 and ratio >= 5.0),
        "device": f"CPU ({platform.processor() or platform.machine()}), 1 process, {os.cpu_count()} cores visible",
        "responses": rows,
        "mean_chars": float(np.mean([len(t) for t in texts])),
        "quick": args.quick,
    }
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    share = result["reference"]["full_set"]["whylogs_profile_share_of_cpu"]
    record("monitor_throughput" + ("_quick" if args.quick else ""), f"""## Monitor throughput{' (--quick)' if args.quick else ''}

{rows:,} HH-RLHF assistant turns (mean {result['mean_chars']:.0f} characters), one process each side; responses per
second of CPU time (per core) and of wall time.

| what is computed | Proctor per core | Proctor wall | langkit per core | langkit wall | Proctor / langkit |
|---|---|---|---|---|---|
| **the same metrics: length in characters and in words** | {ours:,.0f} | {wall(pr['shared']):,.0f} | {theirs:,.0f} | {wall(lk['shared']):,.0f} | **{ratio:.1f}x** |
| each side's light set (information: different metrics) | {full_ours:,.0f} | {rows / pr['seconds']:,.0f} | {full_theirs:,.0f} | {wall(lk['udfs']):,.0f} | {full_ours / full_theirs:.1f}x |
| langkit's light set plus its whylogs profile (`why.log`) | | | {rate(lk['log']):,.0f} | {wall(lk['log']):,.0f} | |
| whylogs alone: profiling those {len(lk['udfs']['metrics']) + 1} columns | | | {rate(lk['profile']):,.0f} | {wall(lk['profile']):,.0f} | |
| Proctor's light set, streaming `StreamMonitor.update` | | {rows / pr['stream_seconds']:,.0f} | | | |

Headline: the first row, the metrics both compute (Proctor `length_chars`, `length_tokens`; langkit/textstat
`character_count`, `lexicon_count`), each library's batch path, neither profiling nor a detector: {ratio:.1f}x (goal
>= 5x: {met(ratio >= 5)}); Proctor {ours:,.0f}/s per core on them (goal >= 20,000: {met(ours >= 20_000)}).
The second row compares sets that differ and is no like-for-like ratio: Proctor's {len(CHEAP)} metrics (type-token
ratio, repetition, hedging, formatting, refusal, agreement among them) plus CUSUM on each, against langkit's
{len(lk['udfs']['metrics'])} columns (readability scores with syllable counting, regex patterns). Profiling the
UDFs' output with whylogs takes {share:.1%} of langkit's CPU time (UDFs + profile, timed apart): langkit's cost is its
textstat UDFs, not whylogs.""")
    emit(result)


if __name__ == "__main__":
    main()
