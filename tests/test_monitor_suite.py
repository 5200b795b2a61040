"""The monitor's detector evaluation as a suite experiment: stored as one unit, resumed, scored, reported."""

from __future__ import annotations

import pytest

from proctor.errors import ConfigError
from proctor.runs.executor import run_suite, scorecard
from proctor.runs.fanout import InlineExecutor
from proctor.runs.spec import Suite, load_suite


def _suite():
    return Suite.model_validate({"name": "mon", "experiment": [{
        "type": "monitor", "replicates": 2, "fresh_replicates": 6, "clean_length": 2000,
        "metrics": ["length_chars", "hedging"], "horizon": 1500}]})


def test_monitor_suite_runs_scores_and_resumes(data_dir, tmp_path):
    suite = _suite()
    summaries = run_suite(suite, tmp_path / "run")
    rows = scorecard(suite, summaries)
    assert {r.technique for r in rows} == {"reward-hacking monitor"}
    assert len(rows) == 5  # one per drift case
    hedges = next(r for r in rows if r.setting.startswith("hedges"))
    assert hedges.verdict == "measured" and hedges.value > 0  # hedging drift is caught on the hedging metric
    assert "hedging" in hedges.setting
    # the reported delay is the chosen pair's on 6 fresh replicates, with the exact [min, max] interval (96.9%)
    assert hedges.unit.startswith("6 fresh replicates") and hedges.ci[0] <= hedges.value <= hedges.ci[1] < 1500
    best = next(b for b in summaries["monitor"]["best"] if b["case"].startswith("hedges"))
    assert len(best["delays"]) == 6 and best["delay_ci"] == [min(best["delays"]), max(best["delays"])]
    assert best["ci_coverage"] == pytest.approx(62 / 64) and best["selection"]["replicates"] == 2
    seen = []

    class Spy(InlineExecutor):
        def run_experiment(self, spec, store, on_unit):
            super().run_experiment(spec, store, lambda label, unit, computed: seen.append(computed))

    run_suite(suite, tmp_path / "run", executor=Spy())
    assert seen == [False]
    assert "detection delay" in (tmp_path / "run" / "report.html").read_text()


def test_too_few_fresh_replicates_is_a_config_error(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[[experiment]]\ntype = "monitor"\nfresh_replicates = 5\n')
    with pytest.raises(ConfigError, match=r"experiment\.0\.fresh_replicates"):
        load_suite(p)


def test_unknown_metric_names_the_field(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[[experiment]]\ntype = "monitor"\nreplicate = 2\n')
    with pytest.raises(ConfigError, match=r"experiment\.0\.replicate: unknown key"):
        load_suite(p)


def test_quick_preset_is_the_quick_suites_table():
    import tomllib
    from pathlib import Path

    import proctor
    from proctor.monitor.spec import QUICK

    suite = tomllib.loads((Path(proctor.__file__).parent / "suites" / "quick.toml").read_text())
    table = next(e for e in suite["experiment"] if e["type"] == "monitor")
    assert {k: v for k, v in table.items() if k != "type"} == QUICK


def test_a_summary_stored_before_fresh_replicates_gives_no_verdict():
    from proctor.monitor.summary import scorecard as monitor_scorecard

    old = {"horizon": 3000, "best": [{"case": "hedges 30%", "detector": "cusum", "metric": "hedging",
                                      "median_delay": 6.0, "delay_ci": [5.0, 22.0], "replicates": 3}]}
    (row,) = monitor_scorecard(old)
    assert row.value is None and row.verdict == "no result: stored before the fresh replicates; rerun into a new " \
                                                "run directory"
