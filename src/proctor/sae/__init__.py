"""Sparse autoencoders as deployment monitors (textbook 18.7.3): train, find features, monitor, suppress.

Public API (stable; other packages, e.g. the superposition helper, load SAEs through it):

    from proctor.sae import load_sae, save_sae
    sae = load_sae("runs/sae")          # a Proctor folder (config.json) or an EleutherAI sparsify folder (cfg.json)
    sae.W_dec                           # [latents, d_in] torch Parameter, rows unit-norm (each latent's direction)
    z = sae.encode(x)                   # x [n, d_in] float tensor -> dense code z [n, latents] (k non-zero per row)
    x_hat = sae.decode(z)               # z W_dec + b_dec
    sae.cfg                             # SAEConfig: d_in, num_latents, k, architecture, site, model

Modules: capture (hooks at resid.N / mlp.N, shards), config, topk (the math), model (SparseAutoencoder), checkpoint
(safetensors + JSON, sparsify layout), train (Adam, AuxK, DDP), metrics (FVU / L0 / dead, splice cost, CE loss
recovered), contrast (the shipped contrastive sets), features (AUROC ranking, top examples), monitor (calibrated
monitors vs probes), suppress (clamp / ablate latents), study (the whole loop), report, suite, cli.
"""

from __future__ import annotations

from .checkpoint import load_sae, save_sae

__all__ = ["load_sae", "save_sae"]
