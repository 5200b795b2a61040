"""Live consultancy: the judge questions a consultant (inspect's model API; the offline `scripted/model`) while
judging; min / max questions enforced; the exchange is stored turn by turn and resumes after a restart."""

from __future__ import annotations

import pytest
from conftest import invoke, last_json

pytest.importorskip("inspect_ai")
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning")


@pytest.fixture
def live_study(tmp_path, data_dir):
    d = tmp_path / "live"
    last_json(invoke("study", "init", d, "--live", "scripted/model", "--judges", "2", "--judges-per-item", "1",
                     "--min-turns", "1", "--max-turns", "2", "--json"))
    return d


def _client(d):
    from starlette.testclient import TestClient

    from proctor.study.app import make_app
    from proctor.study.study import open_db

    db = open_db(d)
    return db, TestClient(make_app(d, db), base_url="http://127.0.0.1")


def test_live_consultancy_answers_questions_and_resumes(live_study):
    db, c = _client(live_study)
    (judge, token), = db.invite(1)
    auth = {"Authorization": f"Bearer {token}"}
    view = c.get("/api/next", headers=auth).json()
    assert view["protocol"] == "consultancy_live" and "live" in view and view["live"]["asked"] == 0
    opening = view["turns"][0]
    assert opening["speaker"] == "Consultant" and opening["for"] in ("A", "B")
    assert any(s["quote"] == "verified" for s in opening["segments"])  # the scripted consultant quotes the story
    assert "story" not in str(view.keys())  # the judge never gets the story
    item = view["item"]
    early = c.post("/api/judgments", json={"item": item, "p_a": 0.6, "explanation": ""}, headers=auth)
    assert early.status_code == 409 and "at least 1 question" in early.json()["error"]
    r = c.post("/api/ask", json={"item": item, "question": "Where in the story does it say so?"}, headers=auth)
    assert r.status_code == 201, r.text
    turns = r.json()["turns"]
    assert [t["speaker"] for t in turns] == ["Consultant", "Judge", "Consultant"]
    # restart mid-exchange: a question stored without its answer (the server died during the model call)
    db.add_turn(judge, item, 3, "Judge", "And the other answer?", [{"text": "And the other answer?", "quote": None}])
    db.close()
    db, c = _client(live_study)
    view = c.get("/api/next", headers=auth).json()
    assert [t["speaker"] for t in view["turns"]] == ["Consultant", "Judge", "Consultant", "Judge", "Consultant"]
    assert view["live"]["asked"] == 2
    r = c.post("/api/ask", json={"item": item, "question": "one more?"}, headers=auth)
    assert r.status_code == 409 and "at most 2" in r.json()["error"]
    assert c.post("/api/judgments", json={"item": item, "p_a": 0.6, "explanation": "asked"},
                  headers=auth).status_code == 201
    rows = db.rows()
    assert rows[0]["questions_asked"] == 2
    db.close()


def test_assisted_evaluation_items(tmp_path, data_dir):
    """RRM for people: the same GSM8K solutions with and without the assistant's notes, a question once per judge;
    results compare assisted with unassisted judges on the scorecard."""
    d = tmp_path / "rrm"
    out = last_json(invoke("study", "init", d, "--assisted", "scripted/model", "--assisted-n", "4", "--judges", "2",
                           "--judges-per-item", "1", "--json"))
    assert out["protocols"] == {"unassisted": 4, "assisted": 4} and out["questions"] == 4
    db, c = _client(d)
    auth = [{"Authorization": f"Bearer {t}"} for _, t in db.invite(2)]
    seen = {}
    for a in auth:
        while (r := c.get("/api/next", headers=a)).status_code == 200:
            v = r.json()
            speakers = [t["speaker"] for t in v["turns"]]
            assert speakers == (["Model's answer", "Assistant's notes"] if v["protocol"] == "assisted"
                                else ["Model's answer"])
            seen.setdefault(v["item"].split("/", 1)[1], set()).add(v["protocol"])
            assert c.post("/api/judgments", json={"item": v["item"], "p_a": 0.9, "explanation": ""},
                          headers=a).status_code == 201
    assert all(p == {"assisted", "unassisted"} for p in seen.values())
    db.close()
    res = last_json(invoke("study", "results", d, "--json"))
    assert res["assisted_minus_unassisted"]["n"] == [4, 4]


