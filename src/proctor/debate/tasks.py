"""inspect-ai entry points: `inspect eval proctor/debate`, `proctor/consultancy`, `proctor/naive_judge`,
`proctor/expert_judge` (registered through the `inspect_ai` entry-point group of the proctor package).

    inspect eval proctor/debate --model-role debater_a=vllm/Qwen/Qwen2.5-7B-Instruct \\
        --model-role debater_b=vllm/Qwen/Qwen2.5-7B-Instruct --model-role judge=vllm/meta-llama/Llama-3.1-8B-Instruct \\
        --model vllm/meta-llama/Llama-3.1-8B-Instruct -T dataset=quality_example -T rounds=2 --log-dir logs

Task arguments (-T): dataset, split, limit, rounds, sequential, swap, word_limit, logprobs, prompts, cache, and the
column mapping of a file, save_to_disk folder or Hub id (question_column, passage_column, choices_column,
answer_column, label_column: as `proctor debate --question-column` etc.). The response cache is on by default here
(inspect's CLI builds role models without one).
"""

from __future__ import annotations

try:  # the literal `@task` decorator is what inspect's registry records
    from inspect_ai import task
except ImportError:  # pragma: no cover
    def task(fn):
        return fn


def _task(protocol: str, dataset: str, split, *, limit, rounds, sequential, swap, word_limit, logprobs, prompts,
          cache, columns, name: str | None = None):
    from .data import load_items
    from .protocols import ProtocolConfig, protocol_task

    cfg = ProtocolConfig(protocol, rounds=int(rounds), sequential=bool(sequential), swap=bool(swap),
                         word_limit=int(word_limit), logprobs=bool(logprobs), prompts=prompts, cache=bool(cache))
    items = load_items(dataset, split=split, limit=None if limit is None else int(limit),
                       columns=columns if columns.given() else None)
    # the task's display name is its registry name (naive_judge, not the protocol's "naive")
    return protocol_task(items, cfg, name=name)


def _columns(question, passage, choices, answer, label):
    """The -T column options as a proctor.debate.data.DebateColumns."""
    from .data import DebateColumns

    return DebateColumns.of(question, passage, choices, answer, label)


@task
def debate(dataset: str = "quality_example", split: str | None = None, limit: int | None = None, *, rounds: int = 2,
           sequential: bool = False, swap: bool = True, word_limit: int = 150, logprobs: bool = False,
           prompts: str | None = None, cache: bool = True, protocol: str = "debate", question_column: str | None = None,
           passage_column: str | None = None, choices_column: str | None = None, answer_column: str | None = None,
           label_column: str | None = None):
    """Debate (Algorithm 18.7.1): roles debater_a, debater_b, judge. `protocol` may name another protocol."""
    columns = _columns(question_column, passage_column, choices_column, answer_column, label_column)
    return _task(protocol, dataset, split, limit=limit, rounds=rounds, sequential=sequential, swap=swap,
                 word_limit=word_limit, logprobs=logprobs, prompts=prompts, cache=cache, columns=columns,
                 name="debate")


@task
def consultancy(dataset: str = "quality_example", split: str | None = None, limit: int | None = None, *,
                rounds: int = 2, swap: bool = True, word_limit: int = 150, logprobs: bool = False,
                prompts: str | None = None, cache: bool = True, question_column: str | None = None,
                passage_column: str | None = None, choices_column: str | None = None,
                answer_column: str | None = None, label_column: str | None = None):
    """Consultancy with judge questions: roles consultant, judge."""
    columns = _columns(question_column, passage_column, choices_column, answer_column, label_column)
    return _task("consultancy", dataset, split, limit=limit, rounds=rounds, sequential=False, swap=swap,
                 word_limit=word_limit, logprobs=logprobs, prompts=prompts, cache=cache, columns=columns,
                 name="consultancy")


@task
def naive_judge(dataset: str = "quality_example", split: str | None = None, limit: int | None = None, *,
                swap: bool = True, logprobs: bool = False, prompts: str | None = None, cache: bool = True,
                question_column: str | None = None, passage_column: str | None = None,
                choices_column: str | None = None, answer_column: str | None = None,
                label_column: str | None = None):
    """The judge alone, without the passage (lower baseline): role judge."""
    columns = _columns(question_column, passage_column, choices_column, answer_column, label_column)
    return _task("naive", dataset, split, limit=limit, rounds=0, sequential=False, swap=swap, word_limit=150,
                 logprobs=logprobs, prompts=prompts, cache=cache, columns=columns, name="naive_judge")


@task
def expert_judge(dataset: str = "quality_example", split: str | None = None, limit: int | None = None, *,
                 swap: bool = True, logprobs: bool = False, prompts: str | None = None, cache: bool = True,
                 question_column: str | None = None, passage_column: str | None = None,
                 choices_column: str | None = None, answer_column: str | None = None,
                 label_column: str | None = None):
    """The judge reading the passage (upper baseline): role judge."""
    columns = _columns(question_column, passage_column, choices_column, answer_column, label_column)
    return _task("expert", dataset, split, limit=limit, rounds=0, sequential=False, swap=swap, word_limit=150,
                 logprobs=logprobs, prompts=prompts, cache=cache, columns=columns, name="expert_judge")
