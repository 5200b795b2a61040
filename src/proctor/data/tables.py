"""Read a table of rows from a local file or from the Hugging Face Hub.

`load_table` reads JSONL, JSON, CSV, TSV and Parquet files, each optionally gzipped, into a DataFrame; `load_hub`
reads every split of a Hub data set and `load_disk` a folder written by `datasets`' `save_to_disk` (both through
`datasets`). None of them knows what the columns mean (that is `text.py`). Every failure is a
`DataError` whose message is one line naming the file (and the line, for JSONL) or the Hub id.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from proctor.errors import DataError

SUPPORTED_EXTENSIONS = (".jsonl", ".json", ".csv", ".tsv", ".parquet")
_EXT_HELP = ", ".join(SUPPORTED_EXTENSIONS) + " (each optionally .gz)"


def one_line(reason: object, limit: int = 300) -> str:
    """A reason squeezed onto one line: library errors (the Hub's especially) span many lines."""
    text = " ".join(str(reason).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def table_extension(path: str | Path) -> str | None:
    """The table format of a file name ('.csv', ...), ignoring a trailing .gz; None when unsupported."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in SUPPORTED_EXTENSIONS:
        return suffixes[-1]
    return None


def load_table(path: str | Path) -> pd.DataFrame:
    """Read one local table file into a DataFrame with at least one row."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, expected a table file with extension {_EXT_HELP}")
    ext = table_extension(path)
    if ext is None:
        shown = "".join(path.suffixes) or "(none)"
        raise DataError(f"{path}: unknown extension {shown}; expected {_EXT_HELP}")
    try:
        raw = path.read_bytes()
        if path.suffix.lower() == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read: {one_line(e)}") from None

    if ext == ".parquet":
        df = _read_parquet(path, raw)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: not UTF-8 text (bad byte at offset {e.start})") from None
        if ext == ".jsonl":
            df = _read_jsonl(path, text)
        elif ext == ".json":
            df = _read_json(path, text)
        else:
            df = _read_delimited(path, text, "\t" if ext == ".tsv" else ",")
    if len(df) == 0:
        raise DataError(f"{path}: no rows")
    return df


def _read_parquet(path: Path, raw: bytes) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as e:  # pyarrow raises several unrelated types for a damaged file
        raise DataError(f"{path}: not a readable Parquet file: {one_line(e)}") from None


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{lineno}: malformed JSON line: {e.msg} (column {e.colno})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object per line, got {type(row).__name__}")
        yield lineno, row


def iter_jsonl(path: str | Path, missing_hint: str = "") -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSONL file (optionally .gz), whatever its extension.

    A missing file, a line that is not JSON, or one that is not an object is a DataError naming the file and line;
    `missing_hint` is appended to the missing-file message (e.g. "set PROCTOR_DATA to the shared data folder")."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file" + (f" ({missing_hint})" if missing_hint else ""))
    try:
        raw = path.read_bytes()
        if path.suffix.lower() == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read: {one_line(e)}") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text (bad byte at offset {e.start})") from None
    yield from _jsonl_rows(path, text)


def read_jsonl(path: str | Path, missing_hint: str = "") -> list[dict]:
    """Every object of a JSONL file (see iter_jsonl)."""
    return [row for _, row in iter_jsonl(path, missing_hint)]


def _read_jsonl(path: Path, text: str) -> pd.DataFrame:
    return pd.DataFrame.from_records([row for _, row in _jsonl_rows(path, text)])


def _read_json(path: Path, text: str) -> pd.DataFrame:
    if not text.strip():
        raise DataError(f"{path}: no rows")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":
            # Many ".json" files are really JSON Lines; read them as such so a bad line is named.
            return _read_jsonl(path, text)
        raise DataError(f"{path}:{e.lineno}: malformed JSON: {e.msg} (column {e.colno})") from None
    if isinstance(obj, dict):
        # A wrapper like {"data": [...]} is common; a dict of equal-length lists is column-oriented.
        lists = [v for v in obj.values() if isinstance(v, list)]
        if len(obj) == 1 and lists and all(isinstance(r, dict) for r in lists[0]):
            obj = lists[0]
        elif lists and len(lists) == len(obj) and len({len(v) for v in lists}) == 1:
            return pd.DataFrame(obj)
        elif obj and all(isinstance(v, dict) for v in obj.values()):
            return pd.DataFrame(obj)  # pandas' default to_json layout: {column: {row: value}}
        else:
            raise DataError(f"{path}: expected a list of objects, or an object of columns")
    if not isinstance(obj, list):
        raise DataError(f"{path}: expected a list of objects, got {type(obj).__name__}")
    for i, row in enumerate(obj):
        if not isinstance(row, dict):
            raise DataError(f"{path}: item {i} of the list is {type(row).__name__}, expected an object")
    return pd.DataFrame.from_records(obj)


