"""Train (or read from the cache) one pixel-debate judge and print its learning curve: the procedure behind the judges
of docs/results.md's pixel-debate tables and behind its learning-curve table.

The judge is trained by `proctor.debate.pixels.judge.load_or_train`, the same function, cache and key the suites use,
so `proctor run src/proctor/suites/pixel_debate/k6.toml` afterwards finds this very judge in `$PROCTOR_CACHE` (and a
suite run from a cold cache trains it identically). Every `--eval-every` steps training stops to score the judge on
the 2,000 held-out images (3 draws of k random nonzero pixels each): that is the curve. At the end, the judge-alone
accuracy of the suites (10 draws, seed 0, all 2,000 held-out images) and the same on 2,000 of the training images
(3 draws), to show how much the judge memorised its 8,000 training images.

    python scripts/pixel_judge_curve.py --pixels 6                             # headline 6-px judge (~4 CPU-min)
    python scripts/pixel_judge_curve.py --pixels 4                             # headline 4-px judge
    python scripts/pixel_judge_curve.py --pixels 6 --lr 1e-4 --steps 30000     # the paper's schedule (~20 CPU-min)

Runs on one torch thread (as the suites train judges): the thread count can change float rounding. Prints the curve
as a markdown table row, then one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import time


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pixels", type=int, default=6)
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import numpy as np

    from proctor.debate.pixels.judge import JudgeConfig, judge_curve, load_or_train, random_pixel_correct
    from proctor.debate.pixels.mnist import judge_split, load_mnist
    from proctor.device import single_thread

    cfg = JudgeConfig(pixels=args.pixels, steps=args.steps, lr=args.lr, eval_every=args.eval_every, seed=args.seed)
    images, labels = load_mnist()
    train_idx, eval_idx = judge_split(len(images), cfg.n_train, cfg.split_seed)
    cached = judge_curve(cfg) is not None
    t0 = time.perf_counter()
    with single_thread():
        judge = load_or_train(cfg, images, labels)
        held_out = random_pixel_correct(judge, images[eval_idx], labels[eval_idx], cfg.pixels, 10, 0).mean()
        seen = train_idx[np.random.default_rng(0).permutation(len(train_idx))[:2000]]
        train = random_pixel_correct(judge, images[seen], labels[seen], cfg.pixels, 3, 0).mean()
    curve = judge_curve(cfg)
    steps = " | ".join(f"{p['step'] // 1000}k" if p["step"] % 1000 == 0 else str(p["step"]) for p in curve)
    print(f"| steps | {steps} |")
    print(f"| {cfg.pixels} px, lr {cfg.lr:g} | " + " | ".join(f"{100 * p['held_out']:.1f}" for p in curve) + " |")
    print(f"judge alone, {len(eval_idx)} held-out images x 10 draws: {100 * held_out:.1f}%; "
          f"2,000 training images x 3 draws: {100 * train:.1f}%")
    result = {"pixels": cfg.pixels, "steps": cfg.steps, "lr": cfg.lr, "eval_every": cfg.eval_every,
              "seed": cfg.seed, "judge": cfg.key(), "from_cache": cached, "seconds": time.perf_counter() - t0,
              "curve": curve, "judge_alone": float(held_out), "train_images_accuracy": float(train)}
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
