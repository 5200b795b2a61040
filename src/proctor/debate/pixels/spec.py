"""Pixel debate on MNIST (Irving, Christiano & Amodei 2018, Table 2) as a suite technique (`type = "pixel_debate"`).

    [[experiment]]
    type = "pixel_debate"
    pixels = [6]
    precommit = [true]
    agent = "greedy"
    images = 200

Units: one judge-alone accuracy per k, and one debate evaluation per (k, precommit, order, block of `unit_images`
images); blocks run in image order with every setting of a block together, so a partial run has paired numbers.
The judge itself is trained once per config and cached as safetensors (see judge.py), outside the run store.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ...runs.spec import Spec
from ...runs.technique import ScoreRow, Technique

ORDERS = ("honest_first", "liar_first")


class PixelDebateSpec(Spec):
    """MNIST debate with a sparse-pixel judge: judge accuracy on random pixels vs on pixels chosen by debaters."""

    type: Literal["pixel_debate"] = "pixel_debate"
    """The technique: pixel debate on MNIST."""
    name: str | None = None
    """Experiment name in the report; defaults to "pixel-debate-<agent>"."""
    pixels: list[int] = Field(default_factory=lambda: [6])
    """Revealed pixels per debate (k); one judge is trained per k."""
    precommit: list[bool] = Field(default_factory=lambda: [True])
    """Debate variants: labels stated first (all 9 lies played per image), and/or not."""
    agent: Literal["greedy", "mcts"] = "greedy"
    """The debaters (both players)."""
    rollouts: int = Field(default=100, ge=1)
    """MCTS rollouts per move."""
    c_puct: float = Field(default=1.0, gt=0)
    """MCTS exploration constant."""
    root_eval: bool = True
    """MCTS: judge every root pixel once, batched, before the rollouts; false = the paper's pure MCTS."""
    images: int = Field(default=200, ge=1, le=2000)
    """Held-out images debated (the first N of the fixed 2,000-image debate split)."""
    judge_steps: int = Field(default=6000, ge=1)
    """Adam steps of the judge (batch 128, lr 1e-3); the trained judge is cached by its config."""
    judge_draws: int = Field(default=10, ge=1)
    """Independent random-pixel draws per image for the judge-alone accuracy."""
    unit_images: int = Field(default=100, ge=1)
    """Images per unit of work: a killed run loses at most one such block per setting in flight."""
    seed: int = 0
    """Seed of the debaters' tie-breaks and of the random pixels."""
    n_boot: int = Field(default=1000, ge=100)
    """Bootstrap resamples of the images for the CIs."""

    @field_validator("pixels")
    @classmethod
    def _pixels(cls, v):
        if not v or any(k < 1 or k > 40 for k in v):
            raise ValueError("pixels must be a non-empty list of counts between 1 and 40")
        return v

    @property
    def title(self) -> str:
        return self.name or f"pixel-debate-{self.agent}"


def judge_config(spec: PixelDebateSpec, k: int):
    from .judge import JudgeConfig

    return JudgeConfig(pixels=k, steps=spec.judge_steps)


def _settings(spec: PixelDebateSpec):
    from .experiment import DebateSetting

    for k in spec.pixels:
        for pc in spec.precommit:
            for order in ORDERS:
                yield DebateSetting(pixels=k, precommit=pc, honest_first=order == "honest_first", agent=spec.agent,
                                    rollouts=spec.rollouts, c_puct=spec.c_puct,
                                    root_eval=spec.root_eval, seed=spec.seed)


def _data(spec: PixelDebateSpec):
    from .mnist import judge_split, load_mnist

    images, labels = load_mnist()
    _, eval_idx = judge_split(len(images))
    idx = eval_idx[:spec.images]
    return images, labels, idx


def _check(spec: PixelDebateSpec) -> None:
    _data(spec)


def blocks(spec: PixelDebateSpec) -> list[tuple[int, int]]:
    return [(lo, min(lo + spec.unit_images, spec.images)) for lo in range(0, spec.images, spec.unit_images)]


def judge_unit_config(spec: PixelDebateSpec, k: int) -> dict:
    return {"unit": "judge", "judge": judge_config(spec, k).key(), "pixels": k, "images": spec.images,
            "draws": spec.judge_draws, "seed": spec.seed}


def debate_unit_config(spec: PixelDebateSpec, setting, block: tuple[int, int]) -> dict:
    return {"unit": "debate", "judge": judge_config(spec, setting.pixels).key(), "block": list(block),
            **setting.config()}


def _run(spec: PixelDebateSpec, store, on_unit) -> None:
    import numpy as np

    from ...device import single_thread
    from .experiment import random_pixel_accuracy, run_debates
    from .judge import load_or_train

    images, labels, idx = _data(spec)
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
            for s in _settings(spec):

                def compute(s=s, block=block):
                    r = run_debates(judges[s.pixels], images[block], labels[block], s)
                    result = {"pixels": s.pixels, "precommit": s.precommit,
                              "order": "honest_first" if s.honest_first else "liar_first", "agent": s.agent,
                              "accuracy": float(r.wins.mean()), "seconds": r.seconds,
                              "judge_forwards": r.judge_forwards, "games": int(r.game_wins.size)}
                    return result, {"wins": r.wins, "game_wins": r.game_wins, "margins": r.margins,
                                    "pixels": r.pixels, "lies": r.lies, "image": np.asarray(block)}

                unit, computed = store.get_or_compute(spec.title, "debate", debate_unit_config(spec, s, (lo, hi)),
                                                      compute)
                order = "honest first" if s.honest_first else "liar first"
                on_unit(f"k={s.pixels} {'precommit' if s.precommit else 'no precommit'} {order} images {lo}-{hi}",
                        unit, computed)


def _summarize(store, spec: PixelDebateSpec) -> dict:
    from .report import summarize_units

    return summarize_units(store, spec)


def _sections(summary: dict) -> list:
    from .report import pixel_debate_section

    return [pixel_debate_section(summary)]


def _scorecard(summary: dict) -> list[ScoreRow]:
    rows = []
    for s in summary.get("settings", []):
        if "lift" not in s:
            continue
        judge = s["judge_accuracy"]
        rows.append(ScoreRow(
            technique="pixel debate",
            setting=f"MNIST {s['pixels']} px, {'precommit' if s['precommit'] else 'no precommit'}, "
                    f"{summary.get('agent_label', '')} debaters".replace(" ,", ","),
            measure="judge accuracy lift (pts)",
            value=100 * s["lift"],
            ci=(100 * s["lift_ci"][0], 100 * s["lift_ci"][1]),
            # of the gap between the judge alone and a perfect judge (the judge's own sampling noise is not in the CI)
            gap_closed=s["lift"] / (1 - judge) if judge < 1 else None,
            gap_ci=(s["lift_ci"][0] / (1 - judge), s["lift_ci"][1] / (1 - judge)) if judge < 1 else None,
        ))
    return rows


def _headline(summary: dict) -> dict:
    return {"agent": summary.get("agent_label"), "images": summary.get("images"),
            "settings": [{k: v for k, v in s.items() if k != "examples"} for s in summary.get("settings", [])]}


TECHNIQUE = Technique(type="pixel_debate", name="pixel debate", spec=PixelDebateSpec, run=_run,
                      summarize=_summarize, sections=_sections, scorecard=_scorecard, headline=_headline,
                      check=_check)
