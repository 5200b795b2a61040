"""Data as researchers keep it (issue 20, part 2): Hugging Face `save_to_disk` folders (a Dataset, a DatasetDict),
Hub ids through `datasets`, tables whose columns are named otherwise (`--text-column`, `--label-column`, the QA
columns, `--split`, and the same keys in a spec file), multiple-choice QA flattened as openai/weak-to-strong flattens
CosmosQA / SciQ, and label columns that cannot be class labels. Real files in tmp_path; `proctor w2s` runs with
TF-IDF weak and strong models so every run takes about a second."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.data import Columns, load_dataset
from proctor.errors import ConfigError, DataError

GOOD, BAD = ["good", "great", "lovely", "superb"], ["bad", "awful", "dull", "poor"]


def review_rows(n: int, start: int = 0) -> list[dict]:
    return [{"sentence": f"the film was {(GOOD if i % 2 else BAD)[i % 4]} take {i}", "label": i % 2, "idx": i}
            for i in range(start, start + n)]


@pytest.fixture
def saved(tmp_path):
    """A save_to_disk Dataset (60 rows) and DatasetDict (train 40 / validation 12 / test 16, ClassLabel labels)."""
    import datasets

    feats = datasets.Features({"sentence": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"]),
                               "idx": datasets.Value("int32")})

    def part(n, start):
        return datasets.Dataset.from_list(review_rows(n, start), features=feats)

    part(60, 0).save_to_disk(tmp_path / "one")
    datasets.DatasetDict({"train": part(40, 0), "validation": part(12, 40), "test": part(16, 52)}).save_to_disk(
        tmp_path / "dict")
    return tmp_path


def w2s(data, *extra, out):
    return invoke("w2s", "--dataset", data, "--weak", "tfidf", "--strong", "tfidf", "--loss", "xent", "--seeds", 1,
                  "--out", out, "--json", *extra)


def test_save_to_disk_dataset_and_dataset_dict(saved):
    one = load_dataset(saved / "one", test_fraction=0.25)
    assert (len(one.train), len(one.test)) == (45, 15) and one.train.label_names == ["neg", "pos"]
    # `sentence` is read as the text, as on the Hub
    assert set(one.train.texts + one.test.texts) == {r["sentence"] for r in review_rows(60)}
    d = load_dataset(saved / "dict")  # train, and test (before validation) as the test split
    assert (len(d.train), len(d.test)) == (40, 16) and "test" in d.note
    v = load_dataset(saved / "dict", split="train,validation")
    assert (len(v.train), len(v.test)) == (40, 12) and v.test.source.endswith("(validation)")
    t = load_dataset(saved / "dict", split="test", test_fraction=0.25)  # one split, divided
    assert (len(t.train), len(t.test)) == (12, 4)
    assert set(t.train.texts + t.test.texts) == {r["sentence"] for r in review_rows(16, 52)}
    with pytest.raises(DataError, match="no 'dev' split .*train, validation, test.*--split"):
        load_dataset(saved / "dict", split="dev")
    with pytest.raises(ConfigError, match="does not apply"):
        load_dataset(saved / "one", split="train")

    h = last_json(w2s(saved / "one", out=saved / "run1"))
    assert h["complete"] and 0 <= h["weak"] <= 1
    h = last_json(w2s(saved / "dict", "--split", "train,validation", out=saved / "run2"))
    assert h["complete"]
    assert_user_error(w2s(saved / "dict", "--split", "nope", out=saved / "run3"), "no 'nope' split", "--split")


def test_hub_id_goes_through_datasets(saved, monkeypatch):
    """A Hub id is read by `datasets.load_dataset`; here only the download is replaced, by the saved copy."""
    import datasets

    calls = []

    def offline(path, name=None, **kwargs):
        calls.append((path, name))
        return datasets.load_from_disk(str(saved / "dict"))

    monkeypatch.setattr(datasets, "load_dataset", offline)
    s = load_dataset("someone/reviews:plain", split="train,validation")
    assert calls == [("someone/reviews", "plain")] and (len(s.train), len(s.test)) == (40, 12)
    assert s.hub_id == "someone/reviews:plain" and s.train.label_names == ["neg", "pos"]
    # a mapped label column keeps the names the Hub declares for it; the text column is named too
    s = load_dataset("someone/reviews", columns=Columns(text="sentence", label="label"))
    assert s.test.label_names == ["neg", "pos"] and s.train.texts[1] == "the film was great take 1"
    h = last_json(w2s("someone/reviews", "--split", "train,test", "--text-column", "sentence", out=saved / "run"))
    assert h["complete"] and h["dataset"] == "someone/reviews"


def test_csv_with_sentence_label_columns(tmp_path):
    path = tmp_path / "reviews.csv"
    pd.DataFrame(review_rows(60))[["sentence", "label"]].to_csv(path, index=False)
    assert_user_error(w2s(path, out=tmp_path / "r0"), "missing column 'text'", "sentence, label", "--text-column")
    h = last_json(w2s(path, "--text-column", "sentence", out=tmp_path / "r1"))
    assert h["complete"]
    # the same keys in a spec file; a column renamed to a column that is not there names what is there
    spec = tmp_path / "w.toml"
    spec.write_text(f'dataset = "{path}"\nweak = ["tfidf"]\nstrong = "tfidf"\nloss = ["xent"]\nseeds = 1\n'
                    'text_column = "sentence"\n')
    assert last_json(invoke("w2s", "--spec", spec, "--out", tmp_path / "r2", "--json"))["complete"]
    spec.write_text(spec.read_text().replace('"sentence"', '"body"'))
    assert_user_error(invoke("w2s", "--spec", spec, "--out", tmp_path / "r3"), "no column 'body'",
                      "--text-column", "sentence, label")
    # renamed label and text columns, e.g. a stars column
    df = pd.DataFrame({"review": [r["sentence"] for r in review_rows(60)], "stars": [1 + 4 * (i % 2) for i in range(60)]})
    s = load_dataset(_write(df, tmp_path / "stars.jsonl"), columns=Columns(text="review", label="stars"))
    assert s.train.label_names == ["1", "5"] and s.train.label_column == "stars"


def _write(df: pd.DataFrame, path):
    df.to_json(path, orient="records", lines=True)
    return path


def mc_rows(n_questions: int, with_context: bool = True) -> list[dict]:
    """CosmosQA-like, flattened: every question with 3 candidate rows, one right (label 1)."""
    rows = []
    for q in range(n_questions):
        colour = ["red", "blue", "green"][q % 3]
        for k, cand in enumerate(["red", "blue", "green"]):
            row = {"question": f"What colour was box {q}?", "answer": cand, "label": int(cand == colour)}
            if with_context:
                row = {"context": f"Box {q} was painted {colour} yesterday.", **row}
            rows.append(row)
    return rows


def test_flattened_multiple_choice_qa(tmp_path):
    path = _write(pd.DataFrame(mc_rows(30)), tmp_path / "cosmos.jsonl")
    s = load_dataset(path, test_fraction=0.3)
    assert s.train.label_names == ["wrong", "right"]
    assert s.train.texts[0] == "Context: Box 0 was painted red yesterday.\nQuestion: What colour was box 0?\nAnswer: red"
    assert s.train.labels[:3].tolist() == [1, 0, 0]
    question = [t.split("\nAnswer:")[0] for t in s.train.texts + s.test.texts]
    train_q, test_q = set(question[:len(s.train)]), set(question[len(s.train):])
    assert not train_q & test_q, "a question's candidates straddle train and test"
    assert len(train_q) + len(test_q) == 30 and len(s.train) + len(s.test) == 90 and "grouped by question" in s.note
    for seed in range(5):  # whole questions on either side for any split seed
        t = load_dataset(path, split_seed=seed)
        assert len(t.train) % 3 == 0 and len(t.test) % 3 == 0
    sciq = load_dataset(_write(pd.DataFrame(mc_rows(20, with_context=False)), tmp_path / "sciq.jsonl"))
    assert sciq.train.texts[0] == "Q: What colour was box 0? A: red"
    # BoolQ-style rows (no 0/1 label beside the answer) stay as they were: the answer is the label
    boolq = pd.DataFrame({"question": [f"is {i} even" for i in range(20)], "passage": [f"{i} is a number" for i in range(20)],
                          "answer": [i % 2 == 0 for i in range(20)]})
    b = load_dataset(_write(boolq, tmp_path / "boolq.jsonl"))
    assert b.train.label_names == ["false", "true"] and b.train.texts[0].startswith("Passage: ")
    h = last_json(w2s(path, out=tmp_path / "run"))
    assert h["complete"] and 0 <= h["ceiling"] <= 1


def test_mapped_qa_columns(tmp_path):
    rows = [{"story": r["context"], "query": r["question"], "candidate": r["answer"], "correct": bool(r["label"])}
            for r in mc_rows(20)]
    path = _write(pd.DataFrame(rows), tmp_path / "mc.jsonl")
    cols = Columns(question="query", passage="story", answer="candidate", label="correct")
    s = load_dataset(path, columns=cols)
    assert s.train.texts[0].startswith("Context: Box 0 was painted red") and s.train.label_names == ["wrong", "right"]
    h = last_json(w2s(path, "--question-column", "query", "--passage-column", "story", "--answer-column",
                      "candidate", "--label-column", "correct", out=tmp_path / "run"))
    assert h["complete"]


def test_labels_a_classifier_cannot_use(tmp_path):
    # the case: a multiple-choice label that is not 0/1 is named, never a scikit-learn traceback
    bad = mc_rows(20)
    bad[4]["label"] = 2
    r = w2s(_write(pd.DataFrame(bad), tmp_path / "mc.jsonl"), out=tmp_path / "r1")
    assert_user_error(r, "mc.jsonl", "row 5", "column 'label'", "0 or 1")
    # free text where the label should be
    free = pd.DataFrame({"text": [f"question {i}" for i in range(40)],
                         "label": [f"because the answer to question {i} is a long sentence" for i in range(40)]})
    r = w2s(_write(free, tmp_path / "free.jsonl"), out=tmp_path / "r2")
    assert_user_error(r, "free.jsonl", "column 'label'", "free text", "--label-column")
    # a column of short one-off values: too many classes for the rows there are
    short = pd.DataFrame({"text": [f"item {i}" for i in range(40)], "answer": [f"a{i % 15}" for i in range(40)]})
    r = w2s(_write(short, tmp_path / "short.jsonl"), "--label-column", "answer", out=tmp_path / "r3")
    assert_user_error(r, "short.jsonl", "column 'answer'", "single training example", "--label-column")
    many = pd.DataFrame({"text": [f"item {i}" for i in range(300)], "label": [f"c{i % 60}" for i in range(300)]})
    r = w2s(_write(many, tmp_path / "many.jsonl"), out=tmp_path / "r4")
    assert_user_error(r, "many.jsonl", "column 'label'", "60 distinct values")
    assert not any((tmp_path / f"r{i}").exists() for i in range(1, 5))


def test_named_sets_have_fixed_columns():
    with pytest.raises(ConfigError, match="sst2.*--text-column, --split"):
        load_dataset("sst2", columns=Columns(text="sentence"), split="train")
    with pytest.raises(ConfigError, match="TRAIN,TEST"):
        load_dataset("x.csv", split="a,b,c")


def test_spec_keys_do_not_change_earlier_suites():
    """The new spec keys are dumped only when set, so earlier suites keep their keys."""
    from proctor.w2s.spec import W2SSpec

    plain = W2SSpec(dataset="sst2").model_dump(mode="json")
    assert not {"text_column", "label_column", "split"} & set(plain)
    assert W2SSpec(dataset="d.csv", text_column="sentence").model_dump(mode="json")["text_column"] == "sentence"
    assert json.dumps(plain)  # still JSON-able
    assert np.all([f in W2SSpec.model_fields for f in ("question_column", "passage_column", "answer_column")])


def test_tax_evaluations_read_mapped_tables(tmp_path):
    """`proctor tax interpolate`'s table options map the columns of its user tables, not of named data sets."""
    from proctor.tax.evaluations import parse_evaluation
    from proctor.tax.spec import DemoConfig

    path = tmp_path / "reviews.csv"
    pd.DataFrame(review_rows(60))[["sentence", "label"]].to_csv(path, index=False)
    cfg = DemoConfig(text_column="sentence")
    probe = parse_evaluation(f"probe:{path}", examples=30, table=cfg).prepare()
    assert len(probe._splits.train) == 30 and probe._splits.train.texts[0].startswith("the film was")
    assert parse_evaluation("probe:sst2", table=cfg).data_options == {}  # sst2 keeps its own columns
    qa = pd.DataFrame({"query": [f"what about box {i}" for i in range(10)], "doc": [f"box {i} is red" for i in range(10)]})
    qa.to_csv(tmp_path / "qa.csv", index=False)
    ret = parse_evaluation(f"retrieval:{tmp_path / 'qa.csv'}", table=DemoConfig(question_column="query",
                                                                                  passage_column="doc"))
    questions, passages = ret._load()
    assert questions[3] == "what about box 3" and passages[3] == "box 3 is red"
    r = invoke("tax", "interpolate", "--tuned", tmp_path / "none", "--alignment", f"probe:{path}")
    assert_user_error(r, "reviews.csv", "missing column 'text'", "--text-column")


