"""Evaluations of an encoder checkpoint for the interpolation sweep: each is `fn(model, tokenizer) -> score`.

* `probe:DATA`: test accuracy of a logistic-regression probe on the model's mean-pooled features, refit for every
  checkpoint (a named data set such as sst2 or boolq, a local file or folder, or a Hub id; see `load_dataset`).
  It measures what the representation makes linearly decodable, whatever head the checkpoint had.
* `retrieval:DATA`: question-to-passage retrieval, recall@1 by cosine similarity of mean-pooled embeddings among
  `n` passages (BoolQ's questions and passages by default; any table with `question` and `passage` columns).
  This is what all-MiniLM-L6-v2 was trained for, so it is the capability a sentiment fine-tune is expected to erode.

    fn = parse_evaluation("probe:sst2", max_length=64)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from proctor.errors import ConfigError, DataError

__all__ = ["ProbeEvaluation", "RetrievalEvaluation", "embed", "parse_evaluation"]


def embed(model, tokenizer, texts, *, max_length: int = 64, batch_size: int = 64) -> np.ndarray:
    """Mean-pooled last-layer states of `texts` (float32, one row per text), batched by length."""
    import torch

    from proctor.models import pool

    device = next(model.parameters()).device
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = None
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer([texts[i] for i in idx], truncation=True, max_length=max_length, padding=True,
                            return_tensors="pt").to(device)
            h = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            v = pool(h, enc["attention_mask"], "mean").float().cpu().numpy()
            if out is None:
                out = np.empty((len(texts), v.shape[1]), dtype=np.float32)
            out[idx] = v
    return out


@dataclass
class ProbeEvaluation:
    """Accuracy of a logistic-regression probe on frozen mean-pooled features (refit per checkpoint)."""

    dataset: str
    """A named data set (sst2, boolq, anthropic_hh), a local file or folder, or a Hub id."""
    max_train: int = 400
    """Training examples for the probe (stratified subsample)."""
    max_test: int = 400
    """Test examples (stratified subsample)."""
    max_length: int = 64
    """Tokens per text."""
    seed: int = 0
    """Split and subsample seed."""
    data_options: dict = field(default_factory=dict)
    """`columns` and `split` for `load_dataset` (proctor.data.fields.TableColumns.options_for)."""
    _splits: object = field(default=None, init=False, repr=False)

    def prepare(self) -> ProbeEvaluation:
        """Load the data now, so a bad data set fails before any model work."""
        from proctor.data import load_dataset

        if self._splits is None:
            self._splits = load_dataset(self.dataset, split_seed=self.seed, max_train=self.max_train,
                                        max_test=self.max_test, **self.data_options)
        return self

    def __call__(self, model, tokenizer) -> float:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        tr, te = self.prepare()._splits.train, self._splits.test
        xtr = embed(model, tokenizer, tr.texts, max_length=self.max_length)
        xte = embed(model, tokenizer, te.texts, max_length=self.max_length)
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        probe.fit(xtr, np.asarray(tr.labels))
        return float((probe.predict(xte) == np.asarray(te.labels)).mean())


@dataclass
class RetrievalEvaluation:
    """Recall@1 of retrieving each question's own passage among `n` passages by cosine similarity."""

    source: str = "boolq"
    """'boolq' (PROCTOR_DATA/boolq/dev.jsonl) or a local table with the two columns below."""
    n: int = 300
    """Question-passage pairs (one question per distinct passage, seeded sample)."""
    query_col: str = "question"
    doc_col: str = "passage"
    max_length: int = 64
    """Tokens per text (passages are cut to their first `max_length` tokens)."""
    seed: int = 0
    query_template: str = "{question}"
    """How a question is put to the encoder: '{question}' is replaced by the question (`proctor tax formats`)."""
    _pairs: tuple | None = field(default=None, init=False, repr=False)

    def _load(self) -> tuple[list[str], list[str]]:
        from proctor.data.tables import load_table

        if self.source.lower() == "boolq":
            root = os.environ.get("PROCTOR_DATA")
            path = Path(root or ".").expanduser() / "boolq" / "dev.jsonl"
            if not root or not path.is_file():
                raise DataError(f"retrieval:boolq needs PROCTOR_DATA with boolq/dev.jsonl ({path} not found)")
        else:
            path = Path(self.source).expanduser()
        df = load_table(path)
        for col in (self.query_col, self.doc_col):
            if col not in df.columns:
                raise DataError(f"{path}: no column '{col}' for retrieval (columns: {', '.join(map(str, df.columns))}); "
                                "name yours with --question-column / --passage-column")
        df = df[[self.query_col, self.doc_col]].dropna().drop_duplicates(subset=[self.doc_col])
        if len(df) < 2:
            raise DataError(f"{path}: retrieval needs at least two distinct passages")
        pick = np.random.default_rng(self.seed).permutation(len(df))[: self.n]
        sub = df.iloc[np.sort(pick)]
        return [str(q) for q in sub[self.query_col]], [str(d) for d in sub[self.doc_col]]

    def prepare(self) -> RetrievalEvaluation:
        """Load the pairs now, so a bad source fails before any model work."""
        if self._pairs is None:
            self._pairs = self._load()
        return self

    def __call__(self, model, tokenizer) -> float:
        return float(self.hits(model, tokenizer).mean())

    def hits(self, model, tokenizer) -> np.ndarray:
        """1 where a question's own passage ranks first, per question (in the sample's order)."""
        questions, passages = self.prepare()._pairs
        questions = [self.query_template.replace("{question}", q) for q in questions]
        q = embed(model, tokenizer, questions, max_length=self.max_length)
        d = embed(model, tokenizer, passages, max_length=self.max_length)
        q /= np.linalg.norm(q, axis=1, keepdims=True).clip(1e-12)
        d /= np.linalg.norm(d, axis=1, keepdims=True).clip(1e-12)
        return (np.argmax(q @ d.T, axis=1) == np.arange(len(questions))).astype(float)


def parse_evaluation(spec: str, *, max_length: int = 64, examples: int = 400, seed: int = 0, table=None):
    """'probe:DATA' or 'retrieval:DATA' -> an evaluation; `examples` caps train, test and retrieval pairs. `table`
    (a proctor.data.fields.TableColumns, e.g. the demo config) maps a user table's columns: text / label / split
    for a probe's data set, question / passage for a retrieval table."""
    kind, _, target = spec.partition(":")
    if not target:
        raise ConfigError(f"evaluation {spec!r}: expected 'probe:DATA' or 'retrieval:DATA'")
    if kind == "probe":
        return ProbeEvaluation(target, max_train=examples, max_test=examples, max_length=max_length, seed=seed,
                               data_options=table.options_for(target) if table is not None else {})
    if kind == "retrieval":
        cols = {} if table is None or target.lower() == "boolq" else {
            k: v for k, v in (("query_col", table.question_column), ("doc_col", table.passage_column)) if v}
        return RetrievalEvaluation(target, n=examples, max_length=max_length, seed=seed, **cols)
    raise ConfigError(f"evaluation {spec!r}: unknown kind {kind!r}; expected 'probe' or 'retrieval'")
