"""Save, load and export SAEs in three folder layouts, told apart by their files:

    Proctor    sae.safetensors + config.json (SAEConfig: site and model included) + cfg.json for sparsify (topk only)
    sparsify   sae.safetensors + cfg.json (EleutherAI sparsify 1.3.3, sparse_coder.py `SparseCoder.save_to_disk` /
               `load_from_disk`: the SparseCoderConfig fields plus d_in); tensors encoder.weight [latents, d_in],
               encoder.bias, W_dec [latents, d_in], b_dec. A sparsify run folder holds one such folder per hookpoint
               (`layers.3`, ...) beside the run's own config.json (whose `model` names the model).
    SAELens    sae_weights.safetensors + cfg.json (sae-lens 6.x, `SAE.save_model` / `SAE.load_from_disk`); tensors
               W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec (+ threshold [d_sae] for jumprelu).

Proctor writes its own folder so that sparsify loads it unchanged (the tensor names and shapes are sparsify's), and
`export_saelens` writes SAELens's. Sites map to the other tools' names as follows (Proctor's blocks count from 1,
theirs from 0): resid.N is sparsify's hookpoint `layers.{N-1}` and SAELens's `blocks.{N-1}.hook_resid_post`; mlp.N is
`layers.{N-1}.mlp` and `blocks.{N-1}.hook_mlp_out`. Neither package is imported here; tests/test_sae_interop.py
loads the files with both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from proctor.atomic import write_atomic
from proctor.errors import ConfigError, ModelError

from .config import SAEConfig

WEIGHTS = "sae.safetensors"
CONFIG = "config.json"
SPARSIFY_CONFIG = "cfg.json"
SAELENS_WEIGHTS = "sae_weights.safetensors"
SAELENS_CONFIG = "cfg.json"
SAELENS_FORMAT = "6.54.12"
"""The sae-lens release whose cfg.json layout `export_saelens` writes (recorded as its `sae_lens_version`)."""
_KEYS = ("encoder.weight", "encoder.bias", "W_dec", "b_dec")
_SPARSIFY_FIELDS = ("activation", "expansion_factor", "normalize_decoder", "num_latents", "k", "multi_topk",
                    "skip_connection", "transcode")
"""sparsify 1.3.3's SparseCoderConfig fields, in its order; cfg.json holds these and d_in."""


# -- site names ------------------------------------------------------------------------------------------------------
def sparsify_hookpoint(site: str) -> str:
    """Proctor's site as a sparsify hookpoint name (decoder-only models' `layers.N`), e.g. resid.4 -> layers.3."""
    kind, n = _site_parts(site)
    return f"layers.{n - 1}" + (".mlp" if kind == "mlp" else "")


def saelens_hook(site: str) -> str:
    """Proctor's site as a TransformerLens hook name, e.g. resid.4 -> blocks.3.hook_resid_post."""
    kind, n = _site_parts(site)
    return f"blocks.{n - 1}.hook_" + ("mlp_out" if kind == "mlp" else "resid_post")


def _site_parts(site: str) -> tuple[str, int]:
    m = re.fullmatch(r"(resid|mlp)\.(\d+)", site or "")
    if not m or int(m[2]) < 1:
        raise ConfigError(f"site {site!r}: expected resid.N or mlp.N with N >= 1 (block number)")
    return m[1], int(m[2])


def site_of_hookpoint(name: str) -> str:
    """Proctor's site for a sparsify hookpoint (`layers.3`, `h.3`, `encoder.layer.3`, `layers.3.mlp`, BERT's
    `encoder.layer.3.output.dense`) or "" when the name is none of these."""
    m = re.fullmatch(r"(?:[\w.]*\.)?(?:layers|layer|h|blocks)\.(\d+)(\.mlp|\.output\.dense)?", name)
    return f"{'mlp' if m[2] else 'resid'}.{int(m[1]) + 1}" if m else ""


