"""Property-based fuzzing (hypothesis) of the readers of untrusted input: table loaders, JSONL readers, the spec
parser and the label encoder. Whatever the bytes, they give a result or a one-line ProctorError; never another
exception, never a hang."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.data import load_table, to_text_dataset
from proctor.data.tables import read_jsonl
from proctor.errors import ProctorError
from proctor.runs.spec import load_suite

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
EXTENSIONS = [".jsonl", ".json", ".csv", ".tsv", ".parquet", ".jsonl.gz", ".csv.gz"]

# Bytes that look like the formats: fragments of JSON, CSV and TOML, mixed with arbitrary bytes.
FRAGMENTS = st.sampled_from([b"{", b"}", b"[", b"]", b'"text"', b'"label"', b":", b",", b"\n", b"\t", b"1", b"0",
                             b"null", b"true", b"\xff", b"\x00", b'"', b"\\", b"text,label\n", b"a,1\n", b"=", b"[[",
                             b"experiment", b"type", b"w2s", b"\r\n", b"PAR1", b"\xef\xbb\xbf"])
SOUP = st.one_of(st.binary(max_size=300), st.lists(FRAGMENTS, max_size=40).map(b"".join))


def _one_line(e: Exception) -> None:
    assert isinstance(e, ProctorError), repr(e)
    assert "\n" not in str(e) and str(e).strip()


@SETTINGS
@given(data=SOUP, ext=st.sampled_from(EXTENSIONS))
def test_load_table_gives_rows_or_one_line_error(tmp_path, data, ext):
    path = tmp_path / f"t{ext}"
    path.write_bytes(gzip.compress(data) if ext.endswith(".gz") else data)
    try:
        df = load_table(path)
    except Exception as e:  # noqa: BLE001 - the property: only ProctorError may escape
        _one_line(e)
        return
    assert isinstance(df, pd.DataFrame) and len(df) > 0


@SETTINGS
@given(data=SOUP)
def test_read_jsonl_gives_objects_or_names_the_line(tmp_path, data):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    try:
        rows = read_jsonl(path)
    except Exception as e:  # noqa: BLE001
        _one_line(e)
        assert str(path) in str(e)
        return
    assert all(isinstance(r, dict) for r in rows)


@SETTINGS
@given(data=SOUP)
def test_suite_parser_gives_a_suite_or_one_line_error(tmp_path, data):
    path = tmp_path / "suite.toml"
    path.write_bytes(data)
    try:
        load_suite(path)
    except Exception as e:  # noqa: BLE001
        _one_line(e)
        assert str(path) in str(e)


TOML_VALUES = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=30), st.booleans(), st.lists(st.text(max_size=10), max_size=3))


@SETTINGS
@given(key=st.sampled_from(["seeds", "n_boot", "max_train", "name", "weak", "strong", "loss", "a_max", "dataset",
                            "split_seed", "test_fraction", "chain", "bogus"]), value=TOML_VALUES)
def test_w2s_table_fields_are_validated_with_one_line(tmp_path, key, value):
    import tomli_w

    path = tmp_path / "suite.toml"
    try:
        path.write_text(tomli_w.dumps({"name": "s", "experiment": [{"type": "w2s", "dataset": "sst2", key: value}]}))
    except (TypeError, ValueError):  # a value TOML cannot hold (NaN is fine, some floats are not)
        return
    try:
        load_suite(path)
    except Exception as e:  # noqa: BLE001
        _one_line(e)


@SETTINGS
@given(labels=st.lists(st.one_of(st.sampled_from(["0", "1", "yes", "no", "true", "nan", " ", "pos", "2"]),
                                 st.integers(-3, 3), st.booleans(), st.floats()), min_size=2, max_size=30))
def test_label_encoder_gives_classes_or_names_a_row(labels):
    df = pd.DataFrame({"text": [f"t{i}" for i in range(len(labels))], "label": pd.Series(labels, dtype=object)})
    try:
        ds = to_text_dataset(df, name="x", source="x.csv")
    except Exception as e:  # noqa: BLE001
        _one_line(e)
        return
    assert len(ds) == len(labels) and ds.n_classes >= 2


def test_fuzz_suite_runs():  # a guard that hypothesis is installed where the suite runs (CI installs `dev`)
    pytest.importorskip("hypothesis")
