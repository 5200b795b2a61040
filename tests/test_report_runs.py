"""`proctor runs` (every kind of output, full id, date, data set, headline) and `proctor report A --against B` (rows
matched by technique and setting without the data path; rows without a partner named).

This module is also a technique ("tally", plugged in with PROCTOR_TECHNIQUES) that reads a data file of 0/1 outcomes
and reports their mean with a bootstrap CI, its setting naming the file, as w2s and debate settings name theirs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from conftest import identity_sae, invoke, last_json

from proctor.runs.spec import Spec
from proctor.runs.technique import ScoreRow, Technique

PLUGINS = "coin=plugins.coin_technique,tally=test_report_runs"


class TallySpec(Spec):
    type: Literal["tally"] = "tally"
    name: str | None = None
    """Experiment title."""
    data: str
    """A text file of 0/1 outcomes, one a line."""
    rule: str = "mean"
    """Part of the setting that is not the data."""

    @property
    def title(self) -> str:
        return self.name or "tally"


def run(spec: TallySpec, store, on_unit) -> None:
    def compute():
        x = np.array([int(v) for v in Path(spec.data).read_text().split()], dtype=float)
        return {"outcomes": x.tolist()}, {}

    unit, computed = store.get_or_compute(spec.title, "tally", {"data": spec.data, "rule": spec.rule}, compute)
    on_unit("all", unit, computed)


def summarize(store, spec: TallySpec) -> dict:
    from proctor.stats import bootstrap_mean

    (u,) = store.units(experiment=spec.title)
    iv = bootstrap_mean(u.result["outcomes"])
    return {"data": spec.data, "rule": spec.rule, "value": iv.value, "ci": [iv.lo, iv.hi]}


TECHNIQUE = Technique(
    type="tally", name="tally", spec=TallySpec, run=run, summarize=summarize, sections=lambda s: [],
    scorecard=lambda s: [ScoreRow("tally", f"{s['data']}: {s['rule']}", "success rate", s["value"], tuple(s["ci"]),
                                  null=0.5, null_label="chance")])


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCTOR_TECHNIQUES", PLUGINS)
    monkeypatch.setenv("PROCTOR_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("PROCTOR_LOG_TO", raising=False)
    return tmp_path


def _suite(path: Path, *experiments: str) -> Path:
    path.write_text('name = "cmp"\n' + "".join(f"[[experiment]]\n{e}\n" for e in experiments))
    return path


def _data(path: Path, ones: int, n: int = 200) -> str:
    path.write_text("\n".join("1" if i < ones else "0" for i in range(n)))
    return str(path)


def test_against_matches_rows_across_data_files_and_names_rows_without_partner(env):
    tmp = env
    (tmp / "a").mkdir()
    a_data, b_data = _data(tmp / "a" / "outcomes.txt", 180), _data(tmp / "b.txt", 110)
    run_a, run_b = tmp / "runs" / "A", tmp / "runs" / "B"
    assert invoke("run", _suite(tmp / "sa.toml", f'type = "tally"\ndata = "{a_data}"',
                                f'type = "tally"\nname = "extra"\ndata = "{a_data}"\nrule = "only in A"'),
                  "--out", run_a).exit_code == 0
    assert invoke("run", _suite(tmp / "sb.toml", f'type = "tally"\ndata = "{b_data}"'), "--out", run_b).exit_code == 0
    r = invoke("report", run_a, "--against", run_b, "--json")
    rows = last_json(r)["rows"]
    matched = [x for x in rows if not x["only_in"]]
    assert len(matched) == 1 and matched[0]["matched_on"] == "setting without data"
    assert matched[0]["setting"].startswith(a_data) and matched[0]["setting_b"].startswith(b_data)
    assert matched[0]["difference"] == pytest.approx(0.9 - 0.55)
    assert matched[0]["ci_overlap"] is False
    alone = [x for x in rows if x["only_in"]]
    assert [(x["setting"], x["only_in"]) for x in alone] == [(f"{a_data}: only in A", "A")]
    assert "1 row(s) matched; 1 without a partner" in r.stdout and "only in A" in r.stdout
    html = (run_a / "report.html").read_text()
    assert "without a partner" in html and "no partner: only in run A" in html


def test_a_changed_setting_is_not_matched_by_dropping_the_data(env):
    """Only the data is left out: two runs that differ in anything else are not partners."""
    from proctor.runs.compare import compare_rows

    a = [ScoreRow("t", "/x/one.csv: judge openai/gpt-4o", "acc", 0.7, (0.6, 0.8))]
    b = [ScoreRow("t", "/y/two.csv: judge anthropic/claude", "acc", 0.6, (0.5, 0.7))]
    rows = compare_rows(a, b)
    assert [r["only_in"] for r in rows] == ["A", "B"]
    same_judge = [ScoreRow("t", "/y/two.csv: judge openai/gpt-4o", "acc", 0.6, (0.5, 0.7))]
    (row,) = compare_rows(a, same_judge)
    assert row["matched_on"] == "setting without data" and row["difference"] == pytest.approx(0.1)


def test_runs_lists_every_kind_of_output_with_full_id_date_data_and_headline(env):
    from proctor.sae.checkpoint import save_sae

    root = env / "runs"
    long_id = "coin-" + "0123456789abcdef" * 3
    assert invoke("run", _suite(env / "c.toml", 'type = "coin"\nflips = 40'), "--out", root / long_id).exit_code == 0
    assert invoke("run", _suite(env / "s.toml", f'type = "tally"\ndata = "{_data(env / "d.txt", 150)}"'),
                  "--out", root / "tally-run").exit_code == 0
    sae = root / "sae-out"
    save_sae(identity_sae(4), sae)
    (sae / "train.json").write_text(json.dumps({"source": "minilm resid.3 on sst2", "fvu": 0.0123, "l0": 4.0,
                                                "dead_fraction": 0.25, "num_latents": 8}))
    ver = root / "verifiers-out"
    ver.mkdir()
    from safetensors.numpy import save_file

    for m in ("prm", "orm"):
        save_file({"w": np.zeros(3, dtype=np.float32)}, str(ver / f"{m}.safetensors"))
    (ver / "train.jsonl").write_text('{"prompt": "1+1", "completions": ["2"], "labels": [true]}\n' * 3)
    cai = root / "cai-out"
    cai.mkdir()
    (cai / "chains.jsonl").write_text('{"prompt": "p", "source": "hh"}\n' * 2)
    (cai / "sft.jsonl").write_text('{"messages": []}\n' * 2)
    (root / "debate-prefs.jsonl").write_text('{"prompt": "q", "chosen": "a", "rejected": "b"}\n' * 4)
    (root / "notes.txt").write_text("not an output")

    r = invoke("runs", root, env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    assert long_id in r.stdout  # the whole id, hash included, even on a narrow terminal
    from proctor.runs.executor import list_runs

    rows = {x["id"]: x for x in list_runs(root)}
    assert set(rows) == {long_id, "tally-run", "sae-out", "verifiers-out", "cai-out", "debate-prefs.jsonl"}
    kinds = {k: v["kind"] for k, v in rows.items()}
    assert kinds == {long_id: "coin", "tally-run": "tally", "sae-out": "sae", "verifiers-out": "verifiers",
                     "cai-out": "cai", "debate-prefs.jsonl": "export"}
    assert all(len(v["date"]) == 16 and v["date"][:2] == "20" for v in rows.values())
    assert rows["tally-run"]["data"] == str(env / "d.txt")
    assert rows["tally-run"]["headline"].startswith("success rate 0.75 [")
    assert rows[long_id]["headline"].startswith("accuracy - always heads ")
    assert rows["sae-out"]["data"] == "minilm resid.3 on sst2" and "FVU 0.012" in rows["sae-out"]["headline"]
    assert rows["verifiers-out"]["headline"] == "PRM + ORM trained on 3 solutions"
    assert rows["cai-out"]["data"] == "hh" and rows["cai-out"]["headline"] == "2 chains, 2 sft"
    assert rows["debate-prefs.jsonl"]["headline"].startswith("4 preference rows")
