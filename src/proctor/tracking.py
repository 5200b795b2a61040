"""Experiment tracking: `proctor --log-to mlflow|tensorboard|wandb VERB ...` (or `PROCTOR_LOG_TO`) sends a suite's
numbers to an experiment tracker as the run goes. It is hooked in once, where suites run (proctor.runs.executor.
run_suite), so `proctor run` and every end-to-end verb (a one-experiment suite) log the same way.

What is logged, per suite run (one tracker run named after the run directory):
  params     every experiment's spec settings, flattened (`<experiment>.<field>`); settings whose name says key,
             token, secret, password or auth are left out, and nothing from the environment is ever logged
  metrics    per finished unit (computed now or found in the store): each number of the unit's result
             (`<experiment>/<unit>/<name>`) and its seconds, at step = the unit's position in the run; a training
             history the unit returns (a list of {"step": ..., "<metric>": ...} records, e.g. an SAE's fvu / auxk
             curve) as a series over its own steps; at the end, each scorecard row's value and CI bounds
             (`scorecard/<technique>/<setting>/<measure>`)

Where it goes: MLflow to $MLFLOW_TRACKING_URI, else a file store in RUN_DIR/mlruns; TensorBoard event files to
RUN_DIR/tensorboard; W&B always offline (mode "offline": no network), to RUN_DIR/wandb (`wandb sync` uploads later).
The packages are optional extras (mlflow-skinny, tensorboard, wandb), imported only when asked for; a missing one is
a one-line error before the run starts. A tracker that fails mid-run is reported once and dropped; the run goes on.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["TARGETS", "Tracking", "check", "configure", "configured", "flatten_numbers", "open_tracking"]

TARGETS = {"mlflow": "mlflow", "tensorboard": "tensorboard", "wandb": "wandb"}
"""--log-to value -> the package it needs."""
ENV = "PROCTOR_LOG_TO"
_PACKAGES = {"mlflow": "mlflow-skinny", "tensorboard": "tensorboard", "wandb": "wandb"}
_SECRET = re.compile(r"key|token|secret|passw|auth|credential", re.IGNORECASE)
_URL_USER = re.compile(r"(://)[^/@\s]+@")  # user:password@ in a URL
_configured: list[str] | None = None


def parse(value: str | list[str] | None) -> list[str]:
    """"mlflow,tensorboard" (or a list of such) -> ["mlflow", "tensorboard"]; an unknown name is a ConfigError."""
    items = value if isinstance(value, list) else [value or ""]
    names = [n.strip().lower() for item in items for n in str(item).split(",") if n.strip()]
    for n in names:
        if n not in TARGETS:
            raise ConfigError(f"--log-to: unknown tracker {n!r}; choose from {', '.join(TARGETS)}")
    return list(dict.fromkeys(names))


def configure(value: str | list[str] | None) -> list[str]:
    """Set the trackers of the runs this process starts (the CLI's `--log-to`); None falls back to PROCTOR_LOG_TO."""
    global _configured
    _configured = parse(value) if value else None
    return configured()


def configured() -> list[str]:
    return _configured if _configured is not None else parse(os.environ.get(ENV))


def check(targets: list[str]) -> None:
    """Import each tracker's package now, so a missing one fails before the run directory is touched."""
    import importlib

    for t in targets:
        try:
            importlib.import_module(TARGETS[t])
            if t == "tensorboard":
                importlib.import_module("torch.utils.tensorboard")
        except ImportError:
            raise ConfigError(f"--log-to {t}: the package {_PACKAGES[t]} is not installed "
                              f"(pip install {_PACKAGES[t]})") from None


# -- what is logged ---------------------------------------------------------------------------------------------------
def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:  # numpy scalars
            import numpy as np

            if isinstance(v, np.generic) and np.issubdtype(v.dtype, np.number):
                v = v.item()
            else:
                return None
        except ImportError:  # pragma: no cover
            return None
    v = float(v)
    return v if math.isfinite(v) else None


def _is_history(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(r, Mapping) for r in v) and any(
        _number(x) is not None for r in v[:1] for x in r.values())


def flatten_numbers(obj: Any, prefix: str = "") -> tuple[dict[str, float], dict[str, list[Mapping]]]:
    """(scalars, histories) of a unit's result: every finite number by its slash-joined path, and every list of
    records (a training history) by its path. Other lists (per-example values) are not metrics."""
    scalars: dict[str, float] = {}
    histories: dict[str, list[Mapping]] = {}
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            path = f"{prefix}/{k}" if prefix else str(k)
            if _SECRET.search(str(k)):
                continue
            if _is_history(v):
                histories[path] = v
            elif isinstance(v, Mapping):
                s, h = flatten_numbers(v, path)
                scalars.update(s)
                histories.update(h)
            elif (x := _number(v)) is not None:
                scalars[path] = x
    return scalars, histories


def _params(suite) -> dict[str, str]:
    out: dict[str, str] = {"suite": str(suite.name)}

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, Mapping):
            for k, v in obj.items():
                if not _SECRET.search(str(k)):
                    walk(v, f"{path}.{k}")
        else:
            out[path] = _URL_USER.sub(r"\1***@", str(obj))[:500]

    for spec in suite.experiment:
        walk(spec.model_dump(mode="json"), spec.title)
    return out


