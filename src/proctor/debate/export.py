"""Judged debates as TRL preference data: the judge's verdict decides which debater's arguments are `chosen`.

One row per debate with a valid verdict: `prompt` is the question with both answers (user message), `chosen` the
winning debater's turns joined in order, `rejected` the loser's. This is the persuasiveness signal Khan et al. (2024)
optimise debaters on (best-of-N against the judge); `metadata` records whether the winner argued for the correct
answer, so a user can filter to truthful wins only. Load with `datasets.load_dataset("json", data_files=PATH)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..llm.trl import preference_row, write_jsonl


def preference_rows(records: Sequence[dict]) -> list[dict]:
    rows = []
    for r in records:
        if r.get("failed") or r.get("choice") is None or r.get("protocol") != "debate":
            continue
        win, lose = r["choice"], ("B" if r["choice"] == "A" else "A")
        text = {s: "\n\n".join(t["text"] for t in r["turns"] if t.get("side") == s) for s in ("A", "B")}
        a, b = (r.get("answers") or ["", ""])[:2]
        prompt = f"Question: {r['question']}\n(A) {a}\n(B) {b}\nArgue for your assigned answer, quoting the story."
        rows.append(preference_row(prompt, text[win], text[lose], metadata={
            "id": r["id"], "winner": win, "correct_label": r["correct_label"],
            "winner_correct": win == r["correct_label"], "confidence": r.get("confidence")}))
    return rows


def export_preferences(records: Sequence[dict], path) -> int:
    """Write the preference rows of `records` to `path` (JSONL); returns the row count."""
    return write_jsonl(preference_rows(records), path)
