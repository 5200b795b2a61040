"""The alignment tax per evaluation format: is the capability an aligned model loses intrinsic, or an artifact of a
benchmark format that alignment training de-emphasises (textbook section 18.7.1, first open question)?

Each capability item is asked of both checkpoints in two or more formats:

* `raw`: few-shot completion, as pre-training evaluations prompt ("Question: ... Answer: ..." shots, then the item and
  an open "Answer:"), sent as one user turn and no system prompt. inspect-ai's model API is chat-shaped, so for a
  model with a chat template the provider still wraps this turn in it; for a base checkpoint without one (`hf/` base
  models, completion servers) it is the raw text.
* `chat`: the deployment format: a system turn and a zero-shot instruction in the user turn, rendered by the model's
  own chat template (the provider's job).
* `heldout`: the chat format with an instruction wording used nowhere else (a held-out phrasing).
* `paraphrase`: the chat format on held-out items: each question reworded by a paraphrasing model (`paraphraser`, any
  inspect model id) before it is asked, so a checkpoint that saw the benchmark's exact wording gains nothing from it.
  A rewording that drops one of a GSM8K question's numbers, comes back empty or runs 4x longer is not used (the item
  keeps its own wording there; the count is reported).

The tax in a format is mean(correct_base - correct_aligned) over items. Its interval, and that of the share of the
raw-format tax that disappears in the deployment format, share = 1 - tax_deploy / tax_raw, come from one percentile
bootstrap over items, paired: every replicate draws one set of items and uses it for both checkpoints and every
format. Verdict (FormatsConfig.artifact_share = s): `artifact` when the share's CI lies above s; `intrinsic` when it
lies below s and the deployment-format tax's CI lies above 0; otherwise `undetermined` (always when the raw-format tax's
CI includes 0: there is no tax to explain).

Encoder checkpoints (`minilm`, HF folders) take the same analysis on question-to-passage retrieval
(`retrieval:boolq`): a "format" is the query template (raw: the bare question; chat/heldout: the question inside an
instruction), an item is one question, correct = its own passage ranks first.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from proctor.errors import ConfigError, DataError
from proctor.tax.spec import FORMATS, LLM_EVALS, SCRIPTED_KINDS

__all__ = ["FORMATS", "FormatResult", "Item", "accept_paraphrase", "analyse", "load_items", "messages", "score_answer",
           "scripted_reply"]

SYSTEM = "You are a helpful assistant."
INSTRUCTIONS = {
    ("gsm8k", "chat"): "Solve this math word problem. Reason step by step, then give the final answer on the last "
                       "line as 'Answer: <number>'.\n\n{question}",
    ("gsm8k", "heldout"): "Here is a short arithmetic puzzle. Work it out and end your reply with 'Answer: ' followed "
                          "by the number alone.\n\n{question}",
    ("boolq", "chat"): "Read the passage and answer the question with yes or no. End your reply with 'Answer: yes' or "
                       "'Answer: no'.\n\nPassage: {passage}\n\nQuestion: {question}?",
    ("boolq", "heldout"): "{question}? Judge only from the text below, and finish with 'Answer: yes' or "
                          "'Answer: no'.\n\n{passage}",
}
#: Query templates of the retrieval stand-in (encoder checkpoints).
TEMPLATES = {"raw": "{question}", "chat": "Find the passage that answers this question: {question}?",
             "heldout": "Which text tells us whether {question}?"}


#: What the paraphrasing model is asked (the question follows after a blank line).
PARAPHRASE = {
    "gsm8k": "Rewrite this math word problem in different words. Keep every number, every quantity and the question "
             "asked exactly the same, and do not solve it. Reply with the rewritten problem only.\n\n{question}",
    "boolq": "Rewrite this yes/no question in different words without changing its meaning. Reply with the rewritten "
             "question only.\n\n{question}",
}


@dataclass(frozen=True)
class Item:
    """One capability item."""

    id: str
    question: str
    target: str  # gsm8k: the number; boolq: "yes" / "no"
    passage: str = ""
    solution: str = ""  # gsm8k shots: the worked solution


def _data_file(name: str, file: str) -> Path:
    root = os.environ.get("PROCTOR_DATA")
    path = Path(root or ".").expanduser() / name / file
    if not root or not path.is_file():
        raise DataError(f"evaluation {name} needs PROCTOR_DATA with {name}/{file} ({path} not found)")
    return path


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise DataError(f"{path}: line {n}: not JSON ({e.msg})") from None
    return rows


def _gsm8k(row: dict, path: Path, i: int) -> Item:
    try:
        answer = str(row["answer"])
        target = answer.rsplit("####", 1)[1].strip().replace(",", "")
        return Item(f"gsm8k-{i}", str(row["question"]), target, solution=answer.rsplit("####", 1)[0].strip())
    except (KeyError, IndexError):
        raise DataError(f"{path}: row {i + 1}: expected 'question' and an 'answer' ending in '#### <number>'") from None


def _boolq(row: dict, path: Path, i: int) -> Item:
    if not isinstance(row.get("answer"), bool) or "question" not in row or "passage" not in row:
        raise DataError(f"{path}: row {i + 1}: expected 'question', 'passage' and a true/false 'answer'")
    return Item(f"boolq-{i}", str(row["question"]), "yes" if row["answer"] else "no", passage=str(row["passage"]))


def load_items(name: str, limit: int, shots: int, seed: int) -> tuple[list[Item], list[Item]]:
    """(items, few-shot examples) of `name` (gsm8k: test items, train shots; boolq: dev items, shots from the rest of
    dev), a seeded sample of `limit` items."""
    rng = np.random.default_rng(seed)
    if name == "gsm8k":
        test, train = _data_file("gsm8k", "test.jsonl"), _data_file("gsm8k", "train.jsonl")
        rows = [_gsm8k(r, test, i) for i, r in enumerate(_read_jsonl(test))]
        pool = _read_jsonl(train)
        pick = rng.choice(len(pool), size=min(shots, len(pool)), replace=False) if shots else []
        shot_items = [_gsm8k(pool[j], train, int(j)) for j in pick]
        items = [rows[j] for j in np.sort(rng.choice(len(rows), size=min(limit, len(rows)), replace=False))]
        return items, shot_items
    if name == "boolq":
        dev = _data_file("boolq", "dev.jsonl")
        rows = [_boolq(r, dev, i) for i, r in enumerate(_read_jsonl(dev))]
        order = rng.permutation(len(rows))
        return [rows[j] for j in np.sort(order[:limit])], [rows[j] for j in order[limit : limit + shots]]
    raise ConfigError(f"evaluation {name!r}: expected one of {', '.join(LLM_EVALS)} or retrieval:DATA")


def _raw_block(name: str, item: Item, answer: str | None) -> str:
    if name == "gsm8k":
        head = f"Question: {item.question}\nAnswer:"
        return head if answer is None else f"{head} {item.solution}\n#### {answer}"
    head = f"{item.passage}\nQuestion: {item.question}?\nAnswer:"
    return head if answer is None else f"{head} {answer}"


def messages(name: str, item: Item, fmt: str, shots: list[Item]):
    """The inspect chat messages of `item` in format `fmt`."""
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser

    if fmt == "raw":
        text = "\n\n".join([_raw_block(name, s, s.target) for s in shots] + [_raw_block(name, item, None)])
        return [ChatMessageUser(content=text)]
    if (name, fmt) not in INSTRUCTIONS:
        raise ConfigError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    text = INSTRUCTIONS[(name, fmt)].replace("{passage}", item.passage).replace("{question}", item.question)
    return [ChatMessageSystem(content=SYSTEM), ChatMessageUser(content=text)]


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def score_answer(name: str, text: str, target: str, fmt: str = "chat") -> bool:
    """Whether a completion answers the item: GSM8K, the number after the last 'Answer:' or '####' (else the last
    number in the text), compared numerically; BoolQ, the first yes/no/true/false after the last 'Answer:' (else in
    the text). A raw-format completion is cut where a base model starts a new few-shot block of its own."""
    text = text or ""
    if fmt == "raw":
        text = re.split(r"\nQuestion:|\n\n" if name == "boolq" else r"\nQuestion:", text, maxsplit=1)[0]
    m = list(re.finditer(r"(?:answer\s*(?:is)?\s*:?|####)", text, flags=re.IGNORECASE))
    tail = text[m[-1].end():] if m else text
    if name == "gsm8k":
        nums = _NUMBER.findall(tail) if m else _NUMBER.findall(text)[-1:]
        if not nums:
            return False
        try:
            return math.isclose(float(nums[0].replace(",", "")), float(target), abs_tol=1e-6)
        except ValueError:
            return False
    w = re.search(r"\b(yes|no|true|false)\b", tail, flags=re.IGNORECASE)
    if not w:
        return False
    return ({"true": "yes", "false": "no"}.get(w.group(1).lower(), w.group(1).lower())) == target


def accept_paraphrase(name: str, original: str, text: str | None) -> str | None:
    """The paraphrase of `original` if it can stand in for it, else None: not empty, at most 4x as long, and for
    GSM8K every number of the original still there (as often)."""
    from collections import Counter

    text = (text or "").strip()
    if not text or len(text) > 4 * len(original) + 40:
        return None
    if name == "gsm8k":
        def numbers(t: str) -> Counter:
            return Counter(float(n.replace(",", "")) for n in _NUMBER.findall(t) if n.replace(",", "").strip("-"))

        have = numbers(text)
        if any(have[k] < c for k, c in numbers(original).items()):
            return None
    return text


def _unit(key: str) -> float:
    """A deterministic number in [0, 1) from a string (the scripted models' dice)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 2**32


def scripted_reply(kind: str, answers: dict[str, str]):
    """The reply function of a scripted model (`proctor.llm.mock.scripted_model`): it finds the item in the prompt
    (its question text), and answers it right or wrong by a fixed die per item, in the answer style of the format.

    kind: `base` (right on 75% of items in every format), `aligned-artifact` (the same items right in chat formats,
    but in the raw format it drifts into a chatty reply without the final-answer line on a further 30% of items), or
    `aligned-intrinsic` (wrong on a further 20% of items in every format). These are scripted stand-ins, not models."""
    if kind == "paraphraser":  # rewords nothing: it prefixes the question (so scripted answerers still find it)
        return lambda prompt: "Put differently: " + prompt.rsplit("\n\n", 1)[-1].strip()
    if kind not in SCRIPTED_KINDS:
        raise ConfigError(f"scripted model {kind!r}: expected scripted/base, scripted/aligned-artifact or "
                          "scripted/aligned-intrinsic")
    keys = sorted(answers, key=len, reverse=True)

    def reply(prompt: str) -> str:
        last = prompt.rsplit("[user]", 1)[-1]
        raw = "[system]" not in prompt
        if raw:  # the item is the last question block after the shots
            last = last.rsplit("Question:", 1)[-1]
        question = next((q for q in keys if q in last), None)
        if question is None:
            return "I am not sure what is being asked."
        target, die = answers[question], _unit(question)
        right = die < 0.75
        if kind == "aligned-intrinsic" and 0.55 <= die < 0.75:
            right = False
        if kind == "aligned-artifact" and raw and 0.45 <= die < 0.75:
            return "Great question! Let me explain the idea behind this kind of problem in detail."
        answer = target if right else ("no" if target == "yes" else "yes" if target == "no" else str(int(float(
            target)) + 1) if re.fullmatch(r"-?\d+(\.0+)?", target) else target + "1")
        return f" {answer}" if raw else f"Let me think step by step.\nAnswer: {answer}"

    return reply


@dataclass
class FormatResult:
    """The analysis of one evaluation (or the pooled mean over evaluations)."""

    name: str
    n_items: int
    accuracy: dict[str, dict[str, float]]  # model -> format -> accuracy
    tax: dict[str, float]  # format -> base minus aligned accuracy
    tax_ci: dict[str, tuple[float, float]]
    share: float  # of the raw-format tax that disappears in the deployment format
    share_ci: tuple[float, float]
    verdict: str
    reason: str
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: dict) -> FormatResult:
        """The inverse of `as_dict` (NaN may be written as null)."""
        def num(v) -> float:
            return math.nan if v is None else float(v)

        return cls(d["eval"], int(d["n_items"]), d["accuracy"], {k: num(v) for k, v in d["tax"].items()},
                   {k: (num(a), num(b)) for k, (a, b) in d["tax_ci"].items()}, num(d["share_recovered"]),
                   tuple(num(v) for v in d["share_ci"]), d["verdict"], d["reason"])

    def as_dict(self) -> dict:
        return {"eval": self.name, "n_items": self.n_items, "accuracy": self.accuracy, "tax": self.tax,
                "tax_ci": {k: list(v) for k, v in self.tax_ci.items()}, "share_recovered": self.share,
                "share_ci": list(self.share_ci), "verdict": self.verdict, "reason": self.reason}


