"""Study server under load: N simulated judges take a study at once through the JSON API (httpx.AsyncClient against
`proctor study serve` on 127.0.0.1, SQLite in WAL mode), against the same server answering a static page (the floor).

Each judge loops GET /api/next -> read -> POST /api/judgments until its queue is empty (reading: an exponential time
of mean --think seconds, 1 by default; people take minutes); every 10th judgment is posted twice
(the repeat must be answered 200 and stored once). Reported: judgments/s, p50 / p99 latency of the judgment POSTs,
and lost (acknowledged but not in the database) and duplicated (stored more than once, or stored unacknowledged)
judgments, which must be 0. The floor: the same number of concurrent clients each fetching /ping as often. Bounded
in count (judges x items per judge) and in time (--timeout). Goal: p99 < 250 ms at 50 concurrent judges. The closed
loop (--think 0: every judge's next request the moment the last is answered) is measured beside it, as saturation.

    python benchmarks/study_load.py            # 50 judges x 20 judgments
    python benchmarks/study_load.py --quick    # 20 judges x 5 judgments

Prints one JSON object last; rewrites its block in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402


def make_study(root: Path, judges: int, per_judge: int) -> Path:
    """A study in which every one of `judges` judges gets `per_judge` items (3 protocols per question)."""
    from proctor.study.items import load_import
    from proctor.study.spec import StudyConfig
    from proctor.study.study import init_study

    per_item = 2
    questions = -(-judges * per_judge // (3 * per_item))
    rows = []
    for q in range(questions):
        base = {"question": f"Question {q}: which is right?", "answers": ["left", "right"], "correct": q % 2,
                "question_id": f"q{q}", "story": "The answer is left. " * 20}
        rows += [base | {"id": f"{p}-{q}", "protocol": p,
                         "turns": [] if p == "naive" else [{"speaker": "Debater", "side": 0,
                                                            "text": "It says <quote>The answer is left</quote>."}]}
                 for p in ("debate", "consultancy", "naive")]
    f = root / "items.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    study = root / "study"
    init_study(study, load_import(f), StudyConfig(name="load", judges=judges, judges_per_item=per_item))
    return study


async def judge_loop(client, token: str, lat: list, acked: list, repeats: list, deadline: float,
                     think: float = 0.0, rng=None) -> None:
    """One simulated judge: fetch the next item, read it for an exponentially distributed time of mean `think`
    seconds (0: answer at once), post a judgment; until the queue is empty."""
    auth = {"Authorization": f"Bearer {token}"}
    n = 0
    while time.monotonic() < deadline:
        r = await client.get("/api/next", headers=auth)
        if r.status_code == 204:
            return
        r.raise_for_status()
        if think > 0:
            await asyncio.sleep(rng.expovariate(1.0 / think))
        body = {"item": r.json()["item"], "p_a": 0.7, "explanation": "load test"}
        t = time.perf_counter()
        r = await client.post("/api/judgments", json=body, headers=auth)
        lat.append(time.perf_counter() - t)
        if r.status_code == 201:
            acked.append((token, body["item"]))
        n += 1
        if n % 10 == 0:
            again = await client.post("/api/judgments", json=body, headers=auth)
            repeats.append(again.status_code)


async def floor_loop(client, count: int, lat: list, think: float = 0.0, rng=None) -> None:
    for _ in range(count):
        if think > 0:
            await asyncio.sleep(rng.expovariate(1.0 / think))
        t = time.perf_counter()
        r = await client.get("/ping")
        lat.append(time.perf_counter() - t)
        r.raise_for_status()


async def drive(url: str, tokens: list[str], per_judge: int, timeout: float, think: float = 0.0, seed: int = 0):
    import random

    import httpx

    limits = httpx.Limits(max_connections=len(tokens) + 5, max_keepalive_connections=len(tokens) + 5)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        floor: list[float] = []
        await asyncio.gather(*(floor_loop(client, per_judge, floor, think, random.Random(-1 - i))
                               for i in range(len(tokens))))
        lat: list[float] = []
        acked: list = []
        repeats: list[int] = []
        start = time.perf_counter()
        deadline = time.monotonic() + timeout
        await asyncio.gather(*(judge_loop(client, t, lat, acked, repeats, deadline, think, random.Random(seed + i))
                               for i, t in enumerate(tokens)))
        wall = time.perf_counter() - start
    return floor, lat, acked, repeats, wall


def pct(xs, q):
    import numpy as np

    return float(np.quantile(np.asarray(xs), q)) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 judges x 5 judgments")
    ap.add_argument("--judges", type=int, default=None)
    ap.add_argument("--per-judge", type=int, default=None)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds the judges may run")
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean seconds a simulated judge reads an item before answering (exponential; people take "
                         "minutes); the goal is measured at this pace, and the closed loop (0) is reported beside it")
    ap.add_argument("--no-record", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = ap.parse_args()
    judges = args.judges or (20 if args.quick else 50)
    per_judge = args.per_judge or (5 if args.quick else 20)

    think_runs = [measure(judges, per_judge, args.timeout, think) for think in dict.fromkeys([args.think, 0.0])]
    goal_ms = 250.0
    paced = think_runs[0]
    ok = paced["p99"] * 1000 < goal_ms and all(r["lost"] == 0 and r["duplicated"] == 0 and r["repeats_ok"]
                                              for r in think_runs)
    rows = "".join(
        f"| {'judges read ' + format(r['think'], 'g') + ' s on average' if r['think'] else 'closed loop (no reading)'}"
        f" | {1000 * r['p50']:.1f} | {1000 * r['p99']:.1f} | {r['rate']:.1f} judgments/s | {1000 * r['f50']:.1f} | "
        f"{1000 * r['f99']:.1f} | {r['lost']} / {r['duplicated']} |\n" for r in think_runs)
    md = (f"### study_load{' (--quick)' if args.quick else ''}\n\n"
          f"{judges} concurrent judges x {per_judge} judgments each through the JSON API of `proctor study serve` "
          f"(uvicorn, SQLite WAL, synchronous=FULL), httpx.AsyncClient on 127.0.0.1; every 10th judgment posted "
          f"twice. A simulated judge fetches an item, reads it (exponential time, mean as given; people take "
          f"minutes), posts its judgment. Floor: the same clients at the same pace fetching a static page of the "
          f"same server.\n\n"
          "| judges | POST p50 (ms) | POST p99 (ms) | rate | floor p50 (ms) | floor p99 (ms) | lost / duplicated |\n"
          "|---|---|---|---|---|---|---|\n" + rows +
          f"\nGoal p99 < {goal_ms:.0f} ms at {judges} judges reading {args.think:g} s on average, nothing lost or "
          f"duplicated: {'met' if ok else 'NOT met'}. The closed loop (every judge's next request sent the moment "
          f"the last is answered) measures saturation: its p99 is queueing behind {judges} requests in flight on "
          f"2 cores that also run the clients. Load average at the end: {_load()}.")
    if not args.no_record:
        record("study_load" + ("_quick" if args.quick else ""), md)
    print(md)
    emit({"benchmark": "study_load", "proctor": paced["p99"], "reference": paced["f99"],
          "ratio": paced["p99"] / paced["f99"] if paced["f99"] else None,
          "goal": f"p99 < {goal_ms:.0f} ms at {judges} judges reading {args.think:g} s, 0 lost, 0 duplicated",
          "meets_goal": ok, "device": "cpu", "judges": judges, "think_s": args.think,
          "judgments": paced["n"], "judgments_per_s": paced["rate"], "p50": paced["p50"],
          "closed_loop": {k: think_runs[-1][k] for k in ("p50", "p99", "rate", "f99")}})


def measure(judges: int, per_judge: int, timeout: float, think: float) -> dict:
    """One fresh study and server, driven by `judges` simulated judges reading `think` s on average."""
    from proctor.study.study import open_db

    with tempfile.TemporaryDirectory() as tmp:
        study = make_study(Path(tmp), judges, per_judge)
        db = open_db(study)
        invites = db.invite(judges)
        db.close()
        proc = subprocess.Popen([sys.executable, "-m", "proctor.cli", "study", "serve", str(study), "--port", "0",
                                 "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = re.search(r"(http://127\.0\.0\.1:\d+)", proc.stdout.readline()).group(1)
            proc.stdout.readline()
            floor, lat, acked, repeats, wall = asyncio.run(drive(url, [t for _, t in invites], per_judge,
                                                                 timeout, think))
        finally:
            proc.terminate()
            proc.wait(30)
        db = open_db(study)
        rows = db.rows()
        db.close()
    by_token = {t: j for j, t in invites}
    stored = Counter((r["judge_id"], r["item_id"]) for r in rows)
    acked_keys = Counter((by_token[t], i) for t, i in acked)
    lost = sum(1 for k in acked_keys if k not in stored)
    duplicated = sum(c - 1 for c in stored.values()) + sum(1 for k in stored if k not in acked_keys)
    duplicated += sum(c - 1 for c in acked_keys.values())
    return {"think": think, "n": len(lat), "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "rate": len(lat) / wall,
            "f50": pct(floor, 0.5), "f99": pct(floor, 0.99), "lost": lost, "duplicated": duplicated,
            "repeats_ok": all(s == 200 for s in repeats)}


def _load() -> str:
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
