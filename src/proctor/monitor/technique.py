"""The reward-hacking monitor: its registration (`type = "monitor"`, `proctor monitor`).

One unit: calibrate every (detector, metric) pair on half of the HH-RLHF chosen replies, count false alarms on a clean
stream, and measure detection delay on injected drifts (proctor.monitor.experiment). The scorecard gets, per drift, the
pair chosen on the selection replicates (the fastest that caught every one within its false-alarm budget), measured
again on fresh replicates: its median delay there with an exact order-statistic 95% CI.
"""

from ..runs.technique import Technique
from .spec import MonitorSpec

TECHNIQUE = Technique(
    type="monitor", name="reward-hacking monitor", spec=MonitorSpec,
    run="proctor.monitor.experiment:run", check="proctor.monitor.experiment:check",
    summarize="proctor.monitor.summary:summarize", headline="proctor.monitor.summary:headline",
    scorecard="proctor.monitor.summary:scorecard", sections="proctor.monitor.report:sections",
    cli={"monitor": "proctor.monitor.cli:monitor_app"},
)
