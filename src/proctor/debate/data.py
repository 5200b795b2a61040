"""Debate data: multiple-choice questions binarised to (correct answer, best distractor), optionally with a passage.

Accepted layouts (detected from the columns):

- QuALITY v1.0.1 (Pang et al. 2022): one row per article, `article` and a `questions` list whose items have
  `question`, `options`, `gold_label` (1-based) and `validation` (annotators' `untimed_best_distractor`, 1-based).
  The distractor is the annotators' majority `untimed_best_distractor` other than the gold label (ties: the lower
  option number), else the first other option. The files `QuALITY.v1.0.1.htmlstripped.{train,dev}` (JSONL without an
  extension) are read as JSONL.
- QuALITY's earlier layout (`../shared/data/quality_example`): `question1..N`, `questionNoptionK`,
  `questionN_gold_label`, annotator fields `questionN_eval1s/eval2s/eval3s`; the three eval lists follow v1.0.1's
  `untimed_eval1_answerability`, `untimed_eval2_context` and `untimed_best_distractor` order, so `eval3s` gives the
  best-distractor votes. The article is raw HTML lines; tags are stripped.
- Generic multiple choice: `question`, `choices` (a list), `answer` (0-based index, letter A-Z, or the answer text),
  optional `passage` (or `article`/`context`), optional `distractor` (index/letter/text; default the first choice
  that is not the answer), optional `id`.

  The correct answer may instead be in a `label` column (when there is no `answer`), and `choices` may be a
  {"text": [...], "label": [...]} record (ARC's layout; the answer is then one of its labels).

A table whose columns are named otherwise is mapped with `DebateColumns` (`--question-column`, `--passage-column`,
`--choices-column` (one list column, or several columns of one answer each, comma-separated: GPQA's `Correct
Answer,Incorrect Answer 1`, SciQ's `correct_answer,distractor1,...`), `--answer-column` / `--label-column` (the
correct answer: index, letter or text); `question_column` etc. in a spec). A mapped table is read in the generic
layout; a column that is not there is an error naming the columns found and the option that maps it.

`load_items(dataset)` takes "quality_example" (from PROCTOR_DATA; fixed columns and split), a local file (JSONL,
JSON, CSV, Parquet via `proctor.data.tables.load_table`), a Hugging Face `save_to_disk` folder (a Dataset, or a
DatasetDict whose split `split` picks) or a Hub id ("org/name[:config]"); the default split of a DatasetDict or a
Hub id is the first of `validation`, `dev`, `test`, `train` present.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

from ..errors import DataError


@dataclass(frozen=True)
class DebateItem:
    """One binarised question: the correct answer, the best distractor, and the passage only debaters see."""

    id: str
    question: str
    correct: str
    distractor: str
    passage: str = ""
    title: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "br", "h1", "h2", "h3", "hr", "div"):
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def strip_html(text: str) -> str:
    """Visible text of an HTML document, paragraphs kept as blank-line-separated blocks."""
    if "<" not in text:
        return text
    p = _Text()
    p.feed(text)
    p.close()
    lines = (" ".join(line.split()) for line in html.unescape("".join(p.parts)).split("\n"))
    return "\n".join(line for line in lines if line)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _best_distractor(votes, gold: int, n_options: int) -> int:
    counts = Counter(int(v) for v in votes if not _missing(v) and int(v) != gold and 1 <= int(v) <= n_options)
    if counts:
        best = max(counts.values())
        return min(k for k, c in counts.items() if c == best)
    return next(k for k in range(1, n_options + 1) if k != gold)


def _article(value) -> str:
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and not isinstance(value, str)):
        value = "".join(str(x) for x in list(value))
    return strip_html(str(value or ""))


def quality_v1_items(row: dict, where: str) -> list[DebateItem]:
    passage = _article(row.get("article"))
    base = str(row.get("set_unique_id") or row.get("article_id") or "")
    out = []
    for i, q in enumerate(list(row["questions"])):
        try:
            options = [str(o) for o in list(q["options"])]
            gold = int(q["gold_label"])
            votes = [v.get("untimed_best_distractor") for v in list(q.get("validation") or [])]
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"{where}: question {i + 1}: QuALITY question needs options, gold_label ({e})") from None
        d = _best_distractor(votes, gold, len(options))
        qid = str(q.get("question_unique_id") or f"{base}_{i + 1}")
        out.append(DebateItem(qid, str(q["question"]).strip(), options[gold - 1].strip(), options[d - 1].strip(),
                              passage, str(row.get("title") or "")))
    return out


def quality_old_items(row: dict, where: str) -> list[DebateItem]:
    passage = _article(row.get("article"))
    base = str(row.get("unique_id") or row.get("article_id") or "")
    out = []
    n = 1
    while f"question{n}" in row and not _missing(row[f"question{n}"]):
        options = []
        while f"question{n}option{len(options) + 1}" in row:
            options.append(str(row[f"question{n}option{len(options) + 1}"]).strip())
        gold_raw = row.get(f"question{n}_gold_label")
        if _missing(gold_raw) or len(options) < 2:
            raise DataError(f"{where}: question{n}: needs question{n}_gold_label and at least two options")
        gold = int(gold_raw)
        votes = row.get(f"question{n}_eval3s")
        d = _best_distractor(list(votes) if not _missing(votes) else [], gold, len(options))
        out.append(DebateItem(f"{base}_{n}", str(row[f"question{n}"]).strip(), options[gold - 1], options[d - 1],
                              passage, str(row.get("title") or "")))
        n += 1
    return out


@dataclass(frozen=True)
class DebateColumns:
    """Which column of a table holds what; None (or no choices) means the usual name. `answer` and `label` both name
    the correct answer's column (an index, a letter or the answer's text): give one."""

    question: str | None = None
    passage: str | None = None
    choices: tuple[str, ...] = ()
    answer: str | None = None
    label: str | None = None

    @classmethod
    def of(cls, question: str | None = None, passage: str | None = None, choices: str | None = None,
           answer: str | None = None, label: str | None = None) -> DebateColumns:
        """From the options as given (`choices`: one column of lists, or several comma-separated columns)."""
        return cls(question, passage, tuple(c.strip() for c in choices.split(",")) if choices else (), answer, label)

    def given(self) -> dict[str, tuple[str, ...]]:
        """The roles that were mapped, with their column names."""
        out = {role: (col,) for role in ("question", "passage", "answer", "label") if (col := getattr(self, role))}
        return out | ({"choices": self.choices} if self.choices else {})


#: The CLI option (and, as `question_column` etc., the spec key) that maps each role to a column.
DEBATE_OPTIONS = {"question": "--question-column", "passage": "--passage-column", "choices": "--choices-column",
                  "answer": "--answer-column", "label": "--label-column"}
_DEBATE_HINT = ("map yours with " + " / ".join(DEBATE_OPTIONS.values()) + " (question_column etc. in a spec)")


def _found(keys: list[str]) -> str:
    return ", ".join(keys[:20]) + (", ..." if len(keys) > 20 else "") if keys else "(none)"


def _keys(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(str(k) for r in rows for k in r))


def map_columns(rows: list[dict], columns: DebateColumns, where: str) -> list[dict]:
    """Rows in the generic layout (`question`, `choices`, `answer`, `passage`) from a table's own column names."""
    from ..errors import ConfigError

    if columns.answer and columns.label and columns.answer != columns.label:
        raise ConfigError(f"--answer-column {columns.answer!r} and --label-column {columns.label!r} both name the "
                          "correct answer's column; give one")
    keys = _keys(rows)
    for role, cols in columns.given().items():
        for col in cols:
            if col not in keys:
                raise DataError(f"{where}: no column '{col}' (given by {DEBATE_OPTIONS[role]}); found columns: "
                                f"{_found(keys)}")
    right = columns.answer or columns.label
    out = []
    for i, row in enumerate(rows):
        new = dict(row)
        if columns.question:
            new["question"] = row[columns.question]
        if columns.passage:
            new["passage"] = row[columns.passage]
        if len(columns.choices) == 1:
            new["choices"] = row[columns.choices[0]]
        elif columns.choices:  # one answer per column
            for col in columns.choices:
                if _missing(row.get(col)) or not str(row[col]).strip():
                    raise DataError(f"{where}: row {i + 1}: column '{col}' (given by --choices-column) is missing "
                                    "or empty")
            new["choices"] = [row[col] for col in columns.choices]
        if right in columns.choices and len(columns.choices) > 1:
            new["answer"] = columns.choices.index(right)  # GPQA / SciQ: the correct answer is one of the columns
        elif right:
            new["answer"] = row[right]
        if right:
            new.pop("label", None)
        out.append(new)
    return out


