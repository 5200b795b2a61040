"""Superposition (Section 18.7.3): toy models of superposition (Elhage et al. 2022) and interference in real
representations (MiniLM neurons, SAE latents).

    spec.py          SuperpositionSpec: every setting and its default (read by `proctor superposition` and suites)
    experiment.py    the one runner: toy sweeps, their interference checks, real-representation measurements
    summary.py       summarize(store, spec), headline
    report.py        the report sections
    technique.py     the registration (`type = "superposition"`)
    cli.py           `proctor superposition toy | interference`
    toy.py           batched toy-model trainer, one model per (sparsity, importance) setting
    geometry.py      feature dimensionality D_i, D* = m/||W||_F^2, represented features, W^T W
    interference.py  ablate one feature's direction; measured damage vs the (W_k . W_j)^2 / ||W_k||^2 prediction
    real.py          decoder interference, dimensionality and collateral effects for MiniLM neurons and SAEs
    plots.py         the figures
"""

from __future__ import annotations

from .spec import QUICK, SuperpositionSpec
from .toy import ToyModels, ToySweep, sweep_summary, train_toy_models

__all__ = ["QUICK", "SuperpositionSpec", "ToyModels", "ToySweep", "sweep_summary", "train_toy_models"]
