"""Models shared by every technique: HF backbones (any local folder or Hub id; "minilm" is the packaged
all-MiniLM-L6-v2), layer truncation, pooling, a batched multi-layer Encoder and its on-disk EmbeddingCache; and the
trainable classifiers (scikit-learn estimator contract) that weak-to-strong, the verifiers and the tax demo use.

    backbone.py   load_backbone, truncate_layers, pool, resolve_model, model_identity
    encoder.py    Encoder: batched, length-bucketed embeddings of one or several layers in one forward pass
    cache.py      EmbeddingCache: SQLite on disk; a cached vector is returned as cached, never recomputed
    heads.py      LinearProbe / MLPProbe on frozen features, TfidfLogReg
    finetune.py   FineTunedClassifier: full fine-tuning of an HF model with a classification head
    train.py      the one minibatch AdamW loop behind every torch classifier
    losses.py     soft cross-entropy and the auxiliary confidence loss (Burns et al. 2023) with its schedule
"""

from importlib import import_module

_LAZY = {
    "MINILM": "backbone", "POOLINGS": "backbone", "load_backbone": "backbone", "model_identity": "backbone",
    "pool": "backbone", "resolve_model": "backbone", "truncate_layers": "backbone",
    "EmbeddingCache": "cache", "Encoder": "encoder",
    "LinearProbe": "heads", "MLPProbe": "heads", "TfidfLogReg": "heads", "FineTunedClassifier": "finetune",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    # torch and transformers load on first use, not when a technique's spec imports this package
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
