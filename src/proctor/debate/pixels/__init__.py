"""Pixel debate on MNIST (Irving, Christiano & Amodei 2018, section 3.1 and Table 2).

    spec.py        PixelDebateSpec: every setting and its default (read by `proctor debate pixels` and suites), QUICK
    experiment.py  one evaluation (DebateSetting, run_debates, random_pixel_accuracy); the runner run / check
    summary.py     summarize(store, spec), headline, scorecard rows; the paper's Table 2 (PAPER)
    report.py      the report section: the table beside the paper's, a figure of debates
    technique.py   the registration (`type = "pixel_debate"`)
    cli.py         `proctor debate pixels`
    mnist.py       the IDX files under $PROCTOR_DATA/mnist; the fixed 8k judge / 2k debate split
    judge.py       the sparse-pixel CNN judge (mask and value planes), training, safetensors cache
    game.py        the rules: alternation, no repeats, nonzero pixels, precommit and no-precommit resolution
    agents.py      greedy and MCTS debaters, batched over games, with a judge-call cache
"""

from .spec import QUICK, PixelDebateSpec

__all__ = ["PixelDebateSpec", "QUICK"]
