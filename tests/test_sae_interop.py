"""SAE folders across tools, checked with the real packages (eai-sparsify 1.3.3, sae-lens 6.x; `make test` installs
them): `proctor sae train` folders load in sparsify, `proctor sae export --format saelens` folders load in SAELens, both
reconstruct as Proctor does (allclose), and Proctor reads sparsify and SAELens folders back with their site and model.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import sae_lens
import sparsify
import torch
from conftest import assert_user_error, invoke, last_json
from sae_lens.saes.sae import SAEMetadata
from safetensors.numpy import save_file
from safetensors.torch import save_file as save_torch

from proctor.errors import ModelError
from proctor.sae import load_sae, save_sae
from proctor.sae.config import SAEConfig, TrainConfig

D, LATENTS, K = 16, 64, 4


def _acts(n: int, seed: int) -> torch.Tensor:
    """Correlated, off-centre activations (a b_dec and a non-trivial code matter)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, D, generator=g) @ torch.randn(D, D, generator=g) + 3


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A topk SAE trained by `proctor sae train --acts` on random activations at resid.2 (a few seconds)."""
    root = tmp_path_factory.mktemp("interop")
    X = _acts(1500, 0).numpy()
    (root / "acts").mkdir()
    save_file({"resid.2": X, "text_index": np.arange(len(X))}, str(root / "acts" / "shard-00000.safetensors"))
    r = invoke("sae", "train", "--acts", root / "acts", "--site", "resid.2", "--model", "minilm", "--latents",
               LATENTS, "--k", K, "--steps", 60, "--batch-size", 256, "--out", root / "sae", "--json")
    assert last_json(r)["num_latents"] == LATENTS
    return root / "sae"


def _x() -> torch.Tensor:
    return _acts(64, 1)


def _trained_sae(arch: str):
    from proctor.sae.train import train_sae

    cfg = SAEConfig(d_in=D, num_latents=LATENTS, k=K, architecture=arch, site="mlp.3", model="some/model")
    return train_sae(_acts(1000, 2), cfg, TrainConfig(batch_size=256, steps=40), progress=False).sae.eval()


def test_train_folder_loads_in_sparsify_and_reconstructs_like_proctor(trained):
    cfg = json.loads((trained / "cfg.json").read_text())
    assert set(cfg) == {f.name for f in dataclasses.fields(sparsify.SparseCoderConfig)} | {"d_in"}
    coder = sparsify.SparseCoder.load_from_disk(trained)
    ours = load_sae(trained)
    assert (coder.d_in, coder.num_latents, coder.cfg.k) == (D, LATENTS, K)
    assert (ours.cfg.site, ours.cfg.model) == ("resid.2", "minilm")  # Proctor's config.json is still read first
    x = _x()
    with torch.no_grad():
        theirs, mine = coder(x).sae_out, ours.reconstruct(x)
    assert torch.allclose(theirs, mine, rtol=1e-5, atol=1e-5)
    assert (theirs - x).pow(2).sum() < 0.9 * (x - x.mean(0)).pow(2).sum()  # a trained SAE, not an identity of zeros


def test_older_config_json_only_folders_still_load(trained, tmp_path):
    sae = load_sae(trained)
    save_sae(sae, tmp_path / "old")
    (tmp_path / "old" / "cfg.json").unlink()
    assert torch.allclose(load_sae(tmp_path / "old").reconstruct(_x()), sae.reconstruct(_x()))


def _check_saelens(folder, sae, hook: str, model: str, arch: str):
    loaded = sae_lens.SAE.load_from_disk(str(folder))
    assert loaded.cfg.architecture() == arch
    assert (loaded.cfg.metadata.hook_name, loaded.cfg.metadata.model_name) == (hook, model)
    x = _x()
    with torch.no_grad():
        assert torch.allclose(loaded.encode(x), sae.encode(x), rtol=1e-5, atol=1e-5)
        assert torch.allclose(loaded(x), sae.reconstruct(x), rtol=1e-5, atol=1e-5)


def test_saelens_export_of_a_trained_folder(trained, tmp_path):
    r = invoke("sae", "export", trained, "--format", "saelens", "--out", tmp_path / "sl", "--json")
    assert last_json(r)["site"] == "resid.2"
    _check_saelens(tmp_path / "sl", load_sae(trained), "blocks.1.hook_resid_post", "minilm", "topk")


@pytest.mark.parametrize("arch, theirs", [("batchtopk", "jumprelu"), ("relu", "standard")])
def test_saelens_export_of_other_architectures(arch, theirs, tmp_path):
    sae = _trained_sae(arch)
    save_sae(sae, tmp_path / "sae")
    assert not (tmp_path / "sae" / "cfg.json").exists()  # sparsify has no such SAE: no cfg.json that lies
    last_json(invoke("sae", "export", tmp_path / "sae", "--out", tmp_path / "sl", "--json"))
    _check_saelens(tmp_path / "sl", sae, "blocks.2.hook_mlp_out", "some/model", theirs)
    back = load_sae(tmp_path / "sl")
    assert back.cfg == sae.cfg
    assert torch.allclose(back.reconstruct(_x()), sae.reconstruct(_x()), atol=1e-5)
    assert_user_error(invoke("sae", "export", tmp_path / "sae", "--format", "sparsify", "--out", tmp_path / "sp"),
                      "topk")


def _saelens_folder(path, arch: str, **cfg):
    """A folder written by SAELens itself (`SAE.save_model`), random weights, non-zero biases."""
    classes = {"topk": (sae_lens.TopKSAE, sae_lens.TopKSAEConfig, {"k": K}),
               "standard": (sae_lens.StandardSAE, sae_lens.StandardSAEConfig, {}),
               "jumprelu": (sae_lens.JumpReLUSAE, sae_lens.JumpReLUSAEConfig, {})}
    cls, cfg_cls, extra = classes[arch]
    meta = SAEMetadata(hook_name="blocks.0.hook_mlp_out", model_name="gpt2")
    sae = cls(cfg_cls(d_in=D, d_sae=LATENTS, metadata=meta, **extra, **cfg))
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in sae.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.3 if p.ndim == 1 else 1))
        if arch == "jumprelu":
            sae.threshold.fill_(0.5)
    sae.save_model(str(path))
    return sae


@pytest.mark.parametrize("arch, cfg", [("topk", {"apply_b_dec_to_input": False}), ("standard", {}),
                                       ("jumprelu", {})])
def test_proctor_reads_saelens_folders_with_site_and_model(arch, cfg, tmp_path):
    theirs = _saelens_folder(tmp_path / "sl", arch, **cfg)
    ours = load_sae(tmp_path / "sl")
    assert (ours.cfg.site, ours.cfg.model) == ("mlp.1", "gpt2")
    x = _x()
    with torch.no_grad():
        assert torch.allclose(ours.reconstruct(x), theirs(x), rtol=1e-4, atol=1e-4)


def test_per_latent_jumprelu_thresholds_are_refused_by_name(tmp_path):
    sae = _saelens_folder(tmp_path / "sl", "jumprelu")
    with torch.no_grad():
        sae.threshold.copy_(torch.linspace(0, 1, LATENTS))
    sae.save_model(str(tmp_path / "sl"))
    with pytest.raises(ModelError, match="per-latent thresholds"):
        load_sae(tmp_path / "sl")


def _sparsify_coder(folder):
    coder = sparsify.SparseCoder(D, sparsify.SparseCoderConfig(k=K, num_latents=LATENTS))
    with torch.no_grad():
        coder.b_dec.normal_(generator=torch.Generator().manual_seed(4))
    coder.save_to_disk(folder)
    return coder


def test_a_sparsify_run_goes_to_saelens_through_proctor_with_its_site_and_model(tmp_path):
    """sparsify's trainer writes RUN/config.json (with `model`) and RUN/layers.N/{cfg.json,sae.safetensors}."""
    coder = _sparsify_coder(tmp_path / "run" / "layers.2")
    (tmp_path / "run" / "config.json").write_text(json.dumps({"model": "EleutherAI/pythia-70m", "sae": {}}))
    got = last_json(invoke("sae", "export", tmp_path / "run", "--out", tmp_path / "sl", "--json"))
    assert (got["site"], got["model"]) == ("resid.3", "EleutherAI/pythia-70m")
    loaded = sae_lens.SAE.load_from_disk(str(tmp_path / "sl"))
    assert loaded.cfg.metadata.hook_name == "blocks.2.hook_resid_post"
    x = _x()
    with torch.no_grad():
        assert torch.allclose(loaded(x), coder(x).sae_out, rtol=1e-5, atol=1e-5)


