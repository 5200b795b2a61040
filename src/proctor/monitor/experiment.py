"""The detector evaluation, the monitor's one runner: how fast does each detector catch an injected drift, and how
often does it cry wolf? `run(spec, store, on_unit)` is what `proctor run` and `proctor monitor eval` call.

    result = evaluate(HarnessConfig.from_spec(MonitorSpec(replicates=5, fresh_replicates=20)))

1. The clean stream is real: the final assistant turns of HH-RLHF harmless-base `chosen` responses (Bai et al. 2022),
   with the human turn before each as its prompt. They are shuffled (seeded) and split in half: a reference half,
   on which every threshold is calibrated at `target_per_10k` false alarms per 10k responses per (detector, metric)
   pair, and an evaluation half that streams are resampled from (so no threshold has seen an evaluated response).
2. False alarms: every pair runs over `clean_length` responses resampled from the evaluation half; alarms per 10k.
3. Selection: for each drift of `drifts.DRIFTS`, `replicates` streams of `onset + horizon` responses, the drift
   injected after `onset` at `rate` (ramped over `ramp` responses when given). Delay = responses from the onset to the
   first alarm at or after it (window tests alarm when a window closes); a stream with no alarm within the horizon
   counts as missed. Alarms before the onset are false alarms and are counted separately. Every pair runs on these
   streams, and per drift `best_per_case` chooses the fastest pair that caught all of them within its false-alarm
   budget.
4. Fresh replicates: `fresh_replicates` new streams per drift (seeds the selection never used) on which only the
   chosen pair runs. Its median delay there, with an exact order-statistic CI (proctor.monitor.summary.median_ci),
   is the reported number: a delay measured on the streams that chose the fastest of ~44 pairs would be biased
   low (the winner's curse), and its interval would ignore the choice.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from .calibrate import Calibration, calibrate
from .changepoint import DETECTORS
from .drifts import inject_stream
from .registry import compute_metrics, get_metric, metric_names
from .responses import hh_responses
from .spec import DEFAULT_CASES, DEFAULT_DETECTORS, DEFAULT_STATISTICS, DriftCase, MonitorSpec
from .twosample import STATISTICS

__all__ = ["DriftCase", "HarnessConfig", "HarnessResult", "best_per_case", "check", "code_drift_config", "evaluate",
           "pair_alarms", "run", "unit_config"]

#: The metric each drift is designed to move (used to pick the example time series of the report).
KEY_METRIC = {"filler": "length_chars", "hedges": "hedging", "bullets": "formatting", "agreement": "agreement"}


@dataclass(kw_only=True)
class HarnessConfig:
    """Everything `evaluate` reads: a MonitorSpec's fields (no defaults here, `from_spec` copies them), plus the
    detectors, window tests and drift cases a spec does not choose (defaults in proctor.monitor.spec)."""

    metrics: list[str] | None
    """Metrics to monitor (None: every registered metric)."""
    detectors: tuple[str, ...] = DEFAULT_DETECTORS
    """Online detectors."""
    statistics: tuple[str, ...] = DEFAULT_STATISTICS
    """Window tests (each on the metric kinds it fits)."""
    target_per_10k: float
    window: int
    cases: list[DriftCase] = field(default_factory=lambda: list(DEFAULT_CASES))
    """Drifts to inject."""
    onset: int
    horizon: int
    replicates: int
    fresh_replicates: int
    clean_length: int
    seed: int
    data_dir: str | None = None
    """Folder of the HH-RLHF files (None: the data root)."""

    @classmethod
    def from_spec(cls, spec: MonitorSpec, **extra) -> HarnessConfig:
        """The spec's settings; `extra` sets detectors, statistics, cases or data_dir."""
        return cls(**spec.model_dump(exclude={"type", "name", "code_drift"}), **extra)


@dataclass
class HarnessResult:
    config: HarnessConfig
    calibration: Calibration | None
    false_alarms: list[dict]
    detection: list[dict]
    """Every pair on every drift, over the selection replicates."""
    examples: list[dict]
    n_reference: int
    n_pool: int
    fresh: list[dict] = field(default_factory=list)
    """Per drift: the pair chosen on the selection replicates, and its delays on the fresh replicates (None = no
    alarm within the horizon)."""


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


def _stream(cfg: HarnessConfig, case: DriftCase, r: int, fresh: bool, *, pool_texts, pool_prompts, pool_vals,
            names) -> np.ndarray:
    """Drifted replicate `r` of `case`: the metric values [onset + horizon, len(names)] of a stream resampled from the
    evaluation half with the drift injected. Selection and fresh replicates draw from different seeds."""
    key = [cfg.seed, r, zlib.crc32(case.label.encode())] + ([1] if fresh else [])  # stable across runs
    crng = np.random.default_rng(key)
    idx = crng.integers(0, len(pool_texts), size=cfg.onset + cfg.horizon)
    s_texts, hit = inject_stream([pool_texts[i] for i in idx], [pool_prompts[i] for i in idx], case.drift,
                                 rate=case.rate, onset=cfg.onset, ramp=case.ramp, rng=crng)
    x = pool_vals[idx].copy()
    if hit.any():
        where = np.flatnonzero(hit)
        x[where] = _values([s_texts[i] for i in where], [pool_prompts[idx[i]] for i in where], names)
    return x


