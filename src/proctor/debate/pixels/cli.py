"""`proctor debate pixels`: MNIST debate with a sparse-pixel judge (Irving, Christiano & Amodei 2018, Table 2), run as
a one-experiment suite (resumable, reported like `proctor run`). Options default to the spec's
(proctor.debate.pixels.spec.PixelDebateSpec).

    proctor debate pixels --pixels 6 --precommit --agent greedy --images 200 --json
    proctor debate pixels --pixels 4 --no-precommit --agent mcts --rollouts 200 --order honest-first

`pixels` is a plain function (the debate CLI mounts it as `proctor debate pixels`). The judge is trained on first use
(or read from the safetensors cache). With `--json` the last stdout line is one object: `judge_accuracy` (random
pixels), `debate_accuracy` (honest win rate, the orders averaged), per-order accuracies, the lift, and 95% bootstrap
CIs over images; `judge_curve`, the judge's held-out accuracy every `--judge-eval-every` training steps ([] without).
`proctor debate pixels --pixels 6 --judge-eval-every 1000 ...` uses the judge of docs/results.md's tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ...options import spec_option
from .spec import PixelDebateSpec


def pixels(
    k: Annotated[Optional[int], spec_option(PixelDebateSpec, "pixels", "--pixels")] = None,
    precommit: Annotated[Optional[bool], spec_option(PixelDebateSpec, "precommit", "--precommit/--no-precommit")] = None,
    agent: Annotated[Optional[str], spec_option(PixelDebateSpec, "agent")] = None,
    rollouts: Annotated[Optional[int], spec_option(PixelDebateSpec, "rollouts")] = None,
    c_puct: Annotated[Optional[float], spec_option(PixelDebateSpec, "c_puct", "--c-puct")] = None,
    pure: Annotated[bool, typer.Option("--pure-mcts", help="MCTS without the batched root evaluation "
                                                           "(the paper's uniform-prior search).")] = False,
    images: Annotated[Optional[int], spec_option(PixelDebateSpec, "images")] = None,
    order: Annotated[str, typer.Option(help="Who moves first: both | honest-first | liar-first.")] = "both",
    judge_steps: Annotated[Optional[int], spec_option(PixelDebateSpec, "judge_steps")] = None,
    judge_eval_every: Annotated[Optional[int], spec_option(PixelDebateSpec, "judge_eval_every")] = None,
    judge_draws: Annotated[Optional[int], spec_option(PixelDebateSpec, "judge_draws", "--draws",
                                                      "--judge-draws")] = None,
    seed: Annotated[Optional[int], spec_option(PixelDebateSpec, "seed")] = None,
    mnist: Annotated[Optional[Path], spec_option(PixelDebateSpec, "mnist")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the spec).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")] = False,
):
    """Judge accuracy on random pixels vs on pixels revealed by an honest and a lying debater."""
    from ...errors import ConfigError
    from ...jsonout import emit_json
    from ...options import check_out_dir, spec_from_options
    from ...runs.executor import run_one
    from ...runs.store import RunStore
    from ...term import err, fmt_pct, out, safe
    from .experiment import debate_units, judge_config
    from .judge import judge_curve
    from .summary import PAPER

    check_out_dir(out_dir)
    if order not in ("both", "honest-first", "liar-first"):
        raise ConfigError(f"--order: {order!r} is not both, honest-first or liar-first")
    spec = spec_from_options(
        PixelDebateSpec, pixels=None if k is None else [k], precommit=None if precommit is None else [precommit],
        orders=None if order == "both" else [order.replace("-", "_")], agent=agent, rollouts=rollouts,
        c_puct=c_puct, root_eval=False if pure else None, images=images, judge_steps=judge_steps,
        judge_eval_every=judge_eval_every,
        judge_draws=judge_draws, seed=seed, mnist=None if mnist is None else str(mnist))
    summary, run_dir = run_one(spec, out_dir, err)
    with RunStore(run_dir) as store:
        units = debate_units(store, spec)
    games = sum(u.result["games"] for u in units)
    seconds = sum(u.result["seconds"] for u in units)
    k, precommit, mcts = spec.pixels[0], spec.precommit[0], spec.agent == "mcts"
    row = summary["settings"][0]
    res = {key: v for key, v in row.items() if key not in ("pixels", "precommit", "paper")}
    res.update({"pixels": k, "precommit": precommit, "agent": spec.agent, "rollouts": spec.rollouts if mcts else None,
                "pure_mcts": (not spec.root_eval) if mcts else None, "seed": spec.seed,
                "judge": judge_config(spec, k).key(), "judge_curve": judge_curve(judge_config(spec, k)),
                "games": games, "seconds": seconds,
                "debates_per_second": games / seconds if seconds else None, "paper": PAPER.get((k, precommit))})
    out.print(f"{k} pixels, {'precommit' if precommit else 'no precommit'}, {spec.agent}"
              f"{f' ({spec.rollouts} rollouts)' if mcts else ''}, {spec.images} images, seed {spec.seed}")
    out.print(f"  judge alone (random pixels): {fmt_pct(res['judge_accuracy'])}")
    for o in spec.orders:
        out.print(f"  debate, {o.replace('_', ' ')}: {fmt_pct(res[o])}")
    out.print(f"  debate accuracy: {fmt_pct(res['debate_accuracy'])} "
              f"(lift {100 * res['lift']:+.1f} pts, 95% CI {100 * res['lift_ci'][0]:+.1f} to "
              f"{100 * res['lift_ci'][1]:+.1f}); {games} games in {seconds:.1f} s")
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        emit_json(res | {"run_dir": str(run_dir), "report": str(run_dir / "report.html")})
