"""Judged debates as training data in TRL's conversational format: preference pairs that argue for the same side, and
every debater's transcript as chat messages.

Preference rows (`preference_rows`, for DPOTrainer / RewardTrainer). A pair is two debaters' arguments for the *same*
assigned answer of the same question (so the prompt is identical): one whose debate the judge decided for that side
(`chosen`) and one whose debate the judge decided against it (`rejected`); among same-outcome transcripts none is
paired. This is the persuasiveness signal Khan et al. (2024) optimise debaters on, without the confound of an
old-style pair (the winner of one debate against its opponent), which argues for the other answer and so teaches
"argue for the other side" as much as "argue better". Two debates of one question arguing one answer come from a
tournament (`proctor debate tournament --export`: every debater argues each answer against every other) or from
several runs given together.

    prompt    [user: the debater's opening prompt: question, both answers, the assigned answer, the passage]
    chosen    [assistant: the winning debater's opening]
    rejected  [assistant: the losing debater's opening]
    chosen_messages / rejected_messages   the whole debate from that debater's side: its turns as assistant
              messages, the opponent's turns as user messages (the continuation of `prompt`)
    item_id, assigned_answer, assigned_label, assigned_correct   which answer both argue, and whether it is right
    passage_ref    "DATASET#ITEM_ID": where the passage lives (it is also in the prompt)
    metadata  {chosen_debater, rejected_debater, chosen_confidence, rejected_confidence, scripted}

Transcript rows (`transcript_rows`, SFTTrainer / KTO-style filtering): one row per debater per judged debate with
`messages` (the prompt and the debate as above), the same item columns, `won` (the judge decided for this debater's
side) and `debater`. Load either file with `datasets.load_dataset("json", data_files=PATH)`.

`metadata.scripted` is true when a debater or the judge was a scripted stand-in (`scripted/...`, `mockllm/...`):
such rows exercise the pipeline and are not training data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from pathlib import Path

from ..llm.mock import is_scripted
from ..llm.trl import messages_row, preference_row, write_jsonl
from .data import DebateItem
from .protocols import LABELS, NAMES, ProtocolConfig

__all__ = ["export_preferences", "export_transcripts", "preference_rows", "transcript_rows", "transcripts_path"]


def _opening_prompt(rec: dict, side: int, item: DebateItem | None, cfg: ProtocolConfig) -> str:
    """The debater's opening prompt exactly as the protocol rendered it (packaged or overridden templates)."""
    from ..llm.parse import ANSWER_FORMAT
    from ..llm.prompts import PromptTemplates

    answers = list(rec.get("answers") or ["", ""])[:2]
    passage = item.passage if item is not None else ""
    common = dict(question=rec["question"], answers=answers, labels=LABELS, passage=passage,
                  word_limit=cfg.word_limit, rounds=cfg.rounds, names=NAMES,
                  answer_format=ANSWER_FORMAT.format(labels=" or ".join(LABELS)))
    return PromptTemplates("proctor.debate", cfg.prompts).render(
        "debater", name=NAMES[side], label=LABELS[side], answer=answers[side], opponent_label=LABELS[1 - side],
        opponent_answer=answers[1 - side], transcript="", round=0, **common)


def _side_messages(rec: dict, side: int, prompt: str) -> list[dict]:
    """The debate from one debater's side: its turns as assistant messages, the opponent's as user messages."""
    msgs = [{"role": "user", "content": prompt}]
    for t in rec.get("turns") or []:
        own = t.get("side") == LABELS[side]
        text = t["text"] if own else f"{t.get('speaker', 'Opponent')} ({t.get('phase', '')}): {t['text']}"
        if msgs[-1]["role"] == ("assistant" if own else "user"):
            msgs[-1]["content"] += "\n\n" + text
        else:
            msgs.append({"role": "assistant" if own else "user", "content": text})
    if msgs[-1]["role"] == "user" and len(msgs) > 1:  # the opponent's last word: nothing of ours follows it
        msgs.pop()
    return msgs


