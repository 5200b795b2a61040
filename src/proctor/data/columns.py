"""Read numeric columns of a user's table of runs, with one-line errors that name the file, row and column.

Rows are counted from 1 at the first data row; for CSV / TSV files the line number is given too (the header is
line 1). Used by `proctor fit` and `proctor tax`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from proctor.data.tables import load_table, table_extension
from proctor.errors import DataError

__all__ = ["read_table", "numeric_column", "text_column", "require_columns"]


def read_table(path: str | Path) -> pd.DataFrame:
    """The table at `path` (CSV, TSV, JSONL, JSON, Parquet; optionally .gz) with at least one row."""
    return load_table(path)


def _where(path: Path, i: int, column: str) -> str:
    line = f" (line {i + 2})" if table_extension(path) in (".csv", ".tsv") else ""
    return f"{path}: row {i + 1}{line}, column '{column}'"


def require_columns(df: pd.DataFrame, path: str | Path, wanted: Mapping[str, str]) -> None:
    """Fail on the first missing column; `wanted` maps a column name to the option that renames it."""
    for column, option in wanted.items():
        if column not in df.columns:
            found = ", ".join(map(str, df.columns)) or "none"
            raise DataError(f"{path}: no column '{column}' (columns: {found}); name the right one with {option}")


def numeric_column(df: pd.DataFrame, path: str | Path, column: str, *, positive: bool = False) -> np.ndarray:
    """Column `column` as float64; the first empty, non-numeric, infinite or (with `positive`) non-positive cell is
    a `DataError` naming its row."""
    path = Path(path)
    values = df[column].tolist()
    out = np.empty(len(values), dtype=float)
    for i, raw in enumerate(values):
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            raise DataError(f"{_where(path, i, column)}: missing value")
        if isinstance(raw, bool):
            raise DataError(f"{_where(path, i, column)}: expected a number, got {raw!r}")
        try:
            v = float(raw)
        except (TypeError, ValueError):
            raise DataError(f"{_where(path, i, column)}: expected a number, got {str(raw)[:40]!r}") from None
        if math.isnan(v):
            raise DataError(f"{_where(path, i, column)}: NaN is not a number")
        if math.isinf(v):
            raise DataError(f"{_where(path, i, column)}: expected a finite number, got {raw!r}")
        if positive and v <= 0:
            raise DataError(f"{_where(path, i, column)}: must be positive, got {raw!r}")
        out[i] = v
    return out


def text_column(df: pd.DataFrame, path: str | Path, column: str, *, required: bool = True) -> list[str]:
    """Column `column` as stripped strings; an empty cell is an error when `required`, else ''."""
    out = []
    for i, raw in enumerate(df[column].tolist()):
        text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
        if required and not text:
            raise DataError(f"{_where(Path(path), i, column)}: missing value")
        out.append(text)
    return out