def _pick(value, choices: list[str], field: str, where: str) -> int:
    if isinstance(value, str):
        v = value.strip()
        if len(v) == 1 and v.isalpha() and v.upper() not in [c.strip().upper() for c in choices]:
            idx = ord(v.upper()) - ord("A")
        elif v in choices:
            idx = choices.index(v)
        elif v.lstrip("-").isdigit():
            idx = int(v)
        else:
            raise DataError(f"{where}: `{field}` {value!r} is not an index, a letter or one of the choices")
    else:
        try:
            idx = int(value)
        except (TypeError, ValueError):
            raise DataError(f"{where}: `{field}` {value!r} is not an index, a letter or a choice") from None
    if not 0 <= idx < len(choices):
        raise DataError(f"{where}: `{field}` {value!r} is out of range for {len(choices)} choices")
    return idx


def multiple_choice_item(row: dict, where: str, index: int) -> DebateItem:
    choices = row.get("choices")
    if isinstance(choices, str):
        try:
            choices = json.loads(choices)
        except ValueError:
            raise DataError(f"{where}: `choices` must be a list") from None
    names = None
    if isinstance(choices, dict) and "text" in choices:  # ARC: {"text": [...], "label": ["A", "B", ...]}
        names = None if _missing(choices.get("label")) else [str(x).strip() for x in list(choices["label"])]
        choices = choices["text"]
    if _missing(choices) or isinstance(choices, (dict, int, float)) or len(list(choices)) < 2:
        raise DataError(f"{where}: `choices` must be a list of at least two answers")
    choices = [str(c) for c in list(choices)]
    key = "answer" if "answer" in row else "label"
    if _missing(row.get(key)):
        raise DataError(f"{where}: missing `answer`")
    if names is not None and len(names) == len(choices) and str(row[key]).strip() in names:
        row = row | {key: names.index(str(row[key]).strip())}
    a = _pick(row[key], choices, key, where)
    if not _missing(row.get("distractor")):
        d = _pick(row["distractor"], choices, "distractor", where)
        if d == a:
            raise DataError(f"{where}: `distractor` is the answer")
    else:
        d = next(i for i in range(len(choices)) if i != a)
    passage = next((str(row[k]) for k in ("passage", "article", "context") if not _missing(row.get(k))), "")
    rid, title = row.get("id"), row.get("title")
    return DebateItem(str(index if _missing(rid) else rid), str(row["question"]).strip(), choices[a].strip(),
                      choices[d].strip(), passage, "" if _missing(title) else str(title))