def site_of_hook(name: str) -> str:
    """Proctor's site for a TransformerLens hook name, or "" when it has none (embeddings, attention, hook_z)."""
    m = re.fullmatch(r"blocks\.(\d+)\.hook_(resid_post|mlp_out|resid_pre)", name or "")
    if not m:
        return ""
    n = int(m[1]) + (0 if m[2] == "resid_pre" else 1)  # resid_pre of block i is resid_post of block i - 1
    return f"{'mlp' if m[2] == 'mlp_out' else 'resid'}.{n}" if n >= 1 else ""


# -- Proctor's folder (which sparsify loads) -------------------------------------------------------------------------
def sparsify_cfg(cfg: SAEConfig) -> dict:
    """sparsify's cfg.json for a topk SAE: SparseCoderConfig's fields (activation topk, no skip, no transcode) and
    d_in, as `SparseCoder.save_to_disk` writes it."""
    if cfg.architecture != "topk":
        raise ConfigError(f"sparsify has topk (and groupmax) SAEs only, not {cfg.architecture}; "
                          "export --format saelens instead")
    return {"activation": "topk", "expansion_factor": cfg.expansion_factor, "normalize_decoder": cfg.normalize_decoder,
            "num_latents": cfg.num_latents, "k": cfg.k, "multi_topk": False, "skip_connection": False,
            "transcode": False, "d_in": cfg.d_in}


