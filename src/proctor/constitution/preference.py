"""CAI RL stage data (RLAIF; Bai et al. 2022, Section 4): an AI judge compares two replies under a sampled
comparison principle and gives a preference probability.

Each item is (prompt, reply 1, reply 2); replies come from a revision run (the policy's first reply vs its final
revision) or from a JSONL file of pairs. The pair is shown in a seeded random order (A/B) to cancel position bias,
under a comparison principle sampled with a seeded generator. The `judge` role answers in Proctor's strict format
(`<answer>A</answer><probability>0.8</probability>`); a reply that does not parse is counted invalid and yields no
preference row. The preference probability is the judge's confidence in its choice from token log-probabilities
where the provider returns them, otherwise its stated probability (`proctor.llm.judge_confidence`); the exported
`judge_probability` is P(chosen is better) under that confidence, and `probability_source` says which one it was.

    proctor cai prefer --judge PROVIDER/MODEL --pairs revisions.jsonl --out prefs.jsonl
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .constitution import Constitution, sample_comparison

__all__ = ["comparison_task", "Preference", "preferences_from_run", "preference_summary"]


@dataclass(frozen=True)
class Preference:
    id: str
    prompt: str
    chosen: str | None
    rejected: str | None
    principle: str
    judge_probability: float | None
    """P(chosen better than rejected): the judge's confidence in its choice; None when it gave none."""
    probability_source: str
    """"logprobs", "stated" or "none"."""
    chose_second: bool | None
    """True when the judge preferred item["response_b"] (e.g. the revision); None if the verdict was invalid."""
    status: str
    """"valid", "invalid" (no parsable verdict) or "failed" (a model call kept failing)."""


def comparison_task(items: list[dict], constitution: Constitution, seed: int = 0, prompts_dir=None,
                    logprobs: bool = True, max_tokens: int | None = 512):
    """The inspect Task. `items`: [{"id", "prompt", "response_a", "response_b"}]; role `judge`."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import ChatMessageUser, GenerateConfig, get_model
    from inspect_ai.solver import solver

    from proctor.llm import ANSWER_FORMAT, PromptTemplates, judge_confidence, parse_choice

    templates = PromptTemplates("proctor.constitution", override=prompts_dir)
    gen = GenerateConfig(max_tokens=max_tokens, logprobs=logprobs or None, top_logprobs=5 if logprobs else None)
    samples = []
    for it in items:
        rng = random.Random(f"{seed}:{it['id']}")
        principle = sample_comparison(constitution, rng).id
        swap = rng.random() < 0.5  # True: response_b is shown as A
        samples.append(Sample(input=it["prompt"], id=str(it["id"]),
                              metadata={"principle": principle, "swap": swap, "response_a": it["response_a"],
                                        "response_b": it["response_b"]}))

    @solver
    def judge_pair():
        async def solve(state, generate):
            md = state.metadata
            first, second = (md["response_b"], md["response_a"]) if md["swap"] else (md["response_a"],
                                                                                     md["response_b"])
            ask = templates.render("compare", prompt=state.input_text, response_a=first, response_b=second,
                                   principle=constitution.get_comparison(md["principle"]).text,
                                   answer_format=ANSWER_FORMAT.format(labels="A or B"))
            out = await get_model(role="judge").generate([ChatMessageUser(content=ask)], config=gen)
            choice = parse_choice(out.completion, ("A", "B"))
            conf, source = judge_confidence(out, choice, ("A", "B"))
            state.store.set("choice", choice)
            state.store.set("confidence", conf)
            state.store.set("source", source)
            state.output = out
            return state

        return solve

    return Task(dataset=MemoryDataset(samples, name="cai_preferences"), solver=judge_pair(), name="cai_preferences")


def preferences_from_run(run) -> list[Preference]:
    """Every sample of a comparison TaskRun as a Preference."""
    out = []
    for s in run.samples:
        md, st = s.metadata or {}, s.store or {}
        prompt = s.input if isinstance(s.input, str) else str(s.input)
        choice = st.get("choice") if s.error is None else None
        if choice is None:
            out.append(Preference(str(s.id), prompt, None, None, md.get("principle", ""), None, "none", None,
                                  "failed" if s.error is not None else "invalid"))
            continue
        picked_shown_first = choice == "A"
        chose_b = picked_shown_first == bool(md["swap"])  # shown-first is response_b exactly when swapped
        chosen, rejected = (md["response_b"], md["response_a"]) if chose_b else (md["response_a"],
                                                                                  md["response_b"])
        out.append(Preference(str(s.id), prompt, chosen, rejected, md["principle"], st.get("confidence"),
                              st.get("source", "none"), chose_b, "valid"))
    return out


def preference_summary(prefs: list[Preference]) -> dict:
    valid = [p for p in prefs if p.status == "valid"]
    srcs: dict[str, int] = {}
    for p in valid:
        srcs[p.probability_source] = srcs.get(p.probability_source, 0) + 1
    probs = [p.judge_probability for p in valid if p.judge_probability is not None]
    return {"pairs": len(prefs), "valid": len(valid), "invalid": sum(p.status == "invalid" for p in prefs),
            "failed": sum(p.status == "failed" for p in prefs),
            "prefer_second": sum(bool(p.chose_second) for p in valid),
            "probability_sources": srcs,
            "mean_judge_probability": sum(probs) / len(probs) if probs else float("nan")}
