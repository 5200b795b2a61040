"""The batched toy-model trainer (Elhage et al. 2022): PCA-like at S = 0, superposition when sparse."""

import numpy as np
import pytest

from proctor.errors import ConfigError
from proctor.superposition.geometry import dimensionality, feature_norms, represented
from proctor.superposition.toy import ToySweep, pca_solution_features, sweep_summary, train_toy_models


@pytest.fixture(scope="module")
def models():
    import torch

    torch.set_num_threads(1)
    # 20 features in 5 dims, S = 0 (dense) and S = 0.97, trained together as one batch
    return train_toy_models(ToySweep(n_features=20, n_hidden=5, densities=(1.0, 0.03), steps=2000, seed=0))


def test_dense_model_keeps_the_m_most_important_features(models):
    norms = feature_norms(models.W[0])
    top = pca_solution_features(models.sweep.importances(), 5)
    np.testing.assert_array_equal(top, np.arange(5))
    np.testing.assert_allclose(norms[top], 1.0, atol=0.05)
    assert np.all(norms[5:] < 0.1)  # the rest ~0
    # kept features are orthogonal: each has its own dimension
    np.testing.assert_allclose(dimensionality(models.W[0])[top], 1.0, atol=0.05)
    assert sweep_summary(models)["dense"]["pca_like"]


def test_sparse_model_superposes_more_features_than_dims(models):
    rep = represented(models.W[1])
    assert rep.sum() > 5
    D = dimensionality(models.W[1])[rep]
    assert np.all(D < 0.75)  # none has a dimension of its own; antipodal pairs sit near 1/2
    assert models.loss[1] < models.loss[0]


def test_models_in_a_batch_are_independent():
    """Changing one model of a batch (its sparsity and its importances) leaves the others' trained weights as they
    were: the models share tensors, data draws and one Adam step, but nothing of each other's losses. A coupling such
    as a loss normalised across models or a gradient clipped by the norm over all models fails this test."""
    import torch

    torch.set_num_threads(1)
    sweep = ToySweep(n_features=6, n_hidden=2, densities=(1.0, 0.1, 0.3), steps=300, seed=3)
    imp = sweep.importances()
    a = train_toy_models(sweep, densities_importances=[(1.0, imp), (0.1, imp), (0.3, imp)])
    b = train_toy_models(sweep, densities_importances=[(1.0, imp), (0.5, np.ones(6)), (0.3, imp)])
    assert a.W.shape == (3, 6, 2) and a.b.shape == (3, 6)
    assert np.abs(a.W[1] - b.W[1]).max() > 0.1  # the changed model did train differently
    for i in (0, 2):  # the others did not: equal up to what batched kernels may round differently
        np.testing.assert_allclose(a.W[i], b.W[i], atol=1e-5)
        np.testing.assert_allclose(a.b[i], b.b[i], atol=1e-5)
        assert a.loss[i] == pytest.approx(b.loss[i], abs=1e-5)


@pytest.mark.parametrize("kw,needle", [({"n_hidden": 20}, "dims"), ({"densities": (0.0,)}, "sparsity"),
                                       ({"importance_decay": 1.5}, "importance"), ({"densities": ()}, "sparsities")])
def test_bad_sweep_is_a_config_error(kw, needle):
    with pytest.raises(ConfigError, match=needle):
        ToySweep(**kw)
