"""Spec fields for techniques that read a labelled-text table: `TableColumns` maps the table's own column names and
picks its splits (`text_column`, `label_column`, `question_column`, `passage_column`, `answer_column`, `split`), so
`--text-column sentence` reads a `sentence,label` CSV and `--split train,validation` picks a DatasetDict's splits.

Light on purpose (pydantic only): specs import it, and `proctor --help` imports the specs.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["TABLE_FIELDS", "TableColumns"]

_COLUMN = {"default": None, "min_length": 1, "max_length": 200}


class TableColumns(BaseModel):
    """Mix into a technique's spec (`class MySpec(Spec, TableColumns)`); the defaults keep the usual names. The
    descriptions are `Field(description=...)`: attribute docstrings are read on the spec class only."""

    text_column: str | None = Field(**_COLUMN, description=(
        "The table's text column, if not 'text' (e.g. 'sentence' in SST-2 / GLUE files)."))
    label_column: str | None = Field(**_COLUMN, description=(
        "The table's label column, if not 'label' (BoolQ-style rows: 'answer')."))
    question_column: str | None = Field(**_COLUMN, description=(
        "QA tables: the question column, if not 'question'."))
    passage_column: str | None = Field(**_COLUMN, description=(
        "QA tables: the passage / context column, if not 'passage' or 'context'."))
    answer_column: str | None = Field(**_COLUMN, description=(
        "QA tables: the answer column, if not 'answer': BoolQ's yes/no label, or the one candidate answer of a "
        "multiple-choice row whose 0/1 label says whether it is right."))
    split: str | None = Field(default=None, pattern=r"^[\w.-]+(,[\w.-]+)?$", max_length=200, description=(
        "Splits of a DatasetDict folder, a folder of split files or a Hub id: NAME (that split, divided into "
        "train/test by test_fraction) or TRAIN,TEST; none: train, with its test or validation split as test."))

    def data_options(self) -> dict[str, Any]:
        """The keyword arguments of `proctor.data.load_dataset` that these fields set."""
        from .text import Columns

        return {"columns": Columns(text=self.text_column, label=self.label_column, question=self.question_column,
                                   passage=self.passage_column, answer=self.answer_column),
                "split": self.split}

    def options_for(self, dataset: str) -> dict[str, Any]:
        """`data_options()` for `dataset`, or none for a named data set (sst2, boolq, anthropic_hh: their columns
        and splits are fixed). For a verb whose table options apply to each of several data sets it reads."""
        from .named import NAMED

        return {} if dataset.strip().lower() in NAMED else self.data_options()


#: The fields of TableColumns: list them in a spec's ADDED_LATER so that earlier suites keep their unit keys.
TABLE_FIELDS: tuple[str, ...] = tuple(TableColumns.model_fields)
