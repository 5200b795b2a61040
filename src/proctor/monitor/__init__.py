"""Reward-hacking monitor (textbook Section 18.7.5, Exercise 35.1.2): per-response metrics, drift detection with
calibrated false-alarm rates, an evaluation harness with injected drifts, sycophancy on paired prompts through
inspect-ai, and length-controlled rewards.

    from proctor.monitor import StreamMonitor, calibrate, compute_metrics, get_metric
    ref = compute_metrics(reference_texts, names=["length_chars", "hedging"])
    cal = calibrate(ref, {m: get_metric(m).kind for m in ref}, target_per_10k=10)
    mon = StreamMonitor(cal)
    alarms = mon.update("model reply", prompt="user prompt")

CLI: `proctor monitor watch | calibrate | eval | sycophancy | lc | bias | metrics` (see `proctor.monitor.cli`).
"""

from .calibrate import Calibration, calibrate
from .changepoint import cusum_alarms, page_hinkley_alarms
from .drifts import DRIFTS, inject_stream
from .harness import DriftCase, HarnessConfig, evaluate
from .lengthcontrol import alpacaeval_correlations, fit_length_controlled
from .registry import Doc, compute_metrics, get_metric, make_doc, metric_names, register_metric
from .reward import LengthPenalisedReward, alpha_for_zero_slope, length_bias, pairwise_length_bias
from .stream import Alarm, StreamMonitor
from .twosample import chi2_statistic, ks_statistic, psi, wasserstein1

__all__ = [
    "DRIFTS", "Alarm", "Calibration", "Doc", "DriftCase", "HarnessConfig", "LengthPenalisedReward", "StreamMonitor",
    "alpacaeval_correlations", "alpha_for_zero_slope", "calibrate", "chi2_statistic", "compute_metrics",
    "cusum_alarms", "evaluate", "fit_length_controlled", "get_metric", "inject_stream", "ks_statistic", "length_bias",
    "make_doc", "metric_names", "page_hinkley_alarms", "pairwise_length_bias", "psi", "register_metric",
    "wasserstein1",
]
