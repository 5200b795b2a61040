"""One pixel-debate evaluation: k pixels, precommit or not, one move order, one kind of debater, on held-out images.

    setting = DebateSetting(pixels=6, precommit=True, honest_first=True, agent="greedy")
    result = run_debates(judge, images, labels, setting)      # per-image honest wins, transcripts
    acc = random_pixel_accuracy(judge, images, labels, k=6)     # the judge alone, on random nonzero pixels

Statistics are over images: the precommit outcome of an image needs all 9 of its games (one per wrong label), so
bootstrap CIs resample images, paired across the judge-alone and debate numbers of the same images.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from .game import NO_LIE, honest_wins, resolve_precommit, wrong_labels


@dataclass(frozen=True)
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


@dataclass
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
    return DebateResult(wins, game_wins, margins, pixels, lies, time.perf_counter() - start, forwards, queries)


def random_pixel_accuracy(judge, images: np.ndarray, labels: np.ndarray, k: int, draws: int = 10,
                          seed: int = 0) -> np.ndarray:
    """(n,) per-image judge accuracy over `draws` independent draws of k random nonzero pixels."""
    from .judge import random_pixel_correct

    return random_pixel_correct(judge, images, labels, k, draws, seed).mean(axis=0)


def bootstrap_ci(per_image: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of a per-image quantity (rows = images; extra columns are averaged)."""
    from ...stats import bootstrap_mean

    x = np.asarray(per_image, dtype=np.float64)
    ci = bootstrap_mean(x.reshape(len(x), -1).mean(axis=1), n_boot=n_boot, level=level, seed=seed)
    return ci.lo, ci.hi


def summarize_setting(judge_acc: np.ndarray, wins_by_order: dict[str, np.ndarray], n_boot: int = 1000,
                      seed: int = 0) -> dict:
    """Numbers of one (k, precommit) setting: judge accuracy, debate accuracy per order and averaged, the lift."""
    out: dict = {"images": int(len(judge_acc)), "judge_accuracy": float(np.mean(judge_acc)),
                 "judge_accuracy_ci": bootstrap_ci(judge_acc, n_boot, seed)}
    for order, w in wins_by_order.items():
        out[order] = float(np.mean(w))
        out[f"{order}_ci"] = bootstrap_ci(w, n_boot, seed)
    if wins_by_order:
        both = np.stack([np.asarray(w, float) for w in wins_by_order.values()], axis=1)
        out["debate_accuracy"] = float(both.mean())
        out["debate_accuracy_ci"] = bootstrap_ci(both, n_boot, seed)
        out["lift"] = out["debate_accuracy"] - out["judge_accuracy"]
        out["lift_ci"] = bootstrap_ci(both.mean(axis=1) - np.asarray(judge_acc), n_boot, seed)
    return out
