"""Executor overhead: the same small suite run in this process (inline) and as Ray tasks, on a warm local cluster.

The suite is weak-to-strong with TF-IDF models on SST-2 (max 400 train / 200 test examples), one piece per seed,
three units per piece. Ray is started with one CPU so its tasks run one after another like the inline executor (which runs
with one thread, as Ray's workers do); a
warm-up run first brings up the cluster and its worker (imports), as "once the cluster is up" asks. Overhead per unit
= (Ray wall time - inline wall time) / units; it includes what the fan-out design costs: each piece reloads its data
in the worker, ships the experiment's finished units there and its own back, and the driver writes them.
Goal: under 50 ms per unit.

    PROCTOR_DATA=../shared/data python benchmarks/executor_overhead.py           # 32 seeds (96 units)
    PROCTOR_DATA=../shared/data python benchmarks/executor_overhead.py --quick   # 8 seeds (24 units)

Prints one JSON object last; rewrites its block in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402


def suite(seeds: int):
    from proctor.runs.spec import Suite

    return Suite.model_validate({"name": "overhead", "experiment": [{
        "type": "w2s", "dataset": "sst2", "weak": ["tfidf"], "strong": "tfidf", "loss": ["xent"], "seeds": seeds,
        "max_train": 400, "max_test": 200}]})


def timed_run(s, run_dir: Path, executor) -> float:
    from rich.console import Console

    from proctor.runs.executor import run_suite

    quiet = Console(file=open(os.devnull, "w"), stderr=False)
    t0 = time.perf_counter()
    run_suite(s, run_dir, quiet, executor=executor)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if not os.environ.get("PROCTOR_DATA"):
        sys.exit("set PROCTOR_DATA to the shared data folder")
    import ray
    from threadpoolctl import threadpool_limits

    from proctor.device import describe_device, single_thread
    from proctor.runs.fanout import InlineExecutor, RayExecutor

    seeds = 8 if args.quick else 32
    units = 3 * seeds
    ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
             runtime_env={"env_vars": {"PROCTOR_DATA": os.environ["PROCTOR_DATA"]}})
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ex = RayExecutor()
        timed_run(suite(2), tmp / "warm-ray", ex)  # cluster up, worker imports done
        timed_run(suite(2), tmp / "warm-inline", InlineExecutor())
        # Ray's workers run with OMP_NUM_THREADS=1 (BLAS and torch on one thread): the same for the reference
        with single_thread(), threadpool_limits(1):
            inline_s = timed_run(suite(seeds), tmp / "inline", InlineExecutor())
        ray_s = timed_run(suite(seeds), tmp / "ray", ex)
    ray.shutdown()
    per_unit_ms = 1000 * (ray_s - inline_s) / units
    goal_ms = 50.0
    md = (f"### executor_overhead{' (--quick)' if args.quick else ''}\n\n"
          f"W2S TF-IDF suite on SST-2, {seeds} pieces x 3 units, Ray with 1 CPU (sequential like inline), warm "
          f"cluster.\n\n| executor | wall s | per unit ms |\n|---|---:|---:|\n"
          f"| inline (reference) | {inline_s:.2f} | {1000 * inline_s / units:.1f} |\n"
          f"| Ray | {ray_s:.2f} | {1000 * ray_s / units:.1f} |\n\n"
          f"Ray's overhead: **{per_unit_ms:.1f} ms per unit** (goal < {goal_ms:.0f} ms: "
          f"{'met' if per_unit_ms < goal_ms else 'missed'}); ratio Ray / inline {ray_s / inline_s:.2f}x.")
    record("executor_overhead" + ("_quick" if args.quick else ""), md)
    emit({"benchmark": "executor_overhead", "proctor": ray_s, "reference": inline_s, "ratio": ray_s / inline_s,
          "overhead_ms_per_unit": per_unit_ms, "goal": f"Ray overhead < {goal_ms:.0f} ms per unit",
          "meets_goal": per_unit_ms < goal_ms, "device": describe_device(), "units": units})


if __name__ == "__main__":
    main()
