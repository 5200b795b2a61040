"""A study's items: what one judge judges once. Built from finished `proctor debate` runs, from a JSONL file of
transcripts written elsewhere, or from shipped data (`--demo`), and stored in the study folder as `items.jsonl`.

An item (the stored form; the import form is in docs/study.md):

    {"id", "question_id", "protocol", "kind": "text" | "pixels", "question", "answers": [A, B], "correct": 0 | 1,
     "consultant_type": "correct" | "incorrect" | null, "turns": [{"speaker", "side", "segments": [{"text",
     "quote": null | "verified" | "unverified" | "unchecked"}]}], "pixels": {...} (pixel debates), "source"}

`question_id` groups the items that ask the same question under different protocols: the design lets a judge see a
question at most once. Answer positions here are canonical; the design swaps them per judge (counterbalancing).
Quotes (`<quote>...</quote>` in a turn) are split into segments and marked verified / unverified against the story
with `proctor.debate.quotes` (the same check the LLM protocols use), or "unchecked" when no story came with the item.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import DataError

QUOTE = re.compile(r"<quote>(.*?)</quote>", re.IGNORECASE | re.DOTALL)
TEXT_PROTOCOLS = ("debate", "consultancy", "naive")
MAX_TEXT = 100_000


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speaker: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=MAX_TEXT)
    side: Literal[0, 1] | None = None
    """Optional: the answer (0 | 1) this speaker argues for; shown as "for answer A/B" after counterbalancing."""


class ImportedItem(BaseModel):
    """One line of an `--items` file (docs/study.md)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    id: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=MAX_TEXT)
    answers: list[str] = Field(min_length=2, max_length=2)
    correct: Literal[0, 1]
    protocol: Literal["debate", "consultancy", "naive"]
    turns: list[Turn] = Field(default_factory=list, max_length=200)
    story: str | None = Field(default=None, max_length=2_000_000)
    question_id: str | None = Field(default=None, min_length=1, max_length=200)
    """Optional: items with the same question_id are one question under different protocols (default: the
    question text and story)."""
    consultant: Literal[0, 1] | None = None
    """Optional, consultancy: the answer (0 | 1) the consultant argued for."""

    @field_validator("answers")
    @classmethod
    def _answers(cls, v):
        if any(not a.strip() for a in v):
            raise ValueError("answers must be two non-empty strings")
        if v[0].strip() == v[1].strip():
            raise ValueError("the two answers are the same")
        return v


def segments(text: str, verdicts: list[bool] | None = None, story: str | None = None) -> list[dict]:
    """`text` split into plain runs and quotes; each quote's mark from `verdicts` (in order), else checked against
    `story`, else "unchecked"."""
    checker = None
    if verdicts is None and story:
        from ..debate.quotes import QuoteChecker

        checker = QuoteChecker(story)
    out, pos, n = [], 0, 0
    for m in QUOTE.finditer(text):
        if m.start() > pos:
            out.append({"text": text[pos:m.start()], "quote": None})
        if verdicts is not None:
            mark = "verified" if n < len(verdicts) and verdicts[n] else "unverified"
        elif checker is not None:
            mark = "verified" if checker.verify(m.group(1)) else "unverified"
        else:
            mark = "unchecked"
        out.append({"text": m.group(1), "quote": mark})
        pos, n = m.end(), n + 1
    if pos < len(text):
        out.append({"text": text[pos:], "quote": None})
    return out


def question_key(question: str, story: str | None) -> str:
    return "q-" + hashlib.sha256(json.dumps([question, story or ""]).encode()).hexdigest()[:12]


def from_import(row: ImportedItem) -> dict:
    consultant_type = None
    if row.protocol == "consultancy" and row.consultant is not None:
        consultant_type = "correct" if row.consultant == row.correct else "incorrect"
    return {"id": row.id, "question_id": row.question_id or question_key(row.question, row.story),
            "protocol": row.protocol, "kind": "text", "question": row.question, "answers": list(row.answers),
            "correct": row.correct, "consultant_type": consultant_type,
            "turns": [{"speaker": t.speaker, "phase": "", "side": t.side, "segments": segments(t.text, story=row.story)}
                      for t in row.turns],
            "source": "import"}


