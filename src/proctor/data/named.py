"""`load_dataset`: from a data set name, a local file or folder, or a Hub id to fixed train/test splits.

Named data sets are read from the folder in `PROCTOR_DATA` (looked up at call time, so tests and the CLI can set it
late); without a local copy they come from the Hugging Face Hub. The test split depends on `split_seed` only, never
on an experiment seed, so every seed of an experiment is scored on the same examples. Hub tables and `save_to_disk`
folders may name their text column `sentence` (SST-2, GLUE); it is read as `text`.

Other sources: a local table file (split by `test_fraction`); a folder holding train.* and test.* table files; a
folder written by `datasets`' `save_to_disk` (a Dataset is one table, split like a file; a DatasetDict's splits are
used as the Hub's are); a Hub id. `columns` maps a table's own column names and `split` picks splits ("NAME": that
split alone, divided by `test_fraction`; "TRAIN,TEST"); named data sets have fixed columns and splits.

| name         | local files (under PROCTOR_DATA)              | Hub id (used when the local files are absent)   |
|--------------|-----------------------------------------------|-------------------------------------------------|
| sst2         | sst2/stsa.binary.train, sst2/stsa.binary.test | stanfordnlp/sst2 (train; validation as test)    |
| boolq        | boolq/dev.jsonl, split into train/test        | google/boolq (train; validation as test)        |
| anthropic_hh | anthropic_hh/test.jsonl.gz, split             | Anthropic/hh-rlhf, harmless-base (train; test)  |
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from proctor.errors import ConfigError, DataError

from .tables import (
    SUPPORTED_EXTENSIONS,
    is_saved_dataset,
    load_disk,
    load_hub,
    load_table,
    parse_hub_id,
    table_extension,
)
from .text import Columns, TextDataset, sample_dataset, split_dataset, to_text_dataset

DATA_ENV = "PROCTOR_DATA"
_HUB_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(:[\w.-]+)?$")
_TEST_SPLITS = ("test", "validation", "valid", "dev")

Pair = tuple[TextDataset, TextDataset, str]  # train, test, how they were made


@dataclass(frozen=True)
class DatasetSplits:
    """A fixed train/test pair and one sentence on how it was made (for reports)."""

    name: str
    train: TextDataset
    test: TextDataset
    hub_id: str | None  # the Hub id of this data set, if it has one (named ones do even when read locally)
    note: str


# -- named data sets -------------------------------------------------------------------------------------------------
def _pct(frac: float) -> str:
    return f"{1 - frac:.0%}/{frac:.0%}"


def _read_sst2(path: Path, name: str) -> TextDataset:
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                head, _, sentence = line.partition(" ")
                if head not in ("0", "1") or not sentence.strip():
                    raise DataError(f"data set 'sst2': {path}:{lineno}: expected '<0|1> <sentence>', "
                                    f"got {line[:60]!r}")
                rows.append((sentence, int(head)))
    except UnicodeDecodeError as e:
        raise DataError(f"data set 'sst2': {path}: not UTF-8 text (bad byte at offset {e.start})") from None
    df = pd.DataFrame(rows, columns=["text", "label"])
    return to_text_dataset(df, name=name, source=str(path), label_names=["negative", "positive"])


def _sst2_local(folder: Path, seed: int, frac: float) -> Pair:
    tr = _read_sst2(folder / "stsa.binary.train", "sst2/train")
    te = _read_sst2(folder / "stsa.binary.test", "sst2/test")
    return tr, te, f"SST-2 sentences: the standard train ({len(tr):,}) and test ({len(te):,}) files of stsa.binary."


def _sst2_hub(frames: dict[str, pd.DataFrame], hub_id: str, seed: int, frac: float) -> Pair:
    # The Hub's SST-2 test split is unlabelled (-1), so validation serves as the test split.
    tr, te = (to_text_dataset(_split_of(frames, s, hub_id), name=f"sst2/{role}", source=f"{hub_id} ({s})",
                              label_names=["negative", "positive"]) for s, role in (("train", "train"),
                                                                                     ("validation", "test")))
    return tr, te, f"SST-2 from {hub_id}: its train ({len(tr):,}) and validation ({len(te):,}, as test) splits."


def _boolq_local(folder: Path, seed: int, frac: float) -> Pair:
    path = folder / "dev.jsonl"
    tr, te = split_dataset(to_text_dataset(load_table(path), name="boolq", source=str(path)), frac, seed)
    return tr, te, (f"BoolQ dev set ({len(tr) + len(te):,} questions) split {_pct(frac)} into train/test, "
                    f"stratified by answer, split seed {seed}.")


def _boolq_hub(frames: dict[str, pd.DataFrame], hub_id: str, seed: int, frac: float) -> Pair:
    tr, te = (to_text_dataset(_split_of(frames, s, hub_id), name=f"boolq/{role}", source=f"{hub_id} ({s})")
              for s, role in (("train", "train"), ("validation", "test")))
    return tr, te, f"BoolQ from {hub_id}: its train ({len(tr):,}) and validation ({len(te):,}, as test) splits."


def binarize_hh(df: pd.DataFrame, *, seed: int, name: str, source: str) -> TextDataset:
    """One example per (chosen, rejected) pair, as openai/weak-to-strong's `format_anthropic_hh` makes them: a fair
    coin (seeded) picks label 1 and shows `chosen`, or label 0 and shows `rejected`."""
    for col in ("chosen", "rejected"):
        if col not in df.columns:
            found = ", ".join(map(str, df.columns))
            raise DataError(f"data set '{name}' ({source}): missing column '{col}'; expected 'chosen' and "
                            f"'rejected'; found columns: {found}")
    labels = (np.random.default_rng(seed).random(len(df)) < 0.5).astype(np.int64)
    texts = np.where(labels == 1, df["chosen"].to_numpy(dtype=object), df["rejected"].to_numpy(dtype=object))
    return to_text_dataset(pd.DataFrame({"text": texts, "label": labels}), name=name, source=source,
                           label_names=["rejected", "chosen"])


def _hh_local(folder: Path, seed: int, frac: float) -> Pair:
    path = folder / "test.jsonl.gz"
    pairs = binarize_hh(load_table(path), seed=seed, name="anthropic_hh", source=str(path))
    tr, te = split_dataset(pairs, frac, seed)
    return tr, te, (f"Anthropic HH-RLHF harmless-base test pairs ({len(pairs):,}): each pair shows its chosen "
                    f"(label 1) or rejected (label 0) reply by a coin flip, as in openai/weak-to-strong, then split "
                    f"{_pct(frac)} into train/test, stratified, split seed {seed}.")


def _hh_hub(frames: dict[str, pd.DataFrame], hub_id: str, seed: int, frac: float) -> Pair:
    # Separate coin streams, so the test examples do not depend on how many training pairs the Hub serves.
    tr, te = (binarize_hh(_split_of(frames, s, hub_id), seed=seed * 2 + k, name=f"anthropic_hh/{s}",
                          source=f"{hub_id} harmless-base ({s})") for k, s in enumerate(("train", "test")))
    return tr, te, (f"Anthropic HH-RLHF harmless-base from {hub_id}: its train ({len(tr):,}) and test ({len(te):,}) "
                    f"pairs, each showing its chosen (label 1) or rejected (label 0) reply by a seeded coin flip.")


@dataclass(frozen=True)
class NamedDataset:
    folder: str
    files: tuple[str, ...]  # what must exist under PROCTOR_DATA/<folder> for the local copy to be used
    hub_id: str
    hub_data_dir: str | None
    local: Callable[[Path, int, float], Pair]
    hub: Callable[[dict[str, pd.DataFrame], str, int, float], Pair]


NAMED: dict[str, NamedDataset] = {
    "sst2": NamedDataset("sst2", ("stsa.binary.train", "stsa.binary.test"), "stanfordnlp/sst2", None,
                         _sst2_local, _sst2_hub),
    "boolq": NamedDataset("boolq", ("dev.jsonl",), "google/boolq", None, _boolq_local, _boolq_hub),
    "anthropic_hh": NamedDataset("anthropic_hh", ("test.jsonl.gz",), "Anthropic/hh-rlhf", "harmless-base",
                                 _hh_local, _hh_hub),
}


def _load_named(key: str, seed: int, frac: float) -> Pair:
    spec = NAMED[key]
    root = os.environ.get(DATA_ENV)
    if root:
        folder = Path(root).expanduser() / spec.folder
        missing = [f for f in spec.files if not (folder / f).is_file()]
        if not missing:
            return spec.local(folder, seed, frac)
        where = f"{DATA_ENV}={root}: no {', '.join(str(folder / f) for f in missing)}"
    else:
        where = f"{DATA_ENV} is unset"
    try:
        frames = load_hub(spec.hub_id, data_dir=spec.hub_data_dir)
    except DataError as e:
        raise DataError(f"data set '{key}': no local copy ({where}), and {e}") from None
    return spec.hub(frames, spec.hub_id, seed, frac)


# -- local files and folders, Hub ids ---------------------------------------------------------------------------------
def _split_of(frames: dict[str, pd.DataFrame], split: str, hub_id: str) -> pd.DataFrame:
    if split not in frames:
        raise DataError(f"Hub data set '{hub_id}': no '{split}' split (it has: {', '.join(frames)})")
    return _hub_columns(frames[split])


def _hub_columns(df: pd.DataFrame, columns: Columns | None = None) -> pd.DataFrame:
    # Many Hub text-classification sets (SST-2, GLUE) call the text `sentence`; local files must say `text` (or
    # name it with --text-column).
    if "sentence" in df.columns and "text" not in df.columns and not (columns and columns.text):
        return df.rename(columns={"sentence": "text"})
    return df


def _pair(parts: list[tuple[pd.DataFrame, str]], name: str, label_names: list[str] | None = None,
          columns: Columns | None = None) -> Pair:
    """Convert a train table and a test table with one label mapping for both (string labels must agree)."""
    (train_df, train_src), (test_df, test_src) = parts
    # Each part alone first, so an error names its own file and row; only train needs both classes.
    to_text_dataset(train_df, name=f"{name}/train", source=train_src, label_names=label_names, columns=columns)
    to_text_dataset(test_df, name=f"{name}/test", source=test_src, label_names=label_names, min_classes=1,
                    columns=columns)
    both = to_text_dataset(pd.concat([train_df, test_df], ignore_index=True), name=name,
                           source=f"{train_src} + {test_src}", label_names=label_names, columns=columns)
    n = len(train_df)
    tr = both.subset(np.arange(n), f"{name}/train")
    te = both.subset(np.arange(n, len(both)), f"{name}/test")
    return (replace(tr, source=train_src), replace(te, source=test_src), "")


def _how(ds: TextDataset) -> str:
    return ("grouped by question (a question's candidate answers stay on one side)"
            if ds.groups is not None and np.unique(ds.groups).size < len(ds) else "stratified by label")


def _one_table(df: pd.DataFrame, name: str, source: str, what: str, *, seed: int, frac: float,
               label_names: list[str] | None, columns: Columns | None) -> Pair:
    ds = to_text_dataset(df, name=name, source=source, label_names=label_names, columns=columns)
    tr, te = split_dataset(ds, frac, seed)
    return tr, te, f"{what} ({len(ds):,} rows) split {_pct(frac)} into train/test, {_how(ds)}, split seed {seed}."


def parse_split(split: str | None) -> tuple[str, ...]:
    """`--split`: "NAME" (that split alone, divided by test_fraction) or "TRAIN,TEST"; None = the default."""
    if split is None:
        return ()
    parts = tuple(p.strip() for p in split.split(","))
    if len(parts) > 2 or not all(parts):
        raise ConfigError(f"split {split!r}: expected NAME (one split, divided into train/test) or TRAIN,TEST")
    return parts


def _label_column(columns: Columns | None) -> str:
    return (columns.label if columns else None) or "label"


def _from_splits(frames: dict[str, pd.DataFrame], where: str, name: str, *, split: str | None, seed: int,
                 frac: float, columns: Columns | None) -> Pair:
    """Train/test from the splits of a Hub data set or a saved DatasetDict: `split` picks them (see parse_split);
    by default its train split and its first labelled test / validation / valid / dev split."""
    wanted = parse_split(split)
    for s in wanted:
        if s not in frames:
            raise DataError(f"{where}: no '{s}' split (it has: {', '.join(frames)}); pick one with --split")
    label_col = _label_column(columns)
    first = wanted[0] if wanted else "train" if "train" in frames else next(iter(frames))
    hub_names = frames[first].attrs.get("label_names", {})
    names = hub_names.get(label_col) or (None if columns and columns.label else hub_names.get("answer"))
    frames = {k: _hub_columns(v, columns) for k, v in frames.items()}
    if wanted:
        train_split, test_split = wanted[0], (wanted[1] if len(wanted) == 2 else None)
    elif "train" not in frames:
        raise DataError(f"{where}: no 'train' split (it has: {', '.join(frames)}); pick one with --split NAME or "
                        "--split TRAIN,TEST")
    else:
        train_split = "train"
        test_split = next((s for s in _TEST_SPLITS if s in frames and _labelled(frames[s], label_col)), None)
    if test_split is None:
        return _one_table(frames[train_split], name, f"{where} ({train_split})", f"{where}: its {train_split} split",
                          seed=seed, frac=frac, label_names=names, columns=columns)
    tr, te, _ = _pair([(frames[train_split], f"{where} ({train_split})"), (frames[test_split],
                                                                           f"{where} ({test_split})")],
                      name, names, columns)
    return tr, te, (f"{where}: its {train_split} ({len(tr):,}) and {test_split} ({len(te):,}, as test) splits.")


def _load_path(path: Path, seed: int, frac: float, columns: Columns | None, split: str | None) -> Pair:
    if is_saved_dataset(path):
        loaded = load_disk(path)
        if isinstance(loaded, dict):
            return _from_splits(loaded, str(path), path.name, split=split, seed=seed, frac=frac, columns=columns)
        _no_split(path, split, "a saved Dataset (not a DatasetDict) is one table")
        names = loaded.attrs.get("label_names", {}).get(_label_column(columns))
        return _one_table(_hub_columns(loaded, columns), path.name, str(path), f"{path.name}, a saved Dataset,",
                          seed=seed, frac=frac, label_names=names, columns=columns)
    if path.is_dir():
        found: dict[str, list[Path]] = {}
        for p in sorted(path.iterdir()):
            if p.is_file() and table_extension(p):
                found.setdefault(p.name.split(".")[0].lower(), []).append(p)
        wanted = parse_split(split) or ("train", "test")
        if any(len(found.get(s, [])) != 1 for s in wanted):
            listed = ", ".join(p.name for p in sorted(path.iterdir())[:20]) or "nothing"
            need = " and one ".join(f"{s}.*" for s in wanted)
            raise DataError(f"{path}: a data folder needs exactly one {need} file "
                            f"({', '.join(SUPPORTED_EXTENSIONS)}, optionally .gz), or is a Hugging Face "
                            f"save_to_disk folder; found: {listed}")
        if len(wanted) == 1:
            p = found[wanted[0]][0]
            return _one_table(load_table(p), path.name, str(p), f"The folder's {p.name}", seed=seed, frac=frac,
                              label_names=None, columns=columns)
        tr_path, te_path = found[wanted[0]][0], found[wanted[1]][0]
        tr, te, _ = _pair([(load_table(tr_path), str(tr_path)), (load_table(te_path), str(te_path))], path.name,
                          columns=columns)
        return tr, te, f"The folder's own {tr_path.name} ({len(tr):,}) and {te_path.name} ({len(te):,}) files."
    _no_split(path, split, "a file is one table")
    return _one_table(load_table(path), path.name, str(path), path.name, seed=seed, frac=frac, label_names=None,
                      columns=columns)


def _no_split(path: Path, split: str | None, why: str) -> None:
    if split is not None:
        raise ConfigError(f"{path}: --split {split!r} does not apply: {why}, divided into train/test by "
                          "test_fraction; --split picks splits of a DatasetDict folder, a folder of split files or "
                          "a Hub id")


def _labelled(df: pd.DataFrame, column: str = "label") -> bool:
    # GLUE-style Hub test splits mark hidden labels as -1.
    label = df.get(column)
    return not (label is not None and pd.api.types.is_integer_dtype(label) and bool((label < 0).any()))


def _load_hub_id(spec: str, seed: int, frac: float, columns: Columns | None, split: str | None) -> Pair:
    hub_id, config = parse_hub_id(spec)
    frames = load_hub(hub_id, config=config)
    return _from_splits(frames, f"Hub data set '{spec}'", spec, split=split, seed=seed, frac=frac, columns=columns)


def looks_local(spec: str) -> bool:
    """A path rather than a Hub id: starts with '/', '.', '~', has a table file extension, or more than one '/'.
    Such a name that does not exist is a missing file, never sent to the Hub."""
    return (spec.startswith(("/", ".", "~")) or table_extension(spec.partition(":")[0]) is not None
            or spec.count("/") > 1 or "\\" in spec)


def _looks_like_hub_id(spec: str) -> bool:
    return bool(_HUB_RE.match(spec)) and table_extension(spec.partition(":")[0]) is None


def _check_args(test_fraction: float, max_train: int | None, max_test: int | None) -> None:
    if not 0 < test_fraction < 1:
        raise ConfigError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    for arg, v in (("max_train", max_train), ("max_test", max_test)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1):
            raise ConfigError(f"{arg} must be a positive integer or None, got {v!r}")


def load_dataset(name_or_path: str | Path, *, split_seed: int = 0, test_fraction: float = 0.3,
                 max_train: int | None = None, max_test: int | None = None, columns: Columns | None = None,
                 split: str | None = None) -> DatasetSplits:
    """Fixed train/test splits from, in this order: a named data set (sst2, boolq, anthropic_hh, any case), an
    existing local file (split by `test_fraction`), a folder (a Hugging Face `save_to_disk` Dataset or DatasetDict,
    or train.* and test.* table files), or a Hub id ("org/name" or "org/name:config"). `columns` maps the table's
    column names (see `Columns`); `split` picks splits: "NAME" (divided by `test_fraction`) or "TRAIN,TEST"
    (default: train and the first labelled test / validation / valid / dev split). `max_train` / `max_test` take a
    stratified subsample seeded by `split_seed`."""
    _check_args(test_fraction, max_train, max_test)
    parse_split(split)
    spec = str(name_or_path).strip()
    key = spec.lower()
    hub_id: str | None = None
    if not isinstance(name_or_path, Path) and key in NAMED:
        given = [f"--{r}-column" for r in (columns.given() if columns else {})] + (["--split"] if split else [])
        if given:
            raise ConfigError(f"data set '{key}' is a named data set with fixed columns and splits; "
                              f"{', '.join(given)} apply to files, folders and Hub ids")
        name, hub_id = key, NAMED[key].hub_id
        tr, te, note = _load_named(key, split_seed, test_fraction)
    elif spec and Path(spec).expanduser().exists():
        path = Path(spec).expanduser()
        name = path.name
        tr, te, note = _load_path(path, split_seed, test_fraction, columns, split)
    elif looks_local(spec) or isinstance(name_or_path, Path):
        raise DataError(f"{spec}: no such file or folder")
    elif _looks_like_hub_id(spec):
        name = hub_id = spec
        tr, te, note = _load_hub_id(spec, split_seed, test_fraction, columns, split)
    else:
        raise DataError(f"data set '{spec}': not a named data set ({', '.join(NAMED)}), not an existing file or "
                        "folder, and not a Hub id")
    if np.unique(tr.labels).size < 2:
        raise DataError(f"data set '{name}' ({tr.source}): the train split has only one class; need at least two")
    small_tr, small_te = sample_dataset(tr, max_train, split_seed), sample_dataset(te, max_test, split_seed)
    _enough_per_class(small_tr, name)
    if len(small_tr) < len(tr) or len(small_te) < len(te):
        note = (note.rstrip(".") + f"; subsampled to {len(small_tr):,} train / {len(small_te):,} test, "
                f"stratified, seed {split_seed}.")
    return DatasetSplits(name, small_tr, small_te, hub_id, note)


def _enough_per_class(tr: TextDataset, name: str) -> None:
    """Every class in the train split needs two examples: one cannot be learned, and the stratified halves of a
    technique (W2S's weak / strong halves) cannot be drawn. A column with many one-off values is not a label."""
    counts = np.bincount(tr.labels, minlength=tr.n_classes)
    single = [tr.label_names[i] for i in np.flatnonzero(counts == 1)]
    if single:
        shown = ", ".join(repr(s[:40]) for s in single[:3]) + (", ..." if len(single) > 3 else "")
        raise DataError(f"data set '{name}' ({tr.source}): {len(single)} of the {int((counts > 0).sum())} classes "
                        f"in column '{tr.label_column}' have a single training example ({shown}); each class needs "
                        "at least two: is it the right label column? (--label-column)")
