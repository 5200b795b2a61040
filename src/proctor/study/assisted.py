"""Assisted evaluation for people (recursive reward modeling's first level; Leike et al. 2018, Sec. 3.2): a judge
decides whether a strong model's answer is correct, with (protocol "assisted") or without ("unassisted") an AI
assistant's notes on it. The items come from `proctor.rrm.items` (GSM8K model solutions with correctness labels,
QuALITY questions, or a JSONL file); the notes are written once, at `init`, by any inspect model with Proctor's
RRM assistant prompt (the same prompt the model-judge experiment uses; honest assistant). A judge sees a question
under one protocol only, so assisted vs unassisted accuracy is a between-judge comparison on the same items.
"""

from __future__ import annotations

from ..errors import ConfigError, ModelError

ANSWERS = ["The model's answer is correct", "The model's answer is incorrect"]


async def _notes(model, items: list[dict]) -> list[str | None]:
    import asyncio

    from inspect_ai.model import ChatMessageUser

    from ..llm.parse import extract_tag
    from ..llm.prompts import PromptTemplates

    templates = PromptTemplates("proctor.rrm", None)

    async def one(it):
        ask = templates.render("assistant", question=it["question"], answer=it["answer"], context=it.get("context"),
                               previous_notes=None, mislead=False, truth=it["label"])
        out = await model.generate([ChatMessageUser(content=ask)])
        return extract_tag(out.completion, "notes")

    return await asyncio.gather(*(one(it) for it in items))


def assisted_items(source: str, *, model: str, n: int = 10, seed: int = 0) -> list[dict]:
    """Two items per evaluation item (assisted, unassisted); an item whose notes do not parse is left out."""
    import asyncio

    from ..llm.run import generate_config, role_model
    from ..rrm.items import LABELS, load_items

    if not isinstance(model, str) or "/" not in model:
        raise ConfigError(f"--assisted {model!r}: expected an inspect model name, e.g. scripted/model")
    rows = load_items(source, n=n, seed=seed)
    notes = asyncio.run(_notes(role_model(model, generate_config(cache=True)), rows))
    out = []
    for it, note in zip(rows, notes):
        if note is None:
            continue
        correct = 0 if it["label"] == LABELS[0] else 1
        answer = {"speaker": "Model's answer", "side": None, "phase": "", "segments": [{"text": it["answer"],
                                                                                      "quote": None}]}
        base = {"question_id": f"rrm/{it['id']}", "kind": "text", "question": it["question"],
                "answers": list(ANSWERS), "correct": correct, "consultant_type": None}
        out.append(base | {"id": f"unassisted/{it['id']}", "protocol": "unassisted", "turns": [answer],
                           "source": f"rrm items {source}"})
        out.append(base | {"id": f"assisted/{it['id']}", "protocol": "assisted", "turns": [answer, {
            "speaker": "Assistant's notes", "side": None, "phase": "", "segments": [{"text": note, "quote": None}]}],
            "source": f"rrm items {source}, notes by {model}"})
    if not out:
        raise ModelError(f"--assisted {model}: no assistant notes parsed (expected one <notes> tag per reply)")
    return out
