"""Pure math against hand-computed values: aggregation, generator labels, best-of-N, ProcessBench, hackability."""

import json
import math

import numpy as np
import pytest

from proctor.verifiers.aggregate import aggregate, aggregate_many
from proctor.verifiers.arith import CASES, OPS, STEP, Generator, check_step, make_case, problems
from proctor.verifiers.bon import answer_codes, best_of_n, default_ns, paired_lift, pick_majority, pick_top, subsets
from proctor.verifiers.hack import acceptance, hackability, threshold_at_recall
from proctor.verifiers.processbench import predict_first_error, processbench_score


def test_aggregations_by_hand():
    p = [0.9, 0.5, 0.8]
    assert aggregate(p, "min") == 0.5
    assert aggregate(p, "product") == pytest.approx(0.36)
    assert aggregate(p, "last") == 0.8
    assert math.isnan(aggregate([], "min"))
    assert list(aggregate_many([[1.0], [0.2, 0.5]], "product")) == pytest.approx([1.0, 0.1])
    with pytest.raises(ValueError):
        aggregate(p, "mean")


def test_product_reproduces_openai_prm_score(data_dir):
    # OpenAI's scored sample: prm_score is the product over steps of P(+1) + P(0)
    row = json.loads((data_dir / "prm800k_samples" / "RM-scored-example.json").read_text())
    step = [r["1"] + r["0"] for r in row["rating_probs"]]
    assert aggregate(step, "product") == pytest.approx(row["prm_score"], rel=1e-9)
    assert aggregate([r["1"] for r in row["rating_probs"]], "min") == pytest.approx(0.1385, abs=1e-4)


def _true_inputs(problem):
    v = problem.values()
    return [problem.start] + v[:-1]


@pytest.mark.parametrize("seed", [0, 1])
def test_generator_labels_are_exact(seed):
    """Every labelled-wrong step really is wrong when the arithmetic is re-evaluated, every labelled-good one right."""
    rng = np.random.default_rng(seed)
    sols = []
    for p in problems(60, seed):
        sols += [make_case(p, k, rng) for k in CASES]
        sols += [Generator(0.3, 0.5, 0.2).sample(p, rng) for _ in range(5)]
    for p, s in zip([p for p in problems(60, seed) for _ in range(len(CASES) + 5)], sols):
        ins = _true_inputs(p)
        for i, (text, good) in enumerate(zip(s.steps[:-1], s.labels[:-1])):
            m = STEP.match(text)
            a, o, b, c = int(m[1]), m[2], int(m[3]), int(m[4])
            right = OPS[o](a, b) == c and a == ins[i]  # own arithmetic, and the true running value carried in
            if good:
                assert right, (s.steps, s.labels)
            else:
                assert not right or not all(s.labels[:i]), (s.steps, s.labels)
            if i == s.first_error:
                assert not check_step(text, ins[i])  # the earliest wrong step is wrong on its own
        stated = int(s.steps[-1].removeprefix("The answer is ").rstrip("."))
        assert s.correct == (stated == p.answer)
        if s.labels[-1]:
            assert stated == p.answer
    kinds = {s.kind for s in sols}
    assert kinds == set(CASES)


def test_each_case_has_its_defining_property():
    rng = np.random.default_rng(3)
    for p in problems(30, 3):
        c, e, h, w = (make_case(p, k, rng) for k in CASES)
        assert c.process_correct and c.correct
        assert not e.process_correct and not e.correct and e.first_error < len(e.steps) - 1
        assert not h.process_correct and h.correct and h.first_error < len(h.steps) - 2  # wrong before the last op
        assert w.first_error == len(w.steps) - 1 and not w.correct


def test_generator_strength():
    rng = np.random.default_rng(0)
    ps = problems(200, 0)
    strong = np.mean([Generator(0.05, 0.0, 0.0).sample(p, rng).correct for p in ps])
    weak = np.mean([Generator(0.4, 0.0, 0.0).sample(p, rng).correct for p in ps])
    assert strong > 0.75 > 0.35 > weak


def test_best_of_n_hand_made():
    # problem 0: candidate 2 ("c") is right and scored highest, but "b" is the most common answer;
    # problem 1: "x" is right and the most common answer, but the verifier prefers the wrong "y"
    correct = np.array([[0, 0, 1, 0], [1, 0, 1, 1]], bool)
    scores = np.array([[0.1, 0.2, 0.9, 0.3], [0.4, 0.8, 0.1, 0.2]])
    res = best_of_n({"v": scores}, correct, [["a", "b", "c", "b"], ["x", "y", "x", "x"]], ns=[1, 4], draws=200,
                    n_boot=200)
    v, maj = res["curves"]["v"], res["curves"]["majority"]
    assert v[0]["value"] == pytest.approx(np.mean([0.25, 0.75]), abs=0.06)  # N=1: a random candidate
    assert res["per_problem"]["v"][1].tolist() == [1.0, 0.0]  # N=4: the top score
    assert res["per_problem"]["majority"][1].tolist() == [0.0, 1.0]  # N=4: the most common answer
    assert v[1]["value"] == maj[1]["value"] == 0.5


def test_pick_and_subsets():
    idx = np.array([[[2, 0, 1]]])
    assert pick_top(np.array([[0.5, 0.5, 0.9]]), idx)[0, 0] == 2
    assert pick_top(np.array([[0.5, 0.5, 0.1]]), idx)[0, 0] == 0  # tie -> first in the random order
    codes = answer_codes([["7", "3", "3", None]])
    assert codes[0, :3].tolist() == [0, 1, 1] and codes[0, 3] < 0
    assert pick_majority(codes, np.array([[[0, 1, 2]]]))[0, 0] in (1, 2)
    s = subsets(np.array([4, 2]), 2, draws=50, seed=0)
    assert s.shape == (50, 2, 2) and (s[:, 1] < 2).all() and (s[..., 0] != s[..., 1]).all()
    assert default_ns(64) == [1, 2, 4, 8, 16, 32, 64] and default_ns(4) == [1, 2, 4] and default_ns(6)[-1] == 6


def test_paired_lift():
    out = paired_lift(np.array([1, 1, 0, 1.0]), np.array([0, 1, 0, 0.0]), n_boot=500)
    assert out["value"] == 0.5 and out["lo"] <= 0.5 <= out["hi"]


def test_processbench_hand_made():
    assert predict_first_error([0.9, 0.4, 0.2]) == 1
    assert predict_first_error([0.9, 0.6]) == -1
    # flawed: truth 1, 0, 2 -> predicted 1 (right), -1 (wrong), 2 (right): 2/3; correct: 2 of 2 say -1
    r = processbench_score([1, -1, 2, -1, -1], [1, 0, 2, -1, -1])
    assert r["acc_error"] == pytest.approx(2 / 3) and r["acc_correct"] == 1.0
    assert r["f1"] == pytest.approx(2 * (2 / 3) / (2 / 3 + 1))
    assert processbench_score([-1, -1], [0, -1])["f1"] == 0.0  # flags nothing: 0 on flawed -> F1 0


def test_hackability_threshold_and_acceptance():
    correct = np.linspace(0.1, 1.0, 10)
    assert threshold_at_recall(correct, 0.9) == pytest.approx(0.2)
    res = hackability({"correct": correct, "hack": np.array([0.15, 0.3, 0.9, 0.05])}, recall=0.9, n_boot=200)
    assert res["accept"]["correct"]["value"] == 0.9
    assert res["accept"]["hack"]["value"] == 0.5
    assert acceptance(np.array([]), 0.5)["n"] == 0
