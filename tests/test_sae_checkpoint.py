"""Save / load round trip of Proctor SAEs, and loading a folder in EleutherAI sparsify's layout."""

import json

import pytest
import torch
from safetensors.torch import save_file

from proctor.errors import ModelError
from proctor.sae import load_sae, save_sae
from proctor.sae.config import SAEConfig
from proctor.sae.model import SparseAutoencoder


def test_round_trip_keeps_weights_config_and_codes(tmp_path):
    sae = SparseAutoencoder(SAEConfig(d_in=8, num_latents=32, k=4, site="resid.3", model="minilm"), seed=1)
    with torch.no_grad():
        sae.b_dec.normal_()
        sae.encoder.bias.normal_()
    save_sae(sae, tmp_path / "sae")
    assert sorted(p.name for p in (tmp_path / "sae").iterdir()) == ["cfg.json", "config.json", "sae.safetensors"]
    back = load_sae(tmp_path / "sae")
    assert back.cfg == sae.cfg
    for k, v in sae.state_dict().items():
        assert torch.equal(v, back.state_dict()[k])
    x = torch.randn(5, 8)
    assert torch.equal(sae.encode(x), back.encode(x))
    assert back.W_dec.shape == (32, 8)
    assert torch.allclose(back.decode(back.encode(x)), sae.reconstruct(x))


def _sparsify_folder(path, d_in=6, latents=24, k=3, **cfg):
    """A folder as sparsify's SparseCoder.save_to_disk writes it: cfg.json (its config + d_in), sae.safetensors."""
    path.mkdir()
    g = torch.Generator().manual_seed(0)
    tensors = {"encoder.weight": torch.randn(latents, d_in, generator=g),
               "encoder.bias": torch.randn(latents, generator=g),
               "W_dec": torch.nn.functional.normalize(torch.randn(latents, d_in, generator=g), dim=1),
               "b_dec": torch.randn(d_in, generator=g)}
    save_file(tensors, str(path / "sae.safetensors"))
    conf = {"activation": "topk", "expansion_factor": 4, "normalize_decoder": True, "num_latents": latents, "k": k,
            "multi_topk": False, "skip_connection": False, "transcode": False, "d_in": d_in, **cfg}
    (path / "cfg.json").write_text(json.dumps(conf))
    return tensors


def test_loads_sparsify_layout_and_encodes_like_sparsify(tmp_path):
    t = _sparsify_folder(tmp_path / "layers.3")
    sae = load_sae(tmp_path / "layers.3")
    assert sae.cfg.num_latents == 24 and sae.cfg.k == 3 and sae.cfg.d_in == 6
    assert (sae.cfg.site, sae.cfg.model) == ("resid.4", "")  # sparsify's hookpoint counts blocks from 0
    x = torch.randn(7, 6)
    # sparsify: pre = relu(W_enc (x - b_dec) + b_enc); top-k; x_hat = sum top_acts * W_dec[idx] + b_dec
    pre = torch.relu((x - t["b_dec"]) @ t["encoder.weight"].T + t["encoder.bias"])
    v, i = pre.topk(3)
    expected = (v[..., None] * t["W_dec"][i]).sum(1) + t["b_dec"]
    assert torch.allclose(sae.reconstruct(x), expected, atol=1e-5)


def test_sparsify_num_latents_zero_uses_expansion_factor(tmp_path):
    folder = tmp_path / "s"
    _sparsify_folder(folder, latents=24, num_latents=0, expansion_factor=4)
    assert load_sae(folder).num_latents == 24


@pytest.mark.parametrize("change, needle", [({"activation": "groupmax"}, "groupmax"),
                                            ({"transcode": True}, "transcode")])
def test_unsupported_sparsify_configs_are_named(tmp_path, change, needle):
    _sparsify_folder(tmp_path / "s", **change)
    with pytest.raises(ModelError, match=needle):
        load_sae(tmp_path / "s")


def test_bad_folders_give_one_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no such SAE folder"):
        load_sae(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no sae.safetensors"):
        load_sae(tmp_path / "empty")
    _sparsify_folder(tmp_path / "bad", latents=24)
    (tmp_path / "bad" / "cfg.json").write_text(json.dumps({"d_in": 6, "num_latents": 30, "k": 3}))
    with pytest.raises(ModelError, match="shape"):
        load_sae(tmp_path / "bad")


def test_the_library_never_imports_sparsify():
    import subprocess
    import sys

    code = ("import sys, pkgutil, importlib, proctor.sae as p\n"
            "for m in pkgutil.iter_modules(p.__path__): importlib.import_module('proctor.sae.' + m.name)\n"
            "print('sparsify' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
