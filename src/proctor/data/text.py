"""Typed text-classification records, the conversion of table rows into them, and seeded stratified splits.

Accepted columns: `text` + `label`; or `question` + (`passage` |
`context`) + `answer`, turned into "Passage: ...\\nQuestion: ..." as openai/weak-to-strong does. Labels may be
booleans, integers or strings. Rows are counted from 1 in messages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from proctor.errors import DataError

_CONTEXT_COLUMNS = ("passage", "context")


# eq=False: field-wise equality over a numpy array is ambiguous and a list field is unhashable; compare fingerprints.
@dataclass(frozen=True, eq=False)
class TextDataset:
    """Texts with integer class labels; `labels[i]` indexes `label_names`."""

    name: str
    texts: list[str]
    labels: np.ndarray
    label_names: list[str]
    source: str

    def __post_init__(self) -> None:
        labels = np.array(self.labels, dtype=np.int64).reshape(-1)
        # Read-only so a frozen data set cannot be changed behind its fingerprint.
        labels.setflags(write=False)
        object.__setattr__(self, "labels", labels)
        if labels.shape[0] != len(self.texts):
            raise ValueError(f"{self.name}: {len(self.texts)} texts but {labels.shape[0]} labels")
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.label_names)):
            raise ValueError(f"{self.name}: labels must lie in 0..{len(self.label_names) - 1}")

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        return f"TextDataset({self.name!r}, n={len(self)}, classes={self.label_names}, source={self.source!r})"

    @property
    def n_classes(self) -> int:
        return len(self.label_names)

    def subset(self, idx: np.ndarray, name: str | None = None) -> TextDataset:
        """The examples at `idx` (integer positions or a boolean mask), in that order."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64)
        return TextDataset(name or self.name, [self.texts[i] for i in idx], self.labels[idx],
                           list(self.label_names), self.source)

    def fingerprint(self) -> str:
        """SHA-256 over texts and labels (first 16 hex digits): names this exact data in unit keys and caches."""
        h = hashlib.sha256()
        for t in self.texts:
            b = t.encode("utf-8")
            # Length-prefixed, so ["ab", "c"] and ["a", "bc"] differ.
            h.update(len(b).to_bytes(8, "little"))
            h.update(b)
        h.update(self.labels.astype("<i8").tobytes())
        return h.hexdigest()[:16]


def to_text_dataset(df: pd.DataFrame, *, name: str, source: str, label_names: list[str] | None = None,
                    min_classes: int = 2) -> TextDataset:
    """Turn table rows into a TextDataset (see the module docstring for the accepted columns).

    `label_names`, when given, names integer labels 0..k-1 (or fixes the order of string labels); otherwise
    booleans become ["false", "true"], integers 0..k-1 are kept, and other integers or strings are mapped in
    sorted order. `min_classes=1` accepts a single class (a test file may hold one).
    """
    where = f"data set '{name}' ({source})"
    cols = [str(c) for c in df.columns]
    if len(df) == 0:
        raise DataError(f"{where}: no rows")
    text_col = "text" if "text" in cols else None
    context_col = next((c for c in _CONTEXT_COLUMNS if c in cols), None)
    if text_col and "label" in cols:
        texts = _texts(df[text_col], where, text_col)
        label_col = "label"
    elif "question" in cols and context_col and "answer" in cols:
        questions = _texts(df["question"], where, "question")
        passages = _texts(df[context_col], where, context_col)
        texts = [f"Passage: {p}\nQuestion: {q}" for p, q in zip(passages, questions)]
        label_col = "answer"
    else:
        if text_col:
            missing = ["'label'"]
        elif {"question", "answer"} & set(cols) or context_col:
            missing = [f"'{c}'" for c in ("question", "answer") if c not in cols]
            missing += [] if context_col else ["'passage' (or 'context')"]
        else:
            missing = ["'text'"] + ([] if "label" in cols else ["'label'"])
        shown = ", ".join(cols[:20]) + (", ..." if len(cols) > 20 else "")
        raise DataError(f"{where}: missing column {' and '.join(missing)}; expected 'text' + 'label', or "
                        f"'question' + 'passage' (or 'context') + 'answer'; found columns: {shown or '(none)'}")
    labels, names = encode_labels(df[label_col], where, label_col, label_names)
    present = np.unique(labels)
    if present.size < min_classes:
        raise DataError(f"{where}: only one class ({names[int(present[0])]!r}) in column '{label_col}'; "
                        "a classifier needs at least two")
    return TextDataset(name, texts, labels, names, source)


