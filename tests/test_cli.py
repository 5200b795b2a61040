"""The CLI end to end on small real data, and one clear line with exit code 2 for every bad input."""


import numpy as np
import pandas as pd
import pytest
from conftest import assert_user_error, invoke, last_json


@pytest.fixture
def run_root(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCTOR_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path / "cache"))
    return tmp_path / "runs"


def test_w2s_json_probe_student_on_sst2(run_root, data_dir):
    args = ["w2s", "--dataset", "sst2", "--weak", "tfidf", "--strong", "probe:minilm", "--loss", "xent",
            "--loss", "aux", "--seeds", "2", "--max-train", "400", "--max-test", "200", "--json"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    obj = last_json(result)
    for k in ("weak", "student", "ceiling", "pgr"):
        assert k in obj
    assert 0.5 < obj["weak"] < 1 and 0.5 < obj["ceiling"] < 1
    assert len(obj["results"]) == 2 and obj["complete"]
    assert result.stdout.count(" (95% CI)") == 2  # the terminal summary gives each PGR with its CI
    run_dir = obj["run_dir"]
    html = (run_root / run_dir.split("/")[-1] / "report.html").read_text()
    assert "Weak-to-strong" in html and "data:image/png;base64" in html
    assert "<details" in html  # test examples where student and weak disagree, shown escaped
    # the same command again computes nothing and prints the same numbers
    again = invoke(*args)
    assert again.exit_code == 0
    assert "skip" in again.stderr and "done" not in again.stderr
    assert last_json(again)["student"] == obj["student"]
    # report and runs verbs
    assert invoke("report", run_dir).exit_code == 0
    listing = invoke("runs")
    assert listing.exit_code == 0 and "yes" in listing.stdout


def test_w2s_from_spec_and_path_dataset(run_root, tmp_path, data_dir):
    rng = np.random.default_rng(0)
    words = {1: ["great", "superb", "lovely", "fine"], 0: ["awful", "dull", "bad", "boring"]}
    rows = []
    for i in range(160):
        y = int(rng.integers(0, 2))
        rows.append({"question": f"is item {i} {rng.choice(words[y])}?",
                     "context": f"the item {i} was {rng.choice(words[y])} and {rng.choice(words[y])}",
                     "answer": bool(y)})
    path = tmp_path / "qa.jsonl"
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    spec = tmp_path / "spec.toml"
    spec.write_text(f'dataset = "{path}"\nweak = ["tfidf"]\nstrong = "probe:minilm@2"\nloss = ["xent"]\nseeds = 1\n')
    result = invoke("w2s", "--spec", spec, "--json")
    assert result.exit_code == 0, result.output
    obj = last_json(result)
    assert obj["ceiling"] > 0.6


def test_missing_dataset(run_root):
    assert_user_error(invoke("w2s", "--dataset", "no_such_data_set", "--seeds", "1"), "no_such_data_set")


def test_dataset_required(run_root):
    assert_user_error(invoke("w2s"), "--dataset")


def test_missing_column(run_root, tmp_path):
    p = tmp_path / "bad.csv"
    pd.DataFrame({"sentence": ["a", "b"] * 20, "label": [0, 1] * 20}).to_csv(p, index=False)
    assert_user_error(invoke("w2s", "--dataset", p, "--weak", "tfidf", "--strong", "probe:minilm"), "bad.csv")


def test_empty_dataset(run_root, tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("text,label\n")
    assert_user_error(invoke("w2s", "--dataset", p), "empty.csv")


def test_single_class_dataset(run_root, tmp_path):
    p = tmp_path / "one.csv"
    pd.DataFrame({"text": [f"t {i}" for i in range(50)], "label": [1] * 50}).to_csv(p, index=False)
    assert_user_error(invoke("w2s", "--dataset", p), "one.csv", "class")


def test_unknown_spec_key(run_root, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('dataset = "sst2"\nseedz = 3\n')
    assert_user_error(invoke("w2s", "--spec", spec), "s.toml", "seedz", "unknown key")


def test_malformed_toml(run_root, tmp_path):
    spec = tmp_path / "broken.toml"
    spec.write_text('dataset = "sst2\nseeds = 3\n')
    assert_user_error(invoke("run", spec), "broken.toml", "line")


def test_bad_model_string(run_root):
    assert_user_error(invoke("w2s", "--dataset", "sst2", "--weak", "svm:minilm"), "svm:minilm")


def test_bad_loss(run_root):
    assert_user_error(invoke("w2s", "--dataset", "sst2", "--loss", "hinge"), "loss")


def test_report_on_non_run_dir(run_root, tmp_path):
    assert_user_error(invoke("report", tmp_path), "not a Proctor run directory")


def test_suite_experiment_unknown_type(run_root, tmp_path):
    spec = tmp_path / "suite.toml"
    spec.write_text('name = "x"\n[[experiment]]\ntype = "telepathy"\ndataset = "sst2"\n')
    assert_user_error(invoke("run", spec), "suite.toml", "experiment")


def test_default_suite_parses():
    from proctor.cli import _default_suite_path
    from proctor.runs.spec import load_suite
    from proctor.runs.technique import available

    suite = load_suite(_default_suite_path())
    types = [e.type for e in suite.experiment]
    # every technique that runs offline on the default pair (rrm: its calculator); debate, CAI and the tax by format
    # need model endpoints, a study needs people, and the post-training planner is not about the pair: those two
    # open questions have their own suite (open_questions.toml, parsed below)
    offline = set(available()) - {"debate", "cai", "study", "tax_formats", "posttrain_plan"}
    assert set(types) == offline, (types, offline)
    w2s = next(e for e in suite.experiment if e.type == "w2s")
    assert {w.kind for w in w2s.weak} == {"tfidf", "probe"} and set(w2s.loss) == {"xent", "aux"}
    assert w2s.strong.kind == "finetune" and suite.overseer == "minilm@1"
    quick = load_suite(_default_suite_path("quick"))
    assert {e.type for e in quick.experiment} == offline
    open_questions = load_suite(_default_suite_path("open_questions"))
    assert {e.type for e in open_questions.experiment} == {"tax_formats", "posttrain_plan"}