def items_from_rows(rows: list[dict], where: str, columns: DebateColumns | None = None) -> list[DebateItem]:
    """Binarised items from table rows of any accepted layout (detected from the first row's keys); with `columns`,
    the generic layout under the table's own column names."""
    if not rows:
        raise DataError(f"{where}: no rows")
    mapped = columns is not None and bool(columns.given())
    if mapped:
        rows = map_columns(rows, columns, where)
    keys = set(rows[0])
    items: list[DebateItem] = []
    if "questions" in keys and not mapped:
        for i, r in enumerate(rows):
            items += quality_v1_items(r, f"{where}: row {i + 1}")
    elif "question1" in keys and not mapped:
        for i, r in enumerate(rows):
            items += quality_old_items(r, f"{where}: row {i + 1}")
    elif {"question", "choices"} <= keys and keys & {"answer", "label"}:
        items = [multiple_choice_item(r, f"{where}: row {i + 1}", i) for i, r in enumerate(rows)]
    else:
        missing = [f"'{c}' ({DEBATE_OPTIONS[c]})" for c in ("question", "choices") if c not in keys]
        missing += [] if keys & {"answer", "label"} else ["'answer' (--answer-column)"]
        raise DataError(f"{where}: unknown layout, missing column {', '.join(missing)}; expected QuALITY fields (`questions` or "
                        "`question1`...) or `question`, `choices`, `answer` (+ `passage`); found columns: "
                        f"{_found(_keys(rows))}; {_DEBATE_HINT}")
    items = list(dict.fromkeys(items))  # the same question twice (quality_example has its article twice): keep one
    ids = Counter(it.id for it in items)
    if any(c > 1 for c in ids.values()):  # ids key the run store and the response cache: they must be unique
        items = [DebateItem(f"{it.id}#{i}", it.question, it.correct, it.distractor, it.passage, it.title)
                 for i, it in enumerate(items)]
    return items


