"""The joint post-training law Q(N_s, N_p) and the SFT : preference budget planner (issue 21): recovery of known
parameters, the interaction test, the optimum on the budget line, warnings, and the CLI (`fit posttrain --ns-col`,
`plan posttrain`) with its one-line errors."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.scaling.joint import JointParams, allocate, fit_joint, plan_allocation
from proctor.scaling.spec import PosttrainJointConfig
from proctor.scaling.synthetic import JOINT_EXAMPLE, joint_runs


@pytest.fixture(scope="module")
def additive_fit():
    df = joint_runs(seed=0)
    return fit_joint(df.N_s, df.N_p, df.Q, PosttrainJointConfig(n_boot=60))


def test_recovers_known_parameters_and_finds_no_interaction(additive_fit):
    p, truth = additive_fit.params, JOINT_EXAMPLE
    assert p.Q_inf == pytest.approx(truth.Q_inf, abs=0.01)
    assert p.a_s == pytest.approx(truth.a_s, rel=0.1) and p.a_p == pytest.approx(truth.a_p, rel=0.1)
    assert p.S_star == pytest.approx(truth.S_star, rel=0.4) and p.P_star == pytest.approx(truth.P_star, rel=0.4)
    lo, hi = additive_fit.ci["gamma"]
    assert lo < 0 < hi and additive_fit.p_interaction > 0.05
    assert additive_fit.interaction_verdict == "additive" and not additive_fit.warnings


def test_a_real_interaction_is_detected():
    truth = dataclasses.replace(JOINT_EXAMPLE, gamma=0.004)
    df = joint_runs(truth, seed=3)
    fit = fit_joint(df.N_s, df.N_p, df.Q, PosttrainJointConfig(n_boot=60))
    assert fit.p_interaction < 1e-3 and fit.ci["gamma"][0] > 0
    assert fit.interaction_verdict == "interaction"
    assert fit.params.gamma == pytest.approx(0.004, rel=0.3)


def test_the_optimum_beats_every_split_on_the_budget_line_and_equalises_marginals():
    for params in (JOINT_EXAMPLE, dataclasses.replace(JOINT_EXAMPLE, gamma=0.003)):
        B, cs, cp = 2e5, 4.0, 1.0
        a = allocate(params, B, cs, cp)
        assert cs * a.n_sft + cp * a.n_pref == pytest.approx(B)
        f = np.linspace(1e-4, 1 - 1e-4, 20001)
        brute = params.quality(f * B / cs, (1 - f) * B / cp)
        assert a.quality >= brute.max() - 1e-12
        # Lagrange: at an interior optimum one more unit of budget buys the same on either side
        assert a.marginal_sft / cs == pytest.approx(a.marginal_pref / cp, rel=1e-4) and not a.edge
        # the analytic derivative is the finite difference
        eps = 1e-3 * a.n_sft
        fd = (params.quality(a.n_sft + eps, a.n_pref) - params.quality(a.n_sft - eps, a.n_pref)) / (2 * eps)
        assert a.marginal_sft == pytest.approx(fd, rel=1e-5)
    # dearer SFT data -> fewer SFT examples
    assert allocate(JOINT_EXAMPLE, 2e5, 8.0, 1.0).n_sft < allocate(JOINT_EXAMPLE, 2e5, 2.0, 1.0).n_sft


def test_a_worthless_kind_gets_nothing():
    a = allocate(JointParams(0.8, 0.0, 1e4, 0.04, 3e4), 1e5, 1.0, 1.0)
    assert a.edge and a.n_sft < 1e-3 * a.n_pref


def test_plan_intervals_come_from_the_bootstrap_fits(additive_fit):
    plan = plan_allocation(additive_fit, 2e5, 4.0, 1.0)
    assert plan["n_boot"] == len(additive_fit.boot) > 40
    truth = plan_allocation(JOINT_EXAMPLE, 2e5, 4.0, 1.0)
    for key in ("n_sft", "share_sft", "gain_over_even"):
        lo, hi = plan["ci"][key]
        assert lo <= plan[key] <= hi
    lo, hi = plan["ci"]["n_sft"]
    assert lo <= truth["n_sft"] <= hi
    assert plan["gain_over_even"] > 0 and not plan["warnings"]
    far = plan_allocation(additive_fit, 1e9, 1.0, 1.0)
    assert any("outside the runs' range" in w for w in far["warnings"])


def test_identifiability_warnings():
    df = joint_runs(sft=(50, 100, 200, 400, 800), pref=(100, 200, 400, 800, 1600), seed=1)  # all below S*, P*
    fit = fit_joint(df.N_s, df.N_p, df.Q, PosttrainJointConfig(n_boot=0))
    assert any("below the fitted S*" in w for w in fit.warnings) or any("edge" in w for w in fit.warnings)
    n = np.geomspace(300, 3e5, 12)
    q = JOINT_EXAMPLE.quality(n, 3 * n) + np.random.default_rng(0).normal(0, 0.003, n.size)
    fit = fit_joint(n, 3 * n * np.exp(np.random.default_rng(1).normal(0, 0.01, n.size)), q,
                    PosttrainJointConfig(n_boot=0))
    assert any("collinear" in w for w in fit.warnings)


def test_fit_and_plan_cli(tmp_path):
    runs = tmp_path / "runs.csv"
    joint_runs(seed=2).rename(columns={"N_s": "sft", "N_p": "pairs", "Q": "win"}).to_csv(runs, index=False)
    report = tmp_path / "joint.html"
    obj = last_json(invoke("fit", "posttrain", runs, "--ns-col", "sft", "--np-col", "pairs", "--q-col", "win",
                           "--bootstrap", "30", "--save", tmp_path / "fit", "--report", report, "--json"))
    assert obj["Q_inf"] == pytest.approx(0.80, abs=0.01) and obj["interaction"]["verdict"] in ("additive",
                                                                                              "undetermined")
    assert "data:image/png;base64" in report.read_text()
    saved = json.loads((tmp_path / "fit" / "posttrain_joint_fit.json").read_text())
    assert len(saved["boot"]["rows"]) == obj["n_boot"] == 30
    plan_html = tmp_path / "plan.html"
    plan = last_json(invoke("plan", "posttrain", "--budget", "2e5", "--cost-sft", "4", "--cost-pref", "1", "--fit",
                            tmp_path / "fit", "--report", plan_html, "--json"))
    assert 4 * plan["n_sft"] + plan["n_pref"] == pytest.approx(2e5)
    assert plan["ci"]["n_sft"][0] <= plan["n_sft"] <= plan["ci"]["n_sft"][1]
    assert plan["marginal_sft"] / 4 == pytest.approx(plan["marginal_pref"], rel=1e-3)
    assert "budget line" in plan_html.read_text() or "Iso-budget" in plan_html.read_text()
    add = last_json(invoke("fit", "posttrain", runs, "--ns-col", "sft", "--np-col", "pairs", "--q-col", "win",
                           "--additive", "--bootstrap", "0", "--json"))
    assert add["gamma"] == 0.0 and add["interaction"]["verdict"] == "undetermined"
    # the compute planner is unchanged
    assert last_json(invoke("plan", "--params", "7e9", "--json"))["tokens"] == 140e9


def test_cli_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("N_s,N_p,Q\n" + "".join(f"{s},{p},0.5\n" for s in (0, 10, 100) for p in (10, 100, 1000)))
    assert_user_error(invoke("fit", "posttrain", bad, "--ns-col", "N_s"), "bad.csv", "column 'N_s'", "positive")
    assert_user_error(invoke("fit", "posttrain", bad, "--ns-col", "sft"), "bad.csv", "no column 'sft'", "--ns-col")
    few = tmp_path / "few.csv"
    few.write_text("N_s,N_p,Q\n1,1,0.1\n2,2,0.2\n3,3,0.3\n4,4,0.4\n")
    assert_user_error(invoke("fit", "posttrain", few, "--ns-col", "N_s"), "few.csv", "distinct (N_s, N_p)")
    assert_user_error(invoke("plan", "posttrain", "--fit", tmp_path), "--budget")
    assert_user_error(invoke("plan", "posttrain", "--budget", "100"), "--fit")
    assert_user_error(invoke("plan", "posttrain", "--budget", "100", "--fit", tmp_path), "no such fit file")
    broken = tmp_path / "f.json"
    broken.write_text('{"Q_inf": 0.8, "a_s": "x"}')
    assert_user_error(invoke("plan", "posttrain", "--budget", "100", "--fit", broken), "f.json", "'a_s'")
    assert_user_error(invoke("plan", "posttrain", "--budget", "-1", "--fit", broken), "--budget")
    assert_user_error(invoke("plan", "--params", "7e9", "posttrain", "--budget", "1"), "after `plan posttrain`")


def test_plan_score_row_verdict_follows_the_ci(additive_fit):
    from proctor.scaling.report import plan_score_row

    row = plan_score_row(plan_allocation(additive_fit, 2e5, 4.0, 1.0))
    assert row.verdict == "measured" and row.value > 0
    # a split that is already even gains nothing: its row reports no result
    even = plan_allocation(additive_fit, 2e5, 1.0, 1.0) | {"gain_over_even": 0.0}
    even["ci"] = dict(even["ci"], gain_over_even=[-1e-5, 1e-5])
    assert plan_score_row(even).verdict.startswith("no result")


def _suite(path, runs, *experiments):
    body = "".join('[[experiment]]\ntype = "posttrain_plan"\n'
                   + "".join(f"{k} = {json.dumps(str(v) if k == 'runs' else v)}\n"
                             for k, v in ({"runs": runs} | fields).items()) for fields in experiments)
    path.write_text(f'name = "plan"\n{body}')
    return path


def test_posttrain_plan_as_a_suite_experiment(tmp_path):
    """`proctor run` with posttrain_plan experiments: the fit and the plan are units (a table and `generated` runs with
    the same numbers share one fit), the report has both sections, and the scorecard row's verdict comes from
    proctor.stats."""
    runs = tmp_path / "runs.csv"
    df = joint_runs(seed=0)
    df.to_csv(runs, index=False)
    suite = _suite(tmp_path / "s.toml", runs, dict(budget=2e5, cost_sft=4.0, cost_pref=1.0, n_boot=40),
                   dict(name="half budget", runs="generated", budget=1e5, cost_sft=4.0, cost_pref=1.0, n_boot=40))
    r = invoke("run", suite, "--out", tmp_path / "run", "--json")
    obj = last_json(r)
    assert r.stderr.count("done joint fit") == 1 and "skip joint fit" in r.stderr  # the second plan reuses the fit
    row, half = obj["scorecard"]
    assert row["technique"] == "post-training budget planner" and row["verdict"] == "measured"
    exp, exp_half = obj["experiments"]
    # the same numbers as the library on the same table and settings
    fit = fit_joint(df.N_s, df.N_p, df.Q, PosttrainJointConfig(n_boot=40))
    plan = plan_allocation(fit, 2e5, 4.0, 1.0)
    assert exp["params"]["S_star"] == pytest.approx(fit.params.S_star, rel=1e-6)
    assert exp["plan"]["n_sft"] == pytest.approx(plan["n_sft"], rel=1e-6)
    assert row["value"] == pytest.approx(plan["gain_over_even"], rel=1e-6)
    assert row["ci"] == pytest.approx(plan["ci"]["gain_over_even"], rel=1e-6)
    assert exp["interaction"] == "additive" and exp_half["params"] == exp["params"]
    assert exp_half["plan"]["budget"] == 1e5 and exp_half["plan"]["n_sft"] < exp["plan"]["n_sft"]
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Q(N_s, N_p)" in html and "half budget: Post-training budget" in html
    assert html.count("Iso-budget line") >= 2
    assert "generated runs (known parameters" in html and "Under the true law the optimum is" in html


def test_posttrain_plan_suite_errors(tmp_path):
    few = tmp_path / "few.csv"
    few.write_text("N_s,N_p,Q\n1,1,0.1\n2,2,0.2\n3,3,0.3\n4,4,0.4\n")
    run_dir = tmp_path / "run"
    assert_user_error(invoke("run", _suite(tmp_path / "a.toml", few, dict(budget=1e5)), "--out", run_dir), "few.csv",
                      "distinct (N_s, N_p)")
    assert not run_dir.exists()  # checked before the run directory is made
    assert_user_error(invoke("run", _suite(tmp_path / "b.toml", few, dict(budget=1e5, ns_col="sft"))), "few.csv",
                      "no column 'sft'")
    assert_user_error(invoke("run", _suite(tmp_path / "c.toml", few, dict(budget=-1))), "budget")
    assert_user_error(invoke("run", _suite(tmp_path / "d.toml", tmp_path / "nope.csv", dict(budget=1))), "nope.csv")