def _sides(records: Sequence[dict], items: Mapping[str, DebateItem], cfg: ProtocolConfig, dataset: str):
    """One entry per (judged debate, side): what a training row needs."""
    for r in records:
        if r.get("failed") or r.get("choice") is None or r.get("protocol") != "debate":
            continue
        item = items.get(str(r["id"]))
        players = [r.get("debater_a") or (r.get("roles") or {}).get("debater_a") or "debater_a",
                   r.get("debater_b") or (r.get("roles") or {}).get("debater_b") or "debater_b"]
        scripted = bool(r.get("scripted")) or is_scripted(*players, (r.get("roles") or {}).get("judge", ""))
        for side in (0, 1):
            label = LABELS[side]
            answers = list(r.get("answers") or ["", ""])[:2]
            prompt = _opening_prompt(r, side, item, cfg)
            msgs = _side_messages(r, side, prompt)
            opening = next((t["text"] for t in r.get("turns") or [] if t.get("side") == label), "")
            yield {"item_id": str(r["id"]), "label": label, "answer": answers[side],
                   "correct": label == r.get("correct_label"), "won": r["choice"] == label,
                   "confidence": r.get("confidence"), "debater": players[side], "prompt": prompt,
                   "opening": opening, "messages": msgs, "scripted": scripted,
                   "passage_ref": f"{dataset}#{r['id']}" if dataset else str(r["id"])}


def _item_columns(s: dict) -> dict:
    return {"item_id": s["item_id"], "assigned_answer": s["answer"], "assigned_label": s["label"],
            "assigned_correct": s["correct"], "passage_ref": s["passage_ref"]}


def preference_rows(records: Sequence[dict], items: Sequence[DebateItem] = (), cfg: ProtocolConfig | None = None,
                    dataset: str = "") -> list[dict]:
    """Same-side preference pairs (see the module docstring) from judged debate records.

    `items` supply the passages (by id) for the prompts; `cfg` the protocol settings the prompts were rendered with
    (default ProtocolConfig()). Records from a tournament carry `debater_a` / `debater_b` (the players' names).
    Every winning transcript of a (question, side) is paired with every losing one, in record order."""
    cfg = cfg or ProtocolConfig("debate")
    by_id = {it.id: it for it in items}
    groups: dict[tuple, list[dict]] = {}
    for s in _sides(records, by_id, cfg, dataset):
        groups.setdefault((s["item_id"], s["label"], s["prompt"]), []).append(s)
    rows = []
    for (_, _, prompt), sides in groups.items():
        won = [s for s in sides if s["won"]]
        lost = [s for s in sides if not s["won"]]
        for w, lo in product(won, lost):
            if w["opening"] == lo["opening"]:
                continue  # the same opening: nothing to prefer
            rows.append(preference_row(prompt, w["opening"], lo["opening"], **_item_columns(w),
                                       chosen_messages=w["messages"][1:], rejected_messages=lo["messages"][1:],
                                       metadata={"chosen_debater": w["debater"], "rejected_debater": lo["debater"],
                                                 "chosen_confidence": w["confidence"],
                                                 "rejected_confidence": lo["confidence"],
                                                 "scripted": w["scripted"] or lo["scripted"]}))
    return rows


def transcript_rows(records: Sequence[dict], items: Sequence[DebateItem] = (), cfg: ProtocolConfig | None = None,
                    dataset: str = "") -> list[dict]:
    """Every debater's side of every judged debate as a TRL `messages` row (see the module docstring)."""
    cfg = cfg or ProtocolConfig("debate")
    by_id = {it.id: it for it in items}
    return [messages_row(s["messages"], **_item_columns(s), won=s["won"], debater=s["debater"],
                         metadata={"confidence": s["confidence"], "scripted": s["scripted"]})
            for s in _sides(records, by_id, cfg, dataset) if len(s["messages"]) > 1]


def transcripts_path(path) -> Path:
    """Where the transcripts go beside a preference export: PATH with `.transcripts` before its suffix."""
    p = Path(path)
    return p.with_name(f"{p.stem}.transcripts{p.suffix or '.jsonl'}")


def export_preferences(records: Sequence[dict], path, items: Sequence[DebateItem] = (),
                       cfg: ProtocolConfig | None = None, dataset: str = "") -> int:
    """Write the same-side preference pairs of `records` to `path` (JSONL); returns the row count."""
    return write_jsonl(preference_rows(records, items, cfg, dataset), path)


def export_transcripts(records: Sequence[dict], path, items: Sequence[DebateItem] = (),
                       cfg: ProtocolConfig | None = None, dataset: str = "") -> int:
    """Write every debater's transcript as `messages` rows to `path` (JSONL); returns the row count."""
    return write_jsonl(transcript_rows(records, items, cfg, dataset), path)