def test_a_bare_sparsify_folder_needs_model_and_site(tmp_path):
    _sparsify_coder(tmp_path / "layers.0")
    assert_user_error(invoke("sae", "export", tmp_path / "layers.0", "--out", tmp_path / "a"), "--model")
    got = last_json(invoke("sae", "export", tmp_path / "layers.0", "--model", "gpt2", "--out", tmp_path / "a",
                           "--json"))
    assert got["site"] == "resid.1"
    _sparsify_coder(tmp_path / "mine")
    assert_user_error(invoke("sae", "export", tmp_path / "mine", "--model", "gpt2", "--out", tmp_path / "b"),
                      "--site")
    assert not (tmp_path / "b").exists()


def _damage(folder, how: str):
    if how == "no cfg.json":
        (folder / "cfg.json").unlink()
    elif how == "no weights":
        (folder / "sae_weights.safetensors").unlink()
    elif how == "foreign":
        for p in folder.iterdir():
            p.unlink()
        (folder / "README.md").write_text("not an SAE")
    elif how == "corrupt":
        (folder / "sae_weights.safetensors").write_bytes(b"\x00" * 64)
    elif how == "gated":
        cfg = json.loads((folder / "cfg.json").read_text())
        (folder / "cfg.json").write_text(json.dumps(cfg | {"architecture": "gated"}))
    elif how == "wrong d_sae":
        cfg = json.loads((folder / "cfg.json").read_text())
        (folder / "cfg.json").write_text(json.dumps(cfg | {"d_sae": LATENTS * 2}))
    elif how == "no W_dec":
        save_torch({"W_enc": torch.zeros(D, LATENTS), "b_enc": torch.zeros(LATENTS), "b_dec": torch.zeros(D)},
                   str(folder / "sae_weights.safetensors"))


@pytest.mark.parametrize("how, needle", [("no cfg.json", "no cfg.json"), ("no weights", "no sae_weights.safetensors"),
                                         ("foreign", "no sae.safetensors"), ("corrupt", "not a readable"),
                                         ("gated", "'gated'"), ("wrong d_sae", "d_sae"), ("no W_dec", "W_dec")])
def test_damaged_or_foreign_folders_give_one_clear_line(how, needle, tmp_path):
    _saelens_folder(tmp_path / "sl", "topk")
    _damage(tmp_path / "sl", how)
    r = invoke("sae", "export", tmp_path / "sl", "--model", "gpt2", "--site", "resid.1", "--out", tmp_path / "out")
    assert_user_error(r, str(tmp_path / "sl"), needle)
    assert not (tmp_path / "out").exists()


def test_export_will_not_overwrite_a_sparsify_cfg_json(trained, tmp_path):
    save_sae(load_sae(trained), tmp_path / "sae")
    assert_user_error(invoke("sae", "export", tmp_path / "sae", "--out", tmp_path / "sae"), "choose another folder")
    assert sparsify.SparseCoder.load_from_disk(tmp_path / "sae").num_latents == LATENTS
