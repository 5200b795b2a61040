"""Debate data loaders (QuALITY v1.0.1, the older QuALITY layout, generic multiple choice), quote verification edge
cases, Elo on hand-computed tournaments, TRL export, the `proctor debate` CLI, the inspect entry points and the
suite plug-in.

Model replies in the CLI / suite tests come from inspect's mockllm/model with its default reply (a model that never
answers in the required format): every verdict must be counted invalid, nothing guessed.
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.debate.data import items_from_rows, load_items
from proctor.debate.elo import ELO_SCALE, elo_ratings, fit_bradley_terry, games_from_records
from proctor.debate.quotes import QuoteChecker, normalize, verify_quotes
from proctor.errors import DataError

PASSAGE = "\u201cDon\u2019t stop\u2014now!\u201d she cried.  The  ship's hull groaned; then silence. He said no."


# inspect-ai 0.3.285 passes a deprecated tenacity argument on every model call; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning")

@pytest.fixture(autouse=True)
def _own_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("PROCTOR_RUNS", str(tmp_path / "runs"))


# -- quotes -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("quote,ok", [
    ("Don't stop - now!", True),             # straight vs curly quotes, dash vs em dash
    ("DON'T STOP NOW", True),                # case and punctuation
    ("the ship's   hull\ngroaned", True),    # white space runs and line breaks
    ("hull groaned, then silence.", True),   # ';' vs ','
    ("the ship hull groaned", False),        # a dropped apostrophe-s changes a word
    ("the ship's hull creaked", False),      # one changed word
    ("he said yes", False),
    ("e said no", False),                    # not on word boundaries
    ("", False), ("  ...  ", False),         # empty after normalisation
])
def test_quote_verification(quote, ok):
    assert QuoteChecker(PASSAGE).verify(quote) is ok


def test_quote_marking_and_listing():
    text = "See <quote>don't stop, now</quote> and <QUOTE>she laughed</QUOTE> and <quote>unclosed"
    qs = verify_quotes(text, PASSAGE)
    assert [(q.text, q.verified) for q in qs] == [("don't stop, now", True), ("she laughed", False)]
    marked = QuoteChecker(PASSAGE).mark(text)
    assert "<v_quote>don't stop, now</v_quote>" in marked and "<u_quote>she laughed</u_quote>" in marked
    assert marked.endswith("<quote>unclosed")  # an unclosed tag is not a quote
    assert normalize("\uff21\u00a0b") == "a b"  # NFKC folds full-width letters and no-break spaces


# -- Elo ------------------------------------------------------------------------------------------------------------
def test_bradley_terry_two_players_hand_computed():
    games = [("x", "y")] * 3 + [("y", "x")]
    s = fit_bradley_terry(games, ridge=0.0)
    assert s["x"] - s["y"] == pytest.approx(math.log(3), abs=1e-5)  # MLE: sigma(d) = 3/4
    elo = elo_ratings(games, n_boot=50, ridge=0.0)
    assert elo["x"]["elo"] - elo["y"]["elo"] == pytest.approx(400 * math.log10(3), abs=1e-3)  # 190.8
    assert elo["x"]["elo"] + elo["y"]["elo"] == pytest.approx(2000)
    assert elo["x"]["wins"] == 3 and elo["x"]["games"] == 4


def test_bradley_terry_three_players_transitive():
    # x beats y 2:1, y beats z 2:1, x beats z 4:1 -> the MLE satisfies the score equations; check them
    games = [("x", "y")] * 2 + [("y", "x")] + [("y", "z")] * 2 + [("z", "y")] + [("x", "z")] * 4 + [("z", "x")]
    s = fit_bradley_terry(games, ridge=0.0)
    sig = lambda d: 1 / (1 + math.exp(-d))
    expected_wins_x = 3 * sig(s["x"] - s["y"]) + 5 * sig(s["x"] - s["z"])
    assert expected_wins_x == pytest.approx(6, abs=1e-4)  # x won 6 games
    expected_wins_z = 3 * sig(s["z"] - s["y"]) + 5 * sig(s["z"] - s["x"])
    assert expected_wins_z == pytest.approx(2, abs=1e-4)
    assert s["x"] > s["y"] > s["z"]
    r = elo_ratings(games, n_boot=200, seed=0)
    assert r["x"]["lo"] < r["x"]["elo"] < r["x"]["hi"]


def test_unbeaten_player_stays_finite_and_games_from_records():
    s = fit_bradley_terry([("x", "y")] * 3)
    assert math.isfinite(s["x"]) and s["x"] > 2
    recs = [{"choice": "A"}, {"choice": "B"}, {"choice": None}, {"choice": "A", "failed": True}]
    assert games_from_records(recs, "p", "q") == [("p", "q"), ("q", "p")]
    assert ELO_SCALE == pytest.approx(173.7178, abs=1e-4)


# -- data -----------------------------------------------------------------------------------------------------------
def test_quality_old_layout_fixture(data_dir):
    items = load_items("quality_example")
    assert len(items) == 5  # the fixture holds the article twice: duplicates dropped
    q1 = items[0]
    assert q1.correct.startswith("Because Deirdre has fallen in love")  # gold label 2
    assert q1.distractor.startswith("Because Blake is acting like he's her father")  # eval3s votes [3, 3, 1]
    assert "<p>" not in q1.passage and "THE GIRL IN HIS MIND" in q1.passage


def test_quality_v1_layout(tmp_path):
    row = {"article_id": "1", "set_unique_id": "1_X", "title": "T", "article": "Once upon a time.",
           "questions": [{"question": "Q?", "options": ["w1", "right", "w3", "w4"], "gold_label": 2,
                          "question_unique_id": "1_X_1",
                          "validation": [{"untimed_best_distractor": 4}, {"untimed_best_distractor": 3},
                                         {"untimed_best_distractor": 4}, {"untimed_best_distractor": 2}]},
                         {"question": "Q2?", "options": ["a", "b"], "gold_label": 1, "validation": []}]}
    path = tmp_path / "QuALITY.v1.0.1.htmlstripped.dev"  # QuALITY's own file name: JSONL without an extension
    path.write_text(json.dumps(row) + "\n")
    items = load_items(str(path))
    assert [(i.id, i.correct, i.distractor) for i in items] == [("1_X_1", "right", "w4"), ("1_X_2", "a", "b")]


def test_generic_multiple_choice_and_errors(tmp_path):
    rows = [{"question": "2+2?", "choices": ["3", "4", "5"], "answer": 1},
            {"question": "Capital?", "choices": ["Rome", "Paris"], "answer": "B", "passage": "Paris is..."},
            {"question": "Color?", "choices": ["red", "blue", "green"], "answer": "blue", "distractor": "green"}]
    items = items_from_rows(rows, "x")
    assert [(i.correct, i.distractor) for i in items] == [("4", "3"), ("Paris", "Rome"), ("blue", "green")]
    assert items[1].passage == "Paris is..."
    p = tmp_path / "mc.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows))
    assert len(load_items(str(p), limit=2)) == 2
    with pytest.raises(DataError, match="answer"):
        items_from_rows([{"question": "q", "choices": ["a", "b"], "answer": 5}], "f.jsonl")
    with pytest.raises(DataError, match="unknown layout"):
        items_from_rows([{"text": "q"}], "f.jsonl")
    with pytest.raises(DataError, match="no such file"):
        load_items("missing_file.jsonl")


# -- TRL export ---------------------------------------------------------------------------------------------------
def test_preference_export_loads_with_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    from proctor.debate.data import DebateItem
    from proctor.debate.export import export_preferences, export_transcripts

    def turns(a_text, b_text):
        return [{"speaker": "Debater A", "side": "A", "phase": "opening", "text": a_text},
                {"speaker": "Debater B", "side": "B", "phase": "opening", "text": b_text},
                {"speaker": "Debater A", "side": "A", "phase": "round 1", "text": "still A"}]

    base = {"protocol": "debate", "question": "Q?", "answers": ["x", "y"], "failed": False, "confidence": 0.8,
            "correct_label": "A"}
    # two debates of item 1 (both orders of players p and q), one of item 2, one invalid verdict
    pq, qp = {"debater_a": "p", "debater_b": "q"}, {"debater_a": "q", "debater_b": "p"}
    recs = [base | pq | {"id": "1", "choice": "A", "turns": turns("p says x", "q says y")},
            base | qp | {"id": "1", "choice": "B", "turns": turns("q says x", "p says y")},
            base | pq | {"id": "2", "choice": "B", "turns": turns("p2", "q2")},
            base | {"id": "3", "choice": None, "turns": turns("a", "b")}]
    items = [DebateItem("1", "Q?", "x", "y", passage="The story."), DebateItem("2", "Q?", "x", "y", passage="S2.")]
    path = tmp_path / "prefs.jsonl"
    # item 1, side A: p won arguing x, q lost arguing x; side B: p won arguing y, q lost -> two pairs; item 2: none
    assert export_preferences(recs, path, items, dataset="d.jsonl") == 2
    ds = datasets.load_dataset("json", data_files=str(path), split="train")
    by_side = {r["assigned_label"]: r for r in ds}
    a, b = by_side["A"], by_side["B"]
    assert a["assigned_answer"] == "x" and a["chosen"][0]["content"] == "p says x" and \
        a["rejected"][0]["content"] == "q says x" and a["assigned_correct"] is True
    assert b["chosen"][0]["content"] == "p says y" and b["rejected"][0]["content"] == "q says y"
    assert "The story." in a["prompt"][0]["content"] and a["passage_ref"] == "d.jsonl#1"
    assert [m["role"] for m in a["chosen_messages"]] == ["assistant", "user", "assistant"]
    assert a["chosen_messages"][2]["content"] == "still A" and a["metadata"]["chosen_debater"] == "p"
    # every judged debater's side as messages (the invalid verdict gives none)
    assert export_transcripts(recs, tmp_path / "t.jsonl", items) == 6


# -- CLI, inspect entry point, suite ------------------------------------------------------------------------------
def _invoke(*args):
    return invoke("debate", *args)


def test_cli_counts_invalid_verdicts(tmp_path, data_dir):
    pytest.importorskip("inspect_ai")
    args = ("--protocol", "debate", "--debater", "mockllm/model", "--judge", "mockllm/model", "--rounds", "0",
            "--dataset", "quality_example", "--limit", "2", "--out", tmp_path / "run",
            "--export", tmp_path / "p.jsonl", "--json")
    out = last_json(_invoke(*args))
    assert out["samples"] == 2 and out["invalid"] == 2 and out["accuracy"] is None and out["exported"] == 0
    assert out["roles"]["debater_b"] == "mockllm/model" and out["failed"] == 0 and out["reused"] == 0
    assert out["log"].startswith(str(tmp_path / "run" / "inspect-logs")) and out["log"].endswith(".eval")
    assert (tmp_path / "run" / "report.html").is_file() and out["run_dir"] == str(tmp_path / "run")
    # a one-experiment suite: the same command again takes every sample from the run store
    again = last_json(_invoke(*args))
    assert again["reused"] == 2 and again["samples"] == 2 and again["invalid"] == 2


def test_cli_options_read_the_spec():
    import typer

    from proctor.cli import app

    debate = typer.main.get_command(app).commands["debate"]
    for command in (debate, debate.commands["tournament"]):
        defaults = {p.name: p.default for p in command.params}
        assert defaults["rounds"] is None and defaults["dataset"] is None  # None: the spec's default applies
    help_text = _invoke("--help").stdout
    assert "--out" in help_text and "--no-cache" in help_text and "--log-dir" not in help_text


def test_cli_user_errors(tmp_path):
    assert_user_error(_invoke("--protocol", "debate", "--judge", "mockllm/model"), "--debater")
    assert_user_error(_invoke("--protocol", "nope", "--judge", "mockllm/model"), "nope")
    assert_user_error(_invoke("--protocol", "naive", "--judge", "mockllm/model", "--dataset",
                              str(tmp_path / "none.jsonl")), "none.jsonl")
    assert_user_error(_invoke("--protocol", "naive", "--judge", "no_such_provider/x", "--dataset",
                              str(_mc(tmp_path)), "--out", tmp_path / "run"), "no_such_provider")
    assert not (tmp_path / "run").exists()  # a bad model fails before the run directory is touched
    assert_user_error(_invoke("tournament", "--debater", "a=mockllm/model", "--judge", "mockllm/model"), "two")


def _mc(tmp_path):
    p = tmp_path / "mc.jsonl"
    p.write_text(json.dumps({"question": "q", "choices": ["a", "b"], "answer": 0}) + "\n")
    return p


def test_inspect_entry_point_task(tmp_path, data_dir):
    pytest.importorskip("inspect_ai")
    from inspect_ai import eval as inspect_eval
    from inspect_ai._util.registry import registry_info

    from proctor.debate.tasks import debate, naive_judge
    from proctor.llm import scripted_model

    assert registry_info(debate).name.endswith("debate")
    logs = inspect_eval(naive_judge(limit=2), model=scripted_model(lambda p: "no verdict here"), display="none",
                        log_dir=str(tmp_path))
    assert logs[0].status == "success" and len(logs[0].samples) == 2
    assert all(math.isnan(s.scores["judge_verdict"].value) for s in logs[0].samples)  # invalid, not guessed


def test_inspect_finds_proctor_debate_through_the_entry_point():
    """What `inspect eval proctor/debate` does: load the `inspect_ai` entry point named "proctor", then look the
    task up. Run in a fresh interpreter (nothing of proctor imported before), with the entry point faked with the
    exact value the pyproject line declares."""
    pytest.importorskip("inspect_ai")
    import subprocess
    import sys

    code = """
