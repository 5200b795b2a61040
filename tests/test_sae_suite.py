"""The SAE technique inside a suite run: units stored, a rerun computes nothing, summary / report / scorecard."""

from proctor.report import render_report
from proctor.runs.spec import Suite
from proctor.runs.store import RunStore
from proctor.runs.technique import get


def test_suite_run_resumes_and_scores(data_dir, tmp_path):
    tech = get("sae")
    suite = Suite.model_validate({"name": "t", "experiment": [{
        "type": "sae", "sets": ["sst2"], "sizes": {"sst2": 80}, "expansion_factor": 2, "k": 8, "epochs": 2,
        "batch_size": 512, "n_boot": 100, "splice": False, "suppress": False}]})
    spec = suite.experiment[0]
    tech.check(spec)
    seen = []
    with RunStore(tmp_path / "run") as store:
        tech.run(spec, store, lambda label, unit, computed: seen.append((label, computed)))
        assert seen == [("sae", True), ("monitor sst2", True)]
        seen.clear()
        tech.run(spec, store, lambda label, unit, computed: seen.append((label, computed)))
        assert seen == [("sae", False), ("monitor sst2", False)]
        summary = tech.summarize(store, spec)
    assert 0 < summary["reconstruction"]["test"]["fvu"] < 1.5
    rows = tech.scorecard(summary)
    (row,) = rows
    c = summary["sets"]["sst2"]["comparison"]
    # the row is the paired difference SAE minus the probe chosen on the training split, null 0
    assert row.measure == "TPR @ 1% FPR: SAE monitor minus best probe" and row.null == 0.0
    assert row.value == c["value"] and row.ci == tuple(c["ci"]) and row.ci[0] <= row.ci[1]
    m = summary["sets"]["sst2"]["monitors"]
    assert c["value"] == m["sae_features"]["tpr@1%"]["value"] - m[c["probe"]]["tpr@1%"]["value"]
    assert row.unit.startswith("test texts, each class separately") and "training split" in row.setting
    render_report(tmp_path / "r.html", title="t", meta={}, sections=tech.sections(summary))
    html = (tmp_path / "r.html").read_text()
    assert "SAE monitor vs linear probes" in html and "<script" not in html
    assert "SAE minus probe" in html and "BCa bootstrap resampling sst2: test texts, each class separately" in html


def test_splice_and_suppression_units(data_dir, tmp_path):
    """The loop's optional units: splice (sst2 among the sets) and one suppression per set, with its partner set."""
    from proctor.sae.experiment import suppression_partner

    assert suppression_partner("hh", ["hh", "sst2"]) == "sst2"
    assert suppression_partner("sst2", ["sst2", "hh"]) == "hh"
    assert suppression_partner("sst2", ["sst2"]) is None
    tech = get("sae")
    spec = Suite.model_validate({"name": "t", "experiment": [{
        "type": "sae", "sets": ["sst2", "hh"], "sizes": {"sst2": 40, "hh": 24}, "expansion_factor": 2, "k": 8,
        "epochs": 1, "batch_size": 512, "n_boot": 100}]}).experiment[0]
    seen = []
    with RunStore(tmp_path / "run") as store:
        tech.run(spec, store, lambda label, unit, computed: seen.append(label))
        summary = tech.summarize(store, spec)
    assert seen == ["sae", "monitor sst2", "monitor hh", "splice", "suppression sst2", "suppression hh"]
    assert 0 < summary["splice"]["texts"] <= 600 and -1 <= summary["splice"]["cosine_sae"] <= 1
    sup = summary["suppression"]
    assert sup["hh"]["unrelated_set"] == "sst2" and sup["sst2"]["unrelated_set"] == "hh"
    assert sup["hh"]["latents"] == summary["sets"]["hh"]["monitors"]["sae_features"]["latents"]
