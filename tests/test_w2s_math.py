"""PGR, the aux-confidence schedule and targets, checked against values computed by hand."""

import math

import numpy as np
import pytest
import torch

from proctor.models.losses import (
    alpha_schedule,
    aux_confidence_loss,
    aux_confidence_target,
    harden,
    soft_cross_entropy,
    w2s_loss,
)
from proctor.w2s.pgr import bootstrap_correct, bootstrap_pgr, mean_sd, pgr


def logits_for(p1):
    p1 = torch.tensor(p1, dtype=torch.float64)
    return torch.stack([torch.zeros_like(p1), torch.log(p1 / (1 - p1))], dim=-1)


# -- schedule --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("t, expected", [(0.0, 0.0), (0.05, 0.1875), (0.1, 0.375), (0.2, 0.75), (0.21, 0.75),
                                         (0.5, 0.75), (1.0, 0.75)])
def test_alpha_ramps_linearly_to_a_max_over_warmup(t, expected):
    assert alpha_schedule(t, a_max=0.75, warmup_frac=0.2) == pytest.approx(expected)


def test_alpha_has_no_jump_at_end_of_warmup():
    # openai/weak-to-strong jumps from 0.1 * a to a at the end of its warm-up; ours is continuous.
    before, after = alpha_schedule(0.2 - 1e-9), alpha_schedule(0.2 + 1e-9)
    assert after - before < 1e-6
    assert alpha_schedule(0.5, a_max=0.3, warmup_frac=0.0) == 0.3


def test_alpha_rejects_out_of_range_a_max():
    with pytest.raises(ValueError):
        alpha_schedule(0.5, a_max=1.5)


# -- targets ---------------------------------------------------------------------------------------------------------
WEAK = torch.tensor([[0.1, 0.9], [0.2, 0.8], [0.7, 0.3], [0.8, 0.2]], dtype=torch.float64)
STUDENT_P1 = [0.6, 0.4, 0.7, 0.1]


def test_harden_matches_weak_class_balance():
    # weak mean P(y=1) = 0.55 -> threshold = 0.45-quantile of [0.1, 0.4, 0.6, 0.7] = 0.4 + 0.35 * 0.2 = 0.47
    probs = torch.softmax(logits_for(STUDENT_P1), -1)
    hard = harden(probs, WEAK)
    assert hard[:, 1].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_aux_target_by_hand():
    target = aux_confidence_target(logits_for(STUDENT_P1), WEAK, alpha=0.5)
    expected = torch.tensor([[0.05, 0.95], [0.6, 0.4], [0.35, 0.65], [0.9, 0.1]], dtype=torch.float64)
    assert torch.allclose(target.double(), expected, atol=1e-6)


def test_aux_loss_by_hand_and_alpha_zero_is_xent():
    logits = logits_for(STUDENT_P1)
    p1 = torch.tensor(STUDENT_P1, dtype=torch.float64)
    t = torch.tensor([0.95, 0.4, 0.65, 0.1], dtype=torch.float64)
    manual = -(t * torch.log(p1) + (1 - t) * torch.log(1 - p1)).mean()
    assert aux_confidence_loss(logits, WEAK, 0.5).item() == pytest.approx(manual.item(), rel=1e-6)
    assert aux_confidence_loss(logits, WEAK, 0.0).item() == pytest.approx(soft_cross_entropy(logits, WEAK).item())
    # at step_frac 0 the aux loss is plain cross-entropy on the weak labels
    assert w2s_loss("aux", logits, WEAK, 0.0).item() == pytest.approx(w2s_loss("xent", logits, WEAK, 0.7).item())


def test_aux_target_carries_no_gradient_through_hardening():
    """The aux target is a constant of the step: the gradient is exactly that of cross-entropy against a fixed target,
    (softmax(logits) - target) / n. (Row sums of zero, the old check, hold for any target; this fails as soon as
    the target depends differentiably on the logits, e.g. soft self-predictions instead of hardened ones.)"""
    logits = logits_for(STUDENT_P1).clone().requires_grad_(True)
    target = aux_confidence_target(logits, WEAK, 0.75)
    assert not target.requires_grad
    aux_confidence_loss(logits, WEAK, 0.75).backward()
    expected = (torch.softmax(logits.detach(), dim=-1) - target.double()) / logits.shape[0]
    assert torch.allclose(logits.grad, expected, atol=1e-6)


def test_unknown_loss():
    with pytest.raises(ValueError):
        w2s_loss("hinge", logits_for([0.5]), WEAK[:1], 0.0)


# -- PGR -------------------------------------------------------------------------------------------------------------
def test_pgr_point_values():
    assert pgr(0.70, 0.80, 0.90) == pytest.approx(0.5)
    assert pgr(0.70, 0.70, 0.90) == 0.0
    assert pgr(0.70, 0.95, 0.90) == pytest.approx(1.25)
    assert pgr(0.70, 0.60, 0.90) == pytest.approx(-0.5)


@pytest.mark.parametrize("weak, ceiling", [(0.8, 0.8), (0.8, 0.7)])
def test_pgr_undefined_without_gap(weak, ceiling):
    assert math.isnan(pgr(weak, 0.75, ceiling))


def test_bootstrap_pgr_point_and_interval():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 2, n)
    def noisy(acc):
        flip = rng.random(n) > acc
        return np.where(flip, 1 - y, y)
    est = bootstrap_pgr(y, noisy(0.70), noisy(0.80), noisy(0.90), n_boot=500, seed=1)
    assert est.pgr.value == pytest.approx(pgr(est.weak.value, est.student.value, est.ceiling.value))
    assert est.pgr.lo < est.pgr.value < est.pgr.hi
    assert est.weak.lo < est.weak.value < est.weak.hi
    assert est.resolved and est.undefined_frac == 0.0
    assert 0.3 < est.pgr.value < 0.7


def test_bootstrap_identical_models_are_unresolved():
    y = np.array([0, 1] * 50)
    pred = y.copy()
    pred[:10] = 1 - pred[:10]
    est = bootstrap_pgr(y, pred, pred, pred, n_boot=200)
    assert math.isnan(est.pgr.value)
    assert est.undefined_frac == 1.0
    assert not est.resolved


def test_bootstrap_correct_accepts_seed_averages():
    correct = np.array([[1, 0, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=float)
    est = bootstrap_correct(correct, n_boot=300)
    assert (est.weak.value, est.student.value, est.ceiling.value) == (0.5, 0.75, 1.0)
    assert est.pgr.value == pytest.approx(0.5)


def test_mean_sd_skips_undefined():
    s = mean_sd([0.2, float("nan"), 0.4])
    assert s["mean"] == pytest.approx(0.3)
    assert s["sd"] == pytest.approx(np.std([0.2, 0.4], ddof=1))
    assert (s["n"], s["n_undefined"]) == (2, 1)
