"""`proctor verify train|bon|eval --json` end to end on tiny generated settings (bon / eval as resumable
one-experiment suites), the suite plug-in (run, resume, partial summary, report, scorecard), Math-Shepherd labels with
a scripted model, and one-line errors for bad input."""

import json

import numpy as np
import pytest
from conftest import assert_user_error, invoke, last_json

TINY = ["--n-train", "20", "--n-test", "8", "--epochs", "3"]


@pytest.fixture(scope="module")
def _shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("verifiers-cache")


@pytest.fixture(autouse=True)
def _cache(_shared_cache, monkeypatch, tmp_path):
    # one embedding cache for the module: the tiny settings share their equations, so only the first test embeds them
    monkeypatch.setenv("PROCTOR_CACHE", str(_shared_cache))
    monkeypatch.setenv("PROCTOR_RUNS", str(tmp_path / "runs"))  # default run directories of `bon` / `eval`


def test_bon_json(tmp_path):
    args = ["verify", "bon", *TINY, "--pool", "8", "--draws", "5", "--out", tmp_path / "run", "--json"]
    first = invoke(*args)
    obj = last_json(first)
    assert "done" in first.stderr and (tmp_path / "run" / "report.html").is_file()
    assert obj["run_dir"] == str(tmp_path / "run") and obj["title"] == "verifiers-arith"
    again = invoke(*args)  # the same spec into the same run directory: resumed, nothing recomputed
    assert "skip" in again.stderr and last_json(again)["curves"] == obj["curves"]
    assert obj["ns"] == [1, 2, 4, 8]
    assert set(obj["curves"]) == {"prm_min", "prm_product", "prm_last", "orm", "oracle", "majority"}
    at1 = {m: c[0]["value"] for m, c in obj["curves"].items()}
    assert len({round(v, 9) for v in at1.values()}) == 1  # N=1 is the same random pick for every method
    assert obj["curves"]["oracle"][-1]["value"] >= max(c[-1]["value"] for c in obj["curves"].values()) - 1e-9
    assert obj["lift"]["lo"] <= obj["lift"]["value"] <= obj["lift"]["hi"]


def test_eval_json():
    obj = last_json(invoke("verify", "eval", *TINY, "--json"))
    pb = obj["processbench"]
    assert pb["n_error"] == 3 * 8 and pb["n_correct"] == 8 and 0 <= pb["f1"] <= 1
    assert set(obj["hack"]) == {"prm_min", "prm_product", "prm_last", "orm"}
    assert obj["hack"]["orm"]["accept"]["correct"]["value"] >= 0.875  # the threshold keeps 90% of correct ones


def test_train_json_writes_weights_and_trl_rows(tmp_path):
    obj = last_json(invoke("verify", "train", "--out", tmp_path / "m", *TINY[:2], "--epochs", "2", "--json"))
    from safetensors import safe_open

    with safe_open(obj["weights"]["prm"], "np") as f:
        assert f.metadata()["kind"] == "ProcessRewardModel" and "mean" in f.keys()
    rows = [json.loads(x) for x in open(obj["train_rows"])]
    assert len(rows) == obj["solutions"] == 20 * 8
    assert set(rows[0]) >= {"prompt", "completions", "labels"}


def test_files_and_bad_input(tmp_path):
    from proctor.verifiers.arith import Generator, problems
    from proctor.verifiers.steps import write_trl_jsonl

    rng = np.random.default_rng(0)
    g = Generator(0.3, 0.3, 0.1)
    write_trl_jsonl([g.sample(p, rng) for p in problems(20, 0) for _ in range(4)], tmp_path / "train.jsonl")
    write_trl_jsonl([g.sample(p, rng) for p in problems(5, 1) for _ in range(4)], tmp_path / "test.jsonl")
    obj = last_json(invoke("verify", "bon", "--data", tmp_path / "train.jsonl", "--test", tmp_path / "test.jsonl",
                           "--epochs", "2", "--draws", "3", "--json"))
    assert obj["ns"] == [1, 2, 4]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": {"ground_truth_answer": "3"}, "label": {"steps": []}}) + "\n")
    assert_user_error(invoke("verify", "train", "--data", bad, "--out", tmp_path / "x"), "bad.jsonl",
                      "question.problem")
    assert_user_error(invoke("verify", "bon", "--data", tmp_path / "train.jsonl"), "--test")
    assert_user_error(invoke("verify", "bon", "--data", tmp_path / "nope.jsonl", "--test", bad), "nope.jsonl")


