"""Length-controlled win rates, fitted like AlpacaEval 2's (Dubois et al. 2024, "Length-Controlled AlpacaEval").

The judge's preference for a model's output over the baseline's on instruction x is modelled by a logistic GLM

    P(model wins on x) = sigmoid( theta_m + phi_m * tanh(std_delta_len_x) + psi_m * gamma_x ),

std_delta_len = (len(baseline output) - len(model output)) / sd (characters), gamma_x the instruction's difficulty.
The length-controlled win rate is the mean prediction with the length term set to zero:
LC_m = mean_x sigmoid(theta_m + psi_m * gamma_x). A negative phi_m means the judge favours the longer output.

- `fit_length_controlled`: that GLM on your own pairwise preferences (a reward model's or a judge's), by
  maximum likelihood with soft labels (ties = 0.5), as AlpacaEval fits it (without its cross-validated L1 penalty).
- `alpacaeval_table` / `alpacaeval_correlations`: the reproduction from the shared leaderboard and GLM weights files:
  Spearman of average length with the raw and with the LC win rate over the leaderboard's models, and the LC win
  rate recomputed from the per-model weights. The per-instruction difficulties gamma_x are not in the shared files
  (AlpacaEval downloads them from the Hub), so their distribution is fitted as a normal N(mu, s^2) that best
  reproduces the published LC win rates (Gauss-Hermite quadrature, 2 parameters for ~190 models).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from proctor.errors import DataError

__all__ = ["LengthControlFit", "alpacaeval_correlations", "alpacaeval_table", "fit_length_controlled"]

LEADERBOARD = "leaderboard_weighted_alpaca_eval_gpt4_turbo.csv"
WEIGHTS = "glm_weights_weighted_alpaca_eval_gpt4_turbo_lc_v1.csv"
_W_LEN, _W_DIFF, _W_THETA = "np.tanh(std_delta_len)", "instruction_difficulty", "not_gamed_baseline.astype(float)"


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


@dataclass
class LengthControlFit:
    """The fitted GLM: `coef` over [intercept (theta), length term (phi), extra features...]."""

    coef: np.ndarray
    raw_win_rate: float
    lc_win_rate: float
    length_sd: float

    @property
    def phi(self) -> float:
        return float(self.coef[1])


def fit_length_controlled(preference, len_model, len_baseline, features=None, l2: float = 1e-4) -> LengthControlFit:
    """Fit P(model preferred) = sigmoid(theta + phi * tanh(std_delta_len) + features @ beta) and set phi's term to 0.

    `preference` in [0, 1] per comparison (1 = model output preferred, 0.5 = tie); lengths in characters;
    `features` an optional (n, p) array of covariates kept in the length-controlled prediction (e.g. difficulty).
    A tiny L2 penalty (not on theta) keeps the fit finite when the preferences are separable.
    """
    y = np.asarray(preference, dtype=np.float64)
    delta = np.asarray(len_baseline, dtype=np.float64) - np.asarray(len_model, dtype=np.float64)
    if y.size < 3 or y.shape != delta.shape:
        raise DataError(f"length control needs >= 3 aligned comparisons, got {y.size} preferences and "
                        f"{delta.size} length differences")
    if np.any((y < 0) | (y > 1) | np.isnan(y)):
        raise DataError("preferences must lie in [0, 1]")
    sd = float(delta.std(ddof=1)) or 1.0
    extra = np.zeros((y.size, 0)) if features is None else np.asarray(features, dtype=np.float64).reshape(y.size, -1)
    X = np.column_stack([np.ones_like(y), np.tanh(delta / sd), extra])
    penal = np.r_[0.0, np.full(X.shape[1] - 1, l2)]

    def loss(w):
        z = X @ w
        # soft-label log loss: -(y log s(z) + (1 - y) log s(-z)), written with logaddexp for stability
        val = np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)) + 0.5 * np.sum(penal * w * w)
        grad = X.T @ (_sigmoid(z) - y) + penal * w
        return val, grad

    res = optimize.minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B")
    w = res.x
    X0 = X.copy()
    X0[:, 1] = 0.0
    return LengthControlFit(w, float(y.mean()), float(_sigmoid(X0 @ w).mean()), sd)


def _data_dir(data_dir: str | Path | None) -> Path:
    root = Path(data_dir or os.environ.get("PROCTOR_DATA") or "") / "alpacaeval2_lc"
    for f in (LEADERBOARD, WEIGHTS):
        if not (root / f).is_file():
            raise DataError(f"AlpacaEval 2 file not found: {root / f} (set PROCTOR_DATA to the shared data folder)")
    return root


def alpacaeval_table(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The leaderboard (name, lc, win_rate, avg_length, filter) joined with each model's GLM weights (theta, phi,
    psi; NaN where the weights file has no row). Models are matched by their results folder name."""
    root = _data_dir(data_dir)
    lb = pd.read_csv(root / LEADERBOARD)
    w = pd.read_csv(root / WEIGHTS, index_col=0)
    missing = {"name", "length_controlled_winrate", "win_rate", "avg_length", "samples"} - set(lb.columns)
    if missing or {_W_LEN, _W_DIFF, _W_THETA} - set(w.columns):
        raise DataError(f"{root}: unexpected columns (missing {sorted(missing) or 'GLM weight columns'})")
    key = lb["samples"].astype(str).str.extract(r"results/([^/]+)/model_outputs")[0]
    out = pd.DataFrame({"name": lb["name"], "key": key, "lc": lb["length_controlled_winrate"].astype(float),
                        "win_rate": lb["win_rate"].astype(float), "avg_length": lb["avg_length"].astype(float),
                        "filter": lb.get("filter", pd.Series([""] * len(lb)))})
    ww = w.rename(columns={_W_THETA: "theta", _W_LEN: "phi", _W_DIFF: "psi"})[["theta", "phi", "psi"]]
    return out.join(ww, on="key")


