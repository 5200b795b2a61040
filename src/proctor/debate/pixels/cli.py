"""`proctor debate pixels`: MNIST debate with a sparse-pixel judge (Irving, Christiano & Amodei 2018, Table 2).

    proctor debate pixels --pixels 6 --precommit --agent greedy --images 200 --json
    proctor debate pixels --pixels 4 --no-precommit --agent mcts --rollouts 200 --order honest-first

`pixels` is a plain function (the debate CLI mounts it as `proctor debate pixels`); `pixels_app` wraps it for
standalone use and tests. The judge is trained on first use (or read from the safetensors cache). With `--json` the
last stdout line is one object: `judge_accuracy` (random pixels), `debate_accuracy` (honest win rate, both orders
averaged), per-order accuracies, the lift, and 95% bootstrap CIs over images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from ...errors import ConfigError
from ...guard import guard
from ...jsonout import emit_json

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def pixels(
    k: Annotated[int, typer.Option("--pixels", help="Pixels revealed per debate (k).")] = 6,
    precommit: Annotated[bool, typer.Option("--precommit/--no-precommit",
                                            help="Labels stated first (all 9 lies played per image).")] = True,
    agent: Annotated[str, typer.Option(help="Debaters: greedy | mcts.")] = "greedy",
    rollouts: Annotated[int, typer.Option(help="MCTS rollouts per move.")] = 100,
    c_puct: Annotated[float, typer.Option("--c-puct", help="MCTS exploration constant.")] = 1.0,
    pure: Annotated[bool, typer.Option("--pure-mcts", help="MCTS without the batched root evaluation "
                                                           "(the paper's uniform-prior search).")] = False,
    images: Annotated[int, typer.Option(help="Held-out images to debate (of the fixed 2,000).")] = 200,
    order: Annotated[str, typer.Option(help="Who moves first: both | honest-first | liar-first.")] = "both",
    judge_steps: Annotated[int, typer.Option(help="Adam steps of the judge (cached by config).")] = 6000,
    draws: Annotated[int, typer.Option(help="Random-pixel draws per image for the judge-alone accuracy.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of tie-breaks and random pixels.")] = 0,
    mnist: Annotated[Optional[Path], typer.Option(help="MNIST folder (default: $PROCTOR_DATA/mnist).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")] = False,
):
    """Judge accuracy on random pixels vs on pixels revealed by an honest and a lying debater."""
    if agent not in ("greedy", "mcts"):
        raise ConfigError(f"--agent: {agent!r} is not greedy or mcts")
    if order not in ("both", "honest-first", "liar-first"):
        raise ConfigError(f"--order: {order!r} is not both, honest-first or liar-first")
    if not 1 <= k <= 40:
        raise ConfigError(f"--pixels: {k} is not between 1 and 40")
    if not 1 <= images <= 2000:
        raise ConfigError(f"--images: {images} is not between 1 and 2000 (the held-out debate split)")
    if rollouts < 1 or judge_steps < 1 or draws < 1:
        raise ConfigError("--rollouts, --judge-steps and --draws must be at least 1")

    from ...device import single_thread
    from .experiment import DebateSetting, random_pixel_accuracy, run_debates, summarize_setting
    from .judge import JudgeConfig, load_or_train
    from .mnist import judge_split, load_mnist
    from .report import PAPER

    all_images, labels = load_mnist(mnist)
    _, eval_idx = judge_split(len(all_images))
    idx = eval_idx[:images]
    cfg = JudgeConfig(pixels=k, steps=judge_steps)
    orders = ["honest_first", "liar_first"] if order == "both" else [order.replace("-", "_")]
    with single_thread():
        judge = load_or_train(cfg, all_images, labels)
        acc = random_pixel_accuracy(judge, all_images[idx], labels[idx], k, draws, seed)
        wins, seconds, games = {}, 0.0, 0
        for o in orders:
            s = DebateSetting(pixels=k, precommit=precommit, honest_first=o == "honest_first", agent=agent,
                              rollouts=rollouts, c_puct=c_puct, root_eval=not pure, seed=seed)
            r = run_debates(judge, all_images[idx], labels[idx], s, progress=True)
            wins[o], seconds, games = r.wins, seconds + r.seconds, games + r.game_wins.size
    res = summarize_setting(acc, wins, seed=seed)
    res.update({"pixels": k, "precommit": precommit, "agent": agent, "rollouts": rollouts if agent == "mcts" else None,
                "pure_mcts": pure if agent == "mcts" else None,
                "seed": seed, "judge": cfg.key(), "games": games, "seconds": seconds,
                "debates_per_second": games / seconds if seconds else None, "paper": PAPER.get((k, precommit))})
    out.print(f"{k} pixels, {'precommit' if precommit else 'no precommit'}, {agent}"
              f"{f' ({rollouts} rollouts)' if agent == 'mcts' else ''}, {images} images, seed {seed}")
    out.print(f"  judge alone (random pixels): {_pct(res['judge_accuracy'])}")
    for o in orders:
        out.print(f"  debate, {o.replace('_', ' ')}: {_pct(res[o])}")
    out.print(f"  debate accuracy: {_pct(res['debate_accuracy'])} "
              f"(lift {100 * res['lift']:+.1f} pts, 95% CI {100 * res['lift_ci'][0]:+.1f} to "
              f"{100 * res['lift_ci'][1]:+.1f}); {games} games in {seconds:.1f} s")
    if as_json:
        emit_json(res)


pixels_app = typer.Typer(add_completion=False, no_args_is_help=False, pretty_exceptions_enable=False,
                         help="MNIST debate with a sparse-pixel judge.")
pixels_app.command("pixels")(guard(pixels))
