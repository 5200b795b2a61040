"""The reward-hacking monitor: its registration (`type = "monitor"`, `proctor monitor`).

One unit: calibrate every (detector, metric) pair on half of the HH-RLHF chosen replies, count false alarms on a clean
stream, and measure detection delay on injected drifts (proctor.monitor.experiment). The scorecard gets, per drift, the
fastest pair that caught every replicate within its false-alarm budget: its median delay with a bootstrap CI over
replicates.
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