def _verdict(tax_raw_ci, tax_dep_ci, share_ci, threshold: float) -> tuple[str, str]:
    if not tax_raw_ci[0] > 0:
        return "undetermined", "the raw-format tax's CI includes 0 (or lies below it): no tax to explain"
    lo, hi = share_ci
    if lo > threshold:
        return "artifact", f"more than {threshold:.0%} of the raw-format tax disappears in the deployment format"
    if hi < threshold and tax_dep_ci[0] > 0:
        return "intrinsic", (f"less than {threshold:.0%} of the raw-format tax disappears, and the deployment-format "
                             "tax stays above 0")
    return "undetermined", "the CI of the share that disappears straddles the threshold"


def analyse(correct: dict[str, dict[str, dict[str, np.ndarray]]], *, raw: str, deployment: str, n_boot: int,
            level: float, threshold: float, seed: int) -> list[FormatResult]:
    """`correct[eval][model][format]`: 0/1 per item (same item order everywhere; models 'base' and 'aligned').
    Returns one FormatResult per evaluation and, with two or more, a pooled one (the mean of the per-evaluation taxes,
    each evaluation's items resampled on their own)."""
    rng = np.random.default_rng(seed)
    a = (1 - level) / 2
    results, boots = [], {}
    for name, by_model in correct.items():
        fmts = list(by_model["base"])
        n = len(by_model["base"][fmts[0]])
        idx = rng.integers(0, n, size=(n_boot, n))
        diff = {f: np.asarray(by_model["base"][f], float) - np.asarray(by_model["aligned"][f], float) for f in fmts}
        boots[name] = {f: diff[f][idx].mean(axis=1) for f in fmts}
        acc = {m: {f: float(np.mean(v)) for f, v in by_model[m].items()} for m in by_model}
        results.append(_result(name, n, acc, {f: float(diff[f].mean()) for f in fmts}, boot=boots[name], raw=raw,
                               deployment=deployment, a=a, threshold=threshold))
    if len(results) > 1:
        fmts = list(results[0].tax)
        pooled = {f: np.mean([b[f] for b in boots.values()], axis=0) for f in fmts}
        tax = {f: float(np.mean([r.tax[f] for r in results])) for f in fmts}
        acc = {m: {f: float(np.mean([r.accuracy[m][f] for r in results])) for f in fmts} for m in ("base", "aligned")}
        results.append(_result("pooled (mean over evaluations)", sum(r.n_items for r in results), acc, tax,
                               boot=pooled, raw=raw, deployment=deployment, a=a, threshold=threshold))
    return results


