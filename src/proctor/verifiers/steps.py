"""Stepwise solutions in TRL's stepwise-supervision format, and loaders for PRM800K and GSM8K.

A `Solution` is one candidate answer to one problem, cut into steps, with what is known about it: per-step process
labels (Lightman et al. 2023, PRM800K: is the solution still correct after this step?), the final answer and whether
it is right (the outcome label an ORM learns from). `to_trl` gives the stepwise `prompt` / `completions` / `labels`
row (the format of the former `trl.PRMTrainer`, which Proctor reads and writes as its own stepwise format; extra keys
ride along); `reward_pairs` gives process-supervised preference pairs that TRL 1.16's RewardTrainer trains on.

Loaders (each a one-line `DataError` naming the file and the column when a row lacks what it needs; each takes
`split=` for a saved DatasetDict folder or a Hub id, default its train split):
- `load_prm800k(path)`: PRM800K rows (phase 1 and 2; JSONL, pretty-printed concatenated JSON, or a Hub id). Ratings
  -1/0/+1; `neutral="good"` counts 0 as a good step, as OpenAI's scored samples do (their prm_score is the product of
  P(+1)+P(0), checked on RM-scored-example.json). Alternatives rated at a step become extra, shorter rows ending there
  (TRL's conversion of PRM800K).
- `load_gsm8k(path)`: GSM8K reference solutions; steps are lines, the answer follows `####`; `<<a*b=c>>` calculator
  annotations are removed from the text (the raw lines stay in `extra["raw_steps"]` for `perturb`).
- `load_stepwise(path, columns=StepColumns(...))`: TRL stepwise rows whose `prompt` / `completions` / `labels` are
  named otherwise (`--prompt-column` etc. of `proctor verify`).
- `load_gsm8k_model_solutions(path)`: Cobbe et al.'s 6B/175B samples with `is_correct` (outcome labels only; the
  process labels are left unknown, `labels=None`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError

CALC = re.compile(r"<<([^=<>]*)=([^<>]*)>>")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass
class Solution:
    """One candidate solution of one problem."""

    prompt: str
    steps: list[str]
    labels: list[bool] | None = None
    """Per-step process labels (True = every step up to here is right); None when unknown."""
    answer: str | None = None
    """The final answer the solution states."""
    correct: bool | None = None
    """Outcome label: the final answer is right."""
    problem_id: str = ""
    kind: str = ""
    """Where it came from: a generator case ("correct", "error", "hack", "wrong_final"), a model name, "reference"."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first_error(self) -> int:
        """Index of the earliest wrong step, -1 when every step is right (ProcessBench's label)."""
        if self.labels is None:
            raise ValueError("process labels are unknown for this solution")
        return next((i for i, ok in enumerate(self.labels) if not ok), -1)

    @property
    def process_correct(self) -> bool:
        return self.first_error == -1

    def to_trl(self) -> dict[str, Any]:
        """TRL stepwise row: `prompt`, `completions`, `labels` (+ answer/correct/problem_id/kind)."""
        row = {"prompt": self.prompt, "completions": list(self.steps),
               "labels": None if self.labels is None else [bool(x) for x in self.labels],
               "answer": self.answer, "correct": self.correct, "problem_id": self.problem_id, "kind": self.kind}
        return row | self.extra

    @classmethod
    def from_trl(cls, row: dict[str, Any], where: str = "row") -> Solution:
        for col in ("prompt", "completions"):
            if col not in row:
                raise DataError(f"{where}: missing column {col!r} (map yours with {STEP_OPTIONS[col]}); found "
                                f"columns: {', '.join(map(str, row)) or '(none)'}")
        steps = row["completions"]
        if not isinstance(steps, (list, tuple)) or not all(isinstance(s, str) for s in steps):
            raise DataError(f"{where}: column 'completions' must be a list of strings")
        labels, correct = (None if _absent(row.get(c)) else row.get(c) for c in ("labels", "correct"))
        if labels is not None:
            labels = labels.tolist() if hasattr(labels, "tolist") else labels  # Parquet gives arrays
            if not isinstance(labels, (list, tuple)):
                raise DataError(f"{where}: column 'labels' must be a list of step labels, got {labels!r:.60}")
            labels = [_flag(x, where, "labels") for x in labels]
            if len(labels) != len(steps):
                raise DataError(f"{where}: column 'labels' has {len(labels)} entries for {len(steps)} completions")
        return cls(str(row["prompt"]), list(steps), labels, row.get("answer"),
                   None if correct is None else _flag(correct, where, "correct"), str(row.get("problem_id", "")),
                   str(row.get("kind", "")))


