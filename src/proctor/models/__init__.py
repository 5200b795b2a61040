"""Models: HF backbones (any local folder or Hub id; "minilm" is the packaged all-MiniLM-L6-v2), layer truncation,
pooling, a batched multi-layer Encoder and its on-disk EmbeddingCache."""

from proctor.models.backbone import MINILM, POOLINGS, load_backbone, model_identity, pool, resolve_model, truncate_layers
from proctor.models.cache import EmbeddingCache
from proctor.models.encoder import Encoder

__all__ = [
    "MINILM",
    "POOLINGS",
    "EmbeddingCache",
    "Encoder",
    "load_backbone",
    "model_identity",
    "pool",
    "resolve_model",
    "truncate_layers",
]