def _lc_from_weights(theta, psi, mu: float, s: float, nodes: int = 40) -> np.ndarray:
    """mean over gamma ~ N(mu, s^2) of sigmoid(theta + psi * gamma), by Gauss-Hermite quadrature, in percent."""
    x, wq = np.polynomial.hermite.hermgauss(nodes)
    g = mu + math.sqrt(2.0) * s * x
    return 100.0 * (_sigmoid(np.asarray(theta)[:, None] + np.asarray(psi)[:, None] * g[None, :]) @ wq) / math.sqrt(
        math.pi)


def alpacaeval_correlations(data_dir: str | Path | None = None) -> dict:
    """Spearman correlations of average length with raw and LC win rates, and the LC reconstruction from weights."""
    t = alpacaeval_table(data_dir)
    rho_raw = stats.spearmanr(t["avg_length"], t["win_rate"])
    rho_lc = stats.spearmanr(t["avg_length"], t["lc"])
    m = t.dropna(subset=["theta", "psi"])
    m = m[m["key"] != "gpt4_1106_preview"]  # the baseline: all-zero weights, LC = 50 by construction

    def sse(p):
        return float(np.sum((_lc_from_weights(m["theta"], m["psi"], p[0], abs(p[1])) - m["lc"]) ** 2))

    fit = optimize.minimize(sse, x0=[0.0, 1.0], method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6})
    mu, s = float(fit.x[0]), abs(float(fit.x[1]))
    recon = _lc_from_weights(m["theta"], m["psi"], mu, s)
    at_mean = 100.0 * _sigmoid(m["theta"] + m["psi"] * mu)
    return {
        "models": int(len(t)),
        "spearman_length_raw": float(rho_raw.statistic), "p_length_raw": float(rho_raw.pvalue),
        "spearman_length_lc": float(rho_lc.statistic), "p_length_lc": float(rho_lc.pvalue),
        "models_with_weights": int(len(m)),
        "spearman_length_raw_matched": float(stats.spearmanr(m["avg_length"], m["win_rate"]).statistic),
        "spearman_length_lc_matched": float(stats.spearmanr(m["avg_length"], m["lc"]).statistic),
        "difficulty_mu": mu, "difficulty_sd": s,
        "lc_reconstruction_rmse": float(np.sqrt(np.mean((recon - m["lc"]) ** 2))),
        "lc_reconstruction_max_abs": float(np.max(np.abs(recon - m["lc"]))),
        "spearman_recon_vs_lc": float(stats.spearmanr(recon, m["lc"]).statistic),
        "spearman_length_recon": float(stats.spearmanr(m["avg_length"], recon).statistic),
        "spearman_length_theta": float(stats.spearmanr(m["avg_length"], at_mean).statistic),
        "median_phi": float(m["phi"].median()),
        "share_phi_negative": float((m["phi"] < 0).mean()),
    }
