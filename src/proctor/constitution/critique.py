"""CAI supervised stage (Bai et al. 2022, Section 3.1) as an inspect task: response -> critique -> revision.

For each prompt the `policy` role answers; then, for `rounds` rounds, the `critic` role critiques the current reply
under one principle sampled from the constitution, and the `policy` role rewrites the reply given that critique.
The whole chain (principle, reply, critique, revision per round) is kept in the sample's store (`chain`) and in the
inspect log. A critique without exactly one non-empty `<critique>` tag, or a revision without exactly one
`<revision>` tag, stops that sample's chain and is counted invalid ("invalid_critique" / "invalid_revision"); the
chain is then incomplete and its sample is not exported for SFT. Principles are drawn from a seeded generator per
prompt, so a rerun samples the same ones (and inspect's response cache answers the calls already made).

    inspect eval proctor/constitution/critique.py --model-role policy=openai-api/local/m --model-role critic=...
    proctor cai revise --policy PROVIDER/MODEL --critic PROVIDER/MODEL --prompts hh --limit 50 --rounds 2
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..llm.parse import extract_tag
from .constitution import Constitution, sample_principle

__all__ = ["revision_task", "RevisionChain", "chains_from_run", "revision_summary"]


@dataclass(frozen=True)
class RevisionChain:
    """One prompt's chain read back from the log."""

    id: str
    prompt: str
    initial: str | None
    rounds: list[dict]
    """[{"round", "principle", "response", "critique", "revision"}], up to where the chain stopped."""
    status: str
    """"complete", "invalid_critique", "invalid_revision", "no_response" or "failed" (a model call kept failing)."""

    @property
    def final(self) -> str | None:
        return self.rounds[-1]["revision"] if self.status == "complete" and self.rounds else None


def _principles(c: Constitution, rounds: int, seed: int, key: str) -> list[str]:
    rng = random.Random(f"{seed}:{key}")
    return [sample_principle(c, rng).id for _ in range(rounds)]


def revision_task(prompts: list[dict], constitution: Constitution, rounds: int = 1, seed: int = 0,
                  prompts_dir=None, max_tokens: int | None = 1024):
    """The inspect Task. `prompts`: [{"id", "prompt"}]; roles `policy` and `critic`."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
    from inspect_ai.solver import solver

    from proctor.llm import PromptTemplates

    templates = PromptTemplates("proctor.constitution", override=prompts_dir)
    system_text = templates.render("policy_system")
    few_shot = "".join(f"{s}\n\n---\n\n" for s in constitution.few_shot)
    gen = GenerateConfig(max_tokens=max_tokens)
    samples = [Sample(input=p["prompt"], id=str(p["id"]),
                      metadata={"principles": _principles(constitution, rounds, seed, str(p["id"])),
                                "constitution": constitution.name})
               for p in prompts]

    @solver
    def critique_revise():
        async def solve(state, generate):
            policy, critic = get_model(role="policy"), get_model(role="critic")
            prompt = state.input_text
            system = ChatMessageSystem(content=system_text)
            out = await policy.generate([system, ChatMessageUser(content=prompt)], config=gen)
            response = out.completion.strip() if out.completion else ""
            state.store.set("initial", response or None)
            chain: list[dict] = []
            status = "complete" if response else "no_response"
            for r, pid in enumerate(state.metadata["principles"] if response else []):
                p = constitution.get_principle(pid)
                ask = templates.render("critique", few_shot=few_shot, prompt=prompt, response=response,
                                       critique_request=p.critique)
                c_out = await critic.generate([ChatMessageUser(content=ask)], config=gen)
                critique = extract_tag(c_out.completion, "critique")
                step = {"round": r + 1, "principle": pid, "response": response, "critique": critique,
                        "critique_raw": c_out.completion, "revision": None}
                if critique is None:
                    chain.append(step)
                    status = "invalid_critique"
                    break
                ask = templates.render("revision", prompt=prompt, response=response, critique=critique,
                                       revision_request=p.revision)
                r_out = await policy.generate([system, ChatMessageUser(content=ask)], config=gen)
                revision = extract_tag(r_out.completion, "revision")
                step["revision"] = revision
                chain.append(step)
                if revision is None:
                    step["revision_raw"] = r_out.completion
                    status = "invalid_revision"
                    break
                response = revision
            state.store.set("chain", chain)
            state.store.set("status", status)
            state.output.completion = response
            return state

        return solve

    return Task(dataset=MemoryDataset(samples, name="cai_revision"), solver=critique_revise(),
                name="cai_revision")


def chains_from_run(run) -> list[RevisionChain]:
    """Every sample of a `proctor.llm` TaskRun as a RevisionChain (a sample that raised is status "failed")."""
    out = []
    for s in run.samples:
        store = s.store or {}
        status = "failed" if s.error is not None else store.get("status", "failed")
        out.append(RevisionChain(id=str(s.id), prompt=s.input if isinstance(s.input, str) else str(s.input),
                                 initial=store.get("initial"), rounds=list(store.get("chain") or []),
                                 status=status))
    return out


def revision_summary(chains: list[RevisionChain]) -> dict:
    """Counts by status and by principle; how often a revision changed the reply."""
    by_status: dict[str, int] = {}
    by_principle: dict[str, int] = {}
    changed = 0
    for c in chains:
        by_status[c.status] = by_status.get(c.status, 0) + 1
        for step in c.rounds:
            by_principle[step["principle"]] = by_principle.get(step["principle"], 0) + 1
        if c.final is not None and c.final.strip() != (c.initial or "").strip():
            changed += 1
    complete = by_status.get("complete", 0)
    return {"prompts": len(chains), "complete": complete,
            "invalid_critique": by_status.get("invalid_critique", 0),
            "invalid_revision": by_status.get("invalid_revision", 0),
            "no_response": by_status.get("no_response", 0), "failed": by_status.get("failed", 0),
            "revised_differs": changed, "principle_uses": by_principle}
