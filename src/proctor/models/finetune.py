"""Full fine-tuning of a Hugging Face encoder with a classification head (the strong student and ceiling).

Frozen representations give MiniLM only a 1-2 point edge over TF-IDF on SST-2, inside the noise; fine-tuning the
whole network opens the ~10 point gap that makes PGR measurable. Any local HF model folder or Hub id works; `layers`
keeps the first k blocks (a smaller model of the same family). Runs on `proctor.device.get_device()`.

Speed: texts are tokenized once; each epoch's batches group examples of similar length (shuffled buckets), so
little time goes to padding.

    from proctor.models.finetune import FineTunedClassifier
    clf = FineTunedClassifier("minilm", epochs=2).fit(texts, soft_labels)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from ..device import get_device
from .train import as_targets, train_loop, train_params


class _Head(torch.nn.Module):
    def __init__(self, backbone: torch.nn.Module, hidden: int, k: int, pooling: str, dropout: float):
        super().__init__()
        self.backbone = backbone
        self.pooling = pooling
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(hidden, k)

    def forward(self, input_ids, attention_mask):
        from ..models import pool

        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        return self.classifier(self.dropout(pool(out.last_hidden_state, attention_mask, self.pooling)))


def set_attention_dropout(model: torch.nn.Module, p: float) -> int:
    """Set the dropout on attention probabilities of every attention module; returns how many were set.

    Dropout inside attention keeps PyTorch off its fused scaled-dot-product kernel: on 2 CPU cores MiniLM's training
    forward pass is ~60% slower with it. We default it to 0 and keep the hidden-state dropout (Burns et al. do not
    state their dropout; this is a speed choice, written down in docs/results.md).
    """
    n = 0
    for name, module in model.named_modules():
        if "attention" in type(module).__name__.lower() and isinstance(getattr(module, "dropout", None), torch.nn.Dropout):
            module.dropout.p = p
            n += 1
        elif isinstance(getattr(module, "attention_dropout", None), float):  # Llama / Qwen style
            module.attention_dropout = p
            n += 1
    return n


class FineTunedClassifier(ClassifierMixin, BaseEstimator):
    """A transformer fine-tuned end to end on hard or soft labels (scikit-learn contract; X is a list of texts)."""

    def __init__(self, model="minilm", *, layers=None, pooling="mean", max_length=128, epochs=2.0, batch_size=32,
                 lr=5e-5, weight_decay=0.01, dropout=0.1, attention_dropout=0.0, lr_schedule="cosine", loss="xent", a_max=0.75,
                 warmup_frac=0.2, random_state=0, progress=None):
        self.model = model
        self.layers = layers
        self.pooling = pooling
        self.max_length = max_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.lr_schedule = lr_schedule
        self.loss = loss
        self.a_max = a_max
        self.warmup_frac = warmup_frac
        self.random_state = random_state
        self.progress = progress

    # -- tokenization and batching -------------------------------------------------------------------------------
    def _encode(self, texts) -> list[list[int]]:
        enc = self.tokenizer_(list(texts), truncation=True, max_length=self.max_length, padding=False)
        return enc["input_ids"]

    def _collate(self, ids: list[list[int]], idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        rows = [ids[i] for i in idx]
        width = max(len(r) for r in rows)
        pad = self.tokenizer_.pad_token_id or 0
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for j, r in enumerate(rows):
            input_ids[j, : len(r)] = torch.tensor(r)
            mask[j, : len(r)] = 1
        dev = get_device()
        return input_ids.to(dev), mask.to(dev)

    def _bucketed(self, lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        # Sort by length with a little noise so buckets differ between epochs, then shuffle the buckets.
        noisy = lengths + rng.uniform(0, 4, size=lengths.shape)
        order = np.argsort(noisy, kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    # -- estimator API --------------------------------------------------------------------------------------------
    def fit(self, X, y):
        from ..models import load_backbone

        targets, k = as_targets(y)
        self.classes_ = np.arange(k)
        torch.manual_seed(self.random_state)
        self.tokenizer_, backbone, hidden = load_backbone(self.model, self.layers, for_training=True)
        if self.attention_dropout is not None:
            set_attention_dropout(backbone, self.attention_dropout)
        self.module_ = _Head(backbone, hidden, k, self.pooling, self.dropout).to(get_device())
        ids = self._encode(X)
        lengths = np.array([len(r) for r in ids], dtype=np.float64)
        self.module_.train()
        start = time.perf_counter()
        self.loss_curve_ = train_loop(
            lambda idx: self.module_(*self._collate(ids, idx)),
            self.module_.parameters(),
            targets,
            **train_params(self),
            batch_order=lambda rng: self._bucketed(lengths, rng),
            lr_schedule=self.lr_schedule,
            device=get_device(),
            progress=self.progress,
        )
        self.train_seconds_ = time.perf_counter() - start  # the training loop alone (no model load, no tokenizing)
        self.module_.eval()
        return self

    def predict_proba(self, X, batch_size: int = 128) -> np.ndarray:
        ids = self._encode(X)
        order = np.argsort([len(r) for r in ids], kind="stable")
        out = np.empty((len(ids), len(self.classes_)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                out[idx] = torch.softmax(self.module_(*self._collate(ids, idx)).float(), dim=-1).cpu().numpy()
        return out

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def save(self, path: str | Path) -> Path:
        """Weights (backbone + head) as safetensors."""
        from safetensors.torch import save_model

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_model(self.module_, str(path))
        return path