import sys
from importlib.metadata import EntryPoint
import inspect_ai._util.entrypoints as eps
from inspect_ai._util.registry import registry_lookup
ep = EntryPoint(name="proctor", value="proctor.inspect_tasks", group="inspect_ai")
eps.entry_points = lambda group=None: [ep] if group == "inspect_ai" else []
assert "proctor.inspect_tasks" not in sys.modules
print([registry_lookup("task", "proctor/" + n) is not None
       for n in ("debate", "consultancy", "naive_judge", "expert_judge", "cai_revision", "cai_preferences",
                 "rrm_assisted")])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == str([True] * 7), out.stderr[-2000:]


def test_suite_plugin_resumes(tmp_path, data_dir):
    pytest.importorskip("inspect_ai")
    from proctor.debate.spec import DebateSpec
    from proctor.debate.technique import TECHNIQUE
    from proctor.runs.store import RunStore

    spec = DebateSpec(judge="mockllm/model", debater="mockllm/model", limit=2, rounds=0,
                      protocols=["naive", "debate"])
    TECHNIQUE.check(spec)
    seen = []
    with RunStore(tmp_path / "run") as store:
        TECHNIQUE.run(spec, store, lambda label, unit, computed: seen.append(computed))
        assert seen == [True] * 4
        seen.clear()
        TECHNIQUE.run(spec, store, lambda label, unit, computed: seen.append(computed))
        assert seen == [False] * 4  # every judged sample came from the store
        summary = TECHNIQUE.summarize(store, spec)
    assert summary["complete"] and summary["protocols"]["debate"]["invalid"] == 2
    sec = TECHNIQUE.sections(summary)[0]
    assert sec.tables and sec.samples
    rows = TECHNIQUE.scorecard(summary)
    assert rows[0].value is None and rows[0].verdict.startswith("no result")