def load_import(path: Path) -> list[dict]:
    """Items from a JSONL file; a bad line is a DataError naming the file, line and field."""
    from ..data.tables import iter_jsonl

    path = Path(path)
    items, seen = [], set()
    for n, data in iter_jsonl(path):
        try:
            row = ImportedItem.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "line"
            msg = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
            raise DataError(f"{path}:{n}: {loc}: {msg}") from None
        if row.id in seen:
            raise DataError(f"{path}:{n}: id {row.id!r} appears twice")
        seen.add(row.id)
        items.append(from_import(row))
    if not items:
        raise DataError(f"{path}: no items")
    return items


# -- finished `proctor debate` runs ------------------------------------------------------------------------------------
def from_debate_record(rec: dict, run_name: str) -> dict | None:
    """A judged sample of a debate run (proctor.debate.judged.sample_record) as an item; None for the expert
    protocol (its judge reads the story, not a transcript) and for failed samples."""
    protocol = rec.get("protocol")
    if protocol not in TEXT_PROTOCOLS or rec.get("failed") or len(rec.get("answers") or []) != 2:
        return None
    correct = 0 if rec.get("correct_label") == "A" else 1
    consultant_type = None
    if protocol == "consultancy" and rec.get("assigned"):
        consultant_type = "correct" if rec["assigned"] == "right" else "incorrect"
    turns = [{"speaker": t["speaker"].split(" ")[0], "phase": t.get("phase", ""),
              "side": "AB".index(t["side"]) if t.get("side") in ("A", "B") else None,
              "segments": segments(t.get("text", ""), [bool(q.get("verified")) for q in t.get("quotes", [])])}
             for t in rec.get("turns", [])]
    return {"id": f"{run_name}/{protocol}/{rec['id']}", "question_id": f"{run_name}/{rec['id']}",
            "protocol": protocol, "kind": "text", "question": rec.get("question", ""),
            "answers": list(rec["answers"]), "correct": correct, "consultant_type": consultant_type,
            "turns": turns, "source": f"debate run {run_name}"}


def load_debate_run(run_dir: Path) -> list[dict]:
    """Every judged debate / consultancy / naive sample of a finished `proctor debate` run directory."""
    from ..runs.store import RunStore, is_run_dir

    run_dir = Path(run_dir)
    if not is_run_dir(run_dir):
        raise DataError(f"{run_dir}: not a Proctor run directory (no store.sqlite)")
    with RunStore(run_dir) as store:
        units = store.units(kind="judged")
    items = [it for u in units if (it := from_debate_record(u.result, run_dir.name)) is not None]
    if not items:
        raise DataError(f"{run_dir}: holds no judged debate, consultancy or naive samples")
    return items


# -- the demo: shipped data only ---------------------------------------------------------------------------------------
_WORD = re.compile(r"[A-Za-z']{4,}")


def _sentences(passage: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(passage.split())) if 30 <= len(s.strip()) <= 300]


def _support(sentences: list[str], text: str, skip: set[str]) -> list[str]:
    """Passage sentences ranked by how many words they share with `text` (best first), `skip` left out."""
    words = {w.lower() for w in _WORD.findall(text)}
    ranked = sorted((s for s in sentences if s not in skip),
                    key=lambda s: -len(words & {w.lower() for w in _WORD.findall(s)}))
    return ranked[:2]


