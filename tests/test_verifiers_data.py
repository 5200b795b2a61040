"""Loaders on the shipped rows (PRM800K, GSM8K, GSM8K model solutions), TRL rows, injected GSM8K errors, bad input."""

import json

import numpy as np
import pytest

from proctor.errors import DataError
from proctor.verifiers.perturb import annotated_results, evaluate_expression, perturb
from proctor.verifiers.steps import (
    Solution,
    load_gsm8k,
    load_gsm8k_model_solutions,
    load_prm800k,
    load_solutions,
    normalize_answer,
    write_trl_jsonl,
)

PRM_FILES = ["prm800k-phase1-train-example.json", "prm800k-phase1-test-example.json",
             "prm800k-phase2-train-example.jsonl", "prm800k-phase2-test-example.json",
             "prm800k_examples_normalized.jsonl"]


@pytest.mark.parametrize("name", PRM_FILES)
def test_prm800k_every_shipped_file(data_dir, name):
    sols = load_prm800k(data_dir / "prm800k_samples" / name)
    main = [s for s in sols if s.kind == "prm800k"]
    assert main and all(len(s.steps) == len(s.labels) > 0 for s in sols)
    row = sols[0].to_trl()
    assert set(row) >= {"prompt", "completions", "labels"} and all(isinstance(x, bool) for x in row["labels"])


def test_prm800k_first_record_by_hand(data_dir):
    # phase-1 test record: step 2 was rated -1 five times and replaced by the labeller's own step; the chosen
    # final step ("...29 cents. # Answer 29") is rated +1; the problem's ground truth is 29
    s = load_prm800k(data_dir / "prm800k_samples" / "prm800k-phase1-test-example.json")
    main = s[0]
    assert main.steps[1] == "We have $3p+e=1.24$ and $5p+e=1.82$."
    assert main.labels == [True] * 6 and main.answer == "29" and main.correct is True
    # alternatives: 5 rejected at step 2 (-1) and 4 unchosen at the last step (one neutral, three +1)
    alts = [x for x in s if x.kind == "prm800k-alternative"]
    assert len(alts) == 9
    assert [a.labels[-1] for a in alts[:5]] == [False] * 5
    assert [a.labels[-1] for a in alts[5:]] == [True] * 4  # neutral counts as good by default
    strict = load_prm800k(data_dir / "prm800k_samples" / "prm800k-phase1-test-example.json", neutral="bad")
    assert [a.labels[-1] for a in strict if a.kind == "prm800k-alternative"][5:] == [False, True, True, True]


def test_prm800k_phase2_stops_at_found_error(data_dir):
    rows = [json.loads(x) for x in (data_dir / "prm800k_samples" / "prm800k_examples_normalized.jsonl").open()]
    sols = load_prm800k(data_dir / "prm800k_samples" / "prm800k_examples_normalized.jsonl", alternatives=False)
    assert len(sols) == len(rows) == 14
    for row, s in zip(rows, sols):
        if row["label"]["finish_reason"] == "found_error":
            # the chosen path ends before the step whose alternatives were all rated, or at a -1 step
            assert s.answer is None or s.labels[-1] is False or len(s.steps) < len(row["label"]["steps"])


def test_gsm8k_reference_steps(data_dir):
    sols = load_gsm8k(data_dir / "gsm8k" / "test.jsonl")
    assert len(sols) == 1319
    s = sols[0]
    assert s.steps == ["Janet sells 16 - 3 - 4 = 9 duck eggs a day.",
                       "She makes 9 * 2 = $18 every day at the farmer\u2019s market.", "The answer is 18."]
    assert s.answer == "18" and s.correct and s.labels == [True, True, True]
    assert len(load_gsm8k(data_dir / "gsm8k" / "test_socratic.jsonl")) == 1319


def test_gsm8k_model_solutions(data_dir):
    sols = load_gsm8k_model_solutions(data_dir / "gsm8k" / "example_model_solutions.jsonl")
    assert len(sols) == 4 * 1319 and all(s.labels is None for s in sols)
    first = sols[:4]
    assert [s.correct for s in first] == [False, False, False, True]
    assert first[3].answer == "18" and first[0].answer == "26"
    # the outcome label agrees with the stated answer vs the key on the shipped rows
    agree = np.mean([(normalize_answer(s.answer) == normalize_answer(s.extra["truth"])) == s.correct for s in sols])
    assert agree > 0.99


def test_injected_gsm8k_errors_are_really_wrong(data_dir):
    rng = np.random.default_rng(0)
    refs = load_gsm8k(data_dir / "gsm8k" / "train.jsonl")[:150]
    made = 0
    for ref in refs:
        for kind in ("error", "hack", "wrong_final"):
            s = perturb(ref, kind, rng)
            if s is None:
                continue
            made += 1
            k = s.first_error
            assert k >= 0
            if kind == "wrong_final":
                assert k == len(s.steps) - 1 and not s.correct
                continue
            # the first labelled-wrong step: its written result disagrees with its own expression
            assert any(v != w for v, w in annotated_results(s.extra["raw_steps"][k]))
            assert all(v == pytest.approx(w) for j in range(k) for v, w in annotated_results(s.extra["raw_steps"][j]))
            assert s.correct == (kind == "hack")
    assert made > 300
    assert evaluate_expression("2*(3+4)/7") == 2.0
    with pytest.raises(ValueError):
        evaluate_expression("__import__('os')")


def test_trl_round_trip_and_auto_format(tmp_path, data_dir):
    sols = load_gsm8k(data_dir / "gsm8k" / "test.jsonl")[:5]
    path = tmp_path / "rows.jsonl"
    assert write_trl_jsonl(sols, path) == 5
    back = load_solutions(path)
    assert [b.steps for b in back] == [s.steps for s in sols] and back[0].labels == [True, True, True]
    assert load_solutions(data_dir / "gsm8k" / "test.jsonl")[0].answer == "18"
    assert load_solutions(data_dir / "prm800k_samples" / "prm800k-phase1-test-example.json")[0].answer == "29"


def test_missing_column_names_file_and_column(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "2+2?"}) + "\n")
    with pytest.raises(DataError, match=r"bad\.jsonl: row 1: missing column 'answer'"):
        load_gsm8k(bad)
    prm = tmp_path / "prm.jsonl"
    prm.write_text(json.dumps({"question": {"ground_truth_answer": "1"}, "label": {"steps": []}}) + "\n")
    with pytest.raises(DataError, match=r"prm\.jsonl: row 1: missing column 'question.problem'"):
        load_prm800k(prm)
    trl = tmp_path / "trl.jsonl"
    trl.write_text(json.dumps({"prompt": "p", "completions": ["a", "b"], "labels": [True]}) + "\n")
    with pytest.raises(DataError, match="'labels' has 1 entries for 2"):
        load_solutions(trl)
    nocomp = tmp_path / "nocomp.jsonl"
    nocomp.write_text(json.dumps({"prompt": "x", "labels": [True]}) + "\n")
    with pytest.raises(DataError, match=r"nocomp\.jsonl: missing column 'completions'"):
        load_solutions(nocomp)
    with pytest.raises(DataError, match=r"f\.jsonl: row 1: missing column 'completions'"):
        Solution.from_trl({"prompt": "x"}, "f.jsonl: row 1")
