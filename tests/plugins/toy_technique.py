"""A tiny technique for the executor tests (plugged in with PROCTOR_TECHNIQUES="toy=plugins.toy_technique").

Each piece i computes one unit (i squared). With `kill_marker` set, the worker running piece `kill_piece` kills its
own process with SIGKILL the first time (and leaves the marker file), standing in for a lost machine or an OOM kill.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Literal

import numpy as np

from proctor.report import Section, Table
from proctor.runs.spec import Spec
from proctor.runs.technique import ScoreRow, Technique


class ToySpec(Spec):
    type: Literal["toy"] = "toy"
    name: str | None = None
    """Experiment title."""
    pieces: int = 3
    """Independent pieces."""
    kill_marker: str | None = None
    """File created just before the first attempt at `kill_piece` kills its worker."""
    kill_piece: int = 1
    """Which piece kills its worker once."""
    kill_always: bool = False
    """Kill the worker on every attempt at `kill_piece` (a piece that can never finish)."""
    delay: float = 0.0
    """Seconds each unit takes (for tests of two runs into one folder at once)."""

    @property
    def title(self) -> str:
        return self.name or "toy"


def run_shard(spec: ToySpec, store, on_unit, i: int) -> None:
    def compute():
        if spec.kill_always and i == spec.kill_piece:
            os.kill(os.getpid(), signal.SIGKILL)
        if spec.kill_marker and i == spec.kill_piece and not Path(spec.kill_marker).exists():
            Path(spec.kill_marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        if spec.delay:
            import time

            time.sleep(spec.delay)
        return {"value": i * i, "pid": os.getpid()}, {"x": np.arange(i + 1)}

    unit, computed = store.get_or_compute(spec.title, "square", {"toy": spec.title, "i": i}, compute)
    on_unit(f"piece {i}", unit, computed)


def run(spec: ToySpec, store, on_unit) -> None:
    for i in range(spec.pieces):
        run_shard(spec, store, on_unit, i)


def summarize(store, spec: ToySpec) -> dict:
    units = store.units(experiment=spec.title)
    return {"values": sorted(u.result["value"] for u in units), "n": len(units)}


TECHNIQUE = Technique(
    type="toy", name="toy", spec=ToySpec, run=run, summarize=summarize,
    sections=lambda s: [Section(title="toy", tables=[Table(columns=["n"], rows=[[s["n"]]])])],
    scorecard=lambda s: [ScoreRow("toy", "squares", "sum", float(sum(s["values"])), (0.0, 10.0))],
    shards=lambda spec: spec.pieces, run_shard=run_shard,
)