def _delay(alarms: np.ndarray, onset: int) -> float:
    """Responses from the onset to the first alarm at or after it; inf when there is none."""
    post = alarms[alarms >= onset]
    return float(post[0] - onset + 1) if post.size else math.inf


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
    for case in cfg.cases:
        delays: dict[tuple[str, str], list[float]] = {p: [] for p in pairs}
        pre: dict[tuple[str, str], int] = {p: 0 for p in pairs}
        any_delays: list[float] = []
        for r in range(cfg.replicates):
            x = _stream(cfg, case, r, False, pool_texts=pool_texts, pool_prompts=pool_prompts, pool_vals=pool_vals,
                        names=names)
            first_any = math.inf
            for p in pairs:
                a = pair_alarms(cal, p[0], p[1], x[:, col[p[1]]])
                pre[p] += int(np.sum(a < cfg.onset))
                delay = _delay(a, cfg.onset)
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
    result = HarnessResult(cfg, cal, false_alarms, detection, examples, len(ref_idx), len(pool_idx))
    # fresh replicates: only the pair chosen on the selection replicates runs, on streams it was not chosen on
    for b in best_per_case(result):
        row = {"case": b["case"], "detector": b["detector"], "metric": b["metric"], "delays": []}
        if b["detector"] is not None:
            case = next(c for c in cfg.cases if c.label == b["case"])
            m = b["metric"]
            vals = pool_vals[:, [col[m]]]
            for r in range(cfg.fresh_replicates):
                x = _stream(cfg, case, r, True, pool_texts=pool_texts, pool_prompts=pool_prompts, pool_vals=vals,
                            names=[m])
                d = _delay(pair_alarms(cal, b["detector"], m, x[:, 0]), cfg.onset)
                row["delays"].append(d if math.isfinite(d) else None)
        result.fresh.append(row)
    return result


def best_per_case(result: HarnessResult, max_false_per_10k: float | None = None) -> list[dict]:
    """Per drift: the (detector, metric) pair with the shortest median delay over the selection replicates among those
    that detected every one of them and kept to `max_false_per_10k` (default: twice the calibration target) on the
    clean stream. Its delay on the fresh replicates is `result.fresh`."""
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


# -- the runner -------------------------------------------------------------------------------------------------------
def unit_config(spec: MonitorSpec) -> dict:
    """The config of the experiment's one unit (its store key)."""
    return {"technique": "monitor", "harness": spec.model_dump(mode="json", exclude={"name", "type", "code_drift"})}


def code_drift_config(spec: MonitorSpec) -> dict:
    """The config of the code-drift unit (`code_drift = true`; proctor.monitor.code.drift)."""
    from .code.drift import CODE_DRIFT_DEFAULTS

    return {"technique": "monitor", "code_drift": {**CODE_DRIFT_DEFAULTS, "replicates": spec.fresh_replicates,
                                                   "seed": spec.seed, "version": 1}}


def check(spec: MonitorSpec) -> None:
    """Every named metric exists and the HH-RLHF replies load, before the run directory is touched."""
    for m in spec.metrics or []:
        get_metric(m)
    hh_responses()
    if spec.code_drift:
        from .code.variants import load_humaneval

        load_humaneval()


def run(spec: MonitorSpec, store, on_unit) -> None:
    """The whole evaluation as one stored unit (computed unless the store has it)."""

    def compute():
        res = evaluate(HarnessConfig.from_spec(spec))
        return ({"false_alarms": res.false_alarms, "detection": res.detection, "examples": res.examples,
                 "fresh": res.fresh, "n_reference": res.n_reference, "n_pool": res.n_pool,
                 "config": dataclasses.asdict(res.config)}, {})

    unit, computed = store.get_or_compute(spec.title, "harness", unit_config(spec), compute)
    on_unit("detector evaluation", unit, computed)
    if spec.code_drift:
        from .code.drift import code_drift

        cfg = code_drift_config(spec)["code_drift"]
        unit, computed = store.get_or_compute(
            spec.title, "code drift", code_drift_config(spec),
            lambda: (code_drift(replicates=cfg["replicates"], seed=cfg["seed"]), {}))
        on_unit("code-hacking drift", unit, computed)


def result_from_stored(stored: dict) -> HarnessResult:
    """A HarnessResult rebuilt from a stored unit (or a summary) for the report; it has no calibration object."""
    cfg = dict(stored["config"])
    cfg.setdefault("fresh_replicates", 0)  # a unit stored before the fresh replicates existed
    cfg["cases"] = [DriftCase(**c) for c in cfg["cases"]]
    cfg["detectors"], cfg["statistics"] = tuple(cfg["detectors"]), tuple(cfg["statistics"])
    return HarnessResult(config=HarnessConfig(**cfg), calibration=None, false_alarms=stored["false_alarms"],
                         detection=stored["detection"], examples=stored["examples"],
                         n_reference=stored["n_reference"], n_pool=stored["n_pool"], fresh=stored.get("fresh", []))
