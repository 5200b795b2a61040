"""Ablating one feature's direction: measured damage vs the (W_k . W_j)^2 / ||W_k||^2 prediction."""

import numpy as np

from proctor.superposition.interference import (
    data_interference,
    forward,
    interference_summary,
    measured_interference,
    predicted_interference,
)


def hand_built():
    # features 0, 1 antipodal on axis x; feature 2 at 60 degrees; feature 3 alone on z; feature 4 ignored
    c, s = np.cos(np.pi / 3), np.sin(np.pi / 3)
    W = np.array([[1.0, 0, 0], [-1.0, 0, 0], [c, s, 0], [0, 0, 1.0], [0, 0, 0]])
    b = np.array([-0.1, -0.1, 0.0, 0.0, 0.0])
    return W, b


def test_prediction_by_hand():
    W, _ = hand_built()
    P = predicted_interference(W)
    assert P[0, 1] == 1.0 and P[1, 0] == 1.0  # antipodal: removing one removes the other
    assert np.isclose(P[0, 2], 0.25)  # cos(60 deg)^2 * ||W_2||^2
    assert np.isclose(P[2, 0], 0.25)
    assert P[3, [0, 1, 2]].sum() == 0 and P[0, 3] == 0  # its own dimension: no collateral
    assert P[4].sum() == 0  # nothing to ablate


def test_measured_equals_prediction_where_relu_active_and_clips_elsewhere():
    W, b = hand_built()
    M = measured_interference(W, b)
    P = predicted_interference(W)
    # feature 2's output is 1.0 + 0 = 1.0; ablating 0 lowers it by 0.25 -> measured exactly 0.25
    assert np.isclose(M[0, 2], 0.25) and np.isclose(M[0, 2], P[0, 2])
    # feature 1's output is 1 - 0.1 = 0.9; ablating 0 would lower it by 1.0, the ReLU clips at 0: measured 0.9
    assert np.isclose(M[0, 1], 0.9) and P[0, 1] == 1.0
    assert M[0, 3] == 0 and M[3, 2] == 0
    # and it really is the model's forward pass: x = e_2 after ablating 0
    assert np.isclose(forward(W, b, np.eye(5)[[2]], ablated=0)[0, 2], 0.75)


def test_summary_and_data_interference():
    W, b = hand_built()
    s = interference_summary(W, b)
    assert s["probe_max_abs_error_active"] < 1e-12
    assert s["ablated_features"] == [0, 1, 2, 3]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (2000, 5)) * (rng.uniform(0, 1, (2000, 5)) < 0.2)
    E = data_interference(W, b, x)
    assert np.allclose(E[3, :3], 0) and np.allclose(E[:3, 3], 0)  # orthogonal: no damage on any input
    assert E[0, 1] > 0  # removing 0 takes its antipodal partner down
    # feature 2 shares 0's direction: its error moves (it can fall: the ablation also removes 0's interference on 2)
    assert abs(E[0, 2]) > 1e-3
    s = interference_summary(W, b, x)
    assert s["data_agreement"]["affected_only"] == 0 and s["data_agreement"]["flagged_only"] == 0
    assert s["data_pearson"] > 0.5
