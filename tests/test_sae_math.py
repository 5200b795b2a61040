"""SAE math against hand-computed cases: TopK, FVU, AuxK, BatchTopK, the sparse encoder / decoder, decoder norms."""

import math

import numpy as np
import pytest
import torch
from conftest import identity_sae

from proctor.sae.config import SAEConfig, TrainConfig, scaled_lr
from proctor.sae.features import auroc_columns, pool_rows, rank_latents
from proctor.sae.model import SparseAutoencoder, geometric_median
from proctor.sae.topk import (
    auxk_k,
    auxk_loss,
    batch_topk_mask,
    dense_decode,
    dense_topk_encode,
    fvu,
    sparse_decode,
    sparse_topk_encode,
    topk_select,
)


def test_topk_keeps_the_k_largest_by_hand():
    pre = torch.tensor([[0.5, 3.0, 0.0, 2.0], [1.0, 0.2, 4.0, 0.1]])
    v, i = topk_select(pre, 2)
    assert sorted(zip(i[0].tolist(), v[0].tolist())) == [(1, 3.0), (3, 2.0)]
    assert sorted(zip(i[1].tolist(), v[1].tolist())) == [(0, 1.0), (2, 4.0)]


def test_fvu_by_hand():
    x = torch.tensor([[1.0, 0.0], [3.0, 2.0]])     # mean (2, 1); total variance = 1+1+1+1 = 4
    x_hat = torch.tensor([[1.0, 1.0], [3.0, 2.0]])  # squared error 1
    assert fvu(x, x_hat).item() == pytest.approx(0.25)


def test_identity_sae_reconstructs_exactly_and_forward_matches_hand_values():
    sae = identity_sae()
    x = torch.tensor([[1.0, -2.0], [0.5, 3.0], [-1.0, -1.0]])
    out = sae(x)
    assert torch.allclose(out.x_hat, x)
    assert out.fvu.item() == pytest.approx(0.0, abs=1e-7)
    z = sae.encode(x)
    assert z[0].tolist() == [1.0, 0.0, 0.0, 2.0]  # relu(x) then relu(-x)
    assert (z > 0).sum(1).tolist() == [2, 2, 2]


def test_auxk_by_hand():
    # d_in = 2 -> k_aux = min(1, dead); one dead latent (index 2 = -e1): it predicts the residual's -e1 part.
    assert auxk_k(2, 1) == (1, 1.0)
    assert auxk_k(768, 100) == (100, 100 / 384)
    sae = identity_sae()
    x = torch.tensor([[-2.0, 0.0], [0.0, 1.0]])
    residual = torch.tensor([[-1.0, 0.0], [0.0, 0.0]])
    dead = torch.tensor([False, False, True, False])
    variance = torch.tensor(4.0)
    # row 0: pre-act of latent 2 = relu(2) = 2 -> e_hat = (-2, 0); error vs (-1, 0) = 1
    # row 1: pre-act = relu(0) = 0 -> e_hat = 0; error 0.  loss = scale 1 * 1 / 4
    loss = auxk_loss(x, residual, dead, weight=sae.encoder.weight, bias=sae.encoder.bias, W_dec=sae.W_dec,
                     variance=variance)
    assert loss.item() == pytest.approx(0.25)
    no_dead = auxk_loss(x, residual, torch.zeros(4, dtype=torch.bool), weight=sae.encoder.weight,
                        bias=sae.encoder.bias, W_dec=sae.W_dec, variance=variance)
    assert no_dead.item() == 0.0


def test_batch_topk_keeps_k_times_rows_over_the_batch():
    pre = torch.tensor([[5.0, 4.0, 0.0], [1.0, 0.5, 0.2]])
    mask = batch_topk_mask(pre, 1)  # keep 2 entries in the whole batch: 5 and 4, both in row 0
    assert mask.tolist() == [[True, True, False], [False, False, False]]


def test_sparse_encoder_and_decoder_match_dense_values_and_gradients():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 8, generator=g)
    w = torch.randn(32, 8, generator=g, requires_grad=True)
    b = torch.randn(32, generator=g, requires_grad=True)
    W = torch.randn(32, 8, generator=g, requires_grad=True)
    grads = []
    for enc, dec in ((sparse_topk_encode, sparse_decode), (dense_topk_encode, dense_decode)):
        xx = x.clone().requires_grad_(True)
        v, i = enc(xx, w, b, 4)
        y = dec(v, i, W)
        (y.pow(2).sum() + v.sum()).backward()
        grads.append([t.grad.clone() for t in (xx, w, b, W)] + [y.detach()])
        for t in (w, b, W):
            t.grad = None
    for a, c in zip(*grads):
        assert torch.allclose(a, c, rtol=1e-4, atol=1e-4)


