"""Debate throughput: N debates through inspect-ai against a local OpenAI-compatible server with a fixed latency.

Proctor's `proctor.debate` runs each debate (Algorithm 18.7.1: two openings, R simultaneous rebuttal rounds, one
judge call) as an inspect sample; every call goes through inspect's `openai-api` provider to
`proctor.llm.local_server` (127.0.0.1, a fixed per-request latency, standing for a vLLM server). The server measures
requests in flight (time-weighted mean between the first request and the last reply, and the peak).

Reference, in the same run: (1) the configured connection limit C (the most a correct client can keep in flight);
(2) the first run's wall time. Goals: mean requests in flight >= 0.9 x C, and a rerun of the same command served
from inspect's response cache in <= 5% of the first run's time (with zero requests reaching the server).

    python benchmarks/debate_throughput.py            # 64 debates, R=1, C=16, 2.0 s per request (~45 s)
    python benchmarks/debate_throughput.py --quick    # 24 debates, R=1, C=8, 1.0 s per request (~20 s)

Prints one JSON object last; rewrites its block in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402


def run_once(items, server, connections: int, rounds: int, tmp: str, reuse: bool = True):
    from proctor.debate.judged import run_protocol
    from proctor.debate.protocols import ProtocolConfig
    from proctor.llm import generate_config, role_model

    cfg = generate_config(max_connections=connections, max_retries=2, timeout=120)
    model = role_model("openai-api/local/bench", cfg, base_url=server.base_url)
    t0 = time.perf_counter()
    recs, run = run_protocol(items, ProtocolConfig("debate", rounds=rounds), {r: model for r in
                             ("debater_a", "debater_b", "judge")}, config=cfg, log_dir=f"{tmp}/logs",
                             max_samples=4 * connections, reuse=reuse)
    return time.perf_counter() - t0, recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--debates", type=int)
    ap.add_argument("--connections", type=int)
    ap.add_argument("--latency", type=float)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-record", action="store_true", help="Do not rewrite docs/benchmarks.md.")
    a = ap.parse_args()
    n = a.debates or (24 if a.quick else 64)
    c = a.connections or (8 if a.quick else 16)
    lat = a.latency if a.latency is not None else (1.0 if a.quick else 2.0)

    tmp = tempfile.mkdtemp(prefix="debate-bench-")
    os.environ["INSPECT_CACHE_DIR"] = f"{tmp}/cache"  # a fresh cache: the first run really goes to the server
    os.environ.setdefault("LOCAL_API_KEY", "benchmark")
    from proctor.debate.data import DebateItem
    from proctor.llm.local_server import LocalChatServer, Reply

    def reply(body):
        text = body["messages"][-1]["content"]
        if "Debate transcript:" in text:
            return Reply(content="<answer>A</answer>\n<probability>0.6</probability>")
        return Reply(content="My answer is right: <quote>the passage says so</quote>.")

    items = [DebateItem(f"q{i}", f"Question {i}: which answer is right?", f"right {i}", f"wrong {i}",
                        "The passage says so. " * 20) for i in range(n)]
    calls_per_debate = 2 * (a.rounds + 1) + 1
    with LocalChatServer(reply, latency=lat) as server:
        first, recs = run_once(items, server, c, a.rounds, tmp)
        mean_inflight, peak, sent = server.mean_inflight(), server.peak_inflight, len(server.requests)
        server.reset_stats()
        second, recs2 = run_once(items, server, c, a.rounds, tmp)  # the same command: finished samples from the log
        resent = len(server.requests)
        server.reset_stats()
        cache_only, recs3 = run_once(items, server, c, a.rounds, tmp, reuse=False)  # every call from the cache
        resent += len(server.requests)
    failed = sum(r["failed"] for r in recs + recs2 + recs3)
    floor = n * calls_per_debate * lat / c  # all requests at exactly C in flight
    ratio_inflight = mean_inflight / c
    ratio_rerun = second / first
    same = [r["choice"] for r in recs] == [r["choice"] for r in recs2] == [r["choice"] for r in recs3]
    complete = len(recs) == len(recs2) == len(recs3) == n and same  # reruns return every debate, same verdicts
    meets = ratio_inflight >= 0.9 and ratio_rerun <= 0.05 and resent == 0 and failed == 0 and complete
    result = {"benchmark": "debate_throughput", "proctor": {"mean_inflight": mean_inflight, "peak_inflight": peak,
              "first_run_s": first, "rerun_s": second, "rerun_cache_only_s": cache_only, "requests": sent,
              "rerun_requests": resent, "cache_only_over_first": cache_only / first,
              "failed": failed, "reruns_complete_and_identical": complete}, "reference": {"connections": c, "latency_s": lat, "floor_s": floor},
              "ratio": {"inflight_over_limit": ratio_inflight, "rerun_over_first": ratio_rerun},
              "goal": "mean in flight >= 0.9 x connection limit; cached rerun <= 5% of first run, 0 requests",
              "meets_goal": meets, "device": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
              "debates": n, "rounds": a.rounds, "quick": a.quick}
    if not a.no_record:
        record("debate_throughput" + ("_quick" if a.quick else ""), f"""## Debate throughput{' (--quick)' if a.quick else ''}

{n} debates (R={a.rounds}: {calls_per_debate} calls each, {sent} requests) through inspect-ai's `openai-api` provider to
a local OpenAI-compatible server answering after {lat:g} s; connection limit C = {c}.

| | Proctor (inspect-ai) | reference | ratio | goal |
|---|---|---|---|---|
| mean requests in flight | {mean_inflight:.2f} (peak {peak}) | C = {c} | {ratio_inflight:.3f} | >= 0.9 |
| first run, wall | {first:.1f} s | floor {floor:.1f} s (all requests at C in flight) | {floor / first:.3f} of floor speed | |
| rerun of the same command (finished samples from the log) | {second:.2f} s | first run {first:.1f} s | {ratio_rerun:.3f} | <= 0.05 |
| rerun with `--no-reuse` (every call from inspect's response cache) | {cache_only:.2f} s | first run {first:.1f} s | {cache_only / first:.3f} | |
| requests reaching the server in both reruns | {resent} | | | 0 |

Goal met: {"yes" if meets else "no"}. Failed samples: {failed}. Both reruns returned all {n} debates with the
first run's verdicts: {"yes" if complete else "NO"}. Timed on a shared machine while other jobs ran; rerun
`python benchmarks/debate_throughput.py` on a quiet one.""")
    emit(result)


if __name__ == "__main__":
    main()
