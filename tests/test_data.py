"""proctor.data: named data sets from PROCTOR_DATA, local tables in every format, Hub ids, and one-line DataErrors."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from proctor.data import DatasetSplits, TextDataset, load_dataset, load_table, to_text_dataset
from proctor.errors import ConfigError, DataError


def one_line_error(excinfo, *needles):
    msg = str(excinfo.value)
    assert "\n" not in msg, msg
    for n in needles:
        assert n in msg, msg
    return msg


def toy_rows(n=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    labels[:2] = [0, 1]
    return pd.DataFrame({"text": [f"example {i} is {'good' if y else 'bad'}" for i, y in enumerate(labels)],
                         "label": np.where(labels == 1, "pos", "neg")})


def no_hub(monkeypatch):
    """Make every Hub load fail the way an offline machine does."""
    import datasets

    def fail(*args, **kwargs):
        raise ConnectionError("Couldn't reach the Hugging Face Hub\n(offline mode is enabled)")

    monkeypatch.setattr(datasets, "load_dataset", fail)


# -- named data sets from PROCTOR_DATA ---------------------------------------------------------------------------------
def test_sst2(data_dir):
    s = load_dataset("sst2")
    assert isinstance(s, DatasetSplits) and s.name == "sst2" and s.hub_id == "stanfordnlp/sst2"
    assert (len(s.train), len(s.test)) == (6920, 1821)
    assert s.train.label_names == ["negative", "positive"] and s.train.n_classes == 2
    assert np.bincount(s.train.labels).tolist() == [3310, 3610]
    assert np.bincount(s.test.labels).tolist() == [912, 909]
    assert s.train.labels.dtype == np.int64 and s.train.source.endswith("stsa.binary.train")
    assert load_dataset("SST2").test.fingerprint() == s.test.fingerprint()


def test_boolq(data_dir):
    s = load_dataset("boolq")
    assert len(s.train) + len(s.test) == 3270 and len(s.test) == 981
    assert s.train.label_names == ["false", "true"]
    for part in (s.train, s.test):
        assert set(np.unique(part.labels)) == {0, 1}
    # stratified: the share of "true" answers (2033 / 3270) is kept in both parts
    assert abs(s.test.labels.mean() - 2033 / 3270) < 0.005
    assert s.train.texts[0].startswith("Passage: ") and "\nQuestion: " in s.train.texts[0]


def test_anthropic_hh(data_dir):
    s = load_dataset("anthropic_hh")
    assert len(s.train) + len(s.test) == 2312 and s.train.label_names == ["rejected", "chosen"]
    assert set(np.unique(s.train.labels)) == {0, 1} and set(np.unique(s.test.labels)) == {0, 1}
    assert 0.45 < np.concatenate([s.train.labels, s.test.labels]).mean() < 0.55
    assert all("Human:" in t for t in s.test.texts[:20])


def test_test_split_fixed_by_split_seed_only(data_dir):
    for name in ("boolq", "anthropic_hh"):
        a, b = load_dataset(name), load_dataset(name, max_train=100)
        assert a.test.fingerprint() == b.test.fingerprint() and a.test.texts == b.test.texts
        other = load_dataset(name, split_seed=1)
        assert other.test.fingerprint() != a.test.fingerprint()
        assert len(other.test) == len(a.test)


def test_max_train_stratified_and_deterministic(data_dir):
    full = load_dataset("sst2")
    a = load_dataset("sst2", max_train=300, max_test=200)
    b = load_dataset("sst2", max_train=300, max_test=200)
    assert (len(a.train), len(a.test)) == (300, 200)
    assert a.train.fingerprint() == b.train.fingerprint() and a.test.fingerprint() == b.test.fingerprint()
    assert abs(a.train.labels.mean() - full.train.labels.mean()) < 0.01
    assert abs(a.test.labels.mean() - full.test.labels.mean()) < 0.01
    assert set(a.train.texts) <= set(full.train.texts)
    assert "subsampled" in a.note
    assert load_dataset("sst2", max_train=300, split_seed=1).train.fingerprint() != a.train.fingerprint()
    assert len(load_dataset("sst2", max_train=10**6).train) == 6920


def test_named_sst2_bad_line_names_file_and_line(tmp_path, monkeypatch):
    folder = tmp_path / "sst2"
    folder.mkdir()
    (folder / "stsa.binary.train").write_text("1 fine movie\n2 not a label\n")
    (folder / "stsa.binary.test").write_text("0 bad\n1 good\n")
    monkeypatch.setenv("PROCTOR_DATA", str(tmp_path))
    with pytest.raises(DataError) as e:
        load_dataset("sst2")
    one_line_error(e, "stsa.binary.train:2", "<0|1> <sentence>")


def test_named_absent_locally_and_hub_down(tmp_path, monkeypatch):
    no_hub(monkeypatch)
    monkeypatch.delenv("PROCTOR_DATA", raising=False)
    with pytest.raises(DataError) as e:
        load_dataset("sst2")
    one_line_error(e, "PROCTOR_DATA is unset", "stanfordnlp/sst2", "Couldn't reach")
    monkeypatch.setenv("PROCTOR_DATA", str(tmp_path))
    with pytest.raises(DataError) as e:
        load_dataset("boolq")
    one_line_error(e, str(tmp_path / "boolq" / "dev.jsonl"), "google/boolq", "ConnectionError")


# -- named data sets and Hub ids through a stand-in for datasets.load_dataset ------------------------------------------
@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    """Serve DatasetDicts built from in-memory rows; records each call's arguments."""
    import datasets

    monkeypatch.setenv("PROCTOR_DATA", str(tmp_path / "empty"))
    calls, served = [], {}

    def fake(path, name=None, **kwargs):
        calls.append((path, name, kwargs))
        return served[path]

    monkeypatch.setattr(datasets, "load_dataset", fake)
    return calls, served