@dataclass(frozen=True)
class StepColumns:
    """A step table's own names for TRL's stepwise columns; None means the usual name."""

    prompt: str | None = None
    completions: str | None = None
    labels: str | None = None

    def given(self) -> dict[str, str]:
        return {role: col for role in STEP_OPTIONS if (col := getattr(self, role)) is not None}


#: The CLI option that maps each stepwise column.
STEP_OPTIONS = {"prompt": "--prompt-column", "completions": "--completions-column", "labels": "--labels-column"}


def map_step_columns(rows: list[dict], columns: StepColumns, where: str) -> list[dict]:
    """Rows with TRL's `prompt` / `completions` / `labels` taken from the table's own columns."""
    keys = list(dict.fromkeys(str(k) for r in rows for k in r))
    for role, col in columns.given().items():
        if col not in keys:
            raise DataError(f"{where}: no column '{col}' (given by {STEP_OPTIONS[role]}); found columns: "
                            f"{', '.join(keys[:20]) or '(none)'}")
    given = columns.given()
    return [{k: v for k, v in r.items() if k not in given} | {role: r.get(col) for role, col in given.items()}
            for r in rows]


_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


def _absent(value: Any) -> bool:
    """None, or the NaN a table reader puts where a row lacks the column."""
    return value is None or (isinstance(value, float) and value != value)


def _flag(value: Any, where: str, column: str) -> bool:
    """A label read strictly: a boolean, 0 / 1, or the text true / false, yes / no, 1 / 0 (any case). Anything else
    ("maybe", -1, 2, NaN) is an error naming the row, never a truthiness guess."""
    v = value.item() if hasattr(value, "item") else value  # numpy scalars
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in _TRUE + _FALSE:
        return v.strip().lower() in _TRUE
    raise DataError(f"{where}: column {column!r}: {value!r:.60} is not a label; use true/false, 1/0 or yes/no")


# -- reading rows ------------------------------------------------------------------------------------------------------
def _split_of(frames: dict, where: str, split: str | None):
    name = split or ("train" if "train" in frames else next(iter(frames)))
    if name not in frames:
        raise DataError(f"{where}: no split '{name}' (it has: {', '.join(frames)}); pick one with --split")
    return _native(frames[name]), f"{where} ({name})"


def _records(path: str | Path, split: str | None = None) -> tuple[list[dict], str]:
    """Rows of a local JSONL / JSON / CSV / Parquet file (or pretty-printed concatenated JSON objects), a Hugging Face
    `save_to_disk` folder, or a Hub id (of a DatasetDict: split `split`, by default its train split, else its
    first). A `split` for a file or a saved Dataset (one table each) is an error."""
    from ..data.tables import is_saved_dataset, load_disk, load_hub, load_table, parse_hub_id, table_extension

    p = Path(path).expanduser()
    if is_saved_dataset(p):
        loaded = load_disk(p)
        if not isinstance(loaded, dict):
            _no_split(p, split, "a saved Dataset (not a DatasetDict) is one table")
            return _native(loaded), str(p)
        return _split_of(loaded, str(p), split)
    if not p.exists() and "/" in str(path) and not str(path).startswith((".", "/", "~")):
        hub_id, config = parse_hub_id(str(path))
        return _split_of(load_hub(hub_id, config=config), str(path), split)
    _no_split(p, split, "a file is one table")
    try:
        return load_table(p).to_dict("records"), str(p)
    except DataError:
        # PRM800K's examples are pretty-printed JSON objects one after another, which no table reader takes
        if table_extension(p) not in (".json", ".jsonl") or p.suffix == ".gz":
            raise
        rows = _concatenated_json(p)
        if rows is None:
            raise
        return rows, str(p)


