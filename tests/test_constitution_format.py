"""Constitution TOML format, the packaged default, the CAI paper's JSON files (read as a fixture, never copied), and
the CLI's `principles` verb and its one-line errors."""

import json
import random

import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.constitution.constitution import (
    default_constitution,
    load_constitution,
    resolve_constitution,
    sample_comparison,
    sample_principle,
)
from proctor.errors import ConfigError, DataError


def test_default_constitution_is_complete():
    c = default_constitution()
    assert c.name == "proctor-default" and len(c.principle) >= 8 and len(c.comparison) >= 6
    assert all(p.critique and p.revision for p in c.principle)
    # sampling respects weights and is reproducible
    a = [sample_principle(c, random.Random(7)).id for _ in range(3)]
    assert a == [sample_principle(c, random.Random(7)).id for _ in range(3)]
    assert sample_comparison(c, random.Random(0)).id in {p.id for p in c.comparison}


def test_weights_and_errors(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('name = "w"\n[[principle]]\nid = "a"\ncritique = "x"\nrevision = "y"\nweight = 1e-9\n'
                 '[[principle]]\nid = "b"\ncritique = "x"\nrevision = "y"\nweight = 1\n')
    c = load_constitution(f)
    rng = random.Random(0)
    assert [sample_principle(c, rng).id for _ in range(20)] == ["b"] * 20
    with pytest.raises(ConfigError, match=r"no \[\[comparison\]\] entries"):
        sample_comparison(c, rng)
    f.write_text('[[principle]]\nid = "a"\ncritique = "x"\nrevison = "typo"\n')
    with pytest.raises(ConfigError, match=r"c.toml: .*revison"):
        load_constitution(f)
    f.write_text('[[comparison]]\nid = "a"\ntext = "x"\n[[comparison]]\nid = "a"\ntext = "y"\n')
    with pytest.raises(ConfigError, match="duplicate id 'a'"):
        load_constitution(f)
    f.write_text('name = "empty"\n')
    with pytest.raises(ConfigError, match="at least one"):
        load_constitution(f)
    f.write_text("[[principle]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_constitution(f)


def test_cai_paper_loader(data_dir):
    c = resolve_constitution(f"cai-paper:{data_dir / 'cai_paper'}")
    assert (len(c.principle), len(c.comparison), len(c.few_shot)) == (16, 16, 5)
    raw = json.loads((data_dir / "cai_paper" / "CritiqueRevisionInstructions.json").read_text())
    # the prompt scaffolding is stripped, the request itself is kept whole
    assert c.principle[0].id == "harmful0" and c.principle[0].critique in raw["harmful0"]["prompt"][0]
    assert not c.principle[0].critique.startswith("CritiqueRequest") and not c.principle[0].critique.endswith(":")
    assert "RevisionRequest" not in c.principle[0].revision
    assert all(not p.text.endswith("Options:") for p in c.comparison)


def test_cai_paper_loader_errors(tmp_path):
    from proctor.constitution.cai_paper import load_cai_paper

    with pytest.raises(DataError, match="CritiqueRevisionInstructions.json: not found"):
        load_cai_paper(tmp_path)
    (tmp_path / "CritiqueRevisionInstructions.json").write_text('{"h0": {"prompt": ["x"]}}')
    with pytest.raises(DataError, match="h0: expected keys"):
        load_cai_paper(tmp_path)


def test_cli_principles_and_errors(tmp_path):
    obj = last_json(invoke("cai", "principles", "--json"))
    assert obj["constitution"] == "proctor-default" and "physical-harm" in obj["principles"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[[principle]]\nid = 'a'\n")
    assert_user_error(invoke("cai", "principles", "--constitution", bad), "bad.toml")
    assert_user_error(invoke("cai", "prefer", "--judge", "mockllm/model", "--chains", tmp_path / "none.jsonl"),
                      "none.jsonl")
    assert_user_error(invoke("cai", "prefer", "--judge", "mockllm/model"), "--chains")