def sentiment_split(n, labels=None):
    import datasets

    ys = labels if labels is not None else [i % 2 for i in range(n)]
    feats = datasets.Features({"sentence": datasets.Value("string"), "idx": datasets.Value("int32"),
                               "label": datasets.ClassLabel(names=["negative", "positive"])})
    return datasets.Dataset.from_dict({"sentence": [f"sentence {i}" for i in range(n)], "idx": list(range(n)),
                                       "label": ys}, features=feats)


def test_named_sets_from_hub_when_absent_locally(fake_hub):
    import datasets

    calls, served = fake_hub
    served["stanfordnlp/sst2"] = datasets.DatasetDict({"train": sentiment_split(40), "validation": sentiment_split(10),
                                                       "test": sentiment_split(8, labels=[-1] * 8)})
    s = load_dataset("sst2")
    assert (len(s.train), len(s.test)) == (40, 10) and s.test.label_names == ["negative", "positive"]
    assert "validation" in s.note and s.test.source == "stanfordnlp/sst2 (validation)"

    qa = [{"question": f"q{i}", "title": "t", "answer": i % 3 == 0, "passage": f"p{i}"} for i in range(30)]
    served["google/boolq"] = datasets.DatasetDict({"train": datasets.Dataset.from_list(qa[:20]),
                                                   "validation": datasets.Dataset.from_list(qa[20:])})
    b = load_dataset("boolq")
    assert (len(b.train), len(b.test)) == (20, 10) and b.train.texts[1] == "Passage: p1\nQuestion: q1"

    pairs = [{"chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(50)]
    served["Anthropic/hh-rlhf"] = datasets.DatasetDict({"train": datasets.Dataset.from_list(pairs[:40]),
                                                        "test": datasets.Dataset.from_list(pairs[40:])})
    h = load_dataset("anthropic_hh")
    assert (len(h.train), len(h.test)) == (40, 10)
    assert all(t.startswith("good" if y else "bad") for t, y in zip(h.train.texts, h.train.labels))
    assert calls[-1] == ("Anthropic/hh-rlhf", None, {"data_dir": "harmless-base"})


def test_hub_id(fake_hub):
    import datasets

    calls, served = fake_hub
    served["someone/reviews"] = datasets.DatasetDict({"train": sentiment_split(30), "test": sentiment_split(12)})
    s = load_dataset("someone/reviews:plain", max_train=10)
    assert calls[-1] == ("someone/reviews", "plain", {})
    assert s.hub_id == "someone/reviews:plain" and (len(s.train), len(s.test)) == (10, 12)
    assert s.train.label_names == ["negative", "positive"] and np.bincount(s.train.labels).tolist() == [5, 5]
    # a Hub data set with only a train split is split like a local file
    served["someone/only-train"] = datasets.DatasetDict({"train": sentiment_split(50)})
    s = load_dataset("someone/only-train", test_fraction=0.2)
    assert (len(s.train), len(s.test)) == (40, 10)


def test_hub_failure_is_one_line(monkeypatch):
    no_hub(monkeypatch)
    with pytest.raises(DataError) as e:
        load_dataset("nobody/nothing")
    one_line_error(e, "nobody/nothing", "ConnectionError", "offline mode")


# -- local files ------------------------------------------------------------------------------------------------------
def test_csv_text_label(tmp_path):
    path = tmp_path / "reviews.csv"
    toy_rows().to_csv(path, index=False)
    s = load_dataset(str(path), test_fraction=0.25)
    assert s.name == "reviews.csv" and s.hub_id is None
    assert (len(s.train), len(s.test)) == (45, 15)
    assert s.train.label_names == ["neg", "pos"] and s.train.source == str(path)
    assert set(s.train.texts).isdisjoint(s.test.texts)


def test_jsonl_question_context_answer(tmp_path):
    rows = [{"question": f"is {i} even?", "context": f"the number {i}", "answer": i % 2 == 0} for i in range(40)]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    ds = to_text_dataset(load_table(path), name="qa", source=str(path))
    assert ds.texts[3] == "Passage: the number 3\nQuestion: is 3 even?"
    assert ds.label_names == ["false", "true"] and ds.labels[:4].tolist() == [1, 0, 1, 0]
    assert len(load_dataset(path).test) == 12


@pytest.mark.parametrize("ext", ["tsv", "parquet", "jsonl.gz", "csv.gz", "json", "parquet.gz", "tsv.gz"])
def test_formats(tmp_path, ext):
    df = toy_rows()
    df.loc[0, "text"] = 'a "quoted", tabbed\ttext'
    path = tmp_path / f"rows.{ext}"
    base = ext.removesuffix(".gz")
    target = tmp_path / f"plain.{base}" if ext.endswith(".gz") else path
    if base == "parquet":
        df.to_parquet(target)
    elif base == "json":
        df.to_json(target, orient="records")
    elif base == "jsonl":
        df.to_json(target, orient="records", lines=True)
    else:
        df.to_csv(target, sep="\t" if base == "tsv" else ",", index=False)
    if ext.endswith(".gz"):
        path.write_bytes(gzip.compress(target.read_bytes()))
    back = load_table(path)
    assert back["text"].tolist() == df["text"].tolist() and back["label"].tolist() == df["label"].tolist()
    s = load_dataset(path)
    assert len(s.train) + len(s.test) == 60


def test_json_layouts_and_missing_values(tmp_path):
    path = tmp_path / "cols.json"
    toy_rows().to_json(path)  # pandas' default layout: {column: {row: value}}
    assert len(load_table(path)) == 60
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"data": toy_rows().to_dict(orient="records")}))
    assert load_table(path)["label"].tolist() == toy_rows()["label"].tolist()
    df = toy_rows().astype({"text": "string"})
    df.loc[4, "text"] = pd.NA
    df.to_parquet(tmp_path / "na.parquet")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path / "na.parquet")
    one_line_error(e, "na.parquet", "row 5", "'text' is missing")
    rows = pd.DataFrame({"text": ["a", "b"], "label": [[0], [1]]})
    with pytest.raises(DataError) as e:
        to_text_dataset(rows, name="multi", source="multi.jsonl")
    one_line_error(e, "multi.jsonl", "row 1", "booleans, integers or strings")


