"""The monitor's detector evaluation as a suite experiment: stored as one unit, resumed, scored, reported."""

from __future__ import annotations

import pytest

from proctor.errors import ConfigError
from proctor.monitor.summary import median_ci
from proctor.runs.executor import run_suite, scorecard
from proctor.runs.fanout import InlineExecutor
from proctor.runs.spec import Suite, load_suite


def _suite():
    return Suite.model_validate({"name": "mon", "experiment": [{
        "type": "monitor", "replicates": 2, "clean_length": 2000, "metrics": ["length_chars", "hedging"],
        "horizon": 1500}]})


def test_monitor_suite_runs_scores_and_resumes(data_dir, tmp_path):
    suite = _suite()
    summaries = run_suite(suite, tmp_path / "run")
    rows = scorecard(suite, summaries)
    assert {r.technique for r in rows} == {"reward-hacking monitor"}
    assert len(rows) == 5  # one per drift case
    hedges = next(r for r in rows if r.setting.startswith("hedges"))
    assert hedges.verdict == "measured" and hedges.value > 0  # hedging drift is caught on the hedging metric
    assert "hedging" in hedges.setting
    seen = []

    class Spy(InlineExecutor):
        def run_experiment(self, spec, store, on_unit):
            super().run_experiment(spec, store, lambda label, unit, computed: seen.append(computed))

    run_suite(suite, tmp_path / "run", executor=Spy())
    assert seen == [False]
    assert "detection delay" in (tmp_path / "run" / "report.html").read_text()


def test_median_ci_by_hand():
    assert median_ci([None, 5.0]) is None  # one detected replicate: no interval
    lo, hi = median_ci([10.0, 10.0, 10.0])
    assert lo == hi == 10.0
    lo, hi = median_ci([1.0, 2.0, 3.0, 100.0])
    assert 1.0 <= lo <= hi <= 100.0


def test_unknown_metric_names_the_field(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[[experiment]]\ntype = "monitor"\nreplicate = 2\n')
    with pytest.raises(ConfigError, match=r"experiment\.0\.replicate: unknown key"):
        load_suite(p)
