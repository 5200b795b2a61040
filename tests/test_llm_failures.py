"""A dead or failing endpoint is an error, never a quiet success: an LLM run in which no sample finished exits 2 with
the endpoint's error on one line; one in which some failed exits 2 counting them unless --allow-failures, which
reports the rest. Model calls have finite default retries and timeouts (inspect's own knobs). Tested against a closed
local port and against proctor.llm.local_server failing requests for one question, with short timeouts.

Also: CAI / RRM / debate files go through RunStore.subdir, so a hostile title or a planted symlink never writes
outside the run directory."""

import json
import os
import re
import socket
import time

import pytest
from conftest import invoke, last_json

pytest.importorskip("inspect_ai")
pytest.importorskip("openai")

from proctor.llm.local_server import LocalChatServer, Reply, last_user_text  # noqa: E402

# inspect-ai 0.3.285 passes a deprecated tenacity argument on every model call; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning")

FAST = ("--max-retries", "0", "--timeout", "10", "--attempt-timeout", "10")
MODEL = "openai-api/local/fake"


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LOCAL_API_KEY", "test-key")
    monkeypatch.delenv("LOCAL_BASE_URL", raising=False)


@pytest.fixture
def closed_port(monkeypatch):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: every connection is refused
    monkeypatch.setenv("LOCAL_BASE_URL", f"http://127.0.0.1:{port}/v1")
    return port


class OneDeadQuestion:
    """Answers every request with a valid verdict, except those about "[dead]" (HTTP 500) while `dead` is set."""

    def __init__(self):
        self.dead = True

    def __call__(self, body):
        if self.dead and "[dead]" in last_user_text(body):
            return Reply(status=500)
        return Reply(content="<answer>A</answer>\n<probability>0.7</probability>")


@pytest.fixture
def flaky(monkeypatch):
    reply = OneDeadQuestion()
    with LocalChatServer(reply) as server:
        monkeypatch.setenv("LOCAL_BASE_URL", server.base_url)
        yield server, reply


def _mc(tmp_path, n=3, dead=1):
    path = tmp_path / "mc.jsonl"
    path.write_text("".join(json.dumps({"question": f"Q{i}{' [dead]' if i == dead else ''}?",
                                        "choices": ["yes", "no"], "answer": 0, "passage": "A short story."}) + "\n"
                            for i in range(n)))
    return path


def _error_line(res) -> str:
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    return res.stderr.strip().splitlines()[-1]


def test_defaults_are_finite_and_documented():
    from proctor.constitution.spec import CAISpec
    from proctor.debate.spec import DebateSpec
    from proctor.llm import run
    from proctor.rrm.spec import RRMSpec

    for spec in (DebateSpec(judge="m"), CAISpec(policy="m"), RRMSpec()):
        assert (spec.max_retries, spec.timeout, spec.attempt_timeout) == (run.MAX_RETRIES, run.TIMEOUT,
                                                                          run.ATTEMPT_TIMEOUT) == (3, 600, 300)
        assert spec.allow_failures is False
    for verb in (("debate",), ("cai", "run"), ("cai", "prefer"), ("rrm", "evaluate"), ("monitor", "sycophancy")):
        text = " ".join(invoke(*verb, "--help", env={"COLUMNS": "250"}).stdout.replace("│", " ").split())
        for option in ("--max-retries", "--timeout", "--attempt-timeout", "--allow-failures"):
            assert option in text, (verb, option)
        assert re.search(r"default:? 3\b", text) and re.search(r"default:? 600\b", text), verb
    assert "--allow-failures" in invoke("run", "--help").stdout
    doc = (__import__("pathlib").Path(__file__).parents[1] / "docs" / "debate.md").read_text()
    assert "--allow-failures" in doc and "600" in doc and "--attempt-timeout" in doc


def test_debate_against_a_closed_port_exits_2_with_the_connection_error(tmp_path, closed_port):
    t0 = time.monotonic()
    res = invoke("debate", "--protocol", "naive", "--judge", MODEL, "--dataset", _mc(tmp_path), *FAST,
                 "--out", tmp_path / "run")
    line = _error_line(res)
    assert "no sample finished (3 of 3 failed)" in line and "Connection error" in line, line
    assert time.monotonic() - t0 < 120  # bounded (inspect's defaults retry forever); generous for a loaded machine


