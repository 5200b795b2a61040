"""Process and outcome reward models as heads on a text encoder (Lightman et al. 2023, Sec. 2.4-2.5).

Both verifiers see the same solutions through the same features and the same head; only the supervision differs:
- `ProcessRewardModel` (PRM) is trained at every step end on the step's process label and scores each step with
  P(good | problem, steps so far);
- `OutcomeRewardModel` (ORM) is trained at the solution's end on whether the final answer is right (outcome labels,
  so a right answer reached through wrong steps is a positive), and scores the solution with P(right).

Where "the step end" is. For a causal LM the hidden state at the step's last token summarises exactly the prefix up to
it, and one forward pass gives all steps. MiniLM (the default) is a bidirectional encoder: its state at a step's last
token has also attended to every later step, the final answer included, so it would leak the outcome into early step
scores. We therefore represent step i by the pooled prefix up to step i: the mean of the embeddings of steps 0..i
(each step embedded alone, so every distinct step is embedded once and cached), concatenated with the embeddings of
step i-1 (the problem, for the first step) and of step i, which keep the current step from being averaged away in a
long prefix. The problem itself is left out of the pooled prefix: with it, a small head memorised the training
problems (generated chains, seed 0: train step accuracy 97%, held-out step AUROC 0.85, against 0.94 for the current
step alone). Frozen features train a small MLP head (`head="mlp"`, or `"linear"`), through the shared probes and
training loop (`proctor.models`). The ORM sees the same features at the last step, i.e. the pooled whole solution
and its last two steps.

`head="finetune"` fine-tunes the whole encoder instead (`proctor.models.finetune.FineTunedClassifier`) on the text
"step i / step i-1 / problem + earlier steps", in that order so truncation drops the oldest context first.
Any Hugging Face encoder or decoder works as backbone ("minilm", a local folder, or a Hub id).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import DataError
from .aggregate import aggregate_many
from .steps import Solution


class StepFeaturizer:
    """Frozen features of every step end: [mean(steps 0..i), step i-1 (the problem for i=0), step i] (3 x width)."""

    def __init__(self, model: str = "minilm", layers: int | None = None, max_length: int = 128, cache="default"):
        from ..models.encoder import Encoder

        self.encoder = Encoder(model, layers=layers, max_length=max_length, cache=cache)
        self._last: tuple | None = None  # (the solutions object, its features): PRM and ORM score the same pool

    def embed_segments(self, solutions: Sequence[Solution], progress: bool = True) -> dict[str, np.ndarray]:
        texts = list(dict.fromkeys(t for s in solutions for t in [s.prompt, *s.steps]))
        vecs = self.encoder.embed(texts, progress=progress)
        return dict(zip(texts, vecs))

    def features(self, solutions: Sequence[Solution], progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(X (total steps, 3d), owner (total steps,) = index of the solution each row belongs to)."""
        if self._last is not None and self._last[0] is solutions and self._last[1] == len(solutions):
            return self._last[2]
        table = self.embed_segments(solutions, progress)
        rows, owner = [], []
        for j, s in enumerate(solutions):
            if not s.steps:
                raise DataError(f"solution {j} ({s.problem_id or 'no id'}) has no steps")
            seg = np.stack([table[s.prompt]] + [table[t] for t in s.steps])
            prefix = np.cumsum(seg[1:], 0) / np.arange(1, len(seg))[:, None]
            rows.append(np.concatenate([prefix, seg[:-1], seg[1:]], axis=1))
            owner.extend([j] * len(s.steps))
        out = np.concatenate(rows).astype(np.float32), np.asarray(owner)
        self._last = (solutions, len(solutions), out)
        return out


def step_texts(s: Solution) -> list[str]:
    """Texts for the fine-tuned verifier: current step first, so truncation drops the oldest context."""
    return [f"{st} || {s.steps[i - 1] if i else ''} || {s.prompt} {' '.join(s.steps[:max(0, i - 1)])}"
            for i, st in enumerate(s.steps)]


def _make_head(head: str, *, epochs: float | None, lr: float | None, hidden: int, seed: int, model: str,
               max_length: int):
    from ..models.heads import LinearProbe, MLPProbe

    if head == "mlp":
        return MLPProbe(hidden=hidden, epochs=epochs or 30, lr=lr or 1e-3, batch_size=64, random_state=seed)
    if head == "linear":
        return LinearProbe(epochs=epochs or 30, lr=lr or 1e-3, batch_size=64, random_state=seed)
    if head == "finetune":
        from ..models.finetune import FineTunedClassifier

        return FineTunedClassifier(model, epochs=epochs or 2, lr=lr or 5e-5, max_length=max_length,
                                   random_state=seed)
    raise ValueError(f"unknown head {head!r}; expected mlp, linear or finetune")