def _read_delimited(path: Path, text: str, sep: str) -> pd.DataFrame:
    if not text.strip():
        raise DataError(f"{path}: no rows (the file is empty)")
    try:
        # Only an empty field is missing: a sentence that reads "NA" or "null" is still a sentence.
        return pd.read_csv(io.StringIO(text), sep=sep, keep_default_na=False, na_values=[""],
                           quoting=csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        raise DataError(f"{path}: malformed {'TSV' if sep == chr(9) else 'CSV'}: {one_line(e)}") from None


def parse_hub_id(spec: str) -> tuple[str, str | None]:
    """Split "org/name:config" into ("org/name", "config"); the config is optional."""
    hub_id, _, config = spec.partition(":")
    return hub_id, (config or None)


def load_hub(hub_id: str, *, config: str | None = None, data_dir: str | None = None) -> dict[str, pd.DataFrame]:
    """Every split of a Hub data set as DataFrames; integer ClassLabel columns carry their names in `df.attrs`.

    `df.attrs["label_names"]` maps a column name to the list of class names the Hub declares for it.
    """
    where = f"Hub data set '{hub_id}'" + (f" (config {config})" if config else "")
    try:
        import datasets  # imported here: it is slow to import and most runs never touch the Hub

        kwargs = {"data_dir": data_dir} if data_dir else {}
        loaded = datasets.load_dataset(hub_id, config, **kwargs)
        if not isinstance(loaded, dict):  # a single Dataset when the repo has one unnamed split
            loaded = {"train": loaded}
        frames = {str(split): _frame(ds) for split, ds in loaded.items()}
    except DataError:
        raise
    except Exception as e:  # network, auth, missing repo, bad config: all reach the user as one line
        raise DataError(f"{where} could not be loaded: {type(e).__name__}: {one_line(e)}") from None
    if not frames:
        raise DataError(f"{where} has no splits")
    return frames


def _frame(ds) -> pd.DataFrame:
    """A `datasets.Dataset` as a DataFrame; its ClassLabel columns' class names in `df.attrs["label_names"]`."""
    import datasets

    df = ds.to_pandas()
    df.attrs["label_names"] = {col: list(feat.names) for col, feat in (ds.features or {}).items()
                               if isinstance(feat, datasets.ClassLabel)}
    return df


def is_saved_dataset(path: str | Path) -> bool:
    """A folder written by `datasets.Dataset.save_to_disk` (state.json + dataset_info.json) or
    `DatasetDict.save_to_disk` (dataset_dict.json)."""
    path = Path(path)
    return path.is_dir() and ((path / "dataset_dict.json").is_file()
                              or ((path / "state.json").is_file() and (path / "dataset_info.json").is_file()))


def load_disk(path: str | Path) -> dict[str, pd.DataFrame] | pd.DataFrame:
    """A `save_to_disk` folder read with `datasets.load_from_disk`: every split of a DatasetDict (split name ->
    DataFrame), or the one table of a Dataset. Class names as in `load_hub`."""
    path = Path(path).expanduser()
    try:
        import datasets

        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            frames = {str(split): _frame(ds) for split, ds in loaded.items()}
            if not frames:
                raise DataError(f"{path}: a saved DatasetDict with no splits")
            for split, df in frames.items():
                if len(df) == 0:
                    raise DataError(f"{path}: split '{split}' has no rows")
            return frames
        df = _frame(loaded)
    except DataError:
        raise
    except Exception as e:  # a damaged or foreign folder: pyarrow, json and datasets raise many types
        raise DataError(f"{path}: not a readable Hugging Face save_to_disk folder: {type(e).__name__}: "
                        f"{one_line(e)}") from None
    if len(df) == 0:
        raise DataError(f"{path}: no rows")
    return df
