"""Length control: the AlpacaEval 2 reproduction from the shared files, the GLM fit on synthetic preferences with
known coefficients, and the length-penalised reward."""

import os
from pathlib import Path

import numpy as np
import pytest

from proctor.errors import ConfigError, DataError
from proctor.monitor.lengthcontrol import alpacaeval_correlations, alpacaeval_table, fit_length_controlled
from proctor.monitor.reward import LengthPenalisedReward, alpha_for_zero_slope, length_bias, pairwise_length_bias


@pytest.fixture
def data():
    root = os.environ.get("PROCTOR_DATA")
    if not root or not Path(root, "alpacaeval2_lc").is_dir():
        pytest.skip("PROCTOR_DATA is not set to the shared data folder")
    return root


def test_alpacaeval_spearman_reproduced(data):
    c = alpacaeval_correlations(data)
    # ../shared/ANCHORS.md: 0.727 raw vs 0.568 length-controlled over the 211 leaderboard models
    assert c["models"] == 211
    assert c["spearman_length_raw"] == pytest.approx(0.727, abs=0.001)
    assert c["spearman_length_lc"] == pytest.approx(0.568, abs=0.001)
    # the LC win rates recomputed from the per-model GLM weights track the published ones closely
    assert c["models_with_weights"] >= 180
    assert c["lc_reconstruction_rmse"] < 1.0 and c["spearman_recon_vs_lc"] > 0.99
    assert c["share_phi_negative"] > 0.9  # the judge favours longer outputs for nearly every model


def test_alpacaeval_table_joins_weights(data):
    t = alpacaeval_table(data)
    row = t[t["key"] == "gpt4_1106_preview"].iloc[0]
    assert row["theta"] == 0 and row["phi"] == 0  # the baseline's weights are zero by construction


def test_fit_recovers_known_glm_and_removes_the_length_effect():
    rng = np.random.default_rng(0)
    n = 20_000
    len_base = rng.normal(2000, 400, n)
    len_model = len_base + rng.normal(600, 500, n)  # the model is much longer than the baseline
    delta = (len_base - len_model) / (len_base - len_model).std(ddof=1)
    theta, phi = -0.3, -1.5  # a weaker model that the judge favours for being long
    y = (rng.random(n) < 1 / (1 + np.exp(-(theta + phi * np.tanh(delta))))).astype(float)
    fit = fit_length_controlled(y, len_model, len_base)
    assert fit.coef[0] == pytest.approx(theta, abs=0.08) and fit.phi == pytest.approx(phi, abs=0.1)
    assert fit.raw_win_rate > 0.5 > fit.lc_win_rate
    assert fit.lc_win_rate == pytest.approx(1 / (1 + np.exp(-theta)), abs=0.02)  # length term zeroed
    with pytest.raises(DataError):
        fit_length_controlled([0.5, 2.0, 0.1], [1, 2, 3], [1, 2, 3])


def test_length_bias_and_penalised_reward():
    lengths = np.arange(100, 2100, 100, dtype=float)
    rewards = 0.002 * lengths + 0.1 * np.sin(lengths)  # 0.2 reward units per 100 characters plus wiggle
    b = length_bias(rewards, lengths)
    assert b["slope_per_100_chars"] == pytest.approx(0.2, abs=0.02) and b["spearman"] > 0.9
    alpha = alpha_for_zero_slope(rewards, lengths, target=0)
    wrapped = LengthPenalisedReward(lambda p, r: 0.002 * len(r) + 0.1 * np.sin(len(r)), alpha=alpha, target=0)
    pen = wrapped.batch([""] * lengths.size, ["x" * int(n) for n in lengths])
    assert abs(length_bias(pen, lengths)["slope_per_100_chars"]) < 1e-9
    # the hinge leaves answers up to the target alone
    w = LengthPenalisedReward(lambda p, r: 1.0, alpha=0.5, target=300, scale=100)
    assert w("q", "x" * 300) == 1.0 and w("q", "x" * 500) == pytest.approx(1.0 - 0.5 * 2)
    with pytest.raises(ConfigError):
        LengthPenalisedReward(lambda p, r: 0.0, alpha=-1)


def test_pairwise_length_bias_direction():
    rng = np.random.default_rng(1)
    base = ["x" * int(n) for n in rng.integers(50, 400, 500)]
    chosen = [b + "y" * int(rng.integers(50, 300)) for b in base]  # labels that always prefer the longer reply
    b = pairwise_length_bias(chosen, base)
    assert b["chosen_longer"] == 1.0 and b["phi"] < -2
    b = pairwise_length_bias(base, chosen)  # and the reverse
    assert b["chosen_longer"] == 0.0 and b["phi"] > 2


def test_bias_cli(tmp_path):
    import json

    from conftest import assert_user_error, invoke, last_json

    path = tmp_path / "scored.jsonl"
    # a scripted reward model that pays 0.01 per character: a perfect length bias
    path.write_text("".join(json.dumps({"response": "w " * n, "reward": 0.02 * n}) + "\n" for n in range(5, 60, 5)))
    out = last_json(invoke("monitor", "bias", path, "--json"))
    assert out["spearman"] == pytest.approx(1.0) and out["slope_per_100_chars"] == pytest.approx(1.0)
    path.write_text('{"response": "x", "reward": "high"}\n')
    assert_user_error(invoke("monitor", "bias", path), ":1:")
