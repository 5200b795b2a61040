"""Data: local JSONL / JSON / CSV / TSV / Parquet files, named data sets under PROCTOR_DATA, Hugging Face Hub ids.

`load_dataset(name_or_path)` is the one entry point from a name, a path or a Hub id to fixed train/test splits;
`load_table` and `to_text_dataset` are its two halves (read rows, turn rows into labelled texts).
"""

from .named import DATA_ENV, NAMED, DatasetSplits, binarize_hh, load_dataset
from .tables import SUPPORTED_EXTENSIONS, load_hub, load_table
from .text import TextDataset, sample_dataset, split_dataset, to_text_dataset

__all__ = ["DATA_ENV", "NAMED", "SUPPORTED_EXTENSIONS", "DatasetSplits", "TextDataset", "binarize_hh", "load_dataset",
           "load_hub", "load_table", "sample_dataset", "split_dataset", "to_text_dataset"]