def test_folder_with_train_and_test(tmp_path):
    df = toy_rows(80)
    df.iloc[:50].to_csv(tmp_path / "train.csv", index=False)
    test = df.iloc[50:].copy()
    test["label"] = "pos"  # a test file may hold a single class; the mapping still follows train
    test.to_json(tmp_path / "test.jsonl", orient="records", lines=True)
    s = load_dataset(tmp_path)
    assert (len(s.train), len(s.test)) == (50, 30)
    assert s.test.label_names == ["neg", "pos"] and set(s.test.labels.tolist()) == {1}
    assert s.test.source == str(tmp_path / "test.jsonl") and s.test.name == f"{tmp_path.name}/test"


def test_label_kinds(tmp_path):
    def conv(labels):
        df = pd.DataFrame({"text": [f"t{i}" for i in range(len(labels))], "label": labels})
        return to_text_dataset(df, name="x", source="x.csv")

    ds = conv([1, 2, 2, 1])
    assert ds.labels.tolist() == [0, 1, 1, 0] and ds.label_names == ["1", "2"]
    ds = conv([0, 2, 1, 2])
    assert ds.labels.tolist() == [0, 2, 1, 2] and ds.label_names == ["0", "1", "2"]
    ds = conv(["10", "2", "10"])
    assert ds.label_names == ["2", "10"] and ds.labels.tolist() == [1, 0, 1]
    assert conv([True, False]).label_names == ["false", "true"]
    with pytest.raises(DataError) as e:
        conv([0.5, 1.0])
    one_line_error(e, "x.csv", "row 1", "'label'")