def test_sparse_encoder_gives_no_gradient_through_non_positive_selections():
    x = torch.randn(4, 3)
    w = torch.randn(6, 3, requires_grad=True)
    b = torch.full((6,), -100.0, requires_grad=True)  # every pre-activation negative: ReLU zeroes all
    v, i = sparse_topk_encode(x, w, b, 2)
    assert (v == 0).all()
    v.sum().backward()
    assert (w.grad == 0).all() and (b.grad == 0).all()


def test_decoder_rows_stay_unit_norm_and_the_gradient_is_projected():
    sae = SparseAutoencoder(SAEConfig(d_in=6, num_latents=24, k=3), seed=0)
    assert torch.allclose(sae.W_dec.norm(dim=1), torch.ones(24), atol=1e-6)
    x = torch.randn(64, 6)
    sae(x).loss.backward()
    sae.project_decoder_grad()
    assert (sae.W_dec.grad * sae.W_dec).sum(1).abs().max().item() < 1e-6
    with torch.no_grad():
        sae.W_dec.mul_(3.0)
    sae.normalize_decoder()
    assert torch.allclose(sae.W_dec.norm(dim=1), torch.ones(24), atol=1e-6)


def test_geometric_median_resists_an_outlier():
    pts = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [100.0, 100.0]])
    gm = geometric_median(pts)
    assert gm.norm().item() < 1.5 < pts.mean(0).norm().item()


def test_lr_scales_with_width_as_gao_et_al():
    assert scaled_lr(2**14) == pytest.approx(2e-4)
    assert scaled_lr(2**12) == pytest.approx(4e-4)
    assert scaled_lr(3072) == pytest.approx(2e-4 / math.sqrt(3072 / 16384))


def test_config_rejects_k_above_width():
    with pytest.raises(ValueError):
        SAEConfig(d_in=4, num_latents=8, k=9)
    assert SAEConfig(d_in=4, expansion_factor=3, k=2).num_latents == 12
    assert TrainConfig().batch_size == 4096


def test_trainer_defaults_agree_with_the_spec():
    """The SAE's own configs keep defaults for library callers; they must not drift from the spec's."""
    from proctor.sae.spec import SAESpec, trainer_configs

    spec, sae_cfg, train_cfg = SAESpec(), SAEConfig(d_in=4), TrainConfig()
    assert (spec.expansion_factor, spec.k, spec.architecture) == (sae_cfg.expansion_factor, sae_cfg.k,
                                                                  sae_cfg.architecture)
    assert (spec.epochs, spec.batch_size, spec.seed) == (train_cfg.epochs, train_cfg.batch_size, train_cfg.seed)
    # a spec's configs: the spec's settings, the trainer's own defaults for the rest
    s, t = trainer_configs(SAESpec(epochs=2, k=8, expansion_factor=2, seed=3), 16, steps=5)
    assert (s.d_in, s.num_latents, s.k, s.site, s.model) == (16, 32, 8, "resid.3", "minilm")
    assert (t.epochs, t.steps, t.seed, t.batch_size, t.lr) == (2, 5, 3, 4096, None)


def test_auroc_ranking_and_pooling_by_hand():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.5, 1.0]])
    y = np.array([1, 1, 0, 0])
    assert auroc_columns(X, y).tolist() == [1.0, 0.0]
    assert auroc_columns(np.array([[1.0], [1.0], [1.0], [1.0]]), y)[0] == 0.5  # ties count half
    ranked = rank_latents(X, y)
    assert {r["latent"] for r in ranked} == {0, 1}
    rows = np.array([[1.0, 2.0], [3.0, 0.0], [5.0, 5.0]])
    owner = np.array([0, 0, 1])
    assert pool_rows(rows, owner, 2).tolist() == [[2.0, 1.0], [5.0, 5.0]]
    assert pool_rows(rows, owner, 2, "max").tolist() == [[3.0, 2.0], [5.0, 5.0]]


def test_top_examples_by_hand():
    from proctor.sae.features import top_examples

    sae = identity_sae()
    rows = np.array([[1.0, 0.0], [3.0, 0.0], [0.5, 2.0], [-1.0, 1.0]], np.float32)
    owner = np.array([0, 0, 1, 2])
    texts = ["a b", "c", "d"]
    found = top_examples(sae, rows, owner, texts=texts, latents=[0, 1], n=5, tokens_of=str.split)
    assert [(e["text_index"], e["activation"], e["token"]) for e in found[0]] == [(0, 3.0, "b"), (1, 0.5, "c")]
    assert [e["text_index"] for e in found[1]] == [1, 2]  # latent 1 = +e2 fires on texts 1 and 2 only
