"""Pixel debate on MNIST (Irving, Christiano & Amodei 2018, section 3.1 and Table 2).

    mnist.py       the IDX files under $PROCTOR_DATA/mnist; the fixed 8k judge / 2k debate split
    judge.py       the sparse-pixel CNN judge (mask and value planes), training, safetensors cache
    game.py        the rules: alternation, no repeats, nonzero pixels, precommit and no-precommit resolution
    agents.py      greedy and MCTS debaters, batched over games, with a judge-call cache
    experiment.py  one evaluation (k, precommit, order, agent), bootstrap CIs
    suite.py       `type = "pixel_debate"` for `proctor run`
    report.py      the table beside the paper's Table 2, a figure of debates
    cli.py         `proctor debate pixels`
"""
