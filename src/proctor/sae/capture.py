"""Activation capture from any Hugging Face model through forward hooks at named sites, streamed in batches.

Sites (block numbers count from 1, like `hidden_states` indices):
    resid.i   the residual stream after block i (= hidden_states[i])
    mlp.i     the MLP output of block i, before it is added to the residual (BERT: `output.dense`; GPT-2 / Llama /
              Qwen style: the block's `mlp`)

The forward pass stops at the last hooked block (a private exception raised from its hook), so capturing MiniLM's
layer 3 costs half a forward. Rows are tokens: padding is always dropped, special tokens ([CLS], [SEP], BOS) by
default, because their activations are outliers that an SAE would spend latents on. `save_shards` writes the rows to
safetensors shards for reuse; `load_shards` reads them back.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from proctor.errors import ConfigError, DataError, ModelError
from proctor.progress import progress_bar

_SITE_RE = re.compile(r"^(resid|mlp)\.(\d+)$")


@dataclass(frozen=True)
class Site:
    kind: str
    """"resid" or "mlp"."""
    block: int
    """1-based block number."""

    @classmethod
    def parse(cls, text: str) -> "Site":
        m = _SITE_RE.match(str(text).strip())
        if not m or int(m[2]) < 1:
            raise ConfigError(f"site {text!r}: expected resid.N or mlp.N with N >= 1 (block number)")
        return cls(m[1], int(m[2]))

    def __str__(self) -> str:
        return f"{self.kind}.{self.block}"


class _StopForward(Exception):
    """Raised by the last hook: nothing after it is needed."""


@dataclass
class CapturedBatch:
    acts: dict[str, "object"]
    """site -> float32 tensor [rows, d] (CPU)."""
    text_index: np.ndarray
    """Row -> index of its text in the input list."""


def blocks_of(model, name: str = ""):
    """The ModuleList of transformer blocks of an HF model (any family)."""
    from proctor.models.backbone import _find_blocks, _num_layers

    n = _num_layers(model.config)
    found = _find_blocks(model, n) if n else None
    if found is None:
        raise ModelError(f"model {name!r}: found no list of transformer blocks")
    return found[2]


def site_module(blocks, site: Site, name: str = ""):
    """The module whose forward output is `site`."""
    if site.block > len(blocks):
        raise ConfigError(f"site {site}: model {name!r} has {len(blocks)} blocks")
    block = blocks[site.block - 1]
    if site.kind == "resid":
        return block
    if hasattr(block, "mlp"):
        return block.mlp
    out = getattr(block, "output", None)
    if out is not None and hasattr(out, "dense"):
        return out.dense
    raise ModelError(f"site {site}: found no MLP module in {type(block).__name__} of model {name!r}")


def first_tensor(output):
    return output[0] if isinstance(output, tuple) else output


class ActivationCapture:
    """Token activations of `model` at `sites` for a list of texts, one truncated forward pass per batch."""

    def __init__(self, model: str = "minilm", sites: Sequence[str] = ("resid.3",), *, max_length: int = 128,
                 batch_size: int = 32, skip_special: bool = True):
        if not sites:
            raise ConfigError("at least one site is needed")
        self.model_name = model
        self.sites = [Site.parse(s) for s in sites]
        self.max_length = max_length
        self.batch_size = batch_size
        self.skip_special = skip_special
        self._loaded = None

    def load(self):
        if self._loaded is None:
            from proctor.models.backbone import load_backbone

            tok, model, dim = load_backbone(self.model_name)
            blocks = blocks_of(model, self.model_name)
            params = inspect.signature(model.forward).parameters
            takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
            self._loaded = (tok, model, dim, blocks, None if takes_any else set(params))
            for s in self.sites:
                site_module(blocks, s, self.model_name)
        return self._loaded

    @property
    def dim(self) -> int:
        return self.load()[2]

    def batches(self, texts: Sequence[str], progress: bool = True) -> Iterator[CapturedBatch]:
        """Yield the activations of each batch of texts (length-sorted internally; `text_index` maps rows back)."""
        import torch

        tok, model, _, blocks, keys = self.load()
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise DataError(f"texts[{i}] is {type(t).__name__}, expected str")
        device = next(model.parameters()).device
        lengths = [len(x) for x in tok(list(texts), truncation=True, max_length=self.max_length)["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        last = max(s.block for s in self.sites)
        store: dict[str, torch.Tensor] = {}

        def hook_for(site: Site):
            def hook(_module, _inputs, output):
                store[str(site)] = first_tensor(output).detach()
                if site.block == last and len(store) == len(self.sites):
                    raise _StopForward
            return hook

        handles = [site_module(blocks, s).register_forward_hook(hook_for(s)) for s in self.sites]
        try:
            chunks = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
            with progress_bar(len(chunks), "capturing", progress and len(chunks) > 1) as advance, \
                    torch.inference_mode():
                for chunk in chunks:
                    enc = tok([texts[i] for i in chunk], padding=True, truncation=True, max_length=self.max_length,
                              return_tensors="pt", return_special_tokens_mask=True)
                    keep = enc["attention_mask"].bool()
                    if self.skip_special:
                        keep &= ~enc["special_tokens_mask"].bool()
                    inputs = {k: v.to(device) for k, v in enc.items()
                              if k != "special_tokens_mask" and (keys is None or k in keys)}
                    store.clear()
                    try:
                        model(**inputs)
                    except _StopForward:
                        pass
                    rows, _ = keep.nonzero(as_tuple=True)
                    acts = {s: v[keep.to(v.device)].float().cpu() for s, v in store.items()}
                    yield CapturedBatch(acts, np.asarray(chunk)[rows.numpy()])
                    advance()
        finally:
            for h in handles:
                h.remove()

    def tokens(self, texts: Sequence[str], site: str | None = None, progress: bool = True
               ) -> tuple[np.ndarray, np.ndarray]:
        """(float32 [rows, d] activations at `site` (default: the first), int64 [rows] text index), all texts."""
        key = str(Site.parse(site)) if site else str(self.sites[0])
        acts, owner = [], []
        for b in self.batches(texts, progress):
            acts.append(b.acts[key].numpy())
            owner.append(b.text_index)
        if not acts:
            return np.zeros((0, self.dim), np.float32), np.zeros(0, np.int64)
        return np.concatenate(acts), np.concatenate(owner).astype(np.int64)

    def save_shards(self, texts: Sequence[str], folder: str | Path, rows_per_shard: int = 262_144,
                    progress: bool = True) -> list[Path]:
        """Write every site's rows to `folder/shard-00000.safetensors`, ... (tensors `<site>` and `text_index`)."""
        from safetensors.numpy import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        pending: dict[str, list[np.ndarray]] = {}
        count = 0

        def flush():
            nonlocal pending, count
            if not count:
                return
            path = folder / f"shard-{len(paths):05d}.safetensors"
            # written by safetensors straight to a temporary file, then renamed (not proctor.atomic.write_atomic,
            # which takes the bytes in memory: a shard can hold gigabytes)
            tmp = folder / f".{path.name}.{os.getpid()}.tmp"
            save_file({k: np.ascontiguousarray(np.concatenate(v)) for k, v in pending.items()}, str(tmp),
                      metadata={"model": self.model_name, "sites": ",".join(map(str, self.sites))})
            os.replace(tmp, path)
            paths.append(path)
            pending, count = {}, 0

        for b in self.batches(texts, progress):
            for k, v in b.acts.items():
                pending.setdefault(k, []).append(v.numpy())
            pending.setdefault("text_index", []).append(b.text_index.astype(np.int64))
            count += len(b.text_index)
            if count >= rows_per_shard:
                flush()
        flush()
        return paths