def test_text_dataset_api():
    ds = TextDataset("d", ["a", "b", "c"], np.array([0, 1, 0]), ["no", "yes"], "mem")
    sub = ds.subset(np.array([2, 1]), name="d/sub")
    assert len(sub) == 2 and sub.texts == ["c", "b"] and sub.labels.tolist() == [0, 1] and sub.name == "d/sub"
    assert ds.subset(np.array([True, False, True])).texts == ["a", "c"]
    assert len(ds.fingerprint()) == 16 and ds.fingerprint() == ds.subset(np.arange(3)).fingerprint()
    assert ds.fingerprint() != TextDataset("d", ["a", "b", "c"], np.array([0, 1, 1]), ["no", "yes"], "m").fingerprint()
    assert ds.fingerprint() != TextDataset("d", ["ab", "", "c"], np.array([0, 1, 0]), ["no", "yes"], "m").fingerprint()
    with pytest.raises(ValueError):
        ds.labels[0] = 1


# -- errors: one line, naming the file and the column or line -------------------------------------------------------
def test_missing_column(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"sentence_text": ["a", "b"], "label": [0, 1]}).to_csv(path, index=False)
    with pytest.raises(DataError) as e:
        load_dataset(path)
    msg = one_line_error(e, str(path), "missing column 'text';", "sentence_text, label")
    assert "'label';" not in msg
    rows = pd.DataFrame({"question": ["q", "r"], "answer": [True, False]})
    with pytest.raises(DataError) as e:
        to_text_dataset(rows, name="qa", source="qa.jsonl")
    one_line_error(e, "qa.jsonl", "'passage' (or 'context')", "question, answer")


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.tsv", "empty.json"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_text("" if name != "empty.json" else "[]")
    with pytest.raises(DataError) as e:
        load_dataset(path)
    one_line_error(e, str(path), "no rows")


