"""Pixel debate from the command line (`proctor debate pixels`) and as a suite experiment, on a tiny setting.

The judge is trained for a few steps only (into a temporary PROCTOR_CACHE): these tests check the wiring, the
`--json` object and the errors, not the paper's numbers (docs/drafts/4-pixel-debate.md has those).
"""

import json

import pytest
from typer.testing import CliRunner

from conftest import assert_user_error
from proctor.debate.pixels.cli import pixels_app

TINY = ["--pixels", "4", "--images", "2", "--judge-steps", "20", "--draws", "2"]


@pytest.fixture
def cache(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_json_has_judge_and_debate_accuracy_with_cis(cache):
    out = _json(CliRunner().invoke(pixels_app, [*TINY, "--precommit", "--agent", "greedy", "--json"]))
    for key in ("judge_accuracy", "debate_accuracy", "honest_first", "liar_first", "lift"):
        assert 0 <= out[key] <= 1 or key == "lift"
        lo, hi = out[f"{key}_ci"]
        assert lo <= out[key] <= hi
    assert out["debate_accuracy"] == pytest.approx((out["honest_first"] + out["liar_first"]) / 2)
    assert out["lift"] == pytest.approx(out["debate_accuracy"] - out["judge_accuracy"])
    assert out["games"] == 2 * 2 * 9 and out["paper"]["judge"] == 48.2


def test_mcts_one_order_without_precommit(cache):
    out = _json(CliRunner().invoke(pixels_app, [*TINY, "--no-precommit", "--agent", "mcts", "--rollouts", "4",
                                                "--order", "liar-first", "--json"]))
    assert out["games"] == 2 and out["rollouts"] == 4 and "honest_first" not in out
    assert out["debate_accuracy"] == out["liar_first"]


def test_missing_mnist_folder_is_one_line(cache):
    result = CliRunner().invoke(pixels_app, [*TINY, "--mnist", str(cache / "no-mnist-here")])
    assert_user_error(result, "no-mnist-here", "no such MNIST folder")


def test_bad_option_is_one_line(cache):
    assert_user_error(CliRunner().invoke(pixels_app, [*TINY, "--agent", "alphazero"]), "--agent")
    assert_user_error(CliRunner().invoke(pixels_app, [*TINY, "--images", "5000"]), "--images")


def test_mounted_under_proctor_debate_when_the_debate_cli_exists(cache):
    from proctor.cli import app

    group = next((g for g in app.registered_groups if g.name == "debate"), None)
    if group is None or not any(c.name == "pixels" for c in group.typer_instance.registered_commands):
        pytest.skip("`proctor debate pixels` is not mounted yet (the debate CLI mounts it)")
    out = _json(CliRunner().invoke(app, ["debate", "pixels", *TINY, "--agent", "greedy", "--json"]))
    assert "debate_accuracy" in out
    assert_user_error(CliRunner().invoke(app, ["debate", "pixels", *TINY, "--mnist", "/nonexistent/m"]),
                      "/nonexistent/m")


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
