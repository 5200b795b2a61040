"""Typed text-classification records, the conversion of table rows into them, and seeded stratified splits.

Accepted tables (column names as given, or mapped with `Columns`: `--text-column` etc. on the CLI):
- `text` + `label`;
- `question` + (`passage` | `context`) + `answer` (BoolQ): "Passage: ...\\nQuestion: ..." labelled by `answer`;
- multiple choice flattened to one candidate per row, as openai/weak-to-strong flattens CosmosQA and SciQ: `question`
  + candidate `answer` + a 0/1 `label` saying whether it is right, with an optional `context` / `passage`. The text
  is "Context: ...\\nQuestion: ...\\nAnswer: ..." (CosmosQA's format) or, without a context, "Q: ... A: ..." (SciQ's);
  the rows of one question form a group that a split never divides.
Labels may be booleans, integers or strings; a label column that reads like free text, or has more distinct values
than classes can be (`MAX_CLASSES`), is an error naming it. Rows are counted from 1 in messages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from proctor.errors import DataError

_CONTEXT_COLUMNS = ("passage", "context")


@dataclass(frozen=True)
class Columns:
    """Which column of a table holds what; None means the usual name (`text`, `label`, `question`, `passage` or
    `context`, `answer`)."""

    text: str | None = None
    label: str | None = None
    question: str | None = None
    passage: str | None = None
    answer: str | None = None

    def given(self) -> dict[str, str]:
        """The roles that were mapped, with their column names."""
        return {role: col for role in COLUMN_OPTIONS if (col := getattr(self, role)) is not None}


#: The CLI option (and, with `_`, the spec key) that maps each role to a column.
COLUMN_OPTIONS = {"text": "--text-column", "label": "--label-column", "question": "--question-column",
                  "passage": "--passage-column", "answer": "--answer-column"}
_MAP_HINT = "map yours with " + " / ".join(COLUMN_OPTIONS.values()) + " (text_column etc. in a spec)"


# eq=False: field-wise equality over a numpy array is ambiguous and a list field is unhashable; compare fingerprints.
@dataclass(frozen=True, eq=False)
class TextDataset:
    """Texts with integer class labels; `labels[i]` indexes `label_names`."""

    name: str
    texts: list[str]
    labels: np.ndarray
    label_names: list[str]
    source: str
    groups: np.ndarray | None = None
    """Optional group ids (one multiple-choice question's candidate rows share one): splits keep a group together."""
    label_column: str = "label"
    """The column the labels came from (named in errors)."""

    def __post_init__(self) -> None:
        labels = np.array(self.labels, dtype=np.int64).reshape(-1)
        # Read-only so a frozen data set cannot be changed behind its fingerprint.
        labels.setflags(write=False)
        object.__setattr__(self, "labels", labels)
        if labels.shape[0] != len(self.texts):
            raise ValueError(f"{self.name}: {len(self.texts)} texts but {labels.shape[0]} labels")
        if self.groups is not None:
            groups = np.array(self.groups, dtype=np.int64).reshape(-1)
            groups.setflags(write=False)
            object.__setattr__(self, "groups", groups)
            if groups.shape[0] != labels.shape[0]:
                raise ValueError(f"{self.name}: {labels.shape[0]} labels but {groups.shape[0]} group ids")
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
                           list(self.label_names), self.source,
                           None if self.groups is None else self.groups[idx], self.label_column)

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
                    min_classes: int = 2, columns: Columns | None = None) -> TextDataset:
    """Turn table rows into a TextDataset (see the module docstring for the accepted tables).

    `columns` maps roles to the table's own column names. `label_names`, when given, names integer labels 0..k-1
    (or fixes the order of string labels); otherwise booleans become ["false", "true"], integers 0..k-1 are kept,
    and other integers or strings are mapped in sorted order. `min_classes=1` accepts a single class (a test file
    may hold one).
    """
    where = f"data set '{name}' ({source})"
    cols = [str(c) for c in df.columns]
    shown = ", ".join(cols[:20]) + (", ..." if len(cols) > 20 else "")
    if len(df) == 0:
        raise DataError(f"{where}: no rows")
    mapped = columns or Columns()
    for role, col in mapped.given().items():
        if col not in cols:
            raise DataError(f"{where}: no column '{col}' (given by {COLUMN_OPTIONS[role]}); found columns: "
                            f"{shown or '(none)'}")
    text_col = mapped.text or ("text" if "text" in cols else None)
    label_col = mapped.label or "label"
    question_col, answer_col = mapped.question or "question", mapped.answer or "answer"
    context_col = mapped.passage or next((c for c in _CONTEXT_COLUMNS if c in cols), None)
    qa_mapped = any(v is not None for v in (mapped.question, mapped.passage, mapped.answer))
    groups = None
    if text_col and (mapped.text or not qa_mapped) and label_col in cols:
        texts = _texts(df[text_col], where, text_col)
    elif (not text_col or qa_mapped) and question_col in cols and answer_col in cols and label_col in cols \
            and label_col != answer_col and not pd.api.types.is_bool_dtype(df[answer_col]):
        # Multiple choice, one candidate answer per row and a 0/1 label: formatted as openai/weak-to-strong does.
        questions = _texts(df[question_col], where, question_col)
        answers = _texts(df[answer_col], where, answer_col)
        contexts = _texts(df[context_col], where, context_col) if context_col else None
        if contexts is None:
            texts = [f"Q: {q} A: {a}" for q, a in zip(questions, answers)]
        else:
            texts = [f"Context: {c}\nQuestion: {q}\nAnswer: {a}" for c, q, a in zip(contexts, questions, answers)]
        keys = [f"{len(c)}:{c}{q}" for c, q in zip(contexts or [""] * len(questions), questions)]
        groups = pd.factorize(pd.Series(keys))[0]
        labels = _right_or_wrong(df[label_col], where, label_col)
        return _checked(TextDataset(name, texts, labels, ["wrong", "right"], source, groups, label_col), where,
                        min_classes)
    elif (not text_col or qa_mapped) and question_col in cols and context_col and \
            (answer_col in cols or label_col in cols):
        # BoolQ: a passage and a yes/no question, labelled by `answer` (or, without one, by the label column).
        questions = _texts(df[question_col], where, question_col)
        passages = _texts(df[context_col], where, context_col)
        texts = [f"Passage: {p}\nQuestion: {q}" for p, q in zip(passages, questions)]
        label_col = answer_col if answer_col in cols else label_col
    else:
        if text_col and not qa_mapped:
            missing = [f"'{label_col}'"]
        elif {question_col, answer_col} & set(cols) or context_col or qa_mapped:
            missing = [f"'{c}'" for c in (question_col, answer_col) if c not in cols]
            missing += [] if context_col or label_col in cols else [f"'passage' (or 'context'), or a 0/1 "
                                                                    f"'{label_col}'"]
        else:
            missing = ["'text'"] + ([] if label_col in cols else [f"'{label_col}'"])
        raise DataError(f"{where}: missing column {' and '.join(missing)}; expected 'text' + 'label', "
                        "'question' + 'passage' (or 'context') + 'answer', or multiple choice: 'question' + one "
                        "candidate 'answer' + a 0/1 'label' (+ 'context'); found columns: "
                        f"{shown or '(none)'}; {_MAP_HINT}")
    labels, names = encode_labels(df[label_col], where, label_col, label_names)
    return _checked(TextDataset(name, texts, labels, names, source, groups, label_col), where, min_classes)