def _no_split(path: Path, split: str | None, why: str) -> None:
    from ..errors import ConfigError

    if split is not None:
        raise ConfigError(f"{path}: --split {split!r} does not apply: {why}; --split picks a split of a saved "
                          "DatasetDict folder or a Hub id")


def _native(df) -> list[dict]:
    """Rows of a table read through `datasets` (Arrow): its list columns arrive as numpy arrays; make them lists."""
    import numpy as np

    return [{k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in row.items()} for row in df.to_dict("records")]


def _concatenated_json(p: Path) -> list[dict] | None:
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    dec, i, rows = json.JSONDecoder(), 0, []
    try:
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                break
            obj, i = dec.raw_decode(text, i)
            rows.extend(obj if isinstance(obj, list) else [obj])
    except json.JSONDecodeError:
        return None
    return rows if rows and all(isinstance(r, dict) for r in rows) else None


def _get(row: dict, dotted: str, where: str):
    cur: Any = row
    for part in dotted.split("."):
        v = cur.get(part) if isinstance(cur, dict) else None
        if v is None or isinstance(v, float) and v != v:  # absent, null, or NaN (a column other rows have)
            raise DataError(f"{where}: missing column {dotted!r}")
        cur = cur[part]
    return cur


def split_final(text: str) -> tuple[str, str | None]:
    """(text before the answer marker, the answer) for '#### x' (GSM8K), 'A: x' (GSM8K samples), '# Answer' (PRM800K)."""
    for marker in ("####", "\nA:", "# Answer"):
        if marker in text:
            head, _, tail = text.rpartition(marker)
            return head.rstrip(), tail.strip() or None
    if text.startswith("A:"):
        return "", text[2:].strip() or None
    return text, None


def normalize_answer(ans: str | None) -> str | None:
    """A comparable form of a final answer: numbers without commas, trailing zeros or '$'; else stripped text."""
    if ans is None:
        return None
    s = ans.strip().replace("$", "").rstrip(".")
    m = _NUMBER.fullmatch(s.replace(" ", ""))
    if m:
        try:
            v = float(s.replace(",", "").replace(" ", ""))
            return str(int(v)) if v == int(v) else repr(v)
        except ValueError:
            pass
    return s


# -- PRM800K -----------------------------------------------------------------------------------------------------------
def _rating_label(rating, neutral: str) -> bool:
    return rating == 1 or (rating == 0 and neutral == "good")


def prm800k_solutions(row: dict, where: str, neutral: str = "good", alternatives: bool = True) -> list[Solution]:
    """One PRM800K row -> the chosen trajectory (+ one shorter row per rated alternative, as TRL converts it)."""
    prompt = _get(row, "question.problem", where)
    steps = _get(row, "label.steps", where)
    truth = row.get("question", {}).get("ground_truth_answer")
    pid = str(row.get("question", {}).get("problem", ""))[:80]
    out: list[Solution] = []
    done: list[str] = []
    labels: list[bool] = []
    for j, step in enumerate(steps):
        if not isinstance(step, dict):
            raise DataError(f"{where}: label.steps[{j}] is not an object")
        comps = step.get("completions") or []
        chosen = step.get("chosen_completion")
        for k, c in enumerate(comps):
            if "rating" not in c or "text" not in c:
                raise DataError(f"{where}: missing column 'label.steps[{j}].completions[{k}].rating'")
            if alternatives and k != chosen and c["rating"] is not None:
                out.append(_prm_solution(prompt, done + [c["text"]], labels + [_rating_label(c["rating"], neutral)],
                                         truth, pid, "prm800k-alternative"))
        if chosen is not None:
            c = comps[chosen]
            good = _rating_label(c["rating"], neutral)
        elif step.get("human_completion"):
            c, good = step["human_completion"], True  # a labeller's own step: right by construction
        else:
            break
        done, labels = done + [c["text"]], labels + [good]
    if done:
        out.insert(0, _prm_solution(prompt, done, labels, truth, pid, "prm800k"))
    return out


