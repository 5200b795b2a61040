"""`proctor superposition toy | interference` as users run them, and the suite plug-in on a tiny setting."""

import json

from conftest import assert_user_error
from typer.testing import CliRunner

from proctor.cli import app as APP  # the commands as users get them, bodies wrapped in the error guard

runner = CliRunner()


def invoke(*args):
    return runner.invoke(APP, ["superposition", *[str(a) for a in args]])


def last_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_toy_json_and_report(tmp_path):
    obj = last_json(invoke("toy", "--features", 6, "--dims", 2, "--sparsities", "0,0.9", "--steps", 300,
                           "--batch-size", 256, "--out", tmp_path / "toy", "--json"))
    assert [round(m["sparsity"], 6) for m in obj["models"]] == [0.0, 0.9]
    assert obj["config"]["n_features"] == 6 and obj["dense"]["top_m"] == [0, 1]
    assert all(0 <= m["represented"] <= 6 for m in obj["models"])
    assert (tmp_path / "toy" / "report.html").stat().st_size > 1000
    assert (tmp_path / "toy" / "models.npz").exists()


def test_interference_json():
    obj = last_json(invoke("interference", "--features", 6, "--dims", 2, "--sparsity", 0.9, "--steps", 300, "--json"))
    s = obj["toy"]["summary"]
    assert s["probe_max_abs_error_active"] is None or s["probe_max_abs_error_active"] < 1e-9
    assert obj["real"] == []


def test_bad_arguments_give_one_line():
    assert_user_error(invoke("toy", "--features", 5, "--dims", 5), "dims", "features")
    assert_user_error(invoke("toy", "--sparsities", "0,abc"), "--sparsities")
    assert_user_error(invoke("toy", "--sparsities", "1.0"), "S = 1")
    assert_user_error(invoke("interference", "--sparsity", "1.5"), "--sparsity")
    assert_user_error(invoke("interference", "--steps", 10, "--sae", "/nonexistent/sae"), "/nonexistent/sae")


def test_suite_plugin_runs_and_resumes(tmp_path):
    from proctor.runs.spec import load_suite
    from proctor.runs.store import RunStore
    from proctor.runs.technique import get
    from proctor.superposition.suite import SuperpositionSpec

    spec_file = tmp_path / "s.toml"
    spec_file.write_text('name = "t"\n[[experiment]]\ntype = "superposition"\nfeatures = 6\ndims = 2\n'
                         'sparsities = [0.0, 0.9]\nsteps = 200\nbatch_size = 128\n')
    spec = load_suite(spec_file).experiment[0]
    assert isinstance(spec, SuperpositionSpec) and spec.title == "superposition-n6-m2"
    tech = get("superposition")
    seen = []
    with RunStore(tmp_path / "run") as store:
        tech.run(spec, store, lambda label, unit, computed: seen.append(computed))
        tech.run(spec, store, lambda label, unit, computed: seen.append(computed))
        summary = tech.summarize(store, spec)
    assert seen == [True, True, False, False]  # the second run finds both units
    assert len(summary["sweeps"]) == 1 and len(summary["interference"]) == 1
    sections = tech.sections(summary)
    assert sections and sections[0].figures
    assert tech.headline(summary)["sweeps"][0]["represented"]
    assert tech.scorecard(summary) == []


def test_bad_suite_table_names_the_field(tmp_path):
    import pytest

    from proctor.errors import ConfigError
    from proctor.runs.spec import load_suite

    bad = tmp_path / "bad.toml"
    bad.write_text('[[experiment]]\ntype = "superposition"\nfeatures = 5\ndims = 5\n')
    with pytest.raises(ConfigError, match="dims"):
        load_suite(bad)
    bad.write_text('[[experiment]]\ntype = "superposition"\nsparsities = [0.0, 1.0]\n')
    with pytest.raises(ConfigError, match="sparsities"):
        load_suite(bad)


def test_log_spaced_sparsities():
    import pytest

    from proctor.superposition.cli import parse_sparsities

    assert parse_sparsities("log:0:0.99:3") == pytest.approx([0.0, 0.9, 0.99])
    assert parse_sparsities("0, 0.5") == [0.0, 0.5]
