"""Live protocols: the human judge questions a consultant model, or two debaters, while judging (Khan et al. 2024's
interactive consultancy and interactive debate; Michael et al. 2023). Consultant and debaters are any inspect-ai model
(`scripted/...` or `mockllm/...` offline); they see the story and argue for their assigned answers with `<quote>`s,
which the judge sees verified or not.

- consultancy (`consultancy_live`): one consultant argues for its assigned answer (the correct one on every other
  question); it opens, then answers each of the judge's questions.
- debate (`debate_live`): two debaters, one for each answer, open simultaneously (neither sees the other's opening),
  then both answer each of the judge's questions, again simultaneously: each sees the exchange up to the question,
  not the other's answer to it (as in `proctor debate`'s simultaneous rounds). They are named by the positions this
  judge sees ("Debater A" argues for the answer shown as A).

Each exchange is stored turn by turn in the study database (study_turns, keyed by judge, item and turn number), so a
server restart resumes it where it stopped: a round left incomplete (the judge's question stored without its
answer(s), or a debate opening with one debater's turn only) is completed on the next request, with the speakers
already stored kept. The judge must ask at least `min_turns` questions before judging and may ask at most `max_turns`.

    live_items(debate_items, model="scripted/model", protocol="debate")   # items of protocol "debate_live"
    await exchange(db, judge, item, swap, max_turns)          # the turns so far (the opening made on first view)
    await ask(db, judge, item, swap, question, max_turns)     # the judge's question and the answer(s)
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError

PROTOCOL = "consultancy_live"
PROTOCOLS = {"consultancy": "consultancy_live", "debate": "debate_live"}
"""`--live-protocol` choice -> the items' protocol."""
_models: dict[str, Any] = {}
LABELS = ("A", "B")


def check_protocols(protocols: list[str] | None) -> list[str]:
    """The `--live-protocol` choices (default: consultancy), checked; duplicates dropped."""
    chosen = list(dict.fromkeys(protocols or ["consultancy"]))
    for p in chosen:
        if p not in PROTOCOLS:
            raise ConfigError(f"--live-protocol {p!r}: choose {' or '.join(PROTOCOLS)} (repeat the option for both)")
    return chosen


def live_items(debate_items, *, model: str, seed: int = 0, protocol: str = "consultancy",
               opponent: str | None = None) -> list[dict]:
    """One live item per question. Consultancy: the consultant argues for the correct answer on every other
    question. Debate: a debater for each answer, both played by `model`, or, with an `opponent` model, the two
    models take the correct answer on alternate questions (seeded), so that neither model's strength is confounded
    with the truth; the item records which model argued for the correct answer (`honest_model`)."""
    for flag, name in (("--live", model), ("--live-opponent", opponent)):
        if name is not None and (not isinstance(name, str) or "/" not in name):
            raise ConfigError(f"{flag} {name!r}: expected an inspect model name, e.g. scripted/model or vllm/NAME")
    check_protocols([protocol])
    out = []
    for n, it in enumerate(debate_items):
        common = {"question_id": f"quality/{it.id}", "kind": "live", "question": it.question,
                  "answers": [it.correct, it.distractor], "correct": 0, "turns": []}
        if protocol == "debate":
            models = [model, opponent or model]
            if opponent and (n + seed) % 2:
                models.reverse()
            source = (f"live debate with {model}" if not opponent else
                      f"live debate: {models[0]} for the correct answer, {models[1]} against")
            out.append(common | {"id": f"live-debate/{it.id}", "protocol": PROTOCOLS["debate"],
                                 "live": {"protocol": "debate", "models": models, "story": it.passage},
                                 "honest_model": models[0] if opponent else None, "source": source})
            continue
        side = (n + seed) % 2
        out.append(common | {"id": f"live/{it.id}", "protocol": PROTOCOL,
                             "consultant_type": "correct" if side == 0 else "incorrect",
                             "live": {"model": model, "side": side, "story": it.passage},
                             "source": f"live consultancy with {model}"})
    return out


def is_debate(item: dict) -> bool:
    return item["live"].get("protocol") == "debate"


def who(item: dict) -> str:
    """Whom the judge asks (for the page and messages)."""
    return "the debaters" if is_debate(item) else "the consultant"


def speaker_side(item: dict, swap: bool, speaker: str) -> int | None:
    """The answer (0 / 1, the item's own order) a stored speaker argues for; None for the judge."""
    if speaker == "Judge":
        return None
    if is_debate(item):
        order = [1, 0] if swap else [0, 1]
        return order[LABELS.index(speaker.rsplit(" ", 1)[-1])]
    return item["live"]["side"]


