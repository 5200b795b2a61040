"""Pixel debate from the command line (`proctor debate pixels`) and as a suite experiment, on a tiny setting.

The judge is trained for a few steps only (into a temporary PROCTOR_CACHE): these tests check the wiring, the
`--json` object and the errors, not the paper's numbers (docs/drafts/4-pixel-debate.md has those).
"""

import pytest
from conftest import assert_user_error, invoke, last_json

TINY = ["--pixels", "4", "--images", "2", "--judge-steps", "20", "--draws", "2"]


@pytest.fixture
def cache(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PROCTOR_RUNS", str(tmp_path / "runs"))
    return tmp_path


def pixels(*args):
    return invoke("debate", "pixels", *args)


def test_json_has_judge_and_debate_accuracy_with_cis(cache):
    out = last_json(pixels(*TINY, "--precommit", "--agent", "greedy", "--json"))
    for key in ("judge_accuracy", "debate_accuracy", "honest_first", "liar_first", "lift"):
        assert 0 <= out[key] <= 1 or key == "lift"
        lo, hi = out[f"{key}_ci"]
        assert lo <= out[key] <= hi
    assert out["debate_accuracy"] == pytest.approx((out["honest_first"] + out["liar_first"]) / 2)
    assert out["lift"] == pytest.approx(out["debate_accuracy"] - out["judge_accuracy"])
    assert out["games"] == 2 * 2 * 9 and out["paper"]["judge"] == 48.2
    assert out["rollouts"] is None and out["pure_mcts"] is None and out["judge"]
    assert out["judge_curve"] == []  # trained without held-out evaluations (--judge-eval-every 0)
    # a one-experiment suite: the rerun resumes every unit, the numbers are the same, the report is written
    again = last_json(pixels(*TINY, "--precommit", "--agent", "greedy", "--json"))
    assert again["run_dir"] == out["run_dir"] and again["lift_ci"] == out["lift_ci"]
    assert (cache / "runs").is_dir() and out["report"].endswith("report.html")


def test_mcts_one_order_without_precommit(cache):
    out = last_json(pixels(*TINY, "--no-precommit", "--agent", "mcts", "--rollouts", "4", "--order", "liar-first",
                           "--out", cache / "run", "--json"))
    assert out["games"] == 2 and out["rollouts"] == 4 and "honest_first" not in out
    assert out["debate_accuracy"] == out["liar_first"] and out["run_dir"] == str(cache / "run")


def test_missing_mnist_folder_is_one_line(cache):
    assert_user_error(pixels(*TINY, "--mnist", cache / "no-mnist-here"), "no-mnist-here", "no such MNIST folder")
    assert not (cache / "runs").exists()  # checked before the run directory is touched


def test_bad_option_is_one_line(cache):
    assert_user_error(pixels(*TINY, "--agent", "alphazero"), "agent")
    assert_user_error(pixels(*TINY, "--images", "5000"), "images")
    assert_user_error(pixels(*TINY, "--order", "random"), "--order")


def test_options_default_to_the_spec():
    from pathlib import Path

    import proctor
    from proctor.debate.pixels.spec import QUICK, PixelDebateSpec
    from proctor.runs.spec import load_suite

    suite = load_suite(Path(proctor.__file__).parent / "suites" / "quick.toml")
    quick = next(e for e in suite.experiment if e.type == "pixel_debate")
    assert PixelDebateSpec.model_validate(QUICK) == quick
    help_text = invoke("debate", "pixels", "--help").stdout
    assert "6000" in help_text and "--out" in help_text


def test_suite_experiment_runs_resumes_and_reports(cache):
    from proctor.report import render_report
    from proctor.runs.spec import Suite
    from proctor.runs.store import RunStore
    from proctor.runs.technique import get

    tech = get("pixel_debate")
    suite = Suite.model_validate({"name": "t", "experiment": [
        {"type": "pixel_debate", "pixels": [4], "precommit": [True, False], "images": 2, "unit_images": 1,
         "judge_steps": 20, "judge_draws": 2}]})
    spec = suite.experiment[0]
    seen = []
    with RunStore(cache / "run") as store:
        tech.run(spec, store, lambda label, unit, computed: seen.append(computed))
        assert len(seen) == 1 + 2 * 2 * 2 and all(seen)  # judge + 2 blocks x 2 variants x 2 orders
        seen.clear()
        tech.run(spec, store, lambda label, unit, computed: seen.append(computed))
        assert not any(seen)  # everything resumed from the store
        summary = tech.summarize(store, spec)
    assert [(s["pixels"], s["precommit"], s["images"]) for s in summary["settings"]] == [(4, True, 2), (4, False, 2)]
    rows = tech.scorecard(summary)
    assert rows[0].measure == "judge accuracy lift (pts)" and rows[0].ci[0] <= rows[0].value <= rows[0].ci[1]
    html = cache / "r.html"
    render_report(html, title="t", sections=tech.sections(summary))
    assert "Pixel debate" in html.read_text() and "data:image/png" in html.read_text()


def test_spec_rejects_unknown_keys():
    from proctor.errors import ConfigError
    from proctor.runs.spec import Suite, validate

    with pytest.raises(ConfigError, match="rolouts"):
        validate(Suite, {"experiment": [{"type": "pixel_debate", "rolouts": 3}]}, "suite.toml")