def test_suite_run_resume_report(tmp_path):
    from proctor.report import render_report
    from proctor.runs.store import RunStore
    from proctor.runs.technique import get

    tech = get("verifiers")
    spec = tech.spec.model_validate({"type": "verifiers", "n_train": 20, "n_test": 6, "pool": 4, "epochs": 3,
                                     "draws": 3, "n_boot": 100, "seeds": 2})
    store = RunStore(tmp_path / "run")
    assert tech.summarize(store, spec)["seeds_done"] == 0
    tech.sections(tech.summarize(store, spec))  # a report of an empty run renders
    seen = []
    tech.run_shard(spec, store, lambda label, unit, computed: seen.append(computed), 0)
    partial = tech.summarize(store, spec)
    assert partial["seeds_done"] == 1 and partial["ns"] == [1, 2, 4]
    tech.run(spec, store, lambda label, unit, computed: seen.append(computed))
    assert seen == [True, False, True]  # seed 0 was found in the store, not recomputed
    full = tech.summarize(store, spec)
    rows = tech.scorecard(full)
    assert len(rows) == 1 and rows[0].measure.startswith("best-of-N") and rows[0].ci[0] <= rows[0].value
    render_report(tmp_path / "r.html", title="t", sections=tech.sections(full))
    assert "Best-of-N" in (tmp_path / "r.html").read_text()
    assert json.dumps(tech.headline(full))


def test_suite_spec_errors():
    from proctor.errors import ConfigError
    from proctor.runs.spec import validate
    from proctor.verifiers.spec import VerifiersSpec

    with pytest.raises(ConfigError, match="n_ops"):
        validate(VerifiersSpec, {"n_ops": [4, 2]}, "suite.toml")
    with pytest.raises(ConfigError, match="unknown key"):
        validate(VerifiersSpec, {"bogus": 1}, "suite.toml")


def test_math_shepherd_labels_with_scripted_model():
    """The scripted model stands for a completer LLM that can finish a chain right only from a right prefix."""
    from proctor.llm.mock import scripted_model
    from proctor.verifiers.shepherd import parse_solution, sample_candidates, shepherd_label
    from proctor.verifiers.steps import Solution

    def reply(prompt):
        if "Steps so far" not in prompt:
            return "2 + 3 = 5\n5 + 1 = 6\nThe answer is 6."
        done = prompt.split("Steps so far:")[1]
        return "I am not sure." if "= 7" in done or "is 7" in done else "5 + 1 = 6\nThe answer is 6."

    model = scripted_model(reply)
    cands = sample_candidates(model, "Start with 2. Add 3. Add 1.", "6", n=3)
    assert [c.correct for c in cands] == [True] * 3 and cands[0].steps[-1] == "The answer is 6."
    wrong = Solution("Start with 2. Add 3. Add 1.", ["2 + 3 = 5", "5 + 1 = 7", "The answer is 7."])
    lab = shepherd_label(model, wrong, "6", rollouts=2)
    assert lab.labels == [True, False, False]
    assert lab.extra["soft_labels"] == [1.0, 0.0, 0.0] and lab.extra["invalid_rollouts"] == 4
    assert parse_solution("a\nb\n#### 12") == (["a", "b", "#### 12"], "12")
    assert parse_solution("no answer here")[1] is None


def test_a_file_setting_is_a_resumable_run_keyed_by_the_files_content(tmp_path):
    """`verify bon --data FILE --test FILE --out DIR` runs through the suite runner: a rerun finds its unit instead of
    training again, and an edited test file under the same name is a new unit (its content hash is in the key) whose
    numbers replace the old ones in the summary."""
    from proctor.runs.store import RunStore
    from proctor.verifiers.arith import Generator, problems
    from proctor.verifiers.steps import write_trl_jsonl

    rng = np.random.default_rng(0)
    g = Generator(0.3, 0.3, 0.1)
    write_trl_jsonl([g.sample(p, rng) for p in problems(20, 0) for _ in range(4)], tmp_path / "train.jsonl")
    test = tmp_path / "test.jsonl"
    write_trl_jsonl([g.sample(p, rng) for p in problems(5, 1) for _ in range(4)], test)
    args = ["verify", "bon", "--data", tmp_path / "train.jsonl", "--test", test, "--epochs", "2", "--draws", "3",
            "--out", tmp_path / "run", "--json"]
    first = invoke(*args)
    obj = last_json(first)
    assert obj["run_dir"] == str(tmp_path / "run") and obj["pool"]["problems"] == 5
    again = invoke(*args)
    assert "finished earlier" in again.stderr and last_json(again)["curves"] == obj["curves"]
    write_trl_jsonl([g.sample(p, rng) for p in problems(7, 2) for _ in range(4)], test)  # same name, new rows
    edited = last_json(invoke(*args))
    assert edited["pool"]["problems"] == 7
    with RunStore(tmp_path / "run") as store:
        assert len(store.units(kind="seed")) == 2  # both versions kept; the summary shows the current one


def test_a_suite_table_names_the_file_fields_it_needs_or_refuses():
    import pytest

    from proctor.verifiers.spec import VerifiersSpec

    with pytest.raises(ValueError, match="give `test`"):
        VerifiersSpec(data="steps.jsonl")
    with pytest.raises(ValueError, match="test, prompt_column: only with a file"):
        VerifiersSpec(data="arith", test="t.jsonl", prompt_column="q")
    with pytest.raises(ValueError, match="TRAIN or TRAIN,TEST"):
        VerifiersSpec(data="steps.jsonl", test="t.jsonl", split="a,b,c")
    spec = VerifiersSpec(data="runs/my steps.jsonl", test="t.jsonl")
    assert spec.title == "verifiers-my-steps.jsonl"  # a title is safe as a name
    assert "test" not in VerifiersSpec().model_dump()  # stored generated specs keep their identity
