"""The weak-to-strong experiment (Burns et al. 2023, Sec. 3), as resumable units in a run store.

For every seed the training split is cut in two halves at random:
  1. weak      - each weak model is trained on half A with ground truth; its soft labels on half B are kept.
  2. ceiling   - the strong model is trained on half B with ground truth.
  3. student   - the strong model is trained on half B on a weak model's soft labels, with each loss.
All are scored on the same fixed test split. A bootstrapping chain (weak -> intermediate -> ... -> strong) splits
half B into one part per step, so that every supervisor labels data it was not trained on.

Each of these is one unit keyed by its config: a rerun skips finished units, a killed run resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..runs.store import RunStore, Unit
from .spec import ModelSpec, W2SSpec

log = logging.getLogger(__name__)

TEXT_KINDS = ("tfidf", "finetune")


@dataclass
class Fitted:
    """What a trained model leaves behind: class probabilities on the data it must label."""

    proba: dict[str, np.ndarray]


class FeatureBank:
    """Frozen representations for probe/mlp models, one Encoder per (model, pooling, max_length).

    `prefetch` embeds every text once for all layers the experiment's probes need (one forward pass gives them all)
    and keeps the arrays in memory, so weak and strong probes on the same backbone cost a single pass and every
    later unit is a lookup; the on-disk embedding cache makes reruns free.
    """

    def __init__(self):
        self._encoders: dict[tuple, object] = {}
        self._memo: dict[tuple, tuple[dict[str, int], np.ndarray]] = {}

    @staticmethod
    def _key(spec: ModelSpec) -> tuple:
        return (spec.model, spec.pooling, spec.max_length)

    def encoder(self, spec: ModelSpec):
        from ..models import Encoder

        key = self._key(spec)
        if key not in self._encoders:
            self._encoders[key] = Encoder(spec.model, pooling=spec.pooling, max_length=spec.max_length)
        return self._encoders[key]

    def _layer(self, spec: ModelSpec) -> int:
        # hidden_states index k == output of the first k blocks; None = the last block
        return spec.layers if spec.layers is not None else self.encoder(spec).num_layers

    def prefetch(self, specs: list[ModelSpec], texts: list[str]) -> None:
        groups: dict[tuple, list[ModelSpec]] = {}
        for s in specs:
            if s.kind in ("probe", "mlp"):
                groups.setdefault(self._key(s), []).append(s)
        index = {t: i for i, t in enumerate(texts)}
        for key, group in groups.items():
            layers = sorted({self._layer(s) for s in group})
            for layer, arr in self.encoder(group[0]).embed_layers(texts, layers).items():
                self._memo[key + (layer,)] = (index, arr)

    def features(self, spec: ModelSpec, texts: list[str]) -> np.ndarray:
        memo = self._memo.get(self._key(spec) + (self._layer(spec),))
        if memo is not None:
            index, arr = memo
            rows = [index.get(t) for t in texts]
            if all(r is not None for r in rows):
                return arr[rows]
        return self.encoder(spec).embed(texts, layer=self._layer(spec), progress=False)


def make_estimator(spec: ModelSpec, *, loss: str = "xent", seed: int = 0, a_max: float = 0.75,
                   warmup_frac: float = 0.2, progress: str | None = None):
    from ..models.finetune import FineTunedClassifier
    from ..models.heads import LinearProbe, MLPProbe, TfidfLogReg

    if spec.kind == "tfidf":
        if loss != "xent":
            # TF-IDF + logistic regression has no minibatch training; it serves as a weak supervisor.
            raise ValueError("the tfidf model trains with cross-entropy only; use it as the weak model")
        return TfidfLogReg(random_state=seed)
    common = dict(loss=loss, a_max=a_max, warmup_frac=warmup_frac, random_state=seed, batch_size=spec.batch_size)
    if spec.kind in ("probe", "mlp"):
        cls = LinearProbe if spec.kind == "probe" else MLPProbe
        return cls(epochs=spec.epochs or 10, lr=spec.lr or 1e-3, **common)
    return FineTunedClassifier(spec.model, layers=spec.layers, pooling=spec.pooling, max_length=spec.max_length,
                               epochs=spec.epochs or 2.0, lr=spec.lr or 5e-5, progress=progress, **common)


def fit_and_label(spec: ModelSpec, bank: FeatureBank, train_texts: list[str], targets: np.ndarray,
                  label_sets: dict[str, list[str]], **kw) -> dict[str, np.ndarray]:
    """Train `spec` on (texts, targets) and return its class probabilities on each named text list."""
    est = make_estimator(spec, **kw)
    if spec.kind in TEXT_KINDS:
        est.fit(train_texts, targets)
        return {k: np.asarray(est.predict_proba(v), dtype=np.float32) for k, v in label_sets.items()}
    est.fit(bank.features(spec, train_texts), targets)
    return {k: np.asarray(est.predict_proba(bank.features(spec, v)), dtype=np.float32)
            for k, v in label_sets.items()}


def halves(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A stratified random 50/50 split of training indices (half A, half B) for one seed."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(labels.shape[0])
    a, b = train_test_split(idx, test_size=0.5, random_state=seed, stratify=labels)
    return np.sort(a), np.sort(b)


def _acc(proba: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(proba.argmax(axis=1) == y))


class UnitKeys:
    """The config of every unit of a W2S spec on one data set (its hash is the unit's key in the store)."""

    def __init__(self, spec: W2SSpec, data_id: str):
        self.spec, self.data_id = spec, data_id

    # -- unit configs --------------------------------------------------------------------------------------------
    def _base(self, role: str, seed: int) -> dict:
        return {"technique": "w2s", "role": role, "data": self.data_id, "seed": seed}

    def weak_config(self, weak: ModelSpec, seed: int) -> dict:
        return self._base("weak", seed) | {"model": weak.model_dump(mode="json")}

    def ceiling_config(self, seed: int) -> dict:
        return self._base("ceiling", seed) | {"model": self.spec.strong.model_dump(mode="json")}

    def student_config(self, weak: ModelSpec, loss: str, seed: int) -> dict:
        cfg = self._base("student", seed) | {"weak": weak.model_dump(mode="json"),
                                              "model": self.spec.strong.model_dump(mode="json"), "loss": loss}
        if loss == "aux":
            cfg |= {"a_max": self.spec.a_max, "warmup_frac": self.spec.warmup_frac}
        return cfg

    def chain_models(self) -> list[ModelSpec]:
        return [self.spec.weak[0], *self.spec.chain, self.spec.strong]

    def chain_loss(self) -> str:
        return "aux" if "aux" in self.spec.loss else self.spec.loss[0]

    def chain_config(self, seed: int) -> dict:
        return self._base("chain", seed) | {"models": [m.model_dump(mode="json") for m in self.chain_models()],
                                            "loss": self.chain_loss(), "a_max": self.spec.a_max,
                                            "warmup_frac": self.spec.warmup_frac}


class W2SExperiment:
    """One W2S spec bound to its data and a run store."""

    def __init__(self, spec: W2SSpec):
        """Loads and checks the data (a bad data set fails here, before anything is written)."""
        from ..data import load_dataset

        self.spec = spec
        self.store: RunStore | None = None
        self.on_unit: Callable[[str, Unit, bool], None] = lambda label, unit, computed: None
        self.splits = load_dataset(spec.dataset, split_seed=spec.split_seed, test_fraction=spec.test_fraction,
                                   max_train=spec.max_train, max_test=spec.max_test, **spec.data_options())
        self.train, self.test = self.splits.train, self.splits.test
        self.data_id = f"{self.train.fingerprint()}-{self.test.fingerprint()}"
        self.bank = FeatureBank()
        self._prefetched = False
        self.keys = UnitKeys(spec, self.data_id)

    def planned(self) -> list[tuple[str, dict]]:
        """Every unit of the experiment, in run order, as (label, config)."""
        out = []
        for seed in range(self.spec.seeds):
            for w in self.spec.weak:
                out.append((f"weak {w.label} seed {seed}", self.keys.weak_config(w, seed)))
            out.append((f"ceiling {self.spec.strong.label} seed {seed}", self.keys.ceiling_config(seed)))
            for w in self.spec.weak:
                for loss in self.spec.loss:
                    out.append((f"student {w.label}->{self.spec.strong.label} {loss} seed {seed}",
                                self.keys.student_config(w, loss, seed)))
            if self.spec.chain:
                out.append((f"chain seed {seed}", self.keys.chain_config(seed)))
        return out

    # -- running -------------------------------------------------------------------------------------------------
    def _prefetch(self) -> None:
        if not self._prefetched:
            specs = list(self.spec.weak) + [self.spec.strong] + list(self.spec.chain)
            self.bank.prefetch(specs, self.train.texts + self.test.texts)
            self._prefetched = True

    def _unit(self, label: str, config: dict, compute: Callable[[], tuple[dict, dict]]) -> Unit:
        def wrapped():
            self._prefetch()
            return compute()

        unit, computed = self.store.get_or_compute(self.spec.title, config["role"], config, wrapped)
        self.on_unit(label, unit, computed)
        return unit

    def run(self, store: RunStore, on_unit: Callable[[str, Unit, bool], None] | None = None) -> None:
        self.store = store
        if on_unit is not None:
            self.on_unit = on_unit
        for seed in range(self.spec.seeds):
            self.run_seed(seed)

    def run_seed(self, seed: int) -> None:
        sp = self.spec
        a, b = halves(self.train.labels, seed)
        texts = self.train.texts
        tr_a, tr_b = [texts[i] for i in a], [texts[i] for i in b]
        y_a, y_b, y_test = self.train.labels[a], self.train.labels[b], self.test.labels
        k = self.train.n_classes
        weak_labels: dict[ModelSpec, np.ndarray] = {}
        for w in sp.weak:
            def weak_unit(w=w):
                p = fit_and_label(w, self.bank, tr_a, y_a, {"half_b": tr_b, "test": self.test.texts}, seed=seed)
                return ({"test_acc": _acc(p["test"], y_test), "half_b_acc": _acc(p["half_b"], y_b),
                         "n_train": len(a)}, {"half_b": p["half_b"], "test": p["test"]})
            unit = self._unit(f"weak {w.label} seed {seed}", self.keys.weak_config(w, seed), weak_unit)
            weak_labels[w] = self.store.arrays(unit.key)["half_b"]

        def ceiling_unit():
            p = fit_and_label(sp.strong, self.bank, tr_b, y_b, {"test": self.test.texts}, seed=seed,
                              progress=f"ceiling seed {seed}")
            return {"test_acc": _acc(p["test"], y_test), "n_train": len(b)}, {"test": p["test"], "y_test": y_test}

        self._unit(f"ceiling {sp.strong.label} seed {seed}", self.keys.ceiling_config(seed), ceiling_unit)

        for w in sp.weak:
            soft = weak_labels[w]
            for loss in sp.loss:
                def student_unit(soft=soft, loss=loss, w=w):
                    p = fit_and_label(sp.strong, self.bank, tr_b, soft, {"test": self.test.texts, "half_b": tr_b},
                                      loss=loss, seed=seed, a_max=sp.a_max, warmup_frac=sp.warmup_frac,
                                      progress=f"student {w.label} {loss} seed {seed}")
                    return ({"test_acc": _acc(p["test"], y_test),
                             "agree_weak_half_b": float(np.mean(p["half_b"].argmax(1) == soft.argmax(1))),
                             "n_train": len(b)}, {"test": p["test"]})
                self._unit(f"student {w.label}->{sp.strong.label} {loss} seed {seed}",
                           self.keys.student_config(w, loss, seed), student_unit)
        if sp.chain:
            self._run_chain(seed, a, b, k)

    # -- bootstrapping chain -------------------------------------------------------------------------------------
    def _run_chain(self, seed: int, a: np.ndarray, b: np.ndarray, k: int) -> None:
        """weak (half A, ground truth) -> m1 (part 1 of B) -> ... -> strong (last part of B), plus the direct
        weak -> strong student on that last part, so the chain and the single jump are compared on equal data."""
        sp, texts, y_test = self.spec, self.train.texts, self.test.labels
        models = self.keys.chain_models()
        rng = np.random.default_rng(10_000 + seed)
        parts = np.array_split(rng.permutation(b), len(models) - 1)
        loss = self.keys.chain_loss()

        def compute():
            accs, agree = [], []
            tr = [texts[i] for i in a]
            targets: np.ndarray = self.train.labels[a]
            first_labels = None
            for step, m in enumerate(models):
                nxt = [texts[i] for i in parts[step]] if step < len(parts) else []
                sets = {"test": self.test.texts} | ({"next": nxt} if nxt else {})
                p = fit_and_label(m, self.bank, tr, targets, sets, loss="xent" if step == 0 else loss, seed=seed,
                                  a_max=sp.a_max, warmup_frac=sp.warmup_frac, progress=f"chain step {step} seed {seed}")
                accs.append(_acc(p["test"], y_test))
                if nxt:
                    agree.append(_acc(p["next"], self.train.labels[parts[step]]))
                    tr, targets = nxt, p["next"]
                    if step == 0:
                        first_labels = p["next"]
            # direct jump: the first weak model's labels on the *last* part, student = strong
            last = [texts[i] for i in parts[-1]]
            wk = fit_and_label(models[0], self.bank, [texts[i] for i in a], self.train.labels[a], {"last": last},
                               seed=seed)["last"] if len(parts) > 1 else first_labels
            pd = fit_and_label(sp.strong, self.bank, last, wk, {"test": self.test.texts}, loss=loss, seed=seed,
                               a_max=sp.a_max, warmup_frac=sp.warmup_frac, progress=f"chain direct seed {seed}")
            return ({"step_acc": accs, "label_acc": agree, "direct_acc": _acc(pd["test"], y_test),
                     "labels": [m.label for m in models], "part_size": [len(p) for p in parts]},
                    {"direct_test": pd["test"]})

        self._unit(f"chain seed {seed}", self.keys.chain_config(seed), compute)


# -- the technique's runner (proctor.runs.technique): the same for `proctor run` and `proctor w2s` ---------------------
def run(spec: W2SSpec, store, on_unit) -> None:
    """Every unit of the experiment not yet in the store."""
    W2SExperiment(spec).run(store, on_unit)


def run_shard(spec: W2SSpec, store, on_unit, i: int) -> None:
    """One seed: its weak models, ceiling, students and chain (seeds are independent of each other)."""
    exp = W2SExperiment(spec)
    exp.store, exp.on_unit = store, on_unit
    exp.run_seed(i)


def shards(spec: W2SSpec) -> int:
    return spec.seeds


def check(spec: W2SSpec) -> None:
    """Load and validate the data set before the run directory is touched."""
    W2SExperiment(spec)
