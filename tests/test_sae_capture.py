"""Activation capture through hooks (MiniLM), shards, splicing, and CE loss recovered on a tiny random causal LM."""

import numpy as np
import pytest
import torch
from conftest import identity_sae

from proctor.errors import ConfigError
from proctor.sae.capture import ActivationCapture, Site, blocks_of, load_shards
from proctor.sae.config import SAEConfig
from proctor.sae.metrics import ce_loss_recovered, encoder_splice_effect
from proctor.sae.model import SparseAutoencoder

TEXTS = ["the film is a delight.", "a dull , lifeless mess", "ok"]


@pytest.fixture(scope="module")
def capture():
    return ActivationCapture("minilm", ["resid.3", "mlp.2"])



def test_hooks_match_hidden_states_and_stop_early(capture):
    tok, model, dim, blocks, _ = capture.load()
    calls = []
    h = blocks[5].register_forward_hook(lambda *a: calls.append(1))
    try:
        batches = list(capture.batches(TEXTS, progress=False))
    finally:
        h.remove()
    assert calls == [], "the forward pass ran past the last hooked block"
    rows = torch.cat([b.acts["resid.3"] for b in batches])
    owner = np.concatenate([b.text_index for b in batches])
    enc = tok(TEXTS, padding=True, return_tensors="pt", return_special_tokens_mask=True)
    keep = enc["attention_mask"].bool() & ~enc.pop("special_tokens_mask").bool()
    mlp = {}
    hook = blocks[1].output.dense.register_forward_hook(lambda m, i, o: mlp.setdefault("o", o))
    with torch.inference_mode():
        hs = model(**enc, output_hidden_states=True).hidden_states[3]
    hook.remove()
    text_of_row = keep.nonzero()[:, 0].numpy()
    for t in range(len(TEXTS)):
        assert torch.allclose(rows[owner == t], hs[keep][text_of_row == t], atol=1e-5)
        mlp_rows = torch.cat([b.acts["mlp.2"] for b in batches])[owner == t]
        assert torch.allclose(mlp_rows, mlp["o"][keep][text_of_row == t], atol=1e-5)
    assert rows.shape[1] == dim == 384


def test_shards_round_trip(capture, tmp_path):
    capture.batch_size = 1  # one text per forward, so rows_per_shard=5 must cut several shards
    try:
        paths = capture.save_shards(TEXTS, tmp_path, rows_per_shard=5, progress=False)
    finally:
        capture.batch_size = 32
    assert len(paths) >= 2
    rows, owner = load_shards(tmp_path, "resid.3")
    direct, direct_owner = capture.tokens(TEXTS, "resid.3", progress=False)
    assert np.allclose(rows, direct, atol=1e-4) and (owner == direct_owner).all()


def test_bad_sites_are_config_errors():
    with pytest.raises(ConfigError, match="resid.N"):
        Site.parse("layer3")
    with pytest.raises(ConfigError, match="has 6 blocks"):
        ActivationCapture("minilm", ["resid.9"]).load()


def test_exact_sae_splice_leaves_minilm_unchanged():
    res = encoder_splice_effect("minilm", identity_sae(384), "resid.3", texts=TEXTS * 4, labels=[1, 0, 1] * 4)
    assert res["cosine_sae"] == pytest.approx(1.0, abs=1e-5)
    assert res["cosine_zero"] < 0.9
    assert res["probe_accuracy_sae"] == res["probe_accuracy_clean"]


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    """A randomly initialised 2-block GPT-2 saved to a folder, with MiniLM's tokenizer (any tokenizer will do)."""
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    from proctor.models.backbone import resolve_model

    folder = tmp_path_factory.mktemp("tiny_lm")
    tok = AutoTokenizer.from_pretrained(resolve_model("minilm"))
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=2))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


def test_ce_loss_recovered_on_a_tiny_causal_lm(tiny_lm):
    exact = ce_loss_recovered(tiny_lm, identity_sae(32), "resid.1", TEXTS * 2)
    assert exact["loss_recovered"] == pytest.approx(1.0, abs=1e-4)
    assert exact["ce_zero"] != pytest.approx(exact["ce_clean"])
    rough = SparseAutoencoder(SAEConfig(d_in=32, num_latents=64, k=2), seed=0).eval()
    res = ce_loss_recovered(tiny_lm, rough, "resid.1", TEXTS * 2)
    assert res["loss_recovered"] < 0.999
    assert res["tokens"] > 0
    blocks = blocks_of(__import__("transformers").AutoModelForCausalLM.from_pretrained(tiny_lm))
    assert len(blocks) == 2
