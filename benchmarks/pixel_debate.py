"""Pixel debate throughput: debates per second for greedy and MCTS debaters, against the judge's batched forward
pass (the physical floor: a debate cannot finish faster than the judge calls it needs), in one run.

Proctor: `proctor.debate.pixels` playing 6-pixel precommit debates (9 games per image, honest first) on held-out
MNIST images, with greedy debaters and MCTS at two rollout counts; all games of a block in lockstep, judge calls
batched and cached by (image, pixel set). Reference: the same judge's forward throughput on batches of random
6-pixel boards, turned into a floor per debate with the judge forwards each agent actually made per game.
Goal (issue 4): the 2,000-image, 6-pixel, precommit evaluation (2,000 x 9 lies x 2 orders = 36,000 games) with
MCTS in <= 10 minutes on 2 cores; the projection uses the measured MCTS rate at the smaller rollout count.

    python benchmarks/pixel_debate.py            # 48 images, MCTS 50 and 200 rollouts
    python benchmarks/pixel_debate.py --quick    # 12 images, MCTS 20 and 50 rollouts
    python benchmarks/pixel_debate.py --threads 1 --cpu-time --cores 2   # on a busy machine: CPU seconds, 2 procs

Uses the cached 6-pixel judge (JudgeConfig(pixels=6, eval_every=1000), the headline judge of docs/results.md, trained
on first use: a few CPU-minutes) unless --judge-steps says otherwise. Prints one JSON object last; rewrites its block in
docs/benchmarks.md, which starts with the command line that produced it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402

GAMES_FULL = 2000 * 9 * 2
GOAL_S = 600.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--rollouts", type=int, nargs=2, default=None)
    ap.add_argument("--judge-steps", type=int, default=6000)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (the goal is on 2 cores)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time by CPU seconds (for a busy machine): per core, with --cores independent processes")
    ap.add_argument("--cores", type=int, default=1, help="with --cpu-time: cores playing disjoint image halves")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()

    import torch

    from proctor.debate.pixels.experiment import DebateSetting, run_debates
    from proctor.debate.pixels.judge import JudgeConfig, encode_masks, judge_logits, load_or_train, random_nonzero_masks
    from proctor.debate.pixels.mnist import judge_split, load_mnist
    from proctor.device import describe_device

    torch.set_num_threads(args.threads)
    n = args.images or (12 if args.quick else 48)
    r_lo, r_hi = args.rollouts or ((20, 50) if args.quick else (50, 200))
    images, labels = load_mnist()
    _, ev = judge_split(len(images))
    idx = ev[:n]
    # the headline 6-pixel judge of docs/results.md (scored every 1,000 steps while training, as its suites say)
    judge = load_or_train(JudgeConfig(pixels=6, steps=args.judge_steps, eval_every=1000), images, labels)

    # reference: the judge's batched forward throughput on random 6-pixel boards (encoding included)
    values = torch.as_tensor(images[idx].reshape(n, -1) / 255.0, dtype=torch.float32)
    boards = values.repeat(max(1, 8192 // n), 1)
    x = encode_masks(boards, random_nonzero_masks(boards, 6, torch.Generator().manual_seed(0)))
    judge_logits(judge, x[:512])
    t0, c0 = time.perf_counter(), time.process_time()
    judge_logits(judge, x)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    forward_rate = len(x) / (cpu / args.threads / args.cores if args.cpu_time else wall)

    rows = []
    for agent, rollouts in (("greedy", None), ("mcts", r_lo), ("mcts", r_hi)):
        s = DebateSetting(pixels=6, precommit=True, honest_first=True, agent=agent, rollouts=rollouts or 1)
        c0 = time.process_time()
        r = run_debates(judge, images[idx], labels[idx], s)
        cpu = time.process_time() - c0
        games = r.game_wins.size
        # --cpu-time: CPU seconds per core stand in for wall time on dedicated cores (a shared machine's wall clock
        # mostly measures the neighbours); 2 cores then play 2 independent halves of the images.
        seconds = cpu / args.threads / args.cores if args.cpu_time else r.seconds
        rate = games / seconds
        floor_rate = forward_rate / (r.judge_forwards / games)
        rows.append({"agent": agent if agent == "greedy" else f"mcts-{rollouts}", "games": games,
                     "seconds": seconds, "wall_seconds": r.seconds, "cpu_seconds": cpu, "debates_per_s": rate,
                     "judge_forwards_per_debate": r.judge_forwards / games,
                     "cache_hit_rate": 1 - r.judge_forwards / r.judge_queries, "floor_debates_per_s": floor_rate,
                     "image_win_rate": float(r.wins.mean()), "projected_full_eval_s": GAMES_FULL / rate})
    mcts = rows[1]  # the goal's MCTS: the smaller rollout count (the one the docs' table uses)
    result = {"benchmark": "pixel_debate", "proctor": mcts["debates_per_s"], "reference": mcts["floor_debates_per_s"],
              "ratio": mcts["debates_per_s"] / mcts["floor_debates_per_s"],
              "goal": f"2,000-image 6-px precommit eval with MCTS ({r_lo} rollouts) <= {GOAL_S:.0f} s on 2 cores",
              "meets_goal": mcts["projected_full_eval_s"] <= GOAL_S, "device": describe_device(),
              "judge_forwards_per_s": forward_rate, "rows": rows, "images": n, "quick": args.quick,
              "timing": "cpu" if args.cpu_time else "wall", "threads": args.threads, "cores": args.cores,
              "command": " ".join(["python benchmarks/pixel_debate.py", *sys.argv[1:]])}
    lines = [f"## Pixel debate{' (--quick)' if args.quick else ''}", "", f"`{result['command']}`", "",
             f"6-pixel precommit debates (9 games per image, honest first) on {n} held-out MNIST images, "
             f"{args.threads} torch threads"
             f"{f', timed by CPU seconds over {args.cores} independent processes' if args.cpu_time else ''}. "
             f"Reference: the judge's batched forward pass "
             f"({forward_rate:,.0f} boards/s) times the forwards each agent needs per debate (the floor).", "",
             "| debaters | debates/s | floor debates/s | share of floor | judge forwards / debate | cache hits | "
             "projected 36,000-game eval |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['agent']} | {r['debates_per_s']:.1f} | {r['floor_debates_per_s']:.1f} | "
                     f"{r['debates_per_s'] / r['floor_debates_per_s']:.2f} | {r['judge_forwards_per_debate']:.0f} | "
                     f"{100 * r['cache_hit_rate']:.0f}% | {r['projected_full_eval_s'] / 60:.1f} min |")
    lines += ["", f"Goal: {result['goal']}: **{'met' if result['meets_goal'] else 'not met'}** "
                  f"({mcts['projected_full_eval_s'] / 60:.1f} min projected)."]
    if not args.no_record:
        record("pixel_debate" + ("_quick" if args.quick else ""), "\n".join(lines))
    emit(result)


if __name__ == "__main__":
    main()
