"""The reward-hacking monitor's detector evaluation as a suite technique (`type = "monitor"`).

One unit: calibrate every (detector, metric) pair on half of the HH-RLHF chosen replies, count false alarms on a clean
stream, and measure detection delay on injected drifts (proctor.monitor.harness). The scorecard gets, per drift, the
fastest pair that caught every replicate within its false-alarm budget: its median delay with a bootstrap CI over
replicates.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from pydantic import Field

from ..runs.spec import Spec
from ..runs.store import unit_key
from ..runs.technique import ScoreRow, Technique


class MonitorSpec(Spec):
    """Detector evaluation on injected drifts (verbosity, hedging, formatting, agreement)."""

    type: Literal["monitor"] = "monitor"
    name: str | None = None
    """Experiment title (default "monitor")."""
    replicates: int = Field(default=3, ge=1)
    """Drifted streams per drift case."""
    clean_length: int = Field(default=20_000, ge=1000)
    """Clean responses on which false alarms are counted."""
    target_per_10k: float = Field(default=1.0, gt=0)
    """False alarms per 10k clean responses each (detector, metric) pair is calibrated to."""
    window: int = Field(default=200, ge=10)
    """Responses per window test."""
    onset: int = Field(default=1000, ge=1)
    """Responses before the drift starts."""
    horizon: int = Field(default=3000, ge=10)
    """Responses after the onset within which an alarm counts as a detection."""
    metrics: list[str] | None = None
    """Metrics to monitor (default: every registered metric)."""
    seed: int = 0
    """Seed of the stream resampling and calibration."""

    @property
    def title(self) -> str:
        return self.name or "monitor"


def _config(spec: MonitorSpec):
    from .harness import HarnessConfig

    return HarnessConfig(metrics=spec.metrics, target_per_10k=spec.target_per_10k, window=spec.window,
                         onset=spec.onset, horizon=spec.horizon, replicates=spec.replicates,
                         clean_length=spec.clean_length, seed=spec.seed)


def _unit_config(spec: MonitorSpec) -> dict:
    return {"technique": "monitor", "harness": spec.model_dump(mode="json", exclude={"name", "type"})}


def _check(spec: MonitorSpec) -> None:
    from .registry import get_metric
    from .responses import hh_responses

    for m in spec.metrics or []:
        get_metric(m)
    hh_responses()


def _run(spec: MonitorSpec, store, on_unit) -> None:
    from .harness import evaluate

    def compute():
        res = evaluate(_config(spec))
        return ({"false_alarms": res.false_alarms, "detection": res.detection, "examples": res.examples,
                 "n_reference": res.n_reference, "n_pool": res.n_pool,
                 "config": dataclasses.asdict(res.config)}, {})

    unit, computed = store.get_or_compute(spec.title, "harness", _unit_config(spec), compute)
    on_unit("detector evaluation", unit, computed)


def _summarize(store, spec: MonitorSpec) -> dict:
    from ..jsonout import finite
    from .harness import best_per_case

    unit = store.get(unit_key(_unit_config(spec)))
    if unit is None:
        return {"experiment": spec.title, "complete": False, "best": []}
    best = best_per_case(_result(unit.result))
    for b in best:
        row = next((r for r in unit.result["detection"] if r["case"] == b["case"] and r["detector"] == b["detector"]
                    and r["metric"] == b["metric"]), None)
        b["delay_ci"] = _median_ci(row["delays"]) if row and row.get("delays") else None
    return finite({"experiment": spec.title, "complete": True, "best": best, **unit.result})


def _result(stored: dict):
    """A HarnessResult rebuilt from a stored unit (or a summary) for the report; it has no calibration object."""
    from .harness import DriftCase, HarnessConfig, HarnessResult

    cfg = dict(stored["config"])
    cfg["cases"] = [DriftCase(**c) for c in cfg["cases"]]
    cfg["detectors"], cfg["statistics"] = tuple(cfg["detectors"]), tuple(cfg["statistics"])
    return HarnessResult(config=HarnessConfig(**cfg), calibration=None, false_alarms=stored["false_alarms"],
                         detection=stored["detection"], examples=stored["examples"],
                         n_reference=stored["n_reference"], n_pool=stored["n_pool"])


def _median_ci(delays: list, n_boot: int = 2000, seed: int = 0) -> list[float] | None:
    """Percentile-bootstrap 95% CI of the median delay over replicates (a missed replicate = no delay, skipped)."""
    import numpy as np

    d = np.asarray([x for x in delays if x is not None], dtype=float)
    if d.size < 2:
        return None
    rng = np.random.default_rng(seed)
    meds = np.median(d[rng.integers(0, d.size, size=(n_boot, d.size))], axis=1)
    return [float(np.percentile(meds, 2.5)), float(np.percentile(meds, 97.5))]


def _sections(summary: dict) -> list:
    from .report import harness_section

    return [harness_section(_result(summary))] if summary.get("complete") else []


def _scorecard(summary: dict) -> list[ScoreRow]:
    rows = []
    for b in summary.get("best", []):
        found = b.get("detector") is not None
        ci = b.get("delay_ci")
        rows.append(ScoreRow(
            technique="reward-hacking monitor",
            setting=f"{b['case']}: {b['detector']} on {b['metric']}" if found else b["case"],
            measure="median detection delay (responses)",
            value=b.get("median_delay") if found else None,
            ci=tuple(ci) if ci else None,
            verdict="measured" if found else "no result: no pair caught every replicate within budget",
        ))
    return rows


def _headline(summary: dict) -> dict:
    return {"complete": summary.get("complete", False),
            "best": [{k: b.get(k) for k in ("case", "detector", "metric", "median_delay", "delay_ci",
                                            "false_per_10k")} for b in summary.get("best", [])]}


TECHNIQUE = Technique(type="monitor", name="reward-hacking monitor", spec=MonitorSpec, run=_run,
                      summarize=_summarize, sections=_sections, scorecard=_scorecard, headline=_headline,
                      check=_check)
