"""`proctor fit` and `proctor plan` end to end: --json objects, reports, saved fits, and one-line errors (exit 2)
naming the file, row and column for every bad table."""

import json

import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.scaling.synthetic import chinchilla_runs, posttrain_runs


def test_plan_rule_of_thumb():
    obj = last_json(invoke("plan", "--params", "7e9", "--json"))
    assert obj["params"] == 7e9 and obj["tokens"] == 140e9 and obj["flops"] == 5.88e21
    obj = last_json(invoke("plan", "--flops", "5.88e21", "--json"))
    assert obj["params"] == pytest.approx(7e9) and obj["tokens"] == pytest.approx(140e9)


def test_plan_needs_exactly_one_budget():
    assert_user_error(invoke("plan"), "--params", "--flops")
    assert_user_error(invoke("plan", "--params", "7e9", "--flops", "1e21"), "exactly one")
    assert_user_error(invoke("plan", "--params", "-5"), "positive")


@pytest.fixture(scope="module")
def runs_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "my <runs>.csv"
    df = chinchilla_runs(noise=0.005, seed=0).rename(columns={"N": "params", "D": "tokens", "loss": "val_loss"})
    df.to_csv(path, index=False)
    return path


def test_fit_chinchilla_json_report_and_plan_from_fit(runs_csv, tmp_path):
    report = tmp_path / "fit.html"
    obj = last_json(invoke("fit", "chinchilla", runs_csv, "--n-col", "params", "--d-col", "tokens", "--loss-col",
                           "val_loss", "--bootstrap", "20", "--report", report, "--save", tmp_path / "run", "--json"))
    for key in ("E", "A", "B", "alpha", "beta"):
        assert obj[key] > 0 and len(obj["ci"][key]) == 2
    assert obj["E"] == pytest.approx(1.69, rel=0.01) and obj["n_starts"] == 4500
    html = report.read_text()
    assert html.count("data:image/png;base64") == 2
    assert "my &lt;runs&gt;.csv" in html and "my <runs>" not in html  # the file name is data: escaped
    saved = json.loads((tmp_path / "run" / "chinchilla_fit.json").read_text())
    assert saved["alpha"] == obj["alpha"]
    plan_obj = last_json(invoke("plan", "--flops", "5.76e23", "--fit", tmp_path / "run", "--json"))
    assert plan_obj["flops"] == 5.76e23
    assert 6 * plan_obj["params"] * plan_obj["tokens"] == pytest.approx(5.76e23)
    assert plan_obj["loss"] > obj["E"]
    lo, hi = plan_obj["params_ci"]  # from the 20 bootstrap fits saved with the fit
    assert lo <= plan_obj["params"] <= hi and "flops_ci" not in plan_obj
    back = last_json(invoke("plan", "--params", plan_obj["params"], "--fit", tmp_path / "run", "--json"))
    assert back["tokens"] == pytest.approx(plan_obj["tokens"], rel=1e-6)


def test_fit_posttrain_json_and_report(tmp_path):
    path = tmp_path / "prefs.csv"
    posttrain_runs(seed=1).rename(columns={"N_p": "pairs", "Q": "win_rate"}).to_csv(path, index=False)
    report = tmp_path / "post.html"
    obj = last_json(invoke("fit", "posttrain", path, "--np-col", "pairs", "--q-col", "win_rate", "--bootstrap", "200",
                           "--at", "50000", "--next", "10000", "--report", report, "--json"))
    assert obj["Q_inf"] == pytest.approx(0.75, abs=0.01) and obj["N_star"] == pytest.approx(30_000, rel=0.25)
    assert 0 < obj["gain"] < obj["alpha"] and obj["gain_ci"][0] <= obj["gain"] <= obj["gain_ci"][1]
    assert obj["doubling_threshold"] > 0
    assert "data:image/png;base64" in report.read_text()


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD = "N,D,loss\n" + "\n".join(f"{n:g},{n * r:g},{2 + 1 / r:.4f}" for n in (1e8, 1e9) for r in (5, 20, 80)) + "\n"


@pytest.mark.parametrize("text, needles", [
    (GOOD.replace("N,D,loss", "N,tokens,loss"), ["bad.csv", "no column 'D'", "--d-col"]),
    (GOOD.replace("1e+09,5e+09", "1e+09,abc", 1), ["bad.csv", "row 4 (line 5)", "column 'D'", "abc"]),
    (GOOD.replace("1e+08,5e+08", "1e+08,-5e+08", 1), ["bad.csv", "row 1 (line 2)", "column 'D'", "positive"]),
    (GOOD.replace("1e+08,2e+09", "0,2e+09", 1), ["bad.csv", "row 2 (line 3)", "column 'N'", "positive"]),
    (GOOD.replace("1e+09,2e+10,", "1e+09,2e+10,NaN", 1), ["bad.csv", "row 5 (line 6)", "column 'loss'", "NaN"]),
    ("\n".join(GOOD.splitlines()[:6] + ["1e+09,8e+10,"]) + "\n", ["bad.csv", "row 6 (line 7)", "'loss'", "missing"]),
    ("N,D,loss\n", ["bad.csv", "no rows"]),
    (GOOD.splitlines()[0] + "\n" + "\n".join(GOOD.splitlines()[1:3]) + "\n", ["bad.csv", "at least 6 runs"]),
])
def test_bad_chinchilla_tables(tmp_path, text, needles):
    assert_user_error(invoke("fit", "chinchilla", _write(tmp_path, "bad.csv", text), "--bootstrap", "0"), *needles)


def test_bad_posttrain_and_missing_file(tmp_path):
    p = _write(tmp_path, "bad.csv", "N_p,Q\n100,0.5\n200,oops\n")
    assert_user_error(invoke("fit", "posttrain", p), "bad.csv", "row 2 (line 3)", "column 'Q'", "oops")
    assert_user_error(invoke("fit", "chinchilla", tmp_path / "nope.csv"), "nope.csv", "no such file")
    assert_user_error(invoke("plan", "--params", "7e9", "--fit", tmp_path / "nofit"), "no such fit file")
    broken = _write(tmp_path, "fit.json", '{"E": 1.7, "A": "x"}')
    assert_user_error(invoke("plan", "--params", "7e9", "--fit", broken), "fit.json", "'A'")
