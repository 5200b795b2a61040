"""Encoder: pooled embeddings of one or several hidden layers of a backbone, batched, length-sorted and cached.

One forward pass with `output_hidden_states=True` yields every layer, so a weak probe on layer 1 and a strong probe
on layer 6 cost one pass. Layer index = `hidden_states` index: 0 is the embedding output, L the last kept block.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import numpy as np

from proctor.errors import ModelError
from proctor.models.backbone import MINILM, POOLINGS, load_backbone, model_identity, pool
from proctor.models.cache import EmbeddingCache
from proctor.progress import progress_bar


class Encoder:
    """Text -> float32 vectors from a (possibly truncated) Hugging Face backbone; the model loads on first use."""

    def __init__(
        self,
        model: str = MINILM,
        *,
        layers: int | None = None,
        pooling: str = "mean",
        max_length: int = 256,
        batch_size: int = 64,
        cache: EmbeddingCache | None | str = "default",
    ):
        if pooling not in POOLINGS:
            raise ModelError(f"model {model!r}: unknown pooling {pooling!r}; expected one of {', '.join(POOLINGS)}")
        if max_length < 1 or batch_size < 1:
            raise ModelError(f"model {model!r}: max_length and batch_size must be positive")
        self.model_name = model
        self.layers = layers
        self.pooling = pooling
        self.max_length = max_length
        self.batch_size = batch_size
        if isinstance(cache, str):
            cache = EmbeddingCache.default() if cache == "default" else EmbeddingCache(cache)
        self.cache = cache
        self._identity: str | None = None
        self._tokenizer = None
        self._model = None
        self._dim: int | None = None
        self._num_layers: int | None = None
        self._forward_keys: set[str] | None = None

    @property
    def identity(self) -> str:
        """What the vectors depend on, besides the layer and the text: part of every cache key."""
        if self._identity is None:
            self._identity = (
                f"{model_identity(self.model_name)}|layers={self.layers}|pooling={self.pooling}"
                f"|max_length={self.max_length}"
            )
        return self._identity

    def _load(self) -> None:
        if self._model is not None:
            return
        tokenizer, model, dim = load_backbone(self.model_name, self.layers)
        config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        self._num_layers = int(config.num_hidden_layers)
        params = inspect.signature(model.forward).parameters
        # Decoder models reject token_type_ids; models taking **kwargs get everything the tokenizer made.
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        self._forward_keys = None if takes_any else set(params)
        self._tokenizer, self._model, self._dim = tokenizer, model, dim

    @property
    def dim(self) -> int:
        self._load()
        return self._dim

    @property
    def num_layers(self) -> int:
        """Transformer blocks kept; valid layer indices are 0..num_layers."""
        self._load()
        return self._num_layers

    def _layer_index(self, layer: int | None) -> int:
        n = self.num_layers
        if layer is None:
            return n
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -(n + 1) <= layer <= n:
            raise ModelError(f"model {self.model_name!r}: layer must be between 0 and {n}, got {layer!r}")
        return int(layer) % (n + 1)

    def embed(self, texts: Sequence[str], *, layer: int | None = None, progress: bool = True) -> np.ndarray:
        """float32 (n, dim) embeddings of `texts` at hidden-state `layer` (None = last)."""
        index = self._layer_index(layer)
        return self.embed_layers(texts, [index], progress=progress)[index]

    def embed_layers(self, texts: Sequence[str], layers: Sequence[int], *, progress: bool = True) -> dict[int, np.ndarray]:
        """{layer: float32 (n, dim)} for every requested layer, from one forward pass over the texts not cached."""
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, expected str")
        wanted = list(dict.fromkeys(self._layer_index(layer) for layer in layers))
        if not wanted:
            raise ModelError(f"model {self.model_name!r}: no layers requested")
        dim = self.dim
        unique = list(dict.fromkeys(texts))
        vectors = {layer: np.empty((len(unique), dim), dtype=np.float32) for layer in wanted}

        missing = list(range(len(unique)))
        found: dict = {}
        if self.cache is not None and unique:
            keys = {
                layer: [EmbeddingCache.key(self.identity, layer, self.pooling, self.max_length, t) for t in unique]
                for layer in wanted
            }
            found = self.cache.get_many([k for layer in wanted for k in keys[layer]], dim=dim)
            missing = []
            for j in range(len(unique)):
                # A text counts as cached only when every requested layer is: its forward pass gives them all anyway.
                if all(keys[layer][j] in found for layer in wanted):
                    for layer in wanted:
                        vectors[layer][j] = found[keys[layer][j]]
                else:
                    missing.append(j)

        if missing:
            computed = self._compute([unique[j] for j in missing], wanted, progress)
            fresh = {}
            for layer in wanted:
                vectors[layer][missing] = computed[layer]
                for i, j in enumerate(missing):
                    key = keys[layer][j] if self.cache is not None else None
                    if key is not None and key in found:
                        # A cached vector is returned as cached and never overwritten: recomputed in another batch
                        # (other padding, other kernels) it can differ in the last bits.
                        vectors[layer][j] = found[key]
                    elif key is not None:
                        fresh[key] = computed[layer][i]
            if fresh:
                self.cache.put_many(fresh)

        position = {t: j for j, t in enumerate(unique)}
        order = np.fromiter((position[t] for t in texts), dtype=np.int64, count=len(texts))
        return {layer: vectors[layer][order] for layer in wanted}

    def _compute(self, texts: list[str], layers: list[int], progress: bool) -> dict[int, np.ndarray]:
        import torch

        tokenizer, model = self._tokenizer, self._model
        device = next(model.parameters()).device
        # Sorting by token count makes each batch nearly pad-free (about 2x on SST-2); order is restored on return.
        lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        out = {layer: np.empty((len(texts), self.dim), dtype=np.float32) for layer in layers}

        with progress_bar(len(batches), "embedding", progress and len(batches) > 1) as advance, torch.inference_mode():
            for batch in batches:
                enc = tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                inputs = {
                    k: v.to(device) for k, v in enc.items() if self._forward_keys is None or k in self._forward_keys
                }
                hidden = model(**inputs, output_hidden_states=True).hidden_states
                mask = enc["attention_mask"].to(device)
                for layer in layers:
                    out[layer][batch] = pool(hidden[layer], mask, self.pooling).float().cpu().numpy()
                advance()
        return out

    def __repr__(self) -> str:
        return (
            f"Encoder({self.model_name!r}, layers={self.layers}, pooling={self.pooling!r}, "
            f"max_length={self.max_length}, batch_size={self.batch_size})"
        )
