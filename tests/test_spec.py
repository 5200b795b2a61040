"""Specs: every field documented, TOML round trip, unknown keys named."""

import pytest

from proctor.errors import ConfigError
from proctor.runs.spec import Suite, dump_toml, load_suite
from proctor.w2s.spec import ModelSpec, W2SSpec, load_w2s_spec


@pytest.mark.parametrize("model", [ModelSpec, W2SSpec, Suite])
def test_every_field_is_documented(model):
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no docstring"


def test_toml_round_trip(tmp_path):
    spec = W2SSpec(dataset="boolq", weak=["tfidf", "mlp:minilm@2"], strong={"kind": "finetune", "max_length": 256},
                   chain=["finetune:minilm@3"], loss=["aux"], seeds=2, max_train=500)
    path = tmp_path / "w.toml"
    path.write_text(dump_toml(spec))
    assert load_w2s_spec(path) == spec
    suite = Suite(name="s", experiment=[spec])
    path.write_text(dump_toml(suite))
    assert load_suite(path) == suite


def test_unknown_key_in_nested_model_is_named(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('dataset = "sst2"\n[strong]\nkind = "finetune"\nlayerz = 3\n')
    with pytest.raises(ConfigError, match=r"w.toml: strong.layerz: unknown key"):
        load_w2s_spec(path)


def test_single_experiment_file_is_a_suite(tmp_path):
    path = tmp_path / "one.toml"
    path.write_text('type = "w2s"\ndataset = "sst2"\nseeds = 1\n')
    suite = load_suite(path)
    assert suite.name == "one" and suite.experiment[0].seeds == 1


def test_suite_overseer_and_overseen_fill_each_technique_where_unset():
    from proctor.runs.spec import Suite

    s = Suite.model_validate({
        "name": "pair", "overseer": "minilm@2", "overseen": "minilm",
        "experiment": [
            {"type": "w2s", "dataset": "sst2"},
            {"type": "w2s", "dataset": "sst2", "weak": ["tfidf"], "name": "explicit"},
            {"type": "verifiers"},
            {"type": "sae"},
            {"type": "debate", "protocols": ["naive"]},
            {"type": "superposition"},
        ]})
    w, explicit, ver, sae, deb, sup = s.experiment
    assert [m.label for m in w.weak] == ["probe:minilm@2"] and w.strong.kind == "finetune"
    assert [m.label for m in explicit.weak] == ["tfidf"]  # a table's own choice wins
    assert (ver.model, ver.layers) == ("minilm", 2)
    assert sae.model == "minilm"
    assert (deb.judge, deb.debater) == ("minilm@2", "minilm")
    assert sup.type == "superposition"  # techniques without a model are untouched
    assert Suite.model_validate(s.model_dump(mode="json")) == s  # round trip
