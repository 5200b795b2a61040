"""`proctor superposition toy | interference` as users run them (one-experiment suites: resumable, reported like
`proctor run`), and the suite plug-in on a tiny setting."""

import conftest
from conftest import assert_user_error, last_json


def invoke(*args):
    return conftest.invoke("superposition", *args)


def test_toy_json_and_report(tmp_path):
    args = ("toy", "--features", 6, "--dims", 2, "--sparsities", "0,0.9", "--steps", 300, "--batch-size", 256,
            "--out", tmp_path / "toy", "--json")
    obj = last_json(invoke(*args))
    assert [round(m["sparsity"], 6) for m in obj["models"]] == [0.0, 0.9]
    assert obj["config"]["n_features"] == 6 and obj["dense"]["top_m"] == [0, 1]
    assert all(0 <= m["represented"] <= 6 for m in obj["models"])
    assert "W" not in obj and "norms" not in obj["models"][0] and obj["out"] == str(tmp_path / "toy")
    assert (tmp_path / "toy" / "report.html").stat().st_size > 1000
    assert (tmp_path / "toy" / "models.npz").exists()
    again = invoke(*args)  # resumed: the sweep comes from the store, the same numbers
    assert "skip toy sweep" in again.stderr
    assert last_json(again)["models"] == obj["models"]


def test_toy_report_has_its_figures_beyond_the_matrix_limit(tmp_path):
    from proctor.superposition.summary import MATRIX_FEATURES

    n = MATRIX_FEATURES + 6
    last_json(invoke("toy", "--features", n, "--dims", 5, "--sparsities", "0,0.99", "--steps", 50, "--out",
                     tmp_path / "big", "--json"))
    html = (tmp_path / "big" / "report.html").read_text()
    assert "Represented features and dimensions per feature" in html and "Feature dimensionality" in html


def test_interference_json(tmp_path):
    obj = last_json(invoke("interference", "--features", 6, "--dims", 2, "--sparsity", 0.9, "--steps", 300,
                           "--out", tmp_path / "i", "--json"))
    s = obj["toy"]["summary"]
    assert s["probe_max_abs_error_active"] is None or s["probe_max_abs_error_active"] < 1e-9
    assert obj["real"] == [] and (tmp_path / "i" / "interference.json").is_file()


def test_interference_is_the_suites_toy_model(tmp_path):
    """The verb's toy model is the suite's sweep at that one sparsity: the same seed gives the same numbers."""
    from proctor.runs.store import RunStore
    from proctor.runs.technique import get
    from proctor.superposition.spec import SuperpositionSpec

    obj = last_json(invoke("interference", "--features", 6, "--dims", 2, "--sparsity", 0.7, "--steps", 200,
                           "--seed", 3, "--out", tmp_path / "i", "--json"))
    spec = SuperpositionSpec(features=6, dims=2, sparsities=[0.7], interference_sparsity=0.7, steps=200, seed=3)
    with RunStore(tmp_path / "suite") as store:
        get("superposition").run(spec, store, lambda *a: None)
        summary = get("superposition").summarize(store, spec)
    assert summary["interference"][0]["summary"] == obj["toy"]["summary"]
    assert summary["sweeps"][0]["config"]["seed"] == 3


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
    from proctor.superposition.technique import SuperpositionSpec

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


def test_quick_preset_is_the_quick_suites_table():
    import tomllib
    from pathlib import Path

    import proctor
    from proctor.superposition.spec import QUICK

    suite = tomllib.loads((Path(proctor.__file__).parent / "suites" / "quick.toml").read_text())
    table = next(e for e in suite["experiment"] if e["type"] == "superposition")
    assert {k: v for k, v in table.items() if k != "type"} == QUICK


def test_suite_experiments_share_a_sweep_and_both_summaries_show_it(tmp_path):
    """Two experiments of one suite with the same seed-0 sweep compute it once (the store finds it by its config);
    the second experiment's summary must still show it, with the interference check it asked for, and a 2-seed
    experiment's report opens with the spread across seeds."""
    from proctor.runs.spec import load_suite
    from proctor.runs.store import RunStore
    from proctor.runs.technique import get

    spec_file = tmp_path / "s.toml"
    common = 'type = "superposition"\nfeatures = 6\ndims = 2\nsparsities = [0.0, 0.9]\nsteps = 150\nbatch_size = 64\n'
    spec_file.write_text(f'name = "t"\n[[experiment]]\nname = "a"\nseeds = 2\n{common}'
                         f'[[experiment]]\nname = "b"\ninterference_sparsity = 0.0\n{common}')
    a, b = load_suite(spec_file).experiment
    tech = get("superposition")
    seen = []
    with RunStore(tmp_path / "run") as store:
        tech.run(a, store, lambda label, unit, computed: seen.append((label, computed)))
        tech.run(b, store, lambda label, unit, computed: seen.append((label, computed)))
        sa, sb = tech.summarize(store, a), tech.summarize(store, b)
    assert ("toy sweep seed 0", False) in seen[4:]  # b found a's sweep
    assert [s["config"]["seed"] for s in sa["sweeps"]] == [0, 1] and len(sb["sweeps"]) == 1
    assert sb["sweeps"][0]["models"] == sa["sweeps"][0]["models"]
    assert [round(i["sparsity"], 6) for i in sb["interference"]] == [0.0]
    assert [i["seed"] for i in sa["interference"]] == [0, 1]
    seeds = tech.sections(sa)[0].tables[0]
    assert len(seeds.rows) == 2 and "mean over seeds 0-1" in seeds.columns[2]
    reps = [s["models"][1]["represented"] for s in sa["sweeps"]]
    assert seeds.rows[1][2] == f"{sum(reps) / 2:.1f} [{min(reps)}, {max(reps)}]"
    checks = [t for sec in tech.sections(sa) for t in sec.tables if t.columns[0] == "model"]
    assert [r[0] for r in checks[0].rows] == ["S = 0.9, seed 0", "S = 0.9, seed 1"]
