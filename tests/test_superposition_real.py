"""Real-representation measurements on dictionaries built by hand, and the adapter for SAEs saved by proctor.sae."""

import numpy as np
import pytest

from proctor.errors import ConfigError, ModelError
from proctor.superposition.real import (
    Dictionary,
    collateral,
    decoder_interference,
    pool_rows,
    projection_dictionary,
    sae_dictionary,
    welch_bound,
)


def test_decoder_interference_by_hand():
    c = np.cos(np.pi / 4)
    D = np.array([[1.0, 0, 0], [0, 1.0, 0], [c, c, 0], [0, 0, 1.0]])
    g = decoder_interference(D)
    np.testing.assert_allclose(g["max_cos"], [c, c, c, 0.0])
    assert g["latents_per_dim"] == pytest.approx(4 / 3)
    assert welch_bound(3, 3) == 0 and welch_bound(4, 2) == pytest.approx(np.sqrt(2 / 6))
    # 4 unit latents: D_i = 1 / sum_j cos^2 -> 1/(1+.5), 1/(1+.5), 1/(1+.5+.5), 1
    np.testing.assert_allclose(sorted(np.array([1 / 1.5, 1 / 1.5, 0.5, 1.0])), sorted(
        __import__("proctor.superposition.geometry", fromlist=["x"]).dimensionality(D)))


def test_collateral_of_a_directional_ablation():
    c = np.cos(np.pi / 4)
    d = projection_dictionary("hand", [[1.0, 0], [0, 1.0], [c, c]])
    X = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    r = collateral(d, X, [0])
    row = r["latents"][0]
    # rows where latent 0 is active: 0 and 2; removing z_0 d_0 leaves latent 1 untouched, latent 2 loses z_0 * c
    assert row["active_share"] == pytest.approx(2 / 3)
    assert row["own_drop"] == pytest.approx((2 + 1) / 2)
    assert row["moved_per_row"] == pytest.approx(1.0)  # on each row latent 2 moved, latent 1 did not
    assert row["moved_share"] == pytest.approx(0.5)
    assert row["collateral_ratio"] == pytest.approx(c)


def test_collateral_on_a_probe_over_token_rows():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    P = rng.standard_normal((200, 2))
    y = (P[:, 0] > 0).astype(int)
    probe = LogisticRegression().fit(P, y)
    d = projection_dictionary("axes", np.eye(2))
    owner = np.repeat(np.arange(200), 2)
    X = np.repeat(P, 2, axis=0)  # two identical token rows per text: pooled rows = P
    np.testing.assert_allclose(pool_rows(X, owner), P)
    r = collateral(d, X, [0, 1], owner=owner, probe=probe, y=y)
    by = {row["latent"]: row for row in r["latents"]}
    w = probe.coef_.ravel()
    assert by[0]["probe_mean_abs_dlogit"] == pytest.approx(np.mean(np.abs(P[:, 0] * w[0])))
    assert by[0]["probe_acc_change"] < -0.3  # removing the label's own direction breaks the probe
    assert abs(by[1]["probe_acc_change"]) < 0.05
    assert by[0]["moved_share"] == 0  # orthogonal latents: no collateral on scores
    assert "moved_share_ci" in r["summary"]


def test_bad_decoder_is_a_model_error():
    with pytest.raises(ModelError, match="decoder"):
        Dictionary("bad", np.zeros(3), lambda X: X)


def test_sae_adapter_reads_a_saved_sae(tmp_path):
    torch = pytest.importorskip("torch")
    sae_mod = pytest.importorskip("proctor.sae.model")
    from proctor.sae.checkpoint import save_sae
    from proctor.sae.config import SAEConfig

    sae = sae_mod.SparseAutoencoder(SAEConfig(d_in=8, num_latents=32, k=3, site="resid.3", model="minilm"), seed=0)
    save_sae(sae, tmp_path / "sae")
    d = sae_dictionary(tmp_path / "sae")
    assert d.layer == 3 and d.decoder.shape == (32, 8)
    np.testing.assert_allclose(d.decoder, sae.W_dec.detach().numpy(), atol=1e-6)
    X = np.random.default_rng(0).standard_normal((50, 8))
    Z = d.encode(X)
    assert Z.shape == (50, 32) and np.all((Z != 0).sum(axis=1) <= 3)
    with torch.no_grad():
        np.testing.assert_allclose(Z, sae.encode(torch.tensor(X, dtype=torch.float32)).numpy(), atol=1e-5)
    r = collateral(d, X, [int(np.argmax((Z != 0).sum(axis=0)))])
    assert r["latents"] and 0 <= r["latents"][0]["moved_share"] <= 1
    with pytest.raises((ModelError, ConfigError)):
        sae_dictionary(tmp_path / "missing")


def test_minilm_neuron_dictionary():
    from proctor.superposition.real import minilm_neurons

    d = minilm_neurons(6)
    assert d.decoder.shape == (1536, 384) and d.layer == 6
    np.testing.assert_allclose(np.linalg.norm(d.decoder, axis=1), 1.0, atol=1e-9)
    with pytest.raises(ConfigError, match="block"):
        minilm_neurons(0)
