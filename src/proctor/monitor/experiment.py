"""The evaluation harness: how fast does each detector catch an injected drift, and how often does it cry wolf?

    result = evaluate(HarnessConfig(replicates=10))     # `proctor monitor eval` runs this and writes a report

1. The clean stream is real: the final assistant turns of HH-RLHF harmless-base `chosen` responses (Bai et al. 2022),
   with the human turn before each as its prompt. They are shuffled (seeded) and split in half: a reference half,
   on which every threshold is calibrated at `target_per_10k` false alarms per 10k responses per (detector, metric)
   pair, and an evaluation half that streams are resampled from (so no threshold has seen an evaluated response).
2. False alarms: every pair runs over `clean_length` responses resampled from the evaluation half; alarms per 10k.
3. Detection delay: for each drift of `drifts.DRIFTS`, `replicates` streams of `onset + horizon` responses, the drift
   injected after `onset` at `rate` (ramped over `ramp` responses when given). Delay = responses from the onset to the
   first alarm at or after it (window tests alarm when a window closes); a stream with no alarm within the horizon
   counts as missed. Alarms before the onset are false alarms and are counted separately.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from .calibrate import Calibration, calibrate
from .changepoint import DETECTORS
from .drifts import inject_stream
from .registry import compute_metrics, get_metric, metric_names
from .responses import hh_responses
from .twosample import STATISTICS

__all__ = ["DriftCase", "HarnessConfig", "HarnessResult", "evaluate", "pair_alarms"]

#: The metric each drift is designed to move (used to pick the example time series of the report).
KEY_METRIC = {"filler": "length_chars", "hedges": "hedging", "bullets": "formatting", "agreement": "agreement"}


@dataclass(frozen=True)
class DriftCase:
    """One injected drift: which pattern, the share of responses it hits, and over how many responses it ramps up."""

    drift: str
    rate: float
    ramp: int = 0

    @property
    def label(self) -> str:
        return f"{self.drift} {self.rate:.0%}" + (f" ramp {self.ramp}" if self.ramp else "")


@dataclass
class HarnessConfig:
    metrics: list[str] | None = None
    """Metrics to monitor (default: every registered metric)."""
    detectors: tuple[str, ...] = ("cusum", "page_hinkley")
    """Online detectors."""
    statistics: tuple[str, ...] = ("ks", "psi", "wasserstein", "chi2")
    """Window tests (each on the metric kinds it fits)."""
    target_per_10k: float = 1.0
    """False alarms per 10k clean responses each (detector, metric) pair is calibrated to."""
    window: int = 200
    """Responses per window test."""
    cases: list[DriftCase] = field(default_factory=lambda: [
        DriftCase("filler", 0.3), DriftCase("filler", 1.0, ramp=2000), DriftCase("hedges", 0.3),
        DriftCase("bullets", 0.2), DriftCase("agreement", 0.1)])
    """Drifts to inject."""
    onset: int = 1000
    """Responses before the drift starts."""
    horizon: int = 3000
    """Responses after the onset within which an alarm counts as a detection."""
    replicates: int = 10
    """Streams per drift."""
    clean_length: int = 50_000
    """Clean responses on which false alarms are counted."""
    seed: int = 0
    data_dir: str | None = None


@dataclass
class HarnessResult:
    config: HarnessConfig
    calibration: Calibration
    false_alarms: list[dict]
    detection: list[dict]
    examples: list[dict]
    n_reference: int
    n_pool: int


def pair_alarms(cal: Calibration, detector: str, metric: str, x: np.ndarray) -> np.ndarray:
    """Indices of the responses at which `detector` on `metric` alarms over the value array `x`."""
    h = cal.thresholds[f"{detector}:{metric}"]
    if not math.isfinite(h):
        return np.empty(0, dtype=np.int64)
    if detector in DETECTORS:
        ref = cal.metrics[metric]
        return DETECTORS[detector][0]((x - ref.mean) / ref.sd, h, **cal.params.get(detector, {}))
    fn = STATISTICS[detector][0]
    ref_sample = np.asarray(cal.metrics[metric].sample)
    w = cal.window
    ends = [e for e in range(w, x.size + 1, w) if fn(ref_sample, x[e - w: e]) > h]
    return np.asarray([e - 1 for e in ends], dtype=np.int64)


def _values(texts, prompts, names) -> np.ndarray:
    vals = compute_metrics(texts, prompts, names)
    return np.stack([vals[n] for n in names], axis=1)


def evaluate(cfg: HarnessConfig) -> HarnessResult:
    names = list(cfg.metrics) if cfg.metrics else metric_names()
    kinds = {n: get_metric(n).kind for n in names}
    rng = np.random.default_rng(cfg.seed)
    texts, prompts = hh_responses(cfg.data_dir)
    order = rng.permutation(len(texts))
    half = len(texts) // 2
    ref_idx, pool_idx = order[:half], order[half:]
    ref_vals = _values([texts[i] for i in ref_idx], [prompts[i] for i in ref_idx], names)
    pool_texts, pool_prompts = [texts[i] for i in pool_idx], [prompts[i] for i in pool_idx]
    pool_vals = _values(pool_texts, pool_prompts, names)
    cal = calibrate({n: ref_vals[:, j] for j, n in enumerate(names)}, kinds, target_per_10k=cfg.target_per_10k,
                    detectors=cfg.detectors, statistics=cfg.statistics, window=cfg.window, seed=cfg.seed,
                    bonferroni=False)
    pairs = cal.pairs()
    col = {n: j for j, n in enumerate(names)}

    clean = pool_vals[rng.integers(0, len(pool_texts), size=cfg.clean_length)]
    false_alarms, union = [], set()
    for d, m in pairs:
        a = pair_alarms(cal, d, m, clean[:, col[m]])
        union.update(a.tolist())
        false_alarms.append({"detector": d, "metric": m, "alarms": int(a.size),
                             "per_10k": 1e4 * a.size / cfg.clean_length})
    false_alarms.append({"detector": "any", "metric": "any", "alarms": len(union),
                         "per_10k": 1e4 * len(union) / cfg.clean_length})

    detection, examples = [], []
    n = cfg.onset + cfg.horizon
    for case in cfg.cases:
        delays: dict[tuple[str, str], list[float]] = {p: [] for p in pairs}
        pre: dict[tuple[str, str], int] = {p: 0 for p in pairs}
        any_delays: list[float] = []
        for r in range(cfg.replicates):
            crng = np.random.default_rng([cfg.seed, r, zlib.crc32(case.label.encode())])  # stable across runs
            idx = crng.integers(0, len(pool_texts), size=n)
            s_texts, hit = inject_stream([pool_texts[i] for i in idx], [pool_prompts[i] for i in idx], case.drift,
                                         rate=case.rate, onset=cfg.onset, ramp=case.ramp, rng=crng)
            x = pool_vals[idx].copy()
            if hit.any():
                where = np.flatnonzero(hit)
                x[where] = _values([s_texts[i] for i in where], [pool_prompts[idx[i]] for i in where], names)
            first_any = math.inf
            for p in pairs:
                a = pair_alarms(cal, p[0], p[1], x[:, col[p[1]]])
                pre[p] += int(np.sum(a < cfg.onset))
                post = a[a >= cfg.onset]
                delay = float(post[0] - cfg.onset + 1) if post.size else math.inf
                delays[p].append(delay)
                first_any = min(first_any, delay)
            any_delays.append(first_any)
            if r == 0:
                key = KEY_METRIC.get(case.drift, names[0])
                if key in col:
                    examples.append({"case": case.label, "metric": key, "values": x[:, col[key]].tolist(),
                                     "onset": cfg.onset, "alarms": {
                                         d: pair_alarms(cal, d, key, x[:, col[key]]).tolist()
                                         for d, m in pairs if m == key}})
        for (d, m), ds in list(delays.items()) + [(("any", "any"), any_delays)]:
            arr = np.asarray(ds)
            ok = arr[np.isfinite(arr)]
            detection.append({"case": case.label, "drift": case.drift, "rate": case.rate, "ramp": case.ramp,
                              "detector": d, "metric": m, "detected": float(ok.size / arr.size),
                              "median_delay": float(np.median(ok)) if ok.size else math.nan,
                              "mean_delay": float(ok.mean()) if ok.size else math.nan,
                              "pre_onset_alarms": pre.get((d, m), 0), "replicates": int(arr.size),
                              "delays": [float(v) if math.isfinite(v) else None for v in arr]})
    return HarnessResult(cfg, cal, false_alarms, detection, examples, len(ref_idx), len(pool_idx))


def best_per_case(result: HarnessResult, max_false_per_10k: float | None = None) -> list[dict]:
    """Per drift: the (detector, metric) pair with the shortest median delay among those that detected every replicate
    and kept to `max_false_per_10k` (default: twice the calibration target) on the clean stream."""
    limit = 2 * result.config.target_per_10k if max_false_per_10k is None else max_false_per_10k
    fa = {(r["detector"], r["metric"]): r["per_10k"] for r in result.false_alarms}
    out = []
    for case in result.config.cases:
        rows = [r for r in result.detection if r["case"] == case.label and r["detector"] != "any"
                and r["detected"] == 1.0 and fa[(r["detector"], r["metric"])] <= limit]
        if rows:
            b = min(rows, key=lambda r: (r["median_delay"], r["mean_delay"]))
            out.append(b | {"false_per_10k": fa[(b["detector"], b["metric"])]})
        else:
            out.append({"case": case.label, "detector": None, "metric": None, "median_delay": math.nan,
                        "detected": 0.0, "false_per_10k": math.nan})
    return out