def test_verifiers_read_a_saved_dataset(tmp_path):
    """The verifiers' step tables (`prompt` / `completions` / `labels`) may be a save_to_disk folder too."""
    import datasets

    from proctor.verifiers.steps import load_stepwise

    rows = [{"prompt": f"{i}+1", "completions": [f"{i}+1={i + 1}", f"The answer is {i + 1}."], "labels": [True, i % 2 == 0]}
            for i in range(6)]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)}).save_to_disk(tmp_path / "steps")
    sols = load_stepwise(tmp_path / "steps")
    assert [s.prompt for s in sols] == [r["prompt"] for r in rows]
    assert [list(s.labels) for s in sols] == [r["labels"] for r in rows]


# -- proctor debate: QA tables named otherwise, save_to_disk folders, --split ----------------------------------------
def _gpqa_rows() -> list[dict]:
    from test_trl_exports import STORIES

    return [{"Question": q, "Incorrect Answer 1": wrong, "Correct Answer": right, "story": p, "id": f"s{i}"}
            for i, (q, right, wrong, p) in enumerate(STORIES)]


def test_debate_reads_mapped_qa_tables(tmp_path, monkeypatch):
    """GPQA-style columns (one answer per column) and a RACE/ARC-style DatasetDict (a list or {text, label} record of
    options, a letter label) are read as the same questions; `proctor debate` runs on them with scripted models."""
    import datasets

    from proctor.debate.data import DebateColumns, load_items
    from proctor.debate.experiment import plan
    from proctor.debate.spec import DebateSpec

    rows = _gpqa_rows()
    path = tmp_path / "gpqa.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    cols = DebateColumns(question="Question", passage="story", choices=("Incorrect Answer 1", "Correct Answer"),
                         answer="Correct Answer")
    items = load_items(str(path), columns=cols)
    assert [(it.question, it.correct, it.distractor, it.passage) for it in items] == [
        (r["Question"], r["Correct Answer"], r["Incorrect Answer 1"], r["story"]) for r in rows]
    # the same questions as a DatasetDict: `options` lists with a letter `answerKey`, picked by --split
    race = [{"q": r["Question"], "article": r["story"], "options": [r["Incorrect Answer 1"], r["Correct Answer"]],
             "answerKey": "B"} for r in rows]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(race[:1]),
                          "test": datasets.Dataset.from_list(race)}).save_to_disk(tmp_path / "race")
    spec = DebateSpec.model_validate({"judge": "scripted/judge", "protocols": ["naive"], "dataset": str(tmp_path / "race"),
                                      "split": "test", "question_column": "q", "choices_column": "options",
                                      "label_column": "answerKey"})
    mapped, _ = plan(spec)  # the spec keys are the CLI's
    assert [(it.question, it.correct, it.distractor, it.passage) for it in mapped] == [
        (it.question, it.correct, it.distractor, it.passage) for it in items]
    assert len(plan(spec.model_copy(update={"split": "train"}))[0]) == 1
    # a Hub id goes through datasets.load_dataset (only the download replaced, by the saved copy); its default split
    # is the first of validation, dev, test, train
    monkeypatch.setattr(datasets, "load_dataset", lambda path, name=None, **kw: datasets.load_from_disk(
        str(tmp_path / "race")))
    hub = load_items("someone/race", columns=DebateColumns(question="q", choices=("options",), label="answerKey"))
    assert [it.correct for it in hub] == [it.correct for it in items]
    # new keys are dumped only when set: earlier suites keep theirs
    assert not {"question_column", "choices_column", "label_column"} & set(DebateSpec(judge="m").model_dump())
    assert spec.model_dump()["choices_column"] == "options"
    out = last_json(invoke("debate", "--protocol", "debate", "--debater", "scripted/a", "--judge", "scripted/judge",
                           "--dataset", path, "--question-column", "Question", "--passage-column", "story",
                           "--choices-column", "Incorrect Answer 1,Correct Answer", "--answer-column",
                           "Correct Answer", "--rounds", 0, "--limit", 2, "--out", tmp_path / "run", "--json"))
    assert out["samples"] == 2 and out["valid"] == 2 and out["scripted"]
    # a column that is not there: one line naming it, the columns found and the option
    r = invoke("debate", "--protocol", "naive", "--judge", "scripted/judge", "--dataset", path,
               "--choices-column", "options", "--out", tmp_path / "r2")
    assert_user_error(r, "gpqa.csv", "'options'", "--choices-column", "Correct Answer")
    r = invoke("debate", "--protocol", "naive", "--judge", "scripted/judge", "--dataset", path, "--out", tmp_path / "r3")
    assert_user_error(r, "gpqa.csv", "missing column 'question' (--question-column)", "found columns: Question")
    r = invoke("debate", "--protocol", "naive", "--judge", "scripted/judge", "--dataset", tmp_path / "race", "--split",
               "validation", "--question-column", "q", "--choices-column", "options", "--label-column", "answerKey",
               "--out", tmp_path / "r4")
    assert_user_error(r, "no split 'validation'", "train, test", "--split")
    assert not any((tmp_path / f"r{i}").exists() for i in (2, 3, 4))