def test_debate_partial_failure_needs_allow_failures(tmp_path, flaky):
    server, reply = flaky
    args = ("debate", "--protocol", "naive", "--judge", MODEL, "--dataset", _mc(tmp_path), *FAST,
            "--out", tmp_path / "run", "--json")
    line = _error_line(invoke(*args))
    assert "1 of 3 samples failed" in line and "500" in line and "--allow-failures" in line, line
    out = last_json(invoke(*args, "--allow-failures"))
    assert (out["samples"], out["valid"], out["failed"]) == (3, 2, 1)
    # the endpoint recovers: a rerun sends only the failed question and succeeds without the flag
    reply.dead, before = False, len(server.requests)
    out = last_json(invoke(*args))
    assert (out["valid"], out["failed"]) == (3, 0)
    assert len(server.requests) - before == 1 and "[dead]" in last_user_text(server.requests[-1])


def test_suite_with_an_llm_experiment(tmp_path, flaky):
    suite = tmp_path / "suite.toml"
    suite.write_text(f'name = "llm"\n[[experiment]]\ntype = "debate"\ndataset = "{_mc(tmp_path)}"\n'
                     f'protocols = ["naive"]\njudge = "{MODEL}"\nmax_retries = 0\ntimeout = 10\n')
    line = _error_line(invoke("run", suite, "--out", tmp_path / "run"))
    assert "1 of 3 samples failed" in line, line
    out = last_json(invoke("run", suite, "--out", tmp_path / "run", "--allow-failures", "--json"))
    assert out["experiments"][0]["protocols"]["naive"]["samples"] == 2  # the stored ones; the report is written
    assert (tmp_path / "run" / "report.html").is_file()


def test_cai_stage_and_run(tmp_path, flaky):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"Question {i}{' [dead]' if i == 1 else ''}"}) + "\n"
                               for i in range(3)))
    common = ("--policy", MODEL, "--prompts", prompts, "--limit", "3", *FAST)
    line = _error_line(invoke("cai", "revise", *common, "--out", tmp_path / "out"))
    assert "cai revise: 1 of 3 samples failed" in line and "500" in line, line
    assert not (tmp_path / "out" / "chains.jsonl").exists()  # nothing half-written
    s = last_json(invoke("cai", "revise", *common, "--out", tmp_path / "out", "--allow-failures", "--json"))
    assert s["failed"] == 1 and (tmp_path / "out" / "chains.jsonl").is_file()
    line = _error_line(invoke("cai", "run", *common, "--out", tmp_path / "run"))
    assert "1 of 3 samples failed" in line, line


def test_cai_and_rrm_against_a_closed_port(tmp_path, closed_port):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "Hello?"}) + "\n")
    line = _error_line(invoke("cai", "run", "--policy", MODEL, "--prompts", prompts, "--limit", "1", *FAST,
                              "--out", tmp_path / "cai"))
    assert "no sample finished (1 of 1 failed)" in line and "Connection error" in line, line
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"question": f"{i}+{i}?", "answer": str(2 * i), "label": True}) + "\n"
                             for i in range(2)))
    line = _error_line(invoke("rrm", "evaluate", "--evaluator", MODEL, "--assistant", MODEL, "--items", items,
                              *FAST, "--out", tmp_path / "rrm"))
    assert "rrm assisted evaluation: no sample finished (2 of 2 failed)" in line and "Connection error" in line


def test_sycophancy_against_a_closed_port_and_a_flaky_one(tmp_path, closed_port, monkeypatch):
    root = os.environ.get("PROCTOR_DATA")
    if not root or not os.path.isdir(os.path.join(root, "anthropic_sycophancy_political")):
        pytest.skip("PROCTOR_DATA is not set to the shared data folder")
    args = ("monitor", "sycophancy", "--model", MODEL, "--pairs", "2", "--log-dir", tmp_path / "logs", *FAST)
    line = _error_line(invoke(*args))
    assert "no sample finished (4 of 4 failed)" in line and "Connection error" in line, line

    calls = []

    def every_third_fails(body):
        calls.append(1)
        return Reply(status=500) if len(calls) % 3 == 0 else Reply(content="(A) yes")

    with LocalChatServer(every_third_fails) as server:
        monkeypatch.setenv("LOCAL_BASE_URL", server.base_url)
        assert "1 of 4 samples failed" in _error_line(invoke(*args))
        calls.clear()
        s = last_json(invoke(*args, "--allow-failures", "--json"))
    assert s["failed"] == 1 and s["samples"] == 3
    assert s["liberal"]["answered"] + s["conservative"]["answered"] == 3  # a failure is not a missing verdict


