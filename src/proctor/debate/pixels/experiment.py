"""The pixel-debate experiment: one evaluation (k pixels, precommit or not, one move order, one kind of debater, on
held-out images), and the runner that plays every setting of a spec as resumable units in a run store.

    setting = DebateSetting(pixels=6, precommit=True, honest_first=True, agent="greedy")
    result = run_debates(judge, images, labels, setting)      # per-image honest wins, transcripts
    acc = random_pixel_accuracy(judge, images, labels, k=6)     # the judge alone, on random nonzero pixels
    run(spec, store, on_unit)                                   # the technique's runner (`proctor run`, the CLI)

Units: one judge-alone accuracy per k, and one debate evaluation per (k, precommit, order, block of `unit_images`
images); blocks run in image order with every setting of a block together, so a partial run has paired numbers.
The judge itself is trained once per config and cached as safetensors (see judge.py), outside the run store.
Statistics (summary.py) are over images: the precommit outcome of an image needs all 9 of its games (one per wrong
label), so bootstrap CIs resample images, paired across the judge-alone and debate numbers of the same images.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from .game import NO_LIE, honest_wins, resolve_precommit, wrong_labels
from .spec import PixelDebateSpec


@dataclass(frozen=True, kw_only=True)
class DebateSetting:
    pixels: int = 6
    """k: pixels revealed in a debate (each player reveals k/2)."""
    precommit: bool = True
    """Labels stated first (all 9 lies played per image) or not."""
    honest_first: bool = True
    """Who reveals the first pixel."""
    agent: str = "greedy"
    """greedy | mcts (both debaters use it)."""
    rollouts: int = 100
    """MCTS rollouts per move (ignored by greedy)."""
    c_puct: float = 1.0
    """MCTS exploration constant (the paper's PUCT)."""
    root_eval: bool = True
    """MCTS: judge every root pixel once before the rollouts (see agents.py); False = the paper's pure MCTS."""
    seed: int = 0
    """Seed of the debaters' tie-breaks; with the same judge and images a debate replays identically."""
    chunk: int = 32
    """Images played together (with precommit, 9 games each) so judge calls batch; part of the seeding."""

    def config(self) -> dict:
        d = asdict(self)
        if self.agent != "mcts":
            d.pop("rollouts"), d.pop("c_puct"), d.pop("root_eval")
        return d


@dataclass(kw_only=True)
class DebateResult:
    wins: np.ndarray
    """(n,) bool: the honest player won the image (with precommit: all 9 games)."""
    game_wins: np.ndarray
    """(n, 9) with precommit, else (n, 1): each game's outcome."""
    margins: np.ndarray
    """(n, 9 | 1) final honest margins of the judge."""
    pixels: np.ndarray
    """(n, 9 | 1, k) revealed pixels in move order."""
    lies: np.ndarray
    """(n, 9 | 1) the liar's label per game (-1 without precommit)."""
    seconds: float
    judge_forwards: int
    judge_queries: int


def as_values(images: np.ndarray) -> np.ndarray:
    return (images.reshape(len(images), -1) / 255.0).astype(np.float32)


def run_debates(judge, images: np.ndarray, labels: np.ndarray, setting: DebateSetting,
                progress: bool = False) -> DebateResult:
    """Play `setting` on every image (uint8 N x 28 x 28 with labels N) and resolve the outcomes."""
    from ...progress import progress_bar
    from .agents import Evaluator, Games, make_agent, play

    agent = make_agent(setting.agent, setting.rollouts, setting.c_puct, setting.root_eval)
    values = as_values(images)
    n, per = len(images), 9 if setting.precommit else 1
    margins = np.zeros((n, per), np.float32)
    pixels = np.zeros((n, per, setting.pixels), np.int64)
    lies = np.full((n, per), NO_LIE, np.int64)
    forwards = queries = 0
    start = time.perf_counter()
    chunks = range(0, n, setting.chunk)
    with progress_bar(len(chunks), f"debates k={setting.pixels} {setting.agent}", enabled=progress) as advance:
        for c, lo in enumerate(chunks):
            hi = min(lo + setting.chunk, n)
            ids = np.repeat(np.arange(lo, hi), per)
            lie = (np.array([wrong_labels(labels[i]) for i in range(lo, hi)]).reshape(-1) if setting.precommit
                   else np.full(len(ids), NO_LIE))
            games = Games(ids, values, labels[ids].astype(np.int64), lie, setting.pixels, setting.honest_first)
            ev = Evaluator(judge, values)
            m = play(games, agent, ev, np.random.default_rng([setting.seed, c]))
            margins[lo:hi] = m.reshape(hi - lo, per)
            pixels[lo:hi] = games.revealed.reshape(hi - lo, per, -1)
            lies[lo:hi] = lie.reshape(hi - lo, per)
            forwards, queries = forwards + ev.forwards, queries + ev.queries
            advance()
    game_wins = honest_wins(margins)
    wins = resolve_precommit(game_wins) if setting.precommit else game_wins[:, 0]
    return DebateResult(wins=wins, game_wins=game_wins, margins=margins, pixels=pixels, lies=lies,
                        seconds=time.perf_counter() - start, judge_forwards=forwards, judge_queries=queries)


def random_pixel_accuracy(judge, images: np.ndarray, labels: np.ndarray, k: int, draws: int = 10,
                          seed: int = 0) -> np.ndarray:
    """(n,) per-image judge accuracy over `draws` independent draws of k random nonzero pixels."""
    from .judge import random_pixel_correct

    return random_pixel_correct(judge, images, labels, k, draws, seed).mean(axis=0)


# -- the technique's runner (proctor.runs.technique): the same for `proctor run` and `proctor debate pixels` -----------
def judge_config(spec: PixelDebateSpec, k: int):
    from .judge import JudgeConfig

    return JudgeConfig(pixels=k, steps=spec.judge_steps, eval_every=spec.judge_eval_every)


def settings(spec: PixelDebateSpec):
    """Every (k, precommit, order) of the spec as a DebateSetting, in run order."""
    for k in spec.pixels:
        for pc in spec.precommit:
            for order in spec.orders:
                yield DebateSetting(pixels=k, precommit=pc, honest_first=order == "honest_first", agent=spec.agent,
                                    rollouts=spec.rollouts, c_puct=spec.c_puct,
                                    root_eval=spec.root_eval, seed=spec.seed)


def data(spec: PixelDebateSpec):
    """(all images, labels, the indices of the spec's held-out images)."""
    from .mnist import judge_split, load_mnist

    images, labels = load_mnist(spec.mnist)
    _, eval_idx = judge_split(len(images))
    idx = eval_idx[:spec.images]
    return images, labels, idx


def check(spec: PixelDebateSpec) -> None:
    """Read MNIST before the run directory is touched."""
    data(spec)


def blocks(spec: PixelDebateSpec) -> list[tuple[int, int]]:
    return [(lo, min(lo + spec.unit_images, spec.images)) for lo in range(0, spec.images, spec.unit_images)]


def order_name(setting: DebateSetting) -> str:
    return "honest_first" if setting.honest_first else "liar_first"


def judge_unit_config(spec: PixelDebateSpec, k: int) -> dict:
    return {"unit": "judge", "judge": judge_config(spec, k).key(), "pixels": k, "images": spec.images,
            "draws": spec.judge_draws, "seed": spec.seed}


def debate_unit_config(spec: PixelDebateSpec, setting: DebateSetting, block: tuple[int, int]) -> dict:
    return {"unit": "debate", "judge": judge_config(spec, setting.pixels).key(), "block": list(block),
            **setting.config()}


def run(spec: PixelDebateSpec, store, on_unit) -> None:
    """Every unit of the experiment not yet in the store: the judge-alone accuracy per k, then the debates block by
    block."""
    from ...device import single_thread
    from .judge import load_or_train

    images, labels, idx = data(spec)
    judges = {}
    with single_thread():
        for k in spec.pixels:
            judge = judges[k] = load_or_train(judge_config(spec, k), images, labels)

            def compute(judge=judge, k=k):
                acc = random_pixel_accuracy(judge, images[idx], labels[idx], k, spec.judge_draws, spec.seed)
                return {"pixels": k, "accuracy": float(acc.mean())}, {"per_image": acc, "image": idx}

            unit, computed = store.get_or_compute(spec.title, "judge", judge_unit_config(spec, k), compute)
            on_unit(f"judge k={k}", unit, computed)
        for lo, hi in blocks(spec):
            block = idx[lo:hi]
            for s in settings(spec):

                def compute(s=s, block=block):
                    r = run_debates(judges[s.pixels], images[block], labels[block], s)
                    result = {"pixels": s.pixels, "precommit": s.precommit, "order": order_name(s), "agent": s.agent,
                              "accuracy": float(r.wins.mean()), "seconds": r.seconds,
                              "judge_forwards": r.judge_forwards, "games": int(r.game_wins.size)}
                    return result, {"wins": r.wins, "game_wins": r.game_wins, "margins": r.margins,
                                    "pixels": r.pixels, "lies": r.lies, "image": np.asarray(block)}

                unit, computed = store.get_or_compute(spec.title, "debate", debate_unit_config(spec, s, (lo, hi)),
                                                      compute)
                order = "honest first" if s.honest_first else "liar first"
                on_unit(f"k={s.pixels} {'precommit' if s.precommit else 'no precommit'} {order} images {lo}-{hi}",
                        unit, computed)


def debate_units(store, spec: PixelDebateSpec) -> list:
    """The finished debate units of `spec` in the store (any order; unfinished ones are left out)."""
    from ...runs.store import unit_key

    found = (store.get(unit_key(debate_unit_config(spec, s, b))) for s in settings(spec) for b in blocks(spec))
    return [u for u in found if u is not None]