def _result(name, n, acc, tax, *, boot, raw, deployment, a, threshold) -> FormatResult:
    ci = {f: tuple(float(x) for x in np.quantile(b, [a, 1 - a])) for f, b in boot.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        share_b = 1.0 - boot[deployment] / boot[raw]
        share = 1.0 - tax[deployment] / tax[raw] if tax[raw] != 0 else math.nan
    finite = share_b[np.isfinite(share_b)]
    share_ci = tuple(float(x) for x in np.quantile(finite, [a, 1 - a])) if finite.size else (math.nan, math.nan)
    verdict, reason = _verdict(ci[raw], ci[deployment], share_ci, threshold)
    return FormatResult(name, n, acc, tax, ci, float(share), share_ci, verdict, reason,
                        samples={"share": share_b, **boot})


# -- running the evaluations -------------------------------------------------------------------------------------------
SCRIPTED_PREFIX = "scripted/"


def is_scripted(model: str) -> bool:
    return isinstance(model, str) and model.startswith(SCRIPTED_PREFIX)


def _format_task(rows: list[tuple[str, Item, str, list]]):
    """One inspect Task over every (evaluation, item, format) of a run: generate, then score the answer."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, accuracy, scorer
    from inspect_ai.solver import generate

    @scorer(metrics=[accuracy()])
    def format_answer():
        async def score(state, target):
            text = state.output.completion
            ok = score_answer(state.metadata["eval"], text, target.text, state.metadata["format"])
            return Score(value=CORRECT if ok else INCORRECT, answer=text[-200:])

        return score

    samples = [Sample(id=f"{name}/{fmt}/{item.id}", input=msgs, target=item.target,
                      metadata={"eval": name, "format": fmt}) for name, item, fmt, msgs in rows]
    return Task(dataset=MemoryDataset(samples, name="proctor-tax-formats"), solver=generate(), scorer=format_answer(),
                name="proctor_tax_formats")


def _paraphrase(data: dict, cfg, log_dir: Path, *, allow_failures: bool, progress=None) -> tuple[dict, dict]:
    """({item id: its question reworded by cfg.paraphraser, or its own when the rewording is not used}, counts)."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import ChatMessageUser
    from inspect_ai.solver import generate

    from proctor.llm.mock import scripted_model
    from proctor.llm.run import check_run, generate_config, run_task

    items = {item.id: (name, item) for name, (its, _) in data.items() for item in its}
    samples = [Sample(id=i, input=[ChatMessageUser(content=PARAPHRASE[name].replace("{question}", item.question))])
               for i, (name, item) in items.items()]
    task = Task(dataset=MemoryDataset(samples, name="proctor-tax-paraphrase"), solver=generate(),
                name="proctor_tax_paraphrase")
    model = cfg.paraphraser
    scripted = is_scripted(model)
    model_obj = scripted_model(scripted_reply("paraphraser", {}), name="scripted-paraphraser") if scripted else model
    fingerprint = hashlib.sha256(json.dumps({"paraphraser": model, "items": sorted(items), "seed": cfg.seed,
                                             "version": 1}, sort_keys=True).encode()).hexdigest()
    if progress is not None:
        progress(f"paraphraser: {model}: {len(samples)} questions")
    run = run_task(task, {}, model=model_obj, log_dir=log_dir,
                   config=generate_config(max_tokens=max(256, cfg.max_tokens), temperature=0.0),
                   fingerprint=None if scripted else fingerprint)
    check_run(run, f"paraphraser {model}", allow_failures=allow_failures)
    text = {s.id: s.output.completion for s in run.samples if s.error is None and s.output is not None}
    out, kept = {}, 0
    for i, (name, item) in items.items():
        para = accept_paraphrase(name, item.question, text.get(i))
        kept += para is None
        out[i] = item.question if para is None else para
    return out, {"paraphraser": model, "reworded": len(items) - kept, "kept_own_wording": kept,
                 "log": run.location}


def run_llm(models: dict[str, str], evals: list[str], cfg, log_dir: Path, *, allow_failures: bool = False,
            progress=None) -> tuple[dict, dict, dict | None]:
    """Ask every item of `evals` in every format of `cfg` of each model (`models`: 'base' / 'aligned' -> an inspect
    model id, or scripted/KIND) through inspect-ai. Returns (correct[eval][model][format] 0/1 arrays, log paths, the
    paraphrase counts or None)."""
    from dataclasses import replace

    from proctor.llm.mock import scripted_model
    from proctor.llm.run import check_run, generate_config, run_task

    data = {name: load_items(name, cfg.limit, cfg.shots, cfg.seed) for name in evals}
    para, para_info = ({}, None)
    if "paraphrase" in cfg.formats:
        para, para_info = _paraphrase(data, cfg, log_dir, allow_failures=allow_failures, progress=progress)

    def render(name, item, fmt, shots):
        if fmt == "paraphrase":  # the deployment format, on the reworded item
            return messages(name, replace(item, question=para[item.id]), "chat", shots)
        return messages(name, item, fmt, shots)

    rows = [(name, item, fmt, render(name, item, fmt, shots)) for name, (items, shots) in data.items()
            for fmt in cfg.formats for item in items]
    answers = {item.question: item.target for items, _ in data.values() for item in items}
    config = generate_config(max_tokens=cfg.max_tokens, temperature=0.0)
    correct: dict = {name: {} for name in evals}
    logs = {}
    for role, model in models.items():
        if is_scripted(model):
            model_obj = scripted_model(scripted_reply(model[len(SCRIPTED_PREFIX):], answers),
                                       name=model.replace("/", "-"))
        else:
            model_obj = model
        key = {"model": model, "evals": evals, "formats": cfg.formats, "limit": cfg.limit, "shots": cfg.shots,
               "max_tokens": cfg.max_tokens, "seed": cfg.seed, "version": 1}
        if para_info is not None:
            key["paraphrases"] = hashlib.sha256(json.dumps(para, sort_keys=True).encode()).hexdigest()
        fingerprint = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        if progress is not None:
            progress(f"{role}: {model}: {len(rows)} samples")
        run = run_task(_format_task(rows), {}, model=model_obj, log_dir=log_dir, config=config,
                       fingerprint=None if is_scripted(model) else fingerprint)
        check_run(run, f"{role} model {model}", allow_failures=allow_failures)
        got = {s.id: next(iter(s.scores.values())).value == "C" for s in run.samples
               if s.error is None and s.scores}
        logs[role] = run.location
        for name, (items, _) in data.items():
            correct[name][role] = {fmt: np.array([float(got.get(f"{name}/{fmt}/{it.id}", 0.0)) for it in items])
                                   for fmt in cfg.formats}
    return correct, logs, para_info


def run_encoder(models: dict[str, str], evals: list[str], cfg, *, progress=None) -> dict:
    """The retrieval stand-in: hits@1 per question for each checkpoint ('base' / 'aligned' -> `minilm`, an HF folder
    or a Hub id; NAME@k keeps the first k blocks) and each query template of `cfg.formats`."""
    from proctor.models import load_backbone
    from proctor.runs.technique import split_model

    from .evaluations import RetrievalEvaluation

    correct: dict = {name: {} for name in evals}
    ev = {name: {fmt: RetrievalEvaluation(name.partition(":")[2], n=cfg.limit, max_length=cfg.max_length,
                                          seed=cfg.seed, query_template=TEMPLATES[fmt]).prepare()
                 for fmt in cfg.formats} for name in evals}
    done: dict[str, str] = {}  # checkpoint -> the role that measured it (one checkpoint in both roles runs once)
    for role, ckpt in models.items():
        if ckpt in done:
            for name in evals:
                correct[name][role] = {f: v.copy() for f, v in correct[name][done[ckpt]].items()}
            continue
        done[ckpt] = role
        path, layers = split_model(ckpt)
        tok, model, _ = load_backbone(path, layers)
        model.eval()
        for name in evals:
            correct[name][role] = {fmt: ev[name][fmt].hits(model, tok) for fmt in cfg.formats}
            if progress is not None:
                progress(f"{role} {ckpt}: {name}: " + ", ".join(f"{f} {v.mean():.3f}"
                                                               for f, v in correct[name][role].items()))
    return correct