def test_failure_reason_names_the_endpoint_error(tmp_path, closed_port):
    from proctor.debate.data import DebateItem
    from proctor.debate.judged import run_protocol
    from proctor.debate.protocols import ProtocolConfig
    from proctor.errors import ModelError
    from proctor.llm.run import check_run, failure_reason, generate_config, role_model

    cfg = generate_config(max_retries=0, timeout=10, attempt_timeout=10)
    model = role_model(MODEL, cfg)
    _, run = run_protocol([DebateItem("q", "Q?", "a", "b", "p")], ProtocolConfig("naive"), {"judge": model},
                          config=cfg, log_dir=str(tmp_path / "logs"))
    reason = failure_reason(run.samples)
    assert reason.startswith("openai.APIConnectionError: Connection error.") and "ConnectError" in reason
    assert "RetryError" not in reason and "\n" not in reason
    with pytest.raises(ModelError, match="no sample finished"):
        check_run(run, "x", allow_failures=True)


# -- files stay inside the run directory ------------------------------------------------------------------------------
def test_hostile_title_and_planted_symlinks_stay_inside_the_run_directory(tmp_path, monkeypatch):
    from proctor.constitution import experiment as cai
    from proctor.constitution.spec import CAISpec
    from proctor.errors import ProctorError
    from proctor.rrm import experiment as rrm
    from proctor.rrm.spec import RRMSpec
    from proctor.runs.spec import path_name
    from proctor.runs.store import RunStore

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "Hello?"}) + "\n")
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"question": "1+1?", "answer": "2", "label": True}) + "\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    hostile = "../../outside/../" + "x" * 5  # what a derived title could hold
    monkeypatch.setattr(CAISpec, "title", property(lambda self: hostile))
    monkeypatch.setattr(RRMSpec, "title", property(lambda self: hostile))
    run_dir = tmp_path / "runs" / "r"
    with RunStore(run_dir) as store:
        cai.run(CAISpec(policy="mockllm/model", prompts=str(prompts), limit=1), store, lambda *a: None)
        rrm.run(RRMSpec(evaluator="mockllm/model", assistant="mockllm/model", items=str(items), n=1, depth=0),
                store, lambda *a: None)
    safe = path_name(hostile)
    assert "/" not in safe and ".." not in safe
    written = {p.relative_to(run_dir).parts[:2] for p in run_dir.rglob("*.jsonl")}
    assert written == {("cai", safe), ("rrm", safe)}, written
    assert all(p.resolve().is_relative_to(run_dir.resolve()) for p in run_dir.rglob("*"))
    assert list(outside.iterdir()) == [] and not list(tmp_path.glob("x*"))

    # a folder of the run directory replaced by a symlink to somewhere else is refused, not followed
    victim = tmp_path / "victim"
    victim.mkdir()
    run2 = tmp_path / "runs" / "r2"
    run2.mkdir(parents=True)
    (run2 / "cai").symlink_to(victim, target_is_directory=True)
    monkeypatch.setattr(CAISpec, "title", property(lambda self: "cai"))
    with RunStore(run2) as store, pytest.raises(ProctorError, match="outside the run directory"):
        cai.run(CAISpec(policy="mockllm/model", prompts=str(prompts), limit=1), store, lambda *a: None)
    assert list(victim.iterdir()) == []


def test_result_files_replace_a_planted_symlink_instead_of_writing_through_it(tmp_path):
    from proctor.constitution.constitution import resolve_constitution
    from proctor.constitution.experiment import revise

    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "chains.jsonl").symlink_to(precious)
    revise([{"id": "1", "prompt": "Hello?"}], resolve_constitution("default"), "mockllm/model",
           critic="mockllm/model", out=out)
    assert precious.read_text() == "keep me"
    assert not (out / "chains.jsonl").is_symlink() and (out / "chains.jsonl").read_text()
