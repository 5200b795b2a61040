"""Scaling-law arithmetic against hand-computed values: Code Fragment 18.7.1, eq. 4, the Approach 3 objective, and
the batched L-BFGS against scipy."""


import numpy as np
import pytest

from proctor.scaling import (
    ChinchillaParams,
    chinchilla_for_flops,
    chinchilla_optimal,
    compute_optimal,
    optimal_tokens_for_params,
)
from proctor.scaling.approach3 import grid_starts, huber_objective, single_threaded
from proctor.scaling.lbfgs import CONVERGED_FTOL, CONVERGED_GTOL, minimize_batched
from proctor.scaling.synthetic import HOFFMANN


def test_chinchilla_optimal_matches_code_fragment_18_7_1():
    assert chinchilla_optimal(7_000_000_000) == {"params": 7_000_000_000, "tokens": 140_000_000_000,
                                                 "flops": 5_880_000_000_000_000_000_000}
    assert chinchilla_optimal(7e9)["tokens"] == 140e9 and chinchilla_optimal(7e9)["flops"] == 5.88e21
    assert chinchilla_optimal(70e9)["tokens"] == 1.4e12
    assert chinchilla_optimal(1e9, tokens_per_param=10)["tokens"] == 1e10
    with pytest.raises(ValueError):
        chinchilla_optimal(0)


def test_flops_inverts_the_rule():
    out = chinchilla_for_flops(5.88e21)
    assert out["params"] == pytest.approx(7e9) and out["tokens"] == pytest.approx(140e9)


def test_law_value_and_log_parameters():
    p = ChinchillaParams(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
    hand = 1.69 + 406.4 / 1e9**0.34 + 410.7 / 2e10**0.28  # 1.69 + 406.4/1148.2 + 410.7/766.1 = 1.69 + 0.3539 + 0.5361
    assert float(p.loss(1e9, 2e10)) == pytest.approx(hand, rel=1e-12)
    assert float(p.loss(1e9, 2e10)) == pytest.approx(2.5800, abs=1e-4)
    back = ChinchillaParams.from_log(p.to_log())
    assert back.A == pytest.approx(p.A) and back.E == pytest.approx(p.E) and back.beta == p.beta


def test_compute_optimal_is_the_constrained_minimum():
    c = 5.76e23  # Chinchilla's budget
    n, d = compute_optimal(HOFFMANN, c)
    assert 6 * n * d == pytest.approx(c)
    # Hoffmann et al. eq. 4 with their parameters: G = (alpha A / (beta B))^(1/(alpha+beta))
    g = (0.34 * 406.4 / (0.28 * 410.7)) ** (1 / 0.62)
    assert n == pytest.approx(g * (c / 6) ** (0.28 / 0.62))
    for f in (0.9, 1.1):  # moving along the iso-FLOP line raises the loss on both sides
        assert HOFFMANN.loss(n * f, c / (6 * n * f)) > HOFFMANN.loss(n, d)
    assert float(optimal_tokens_for_params(HOFFMANN, n)) == pytest.approx(d, rel=1e-9)


def test_grid_has_4500_starts():
    g = grid_starts()
    assert g.shape == (4500, 5)
    assert sorted(set(g[:, 3])) == [0, 0.5, 1, 1.5, 2] and sorted(set(g[:, 0])) == [0, 5, 10, 15, 20, 25]
    assert sorted(set(g[:, 2])) == [-1, -0.5, 0, 0.5, 1]


@pytest.mark.parametrize("objective", ["sum", "mean"])
def test_huber_gradient_matches_finite_differences(objective):
    rng = np.random.default_rng(0)
    N = np.exp(rng.uniform(18, 23, 30))
    D = np.exp(rng.uniform(20, 26, 30))
    L = HOFFMANN.loss(N, D) * np.exp(rng.normal(0, 0.01, 30))
    x = np.array([6.0, 6.1, 0.5, 0.33, 0.29])
    f, g = huber_objective(x, N, D, L, objective=objective)
    # hand value at one point: residual r, Huber with delta 1e-3
    r = np.log(np.exp(6.0 - 0.33 * np.log(N)) + np.exp(6.1 - 0.29 * np.log(D)) + np.exp(0.5)) - np.log(L)
    h = np.where(np.abs(r) <= 1e-3, 0.5 * r**2, 1e-3 * (np.abs(r) - 0.5e-3))
    assert f == pytest.approx(h.sum() if objective == "sum" else h.mean(), rel=1e-12)
    for j in range(5):
        e = np.zeros(5)
        e[j] = 1e-6
        num = (huber_objective(x + e, N, D, L, objective=objective)[0]
               - huber_objective(x - e, N, D, L, objective=objective)[0]) / 2e-6
        assert g[j] == pytest.approx(num, rel=1e-4, abs=1e-9)


def test_batched_lbfgs_matches_scipy_on_rosenbrock():
    from scipy.optimize import minimize, rosen, rosen_der

    def fun(rows, X):
        return np.array([rosen(x) for x in X]), np.array([rosen_der(x) for x in X])

    x0 = np.random.default_rng(1).uniform(-2, 2, (12, 3))
    with single_threaded():
        res = minimize_batched(fun, x0, gtol=1e-8, ftol=1e-15)
        assert set(res.status) <= {CONVERGED_GTOL, CONVERGED_FTOL}
        for x, start in zip(res.x, x0):
            ref = minimize(rosen, start, jac=rosen_der, method="L-BFGS-B", options={"gtol": 1e-8, "ftol": 1e-15}).x
            np.testing.assert_allclose(x, ref, atol=1e-4)
            np.testing.assert_allclose(x, np.ones(3), atol=1e-4)


def _naive(x, N, D, L, delta=1e-3):
    r = np.log(np.exp(x[0] - x[3] * np.log(N)) + np.exp(x[1] - x[4] * np.log(D)) + np.exp(x[2])) - np.log(L)
    return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)).sum()


def test_objective_paths_agree_and_bootstrap_weights_equal_repeated_runs():
    from proctor.scaling.approach3 import _Problem

    rng = np.random.default_rng(2)
    n = 40  # more distinct sizes than the grouped path takes, and unsorted: the gather path
    N = np.exp(rng.uniform(18, 23, n))
    D = np.round(np.exp(rng.uniform(20, 26, n)), -6)
    D[:10] = D[10:20]  # repeated token counts: D is not aligned with the runs either
    L = HOFFMANN.loss(N, D) * np.exp(rng.normal(0, 0.01, n))
    X = np.array([[6.0, 6.1, 0.5, 0.33, 0.29], [5.0, 7.0, 0.4, 0.30, 0.31]])
    f, _ = _Problem(N, D, L, 1e-3, False)(np.arange(2), X)
    assert f == pytest.approx([_naive(x, N, D, L) for x in X], rel=1e-12)
    counts = rng.integers(0, 3, (2, n)).astype(float)
    fw, gw = _Problem(N, D, L, 1e-3, False, counts)(np.arange(2), X)
    for row in range(2):
        rep = np.repeat(np.arange(n), counts[row].astype(int))
        f_rep, g_rep = huber_objective(X[row], N[rep], D[rep], L[rep])
        assert fw[row] == pytest.approx(f_rep, rel=1e-12)
        np.testing.assert_allclose(gw[row], g_rep, rtol=1e-10)
