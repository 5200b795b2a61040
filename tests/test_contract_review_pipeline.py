"""The contract-review example (Exercise 35.2.1) end to end against inspect's mockllm with scripted replies:
legal-constitution revision, step-by-step scoring, the TRL stepwise export, and assisted judging."""

import importlib
import json
import re
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "contract_review"
inspect_model = pytest.importorskip("inspect_ai.model")
datasets = pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def ex():
    sys.path.insert(0, str(EXAMPLE))
    try:
        yield importlib.import_module("review"), importlib.import_module("run")
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in ("review", "run"):  # generic module names: do not leak them to other tests
            sys.modules.pop(name, None)


def scripted(fn):
    """A mockllm model (proctor.llm.scripted_model, no response cache) whose reply is fn(text of the call)."""
    from proctor.llm import scripted_model

    return scripted_model(fn)


def make_reviewer(clauses):
    """Stands for the reviewer model. First draft: well-formed but sloppy (no citation, no key terms, always
    NO_ISSUE, no precedent labels). Revision after critique: a grounded review citing the right section, except
    that it wrongly flags K2-9 (a clean gross-up clause) and returns a malformed review (no precedent step) for
    K3-6."""

    def clause_of(text):
        return next(c for c in clauses if c["text"][:60] in text)

    def reply(text):
        c = clause_of(text)
        if "rewritten assistant reply" not in text:
            return ('<step name="statute">Tax law applies.</step><step name="application">The clause is fine.'
                    '</step><step name="risk">Low.</step><step name="precedent">Usual practice.</step>'
                    "<verdict>NO_ISSUE</verdict>")
        statute = ("No federal income tax provision is engaged." if c["statute"] == "none"
                   else f"IRC section {c['statute']} governs this clause.")
        verdict = "ISSUE" if c["has_issue"] or c["id"] == "K2-9" else "NO_ISSUE"
        precedent = "" if c["id"] == "K3-6" else '<step name="precedent">Established: the statute text.</step>'
        return (f'<revision><step name="statute">{statute}</step><step name="application">It turns on '
                f'{c["keywords"][0]}.</step><step name="risk">Confidence moderate.</step>{precedent}'
                f"<verdict>{verdict}</verdict></revision>")

    return reply


def critic(text):
    """Stands for the critic: always a tagged critique asking for citations."""
    return "<critique>No statute is cited and settled law is not separated from the reviewer's reading.</critique>"


def weak_judge(text):
    """Stands for a judge without tax expertise: alone it accepts every review; with notes it follows them."""
    notes = re.search(r"<assistant_notes>(.*?)</assistant_notes>", text, re.S)
    ok = not notes or "NO ERROR" in notes.group(1)
    return f"<answer>{'YES' if ok else 'NO'}</answer><probability>0.6</probability>"


def make_assistant(clauses):
    """Stands for an assistant holding the statute note: it checks the review's verdict against that note's
    conclusion (here: against the ground truth) and reports whether it found an error."""

    def reply(text):
        c = next(c for c in clauses if c["text"][:60] in text)
        verdict = re.search(r"<verdict>(\w+)</verdict>", text).group(1)
        ok = (verdict == "ISSUE") == c["has_issue"]
        return f"<notes>1. Does the section apply? yes.\n2. {'NO ERROR' if ok else 'SUSPECTED ERROR: verdict'}" \
               f"\n3. \"{c['statute_note'][:40]}\"</notes>"

    return reply


def test_pipeline_end_to_end(ex, tmp_path):
    review, run = ex
    clauses = review.load_contracts()
    assert len(clauses) == 9 and sum(c["has_issue"] for c in clauses) == 5
    s = run.run_pipeline(scripted(make_reviewer(clauses)), scripted(critic), scripted(weak_judge),
                         scripted(make_assistant(clauses)), tmp_path, rounds=1, depth=1, seed=0)
    assert s["revision"]["complete"] == 9
    assert s["reviews"] == {"invalid_initial": 0, "invalid_final": 1, "scored_initial": 9, "scored_final": 8}
    # first drafts: only the clause with no federal provision gets the statute step right; NO_ISSUE is right for 4
    assert s["step_accuracy_initial"] == pytest.approx({"statute": 1 / 9, "application": 0.0, "risk": 4 / 9,
                                                        "precedent": 0.0})
    # after revision under the legal constitution: 8 parsable reviews, one wrong verdict (K2-9)
    assert s["step_accuracy_final"] == pytest.approx({"statute": 1.0, "application": 1.0, "risk": 7 / 8,
                                                      "precedent": 1.0})
    steps = datasets.load_dataset("json", data_files=s["steps"], split="train")
    assert len(steps) == 8 and steps.column_names[:3] == ["prompt", "completions", "labels"]
    row = next(r for r in steps if r["problem_id"] == "K2-9")
    assert row["labels"] == [True, True, False, False] and row["completions"][0].startswith("statute:")
    # the judge alone accepts all 8 reviews (7 right); with the assistant's notes it catches K2-9
    l0, l1 = s["judging"]["levels"]
    assert (l0["n"], l0["accuracy"]) == (8, pytest.approx(7 / 8))
    assert (l1["n"], l1["accuracy"]) == (8, 1.0)
    assert json.loads((tmp_path / "summary.json").read_text())["stepwise_rows"] == 8


def test_parse_and_score(ex):
    review, _ = ex
    clause = review.load_contracts()[0]
    good = ('<step name="statute">IRC section 1031</step><step name="application">only real property</step>'
            '<step name="risk">high</step><step name="precedent">established since 2018</step>'
            "<verdict>ISSUE</verdict>")
    r = review.parse_review(good)
    assert review.score_steps(r, clause) == [True, True, True, True]
    assert review.parse_review(good.replace("<verdict>ISSUE</verdict>", "")) is None
    assert review.parse_review(good + '<step name="risk">again</step>') is None  # a step given twice
    # section 10310 is not section 1031
    assert review.score_steps(review.parse_review(good.replace("1031", "10310")), clause)[0] is False
    assert review.process_labels([True, False, True, True]) == [True, False, False, False]


def test_one_command_needs_a_model(ex, capsys):
    _, run = ex
    with pytest.raises(SystemExit) as e:
        run.main([])
    assert e.value.code == 2 and "no model" in capsys.readouterr().err
