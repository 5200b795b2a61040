"""Adding a technique touches one place: tests/plugins/coin_technique.py declares spec, runner, summary, report,
scorecard and CLI verb, and Proctor runs it in a suite, mounts its verb, and reads its CLI defaults from its spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import last_json

TESTS = Path(__file__).resolve().parent
ENV = {"PROCTOR_TECHNIQUES": "coin=plugins.coin_technique"}


def _proctor(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV, "COLUMNS": "400", "PYTHONPATH": str(TESTS) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "proctor.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_plugged_in_technique_runs_in_a_suite(tmp_path, monkeypatch):
    from proctor.runs.executor import run_suite, scorecard
    from proctor.runs.spec import load_suite

    monkeypatch.setenv("PROCTOR_TECHNIQUES", ENV["PROCTOR_TECHNIQUES"])
    suite_file = tmp_path / "suite.toml"
    suite_file.write_text('name = "s"\n[[experiment]]\ntype = "coin"\nflips = 50\n')
    suite = load_suite(suite_file)
    summaries = run_suite(suite, tmp_path / "run")
    assert summaries["coin"]["seeds"] == 2  # the spec's default
    assert [r.technique for r in scorecard(suite, summaries)] == ["coin"]
    assert "coin: coin" in (tmp_path / "run" / "report.html").read_text()


def test_a_plugged_in_technique_gets_its_verb_and_the_same_runner(tmp_path):
    helped = _proctor("--help", cwd=tmp_path)
    assert helped.returncode == 0 and "coin" in helped.stdout
    verb_help = _proctor("coin", "--help", cwd=tmp_path)
    # the help text is the spec field's docstring with the spec's default
    assert "Flips per seed." in verb_help.stdout and "(default: 100)" in verb_help.stdout
    r = _proctor("coin", "--flips", "40", "--out", tmp_path / "run", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    obj = last_json(r)
    assert obj["seeds"] == 2
    # the verb ran a one-experiment suite: a run directory with a store and a report, resumable
    assert (tmp_path / "run" / "store.sqlite").exists() and (tmp_path / "run" / "report.html").exists()
    again = _proctor("coin", "--flips", "40", "--out", tmp_path / "run", "--json", cwd=tmp_path)
    assert "finished earlier" in again.stderr
    assert last_json(again)["accuracy"] == obj["accuracy"]


def test_a_bad_option_is_one_line_naming_the_field(tmp_path):
    r = _proctor("coin", "--bias", "2", cwd=tmp_path)
    assert r.returncode == 2
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "bias" in lines[0] and "Traceback" not in r.stderr


def test_a_missing_plugin_module_is_named(monkeypatch):
    from proctor.errors import ConfigError
    from proctor.runs.technique import all_techniques

    monkeypatch.setenv("PROCTOR_TECHNIQUES", "nope=plugins.does_not_exist")
    with pytest.raises(ConfigError, match="plugins.does_not_exist"):
        all_techniques()