class _Verifier:
    def __init__(self, model: str = "minilm", head: str = "mlp", layers: int | None = None, *,
                 epochs: float | None = None, lr: float | None = None, hidden: int = 256, max_length: int = 128,
                 random_state: int = 0, featurizer: StepFeaturizer | None = None):
        self.model = model
        self.head = head
        self.layers = layers
        self.epochs = epochs
        self.lr = lr
        self.hidden = hidden
        self.max_length = max_length
        self.random_state = random_state
        self.featurizer = featurizer

    def _feat(self) -> StepFeaturizer:
        if self.featurizer is None:
            self.featurizer = StepFeaturizer(self.model, self.layers, self.max_length)
        return self.featurizer

    def _inputs(self, solutions: Sequence[Solution], last_only: bool):
        """(inputs for the head, owner index per row)."""
        if self.head == "finetune":
            texts, owner = [], []
            for j, s in enumerate(solutions):
                t = step_texts(s)
                texts.extend(t[-1:] if last_only else t)
                owner.extend([j] * (1 if last_only else len(t)))
            return texts, np.asarray(owner)
        X, owner = self._feat().features(solutions)
        if last_only:
            last = np.r_[np.flatnonzero(np.diff(owner)), len(owner) - 1]
            return X[last], owner[last]
        return X, owner

    def _fit(self, X, y):
        if len(set(np.asarray(y).tolist())) < 2:
            raise DataError(f"{type(self).__name__}: the training labels are all {bool(y[0])}; need both kinds")
        self.head_ = _make_head(self.head, epochs=self.epochs, lr=self.lr, hidden=self.hidden, seed=self.random_state,
                                model=self.model, max_length=self.max_length)
        self.head_.fit(X, np.asarray(y, dtype=np.int64))  # probes pin themselves to one thread
        return self

    def _proba(self, X) -> np.ndarray:
        return self.head_.predict_proba(X)[:, 1].astype(np.float64)

    def save(self, path: str | Path) -> Path:
        """The head's weights as safetensors (the encoder is named by `model`; fine-tuned ones are saved whole)."""
        from safetensors.torch import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.head == "finetune":
            return self.head_.save(path)
        import torch

        tensors = {f"head.{k}": v.detach().cpu().contiguous() for k, v in self.head_.module_.state_dict().items()}
        tensors["mean"] = torch.from_numpy(self.head_.mean_)
        tensors["scale"] = torch.from_numpy(self.head_.scale_)
        save_file(tensors, str(path), metadata={"kind": type(self).__name__, "model": self.model, "head": self.head,
                                                "hidden": str(self.hidden), "layers": str(self.layers)})
        return path


class ProcessRewardModel(_Verifier):
    """PRM: P(step good | problem, steps so far) at every step end; `score(..., how)` aggregates (min/product/last).

    Training stops each solution at its first wrong step, as PRM800K's labellers did (phase 2 ends a solution at
    "found_error"): a step after an error may be locally flawless, and whether it is "good" is a fact about the prefix,
    which `min` / `product` already account for at scoring time.
    """

    def fit(self, solutions: Sequence[Solution]):
        y, cut = [], []
        for j, s in enumerate(solutions):
            if s.labels is None:
                raise DataError(f"PRM training solution {j} ({s.problem_id or 'no id'}): missing column 'labels'")
            k = s.first_error + 1 if s.first_error >= 0 else len(s.steps)
            cut.append(Solution(s.prompt, s.steps[:k], s.labels[:k], s.answer, s.correct, s.problem_id, s.kind))
            y.extend(int(x) for x in s.labels[:k])
        X, _ = self._inputs(cut, last_only=False)
        return self._fit(X, y)

    def step_scores(self, solutions: Sequence[Solution]) -> list[np.ndarray]:
        X, owner = self._inputs(solutions, last_only=False)
        p = self._proba(X)
        return np.split(p, np.cumsum([len(s.steps) for s in solutions])[:-1])

    def score(self, solutions: Sequence[Solution], how: str = "min") -> np.ndarray:
        return aggregate_many(self.step_scores(solutions), how)


class OutcomeRewardModel(_Verifier):
    """ORM: P(final answer right | problem, whole solution), trained on outcome labels only."""

    def fit(self, solutions: Sequence[Solution]):
        # rows without an outcome (PRM800K trajectories cut at a wrong step) train the PRM only
        solutions = [s for s in solutions if s.correct is not None]
        if not solutions:
            raise DataError("ORM training data: missing column 'correct' (no solution has an outcome label)")
        y = [int(s.correct) for s in solutions]
        X, _ = self._inputs(solutions, last_only=True)
        return self._fit(X, y)

    def score(self, solutions: Sequence[Solution]) -> np.ndarray:
        X, _ = self._inputs(solutions, last_only=True)
        return self._proba(X)
