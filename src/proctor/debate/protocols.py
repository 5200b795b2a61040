"""The oversight protocols as inspect-ai tasks: naive judge, expert judge, consultancy, debate (Algorithm 18.7.1).

Model roles (bound with `run_task(roles=...)`, `inspect eval --model-role judge=...`): `judge`, `debater_a`,
`debater_b`, `consultant`. Information asymmetry follows Khan et al. (2024): the judge never sees the passage
(except the expert judge, the upper baseline); debaters and the consultant do, cite it in `<quote>` tags, and the
judge sees each quote as `<v_quote>` (verified) or `<u_quote>` (unverified), see `quotes.py`.

Debate, Algorithm 18.7.1 of the textbook section: each debater opens for its assigned answer (steps 1-3), then R
rebuttal rounds over the transcript so far (step 4; simultaneous by default: both debaters see the transcript up to
the previous round; sequential: B also sees A's argument of the same round), then the judge returns a verdict and a
confidence (steps 5-6; token log-probabilities when the provider gives them, else the stated probability). With
R = 0 only the openings are judged.

Positions are swapped across samples to cancel position bias: the correct answer is option A in even-numbered
samples and option B in odd ones, so debater_a argues for the correct answer in half of the samples. In consultancy
the consultant is assigned the correct answer when (i // 2) is even, so assignment and position are balanced over
every four samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

from ..errors import ConfigError
from ..llm.confidence import judge_confidence
from ..llm.parse import ANSWER_FORMAT, parse_choice
from ..llm.prompts import PromptTemplates
from .data import DebateItem
from .quotes import QuoteChecker

PROTOCOLS = ("naive", "expert", "consultancy", "debate")
LABELS = ("A", "B")
NAMES = ("Debater A", "Debater B")
ROLES = {"naive": ("judge",), "expert": ("judge",), "consultancy": ("consultant", "judge"),
         "debate": ("debater_a", "debater_b", "judge")}


@dataclass(frozen=True)
class ProtocolConfig:
    """How one protocol is run."""

    protocol: str = "debate"
    """naive | expert | consultancy | debate."""
    _: KW_ONLY
    rounds: int = 2
    """Debate: rebuttal rounds R after the openings. Consultancy: judge questions after the opening."""
    sequential: bool = False
    """Debate rounds: B sees A's argument of the same round (default: simultaneous)."""
    word_limit: int = 150
    """Words each debater / consultant turn is asked to stay under."""
    swap: bool = True
    """Alternate the correct answer between positions A and B across samples."""
    logprobs: bool = False
    """Ask the judge's provider for token log-probabilities (confidence from them when returned)."""
    prompts: str | None = None
    """A folder of .jinja files overriding the packaged prompts by name."""
    cache: bool | None = None
    """Response cache for every call of the protocol: None leaves it to each model's GenerateConfig (on in
    `proctor.llm.run_task`); True turns it on here (the `inspect eval` entry points do, since inspect's CLI builds
    role models without it)."""

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"unknown protocol {self.protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        if self.rounds < 0:
            raise ConfigError("rounds must be >= 0")


