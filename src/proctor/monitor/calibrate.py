"""Thresholds from a target false-alarm rate on reference data.

A monitor that cries wolf is switched off, so every threshold is set from the rate of false alarms the user accepts,
measured on clean reference responses, not from textbook critical values (which assume continuous, independent data
and a single test):

- online detectors (CUSUM, Page-Hinkley): the threshold h is found by bisection so that a detector with reset, run on
  a long stream resampled i.i.d. from the reference values (the bootstrap, Efron 1979), raises at most
  `target_per_10k` alarms per 10,000 responses, i.e. its in-control average run length ARL0 >= 10,000 / target;
- window tests (KS, PSI, Wasserstein, chi-squared): a window of w responses is one test, so the per-window
  false-alarm probability is p = target * w / 10,000 and the threshold is the (1 - p) quantile of the statistic over
  windows resampled from the reference, each compared against a bootstrap resample of the reference.

Both bootstrap the reference's own sampling error (Gandy & Kvaloy 2013): a threshold tuned to the reference as if it
were the population alarms too often on the population (Jones, Champ & Rigdon 2001).

`calibrate` spreads the user's target over all (detector, metric) pairs (Bonferroni), so the monitor as a whole
keeps to the target. The i.i.d. resampling ignores autocorrelation: a stream whose responses drift together (one
user's session) will alarm more often than the target, which the evaluation harness measures on held-out data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from proctor.errors import ConfigError, DataError

from .changepoint import DETECTORS
from .twosample import STATISTICS

__all__ = ["Calibration", "MetricReference", "calibrate", "calibrate_reference", "detector_threshold",
           "window_threshold"]

_SD_FLOOR = 1e-6


def detector_threshold(x_ref: np.ndarray, detector: str, target_per_10k: float, *, rng: np.random.Generator,
                       n_sim: int | None = None, params: Mapping[str, float] | None = None,
                       n_boot: int = 10) -> float:
    """Smallest threshold whose alarm rate on an i.i.d. resample of the raw reference values `x_ref`, standardized
    the way the deployed monitor standardizes them, is <= target per 10k values.

    The monitor standardizes with the reference mean and sd, which are estimates; a detector tuned to the exact
    reference then alarms too often on the population it came from (Jones, Champ & Rigdon 2001). So the simulated
    stream is cut into `n_boot` segments, each standardized with the mean and sd of a bootstrap resample of the
    reference (Gandy & Kvaloy 2013): the threshold then holds on average over the estimation error. The stream is
    long enough for ~30 alarms at the target rate (200k to 3M values): ~18% relative Monte Carlo error.
    """
    if n_sim is None:
        n_sim = int(min(3_000_000, max(200_000, 30 * 10_000 / max(target_per_10k, 1e-9))))
    alarms_fn = DETECTORS[detector][0]
    kw = dict(DETECTORS[detector][3]) | dict(params or {})
    x = np.asarray(x_ref, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.inf
    segs = []
    for size in np.diff(np.linspace(0, n_sim, n_boot + 1).astype(int)):
        boot = rng.choice(x, size=x.size, replace=True)
        # bootstrap principle: the bootstrap estimates are to the reference what the reference's are to the population
        b_mean, b_sd = float(boot.mean()), max(float(boot.std(ddof=1)) if x.size > 1 else 0.0, _SD_FLOOR)
        segs.append((rng.choice(x, size=size, replace=True) - b_mean) / b_sd)
    sim = np.concatenate(segs)
    allowed = target_per_10k * n_sim / 10_000

    def too_many(h: float) -> bool:
        return alarms_fn(sim, h, **kw, max_alarms=int(allowed) + 1).size > allowed

    lo, hi = 0.05, 1.0
    while too_many(hi):
        lo, hi = hi, hi * 4
        if hi > 1e6:
            return math.inf
    for _ in range(40):
        if hi / lo < 1.01:
            break
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if too_many(mid) else (lo, mid)
    return hi


def window_threshold(reference: np.ndarray, statistic: str, window: int, *, target_per_10k: float,
                     rng: np.random.Generator, n_windows: int = 2000, block: int = 20) -> float:
    """(1 - p) quantile of the window statistic under no drift, p = target * window / 10k.

    The deployed monitor compares each window from the population with the reference sample R. By the bootstrap
    principle, (R, window of the population) is emulated by (R*, window of R) with R* a bootstrap resample of R,
    so the sampling error of R itself is part of the null spread (a new R* every `block` windows).
    """
    fn = STATISTICS[statistic][0]
    ref = np.asarray(reference, dtype=np.float64)
    ref = ref[~np.isnan(ref)]
    if ref.size == 0:
        return math.inf
    p = min(1.0, target_per_10k * window / 10_000)
    # enough windows that the tail quantile rests on >= 20 exceedances
    n = int(min(20_000, max(n_windows, math.ceil(20 / max(p, 1e-9)))))
    stats = np.empty(n)
    for i in range(n):
        if i % block == 0:
            rstar = rng.choice(ref, size=ref.size, replace=True)
        stats[i] = fn(rstar, rng.choice(ref, size=window, replace=True))
    return float(np.quantile(stats, 1.0 - p, method="higher"))


@dataclass
class MetricReference:
    """Reference facts about one metric: location and scale for standardizing, and the window-test sample."""

    name: str
    kind: str
    mean: float
    sd: float
    n: int
    sample: list[float] = field(default_factory=list)


@dataclass
class Calibration:
    """Everything a monitor needs to judge a stream: reference statistics, detector parameters and thresholds.

    `thresholds` maps "detector:metric" (e.g. "cusum:length_chars", "ks:hedging") to the alarm threshold; a pair
    alarms when its statistic is strictly above it. JSON round-trip via `to_dict` / `from_dict`.
    """

    target_per_10k: float
    per_pair_target: float
    window: int
    metrics: dict[str, MetricReference]
    thresholds: dict[str, float]
    params: dict[str, dict[str, float]]
    n_reference: int
    seed: int

    def to_dict(self) -> dict:
        d = asdict(self)
        d["thresholds"] = {k: (v if math.isfinite(v) else None) for k, v in self.thresholds.items()}
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> Calibration:
        try:
            metrics = {k: MetricReference(**v) for k, v in d["metrics"].items()}
            thresholds = {k: (math.inf if v is None else float(v)) for k, v in d["thresholds"].items()}
            return cls(float(d["target_per_10k"]), float(d["per_pair_target"]), int(d["window"]), metrics,
                       thresholds, {k: dict(v) for k, v in d["params"].items()}, int(d["n_reference"]),
                       int(d["seed"]))
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"calibration: malformed ({type(e).__name__}: {e})") from None

    def pairs(self) -> list[tuple[str, str]]:
        return [tuple(k.split(":", 1)) for k in self.thresholds]  # type: ignore[misc]


def calibrate(values: Mapping[str, np.ndarray], kinds: Mapping[str, str], *, target_per_10k: float = 1.0,
              detectors: Sequence[str] = ("cusum", "page_hinkley"),
              statistics: Sequence[str] = ("ks", "psi", "wasserstein", "chi2"), window: int = 200, seed: int = 0,
              n_sim: int | None = None, max_sample: int = 2000, bonferroni: bool = True) -> Calibration:
    """Fit reference statistics and thresholds for every (detector, metric) pair from clean reference values.

    `values` maps metric name -> values on reference responses (NaN = not applicable); `kinds` their kinds. The
    overall `target_per_10k` is split evenly over the pairs (Bonferroni) unless `bonferroni=False`, when each pair
    gets the whole target (the evaluation harness judges pairs one at a time).
    """
    n_ref = max((np.asarray(v).size for v in values.values()), default=0)
    if n_ref < 50:
        raise DataError(f"calibration needs at least 50 reference responses, got {n_ref}")
    rng = np.random.default_rng(seed)
    pairs = [(d, m) for m in values for d in detectors]
    pairs += [(s, m) for m in values for s in statistics if kinds[m] in STATISTICS[s][1]]
    per_pair = target_per_10k / max(len(pairs), 1) if bonferroni else target_per_10k
    params = {d: dict(DETECTORS[d][3]) for d in detectors}
    refs: dict[str, MetricReference] = {}
    thresholds: dict[str, float] = {}
    for m, raw in values.items():
        x = np.asarray(raw, dtype=np.float64)
        ok = x[~np.isnan(x)]
        mean = float(ok.mean()) if ok.size else math.nan
        sd = max(float(ok.std(ddof=1)) if ok.size > 1 else 0.0, _SD_FLOOR)
        sample = np.sort(ok if ok.size <= max_sample else rng.choice(ok, max_sample, replace=False))
        refs[m] = MetricReference(m, kinds[m], mean, sd, int(ok.size), sample.tolist())
        for d in detectors:
            thresholds[f"{d}:{m}"] = detector_threshold(ok, d, per_pair, rng=rng, n_sim=n_sim)
        for s in statistics:
            if kinds[m] in STATISTICS[s][1]:
                thresholds[f"{s}:{m}"] = window_threshold(sample, s, window, target_per_10k=per_pair, rng=rng)
    return Calibration(target_per_10k, per_pair, window, refs, thresholds, params, n_ref, seed)


def calibrate_reference(reference: str, *, metrics: Sequence[str] | None, target_per_10k: float, window: int,
                        detectors: Sequence[str], statistics: Sequence[str], seed: int, text_field: str | None = None,
                        prompt_field: str | None = None) -> tuple[Calibration, str]:
    """`calibrate` on a reference given by name: a JSONL file of responses, or "hh" (the HH-RLHF chosen replies).
    Returns the calibration and a description of the reference; unknown names are a ConfigError."""
    from .registry import compute_metrics, resolve
    from .responses import reference_responses

    specs = resolve(list(metrics) if metrics else None)
    texts, prompts, source = reference_responses(reference, text_field, prompt_field)
    vals = compute_metrics(texts, prompts, [s.name for s in specs])
    for d in detectors:
        if d not in DETECTORS:
            raise ConfigError(f"unknown detector {d!r}; known: {', '.join(DETECTORS)}")
    for s in statistics:
        if s not in STATISTICS:
            raise ConfigError(f"unknown window test {s!r}; known: {', '.join(STATISTICS)}")
    if window < 10:
        raise ConfigError("--window must be at least 10 responses")
    if not target_per_10k > 0:
        raise ConfigError("--false-alarms must be > 0 (alarms per 10k clean responses)")
    return calibrate(vals, {s.name: s.kind for s in specs}, target_per_10k=target_per_10k, detectors=tuple(detectors),
                     statistics=tuple(statistics), window=window, seed=seed), source