def save_sae(sae, folder: str | Path) -> Path:
    """Write `folder/sae.safetensors`, `folder/config.json` and, for a topk SAE, sparsify's `folder/cfg.json`, each
    atomically. sparsify has no batchtopk or relu SAE, so those folders get no cfg.json (a stale one is removed)."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in sae.state_dict().items()}
    write_atomic(folder / WEIGHTS, save(tensors, metadata={"format": "pt", "writer": "proctor.sae"}))
    write_atomic(folder / CONFIG, sae.cfg.model_dump_json(indent=2))
    if sae.cfg.architecture == "topk":
        write_atomic(folder / SPARSIFY_CONFIG, json.dumps(sparsify_cfg(sae.cfg), indent=2))
    else:
        (folder / SPARSIFY_CONFIG).unlink(missing_ok=True)
    return folder


# -- SAELens ---------------------------------------------------------------------------------------------------------
def saelens_files(sae) -> tuple[dict, dict]:
    """(cfg.json dict, tensors) of `sae` in SAELens's layout: topk -> "topk", relu -> "standard", batchtopk with its
    inference threshold -> "jumprelu" (every latent gets the one threshold: relu(h) * (h > t), which is what
    Proctor's batchtopk computes at inference). Site and model are required: they fill hook_name and model_name."""
    import torch

    cfg = sae.cfg
    if not cfg.site or not cfg.model:
        raise ConfigError(f"the SAE names no {'site' if not cfg.site else 'model'}; pass "
                          f"--{'site' if not cfg.site else 'model'} (SAELens records the hook and the model)")
    arch = {"topk": "topk", "relu": "standard", "batchtopk": "jumprelu"}[cfg.architecture]
    if arch == "jumprelu" and cfg.threshold is None:
        raise ConfigError("this batchtopk SAE has no inference threshold (it was never trained), so SAELens cannot "
                          "run it")
    state = {k: v.detach().float().cpu() for k, v in sae.state_dict().items()}
    tensors = {"W_enc": state["encoder.weight"].T.contiguous(), "b_enc": state["encoder.bias"].contiguous(),
               "W_dec": state["W_dec"].contiguous(), "b_dec": state["b_dec"].contiguous()}
    if arch == "jumprelu":
        tensors["threshold"] = torch.full((cfg.num_latents,), float(cfg.threshold))
    meta = {"sae_lens_version": SAELENS_FORMAT, "sae_lens_training_version": None, "model_name": cfg.model,
            "hook_name": saelens_hook(cfg.site), "proctor": cfg.model_dump()}
    out = {"d_in": cfg.d_in, "d_sae": cfg.num_latents, "dtype": "float32", "device": "cpu",
           "apply_b_dec_to_input": True, "normalize_activations": "none", "reshape_activations": "none",
           "metadata": meta, "architecture": arch}
    if arch == "topk":
        out |= {"k": cfg.k, "rescale_acts_by_decoder_norm": False}
    return out, tensors


def export_saelens(sae, folder: str | Path) -> Path:
    """Write `folder/sae_weights.safetensors` and `folder/cfg.json`, a folder `sae_lens.SAE.load_from_disk` loads."""
    from safetensors.torch import save

    cfg, tensors = saelens_files(sae)
    folder = Path(folder)
    if (folder / WEIGHTS).exists():
        raise ConfigError(f"--out {folder}: holds a Proctor / sparsify SAE ({WEIGHTS}) whose cfg.json SAELens's "
                          "would replace; choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / SAELENS_WEIGHTS, save(tensors, metadata={"format": "pt", "writer": "proctor.sae"}))
    write_atomic(folder / SAELENS_CONFIG, json.dumps(cfg, indent=2))
    return folder


# -- loading any of the three ----------------------------------------------------------------------------------------
def _read_json(path: Path, what: str) -> dict:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot read {what} ({' '.join(str(e).split())[:200]})") from None
    if not isinstance(raw, dict):
        raise ModelError(f"{path}: {what} is not a JSON object")
    return raw


def _is_sae_folder(folder: Path) -> bool:
    return ((folder / WEIGHTS).is_file() and ((folder / CONFIG).is_file() or (folder / SPARSIFY_CONFIG).is_file())) \
        or ((folder / SAELENS_WEIGHTS).is_file() and (folder / SAELENS_CONFIG).is_file())


def sae_folder(path: str | Path) -> tuple[str, Path]:
    """(layout, folder) of an SAE folder: "proctor", "sparsify" or "saelens". A folder holding one SAE folder (a
    `proctor sae study` run's sae/, a sparsify run with one hookpoint) stands for it. Anything else: one error line
    naming the file that is missing."""
    folder = Path(path)
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such SAE folder (expected {WEIGHTS} with {CONFIG} or {SPARSIFY_CONFIG}, or "
                         f"{SAELENS_WEIGHTS} with {SAELENS_CONFIG})")
    has = {name: (folder / name).is_file() for name in (WEIGHTS, CONFIG, SPARSIFY_CONFIG, SAELENS_WEIGHTS)}
    if has[WEIGHTS] and has[CONFIG]:
        return "proctor", folder
    if has[WEIGHTS] and has[SPARSIFY_CONFIG]:
        return "sparsify", folder
    if has[SAELENS_WEIGHTS] and has[SAELENS_CONFIG]:
        return "saelens", folder
    if has[WEIGHTS]:
        raise ModelError(f"{folder}: has {WEIGHTS} but no {CONFIG} (Proctor) or {SPARSIFY_CONFIG} (sparsify)")
    if has[SAELENS_WEIGHTS]:
        raise ModelError(f"{folder}: has {SAELENS_WEIGHTS} but no {SAELENS_CONFIG} (SAELens)")
    if has[SPARSIFY_CONFIG]:
        saelens = "architecture" in _read_json(folder / SPARSIFY_CONFIG, "cfg.json")
        raise ModelError(f"{folder}: has cfg.json but no {SAELENS_WEIGHTS if saelens else WEIGHTS} "
                         f"({'SAELens' if saelens else 'sparsify'})")
    inner = sorted(p for p in folder.iterdir() if p.is_dir() and _is_sae_folder(p))
    if len(inner) == 1:
        return sae_folder(inner[0])
    if len(inner) > 1:
        names = ", ".join(p.name for p in inner[:8]) + (", ..." if len(inner) > 8 else "")
        raise ModelError(f"{folder}: holds {len(inner)} SAE folders ({names}); give one of them")
    raise ModelError(f"{folder}: not an SAE folder: no {WEIGHTS} (Proctor, sparsify) or {SAELENS_WEIGHTS} (SAELens)")


def _sparsify_config(folder: Path) -> SAEConfig:
    path = folder / SPARSIFY_CONFIG
    raw = _read_json(path, "sparsify config")
    if "d_in" not in raw:
        raise ModelError(f"{path}: a sparsify cfg.json needs 'd_in'")
    if raw.get("activation", "topk") != "topk":
        raise ModelError(f"{path}: activation {raw.get('activation')!r} is not supported (only topk)")
    for flag in ("skip_connection", "transcode"):
        if raw.get(flag):
            raise ModelError(f"{path}: {flag}=true SAEs are not supported")
    # sparsify records neither the site nor the model: the site from the hookpoint folder's name, the model from
    # the run folder's config.json (sparsify's RunConfig has `model`), else left empty for --site / --model.
    run_cfg = folder.parent / CONFIG
    model = ""
    if run_cfg.is_file():
        try:
            model = json.loads(run_cfg.read_text(encoding="utf-8")).get("model") or ""
        except (OSError, ValueError, AttributeError):
            model = ""
    try:
        return SAEConfig(d_in=int(raw["d_in"]), num_latents=int(raw.get("num_latents") or 0),
                         expansion_factor=int(raw.get("expansion_factor", 32)), k=int(raw.get("k", 32)),
                         normalize_decoder=bool(raw.get("normalize_decoder", True)), architecture="topk",
                         site=site_of_hookpoint(folder.resolve().name), model=str(model))
    except (ValueError, TypeError) as e:
        raise ModelError(f"{path}: {' '.join(str(e).split())[:300]}") from None


def _saelens_config(folder: Path, tensors: dict) -> tuple[SAEConfig, dict]:
    """Proctor's config and sparsify-named tensors of a SAELens folder (6.x layout, or the older top-level one)."""
    import torch

    path = folder / SAELENS_CONFIG
    raw = _read_json(path, "SAELens config")
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    arch = raw.get("architecture") or ("topk" if raw.get("activation_fn") == "topk" else "standard")
    if arch not in ("topk", "standard", "jumprelu"):
        raise ModelError(f"{path}: architecture {arch!r} is not supported (topk, standard, jumprelu)")
    for field, ok in (("normalize_activations", "none"), ("rescale_acts_by_decoder_norm", False),
                      ("finetuning_scaling_factor", False)):
        if raw.get(field, ok) not in (ok, None):
            raise ModelError(f"{path}: {field}={raw[field]!r} is not supported (only {json.dumps(ok)})")
    need = ["W_enc", "b_enc", "W_dec", "b_dec"] + (["threshold"] if arch == "jumprelu" else [])
    missing = [k for k in need if k not in tensors]
    if missing:
        raise ModelError(f"{folder / SAELENS_WEIGHTS}: missing tensors {', '.join(missing)}")
    W_enc, b_enc, W_dec, b_dec = (tensors[k] for k in need[:4])
    if W_enc.ndim != 2 or W_dec.shape != W_enc.T.shape:
        raise ModelError(f"{folder / SAELENS_WEIGHTS}: W_enc {tuple(W_enc.shape)} and W_dec {tuple(W_dec.shape)} are "
                         "not [d_in, d_sae] and [d_sae, d_in]")
    d_in, d_sae = W_enc.shape
    if (raw.get("d_in"), raw.get("d_sae")) != (d_in, d_sae):
        raise ModelError(f"{path}: d_in / d_sae {raw.get('d_in')} / {raw.get('d_sae')} do not match the weights "
                         f"({d_in} / {d_sae})")
    if not raw.get("apply_b_dec_to_input", True):  # h = x W_enc + b_enc = (x - b_dec) W_enc + (b_enc + b_dec W_enc)
        b_enc = b_enc + b_dec @ W_enc
    proctor = meta.get("proctor") if isinstance(meta.get("proctor"), dict) else {}
    fields = {"d_in": d_in, "num_latents": d_sae, "expansion_factor": max(1, d_sae // d_in),
              "normalize_decoder": bool(torch.allclose(W_dec.float().norm(dim=1), torch.ones(d_sae), atol=1e-4)),
              "site": site_of_hook(meta.get("hook_name") or raw.get("hook_name") or raw.get("hook_point") or ""),
              "model": str(meta.get("model_name") or raw.get("model_name") or "")}
    if arch == "topk":
        k = raw.get("k") or (raw.get("activation_fn_kwargs") or {}).get("k")
        if not isinstance(k, int):
            raise ModelError(f"{path}: a topk SAE needs an integer 'k'")
        fields |= {"architecture": "topk", "k": k}
    elif arch == "standard":
        fields |= {"architecture": "relu", "k": int(proctor.get("k", 1))}
    else:
        t = tensors["threshold"].float()
        if t.numel() != d_sae or not torch.allclose(t, t.flatten()[0].expand_as(t)):
            raise ModelError(f"{folder / SAELENS_WEIGHTS}: jumprelu with per-latent thresholds is not supported "
                             "(Proctor's batchtopk SAE has one threshold for all latents)")
        # k is unknown for a foreign jumprelu SAE; with a threshold, inference does not use it.
        fields |= {"architecture": "batchtopk", "threshold": float(t.flatten()[0]), "k": int(proctor.get("k", 1))}
        if isinstance(proctor.get("threshold"), float) and abs(proctor["threshold"] - fields["threshold"]) <= 1e-6 * (
                1 + abs(fields["threshold"])):
            fields["threshold"] = proctor["threshold"]  # the float32 tensor rounded Proctor's float64 threshold
    for key in ("site", "model", "l1_coeff", "normalize_decoder", "expansion_factor"):  # Proctor's own record
        if proctor.get(key) not in (None, ""):
            fields[key] = proctor[key]
    try:
        cfg = SAEConfig(**fields)
    except (ValueError, TypeError) as e:
        raise ModelError(f"{path}: {' '.join(str(e).split())[:300]}") from None
    return cfg, {"encoder.weight": W_enc.T, "encoder.bias": b_enc, "W_dec": W_dec, "b_dec": b_dec}


def load_sae(path: str | Path, device=None):
    """A `SparseAutoencoder` from a Proctor, sparsify or SAELens folder (see `sae_folder`), with the site and model
    that the folder records (empty where it does not: sparsify keeps neither, see `_sparsify_config`).

    The object has `W_dec` [latents, d_in], `encode(x) -> z` [n, latents], `decode(z) -> x_hat`, `cfg`."""
    import torch
    from safetensors.torch import load_file

    from .model import SparseAutoencoder

    layout, folder = sae_folder(path)
    weights = folder / (SAELENS_WEIGHTS if layout == "saelens" else WEIGHTS)
    # the small config first: a broken one is named before the weights are read
    if layout == "proctor":
        try:
            cfg = SAEConfig.model_validate_json((folder / CONFIG).read_text(encoding="utf-8"))
        except ValueError as e:
            raise ConfigError(f"{folder / CONFIG}: {' '.join(str(e).split())[:300]}") from None
    elif layout == "sparsify":
        cfg = _sparsify_config(folder)
    try:
        tensors = load_file(str(weights))
    except Exception as e:  # safetensors raises its own error types for a corrupt file
        raise ModelError(f"{weights}: not a readable safetensors file ({' '.join(str(e).split())[:200]})") from None
    if layout == "saelens":
        cfg, tensors = _saelens_config(folder, tensors)
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
