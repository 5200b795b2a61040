"""Reward-hacking monitor (textbook Section 18.7.5, Exercise 35.1.2): per-response metrics, drift detection with
calibrated false-alarm rates, an evaluation harness with injected drifts, sycophancy on paired prompts through
inspect-ai, and length-controlled rewards.

    from proctor.monitor import StreamMonitor, calibrate, compute_metrics, get_metric
    ref = compute_metrics(reference_texts, names=["length_chars", "hedging"])
    cal = calibrate(ref, {m: get_metric(m).kind for m in ref}, target_per_10k=10)
    mon = StreamMonitor(cal)
    alarms = mon.update("model reply", prompt="user prompt")

    spec.py           MonitorSpec: the detector evaluation's settings and defaults (`type = "monitor"`), QUICK
    experiment.py     the detector evaluation on injected drifts: evaluate, run(spec, store, on_unit)
    summary.py        summarize(store, spec), headline, scorecard rows
    report.py         report sections (evaluation, watched stream, length control, sycophancy)
    technique.py      the registration (`type = "monitor"`, `proctor monitor`)
    cli.py            `proctor monitor watch | calibrate | eval | sycophancy | lc | bias | metrics`
    registry.py       per-response metrics (metrics.py: the built-in ones)
    calibrate.py      thresholds at a target false-alarm rate
    changepoint.py    online detectors (CUSUM, Page-Hinkley); twosample.py: window tests
    stream.py         StreamMonitor; watch.py: following a growing JSONL file, crash-safe
    drifts.py         injected drifts; responses.py: HH-RLHF replies and JSONL rows
    sycophancy.py     paired-prompt sycophancy through inspect-ai
    lengthcontrol.py  AlpacaEval 2 length control; reward.py: length-penalised rewards and length bias
"""

import importlib
from typing import Any

# Imported on first use, so `proctor --help` (which mounts `proctor.monitor.cli`) does not pay for pandas and scipy.
_EXPORTS = {
    "Calibration": "calibrate", "calibrate": "calibrate",
    "cusum_alarms": "changepoint", "page_hinkley_alarms": "changepoint",
    "DRIFTS": "drifts", "inject_stream": "drifts",
    "DriftCase": "spec", "MonitorSpec": "spec", "HarnessConfig": "experiment", "evaluate": "experiment",
    "alpacaeval_correlations": "lengthcontrol", "fit_length_controlled": "lengthcontrol",
    "Doc": "registry", "compute_metrics": "registry", "get_metric": "registry", "make_doc": "registry",
    "metric_names": "registry", "register_metric": "registry",
    "LengthPenalisedReward": "reward", "alpha_for_zero_slope": "reward", "length_bias": "reward",
    "pairwise_length_bias": "reward",
    "Alarm": "stream", "StreamMonitor": "stream",
    "chi2_statistic": "twosample", "ks_statistic": "twosample", "psi": "twosample", "wasserstein1": "twosample",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DRIFTS", "Alarm", "Calibration", "Doc", "DriftCase", "HarnessConfig", "LengthPenalisedReward", "MonitorSpec",
    "StreamMonitor",
    "alpacaeval_correlations", "alpha_for_zero_slope", "calibrate", "chi2_statistic", "compute_metrics",
    "cusum_alarms", "evaluate", "fit_length_controlled", "get_metric", "inject_stream", "ks_statistic", "length_bias",
    "make_doc", "metric_names", "page_hinkley_alarms", "pairwise_length_bias", "psi", "register_metric",
    "wasserstein1",
]
