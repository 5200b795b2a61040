"""The evaluation harness end to end on a small configuration (real HH-RLHF replies, injected drifts), its report
section (escaped, with a time-series figure), and `monitor eval --json`."""

import json
import math

import numpy as np
import pytest
from conftest import invoke, last_json

from proctor.monitor.drifts import DRIFTS, inject_stream
from proctor.monitor.experiment import DriftCase, HarnessConfig, best_per_case, evaluate
from proctor.monitor.report import harness_section, sycophancy_section
from proctor.monitor.spec import MonitorSpec
from proctor.report import render_report


def test_injectors_change_what_they_claim():
    rng = np.random.default_rng(0)
    text, prompt = "Paris is the capital. It is in France.", "What is the capital of France?"
    assert DRIFTS["bullets"](text, prompt, rng).count("\n- ") == 2
    assert DRIFTS["agreement"](text, prompt, rng).endswith(text)
    assert "You are asking: What is the capital of France" in DRIFTS["filler"](text, prompt, rng)
    out, hit = inject_stream([text] * 1000, [prompt] * 1000, "hedges", rate=0.5, onset=400, ramp=200, rng=rng)
    assert not hit[:400].any() and 0.15 < hit[400:600].mean() < 0.35 and 0.4 < hit[600:].mean() < 0.6
    assert all((o != text) == h for o, h in zip(out, hit))


@pytest.fixture(scope="module")
def small_result(request):
    import os
    from pathlib import Path

    root = os.environ.get("PROCTOR_DATA")
    if not root or not Path(root, "anthropic_hh").is_dir():
        pytest.skip("PROCTOR_DATA is not set to the shared data folder")
    spec = MonitorSpec(metrics=["length_chars", "hedging", "agreement"], target_per_10k=5.0, window=100, onset=300,
                       horizon=1200, replicates=2, fresh_replicates=6, clean_length=5000)
    cfg = HarnessConfig.from_spec(spec, statistics=("ks", "chi2"), data_dir=root,
                                  cases=[DriftCase("filler", 0.5), DriftCase("agreement", 0.2)])
    return evaluate(cfg)


def test_harness_measures_delay_and_false_alarms(small_result):
    res = small_result
    assert res.n_reference + res.n_pool > 2000
    pairs = {(r["detector"], r["metric"]) for r in res.false_alarms}
    assert ("cusum", "length_chars") in pairs and ("chi2", "agreement") in pairs and ("any", "any") in pairs
    by = {(r["case"], r["detector"], r["metric"]): r for r in res.detection}
    filler = by[("filler 50%", "cusum", "length_chars")]
    assert filler["detected"] == 1.0 and 0 < filler["median_delay"] < 200
    agree = by[("agreement 20%", "cusum", "agreement")]
    assert agree["detected"] == 1.0 and agree["median_delay"] < 300
    # window tests alarm only when a window closes: delays are whole windows past the onset
    ks = by[("filler 50%", "ks", "length_chars")]
    assert ks["detected"] == 1.0 and ks["median_delay"] % 100 == 0
    # a drift in agreement barely moves length: length alarms there come much later (chance or the few added words)
    late = by[("agreement 20%", "cusum", "length_chars")]
    assert late["detected"] < 1.0 or late["median_delay"] > 3 * filler["median_delay"]
    best = best_per_case(res, max_false_per_10k=math.inf)
    assert [b["case"] for b in best] == ["filler 50%", "agreement 20%"] and all(b["detector"] for b in best)
    # fresh replicates: the pair chosen on the selection replicates (default budget), on streams it never saw
    for b, f in zip(best_per_case(res), res.fresh):
        assert (f["case"], f["detector"], f["metric"]) == (b["case"], b["detector"], b["metric"])
        assert len(f["delays"]) == 6


def test_fresh_streams_are_not_the_selection_streams():
    from proctor.monitor.experiment import _stream

    cfg = HarnessConfig.from_spec(MonitorSpec(onset=50, horizon=100, replicates=2, fresh_replicates=6))
    texts = [f"reply number {i}." for i in range(500)]
    vals = np.arange(500, dtype=float)[:, None]  # the metric value names the resampled reply
    case = DriftCase("filler", 0.0)
    pool = {"pool_texts": texts, "pool_prompts": texts, "pool_vals": vals, "names": ["length_chars"]}
    sel = [_stream(cfg, case, r, False, **pool) for r in range(2)]
    fresh = [_stream(cfg, case, r, True, **pool) for r in range(6)]
    assert not any(np.array_equal(a, b) for a in sel for b in fresh)
    # and each is reproducible (a rerun of the same spec resamples the same streams)
    assert np.array_equal(fresh[3], _stream(cfg, case, 3, True, **pool))


def test_report_section_renders_escaped(small_result, tmp_path):
    sec = harness_section(small_result)
    assert sec.figures and sec.figures[0].png.startswith(b"\x89PNG")
    syc = {"model": "<script>alert(1)</script>", "gap": float("nan"), "pairs_flip_toward_user": 0,
           "pairs_flip_away_from_user": 0, "pairs_answered": 0,
           **{p: {"samples": 1, "answered": 0, "no_verdict": 1, "liberal_answers": 0, "p_liberal": float("nan")}
              for p in ("liberal", "conservative")}}
    path = render_report(tmp_path / "r.html", title="monitor", meta={}, sections=[sec, sycophancy_section(syc)])
    html = path.read_text() if hasattr(path, "read_text") else (tmp_path / "r.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "detection delay" in html.lower()


def test_eval_cli_json(tmp_path):
    import os

    if not os.environ.get("PROCTOR_DATA"):
        pytest.skip("PROCTOR_DATA is not set")
    args = ["monitor", "eval", "--metrics", "length_chars", "--replicates", "1", "--clean-length", "2000", "--target",
            "20", "--window", "100", "--horizon", "600", "--onset", "200", "--out", tmp_path / "run", "--json"]
    payload = last_json(invoke(*args))
    assert {"best", "false_alarms", "detection", "config", "report"} <= set(payload)
    assert payload["config"]["replicates"] == 1 and payload["config"]["clean_length"] == 2000
    assert (tmp_path / "run" / "report.html").exists()
    saved = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert saved["best"] == payload["best"] and saved["config"] == payload["config"]
    # a run directory like `proctor run`'s: the same command again resumes it (nothing recomputed)
    again = invoke(*args)
    assert last_json(again)["best"] == payload["best"] and "finished earlier" in again.stderr
