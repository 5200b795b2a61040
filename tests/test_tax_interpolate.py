"""Weight averaging (Lin et al. 2023) on a one-block MiniLM: exact averages, endpoints equal to the two checkpoints,
and the `--demo` command end to end."""

import json

import pytest
import torch
from conftest import assert_user_error, invoke, last_json

from proctor.errors import ModelError
from proctor.tax import ProbeEvaluation, RetrievalEvaluation, average_state, interpolation_sweep
from proctor.tax.demo import DemoConfig, finetune_checkpoint


def test_average_state_is_exact():
    base = {"w": torch.tensor([0.0, 2.0]), "ids": torch.tensor([0, 1])}
    tuned = {"w": torch.tensor([4.0, -2.0]), "ids": torch.tensor([5, 6])}
    mid = average_state(base, tuned, 0.25)
    assert torch.equal(mid["w"], torch.tensor([1.0, 1.0])) and torch.equal(mid["ids"], base["ids"])
    with pytest.raises(ModelError, match="shape"):
        average_state(base, {"w": torch.zeros(3), "ids": tuned["ids"]}, 0.5)
    with pytest.raises(ModelError, match="same architecture"):
        average_state(base, {"w": tuned["w"]}, 0.5)


@pytest.fixture(scope="module")
def tuned_folder(tmp_path_factory):
    import os

    if not os.environ.get("PROCTOR_DATA"):
        pytest.skip("PROCTOR_DATA is not set to the shared data folder")
    folder = tmp_path_factory.mktemp("tuned") / "ckpt"
    return finetune_checkpoint(folder, DemoConfig(layers=1, examples=96, epochs=1, lr=3e-4))


def test_sweep_endpoints_are_the_two_checkpoints(tuned_folder, data_dir):
    from proctor.models import load_backbone

    evals = {"sst2": ProbeEvaluation("sst2", max_train=60, max_test=60),
             "retrieval": RetrievalEvaluation("boolq", n=40)}
    points = interpolation_sweep("minilm", str(tuned_folder), evals, lambdas=[0.0, 0.5, 1.0], layers=1)
    assert [p.lam for p in points] == [0.0, 0.5, 1.0]
    tok, base, _ = load_backbone("minilm", 1)
    tok2, tuned, _ = load_backbone(str(tuned_folder))
    for name, fn in evals.items():
        assert points[0].scores[name] == pytest.approx(fn(base, tok), abs=1e-9)
        assert points[-1].scores[name] == pytest.approx(fn(tuned, tok2), abs=1e-9)
        assert 0.0 <= points[1].scores[name] <= 1.0
    assert points[0].scores["retrieval"] > 0.5  # one block of MiniLM already matches questions to passages


def test_interpolate_demo_cli(tmp_path, data_dir):
    report = tmp_path / "interp.html"
    obj = last_json(invoke("tax", "interpolate", "--demo", "--layers", "1", "--demo-examples", "32", "--demo-epochs",
                           "1", "--examples", "30", "--steps", "3", "--out", tmp_path / "out", "--report", report,
                           "--json"))
    assert [p["lam"] for p in obj["points"]] == [0.0, 0.5, 1.0]
    assert obj["capability"] == "retrieval:boolq" and obj["alignment"] == "probe:sst2" and obj["base"] == "minilm"
    assert (tmp_path / "out" / "tuned" / "config.json").is_file()
    assert json.loads((tmp_path / "out" / "results.json").read_text())["points"] == obj["points"]
    assert "data:image/png;base64" in report.read_text()
    assert_user_error(invoke("tax", "interpolate"), "--tuned")
    assert_user_error(invoke("tax", "interpolate", "--tuned", tmp_path, "--alignment", "nli:x"), "unknown kind")
