"""Executors: inline, a local process pool and Ray fan an experiment's pieces out and write one run store.

The toy technique (tests/plugins/toy_technique.py) kills its own worker with SIGKILL once, standing in for a lost
machine; the piece must be retried and the run must finish with every unit. Ray runs as a real local instance.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.errors import ConfigError
from proctor.runs.compare import compare_rows, overlap
from proctor.runs.executor import run_suite, scorecard
from proctor.runs.fanout import InlineExecutor, LocalExecutor, make_executor
from proctor.runs.spec import Suite
from proctor.runs.store import RunStore
from proctor.runs.technique import ScoreRow

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def toy_plugin(monkeypatch):
    monkeypatch.setenv("PROCTOR_TECHNIQUES", "toy=plugins.toy_technique")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    monkeypatch.syspath_prepend(str(TESTS))


def _toy_suite(tmp_path, **kw) -> Suite:
    return Suite.model_validate({"name": "toy", "experiment": [{"type": "toy", **kw}]})


def _values(run_dir) -> list[int]:
    with RunStore(run_dir) as st:
        return sorted(u.result["value"] for u in st.units())


def test_inline_runs_all_pieces_and_resume_skips_them(toy_plugin, tmp_path):
    suite = _toy_suite(tmp_path, pieces=4)
    run_suite(suite, tmp_path / "run")
    assert _values(tmp_path / "run") == [0, 1, 4, 9]
    seen = []

    class Spy(InlineExecutor):
        def run_experiment(self, spec, store, on_unit):
            super().run_experiment(spec, store, lambda label, unit, computed: seen.append(computed))

    run_suite(suite, tmp_path / "run", executor=Spy())
    assert seen == [False] * 4
    assert (tmp_path / "run" / "report.html").exists()


def test_local_pool_retries_a_killed_worker(toy_plugin, tmp_path):
    marker = tmp_path / "killed"
    suite = _toy_suite(tmp_path, pieces=3, kill_marker=str(marker))
    ex = LocalExecutor(workers=2)
    try:
        run_suite(suite, tmp_path / "run", executor=ex)
    finally:
        ex.close()
    assert marker.exists(), "the piece never killed its worker: the test proves nothing"
    assert _values(tmp_path / "run") == [0, 1, 4]


def test_local_pool_gives_up_after_repeated_deaths(toy_plugin, tmp_path, monkeypatch):
    suite = _toy_suite(tmp_path, pieces=2, kill_always=True)
    ex = LocalExecutor(workers=1, retries=1)
    try:
        with pytest.raises(ConfigError, match="died 2 times"):
            run_suite(suite, tmp_path / "run", executor=ex)
    finally:
        ex.close()


def test_ray_executor_retries_a_killed_worker_and_matches_inline(toy_plugin, tmp_path, data_dir):
    pytest.importorskip("ray")
    marker = tmp_path / "killed"
    toy = {"type": "toy", "pieces": 3, "kill_marker": str(marker)}
    w2s = {"type": "w2s", "dataset": "sst2", "weak": ["tfidf"], "strong": "tfidf", "loss": ["xent"], "seeds": 3,
           "max_train": 400, "max_test": 200}
    suite = Suite.model_validate({"name": "fan", "experiment": [toy, w2s]})
    ex = make_executor("ray")
    try:
        ray_summary = run_suite(suite, tmp_path / "ray", executor=ex)
    finally:
        ex.close()
    assert marker.exists(), "the piece never killed its worker: the test proves nothing"
    with RunStore(tmp_path / "ray") as st:
        assert sorted(u.result["value"] for u in st.units(experiment="toy")) == [0, 1, 4]
        pids = {u.result["pid"] for u in st.units(experiment="toy")}
    assert os.getpid() not in pids  # the pieces really ran in Ray workers
    inline_summary = run_suite(Suite.model_validate({"name": "fan", "experiment": [w2s]}), tmp_path / "inline")
    assert ray_summary["w2s-sst2"]["rows"] == inline_summary["w2s-sst2"]["rows"]


def test_unknown_executor_is_a_config_error():
    with pytest.raises(ConfigError, match="inline, local or ray"):
        make_executor("slurm")


def test_overlap_and_compare_rows_by_hand():
    assert overlap((0.1, 0.3), (0.25, 0.5)) is True
    assert overlap((0.1, 0.2), (0.25, 0.5)) is False
    assert overlap(None, (0, 1)) is None
    a = [ScoreRow("w2s", "sst2", "PGR", 0.4, (0.3, 0.5)), ScoreRow("sae", "hh", "TPR", 0.2, (0.1, 0.3))]
    b = [ScoreRow("w2s", "sst2", "PGR", 0.1, (0.0, 0.2)), ScoreRow("debate", "q", "lift", 0.1, None)]
    rows = compare_rows(a, b)
    assert rows[0]["difference"] == pytest.approx(0.3) and rows[0]["ci_overlap"] is False
    assert rows[1]["only_in"] == "A" and rows[2]["only_in"] == "B"


def test_scorecard_collects_rows_in_suite_order(toy_plugin, tmp_path):
    suite = _toy_suite(tmp_path, pieces=2)
    summaries = run_suite(suite, tmp_path / "run")
    rows = scorecard(suite, summaries)
    assert [r.value for r in rows] == [1.0]
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Oversight scorecard" in html


def test_cli_run_with_local_executor_and_report_against(toy_plugin, tmp_path):
    spec = tmp_path / "toy.toml"
    spec.write_text('name = "toy"\n[[experiment]]\ntype = "toy"\npieces = 2\n')
    a = invoke("run", spec, "--out", tmp_path / "a", "--executor", "local", "--workers", "2", "--json")
    assert a.exit_code == 0, a.output
    obj = last_json(a)
    assert obj["scorecard"][0]["value"] == 1.0 and obj["experiments"][0]["type"] == "toy"
    b = invoke("run", spec, "--out", tmp_path / "b", "--json")
    assert b.exit_code == 0, b.output
    c = invoke("report", tmp_path / "a", "--against", tmp_path / "b", "--json")
    assert c.exit_code == 0, c.output
    rows = last_json(c)["rows"]
    assert rows[0]["difference"] == 0.0 and rows[0]["ci_overlap"] is True
    assert "Compared with" in (tmp_path / "a" / "report.html").read_text()


def test_cli_quick_with_a_suite_file_is_a_user_error(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "x"\n')
    assert_user_error(invoke("run", spec, "--quick"), "--quick")
    assert_user_error(invoke("run", "--executor", "slurm", "--quick"), "slurm")