def assignment(index: int, protocol: str, swap: bool = True) -> dict:
    """Positions for sample `index`: the correct label, and for consultancy the consultant's label."""
    correct_first = index % 2 == 0 if swap else True
    correct_label = "A" if correct_first else "B"
    out = {"correct_label": correct_label}
    if protocol == "consultancy":
        right = (index // 2) % 2 == 0 if swap else index % 2 == 0
        out["consultant_label"] = correct_label if right else ("B" if correct_label == "A" else "A")
        out["assigned"] = "right" if right else "wrong"
    return out


def debate_samples(items: Sequence[DebateItem], protocol: str, swap: bool = True,
                   indices: Sequence[int] | None = None) -> list:
    """inspect Samples (target = the correct label) with the binarised answers placed per `assignment`.

    `indices` are the items' positions in the whole data set (default 0..n-1), so that a run over the unfinished
    items only gives each item the same positions as the full run."""
    from inspect_ai.dataset import Sample

    samples = []
    for i, it in zip(indices if indices is not None else range(len(items)), items):
        pos = assignment(i, protocol, swap)
        answers = [it.correct, it.distractor] if pos["correct_label"] == "A" else [it.distractor, it.correct]
        md = {"item_id": it.id, "index": i, "question": it.question, "passage": it.passage, "answers": answers,
              "protocol": protocol, **pos}
        samples.append(Sample(input=it.question, target=pos["correct_label"], id=it.id, metadata=md))
    return samples


def _transcript(turns: list[dict], checker: QuoteChecker) -> str:
    return "\n\n".join(f"{t['speaker']} ({t['phase']}): {checker.mark(t['text'])}" for t in turns)


def protocol_solver(cfg: ProtocolConfig):
    """The solver running `cfg.protocol` on one sample; turns are kept in the sample store ("turns")."""
    from inspect_ai.model import CachePolicy, ChatMessageUser, GenerateConfig, get_model
    from inspect_ai.solver import solver
    from inspect_ai.util import collect

    from ..llm.run import CACHE_EXPIRY

    templates = PromptTemplates("proctor.debate", cfg.prompts)

    cache_kw = {"cache": CachePolicy(expiry=CACHE_EXPIRY)} if cfg.cache else {}

    async def ask(role: str, prompt: str) -> str:
        out = await get_model(role=role).generate([ChatMessageUser(content=prompt)], **cache_kw)
        return out.completion

    @solver(name="oversight_protocol")
    def oversight_protocol():
        async def solve(state, generate):
            md = state.metadata
            checker = QuoteChecker(md["passage"])
            answers, turns = md["answers"], []
            common = dict(question=md["question"], answers=answers, labels=LABELS, passage=md["passage"],
                          word_limit=cfg.word_limit, rounds=cfg.rounds, names=NAMES,
                          answer_format=ANSWER_FORMAT.format(labels=" or ".join(LABELS)))

            def debater_prompt(side: int, upto: list[dict], rnd: int) -> str:
                return templates.render("debater", name=NAMES[side], label=LABELS[side], answer=answers[side],
                                        opponent_label=LABELS[1 - side], opponent_answer=answers[1 - side],
                                        transcript=_transcript(upto, checker), round=rnd, **common)

            if cfg.protocol == "debate":
                roles = ("debater_a", "debater_b")
                for rnd in range(cfg.rounds + 1):
                    phase = "opening" if rnd == 0 else f"round {rnd}"
                    if cfg.sequential:
                        for side in (0, 1):
                            text = await ask(roles[side], debater_prompt(side, list(turns), rnd))
                            turns.append({"speaker": NAMES[side], "side": LABELS[side], "phase": phase, "text": text})
                    else:
                        before = list(turns)
                        # simultaneous: both see the transcript up to the previous round (collect = gather, any backend)
                        texts = await collect(*(ask(roles[s], debater_prompt(s, before, rnd)) for s in (0, 1)))
                        turns += [{"speaker": NAMES[s], "side": LABELS[s], "phase": phase, "text": texts[s]}
                                  for s in (0, 1)]
                judge_prompt = templates.render("judge_debate", transcript=_transcript(turns, checker), **common)
            elif cfg.protocol == "consultancy":
                side = LABELS.index(md["consultant_label"])
                for rnd in range(cfg.rounds + 1):
                    if rnd > 0:
                        q = await ask("judge", templates.render("judge_question",
                                                                transcript=_transcript(turns, checker), **common))
                        turns.append({"speaker": "Judge", "side": "", "phase": f"question {rnd}", "text": q})
                    text = await ask("consultant", templates.render(
                        "consultant", label=LABELS[side], answer=answers[side], opponent_label=LABELS[1 - side],
                        opponent_answer=answers[1 - side], transcript=_transcript(turns, checker), **common))
                    turns.append({"speaker": "Consultant", "side": LABELS[side],
                                  "phase": "opening" if rnd == 0 else f"answer {rnd}", "text": text})
                judge_prompt = templates.render("judge_consultancy", transcript=_transcript(turns, checker),
                                                **common)
            else:
                judge_prompt = templates.render(f"judge_{cfg.protocol}", **common)

            for t in turns:
                qs = checker.quotes(t["text"])
                t["quotes"] = [{"text": q.text, "verified": q.verified} for q in qs]
            state.store.set("turns", turns)
            state.messages = [ChatMessageUser(content=judge_prompt)]
            gen_cfg = GenerateConfig(logprobs=True, top_logprobs=5) if cfg.logprobs else GenerateConfig()
            out = await get_model(role="judge").generate(state.messages, config=gen_cfg, **cache_kw)
            state.messages.append(out.message)
            state.output = out
            return state

        return solve

    return oversight_protocol()


def judge_scorer():
    """Scores the judge's verdict: 1 right, 0 wrong, unscored (NaN) when the reply has no parsable verdict."""
    from inspect_ai.scorer import Score, accuracy, scorer, stderr

    @scorer(metrics=[accuracy(), stderr()], name="judge_verdict")
    def judge_verdict():
        async def score(state, target):
            reply = state.output.completion if state.output else ""
            choice = parse_choice(reply, LABELS)
            turns = state.store.get("turns", [])
            md = {"turns": turns, "judge_reply": reply}
            if choice is None:
                return Score.unscored(reason="no <answer> verdict in the judge's reply", answer=None,
                                      metadata=md | {"confidence": None, "confidence_source": "none"})
            conf, source = judge_confidence(state.output, choice, LABELS)
            return Score(value=1.0 if choice == target.text else 0.0, answer=choice,
                         metadata=md | {"confidence": conf, "confidence_source": source})

        return score

    return judge_verdict()


def protocol_task(items: Sequence[DebateItem], cfg: ProtocolConfig, name: str | None = None,
                  indices: Sequence[int] | None = None):
    """The inspect Task for `cfg.protocol` over `items` (positions from `indices`, see `debate_samples`)."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset

    ds = MemoryDataset(debate_samples(items, cfg.protocol, cfg.swap, indices), name="debate_items")
    return Task(dataset=ds, solver=protocol_solver(cfg), scorer=judge_scorer(), name=name or cfg.protocol,
                metadata={"protocol": cfg.protocol, "rounds": cfg.rounds, "sequential": cfg.sequential})
