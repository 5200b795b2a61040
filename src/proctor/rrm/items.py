"""Evaluation items with ground truth for assisted evaluation: a question, a strong model's answer, and whether
that answer is correct. The evaluator's job is the verdict CORRECT / INCORRECT.

    gsm8k     GSM8K model solutions with correctness labels (Cobbe et al. 2021, example_model_solutions.jsonl:
              6B / 175B, fine-tuned / verifier-selected); one solution per question, balanced correct / incorrect.
    quality   QuALITY passage questions (Pang et al. 2022; the shared file is a one-article format fixture): the
              gold option (correct) and one seeded wrong option (incorrect) per question. The passage is *hidden*
              from the evaluator and shown to the assistant only (the information gap of Michael et al. 2023).
    FILE      JSONL with `question`, `answer`, `label` (true / false or CORRECT / INCORRECT), optional `context`
              (shown to the assistant only) and `id`.
"""

from __future__ import annotations

import html
import os
import random
import re
from pathlib import Path

from proctor.errors import DataError

__all__ = ["gsm8k_items", "quality_items", "load_items", "LABELS"]

LABELS = ("CORRECT", "INCORRECT")
GSM8K_SOLVERS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def _root(data_dir) -> Path:
    return Path(data_dir or os.environ.get("PROCTOR_DATA") or ".")


def _jsonl(path: Path, shared: bool = True) -> list[dict]:
    from ..data.tables import read_jsonl

    return read_jsonl(path, "set PROCTOR_DATA to the shared data folder" if shared else "")


def gsm8k_items(n: int = 40, seed: int = 0, data_dir=None) -> list[dict]:
    """`n` items (n/2 correct, n - n/2 incorrect), one model solution per question, seeded."""
    path = _root(data_dir) / "gsm8k" / "example_model_solutions.jsonl"
    rows = _jsonl(path)
    rng = random.Random(seed)
    order = list(range(len(rows)))
    rng.shuffle(order)
    want = {True: n // 2 + n % 2, False: n // 2}
    out = []
    for i in order:
        r = rows[i]
        solvers = [k for k in GSM8K_SOLVERS if isinstance(r.get(k), dict)]
        rng.shuffle(solvers)
        for k in solvers:
            ok = bool(r[k].get("is_correct"))
            if want[ok] > 0:
                want[ok] -= 1
                out.append({"id": f"gsm8k-{i}", "kind": "gsm8k", "question": r["question"],
                            "answer": r[k]["solution"], "label": LABELS[0] if ok else LABELS[1], "context": None,
                            "source": k})
                break
        if not any(want.values()):
            break
    if len(out) < n:
        raise DataError(f"{path}: only {len(out)} items of the {n} asked for")
    return out


def _strip_html(lines) -> str:
    text = "".join(lines) if isinstance(lines, list) else str(lines)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text)
    return re.sub(r"[ \t]*\n[ \t\n]*", "\n", re.sub(r"[ \t]+", " ", text)).strip()


def quality_items(seed: int = 0, data_dir=None) -> list[dict]:
    """Two items per question of the QuALITY fixture: the gold option and one seeded wrong option."""
    path = _root(data_dir) / "quality_example" / "quality_example.jsonl"
    rng = random.Random(seed)
    out = []
    for row in _jsonl(path):
        passage = _strip_html(row.get("article", ""))
        for q in range(1, 10):
            key = f"question{q}"
            if key not in row:
                break
            try:
                gold = int(row[f"{key}_gold_label"])
                options = [row[f"{key}option{k}"].strip() for k in range(1, 5)]
            except (KeyError, TypeError, ValueError) as e:
                raise DataError(f"{path}: article {row.get('article_id')}: {key}: bad field {e}") from None
            wrong = rng.choice([k for k in range(1, 5) if k != gold])
            for opt, label in ((gold, LABELS[0]), (wrong, LABELS[1])):
                out.append({"id": f"quality-{row.get('article_id')}-{q}-{opt}", "kind": "quality",
                            "question": row[key].strip(), "answer": options[opt - 1], "label": label,
                            "context": passage, "source": "quality"})
    if not out:
        raise DataError(f"{path}: no questions found")
    return out


def _label(v, path, lineno) -> str:
    if isinstance(v, bool):
        return LABELS[0] if v else LABELS[1]
    if isinstance(v, str) and v.strip().upper() in LABELS:
        return v.strip().upper()
    raise DataError(f"{path}:{lineno}: label must be true/false or CORRECT/INCORRECT, got {v!r}")


def load_items(spec: str, n: int | None = None, seed: int = 0, data_dir=None) -> list[dict]:
    """Items from "gsm8k", "quality" or a JSONL file; `n` keeps a seeded sample (gsm8k: balanced)."""
    if spec == "gsm8k":
        return gsm8k_items(n or 40, seed, data_dir)
    if spec == "quality":
        items = quality_items(seed, data_dir)
    else:
        path = Path(spec)
        items = []
        from ..data.tables import iter_jsonl

        for lineno, r in iter_jsonl(path):
            for k in ("question", "answer", "label"):
                if k not in r:
                    raise DataError(f"{path}:{lineno}: missing key {k!r}")
            items.append({"id": str(r.get("id", lineno)), "kind": "file", "question": str(r["question"]),
                          "answer": str(r["answer"]), "label": _label(r["label"], path, lineno),
                          "context": r.get("context"), "source": str(path)})
        if not items:
            raise DataError(f"{path}: no items")
    if n is not None and n < len(items):
        items = random.Random(seed).sample(items, n)
    return items