def test_verify_reads_mapped_step_tables(tmp_path):
    """`proctor verify`'s step tables with their own column names, and a DatasetDict's split by --split."""
    import datasets

    from proctor.verifiers.steps import StepColumns, load_solutions

    rows = [{"problem": f"{i}+1", "steps": [f"{i}+1={i + 1}", f"The answer is {i + 1}."], "ok": [True, i % 2 == 0],
             "correct": i % 2 == 0} for i in range(6)]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows[:4]),
                          "test": datasets.Dataset.from_list(rows[4:])}).save_to_disk(tmp_path / "steps")
    cols = StepColumns(prompt="problem", completions="steps", labels="ok")
    train = load_solutions(tmp_path / "steps", columns=cols)
    test = load_solutions(tmp_path / "steps", columns=cols, split="test")
    assert [s.prompt for s in train] == ["0+1", "1+1", "2+1", "3+1"] and [s.prompt for s in test] == ["4+1", "5+1"]
    assert [s.labels for s in train] == [r["ok"] for r in rows[:4]] and test[1].steps == rows[5]["steps"]
    base = ("verify", "train", "--data", tmp_path / "steps", "--out", tmp_path / "o")
    r = invoke(*base, "--prompt-column", "question", "--completions-column", "steps", "--labels-column", "ok")
    assert_user_error(r, "no column 'question'", "--prompt-column", "found columns: problem, steps, ok")
    r = invoke(*base, "--completions-column", "steps", "--labels-column", "ok")
    assert_user_error(r, "missing column 'prompt'", "--prompt-column")
    r = invoke(*base, "--prompt-column", "problem", "--completions-column", "steps", "--split", "dev")
    assert_user_error(r, "no split 'dev'", "train, test", "--split")
    assert not (tmp_path / "o").exists()
    out = last_json(invoke(*base, "--prompt-column", "problem", "--completions-column", "steps", "--labels-column",
                           "ok", "--split", "test", "--head", "linear", "--epochs", 1, "--json"))
    written = [json.loads(x) for x in (tmp_path / "o" / "train.jsonl").read_text().splitlines()]
    assert out["solutions"] == 2 and [(w["prompt"], w["completions"], w["labels"]) for w in written] == [
        (r["problem"], r["steps"], r["ok"]) for r in rows[4:]]
