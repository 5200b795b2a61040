"""RRM as a suite technique: the calculator unit is stored once (a rerun skips it), summarised, reported and scored."""

import pytest

from proctor.errors import ConfigError
from proctor.report import Section
from proctor.runs.store import RunStore
from proctor.rrm.suite import TECHNIQUE, RRMSpec


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


def test_spec_errors():
    with pytest.raises(ConfigError, match="Chess"):
        TECHNIQUE.check(RRMSpec(games=["Chess"]))
    with pytest.raises(ConfigError, match="both"):
        TECHNIQUE.check(RRMSpec(evaluator="mockllm/model"))
