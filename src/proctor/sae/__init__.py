"""Sparse autoencoders as deployment monitors (textbook 18.7.3): train, find features, monitor, suppress.

Public API (stable; other packages, e.g. the superposition helper, load SAEs through it):

    from proctor.sae import load_sae, save_sae
    sae = load_sae("runs/sae")          # a Proctor, EleutherAI sparsify or SAELens folder (told apart by its files)
    sae.W_dec                           # [latents, d_in] torch Parameter, rows unit-norm (each latent's direction)
    z = sae.encode(x)                   # x [n, d_in] float tensor -> dense code z [n, latents] (k non-zero per row)
    x_hat = sae.decode(z)               # z W_dec + b_dec
    sae.cfg                             # SAEConfig: d_in, num_latents, k, architecture, site, model

    spec.py        SAESpec: every setting of the experiment and its default (read by `proctor sae` and suites); QUICK;
                   trainer_configs (the SAE's and the trainer's configs from a spec)
    experiment.py  the one loop: capture -> train -> monitors per set -> splice cost -> suppression, as store units
    summary.py     summarize(store, spec), headline, scorecard
    report.py      the report sections
    technique.py   the registration (`type = "sae"`)
    cli.py         `proctor sae train | features | monitor | study | export`
    capture.py     activations at resid.N / mlp.N through forward hooks; safetensors shards
    config.py      SAEConfig (saved beside the weights) and TrainConfig (the trainer's)
    topk.py        the TopK / BatchTopK / AuxK math
    model.py       SparseAutoencoder
    checkpoint.py  save / load / export: Proctor's folder (which sparsify loads), sparsify's and SAELens's
    train.py       the trainer: Adam, width-scaled lr, AuxK, bf16, DDP
    metrics.py     FVU / L0 / dead latents, splice cost, CE loss recovered
    contrast.py    the shipped contrastive sets
    features.py    pooling, AUROC ranking of latents, top-activating examples
    monitor.py     calibrated monitors (SAE features, diff-of-means, logistic) and their bootstrap CIs
    suppress.py    clamp / ablate latents inside the model
"""

from __future__ import annotations

from .checkpoint import load_sae, save_sae
from .config import SAEConfig, TrainConfig
from .spec import QUICK, SAESpec

__all__ = ["QUICK", "SAEConfig", "SAESpec", "SparseAutoencoder", "TrainConfig", "load_sae", "save_sae", "train_sae"]

_HEAVY = {"SparseAutoencoder": ".model", "train_sae": ".train"}


def __getattr__(name: str):
    """Names whose modules import torch, loaded on first use (PEP 562) so that `import proctor.sae` stays light."""
    if name in _HEAVY:
        import importlib

        return getattr(importlib.import_module(_HEAVY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
