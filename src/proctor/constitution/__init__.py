"""Constitutional AI (Bai et al. 2022, arXiv:2212.08073): constitutions as TOML, the critique -> revision stage,
AI preference labels (RLAIF), TRL exports and the harmlessness / helpfulness change. LLM calls go through inspect-ai
(`proctor.llm`); imports here are light.

    spec.py          CAISpec: every setting and its default (read by `proctor cai` and suites)
    experiment.py    revise / sample / prefer / evaluate, each writing its files; run (every stage as one unit)
    constitution.py  Constitution / Principle / ComparisonPrinciple, load_constitution, default_constitution
    cai_paper.py     load_cai_paper: the paper's own principles from the authors' JSON files (read, not shipped)
    redteam.py       red-team prompts (HH-RLHF harmless-base first human turns, or a JSONL file)
    critique.py      revision_task: roles policy + critic, n rounds, the whole chain kept
    preference.py    sampling_task (two samples per prompt: the RL pairs); comparison_task: role judge, preference
                     probability from logprobs else stated
    evaluate.py      rating_task + paired change with bootstrap CIs (harmlessness, helpfulness)
    export.py        TRL rows (messages; prompt/chosen/rejected + judge_probability), chain files
    summary.py       summarize(store, spec), headline, scorecard rows
    report.py        the report section
    technique.py     the registration (`type = "cai"`)
    tasks.py         the same tasks registered for `inspect eval` (imports inspect-ai)
    cli.py           `proctor cai principles | revise | sample | prefer | evaluate | run`
"""

from .constitution import (
    ComparisonPrinciple,
    Constitution,
    Principle,
    default_constitution,
    load_constitution,
    resolve_constitution,
)
from .spec import CAISpec

__all__ = ["CAISpec", "ComparisonPrinciple", "Constitution", "Principle", "default_constitution",
           "load_constitution", "resolve_constitution"]