def load_shards(folder: str | Path, site: str) -> tuple[np.ndarray, np.ndarray]:
    """(activations [rows, d], text index [rows]) of `site` from the shards `save_shards` wrote."""
    from safetensors.numpy import load_file

    folder = Path(folder)
    paths = sorted(folder.glob("shard-*.safetensors"))
    if not paths:
        raise DataError(f"{folder}: no shard-*.safetensors files")
    acts, owner = [], []
    for p in paths:
        try:
            t = load_file(str(p))
        except Exception as e:
            raise DataError(f"{p}: not a readable safetensors shard ({e})") from None
        if site not in t:
            raise DataError(f"{p}: no tensor {site!r} (has {', '.join(sorted(t))})")
        acts.append(t[site])
        owner.append(t.get("text_index", np.zeros(len(t[site]), np.int64)))
    return np.concatenate(acts), np.concatenate(owner)


class replace_output:
    """Context manager: while active, `module`'s output hidden states h [b, t, d] are replaced by `fn(h)`."""

    def __init__(self, module, fn):
        self.module, self.fn, self.handle = module, fn, None

    def __enter__(self):
        def hook(_m, _inputs, output):
            new = self.fn(first_tensor(output))
            return (new,) + tuple(output[1:]) if isinstance(output, tuple) else new

        self.handle = self.module.register_forward_hook(hook)
        return self

    def __exit__(self, *exc):
        self.handle.remove()
