"""Chinchilla Approach 3: Proctor's batched grid fit against a plain scipy L-BFGS-B loop over the same starts.

Both minimise the same objective with the same analytic gradient (Huber, delta 1e-3, summed over runs) from the same
grid starts (Hoffmann et al.'s 4,500), in one process, one thread each (BLAS, OpenMP and torch pinned to 1), on
runs generated from Hoffmann et al.'s published law with 1% noise. Goal: the same optimum (every parameter within
0.5%) in <= 1/20 of the scipy loop's time. The averaged objective is timed too, for information: on it L-BFGS stops
early (Besiroglu et al. 2024), so two optimisers need not agree there.

    python benchmarks/chinchilla_fit.py            # all 4,500 starts (scipy side ~15 s on one core)
    python benchmarks/chinchilla_fit.py --quick    # every 10th start (450) on both sides

Prints one JSON object last; rewrites its block in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402

NAMES = ("E", "A", "B", "alpha", "beta")


def compare(objective: str, starts: np.ndarray, N, D, L) -> dict:
    from proctor.scaling import Approach3Config, fit_chinchilla, scipy_grid_fit

    cfg = Approach3Config(objective=objective, n_boot=0)
    fit_chinchilla(N[:20], D[:20], L[:20], cfg, starts=starts[:64])  # warm-up: imports, first-touch allocations
    t0 = time.perf_counter()
    fit = fit_chinchilla(N, D, L, cfg, starts=starts)
    proctor_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref, ref_f = scipy_grid_fit(N, D, L, objective=objective, starts=starts)
    reference_s = time.perf_counter() - t0
    ours = fit.params.as_dict()
    theirs = ref.as_dict()
    rel = {k: abs(ours[k] / theirs[k] - 1.0) for k in NAMES}
    return {"objective": objective, "proctor_s": proctor_s, "reference_s": reference_s,
            "ratio": proctor_s / reference_s, "proctor_params": ours, "reference_params": theirs,
            "proctor_objective": fit.objective_value, "reference_objective": ref_f,
            "max_rel_diff": max(rel.values()), "rel_diff": rel}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="every 10th grid start, for a smoke run")
    args = ap.parse_args()

    from proctor.scaling import grid_starts
    from proctor.scaling.approach3 import single_threaded
    from proctor.scaling.synthetic import chinchilla_runs

    df = chinchilla_runs(noise=0.01, seed=0)
    N, D, L = (df[c].to_numpy() for c in ("N", "D", "loss"))
    starts = grid_starts()[::10] if args.quick else grid_starts()
    with single_threaded():
        main_run = compare("sum", starts, N, D, L)
        mean_run = compare("mean", starts, N, D, L)
    goal, match_goal = 1 / 20, 0.005
    meets = main_run["ratio"] <= goal and main_run["max_rel_diff"] <= match_goal
    device = f"cpu ({platform.processor() or platform.machine()}), 1 thread each side"

    def row(r: dict) -> str:
        ok = "yes" if r["ratio"] <= goal and r["max_rel_diff"] <= match_goal else "no"
        return (f"| {r['objective']} | {r['proctor_s']:.2f} s | {r['reference_s']:.1f} s | {r['ratio']:.3f} | "
                f"{100 * r['max_rel_diff']:.3f}% | {ok if r['objective'] == 'sum' else 'n/a (information)'} |")

    p, q = main_run["proctor_params"], main_run["reference_params"]
    md = (
        f"## chinchilla_fit{' (--quick)' if args.quick else ''}\n\n"
        f"Chinchilla Approach 3 on {len(N)} generated runs (Hoffmann et al.'s law, 1% noise), {len(starts):,} L-BFGS "
        f"starts. Proctor: one batched optimisation; reference: one `scipy.optimize.minimize(method='L-BFGS-B')` per "
        f"start, same objective and gradient. Device: {device}. Goal: ratio <= {goal:g} with every parameter within "
        f"{100 * match_goal:g}%.\n\n"
        "| objective | Proctor | scipy loop | ratio | largest parameter difference | meets goal |\n"
        "|---|---|---|---|---|---|\n"
        f"{row(main_run)}\n{row(mean_run)}\n\n"
        "Summed objective, best fit: " + ", ".join(f"{k} {p[k]:.5g} (scipy {q[k]:.5g})" for k in NAMES) + ".\n"
    )
    record("chinchilla_fit" + ("_quick" if args.quick else ""), md)
    emit({
        "benchmark": "chinchilla_fit",
        "proctor": {"seconds": main_run["proctor_s"], "params": p, "mean_objective_seconds": mean_run["proctor_s"]},
        "reference": {"seconds": main_run["reference_s"], "params": q, "mean_objective_seconds": mean_run["reference_s"]},
        "ratio": main_run["ratio"],
        "goal": goal,
        "max_param_rel_diff": main_run["max_rel_diff"],
        "param_match_goal": match_goal,
        "params_match": main_run["max_rel_diff"] <= match_goal,
        "mean_objective": {"ratio": mean_run["ratio"], "max_param_rel_diff": mean_run["max_rel_diff"]},
        "meets_goal": meets,
        "device": device,
        "starts": len(starts),
        "runs": len(N),
        "quick": args.quick,
    })


if __name__ == "__main__":
    main()
