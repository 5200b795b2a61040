"""RRM as a suite technique: the calculator unit is stored once (a rerun skips it), summarised, reported and scored;
`proctor rrm evaluate` runs the experiment as a resumable one-experiment suite."""

import json

import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.errors import ConfigError
from proctor.report import Section
from proctor.rrm.spec import QUICK, RRMSpec
from proctor.rrm.technique import TECHNIQUE
from proctor.runs.store import RunStore


def test_calculator_unit_resumes_and_reports(tmp_path):
    spec = RRMSpec(gaps=[400.0, 800.0], games=["Debate", "Mafia"])
    TECHNIQUE.check(spec)
    seen = []
    with RunStore(tmp_path) as store:
        TECHNIQUE.run(spec, store, lambda label, unit, computed: seen.append(computed))
        TECHNIQUE.run(spec, store, lambda label, unit, computed: seen.append(computed))
        summary = TECHNIQUE.summarize(store, spec)
    assert seen == [True, False]  # the second run found the unit in the store
    assert summary["complete"] and len(summary["nested"]) == 4
    debate = next(r for r in summary["nested"] if r["game"] == "Debate" and r["gap"] == 400)
    assert debate["success"] == pytest.approx(0.513584475109634) and debate["paper_success"] == 0.517
    sections = TECHNIQUE.sections(summary)
    assert isinstance(sections[0], Section) and len(sections[0].tables[0].rows) == 4
    rows = TECHNIQUE.scorecard(summary)
    assert len(rows) == 4 and all(r.ci is None and r.value is not None for r in rows)
    assert TECHNIQUE.headline(summary) == summary


def test_spec_errors():
    with pytest.raises(ConfigError, match="Chess"):
        TECHNIQUE.check(RRMSpec(games=["Chess"]))
    with pytest.raises(ConfigError, match="both"):
        TECHNIQUE.check(RRMSpec(evaluator="mockllm/model"))


def test_quick_preset_and_unit_keys_unchanged():
    """The quick preset is the quick suite's table; options added later (prompt templates, log-probabilities, cache,
    concurrency) leave the stored suite and the unit keys of a spec that does not set them as they were."""
    from proctor.rrm.experiment import assisted_config

    assert RRMSpec.model_validate(QUICK).gaps == [400.0]
    spec = RRMSpec(evaluator="a", assistant="b", cache=False, max_samples=2)
    assert set(spec.model_dump()) == set(RRMSpec.model_fields) - {"prompt_templates", "logprobs", "cache",
                                                                  "max_samples", "max_retries", "timeout",
                                                                  "attempt_timeout", "allow_failures"}
    assert set(assisted_config(spec)) == {"technique", "kind", "evaluator", "assistant", "items", "n", "depth",
                                          "mislead", "seed"}
    assert assisted_config(spec.model_copy(update={"logprobs": False}))["logprobs"] is False


def test_cli_evaluate_is_a_resumable_run(tmp_path):
    """mockllm's default reply is neither a verdict nor notes: every level-0 verdict is invalid and every chain stops
    at level 1; the point here is the plumbing (run directory, report, resume, --json keys)."""
    f = tmp_path / "items.jsonl"
    f.write_text("".join(json.dumps({"id": f"i{i}", "question": f"q{i}", "answer": "a", "label": i % 2 == 0}) + "\n"
                         for i in range(4)))
    args = ["rrm", "evaluate", "--evaluator", "mockllm/model", "--assistant", "mockllm/model", "--items", f,
            "-n", "4", "--no-cache", "--out", tmp_path / "run", "--json"]
    first = invoke(*args)
    obj = last_json(first)
    assert {"items", "failed", "depth", "levels", "mislead_fraction", "seed", "records", "log"} <= set(obj)
    assert obj["items"] == 4 and obj["levels"][0]["invalid_verdicts"] == 4 and obj["levels"][1]["invalid_notes"] == 4
    assert obj["run_dir"] == str(tmp_path / "run") and (tmp_path / "run" / "report.html").is_file()
    again = invoke(*args)
    assert "skip assisted evaluation" in again.stderr and last_json(again)["levels"] == obj["levels"]
    assert_user_error(invoke("rrm", "evaluate", "--evaluator", "m", "--assistant", "m", "--mislead", "2",
                             "--out", tmp_path / "bad"), "mislead")