def _prm_solution(prompt, steps, labels, truth, pid, kind) -> Solution:
    head, answer = split_final(steps[-1])
    steps = steps[:-1] + [head] if head else steps
    correct = None if answer is None or truth is None else normalize_answer(answer) == normalize_answer(str(truth))
    return Solution(prompt, list(steps), list(labels), answer, correct, pid, kind)


def load_prm800k(path: str | Path, neutral: str = "good", alternatives: bool = True, *,
                 split: str | None = None) -> list[Solution]:
    if neutral not in ("good", "bad"):
        raise DataError(f"neutral must be 'good' or 'bad', got {neutral!r}")
    rows, where = _records(path, split)
    out = []
    for i, row in enumerate(rows, 1):
        out.extend(prm800k_solutions(row, f"{where}: row {i}", neutral, alternatives))
    return out


# -- GSM8K -------------------------------------------------------------------------------------------------------------
def gsm8k_steps(text: str) -> tuple[list[str], list[list[tuple[str, str]]], str | None]:
    """(steps without calculator annotations, each step's (expression, result) annotations, final answer)."""
    head, answer = split_final(text)
    steps, calcs = [], []
    for line in head.splitlines():
        if not line.strip():
            continue
        calcs.append(CALC.findall(line))
        steps.append(CALC.sub("", line).strip())
    return steps, calcs, answer


def raw_lines(text: str) -> list[str]:
    """The step lines of a GSM8K solution with their calculator annotations (for error injection)."""
    return [line for line in split_final(text)[0].splitlines() if line.strip()]


def load_gsm8k(path: str | Path, *, split: str | None = None) -> list[Solution]:
    """GSM8K reference solutions (`question`, `answer`): every step right, answer after `####`."""
    rows, where = _records(path, split)
    out = []
    for i, row in enumerate(rows, 1):
        q, a = _get(row, "question", f"{where}: row {i}"), _get(row, "answer", f"{where}: row {i}")
        steps, calcs, answer = gsm8k_steps(str(a))
        if answer is None:
            raise DataError(f"{where}: row {i}: column 'answer' has no '####' final answer")
        sol = Solution(str(q), steps + [f"The answer is {answer}."], [True] * (len(steps) + 1), answer, True,
                       f"gsm8k-{i}", "reference", {"raw_steps": raw_lines(str(a))})
        out.append(sol)
    return out


MODEL_COLUMNS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def load_gsm8k_model_solutions(path: str | Path, models: tuple[str, ...] = MODEL_COLUMNS, *,
                               split: str | None = None) -> list[Solution]:
    """Cobbe et al. (2021) samples: one Solution per (question, model), outcome label `is_correct`, no step labels."""
    rows, where = _records(path, split)
    out = []
    for i, row in enumerate(rows, 1):
        w = f"{where}: row {i}"
        q = _get(row, "question", w)
        truth = split_final(str(_get(row, "ground_truth", w)))[1]
        for m in models:
            entry = _get(row, m, w)
            if not isinstance(entry, dict) or "solution" not in entry or "is_correct" not in entry:
                raise DataError(f"{w}: missing column '{m}.solution' or '{m}.is_correct'")
            steps, calcs, answer = gsm8k_steps(str(entry["solution"]))
            out.append(Solution(str(q), steps + [f"The answer is {answer}."], None, answer, bool(entry["is_correct"]),
                                f"gsm8k-test-{i}", m, {"truth": truth}))
    return out


