"""Classifiers on fixed inputs, following the scikit-learn estimator contract.

`__init__` stores its arguments; `fit(X, y)` returns self; learned state ends in `_`; `predict_proba` columns follow
`classes_`. `y` is either hard labels (n,) or soft labels (n, k) (weak supervision), so the same head serves as weak
model, strong student and strong ceiling.

- `LinearProbe` / `MLPProbe`: torch heads on frozen representations (features standardized on the training set),
  trained with the w2s losses ("xent" or the auxiliary confidence loss "aux").
- `TfidfLogReg`: TF-IDF n-grams + logistic regression on raw texts, the classic weak baseline. Soft labels are fitted
  exactly by giving every example one row per class weighted by its probability (the cross-entropy is the same).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from ..device import single_thread
from .train import as_targets, train_loop, train_params


class _TorchProbe(ClassifierMixin, BaseEstimator):
    def _module(self, d: int, k: int) -> torch.nn.Module:  # pragma: no cover - overridden
        raise TypeError("abstract")

    def fit(self, X, y):
        with single_thread():
            return self._fit(X, y)

    def _fit(self, X, y):
        X = np.asarray(X, dtype=np.float32)
        targets, k = as_targets(y)
        self.classes_ = np.arange(k)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-6
        Xt = torch.from_numpy((X - self.mean_) / self.scale_)
        torch.manual_seed(self.random_state)
        self.module_ = self._module(X.shape[1], k)
        self.module_.train()
        self.loss_curve_ = train_loop(
            lambda idx: self.module_(Xt[torch.from_numpy(idx)]),
            self.module_.parameters(),
            targets,
            **train_params(self),
        )
        self.module_.eval()
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = (np.asarray(X, dtype=np.float32) - self.mean_) / self.scale_
        with torch.inference_mode(), single_thread():
            return torch.softmax(self.module_(torch.from_numpy(X)), dim=-1).numpy()

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class LinearProbe(_TorchProbe):
    """Logistic regression on frozen features, in torch (so it can train on soft labels with the aux loss)."""

    def __init__(self, *, loss="xent", epochs=10, batch_size=32, lr=1e-3, weight_decay=1e-2, a_max=0.75,
                 warmup_frac=0.2, random_state=0):
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.a_max = a_max
        self.warmup_frac = warmup_frac
        self.random_state = random_state

    def _module(self, d, k):
        # Zero start, as for logistic regression: random initial weights on uninformative features would take
        # many steps to wash out on small training sets.
        lin = torch.nn.Linear(d, k)
        torch.nn.init.zeros_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        return lin


class MLPProbe(_TorchProbe):
    """One hidden layer (GELU, dropout) on frozen features."""

    def __init__(self, *, hidden=256, dropout=0.1, loss="xent", epochs=10, batch_size=32, lr=1e-3, weight_decay=1e-2,
                 a_max=0.75, warmup_frac=0.2, random_state=0):
        self.hidden = hidden
        self.dropout = dropout
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.a_max = a_max
        self.warmup_frac = warmup_frac
        self.random_state = random_state

    def _module(self, d, k):
        return torch.nn.Sequential(
            torch.nn.Linear(d, self.hidden), torch.nn.GELU(), torch.nn.Dropout(self.dropout),
            torch.nn.Linear(self.hidden, k),
        )


class TfidfLogReg(ClassifierMixin, BaseEstimator):
    """TF-IDF (word 1-2 grams) + L2 logistic regression on texts."""

    def __init__(self, C=1.0, ngram_max=2, min_df=2, max_features=200_000, random_state=0):
        self.C = C
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts = list(X)
        targets, k = as_targets(y)
        self.classes_ = np.arange(k)
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, self.ngram_max), min_df=self.min_df,
                                           max_features=self.max_features, sublinear_tf=True)
        Z = self.vectorizer_.fit_transform(texts)
        rows, cls = np.nonzero(targets > 0)
        weights = targets[rows, cls]
        self.model_ = LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state)
        self.model_.fit(Z[rows], cls, sample_weight=weights)
        return self

    def predict_proba(self, X) -> np.ndarray:
        p = self.model_.predict_proba(self.vectorizer_.transform(list(X)))
        out = np.zeros((p.shape[0], len(self.classes_)), dtype=np.float64)
        out[:, self.model_.classes_] = p
        return out

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
