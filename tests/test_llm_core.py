"""proctor.llm: strict parsers, confidence from log-probabilities, prompts, TRL export, statistics, run_task.

Model replies are faked with inspect's mockllm/model (a scripted stand-in for a real judge); everything else
(roles, cache, logs) is inspect's real code.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("inspect_ai")

from proctor.errors import ConfigError
from proctor.llm import (
    PromptTemplates,
    confidence_from_logprobs,
    expected_calibration_error,
    generate_config,
    judge_confidence,
    messages_row,
    parse_choice,
    parse_probability,
    preference_row,
    reliability_bins,
    run_task,
    scripted_model,
    write_jsonl,
)

# inspect-ai 0.3.285 passes a deprecated tenacity argument on every model call; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning")

@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "logs"))  # never ./logs in the repository


@pytest.mark.parametrize("reply,expected", [
    ("I think so.\n<answer>A</answer>\n<probability>0.7</probability>", "A"),
    ("<answer> b </answer>", "B"),
    ("<ANSWER>A</ANSWER>", "A"),
    ("Answer: A", None),                           # not the format asked for
    ("<answer>A</answer> ... <answer>B</answer>", None),  # two verdicts
    ("<answer>A</answer> ... <answer>A</answer>", None),  # repeated tag is still not one verdict
    ("<answer>C</answer>", None),                  # not a label
    ("<answer>A or B</answer>", None),
    ("", None), (None, None),
])
def test_parse_choice_is_strict(reply, expected):
    assert parse_choice(reply) == expected


def test_parse_choice_other_labels():
    assert parse_choice("<answer>c</answer>", labels=("A", "B", "C")) == "C"


@pytest.mark.parametrize("reply,expected", [
    ("<probability>0.8</probability>", 0.8), ("<probability> 1 </probability>", 1.0),
    ("<probability>75%</probability>", 0.75), ("<probability>.5</probability>", 0.5),
    ("<probability>1.2</probability>", None), ("<probability>120%</probability>", None),
    ("<probability>-0.1</probability>", None), ("<probability>high</probability>", None),
    ("<probability>0.6</probability><probability>0.7</probability>", None), ("probability 0.8", None),
])
def test_parse_probability_is_strict(reply, expected):
    got = parse_probability(reply)
    assert got == pytest.approx(expected) if expected is not None else got is None


def _lp(token, logprob, top=()):
    from inspect_ai.model import Logprob, TopLogprob

    return Logprob(token=token, logprob=logprob, top_logprobs=[TopLogprob(token=t, logprob=l) for t, l in top])


def test_confidence_from_logprobs_renormalises_over_labels():
    # p(A)=0.6, p(B)=0.2, p(" the")=0.2 at the verdict position -> 0.6 / 0.8
    items = [_lp("<answer>", -0.1), _lp("A", math.log(0.6), [("A", math.log(0.6)), ("B", math.log(0.2)),
                                                            (" the", math.log(0.2))]), _lp("</answer>", -0.01)]
    assert confidence_from_logprobs(items, "A") == pytest.approx(0.75)
    assert confidence_from_logprobs(items, "B") is None  # disagrees with the token: no invented confidence
    only = [_lp("<", -0.1), _lp("answer>", -0.1), _lp("B", math.log(0.9))]
    assert confidence_from_logprobs(only, "B") == pytest.approx(0.9)


def test_judge_confidence_prefers_logprobs_then_stated():
    from inspect_ai.model import ChatCompletionChoice, ChatMessageAssistant, Logprobs, ModelOutput

    text = "<answer>A</answer>\n<probability>0.9</probability>"
    stated = ModelOutput.from_content(model="m", content=text)
    assert judge_confidence(stated, "A") == (pytest.approx(0.9), "stated")
    lps = Logprobs(content=[_lp("<answer>", -0.1), _lp("A", math.log(0.5), [("A", math.log(0.5)),
                                                                              ("B", math.log(0.5))])])
    out = ModelOutput(model="m", choices=[ChatCompletionChoice(message=ChatMessageAssistant(content=text),
                                                               logprobs=lps)])
    assert judge_confidence(out, "A") == (pytest.approx(0.5), "logprobs")
    assert judge_confidence(stated, None) == (None, "none")


def test_prompt_templates_override_and_strict(tmp_path):
    t = PromptTemplates("proctor.debate")
    assert "judge_debate" in t.names()
    (tmp_path / "judge_naive.jinja").write_text("Q: {{ question }}")
    over = PromptTemplates("proctor.debate", override=tmp_path)
    assert over.render("judge_naive", question="why?") == "Q: why?"
    with pytest.raises(ConfigError, match="judge_naive"):
        over.render("judge_naive")  # missing variable names the file
    with pytest.raises(ConfigError):
        PromptTemplates("proctor.debate", override=tmp_path / "nope")


def test_trl_rows_load_with_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = [preference_row("Which is right?", "A because...", "B because...", metadata={"id": "1"}),
            preference_row([{"role": "system", "content": "s"}, {"role": "user", "content": "q"}], "c", "r",
                           metadata={"id": "2"})]
    path = tmp_path / "pref.jsonl"
    assert write_jsonl(rows, path) == 2
    ds = datasets.load_dataset("json", data_files=str(path), split="train")
    assert set(ds.column_names) >= {"prompt", "chosen", "rejected"}
    assert ds[0]["chosen"] == [{"role": "assistant", "content": "A because..."}]
    sft = tmp_path / "sft.jsonl"
    write_jsonl([messages_row([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])], sft)
    assert datasets.load_dataset("json", data_files=str(sft), split="train")[0]["messages"][1]["content"] == "a"


def test_calibration_hand_computed():
    # two bins: conf 0.95 (acc 1/2) and 0.65 (acc 1/1): ECE = 0.5*|0.5-0.95| + 0.5*|1-0.65| = 0.225+0.175 = 0.4
    conf, corr = [0.95, 0.95, 0.65, 0.65], [1, 0, 1, 1]
    assert expected_calibration_error(conf, corr) == pytest.approx(0.4)
    assert [b["n"] for b in reliability_bins(conf, corr)] == [2, 2]
    assert reliability_bins([1.0], [1])[0]["lo"] == 0.9  # 1.0 falls in the last (closed) bin


def _echo_task():
    from inspect_ai import Task
    from inspect_ai.dataset import Sample
    from inspect_ai.model import get_model
    from inspect_ai.scorer import Score, accuracy, scorer
    from inspect_ai.solver import solver

    @solver
    def ask_judge():
        async def solve(state, generate):
            out = await get_model(role="judge").generate(state.input_text)
            state.output = out
            return state
        return solve

    @scorer(metrics=[accuracy()])
    def verdict():
        async def score(state, target):
            c = parse_choice(state.output.completion)
            return Score(value=float(c == target.text) if c else 0.0, answer=c)
        return score

    return Task(dataset=[Sample(input=f"question {i}", target="A", id=i) for i in range(4)],
                solver=ask_judge(), scorer=verdict())


def test_run_task_roles_cache_and_failures(tmp_path):
    calls = []

    def judge(prompt):
        calls.append(prompt)
        if "question 3" in prompt:
            raise RuntimeError("provider exploded")  # a call that keeps failing: the sample fails, the run goes on
        return "<answer>A</answer>" if "question 0" in prompt else "no verdict"

    from inspect_ai.model import GenerateConfig

    cfg = generate_config(max_retries=0)
    model = scripted_model(judge, config=cfg)
    r = run_task(_echo_task(), {"judge": model}, log_dir=tmp_path / "logs")
    assert r.failed == 1 and len(r.samples) == 4 and len(r.finished) == 3
    assert r.location.endswith(".eval")
    answers = sorted(str(s.scores["verdict"].answer) for s in r.finished)
    assert answers == ["A", "None", "None"]
    n_first = len(calls)
    r2 = run_task(_echo_task(), {"judge": scripted_model(judge, config=cfg)}, log_dir=tmp_path / "logs")
    # the three finished calls come from the cache; only the failed sample's call is sent again
    assert len(calls) - n_first == 1 and r2.failed == 1
    assert isinstance(GenerateConfig(), type(cfg))


def test_role_model_bad_name():
    from proctor.errors import ModelError

    with pytest.raises(ConfigError):
        run_task(_echo_task(), {"judge": "nonsense"})
    with pytest.raises(ModelError):
        run_task(_echo_task(), {"judge": "nosuchprovider/x"})


def test_run_task_reuses_finished_samples_from_logs(tmp_path):
    calls = []

    def judge(prompt):
        calls.append(prompt)
        if "question 3" in prompt and len([c for c in calls if "question 3" in c]) == 1:
            raise RuntimeError("first attempt at question 3 fails")
        return "<answer>A</answer>"

    cfg = generate_config(max_retries=0, cache=False)  # no response cache: only the logs can spare the calls
    logs = tmp_path / "logs"
    r1 = run_task(_echo_task(), {"judge": scripted_model(judge, config=cfg)}, log_dir=logs, fingerprint="fp1")
    assert r1.failed == 1 and r1.reused == 0 and len(calls) == 4
    r2 = run_task(_echo_task(), {"judge": scripted_model(judge, config=cfg)}, log_dir=logs, fingerprint="fp1")
    assert r2.reused == 3 and r2.failed == 0 and len(calls) == 5  # only the failed sample ran again
    assert sorted(s.id for s in r2.samples) == [0, 1, 2, 3]
    r3 = run_task(_echo_task(), {"judge": scripted_model(judge, config=cfg)}, log_dir=logs, fingerprint="fp1")
    assert r3.reused == 4 and len(calls) == 5 and r3.location  # all finished: nothing runs, no new log
    r4 = run_task(_echo_task(), {"judge": scripted_model(judge, config=cfg)}, log_dir=logs, fingerprint="other")
    assert r4.reused == 0 and len(calls) == 9  # another fingerprint (other settings) reuses nothing