def load_stepwise(path: str | Path, *, split: str | None = None, columns: StepColumns | None = None) -> list[Solution]:
    """A file in TRL's stepwise format (`prompt`, `completions`, optional `labels`, `correct`, `problem_id`);
    `columns` maps the table's own names for the first three."""
    rows, where = _records(path, split)
    if columns is not None and columns.given():
        rows = map_step_columns(rows, columns, where)
    return [Solution.from_trl(r, f"{where}: row {i}") for i, r in enumerate(rows, 1)]


def load_solutions(path: str | Path, fmt: str = "auto", *, split: str | None = None,
                   columns: StepColumns | None = None) -> list[Solution]:
    """Dispatch on `fmt` (prm800k | gsm8k | gsm8k-samples | trl), or guess it from the first row's columns; mapped
    `columns` mean the stepwise format. `split` picks a saved DatasetDict's or a Hub id's split."""
    if columns is not None and columns.given():
        return load_stepwise(path, split=split, columns=columns)
    if fmt == "auto":
        rows, where = _records(path, split)
        first = rows[0]
        fmt = ("prm800k" if "label" in first and "question" in first else
               "gsm8k-samples" if any(m in first for m in MODEL_COLUMNS) else
               "gsm8k" if "answer" in first and "question" in first else
               "trl" if "completions" in first else None)
        if fmt is None:
            raise DataError(f"{where}: missing column 'completions' (or PRM800K / GSM8K columns); found columns: "
                            f"{', '.join(map(str, first))[:300] or '(none)'}; map yours with "
                            f"{' / '.join(STEP_OPTIONS.values())}")
    loaders = {"prm800k": load_prm800k, "gsm8k": load_gsm8k, "gsm8k-samples": load_gsm8k_model_solutions,
               "trl": load_stepwise}
    if fmt not in loaders:
        raise DataError(f"unknown format {fmt!r}; expected one of {', '.join(loaders)}")
    return loaders[fmt](path, split=split)


def write_trl_jsonl(solutions: list[Solution], path: str | Path) -> int:
    """Write TRL stepwise rows, one JSON object a line (atomically, `proctor.atomic.write_atomic`)."""
    from ..atomic import write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, "".join(json.dumps(s.to_trl(), ensure_ascii=False) + "\n" for s in solutions))
    return len(solutions)


def reward_pairs(solutions: list[Solution], max_per_problem: int = 8) -> list[dict]:
    """Process-supervised preference pairs for TRL's RewardTrainer (TRL 1.16 has no PRMTrainer; RewardTrainer is its
    maintained reward-model trainer and reads conversational `prompt` / `chosen` / `rejected`).

    Per problem, every solution whose process labels are all good (`chosen`) is paired with a solution that has a
    wrong step (`rejected`), round-robin, at most `max_per_problem` pairs. The *process* labels decide the pair: a
    flawed solution that still reaches the right final answer (PRM800K's "right answer, wrong reasoning") is
    rejected, which an outcome label would not do. The steps are the assistant reply, one a line; `first_error`
    (0-based) says where the rejected solution goes wrong and `rejected_kind` what kind of solution it is. Solutions
    without process labels are left out (write their stepwise rows with `write_trl_jsonl`)."""
    from ..llm.trl import preference_row

    by: dict[str, list[Solution]] = {}
    for s in solutions:
        if s.labels is not None and s.steps:
            by.setdefault(s.problem_id or s.prompt, []).append(s)
    rows = []
    for group in by.values():
        good = [s for s in group if s.process_correct]
        bad = [s for s in group if not s.process_correct]
        for i, b in enumerate(bad[:max_per_problem]):
            if not good:
                break
            g = good[i % len(good)]
            rows.append(preference_row(g.prompt, "\n".join(g.steps), "\n".join(b.steps),
                                       problem_id=g.problem_id, first_error=b.first_error,
                                       rejected_kind=b.kind, rejected_answer_correct=b.correct))
    return rows


def write_reward_jsonl(solutions: list[Solution], path: str | Path) -> int:
    """Write `reward_pairs(solutions)` as JSONL (atomically); returns the row count."""
    from ..llm.trl import write_jsonl

    return write_jsonl(reward_pairs(solutions), path)