def test_inspect_tasks_take_the_column_options(tmp_path):
    """`inspect eval proctor/expert_judge -T dataset=FILE -T question_column=...`: a table with its own column names
    is read through the same mapping as `proctor debate --question-column`; a wrong name is refused by name. The
    scripted model stands for a judge that always picks (A)."""
    pytest.importorskip("inspect_ai")
    from inspect_ai import eval as inspect_eval

    from proctor.debate.tasks import expert_judge
    from proctor.llm import scripted_model

    p = tmp_path / "own.jsonl"
    p.write_text("\n".join(json.dumps({"prompt": f"Which is {w}?", "opts": [w, "other"], "gold": 0, "ctx": f"{w}."})
                           for w in ("red", "blue")) + "\n")
    t = expert_judge(dataset=str(p), question_column="prompt", choices_column="opts", answer_column="gold",
                     passage_column="ctx")
    logs = inspect_eval(t, model=scripted_model(lambda prompt: "Answer: (A)"), display="none", log_dir=str(tmp_path))
    assert logs[0].status == "success" and len(logs[0].samples) == 2
    texts = [str(s.messages) for s in logs[0].samples]
    assert any("Which is red?" in x and "red." in x for x in texts) and any("Which is blue?" in x for x in texts)
    with pytest.raises(DataError, match="no column 'question'.*--question-column"):
        expert_judge(dataset=str(p), question_column="question", choices_column="opts", answer_column="gold")
