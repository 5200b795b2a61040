"""`proctor sae train | features | monitor | study` with --json on a few SST-2 sentences; bad input gives one line;
the suite spec validates; `study` runs the suite's runner (resumable, same units)."""

import json

import pytest
from conftest import assert_user_error, invoke, last_json


def test_train_features_monitor_json(data_dir, tmp_path):
    out = tmp_path / "sae"
    res = last_json(invoke("sae", "train", "--text", "sst2", "--size", 60, "--out", out, "--expansion", 2, "--k", 8,
                           "--steps", 20, "--batch-size", 512, "--json"))
    assert res["num_latents"] == 768 and res["steps"] == 20 and 0 < res["fvu"] < 1.5
    assert (out / "sae.safetensors").is_file() and (out / "config.json").is_file()
    assert json.loads((out / "train.json").read_text())["history"]
    feats = last_json(invoke("sae", "features", out, "--set", "sst2", "--size", 60, "--top", 3, "--json"))
    assert feats["site"] == "resid.3" and len(feats["latents"]) == 3
    assert 0 <= feats["latents"][0]["auroc"] <= 1 and feats["latents"][0]["examples"]
    mon = last_json(invoke("sae", "monitor", out, "--set", "sst2", "--size", 60, "--n-boot", 100, "--json"))
    assert set(mon["monitors"]) == {"sae_features", "diff_of_means", "logistic"}
    for m in mon["monitors"].values():
        lo, hi = m["tpr@1%"]["ci"]
        assert 0 <= lo <= m["tpr@1%"]["value"] <= hi <= 1


def test_study_is_a_resumable_one_experiment_suite(data_dir, tmp_path):
    args = ("sae", "study", "--quick", "--expansion", 2, "--k", 8, "--max-rows", 3000, "--n-boot", 100,
            "--out", tmp_path / "run", "--json")
    first = invoke(*args)
    res = last_json(first)
    assert set(res) == {"out", "reconstruction", "sets", "splice", "suppression", "seconds"}
    assert list(res["sets"]) == ["sst2"] and res["splice"] is None and res["suppression"] is None
    assert 0 < res["reconstruction"]["test"]["fvu"] < 1.5
    run = tmp_path / "run"
    for name in ("report.html", "summary.json", "study.json", "sae/sae.safetensors", "sae/config.json"):
        assert (run / name).is_file(), name
    again = invoke(*args)  # everything is in the store: nothing is computed again, the numbers are the same
    assert "skip sae" in again.stderr and "done" not in again.stderr
    assert last_json(again)["sets"] == res["sets"]
    # the SAE it saved is the one the units used
    mon = last_json(invoke("sae", "monitor", run / "sae", "--set", "sst2", "--size", 300, "--n-boot", 100, "--json"))
    assert mon["monitors"]["sae_features"]["auroc"]["value"] == res["sets"]["sst2"]["sae_features"]["auroc"]["value"]


def test_bad_input_is_one_line(tmp_path):
    assert_user_error(invoke("sae", "monitor", tmp_path / "nope", "--json"), "nope")
    assert_user_error(invoke("sae", "train", "--out", tmp_path / "x"), "--text")
    (tmp_path / "empty").mkdir()
    assert_user_error(invoke("sae", "train", "--acts", tmp_path / "empty", "--out", tmp_path / "x"), "shard")
    assert_user_error(invoke("sae", "train", "--text", "mnist", "--out", tmp_path / "x"), "mnist")
    assert_user_error(invoke("sae", "train", "--text", "sst2", "--architecture", "gated", "--out", tmp_path / "x"),
                      "architecture")
    assert_user_error(invoke("sae", "study", "--sets", "sst2,mnist", "--out", tmp_path / "y"), "mnist")
    assert not (tmp_path / "y").exists()


def test_suite_spec_validates(tmp_path):
    from proctor.errors import ConfigError
    from proctor.runs.spec import load_suite

    p = tmp_path / "s.toml"
    p.write_text('name = "s"\n[[experiment]]\ntype = "sae"\nsets = ["sst2"]\nsizes = { sst2 = 300 }\n')
    spec = load_suite(p).experiment[0]
    assert spec.title == "sae-minilm-resid.3" and spec.sets == ["sst2"]
    p.write_text('name = "s"\n[[experiment]]\ntype = "sae"\nsets = ["sst2"]\nbogus = 1\n')
    with pytest.raises(ConfigError, match="bogus"):
        load_suite(p)


def test_quick_preset_is_the_quick_suites_table():
    import tomllib
    from pathlib import Path

    import proctor
    from proctor.sae.spec import QUICK

    suite = tomllib.loads((Path(proctor.__file__).parent / "suites" / "quick.toml").read_text())
    table = next(e for e in suite["experiment"] if e["type"] == "sae")
    assert {k: v for k, v in table.items() if k != "type"} == QUICK
