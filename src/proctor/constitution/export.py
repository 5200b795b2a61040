"""CAI outputs as training data in TRL's column names (via `proctor.llm.trl`), and the chain file between stages.

    SFT (SFTTrainer):             {"messages": [{"role": "user", ...}, {"role": "assistant", <final revision>}]}
    preferences (DPO / reward):   {"prompt": [...], "chosen": [...], "rejected": [...], "judge_probability": p,
                                   "margin": m, "metadata": {"principle", "probability_source", "scripted"}}

`margin` is the column TRL's RewardTrainer reads (loss -log sigmoid(r_chosen - r_rejected - margin)): the judge's
log-odds that `chosen` is better, log(p / (1 - p)), clipped to [0, MAX_MARGIN]; 0 where the judge gave no probability
(no margin asked beyond ranking). `metadata.scripted` marks rows a scripted stand-in produced.

Only complete revision chains are exported for SFT and only valid verdicts for preferences; nothing is guessed.
The chain file (`chains.jsonl`) keeps every chain whole, status included, and is the input of `prefer`/`evaluate`.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from proctor.errors import DataError

from .critique import RevisionChain
from .preference import Preference

__all__ = ["sft_rows", "preference_rows", "write_chains", "read_chains", "read_pairs", "revision_pairs"]

#: Preference columns: TRL's three, the judge's probability that `chosen` is better, and RewardTrainer's margin.
PREFERENCE_COLUMNS = ("prompt", "chosen", "rejected", "judge_probability", "margin")

#: Largest margin written (log-odds of p = 0.993): a judge's stated 1.0 would otherwise be an infinite margin.
MAX_MARGIN = 5.0


def margin(p: float | None) -> float:
    """RewardTrainer's margin for a preference with judge probability `p` (see the module docstring)."""
    import math

    if p is None or not math.isfinite(p):
        return 0.0
    p = min(max(p, 0.5), 1.0)
    return MAX_MARGIN if p >= 1.0 else min(MAX_MARGIN, math.log(p / (1.0 - p)))


def sft_rows(chains: list[RevisionChain]) -> list[dict]:
    from proctor.llm import messages_row

    return [messages_row([{"role": "user", "content": c.prompt}, {"role": "assistant", "content": c.final}])
            for c in chains if c.final is not None]


def preference_rows(prefs: list[Preference], scripted: bool = False) -> list[dict]:
    """Valid preferences as TRL rows; the probability column is null where the judge gave none. `scripted`: the
    judge was a scripted stand-in (recorded in each row's metadata)."""
    from proctor.llm import preference_row

    return [preference_row(p.prompt, p.chosen, p.rejected, judge_probability=p.judge_probability,
                           margin=margin(p.judge_probability),
                           metadata={"principle": p.principle, "probability_source": p.probability_source,
                                     "scripted": bool(scripted)})
            for p in prefs if p.status == "valid"]


def write_chains(chains: list[RevisionChain], path: str | Path) -> int:
    from proctor.llm import write_jsonl

    return write_jsonl(({**asdict(c), "final": c.final} for c in chains), path)


def read_chains(path: str | Path, keys=("id", "prompt", "initial", "final")) -> list[dict]:
    """Rows of a chain file: {"id", "prompt", "initial", "final", "status", "rounds"}."""
    from ..data.tables import iter_jsonl

    rows = []
    for lineno, r in iter_jsonl(path, "write a chain file with `proctor cai revise --out DIR`"):
        for k in keys:
            if k not in r:
                raise DataError(f"{path}:{lineno}: missing key {k!r}")
        rows.append(r)
    return rows


def read_pairs(path: str | Path) -> list[dict]:
    """Comparison items from a JSONL file with `prompt`, `response_a`, `response_b` (and optional `id`), e.g. the
    pairs.jsonl of `proctor cai sample` (two samples per prompt, as in the CAI paper's RL stage)."""
    rows = read_chains(path, keys=("prompt", "response_a", "response_b"))
    return [{**r, "id": str(r.get("id", i))} for i, r in enumerate(rows, 1)]


def revision_pairs(rows: list[dict]) -> list[dict]:
    """Comparison items (first reply vs final revision) from complete chains; pair rows pass through."""
    return [r if "response_a" in r else
            {"id": str(r["id"]), "prompt": r["prompt"], "response_a": r["initial"], "response_b": r["final"]}
            for r in rows if ("response_a" in r) or (r.get("final") and r.get("initial"))]
