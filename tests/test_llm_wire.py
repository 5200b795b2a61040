"""The wire: debates against a local HTTP server speaking OpenAI chat completions (127.0.0.1, started here).

The server stands for vLLM / llama.cpp under load. Per question it misbehaves once (HTTP 429, HTTP 500, a reply
slower than the attempt timeout (6 s against 3 s), malformed JSON) or always (HTTP 500 forever). Inspect's real `openai-api` provider
and retry loop are used (the OpenAI SDK's own retries are turned off so inspect's are the ones exercised). The run
must finish, count the dead sample as failed, and a rerun of the same command must reuse every finished sample
(from the first run's log; a sample that failed half-way re-sends only its unfinished calls, the others come from
the response cache): no request for a finished sample reaches the server again.
"""

from __future__ import annotations

import math
import re

import pytest

pytest.importorskip("inspect_ai")
pytest.importorskip("openai")

from proctor.debate.data import DebateItem
from proctor.debate.judged import run_protocol
from proctor.debate.metrics import summarize_records
from proctor.debate.protocols import ProtocolConfig
from proctor.llm import generate_config, role_model
from proctor.llm.local_server import LocalChatServer, Reply, last_user_text

TAGS = ["ok", "rate429", "err500", "slow", "malformed", "dead"]
ITEMS = [DebateItem(f"{t}", f"[{t}] Which is right?", "right answer", "wrong answer", "A short passage.")
         for t in TAGS]


# inspect-ai 0.3.285 passes a deprecated tenacity argument on every model call; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning")

@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("LOCAL_API_KEY", "test-key")


class Misbehaving:
    """First request for a tag misbehaves as the tag says; "dead" always fails; everything else answers."""

    def __init__(self):
        self.seen: set[str] = set()

    def __call__(self, body: dict) -> Reply:
        text = last_user_text(body)
        tag = re.search(r"\[(\w+)\]", text).group(1)
        first = tag not in self.seen
        self.seen.add(tag)
        if tag == "dead":
            return Reply(status=500)
        if first and tag == "rate429":
            return Reply(status=429)
        if first and tag == "err500":
            return Reply(status=500)
        if first and tag == "slow":
            return Reply(delay=6.0)
        if first and tag == "malformed":
            return Reply(raw=b'{"id": "x", "choices": [{"message": ')
        if "Debate transcript:" in text:  # the judge: position A, with log-probabilities when asked
            return Reply(content="<answer>A</answer>\n<probability>0.6</probability>",
                         logprobs=[("<answer>", -0.01, []), ("A", math.log(0.8), [("A", math.log(0.8)),
                                                                                   ("B", math.log(0.2))]),
                                   ("</answer>", -0.01, [])])
        return Reply(content="I argue with <quote>a short passage</quote>.")


def _run(server, tmp_path):
    # generous margins: a loaded CI machine must not turn a normal reply into a timeout
    cfg = generate_config(max_retries=2, attempt_timeout=3, timeout=60)
    models = {role: role_model("openai-api/local/fake", cfg, base_url=server.base_url, max_retries=0)
              for role in ("debater_a", "debater_b", "judge")}
    return run_protocol(ITEMS, ProtocolConfig("debate", rounds=0, logprobs=True), models, config=cfg,
                        log_dir=str(tmp_path / "logs"))


def test_failures_retried_or_counted_and_rerun_reuses_finished(tmp_path):
    with LocalChatServer(Misbehaving()) as server:
        recs, run = _run(server, tmp_path)
        s = summarize_records(recs)
        by_id = {r["id"]: r for r in recs}
        assert s["samples"] == 6
        assert by_id["dead"]["failed"] and by_id["ok"]["choice"] == "A"
        for tag in ("rate429", "err500", "slow"):  # retried by inspect, then answered
            assert not by_id[tag]["failed"], by_id[tag]["error"]
        # malformed JSON is either retried or counted failed; never a crash, never a guessed verdict
        assert by_id["malformed"]["failed"] or by_id["malformed"]["choice"] == "A"
        assert s["failed"] == sum(r["failed"] for r in recs) >= 1 and s["invalid"] == 0
        assert by_id["ok"]["confidence_source"] == "logprobs" and by_id["ok"]["confidence"] == pytest.approx(0.8)
        assert by_id["ok"]["turns"][0]["quotes"] == [{"text": "a short passage", "verified": True}]
        finished = {r["id"] for r in recs if not r["failed"]}
        first_requests = len(server.requests)

        server.reset_stats()
        recs2, run2 = _run(server, tmp_path)
        resent = {re.search(r"\[(\w+)\]", last_user_text(b)).group(1) for b in server.requests}
        assert not (resent & finished), f"finished samples re-sent: {resent & finished}"
        assert "dead" in resent and len(server.requests) < first_requests
        assert run2.reused == len(finished)  # finished samples came from the first run's log
        assert {r["id"] for r in recs2 if not r["failed"]} >= finished
        assert all(r["choice"] == by_id[r["id"]]["choice"] for r in recs2 if r["id"] in finished)
        assert run2.location != run.location  # each run has its own log
