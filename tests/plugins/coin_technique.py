"""How to add a technique to Proctor: this one file is the whole of it (see tests/test_technique_plugin.py).

A technique is a spec (its settings and their defaults, documented per field), a runner that computes units into the
run store, a summary, report sections, scorecard rows, and CLI verbs. Inside Proctor each of these is a module of the
technique's package (spec.py, experiment.py, summary.py, report.py, cli.py) and `technique.py` registers them; a
technique of your own can keep them in one module and be plugged in with

    PROCTOR_TECHNIQUES="coin=plugins.coin_technique" proctor run suite.toml        # [[experiment]] type = "coin"
    PROCTOR_TECHNIQUES="coin=plugins.coin_technique" proctor coin --flips 200 --json

The measurement: how often a weak overseer that sees each coin flip with probability `visible` calls its outcome
right, against always guessing heads. Units are seeds; a rerun skips finished seeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import numpy as np
import typer
from pydantic import Field

from proctor.options import spec_option
from proctor.runs.spec import Spec
from proctor.runs.technique import ScoreRow, Technique


# spec: the one home of the defaults ---------------------------------------------------------------------------------
class CoinSpec(Spec):
    """A weak overseer calling biased coin flips it only partly sees."""

    type: Literal["coin"] = "coin"
    """The technique."""
    name: str | None = None
    """Experiment name in the report."""
    flips: int = Field(default=100, ge=1)
    """Flips per seed."""
    bias: float = Field(default=0.7, ge=0, le=1)
    """Probability of heads."""
    visible: float = Field(default=0.5, ge=0, le=1)
    """Probability that the overseer sees a flip (otherwise it guesses heads)."""
    seeds: int = Field(default=2, ge=1)
    """Seeds 0..seeds-1, one unit each."""

    @property
    def title(self) -> str:
        return self.name or "coin"


# runner --------------------------------------------------------------------------------------------------------------
def run(spec: CoinSpec, store, on_unit) -> None:
    for seed in range(spec.seeds):
        def compute(seed=seed):
            rng = np.random.default_rng(seed)
            heads = rng.random(spec.flips) < spec.bias
            seen = rng.random(spec.flips) < spec.visible
            called = np.where(seen, heads, True)
            return {"accuracy": float((called == heads).mean()), "baseline": float(heads.mean())}, {}

        config = {"technique": "coin", **spec.model_dump(exclude={"name", "seeds"}), "seed": seed}
        unit, computed = store.get_or_compute(spec.title, "seed", config, compute)
        on_unit(f"seed {seed}", unit, computed)


# summary, report, scorecard ----------------------------------------------------------------------------------------
def summarize(store, spec: CoinSpec) -> dict:
    units = store.units(experiment=spec.title)
    acc = [u.result["accuracy"] for u in units]
    base = [u.result["baseline"] for u in units]
    return {"title": spec.title, "seeds": len(units), "accuracy": float(np.mean(acc)) if acc else None,
            "baseline": float(np.mean(base)) if base else None}


def sections(summary: dict) -> list:
    from proctor.report import Section, Table

    return [Section(title=f"coin: {summary['title']}", tables=[Table(
        columns=["seeds", "accuracy", "always heads"],
        rows=[[summary["seeds"], summary["accuracy"], summary["baseline"]]])])]


def scorecard(summary: dict) -> list[ScoreRow]:
    if summary["accuracy"] is None:
        return []
    return [ScoreRow("coin", "weak overseer", "accuracy - always heads", summary["accuracy"] - summary["baseline"])]


# CLI: options read their defaults and help from the spec -----------------------------------------------------------
def coin(
    flips: Annotated[Optional[int], spec_option(CoinSpec, "flips", min=1)] = None,
    bias: Annotated[Optional[float], spec_option(CoinSpec, "bias")] = None,
    visible: Annotated[Optional[float], spec_option(CoinSpec, "visible")] = None,
    seeds: Annotated[Optional[int], spec_option(CoinSpec, "seeds", min=1)] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")] = False,
):
    """The coin-flip overseer, run through the same runner as `proctor run` (a one-experiment suite)."""
    from proctor.jsonout import emit_json
    from proctor.options import spec_from_options
    from proctor.runs.executor import run_one
    from proctor.term import err, fmt_num, out

    spec = spec_from_options(CoinSpec, flips=flips, bias=bias, visible=visible, seeds=seeds)
    summary, run_dir = run_one(spec, out_dir, err)
    out.print(f"accuracy {fmt_num(summary['accuracy'])} (always heads {fmt_num(summary['baseline'])})")
    if as_json:
        emit_json(summary | {"run_dir": str(run_dir)})


# registration: the one place --------------------------------------------------------------------------------------
TECHNIQUE = Technique(type="coin", name="coin overseer", spec=CoinSpec, run=run, summarize=summarize,
                      sections=sections, scorecard=scorecard, cli={"coin": "plugins.coin_technique:coin"})
