"""`StreamMonitor`: metrics + detectors over a stream of responses, with a JSON state that survives a restart.

    mon = StreamMonitor(calibration)
    for alarm in mon.update(text, prompt, line=lineno): ...
    state = mon.state_dict()            # JSON-able; StreamMonitor.from_state(calibration, state) continues exactly

Per response: every calibrated metric is computed, standardized with the reference mean and sd, and fed to each
online detector (CUSUM, Page-Hinkley); values are also buffered per metric, and every `window` responses each window
test (KS, PSI, Wasserstein, chi-squared) compares the buffer with the reference sample. An `Alarm` says which
detector on which metric fired, at which response (and input line), with its statistic and threshold.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from proctor.errors import DataError

from .calibrate import Calibration
from .changepoint import DETECTORS
from .registry import get_metric, make_doc
from .twosample import STATISTICS

__all__ = ["Alarm", "StreamMonitor"]

#: Window means kept for plots: the oldest half is thinned when the list is full, so memory stays bounded.
_HISTORY_MAX = 512


@dataclass(frozen=True)
class Alarm:
    """One alarm: `index` is the 0-based count of valid responses seen before this one; `line` the input line."""

    index: int
    line: int | None
    metric: str
    detector: str
    statistic: float
    threshold: float
    value: float

    def to_dict(self) -> dict:
        """JSON-ready: a non-finite number (a window of NaN values) becomes None."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


class StreamMonitor:
    """Online drift monitor over a calibrated set of metrics; state is plain JSON (see `state_dict`)."""

    def __init__(self, calibration: Calibration):
        self.cal = calibration
        self.metrics = list(calibration.metrics)
        self._specs = None  # resolved on the first text: `update_values` works for metrics outside the registry
        pairs = calibration.pairs()
        self.online = [(d, m) for d, m in pairs if d in DETECTORS]
        self.windowed = [(s, m) for s, m in pairs if s in STATISTICS]
        self._ref = {m: np.asarray(r.sample, dtype=np.float64) for m, r in calibration.metrics.items()}
        self.n = 0
        self.alarms_total = 0
        self.alarms_by_pair: dict[str, int] = {f"{d}:{m}": 0 for d, m in pairs}
        self.det_state = {f"{d}:{m}": [0.0] * DETECTORS[d][2] for d, m in self.online}
        self.buffers: dict[str, list[float]] = {m: [] for m in self.metrics}
        self.history: list[dict] = []  # per window: {"end": n, metric: mean}
        self.history_stride = 1
        self._windows_seen = 0

    # -- streaming ------------------------------------------------------------------------------------------------
    def update(self, text: str, prompt: str | None = None, line: int | None = None) -> list[Alarm]:
        if self._specs is None:
            self._specs = [get_metric(m) for m in self.metrics]
        doc = make_doc(text, prompt)
        row = {s.name: (math.nan if s.needs_prompt and not prompt else float(s.fn(doc))) for s in self._specs}
        return self.update_values(row, line)

    def update_values(self, row: dict[str, float], line: int | None = None) -> list[Alarm]:
        """Feed one response's precomputed metric values (metric name -> float)."""
        alarms: list[Alarm] = []
        for d, m in self.online:
            ref = self.cal.metrics[m]
            x = row[m]
            z = (x - ref.mean) / ref.sd
            key = f"{d}:{m}"
            h = self.cal.thresholds[key]
            stat = DETECTORS[d][1](self.det_state[key], z, h, **self.cal.params.get(d, {}))
            if stat > h:
                alarms.append(Alarm(self.n, line, m, d, stat, h, x))
        for m in self.metrics:
            self.buffers[m].append(row[m])
        if len(self.buffers[self.metrics[0]]) >= self.cal.window:
            alarms += self._close_window(line)
        for a in alarms:
            self.alarms_by_pair[f"{a.detector}:{a.metric}"] += 1
        self.alarms_total += len(alarms)
        self.n += 1
        return alarms

    def _close_window(self, line: int | None) -> list[Alarm]:
        alarms = []
        means = {}
        for s, m in self.windowed:
            win = np.asarray(self.buffers[m], dtype=np.float64)
            stat = STATISTICS[s][0](self._ref[m], win)
            h = self.cal.thresholds[f"{s}:{m}"]
            if stat == stat and stat > h:
                alarms.append(Alarm(self.n, line, m, s, stat, h, float(np.nanmean(win)) if np.any(win == win)
                                    else math.nan))
        for m in self.metrics:
            win = np.asarray(self.buffers[m], dtype=np.float64)
            means[m] = float(np.nanmean(win)) if np.any(~np.isnan(win)) else None
            self.buffers[m] = []
        self._windows_seen += 1
        if self._windows_seen % self.history_stride == 0:
            self.history.append({"end": self.n + 1, **means})
            if len(self.history) >= _HISTORY_MAX:
                self.history = self.history[::2]
                self.history_stride *= 2
        return alarms

    # -- state ----------------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        nan_free = {m: [None if v != v else v for v in b] for m, b in self.buffers.items()}
        return {"n": self.n, "alarms_total": self.alarms_total, "alarms_by_pair": dict(self.alarms_by_pair),
                "det_state": {k: list(v) for k, v in self.det_state.items()}, "buffers": nan_free,
                "history": list(self.history), "history_stride": self.history_stride,
                "windows_seen": self._windows_seen}

    @classmethod
    def from_state(cls, calibration: Calibration, state: dict) -> StreamMonitor:
        mon = cls(calibration)
        try:
            mon.n = int(state["n"])
            mon.alarms_total = int(state["alarms_total"])
            mon.alarms_by_pair.update({k: int(v) for k, v in state["alarms_by_pair"].items()})
            for k, v in state["det_state"].items():
                if k not in mon.det_state or len(v) != len(mon.det_state[k]):
                    raise ValueError(f"detector state {k!r} does not match the calibration")
                mon.det_state[k] = [float(x) for x in v]
            for m, b in state["buffers"].items():
                if m not in mon.buffers:
                    raise ValueError(f"metric {m!r} is not in the calibration")
                mon.buffers[m] = [math.nan if x is None else float(x) for x in b]
            mon.history = list(state["history"])
            mon.history_stride = int(state["history_stride"])
            mon._windows_seen = int(state["windows_seen"])
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"monitor state: malformed ({type(e).__name__}: {e})") from None
        return mon
