"""Weak / strong models of the w2s protocol: estimator contract, soft labels, fine-tuning, protocol units, chains."""

import numpy as np
import pytest
from sklearn.base import clone

from proctor.models.heads import LinearProbe, MLPProbe, TfidfLogReg
from proctor.runs.store import RunStore
from proctor.w2s.experiment import W2SExperiment, halves
from proctor.w2s.spec import ModelSpec, W2SSpec


def blobs(n=400, d=8, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, d)) + 3.0 * y[:, None] * np.eye(d)[0]  # Bayes accuracy 93%
    return X.astype(np.float32), y


@pytest.mark.parametrize("cls", [LinearProbe, MLPProbe])
def test_probe_contract_and_learning(cls):
    X, y = blobs()
    est = cls(epochs=50, random_state=3)
    assert est.fit(X[:300], y[:300]) is est
    assert est.predict_proba(X[300:]).shape == (100, 2)
    assert np.allclose(est.predict_proba(X[300:]).sum(1), 1, atol=1e-5)
    assert (est.predict(X[300:]) == y[300:]).mean() > 0.8
    c = clone(est)
    assert c.get_params() == est.get_params() and not hasattr(c, "module_")
    # same seed, same result
    again = cls(epochs=50, random_state=3).fit(X[:300], y[:300])
    assert np.allclose(again.predict_proba(X[300:]), est.predict_proba(X[300:]))


def test_probe_trains_on_soft_labels_with_aux_loss():
    X, y = blobs()
    soft = np.stack([1 - (0.2 + 0.6 * y), 0.2 + 0.6 * y], 1)  # 80/20 confident soft labels
    # a fast learner: the aux loss trusts its own hardened predictions after warm-up, so they must be good by then
    est = LinearProbe(loss="aux", epochs=30, lr=1e-2).fit(X, soft)
    assert (est.predict(X) == y).mean() > 0.8
    assert len(est.loss_curve_) == 30 * int(np.ceil(400 / 32))


def test_tfidf_soft_labels_match_weighted_duplicates():
    texts = ["good fun film", "bad dull film", "great acting", "awful plot", "fine movie", "boring mess"] * 5
    y = np.array([1, 0, 1, 0, 1, 0] * 5)
    hard = TfidfLogReg(min_df=1).fit(texts, y)
    onehot = np.eye(2)[y]
    soft = TfidfLogReg(min_df=1).fit(texts, onehot)
    assert np.allclose(hard.predict_proba(texts), soft.predict_proba(texts), atol=1e-6)
    assert (hard.predict(texts) == y).all()


@pytest.mark.slow
def test_finetune_one_block_learns_and_saves(tmp_path):
    from safetensors.torch import load_file

    from proctor.models.finetune import FineTunedClassifier

    pos = ["a wonderful, moving film", "great fun and brilliant acting", "a delight from start to end",
           "superb and touching", "i loved every minute"]
    neg = ["a dull, tedious mess", "boring and badly acted", "an awful waste of time", "tiresome and flat",
           "i hated every minute"]
    texts, y = (pos + neg) * 4, np.array([1] * 5 + [0] * 5) * 1
    y = np.tile(np.array([1] * 5 + [0] * 5), 4)
    clf = FineTunedClassifier("minilm", layers=1, epochs=4, batch_size=8, lr=1e-4, max_length=32)
    clf.fit(texts, y)
    assert clf.predict_proba(texts[:10]).shape == (10, 2)
    assert (clf.predict(texts) == y).mean() >= 0.9
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    path = clf.save(tmp_path / "student.safetensors")
    weights = load_file(str(path))
    assert "classifier.weight" in weights and any(k.startswith("backbone.") for k in weights)


def test_halves_are_stratified_and_seeded():
    y = np.array([0] * 60 + [1] * 40)
    a, b = halves(y, 0)
    assert len(a) == len(b) == 50 and not set(a) & set(b)
    assert y[a].mean() == pytest.approx(0.4) and y[b].mean() == pytest.approx(0.4)
    assert not np.array_equal(halves(y, 1)[0], a) and np.array_equal(halves(y, 0)[0], a)


def test_model_strings():
    assert ModelSpec.model_validate("probe:minilm@1").layers == 1
    assert ModelSpec.model_validate("finetune:/some/folder@3").model == "/some/folder"
    assert ModelSpec.model_validate("tfidf").label == "tfidf"
    with pytest.raises(ValueError):
        ModelSpec.model_validate("finetune:minilm@x")


def test_protocol_units_and_chain(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path / "cache"))
    spec = W2SSpec(dataset="sst2", weak=["tfidf"], chain=["probe:minilm@2"], strong="probe:minilm",
                   loss=["xent", "aux"], seeds=2, max_train=300, max_test=150)
    exp = W2SExperiment(spec)
    seen = []
    with RunStore(tmp_path / "run") as store:
        exp.run(store, lambda label, unit, computed: seen.append((label, computed)))
        kinds = sorted(u.kind for u in store.units())
        assert kinds == sorted(["weak"] * 2 + ["ceiling"] * 2 + ["student"] * 4 + ["chain"] * 2)
        assert [label for label, _ in seen] == [label for label, _ in exp.planned()]
        chain = next(u for u in store.units(kind="chain"))
        assert len(chain.result["step_acc"]) == 3 and len(chain.result["part_size"]) == 2
        assert chain.result["labels"] == ["tfidf", "probe:minilm@2", "probe:minilm"]
        from proctor.w2s.summary import headline, summarize

        summary = summarize(store, spec)
        assert summary["complete"] and len(summary["rows"]) == 2 and len(summary["chain"]) == 2
        head = headline(summary)
        assert head["primary"] == {"weak_model": "tfidf", "loss": "xent"}
        assert 0.5 < head["weak"] < 1
        # a second run computes nothing
        seen.clear()
        exp.run(store, lambda label, unit, computed: seen.append(computed))
        assert not any(seen)