def test_live_debate_both_debaters_answer_and_resume(tmp_path, data_dir):
    """Live debate: two debaters (inspect models; scripted offline) open, then both answer each of the judge's
    questions; min / max questions as for consultancy; a round cut off by a restart is completed, not redone."""
    d = tmp_path / "debate"
    out = last_json(invoke("study", "init", d, "--live", "scripted/model", "--live-protocol", "debate", "--judges", "2",
                           "--judges-per-item", "1", "--min-turns", "1", "--max-turns", "2", "--json"))
    assert set(out["protocols"]) == {"debate_live"}
    db, c = _client(d)
    (judge, token), = db.invite(1)
    auth = {"Authorization": f"Bearer {token}"}
    view = c.get("/api/next", headers=auth).json()
    assert view["protocol"] == "debate_live" and view["live"]["ask"] == "the debaters" and view["live"]["asked"] == 0
    assert [(t["speaker"], t["for"]) for t in view["turns"]] == [("Debater A", "A"), ("Debater B", "B")]
    for t, answer in zip(view["turns"], view["answers"]):  # each argues for the answer shown at its position
        text = "".join(s["text"] for s in t["segments"])
        assert f'"{answer}"' in text and any(s["quote"] == "verified" for s in t["segments"])
    item = view["item"]
    early = c.post("/api/judgments", json={"item": item, "p_a": 0.6, "explanation": ""}, headers=auth)
    assert early.status_code == 409 and "ask the debaters at least 1" in early.json()["error"]
    r = c.post("/api/ask", json={"item": item, "question": "Which sentence settles it?"}, headers=auth)
    assert r.status_code == 201, r.text
    assert [t["speaker"] for t in r.json()["turns"]] == ["Debater A", "Debater B", "Judge", "Debater A", "Debater B"]
    assert "My opponent's answer" in "".join(s["text"] for s in r.json()["turns"][3]["segments"])  # a reply round
    # restart mid-round: the judge's second question and Debater A's answer stored, Debater B's not yet
    db.add_turn(judge, item, 5, "Judge", "And the other answer?", [{"text": "And the other answer?", "quote": None}])
    db.add_turn(judge, item, 6, "Debater A", "kept as stored", [{"text": "kept as stored", "quote": None}])
    db.close()
    db, c = _client(d)
    view = c.get("/api/next", headers=auth).json()
    assert [t["speaker"] for t in view["turns"]] == ["Debater A", "Debater B", "Judge", "Debater A", "Debater B",
                                                     "Judge", "Debater A", "Debater B"]
    assert view["turns"][6]["segments"][0]["text"] == "kept as stored" and view["live"]["asked"] == 2
    r = c.post("/api/ask", json={"item": item, "question": "one more?"}, headers=auth)
    assert r.status_code == 409 and "at most 2" in r.json()["error"]
    assert c.post("/api/judgments", json={"item": item, "p_a": 0.6, "explanation": "asked"},
                  headers=auth).status_code == 201
    assert db.rows()[0]["questions_asked"] == 2
    db.close()
    res = last_json(invoke("study", "results", d, "--json"))
    assert res["protocols"]["debate_live"]["n"] == 1


def test_live_consultancy_and_debate_on_the_same_questions(tmp_path, data_dir):
    """`--live-protocol` repeated: each question live under both protocols, seen by a judge at most once."""
    d = tmp_path / "both"
    out = last_json(invoke("study", "init", d, "--live", "scripted/model", "--live-protocol", "debate",
                           "--live-protocol", "consultancy", "--judges", "2", "--judges-per-item", "1", "--json"))
    assert set(out["protocols"]) == {"consultancy_live", "debate_live"}
    assert out["protocols"]["consultancy_live"] == out["protocols"]["debate_live"] == out["questions"]


def test_live_debate_between_two_models_alternates_the_truth(tmp_path, data_dir, monkeypatch):
    """`--live-opponent`: two different debater models take the correct answer on alternate questions, each debater
    is played by its own model, and `study results` splits debate accuracy by the model that argued the truth.
    scripted/model and scripted/other stand for two LLMs (proctor.llm.scripted)."""
    from proctor.errors import ConfigError
    from proctor.study.live import live_items

    class Q:
        def __init__(self, n):
            self.id, self.question, self.correct, self.distractor, self.passage = f"q{n}", f"Q{n}?", "yes", "no", "s"

    items = live_items([Q(n) for n in range(4)], model="scripted/model", protocol="debate", opponent="scripted/other")
    assert [it["honest_model"] for it in items] == ["scripted/model", "scripted/other"] * 2
    assert all(it["live"]["models"][0] == it["honest_model"] and len(set(it["live"]["models"])) == 2 for it in items)
    with pytest.raises(ConfigError, match="--live-opponent"):
        live_items([Q(0)], model="scripted/model", protocol="debate", opponent="nomodel")

    d = tmp_path / "two"
    out = last_json(invoke("study", "init", d, "--live", "scripted/model", "--live-protocol", "debate",
                           "--live-opponent", "scripted/other", "--judges", "1", "--judges-per-item", "1",
                           "--min-turns", "0", "--json"))
    assert set(out["protocols"]) == {"debate_live"}
    from proctor.study import live

    called = []
    real_model = live._model
    monkeypatch.setattr(live, "_model", lambda name: called.append(name) or real_model(name))
    db, c = _client(d)
    (_, token), = db.invite(1)
    auth = {"Authorization": f"Bearer {token}"}
    seen = 0
    while (r := c.get("/api/next", headers=auth)).status_code == 200:  # 204: nothing left for this judge
        view = r.json()
        assert [t["speaker"] for t in view["turns"]] == ["Debater A", "Debater B"]
        r = c.post("/api/judgments", json={"item": view["item"], "p_a": 0.7, "explanation": ""}, headers=auth)
        assert r.status_code == 201, r.text
        seen += 1
    db.close()
    assert called.count("scripted/model") == called.count("scripted/other") == seen  # one debater each
    res = last_json(invoke("study", "results", d, "--json"))
    split = res["protocols"]["debate_live"]["by_honest_model"]
    assert set(split) == {"scripted/model", "scripted/other"}
    assert sum(g["n"] for g in split.values()) == res["protocols"]["debate_live"]["n"] == seen >= 2
    assert invoke("study", "init", tmp_path / "bad", "--live", "scripted/model", "--live-opponent",
                  "scripted/other").exit_code != 0
