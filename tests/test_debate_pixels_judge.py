"""Pixel debate: the MNIST loader, the judge's two-plane input encoding, random pixel draws, the weight cache."""

import gzip

import numpy as np
import pytest

from proctor.debate.pixels.judge import JudgeConfig, encode_masks, encode_reveals, random_nonzero_masks
from proctor.errors import DataError


def test_encoding_has_a_mask_plane_and_a_value_plane():
    values = np.zeros((2, 784), np.float32)
    values[0, 30] = 0.5
    values[0, 29 + 28 * 3] = 1.0
    values[1, 783] = 0.25
    x = encode_reveals(values, np.array([[30, 29 + 28 * 3], [783, -1]])).numpy()
    assert x.shape == (2, 2, 28, 28)
    # plane 0: 1 exactly where revealed; plane 1: the revealed values, 0 elsewhere
    assert x[0, 0, 1, 2] == 1 and x[0, 0, 4, 1] == 1 and x[0, 0].sum() == 2
    assert x[0, 1, 1, 2] == 0.5 and x[0, 1, 4, 1] == 1.0 and x[0, 1].sum() == 1.5
    assert x[1, 0, 27, 27] == 1 and x[1, 0].sum() == 1 and x[1, 1, 27, 27] == 0.25  # -1 is padding


def test_a_revealed_pixel_of_value_zero_is_still_visible_in_the_mask():
    x = encode_reveals(np.zeros((1, 784), np.float32), np.array([[5]])).numpy()
    assert x[0, 0, 0, 5] == 1 and x[0, 1].sum() == 0


def test_training_encoding_matches_the_debate_encoding():
    import torch

    rng = np.random.default_rng(0)
    values = torch.tensor(rng.random((3, 784)) * (rng.random((3, 784)) > 0.7), dtype=torch.float32)
    masks = random_nonzero_masks(values, 6, torch.Generator().manual_seed(1))
    assert masks.sum(1).tolist() == [6, 6, 6] and (values[masks] > 0).all()
    pix = np.stack([np.flatnonzero(m) for m in masks.numpy()])
    np.testing.assert_array_equal(encode_masks(values, masks).numpy(), encode_reveals(values.numpy(), pix).numpy())
    other = random_nonzero_masks(values, 6, torch.Generator().manual_seed(2))
    assert not torch.equal(masks, other)


def test_cache_key_follows_the_config():
    assert JudgeConfig(pixels=6).key() == JudgeConfig(pixels=6).key()
    assert JudgeConfig(pixels=6).key() != JudgeConfig(pixels=4).key()
    assert JudgeConfig(steps=10).key() != JudgeConfig(steps=11).key()


def test_judge_is_trained_once_then_read_from_safetensors(tmp_path, monkeypatch, data_dir):
    import proctor.debate.pixels.judge as judge_mod
    from proctor.debate.pixels.judge import judge_logits, load_or_train
    from proctor.debate.pixels.mnist import load_mnist

    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path))
    images, labels = load_mnist(data_dir / "mnist")
    cfg = JudgeConfig(pixels=4, steps=5, batch_size=16)
    first = load_or_train(cfg, images, labels, progress=False)
    assert list(tmp_path.glob("pixel_judges/*.safetensors"))

    def no_training(*a, **k):
        raise AssertionError("the cached judge should have been used")

    monkeypatch.setattr(judge_mod, "train_judge", no_training)
    again = load_or_train(cfg, images, labels, progress=False)
    x = encode_reveals(images[:4].reshape(4, -1) / 255.0, np.array([[100, 200, 300, 400]] * 4))
    np.testing.assert_array_equal(judge_logits(first, x), judge_logits(again, x))


def test_mnist_loads_the_ten_thousand_test_images(data_dir):
    from proctor.debate.pixels.mnist import judge_split, load_mnist

    images, labels = load_mnist(data_dir / "mnist")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    tr, ev = judge_split(10000)
    assert len(tr) == 8000 and len(ev) == 2000 and not set(tr) & set(ev)
    np.testing.assert_array_equal(ev, judge_split(10000)[1])  # fixed


def test_missing_or_broken_mnist_is_a_data_error(tmp_path, monkeypatch):
    from proctor.debate.pixels.mnist import load_mnist

    with pytest.raises(DataError, match="no such MNIST folder"):
        load_mnist(tmp_path / "nowhere")
    monkeypatch.delenv("PROCTOR_DATA", raising=False)
    with pytest.raises(DataError, match="PROCTOR_DATA"):
        load_mnist()
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x01garbage")
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: not an IDX file"):
        load_mnist(tmp_path)


def test_training_records_the_held_out_learning_curve(tmp_path, monkeypatch, data_dir):
    """load_or_train scores the judge on the held-out split every `eval_every` steps and keeps that curve in the
    cached file (how the judges and the learning-curve table of docs/results.md were made). Scoring draws pixels
    from its own generator, so the training batches are those of a run without evaluations: the weights differ only
    by the float rounding of the memory layout, not by a different sequence of batches."""
    import torch

    from proctor.debate.pixels.judge import judge_curve, load_or_train
    from proctor.debate.pixels.mnist import load_mnist

    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path))
    torch.set_num_threads(1)
    images, labels = load_mnist(data_dir / "mnist")
    with_curve = JudgeConfig(pixels=4, steps=40, batch_size=32, eval_every=20)
    without = JudgeConfig(pixels=4, steps=40, batch_size=32, eval_every=0)
    assert with_curve.key() != without.key() and judge_curve(with_curve) is None
    a = load_or_train(with_curve, images, labels, progress=False)
    b = load_or_train(without, images, labels, progress=False)
    curve = judge_curve(with_curve)
    assert [p["step"] for p in curve] == [20, 40] and all(0 <= p["held_out"] <= 1 for p in curve)
    assert judge_curve(without) == []
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-4, err_msg=name)


def test_curve_script_trains_through_the_suites_cache(tmp_path, monkeypatch, data_dir, capsys):
    """scripts/pixel_judge_curve.py trains the judge with load_or_train (the suites' function, cache and key) and
    prints the curve; run again, it reads the same judge and curve from the cache."""
    import importlib.util
    import json
    from pathlib import Path

    from proctor.debate.pixels.experiment import judge_config
    from proctor.debate.pixels.spec import PixelDebateSpec

    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path))
    path = Path(__file__).resolve().parents[1] / "scripts" / "pixel_judge_curve.py"
    spec = importlib.util.spec_from_file_location("pixel_judge_curve", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    args = ["--pixels", "4", "--steps", "20", "--eval-every", "10"]
    first = script.main(args)
    assert not first["from_cache"] and [p["step"] for p in first["curve"]] == [10, 20]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "| steps | 10 | 20 |" and out[1].startswith("| 4 px, lr 0.001 |")
    assert json.loads(out[-1])["judge"] == first["judge"]
    again = script.main(args)
    assert again["from_cache"] and again["curve"] == first["curve"] and again["judge_alone"] == first["judge_alone"]
    suite = PixelDebateSpec(pixels=[4], judge_steps=20, judge_eval_every=10)
    assert judge_config(suite, 4).key() == first["judge"]  # the judge a suite with these settings would use