def _checked(ds: TextDataset, where: str, min_classes: int) -> TextDataset:
    present = np.unique(ds.labels)
    if present.size < min_classes:
        raise DataError(f"{where}: only one class ({ds.label_names[int(present[0])]!r}) in column "
                        f"'{ds.label_column}'; a classifier needs at least two")
    return ds


_RIGHT = {"1": 1, "1.0": 1, "true": 1, "yes": 1, "0": 0, "0.0": 0, "false": 0, "no": 0}


def _right_or_wrong(col: pd.Series, where: str, column: str) -> np.ndarray:
    """A multiple-choice table's label: 1 where the row's candidate answer is right, 0 where it is wrong."""
    out = np.empty(len(col), dtype=np.int64)
    for i, v in enumerate(col.tolist()):
        key = str(bool(v)).lower() if isinstance(v, (bool, np.bool_)) else str(v).strip().lower()
        if _missing(v) or key not in _RIGHT:
            raise DataError(f"{where}: row {i + 1}: column '{column}' must say whether the row's candidate answer "
                            f"is right (0 or 1), got {str(v)[:40]!r}; a multiple-choice table has one candidate "
                            f"'answer' per row (name the label column with --label-column)")
        out[i] = _RIGHT[key]
    return out


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
                            f"classification label (at most {MAX_CLASSES}); is it the right column? (--label-column)")
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
    wordy = next((i for i, t in enumerate(strs) if len(t) > _LABEL_CHARS or len(t.split()) > _LABEL_WORDS), None)
    if wordy is not None:
        raise DataError(f"{where}: row {wordy + 1}: label {strs[wordy][:40]!r}{'...' if len(strs[wordy]) > 40 else ''}"
                        f" in column '{column}' reads like free text, not a class (at most {_LABEL_WORDS} words and "
                        f"{_LABEL_CHARS} characters); is it the right column? name the label column with "
                        "--label-column")
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
                        f"right column? (--label-column)")
    lookup = {s: i for i, s in enumerate(uniq)}
    return np.array([lookup[s] for s in strs], dtype=np.int64), uniq


MAX_CLASSES = 50
"""The most distinct values a label column may hold (more means a text column was taken for the label)."""
_LABEL_WORDS, _LABEL_CHARS = 6, 60
"""A class name is a few words ("not entailment", "strongly agree"); a longer label is a text column."""
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
    """A seeded train/test split, each part in the original row order: stratified by label, or, where rows come in
    groups (`ds.groups`, a question's candidate answers), by whole groups (unstratified)."""
    from sklearn.model_selection import train_test_split

    if len(ds) < 2:
        raise DataError(f"data set '{ds.name}' ({ds.source}): {len(ds)} row(s), too few to split into train and test")
    idx = np.arange(len(ds))
    if ds.groups is not None and np.unique(ds.groups).size < len(ds):
        # Several rows per group (a question's candidate answers): whole groups go to train or to test.
        from sklearn.model_selection import GroupShuffleSplit

        if np.unique(ds.groups).size < 2:
            raise DataError(f"data set '{ds.name}' ({ds.source}): every row belongs to one question; too few "
                            "questions to split into train and test")
        tr, te = next(GroupShuffleSplit(n_splits=1, test_size=test_fraction, random_state=seed).split(
            idx, groups=ds.groups))
        return ds.subset(np.sort(tr), f"{ds.name}/train"), ds.subset(np.sort(te), f"{ds.name}/test")
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