_KEY_BAD = re.compile(r"[^A-Za-z0-9_\-. /]+")


def metric_key(*parts: str) -> str:
    """A key every tracker accepts (MLflow's rule is the strictest: letters, digits, _ - . space /)."""
    key = "/".join(_KEY_BAD.sub("_", str(p)).strip() or "_" for p in parts)
    return key[:250]


# -- the trackers -------------------------------------------------------------------------------------------------
class _MLflow:
    name = "mlflow"

    def __init__(self, run_dir: Path, suite):
        from mlflow.tracking import MlflowClient

        uri = os.environ.get("MLFLOW_TRACKING_URI") or (run_dir.resolve() / "mlruns").as_uri()
        if uri.startswith("file:") or "://" not in uri:
            # MLflow 3 keeps its file store (what an offline run wants) behind this switch
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.client = MlflowClient(tracking_uri=uri)
        exp = self.client.get_experiment_by_name(f"proctor/{suite.name}")
        exp_id = exp.experiment_id if exp else self.client.create_experiment(f"proctor/{suite.name}")
        self.run_id = self.client.create_run(exp_id, run_name=run_dir.name,
                                             tags={"proctor.run_dir": str(run_dir)}).info.run_id
        self.where = uri

    def params(self, params: dict[str, str]) -> None:
        from mlflow.entities import Param

        items = [Param(metric_key(k).replace("/", "."), v) for k, v in params.items()]
        for i in range(0, len(items), 100):  # MLflow's batch limit
            self.client.log_batch(self.run_id, params=items[i:i + 100])

    def metrics(self, values: dict[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        ts = int(time.time() * 1000)
        items = [Metric(k, v, ts, step) for k, v in values.items()]
        for i in range(0, len(items), 1000):
            self.client.log_batch(self.run_id, metrics=items[i:i + 1000])

    def close(self, ok: bool) -> None:
        self.client.set_terminated(self.run_id, "FINISHED" if ok else "FAILED")


class _TensorBoard:
    name = "tensorboard"

    def __init__(self, run_dir: Path, suite):
        from torch.utils.tensorboard import SummaryWriter

        self.where = str(run_dir / "tensorboard")
        self.writer = SummaryWriter(log_dir=self.where)

    def params(self, params: dict[str, str]) -> None:
        self.writer.add_text("params", "\n".join(f"    {k} = {v}" for k, v in params.items()))

    def metrics(self, values: dict[str, float], step: int) -> None:
        for k, v in values.items():
            self.writer.add_scalar(k, v, step)

    def close(self, ok: bool) -> None:
        self.writer.close()


class _Wandb:
    name = "wandb"

    def __init__(self, run_dir: Path, suite):
        import wandb

        (run_dir / "wandb").mkdir(parents=True, exist_ok=True)
        self.where = str(run_dir / "wandb")
        self.run = wandb.init(mode="offline", dir=str(run_dir), project=f"proctor-{suite.name}", name=run_dir.name,
                              # no code, git state, command line or machine facts: only what Proctor logs
                              settings=wandb.Settings(save_code=False, disable_code=True, disable_git=True,
                                                      console="off", x_disable_stats=True, x_disable_meta=True,
                                                      x_disable_machine_info=True, silent=True),
                              reinit="create_new")
        self.step = -1

    def params(self, params: dict[str, str]) -> None:
        self.run.config.update(params, allow_val_change=True)

    def metrics(self, values: dict[str, float], step: int) -> None:
        # W&B steps only go up: a history's own steps are kept as a value beside the metric
        self.step += 1
        self.run.log(values | {"proctor_step": step}, step=self.step)

    def close(self, ok: bool) -> None:
        self.run.finish(exit_code=0 if ok else 1)


_CLASSES = {"mlflow": _MLflow, "tensorboard": _TensorBoard, "wandb": _Wandb}


class Tracking:
    """The open trackers of one suite run. `on_unit(experiment, on_unit)` wraps an executor's unit callback."""

    def __init__(self, trackers: list, console=None):
        self.trackers = trackers
        self.console = console
        self.step = 0

    def _each(self, method: str, *args) -> None:
        for t in list(self.trackers):
            try:
                getattr(t, method)(*args)
            except Exception as e:  # a tracker's failure must not lose the run
                self.trackers.remove(t)
                if self.console is not None:
                    from rich.markup import escape

                    self.console.print(f"[yellow]warning:[/] --log-to {t.name} stopped: {escape(str(e)[:300])}")

    def unit(self, experiment: str, label: str, unit) -> None:
        """Log one finished unit: its result's numbers and seconds at the next step, and its training histories."""
        if not self.trackers:
            return
        scalars, histories = flatten_numbers(getattr(unit, "result", {}))
        values = {metric_key(experiment, label, k): v for k, v in scalars.items()}
        if (s := _number(getattr(unit, "seconds", None))) is not None:
            values[metric_key(experiment, label, "seconds")] = s
        self._each("metrics", values, self.step)
        self.step += 1
        for path, records in histories.items():
            for i, rec in enumerate(records):
                step = _number(rec.get("step"))
                nums = {metric_key(experiment, label, path, k): x for k, v in rec.items()
                        if k != "step" and (x := _number(v)) is not None}
                if nums:
                    self._each("metrics", nums, int(step) if step is not None else i)

    def on_unit(self, experiment: str, inner):
        def on_unit(label: str, unit, computed: bool) -> None:
            inner(label, unit, computed)
            self.unit(experiment, label, unit)

        return on_unit

    def scorecard(self, rows: list) -> None:
        values: dict[str, float] = {}
        for r in rows:
            key = metric_key("scorecard", r.technique, r.setting, r.measure)
            for suffix, v in (("", r.value), ("/ci_lo", r.ci[0] if r.ci else None),
                              ("/ci_hi", r.ci[1] if r.ci else None), ("/gap_closed", r.gap_closed)):
                if (x := _number(v)) is not None:
                    values[key + suffix] = x
        if values:
            self._each("metrics", values, self.step)


@contextmanager
def open_tracking(run_dir: Path, suite, console=None, targets: list[str] | None = None) -> Iterator[Tracking]:
    """The trackers of `targets` (default: `configured()`) opened for one suite run, closed at the end (marked failed
    if the run raised)."""
    targets = configured() if targets is None else targets
    check(targets)
    if "wandb" in targets:
        os.environ["WANDB_MODE"] = "offline"  # never network, whatever the user's settings say
    trackers = []
    try:
        for t in targets:
            try:
                trackers.append(_CLASSES[t](run_dir, suite))
            except Exception as e:  # a tracker that cannot start (bad URI, unreachable server): one line
                raise ConfigError(f"--log-to {t}: cannot start: {str(e).strip().splitlines()[0][:300]}") from None
            if console is not None:
                from rich.markup import escape

                console.print(f"logging to {t}: {escape(trackers[-1].where)}")
        tracking = Tracking(trackers, console)
        tracking._each("params", _params(suite))
    except Exception:
        for t in trackers:
            t.close(False)
        raise
    ok = False
    try:
        yield tracking
        ok = True
    finally:
        for t in list(tracking.trackers):
            try:
                t.close(ok)
            except Exception as e:  # closing one must not stop the others, nor hide the run's own error
                if console is not None:
                    from rich.markup import escape

                    console.print(f"[yellow]warning:[/] --log-to {t.name}: closing failed: {escape(str(e)[:300])}")
