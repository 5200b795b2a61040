"""Data: local JSONL / JSON / CSV / TSV / Parquet files, Hugging Face `save_to_disk` folders, named data sets under
PROCTOR_DATA, Hugging Face Hub ids.

`load_dataset(name_or_path)` is the one entry point from a name, a path or a Hub id to fixed train/test splits;
`load_table` and `to_text_dataset` are its two halves (read rows, turn rows into labelled texts); `Columns` maps a
table's own column names (`--text-column`, `--label-column`, ...) and `split` picks splits (`--split`).

The names below load on first use (numpy and pandas are not imported until then): specs import
`proctor.data.fields`, and `proctor --help` imports the specs.
"""

from importlib import import_module

_HOME = {"DATA_ENV": "named", "NAMED": "named", "DatasetSplits": "named", "binarize_hh": "named",
         "load_dataset": "named", "SUPPORTED_EXTENSIONS": "tables", "load_hub": "tables", "load_table": "tables",
         "Columns": "text", "TextDataset": "text", "sample_dataset": "text", "split_dataset": "text",
         "to_text_dataset": "text"}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value