def _model(name: str):
    if name not in _models:
        from ..llm.run import generate_config, role_model

        _models[name] = role_model(name, generate_config(cache=False, max_retries=2, timeout=120))
    return _models[name]


def _prompt(item: dict, swap: bool, turns: list[dict], speaker: str, max_turns: int) -> str:
    from ..debate.quotes import QuoteChecker
    from ..llm.parse import ANSWER_FORMAT
    from ..llm.prompts import PromptTemplates

    order = [1, 0] if swap else [0, 1]
    answers = [item["answers"][i] for i in order]
    side = order.index(speaker_side(item, swap, speaker))  # the shown position this speaker argues for
    checker = QuoteChecker(item["live"]["story"])
    transcript = "\n\n".join(f"{t['speaker']}: {checker.mark(t['text']) if t['speaker'] != 'Judge' else t['text']}"
                             for t in turns)
    common = dict(question=item["question"], answers=answers, labels=LABELS, passage=item["live"]["story"],
                  word_limit=150, names=("Debater A", "Debater B"),
                  answer_format=ANSWER_FORMAT.format(labels=" or ".join(LABELS)), label=LABELS[side],
                  answer=answers[side], opponent_label=LABELS[1 - side], opponent_answer=answers[1 - side],
                  transcript=transcript)
    templates = PromptTemplates("proctor.debate", None)
    if not is_debate(item):
        return templates.render("consultant", rounds=0, **common)
    rnd = asked(turns)
    text = templates.render("debater", name=speaker, round=rnd, rounds=max_turns, **common)
    if rnd:
        text += ("\n\nThe judge's latest question is at the end of the exchange above: answer it first, "
                 "quoting the story.")
    return text


def _speakers(item: dict) -> list[str]:
    return ["Debater A", "Debater B"] if is_debate(item) else ["Consultant"]


def _pending(item: dict, turns: list[dict]) -> tuple[int, list[str]]:
    """(where the open round starts, its speakers not yet stored). A round is the opening or the answers to one
    question of the judge."""
    start = max((i + 1 for i, t in enumerate(turns) if t["speaker"] == "Judge"), default=0)
    done = {t["speaker"] for t in turns[start:]}
    return start, [s for s in _speakers(item) if s not in done]


async def _answer(db, judge: str, item: dict, swap: bool, turns: list[dict], max_turns: int) -> None:
    """Complete the open round: each missing speaker replies to the exchange up to the round's start (debaters
    simultaneously), stored in the order of `_speakers`."""
    from inspect_ai.model import ChatMessageUser
    from inspect_ai.util import collect
    from starlette.concurrency import run_in_threadpool

    from .items import segments

    start, missing = _pending(item, turns)
    before = turns[:start]
    models = item["live"].get("models")

    async def reply(speaker: str) -> str:
        name = models[speaker_side(item, swap, speaker)] if models else item["live"]["model"]
        prompt = _prompt(item, swap, before, speaker, max_turns)
        return (await _model(name).generate([ChatMessageUser(content=prompt)])).completion

    texts = await collect(*(reply(s) for s in missing))
    n = len(turns)
    for speaker, text in zip(missing, texts):
        if await run_in_threadpool(db.add_turn, judge, item["id"], n, speaker, text,
                                   segments(text, story=item["live"]["story"])):
            n += 1
        else:  # a concurrent request completed this round first: keep what it stored
            return


async def exchange(db, judge: str, item: dict, swap: bool, max_turns: int = 0) -> list[dict]:
    """The exchange so far; the opening, or the answer(s) to a question left unanswered (a restart), is made first."""
    from starlette.concurrency import run_in_threadpool

    turns = await run_in_threadpool(db.turns, judge, item["id"])
    if _pending(item, turns)[1]:
        await _answer(db, judge, item, swap, turns, max_turns)
        turns = await run_in_threadpool(db.turns, judge, item["id"])
    return turns


def asked(turns: list[dict]) -> int:
    return sum(t["speaker"] == "Judge" for t in turns)


async def ask(db, judge: str, item: dict, swap: bool, question: str, max_turns: int) -> tuple[int, str]:
    """Store the judge's question and the answer(s) of the consultant or both debaters: (HTTP status, message)."""
    from starlette.concurrency import run_in_threadpool

    from .items import segments

    turns = await exchange(db, judge, item, swap, max_turns)
    if asked(turns) >= max_turns:
        return 409, f"no questions left: at most {max_turns} per item"
    await run_in_threadpool(db.add_turn, judge, item["id"], len(turns), "Judge", question,
                            segments(question))
    await exchange(db, judge, item, swap, max_turns)
    return 201, "answered"
