"""`proctor sae train | features | monitor` with --json on a few SST-2 sentences; bad input gives one line; the
suite spec validates."""

import json

import pytest
from typer.testing import CliRunner

from conftest import assert_user_error
from proctor.cli import app

runner = CliRunner()


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _last_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_train_features_monitor_json(data_dir, tmp_path):
    out = tmp_path / "sae"
    res = _last_json(_invoke("sae", "train", "--text", "sst2", "--size", 60, "--out", out, "--expansion", 2, "--k", 8,
                             "--steps", 20, "--batch-size", 512, "--json"))
    assert res["num_latents"] == 768 and res["steps"] == 20 and 0 < res["fvu"] < 1.5
    assert (out / "sae.safetensors").is_file() and (out / "config.json").is_file()
    feats = _last_json(_invoke("sae", "features", out, "--set", "sst2", "--size", 60, "--top", 3, "--json"))
    assert feats["site"] == "resid.3" and len(feats["latents"]) == 3
    assert 0 <= feats["latents"][0]["auroc"] <= 1 and feats["latents"][0]["examples"]
    mon = _last_json(_invoke("sae", "monitor", out, "--set", "sst2", "--size", 60, "--n-boot", 100, "--json"))
    assert set(mon["monitors"]) == {"sae_features", "diff_of_means", "logistic"}
    for m in mon["monitors"].values():
        lo, hi = m["tpr@1%"]["ci"]
        assert 0 <= lo <= m["tpr@1%"]["value"] <= hi <= 1


def test_bad_input_is_one_line(tmp_path):
    assert_user_error(_invoke("sae", "monitor", tmp_path / "nope", "--json"), "nope")
    assert_user_error(_invoke("sae", "train", "--out", tmp_path / "x"), "--text")
    (tmp_path / "empty").mkdir()
    assert_user_error(_invoke("sae", "train", "--acts", tmp_path / "empty", "--out", tmp_path / "x"), "shard")
    assert_user_error(_invoke("sae", "train", "--text", "mnist", "--out", tmp_path / "x"), "mnist")


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