def _texts(col: pd.Series, where: str, column: str) -> list[str]:
    values = col.tolist()
    for i, v in enumerate(values):
        if isinstance(v, (list, dict, np.ndarray)):
            raise DataError(f"{where}: row {i + 1}: column '{column}' holds a {type(v).__name__}, expected text")
        if _missing(v) or not str(v).strip():
            raise DataError(f"{where}: row {i + 1}: column '{column}' is missing or empty")
    return [str(v) for v in values]


def _missing(v: object) -> bool:
    # None, NaN, pd.NA and NaT all mean "no value", whichever reader produced the column.
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _kind(v: object) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, np.integer)):
        return "int"
    if isinstance(v, (float, np.floating)):
        return "int" if float(v).is_integer() else "float"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def encode_labels(col: pd.Series, where: str, column: str,
                  label_names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Class indices (int64) and class names for a column of booleans, integers or strings."""
    values = col.tolist()
    for i, v in enumerate(values):
        if isinstance(v, (list, dict, np.ndarray)):
            continue  # reported below as a wrong kind of label
        if _missing(v) or (isinstance(v, str) and not v.strip()):
            raise DataError(f"{where}: row {i + 1}: column '{column}' is missing or empty")
    kinds = [_kind(v) for v in values]
    kind_set = set(kinds)
    if len(kind_set) > 1 or kind_set - {"bool", "int", "str"}:
        odd = next(i for i, k in enumerate(kinds) if k not in ("bool", "int", "str") or k != kinds[0])
        raise DataError(f"{where}: row {odd + 1}: column '{column}' must hold only booleans, integers or strings; "
                        f"found {kinds[odd]} {values[odd]!r} (the first row holds {kinds[0]})")
    kind = kinds[0]
    if kind == "bool":
        return np.array([int(bool(v)) for v in values], dtype=np.int64), list(label_names or ["false", "true"])
    if kind == "int":
        huge = next((i for i, v in enumerate(values) if abs(int(v)) > 2**31), None)
        if huge is not None:
            raise DataError(f"{where}: row {huge + 1}: label {values[huge]!r} in column '{column}' is not a class "
                            f"index (too large)")
        ints = np.array([int(v) for v in values], dtype=np.int64)
        if label_names is not None:
            bad = np.flatnonzero((ints < 0) | (ints >= len(label_names)))
            if bad.size:
                i = int(bad[0])
                raise DataError(f"{where}: row {i + 1}: label {ints[i]} in column '{column}' is outside "
                                f"0..{len(label_names) - 1} ({', '.join(label_names)})")
            return ints, list(label_names)
        uniq = np.unique(ints)
        if len(uniq) > MAX_CLASSES:
            raise DataError(f"{where}: column '{column}' has {len(uniq)} distinct values: too many classes for a "
                            f"classification label (at most {MAX_CLASSES}); is it the right column?")
        if uniq[0] == 0 and uniq[-1] == len(uniq) - 1:
            return ints, [str(u) for u in uniq]
        return np.searchsorted(uniq, ints).astype(np.int64), [str(u) for u in uniq]
    strs = [str(v).strip() for v in values]
    missing = next((i for i, t in enumerate(strs) if t.lower() in _MISSING_WORDS), None)
    if missing is not None:
        raise DataError(f"{where}: row {missing + 1}: label {strs[missing]!r} in column '{column}' is a missing value")
    if label_names is not None:
        lookup = {n: i for i, n in enumerate(label_names)}
        unknown = next((i for i, s in enumerate(strs) if s not in lookup), None)
        if unknown is not None:
            raise DataError(f"{where}: row {unknown + 1}: label {strs[unknown]!r} in column '{column}' is not one of "
                            f"{', '.join(label_names)}")
        return np.array([lookup[s] for s in strs], dtype=np.int64), list(label_names)
    lowered = [t.lower() for t in strs]
    for vocab in _BINARY_WORDS:  # 0/1, false/true, no/yes written as text: the usual binary labels
        if set(lowered) <= set(vocab):
            return np.array([vocab.index(t) for t in lowered], dtype=np.int64), list(vocab)
    numeric = [_numeric_first(t)[0] == 0 for t in strs]
    if any(numeric) and not all(numeric):
        # numbers and words in one label column: a stray value (a header repeated, "yes" among 0/1), not a class
        odd = numeric.index(sum(numeric) < len(numeric) / 2)
        raise DataError(f"{where}: row {odd + 1}: label {strs[odd]!r} in column '{column}' does not fit the "
                        f"column's other labels (numbers and words mixed); fix the row or name the classes")
    uniq = sorted(set(strs), key=_numeric_first)
    if len(uniq) > MAX_CLASSES:
        raise DataError(f"{where}: column '{column}' has {len(uniq)} distinct values ({', '.join(map(repr, uniq[:3]))}"
                        f", ...): too many classes for a classification label (at most {MAX_CLASSES}); is it the "
                        f"right column?")
    lookup = {s: i for i, s in enumerate(uniq)}
    return np.array([lookup[s] for s in strs], dtype=np.int64), uniq


MAX_CLASSES = 50
"""The most distinct values a label column may hold (more means a text column was taken for the label)."""
_BINARY_WORDS = (("0", "1"), ("false", "true"), ("no", "yes"))
_MISSING_WORDS = {"nan", "none", "null", "na", "n/a"}


def _numeric_first(s: str) -> tuple:
    # "2" before "10" when labels are numbers written as strings; plain string order otherwise.
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s)


def _stratify(labels: np.ndarray) -> np.ndarray | None:
    # sklearn cannot stratify when a class has a single example; such a split is then plain random.
    counts = np.bincount(labels)
    return labels if counts[counts > 0].min() >= 2 else None


def split_dataset(ds: TextDataset, test_fraction: float, seed: int) -> tuple[TextDataset, TextDataset]:
    """A seeded stratified train/test split, each part in the original row order."""
    from sklearn.model_selection import train_test_split

    if len(ds) < 2:
        raise DataError(f"data set '{ds.name}' ({ds.source}): {len(ds)} row(s), too few to split into train and test")
    idx = np.arange(len(ds))
    try:
        tr, te = train_test_split(idx, test_size=test_fraction, random_state=seed, stratify=_stratify(ds.labels))
    except ValueError:
        # Too few rows for one test example per class: fall back to an unstratified split.
        tr, te = train_test_split(idx, test_size=test_fraction, random_state=seed)
    return ds.subset(np.sort(tr), f"{ds.name}/train"), ds.subset(np.sort(te), f"{ds.name}/test")


def sample_dataset(ds: TextDataset, n: int | None, seed: int) -> TextDataset:
    """A deterministic stratified subsample of `n` examples in the original order (all of them when n >= len)."""
    if n is None or n >= len(ds):
        return ds
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(ds))
    try:
        keep, _ = train_test_split(idx, train_size=n, random_state=seed, stratify=_stratify(ds.labels))
    except ValueError:
        # Fewer rows asked for than there are classes: a plain seeded sample.
        keep = np.random.default_rng(seed).choice(idx, size=n, replace=False)
    return ds.subset(np.sort(keep))
