"""The capability-alignment frontier on hand-made points: which points, which bend, which verdict, what tax; and
`proctor tax frontier` end to end with its one-line errors."""


import numpy as np
import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.tax import alignment_tax, bend_area, frontier_verdict, pareto_frontier

# bows out: (0, 1), (0.5, 0.9), (0.9, 0.5), (1, 0); (0.3, 0.3) and (0.5, 0.5) are dominated
OUT_C = [0.0, 0.5, 0.9, 1.0, 0.3, 0.5]
OUT_A = [1.0, 0.9, 0.5, 0.0, 0.3, 0.5]
# bows in: (0, 1), (0.1, 0.5), (0.5, 0.1), (1, 0)
IN_C = [0.0, 0.1, 0.5, 1.0]
IN_A = [1.0, 0.5, 0.1, 0.0]


def test_pareto_frontier_hand_made():
    assert pareto_frontier(OUT_C, OUT_A).tolist() == [0, 1, 2, 3]
    assert pareto_frontier([1, 1, 2], [1, 1, 0]).tolist() == [0, 1, 2]  # duplicates both kept
    assert pareto_frontier([0.5, 0.6], [0.5, 0.6]).tolist() == [1]  # one point dominates


def test_bend_area_hand_computed():
    # y - (1 - x) at x = 0, .5, .9, 1 is 0, .4, .4, 0: trapezoids .1 + .16 + .02
    assert bend_area(OUT_C, OUT_A) == pytest.approx(0.28)
    # at x = 0, .1, .5, 1 it is 0, -.4, -.4, 0: -.02 - .16 - .10
    assert bend_area(IN_C, IN_A) == pytest.approx(-0.28)
    assert bend_area([0, 0.5, 1], [1, 0.5, 0]) == pytest.approx(0.0)  # a straight trade
    assert np.isnan(bend_area([0, 1], [1, 0]))  # two points have no shape


def test_verdicts():
    out = frontier_verdict(OUT_C, OUT_A, n_eval=5000, n_boot=300)
    assert out.verdict == "convex" and out.ci[0] > 0 and out.p_convex == 1.0
    inward = frontier_verdict(IN_C, IN_A, n_eval=5000, n_boot=300)
    assert inward.verdict == "concave" and inward.ci[1] < 0
    # a nearly straight frontier measured on 50 examples: noise decides nothing
    flat = frontier_verdict([0.2, 0.5, 0.8], [0.8, 0.51, 0.2], n_eval=50, n_boot=300)
    assert flat.verdict == "undetermined" and flat.ci[0] < 0 < flat.ci[1]
    resampled = frontier_verdict(OUT_C, OUT_A, n_boot=300)
    assert resampled.bootstrap == "checkpoints"


def test_alignment_tax_against_base():
    taxes = alignment_tax(["base", "rlhf", "dpo"], [0.70, 0.66, 0.69], [0.40, 0.80, 0.70], ["", "base", "base"])
    assert taxes[0] == {"checkpoint": "rlhf", "base": "base", "tax": pytest.approx(0.04),
                        "alignment_gain": pytest.approx(0.40)}
    assert taxes[1]["tax"] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="'nope'"):
        alignment_tax(["a"], [1.0], [1.0], ["nope"])



TABLE = """checkpoint,base,mmlu,gsm8k,harmless
base,,0.70,0.50,0.40
<sft>,base,0.69,0.49,0.70
rlhf,base,0.66,0.44,0.85
dpo,base,0.68,0.48,0.80
bad-run,base,0.60,0.40,0.60
"""


def test_frontier_cli_json_and_report(tmp_path):
    path = tmp_path / "ckpts.csv"
    path.write_text(TABLE)
    report = tmp_path / "tax.html"
    result = invoke("tax", "frontier", path, "--capability", "mmlu", "--capability", "gsm8k", "--alignment", "harmless",
                    "--n-eval", "1000", "--bootstrap", "200", "--report", report, "--json")
    obj = last_json(result)
    assert obj["frontier"] == ["rlhf", "dpo", "<sft>", "base"]
    assert obj["verdict"] in ("convex", "concave", "undetermined")
    tax = {t["checkpoint"]: t for t in obj["taxes"]}
    assert tax["rlhf"]["tax"] == pytest.approx(0.05) and tax["rlhf"]["alignment_gain"] == pytest.approx(0.45)
    assert tax["rlhf"]["columns"] == pytest.approx({"mmlu": -0.04, "gsm8k": -0.06, "harmless": 0.45})
    html = report.read_text()
    assert "&lt;sft&gt;" in html and "<sft>" not in html and "data:image/png;base64" in html


@pytest.mark.parametrize("text, args, needles", [
    (TABLE, ["--capability", "mmlu", "--alignment", "helpful"], ["no column 'helpful'", "--alignment"]),
    (TABLE.replace("0.44", "n/a"), ["--capability", "gsm8k", "--alignment", "harmless"],
     ["row 3 (line 4)", "column 'gsm8k'", "n/a"]),
    (TABLE.replace("dpo,base", "dpo,bsae"), ["--capability", "mmlu", "--alignment", "harmless"], ["'bsae'", "base"]),
    (TABLE.replace("dpo,", "rlhf,"), ["--capability", "mmlu", "--alignment", "harmless"], ["'rlhf'", "more than once"]),
    (TABLE.replace("0.85", "85"), ["--capability", "mmlu", "--alignment", "harmless", "--n-eval", "100"],
     ["row 3", "'harmless'", "[0, 1]"]),
])
def test_frontier_cli_bad_tables(tmp_path, text, args, needles):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert_user_error(invoke("tax", "frontier", path, *args), "bad.csv", *needles)