def _read_rows(path: Path) -> list[dict]:
    from ..data.tables import load_table, read_jsonl, table_extension

    if table_extension(path) is None and path.is_file():  # QuALITY's own files: JSONL without an extension
        return read_jsonl(path)
    return load_table(path).to_dict("records")


_DEFAULT_SPLITS = ("validation", "dev", "test", "train")


def _pick_split(frames: dict, where: str, split: str | None) -> tuple[list[dict], str]:
    """(rows, where) of the chosen split of a Hub data set or a saved DatasetDict."""
    name = split or next((s for s in _DEFAULT_SPLITS if s in frames), next(iter(frames)))
    if name not in frames:
        raise DataError(f"{where}: no split {name!r} (it has: {', '.join(frames)}); pick one with --split")
    return frames[name].to_dict("records"), f"{where} [{name}]"


def _no_split(where: str, split: str | None, why: str) -> None:
    from ..errors import ConfigError

    if split is not None:
        raise ConfigError(f"{where}: --split {split!r} does not apply: {why}; --split picks a split of a saved "
                          "DatasetDict folder or a Hub id")


def load_items(dataset: str, *, split: str | None = None, limit: int | None = None,
               columns: DebateColumns | None = None) -> list[DebateItem]:
    """Items from "quality_example", a local file, a `save_to_disk` folder, or a Hub id; the first `limit` of them
    (order kept). `columns` maps a table's own column names; `split` picks a DatasetDict's or a Hub id's split."""
    from ..data.tables import is_saved_dataset, load_disk

    if dataset == "quality_example":
        given = [DEBATE_OPTIONS[r] for r in (columns.given() if columns else {})] + (["--split"] if split else [])
        if given:
            from ..errors import ConfigError

            raise ConfigError(f"data set 'quality_example' has fixed columns and one split; {', '.join(given)}: "
                              "only for files, save_to_disk folders and Hub ids")
        root = os.environ.get("PROCTOR_DATA")
        if not root:
            raise DataError("quality_example: set PROCTOR_DATA to the data folder (it holds quality_example/)")
        path = Path(root) / "quality_example" / "quality_example.jsonl"
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        items = items_from_rows(_read_rows(path), str(path))
    elif Path(dataset).expanduser().exists():
        path = Path(dataset).expanduser()
        if is_saved_dataset(path):
            loaded = load_disk(path)
            if isinstance(loaded, dict):
                rows, where = _pick_split(loaded, str(path), split)
            else:
                _no_split(str(path), split, "a saved Dataset (not a DatasetDict) is one table")
                rows, where = loaded.to_dict("records"), str(path)
        else:
            _no_split(str(path), split, "a file is one table")
            rows, where = _read_rows(path), str(path)
        items = items_from_rows(rows, where, columns)
    elif re.match(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(:[\w.-]+)?$", dataset):
        from ..data.tables import load_hub, parse_hub_id

        hub_id, config = parse_hub_id(dataset)
        rows, where = _pick_split(load_hub(hub_id, config=config), dataset, split)
        items = items_from_rows(rows, where, columns)
    else:
        raise DataError(f"{dataset}: no such file, and not a Hub id (org/name) or 'quality_example'")
    if limit is not None:
        items = items[:limit]
    return items