def scripted_items(debate_items, seed: int = 0) -> list[dict]:
    """Debate, consultancy and naive items on QuALITY questions with *scripted* debaters (no model): each side quotes
    the passage sentences that share the most words with its answer; the dishonest side also "quotes" its own
    answer, which the quote check marks unverified. For trying the app offline, not for measuring anything."""
    out = []
    for n, it in enumerate(debate_items):
        sents = _sentences(it.passage)
        answers = [it.correct, it.distractor]
        qid = f"quality/{it.id}"
        best = [_support(sents, it.question + " " + a, set()) for a in answers]

        def argue(side: int, rnd: int) -> str:
            picks = best[side]
            q = picks[min(rnd, len(picks) - 1)] if picks else ""
            text = (f"The answer is \"{answers[side]}\". The story says <quote>{q}</quote>" if rnd == 0 else
                    f"My opponent's quote does not settle it. Note also <quote>{q}</quote>")
            if side == 1:
                text += f" In the story's words, <quote>{answers[side]}</quote>"
            return text

        def turn(speaker: str, side: int, phase: str, text: str) -> dict:
            return {"speaker": speaker, "side": side, "phase": phase, "segments": segments(text, story=it.passage)}

        debate = [turn("Debater", s, phase, argue(s, r)) for r, phase in enumerate(("opening", "round 1"))
                  for s in (0, 1)]
        side = 0 if (n + seed) % 2 == 0 else 1
        consult = [turn("Consultant", side, "opening", argue(side, 0)),
                   turn("Consultant", side, "answer 1", argue(side, 1))]
        base = {"question_id": qid, "kind": "text", "question": it.question, "answers": answers, "correct": 0,
                "source": "demo: scripted debaters on quality_example"}
        out.append(base | {"id": f"demo/debate/{it.id}", "protocol": "debate", "consultant_type": None,
                           "turns": debate})
        out.append(base | {"id": f"demo/consultancy/{it.id}", "protocol": "consultancy",
                           "consultant_type": "correct" if side == 0 else "incorrect", "turns": consult})
        out.append(base | {"id": f"demo/naive/{it.id}", "protocol": "naive", "consultant_type": None, "turns": []})
    return out


def pixel_items(*, images: int = 6, pixels: int = 6, judge_steps: int = 6000, seed: int = 0) -> list[dict]:
    """Pixel debates (Irving et al. 2018) on held-out MNIST images: greedy debaters against a sparse-pixel judge
    (trained once, cached), precommitted labels; of each image's 9 games (one per wrong label) one is drawn with
    `seed`. The human judge sees only the revealed pixels and the two claimed digits."""
    import numpy as np

    from ..debate.pixels.experiment import DebateSetting, run_debates
    from ..debate.pixels.judge import JudgeConfig, load_or_train
    from ..debate.pixels.mnist import judge_split, load_mnist

    imgs, labels = load_mnist()
    _, eval_idx = judge_split(len(imgs))
    idx = eval_idx[:images]
    judge = load_or_train(JudgeConfig(pixels=pixels, steps=judge_steps), imgs, labels, progress=False)
    setting = DebateSetting(pixels=pixels, precommit=True, honest_first=True, agent="greedy", seed=seed)
    r = run_debates(judge, imgs[idx], labels[idx], setting)
    rng = np.random.default_rng(seed)
    out = []
    for row, i in enumerate(idx):
        g = int(rng.integers(0, r.lies.shape[1]))
        revealed = [int(p) for p in r.pixels[row, g]]
        image = imgs[i].reshape(-1)
        # moves alternate, honest first: even moves are the honest debater's (answer 0)
        shown = [{"pixel": p, "row": p // 28, "col": p % 28, "value": int(image[p]), "by": m % 2}
                 for m, p in enumerate(revealed)]
        true, lie = int(labels[i]), int(r.lies[row, g])
        out.append({"id": f"demo/pixels/mnist-{int(i)}", "question_id": f"mnist/{int(i)}", "protocol": "pixel_debate",
                    "kind": "pixels", "question": "Which digit is this image? Only the revealed pixels are shown.",
                    "answers": [f"it is a {true}", f"it is a {lie}"], "correct": 0, "consultant_type": None,
                    "turns": [], "pixels": {"k": pixels, "revealed": shown,
                                            "judge_won": bool(r.game_wins[row, g])},
                    "source": f"demo: greedy pixel debate, judge {judge_steps} steps"})
    return out


def demo_items(*, images: int = 6, judge_steps: int = 6000, seed: int = 0) -> list[dict]:
    """The demo study's items: scripted debates on quality_example, and pixel debates (both from PROCTOR_DATA)."""
    from ..debate.data import load_items

    items = scripted_items(load_items("quality_example"), seed)
    if images:
        items += pixel_items(images=images, judge_steps=judge_steps, seed=seed)
    return items


def write_items(path: Path, items: list[dict]) -> None:
    from ..atomic import write_atomic

    write_atomic(path, "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items))


def read_items(path: Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such items file")
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: unreadable items file ({e})") from None
