"""Parameter recovery from curves generated with noise, the batched grid fit against a scipy loop, and the
post-training law's marginal value of data."""

import math

import numpy as np
import pytest

from proctor.errors import DataError
from proctor.scaling import Approach3Config, PosttrainParams, fit_chinchilla, fit_posttrain, scipy_grid_fit
from proctor.scaling.approach3 import PARAM_NAMES, _Problem, grid_starts, single_threaded
from proctor.scaling.lbfgs import minimize_batched
from proctor.scaling.synthetic import HOFFMANN, POSTTRAIN_EXAMPLE, chinchilla_runs, posttrain_runs


@pytest.fixture(scope="module")
def chinchilla_fit():
    df = chinchilla_runs(noise=0.005, seed=0)  # 108 runs, 0.5% multiplicative noise
    return fit_chinchilla(df.N, df.D, df.loss, Approach3Config(n_boot=60, seed=0))


def test_chinchilla_recovers_hoffmann_parameters(chinchilla_fit):
    p = chinchilla_fit.params
    # Stated tolerances (0.5% noise, 108 runs). A and alpha trade off along a ridge, so A is the loosest.
    assert p.E == pytest.approx(HOFFMANN.E, rel=0.01)
    assert p.alpha == pytest.approx(HOFFMANN.alpha, abs=0.02)
    assert p.beta == pytest.approx(HOFFMANN.beta, abs=0.01)
    assert p.B == pytest.approx(HOFFMANN.B, rel=0.10)
    assert p.A == pytest.approx(HOFFMANN.A, rel=0.30)
    for name in PARAM_NAMES:  # the bootstrap CIs cover the truth
        lo, hi = chinchilla_fit.ci[name]
        assert lo <= getattr(HOFFMANN, name) <= hi, name
    assert chinchilla_fit.boot.shape == (60, 5)


def test_batched_grid_matches_scipy_loop_on_same_starts():
    df = chinchilla_runs(noise=0.01, seed=3)
    starts = grid_starts()[::45]  # 100 of the 4,500 starts, the same for both
    N, D, L = df.N.to_numpy(), df.D.to_numpy(), df.loss.to_numpy()
    with single_threaded():
        res = minimize_batched(_Problem(N, D, L, 1e-3, False), starts)
    best = res.x[np.argmin(res.fun)]
    ref, ref_f = scipy_grid_fit(N, D, L, starts=starts)
    assert res.fun.min() == pytest.approx(ref_f, rel=1e-6)
    np.testing.assert_allclose(best, ref.to_log(), rtol=5e-3)


def test_mean_objective_runs_and_stays_close():
    df = chinchilla_runs(noise=0.005, seed=0)
    fit = fit_chinchilla(df.N, df.D, df.loss, Approach3Config(objective="mean", n_boot=0))
    assert fit.config.objective == "mean" and fit.ci == {}
    assert fit.params.E == pytest.approx(HOFFMANN.E, rel=0.03)


def test_chinchilla_rejects_degenerate_input():
    with pytest.raises(DataError, match="at least 6"):
        fit_chinchilla([1e9] * 3, [1e10] * 3, [2.0] * 3)
    with pytest.raises(DataError, match="two distinct"):
        fit_chinchilla([1e9] * 8, np.geomspace(1e9, 1e11, 8), np.linspace(2, 3, 8))


def test_posttrain_recovers_parameters():
    d = posttrain_runs(seed=1)
    fit = fit_posttrain(d.N_p, d.Q)
    p = fit.params
    assert p.Q_inf == pytest.approx(POSTTRAIN_EXAMPLE.Q_inf, abs=0.01)
    assert p.alpha == pytest.approx(POSTTRAIN_EXAMPLE.alpha, rel=0.10)
    assert p.N_star == pytest.approx(POSTTRAIN_EXAMPLE.N_star, rel=0.25)
    for name in ("Q_inf", "alpha", "N_star"):
        lo, hi = fit.ci[name]
        assert lo <= getattr(POSTTRAIN_EXAMPLE, name) <= hi, name
    assert fit.warnings == []


def test_posttrain_warns_when_all_data_lie_below_n_star():
    d = posttrain_runs(low=50, high=3000, points=10, noise=0.002, seed=0)  # N* = 30,000: only the log part seen
    fit = fit_posttrain(d.N_p, d.Q)
    assert any("cannot be told apart" in w for w in fit.warnings)


def test_marginal_value_hand_computed():
    p = PosttrainParams(Q_inf=0.75, alpha=0.08, N_star=30_000)
    # Q(50k) - Q(40k) = 0.08 * (log(1 + 30/40) - log(1 + 30/50))
    assert float(p.gain(40_000, 10_000)) == pytest.approx(0.08 * (math.log(1.75) - math.log(1.6)), rel=1e-12)
    # doubling threshold: r = exp(0.005/0.08), x = N* (1 - r/2) / (r - 1) = 217,58x
    x = p.doubling_threshold(0.005)
    r = math.exp(0.0625)
    assert x == pytest.approx(30_000 * (1 - r / 2) / (r - 1))
    assert x == pytest.approx(217_580, rel=1e-4)
    assert float(p.quality(2 * x) - p.quality(x)) == pytest.approx(0.005, rel=1e-9)
    assert p.doubling_threshold(0.08 * math.log(2)) == 0.0  # no doubling ever gains that much
    assert float(p.quality(1e12)) == pytest.approx(0.75, abs=1e-6)
