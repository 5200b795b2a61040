"""Coverage and recovery of the joint post-training fit Q(N_s, N_p) and of the budget planner over many generated data
sets: the numbers docs/results.md quotes under "SFT and preference data together" (issue 21).

For each seed it generates the 49-run design of `proctor.scaling.synthetic.joint_runs` from a known law (JOINT_EXAMPLE,
with gamma set by --gamma), fits it with `n_boot` bootstrap replicates (seeded by the data set's seed), plans the split
of the budget under the fit, and records whether each 95% interval contains the true value (the six parameters, and the
true optimum's N_s, SFT share and Q), the interaction verdict, the F test's p-value, and the regret of planning under the
fit (the true Q at the true optimum minus the true Q at the planned split).

    python scripts/posttrain_joint_coverage.py --gamma 0 --seeds 1000:1050            # the null (size, coverage)
    python scripts/posttrain_joint_coverage.py --gamma 0.002 --seeds 2000:2020        # power against gamma = 0.002

One JSON line per seed (--per-seed), then one line `SUMMARY {...}`; --markdown prints the sentence results.md quotes.
About 5 s per seed on one core.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import numpy as np

from proctor.scaling.joint import JOINT_NAMES, fit_joint, plan_allocation
from proctor.scaling.spec import PosttrainJointConfig
from proctor.scaling.synthetic import JOINT_EXAMPLE, joint_runs

PLAN_KEYS = ("n_sft", "share_sft", "quality")


def one_seed(truth, seed: int, *, n_boot: int, budget: float, cost_sft: float, cost_pref: float,
             true_plan: dict) -> dict:
    df = joint_runs(truth, seed=seed)
    fit = fit_joint(df.N_s, df.N_p, df.Q, PosttrainJointConfig(n_boot=n_boot, seed=seed))
    plan = plan_allocation(fit, budget, cost_sft, cost_pref)
    row = {"seed": seed, "verdict": fit.interaction_verdict, "p": fit.p_interaction, "warnings": len(fit.warnings)}
    for name in JOINT_NAMES:
        lo, hi = fit.ci[name]
        row[name], row[name + "_cov"] = getattr(fit.params, name), bool(lo <= getattr(truth, name) <= hi)
    for key in PLAN_KEYS:
        lo, hi = plan["ci"][key]
        row[key], row[key + "_cov"] = plan[key], bool(lo <= true_plan[key] <= hi)
    # what planning under the fit instead of the true law costs, in true Q
    row["regret"] = true_plan["quality"] - float(truth.quality(plan["n_sft"], plan["n_pref"]))
    return row


def summarize(rows: list[dict], truth, true_plan: dict) -> dict:
    out = {"true_gamma": truth.gamma, "n": len(rows), "seeds": [rows[0]["seed"], rows[-1]["seed"]],
           "true_plan": {k: true_plan[k] for k in ("n_sft", "n_pref", "share_sft", "quality")}}
    for key in list(JOINT_NAMES) + list(PLAN_KEYS):
        vals = [r[key] for r in rows]
        out[key] = {"coverage": float(np.mean([r[key + "_cov"] for r in rows])), "median": float(np.median(vals)),
                    "p5": float(np.percentile(vals, 5)), "p95": float(np.percentile(vals, 95))}
    out["verdicts"] = {v: sum(r["verdict"] == v for r in rows) for v in ("additive", "interaction", "undetermined")}
    out["f_test_rejects"] = int(sum(r["p"] < 0.05 for r in rows))
    out["regret_median"] = float(np.median([r["regret"] for r in rows]))
    out["regret_max"] = float(np.max([r["regret"] for r in rows]))
    return out


def markdown(s: dict) -> str:
    pct = lambda k: f"{s[k]['coverage']:.0%}"  # noqa: E731
    v = s["verdicts"]
    return (f"seeds {s['seeds'][0]}-{s['seeds'][1]} (true gamma = {s['true_gamma']:g}): the 95% intervals contained the true value "
            f"for Q_inf {pct('Q_inf')}, a_s {pct('a_s')}, S* {pct('S_star')}, a_p {pct('a_p')}, P* {pct('P_star')}, "
            f"gamma {pct('gamma')} of {s['n']} data sets; the planner's intervals contained the true optimum's N_s "
            f"{pct('n_sft')}, SFT share {pct('share_sft')}, Q {pct('quality')}; median estimates Q_inf "
            f"{s['Q_inf']['median']:.4f}, a_s {s['a_s']['median']:.4f}, S* {s['S_star']['median']:,.0f}, a_p "
            f"{s['a_p']['median']:.4f}, P* {s['P_star']['median']:,.0f}, gamma {s['gamma']['median']:.5f}. F test "
            f"p < 0.05 on {s['f_test_rejects']} of {s['n']}; verdict additive {v['additive']}, interaction "
            f"{v['interaction']}, undetermined {v['undetermined']}. Regret of planning under the fit: median "
            f"{s['regret_median']:.2g}, max {s['regret_max']:.2g} (true optimum: N_s {s['true_plan']['n_sft']:,.0f}, "
            f"N_p {s['true_plan']['n_pref']:,.0f}, share {s['true_plan']['share_sft']:.1%}, Q "
            f"{s['true_plan']['quality']:.4f}).")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gamma", type=float, default=0.0, help="True interaction (JOINT_EXAMPLE otherwise).")
    ap.add_argument("--seeds", default="1000:1050", help="START:STOP (data set seeds; STOP excluded).")
    ap.add_argument("--bootstrap", type=int, default=200, help="Bootstrap replicates per fit.")
    ap.add_argument("--budget", type=float, default=2e5)
    ap.add_argument("--cost-sft", type=float, default=4.0)
    ap.add_argument("--cost-pref", type=float, default=1.0)
    ap.add_argument("--per-seed", action="store_true", help="Print one JSON line per seed.")
    ap.add_argument("--markdown", action="store_true", help="Also print the summary as results.md's sentence.")
    args = ap.parse_args(argv)
    start, _, stop = args.seeds.partition(":")
    seeds = range(int(start), int(stop))
    if not len(seeds):
        ap.error("--seeds: START:STOP with STOP > START")
    truth = dataclasses.replace(JOINT_EXAMPLE, gamma=args.gamma)
    true_plan = plan_allocation(truth, args.budget, args.cost_sft, args.cost_pref)
    rows = []
    for seed in seeds:
        rows.append(one_seed(truth, seed, n_boot=args.bootstrap, budget=args.budget, cost_sft=args.cost_sft,
                             cost_pref=args.cost_pref, true_plan=true_plan))
        if args.per_seed:
            print(json.dumps(rows[-1]), flush=True)
    s = summarize(rows, truth, true_plan)
    print("SUMMARY " + json.dumps(s), flush=True)
    if args.markdown:
        print(markdown(s))
    return s


if __name__ == "__main__":
    main(sys.argv[1:])