def test_header_only_csv(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("text,label\n")
    with pytest.raises(DataError) as e:
        load_table(path)
    one_line_error(e, str(path), "no rows")


def test_single_class(tmp_path):
    path = tmp_path / "one.csv"
    pd.DataFrame({"text": ["a", "b", "c"], "label": ["pos"] * 3}).to_csv(path, index=False)
    with pytest.raises(DataError) as e:
        load_dataset(path)
    one_line_error(e, str(path), "only one class ('pos')", "'label'")


def test_malformed_jsonl_names_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": 0}\n{"text": "b", "label": 1}\n{"text": "c", "label": \n')
    with pytest.raises(DataError) as e:
        load_table(path)
    one_line_error(e, f"{path}:3", "malformed JSON")
    path.write_text('{"text": "a", "label": 0}\n[1, 2]\n')
    with pytest.raises(DataError) as e:
        load_table(path)
    one_line_error(e, f"{path}:2", "JSON object")


def test_empty_text_names_row(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("text,label\nfine,0\n,1\nok,1\n")
    with pytest.raises(DataError) as e:
        load_dataset(path)
    one_line_error(e, str(path), "row 2", "'text'")


def test_nonexistent_path_and_unknown_extension(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset(str(tmp_path / "nope.jsonl"))
    one_line_error(e, "nope.jsonl", "no such file or folder")
    for local in ("in/nofile.jsonl", "./in/nofile", "data/sub/set"):  # looks local: never sent to the Hub
        with pytest.raises(DataError) as e:
            load_dataset(local)
        one_line_error(e, local, "no such file or folder")
    with pytest.raises(DataError) as e:
        load_dataset("no-such-thing")
    one_line_error(e, "'no-such-thing'", "not an existing file or folder")
    with pytest.raises(DataError) as e:
        load_table(tmp_path / "nope.csv")
    one_line_error(e, "nope.csv", "no such file")
    path = tmp_path / "notes.txt"
    path.write_text("text,label\na,0\n")
    with pytest.raises(DataError) as e:
        load_dataset(path)
    one_line_error(e, str(path), "unknown extension .txt", ".jsonl")


def test_bad_folder_and_gzip(tmp_path):
    (tmp_path / "train.csv").write_text("text,label\na,0\nb,1\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    one_line_error(e, str(tmp_path), "train.* and one test.*", "train.csv")
    bad = tmp_path / "x.csv.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(DataError) as e:
        load_table(bad)
    one_line_error(e, str(bad), "cannot read")


def test_bad_arguments(tmp_path):
    with pytest.raises(ConfigError):
        load_dataset("sst2", test_fraction=1.0)
    with pytest.raises(ConfigError):
        load_dataset("sst2", max_train=0)


@pytest.mark.parametrize("labels,row", [(["0", "1", "yes", "0"], 3), (["1", "0", "nan", "1"], 3),
                                        (["true", "false", "2", "true"], 3)])
def test_a_stray_label_is_an_error_naming_its_row(labels, row):
    df = pd.DataFrame({"text": [f"t{i}" for i in range(len(labels))], "label": labels})
    with pytest.raises(DataError) as e:
        to_text_dataset(df, name="x", source="x.csv")
    one_line_error(e, f"row {row}", "'label'")


@pytest.mark.parametrize("labels,names", [(["yes", "no", "YES"], ["no", "yes"]), (["True", "false"], ["false", "true"]),
                                          (["0", "1", "1"], ["0", "1"])])
def test_binary_words_are_read_as_binary_labels(labels, names):
    df = pd.DataFrame({"text": [f"t{i}" for i in range(len(labels))], "label": labels})
    ds = to_text_dataset(df, name="x", source="x.csv")
    assert ds.label_names == names


def test_a_label_column_with_too_many_values_is_named():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(200)], "label": [f"answer {i}" for i in range(200)]})
    with pytest.raises(DataError) as e:
        to_text_dataset(df, name="x", source="x.csv")
    one_line_error(e, "'label'", "200 distinct values")
