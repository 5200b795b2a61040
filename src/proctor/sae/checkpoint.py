"""Save and load SAEs: Proctor's folder (`sae.safetensors` + `config.json`) and EleutherAI sparsify's folder
(`sae.safetensors` + `cfg.json`, keys encoder.weight, encoder.bias, W_dec, b_dec; see sparsify/sparse_coder.py,
`SparseCoder.save_to_disk` / `load_from_disk`). Both use the same tensor names and shapes, so one loader reads both.
"""

from __future__ import annotations

import json
from pathlib import Path

from proctor.atomic import write_atomic
from proctor.errors import ConfigError, ModelError

from .config import SAEConfig

WEIGHTS = "sae.safetensors"
CONFIG = "config.json"
SPARSIFY_CONFIG = "cfg.json"
_KEYS = ("encoder.weight", "encoder.bias", "W_dec", "b_dec")


def save_sae(sae, folder: str | Path) -> Path:
    """Write `folder/sae.safetensors` and `folder/config.json`, each atomically."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in sae.state_dict().items()}
    write_atomic(folder / WEIGHTS, save(tensors, metadata={"format": "pt", "writer": "proctor.sae"}))
    write_atomic(folder / CONFIG, sae.cfg.model_dump_json(indent=2))
    return folder


def _sparsify_config(path: Path) -> SAEConfig:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot read sparsify config ({e})") from None
    if not isinstance(raw, dict) or "d_in" not in raw:
        raise ModelError(f"{path}: a sparsify cfg.json needs 'd_in'")
    if raw.get("activation", "topk") != "topk":
        raise ModelError(f"{path}: activation {raw.get('activation')!r} is not supported (only topk)")
    for flag in ("skip_connection", "transcode"):
        if raw.get(flag):
            raise ModelError(f"{path}: {flag}=true SAEs are not supported")
    try:
        return SAEConfig(d_in=int(raw["d_in"]), num_latents=int(raw.get("num_latents") or 0),
                         expansion_factor=int(raw.get("expansion_factor", 32)), k=int(raw.get("k", 32)),
                         normalize_decoder=bool(raw.get("normalize_decoder", True)), architecture="topk")
    except (ValueError, TypeError) as e:
        raise ModelError(f"{path}: {e}") from None


def load_sae(path: str | Path, device=None):
    """A `SparseAutoencoder` from a Proctor folder (config.json) or an EleutherAI sparsify folder (cfg.json).

    The object has `W_dec` [latents, d_in], `encode(x) -> z` [n, latents], `decode(z) -> x_hat`, `cfg`."""
    import torch
    from safetensors.torch import load_file

    from .model import SparseAutoencoder

    folder = Path(path)
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such SAE folder (expected {WEIGHTS} with {CONFIG} or {SPARSIFY_CONFIG})")
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise ModelError(f"{folder}: no {WEIGHTS}")
    if (folder / CONFIG).is_file():
        try:
            cfg = SAEConfig.model_validate_json((folder / CONFIG).read_text(encoding="utf-8"))
        except ValueError as e:
            raise ConfigError(f"{folder / CONFIG}: {' '.join(str(e).split())[:300]}") from None
    elif (folder / SPARSIFY_CONFIG).is_file():
        cfg = _sparsify_config(folder / SPARSIFY_CONFIG)
    else:
        raise ModelError(f"{folder}: no {CONFIG} (Proctor) or {SPARSIFY_CONFIG} (sparsify)")
    try:
        tensors = load_file(str(weights))
    except Exception as e:  # safetensors raises its own error types for a corrupt file
        raise ModelError(f"{weights}: not a readable safetensors file ({e})") from None
    missing = [k for k in _KEYS if k not in tensors]
    if missing:
        raise ModelError(f"{weights}: missing tensors {', '.join(missing)}")
    expect = {"encoder.weight": (cfg.num_latents, cfg.d_in), "encoder.bias": (cfg.num_latents,),
              "W_dec": (cfg.num_latents, cfg.d_in), "b_dec": (cfg.d_in,)}
    for k, shape in expect.items():
        if tuple(tensors[k].shape) != shape:
            raise ModelError(f"{weights}: {k} has shape {tuple(tensors[k].shape)}, config says {shape}")
    dtype = tensors["W_dec"].dtype
    sae = SparseAutoencoder(cfg, dtype=torch.float32 if dtype not in (torch.float32, torch.float64) else dtype)
    sae.load_state_dict({k: tensors[k].to(sae.W_dec.dtype) for k in _KEYS})
    sae.eval()
    if device is not None:
        sae.to(device)
    return sae
