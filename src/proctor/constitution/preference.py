"""CAI RL stage data (RLAIF; Bai et al. 2022, Section 4): an AI judge compares two replies under a sampled
comparison principle and gives a preference probability.

Each item is (prompt, reply 1, reply 2). As in the paper, the replies are two samples from the policy for the same
prompt (`sampling_task`; the paper samples its SL-CAI model, the policy fine-tuned on the revisions: point the
sampler at such a model to follow it exactly); or, as a variant, the policy's first reply vs its final revision from
a revision run; or pairs from a JSONL file. The pair is shown in a seeded random order (A/B) to cancel position bias,
under a comparison principle sampled with a seeded generator. The `judge` role answers in Proctor's strict format
(`<answer>A</answer><probability>0.8</probability>`); a reply that does not parse is counted invalid and yields no
preference row. The preference probability is the judge's confidence in its choice from token log-probabilities
where the provider returns them, otherwise its stated probability (`proctor.llm.judge_confidence`); the exported
`judge_probability` is P(chosen is better) under that confidence, and `probability_source` says which one it was.

    proctor cai sample --policy PROVIDER/MODEL --out DIR                 # DIR/pairs.jsonl: two samples per prompt
    proctor cai prefer --judge PROVIDER/MODEL --pairs DIR/pairs.jsonl --out DIR
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .constitution import Constitution, sample_comparison

__all__ = [
    "Preference",
    "comparison_task",
    "pairs_from_run",
    "preference_summary",
    "preferences_from_run",
    "sampling_task",
]


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


def sample_seeds(seed: int, prompt_id: str) -> tuple[int, int]:
    """The generation seeds of a prompt's two samples: different from each other (so inspect's response cache, which
    keys on the config, keeps both, and a provider that honours seeds repeats them), fixed by (seed, prompt id)."""
    rng = random.Random(f"{seed}:{prompt_id}:samples")
    a = rng.getrandbits(31)
    return a, (a + 1 + rng.getrandbits(30)) % 2**31


def sampling_task(prompts: list[dict], seed: int = 0, temperature: float = 1.0, prompts_dir=None,
                  max_tokens: int | None = 1024):
    """The inspect Task that samples two replies per prompt from the `policy` role (the RL stage's pairs in Bai et
    al. 2022, Section 4), at `temperature`, each with its own generation seed (`sample_seeds`), under the same system
    prompt as the revision run. `prompts`: [{"id", "prompt"}]; the replies are in each sample's store (`samples`)."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
    from inspect_ai.solver import solver

    from proctor.llm import PromptTemplates

    system_text = PromptTemplates("proctor.constitution", override=prompts_dir).render("policy_system")
    samples = [Sample(input=p["prompt"], id=str(p["id"]), metadata={"seeds": list(sample_seeds(seed, str(p["id"])))})
               for p in prompts]

    @solver
    def sample_two():
        async def solve(state, generate):
            policy = get_model(role="policy")
            messages = [ChatMessageSystem(content=system_text), ChatMessageUser(content=state.input_text)]
            replies = []
            for s in state.metadata["seeds"]:
                out = await policy.generate(messages, config=GenerateConfig(max_tokens=max_tokens,
                                                                            temperature=temperature, seed=s))
                replies.append(out.completion.strip() if out.completion else "")
            state.store.set("samples", replies)
            state.output.completion = replies[-1]
            return state

        return solve

    return Task(dataset=MemoryDataset(samples, name="cai_samples"), solver=sample_two(), name="cai_samples")


def pairs_from_run(run) -> tuple[list[dict], dict]:
    """(comparison items, counts) from a sampling TaskRun: a prompt whose two samples are both non-empty and differ
    is an item {"id", "prompt", "response_a", "response_b"}; the others are counted ("no_response": a sample came
    back empty; "identical": nothing to prefer; "failed": a model call kept failing), never compared."""
    items, counts = [], {"prompts": len(run.samples), "pairs": 0, "identical": 0, "no_response": 0, "failed": 0}
    for s in run.samples:
        replies = (s.store or {}).get("samples") or []
        if s.error is not None or len(replies) != 2:
            counts["failed"] += 1
        elif not all(replies):
            counts["no_response"] += 1
        elif replies[0] == replies[1]:
            counts["identical"] += 1
        else:
            counts["pairs"] += 1
            items.append({"id": str(s.id), "prompt": s.input if isinstance(s.input, str) else str(s.input),
                          "response_a": replies[0], "response_b": replies[1]})
    return items, counts


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
