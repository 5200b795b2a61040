"""Feature dimensionality and friends on hand-built W (Elhage et al. 2022, "Feature dimensionality")."""

import numpy as np
import pytest

from proctor.superposition.geometry import (
    dimensionality,
    dims_per_feature,
    fraction_counts,
    gram,
    max_abs_cosine,
    nearest_fraction,
    represented,
    superposition,
)


def polygon(k: int) -> np.ndarray:
    a = 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(a), np.sin(a)], axis=1)


def test_antipodal_pair_is_one_half_each():
    W = np.array([[1.0, 0.0], [-1.0, 0.0]])
    np.testing.assert_allclose(dimensionality(W), [0.5, 0.5])
    np.testing.assert_allclose(superposition(W), [1.0, 1.0])


def test_pentagon_in_2d_is_two_fifths_each():
    # sum_j cos^2(2 pi j / 5) = 5/2, so D_i = 1 / (5/2) = 2/5
    np.testing.assert_allclose(dimensionality(polygon(5)), [0.4] * 5)
    assert dims_per_feature(polygon(5)) == pytest.approx(2 / 5)


def test_triangle_and_tetrahedron():
    np.testing.assert_allclose(dimensionality(polygon(3)), [2 / 3] * 3)
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    np.testing.assert_allclose(dimensionality(tet), [3 / 4] * 4)


def test_orthogonal_features_are_one_and_ignored_ones_zero():
    W = np.array([[2.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(dimensionality(W), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(represented(W), [True, False, False])
    # the norm matters: a short feature beside a long one in the same direction gets a small share
    W2 = np.array([[1.0, 0.0], [0.5, 0.0]])
    np.testing.assert_allclose(dimensionality(W2), [1 / 1.25, 0.25 / 1.25])


def test_gram_is_papers_wtw_and_max_cosine():
    W = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, -2.0]])
    np.testing.assert_allclose(gram(W), W @ W.T)
    np.testing.assert_allclose(max_abs_cosine(W), [0.6, 0.8, 0.8])


def test_fraction_counts():
    assert nearest_fraction(0.41) == "2/5"
    assert nearest_fraction(0.58) is None
    counts = fraction_counts([1.0, 0.5, 0.49, 0.4, 0.0, 0.58])
    assert counts["1"] == 1 and counts["1/2"] == 2 and counts["2/5"] == 1 and counts["other"] == 1
    assert sum(counts.values()) == 5  # the zero is not a represented feature
