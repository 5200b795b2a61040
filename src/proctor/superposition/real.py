"""Superposition in real representations: MiniLM activations and sparse-autoencoder dictionaries.

A *dictionary* is a decoder matrix (latents x d_model, row k = latent k's direction) and an `encode` function from
activations (samples x d_model) to latent scores (samples x latents). Three measurements (Section 18.7.3's warning
that suppressing one feature can disturb another that shares its neurons):

1. decoder interference: for each latent, its largest |cosine| with any other latent, against random directions of
   the same shape and the Welch bound sqrt((N - d) / (d (N - 1))), the least any N directions in d dims can achieve;
2. feature dimensionality D_i = ||W_i||^2 / sum_j (W_i_hat . W_j)^2 of the decoder rows (geometry.dimensionality);
3. collateral effect of suppressing latent k, x' = x - z_k d_k: the change of every other latent's score
   (encode(x') vs encode(x)) and of a downstream logistic-regression probe's logit and accuracy. The probe's logit
   moves by exactly -z_k (d_k . w); the share of latents that move measures how far the suppression spreads.

`minilm_neurons` gives MiniLM's own dictionary: the write directions of one block's feed-forward neurons (the
columns of its output projection, 1,536 directions in 384 dims), scored by projection onto the unit directions (so
suppressing one is a directional ablation). `sae_dictionary` adapts an SAE saved by `proctor.sae`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from proctor.errors import ConfigError, ModelError
from proctor.stats import bootstrap_mean

from .geometry import dimensionality, max_abs_cosine, unit_directions


@dataclass
class Dictionary:
    """Latent directions and how activations are scored on them."""

    name: str
    decoder: np.ndarray
    """(latents, d_model): row k is latent k's direction in activation space."""
    encode: Callable[[np.ndarray], np.ndarray]
    """activations (samples, d_model) -> latent scores (samples, latents)."""
    layer: int | None = None
    """Hidden-state layer of the activations the dictionary reads (None = last)."""

    def __post_init__(self):
        self.decoder = np.asarray(self.decoder, dtype=np.float64)
        if self.decoder.ndim != 2 or min(self.decoder.shape) < 1:
            raise ModelError(f"dictionary {self.name!r}: decoder must be a (latents x d_model) matrix, "
                             f"got shape {self.decoder.shape}")


def projection_dictionary(name: str, directions, layer: int | None = None) -> Dictionary:
    """Scores = projections onto the unit directions; suppressing latent k is then a directional ablation."""
    U = unit_directions(directions)
    return Dictionary(name, U, lambda X: np.asarray(X, dtype=np.float64) @ U.T, layer)


def welch_bound(n: int, d: int) -> float:
    """The smallest possible maximum |cosine| among n unit vectors in d dimensions (0 when n <= d)."""
    return 0.0 if n <= d else math.sqrt((n - d) / (d * (n - 1)))


def decoder_interference(decoder, *, seed: int = 0, quantiles: Sequence[float] = (0.5, 0.9, 0.99)) -> dict:
    """Distribution of each latent's maximum |cosine| with another latent, with a random-direction baseline."""
    D = np.asarray(decoder, dtype=np.float64)
    n, d = D.shape
    R = np.random.default_rng(seed).standard_normal((n, d))
    mc = max_abs_cosine(D) if n > 1 else np.zeros(1)
    rand = max_abs_cosine(R) if n > 1 else np.zeros(1)
    dims = dimensionality(D)
    return {
        "latents": n, "d_model": d, "latents_per_dim": n / d,
        "max_cos_mean": float(mc.mean()),
        "max_cos_quantiles": {str(q): float(np.quantile(mc, q)) for q in quantiles},
        "share_max_cos_above_0.5": float(np.mean(mc > 0.5)),
        "random_max_cos_mean": float(rand.mean()),
        "random_max_cos_quantiles": {str(q): float(np.quantile(rand, q)) for q in quantiles},
        "welch_bound": welch_bound(n, d),
        "dimensionality_mean": float(dims.mean()),
        "dimensionality_median": float(np.median(dims)),
        "random_dimensionality_median": float(np.median(dimensionality(unit_directions(R)))),
        "dims_per_feature": d / float(np.sum(D * D)) if np.sum(D * D) > 0 else None,
        "max_cos": mc.tolist(),
        "random_max_cos": rand.tolist(),
    }


def suppress(X: np.ndarray, Z: np.ndarray, decoder: np.ndarray, k: int) -> np.ndarray:
    """x' = x - z_k d_k: remove latent k's contribution from every activation."""
    return X - np.outer(Z[:, k], decoder[k])


def pool_rows(X: np.ndarray, owner: np.ndarray | None, n_texts: int | None = None) -> np.ndarray:
    """Mean of the rows (tokens) of each text; rows are the samples themselves when `owner` is None."""
    if owner is None:
        return X
    n = int(owner.max()) + 1 if n_texts is None else n_texts
    sums = np.zeros((n, X.shape[1]))
    np.add.at(sums, owner, X)
    counts = np.bincount(owner, minlength=n).astype(np.float64)
    return sums / np.maximum(counts, 1)[:, None]


def collateral(dictionary: Dictionary, X, latents: Sequence[int], *, owner=None, probe=None, y=None,
               rel_threshold: float = 0.1) -> dict:
    """Suppress each latent in `latents` in turn; measure the other latents' scores and the probe.

    `X` holds activation rows (tokens, or one row per text); `owner[r]` is the text of row r (None: one row per
    text). For latent k, over the rows where it is active (z_k != 0): `moved_per_row` = mean number of other latents
    whose score on that row changes by more than `rel_threshold` x its size there (switching on or off counts),
    `moved_share` = that over the number of other latents; `collateral_ratio` = sum_j |dz_j| / |dz_k|
    (score mass moved elsewhere per unit removed from the target). The probe (a fitted scikit-learn linear
    classifier with `coef_`, `intercept_`, scored on each text's mean row, labels `y`) gives the mean |logit change|
    over the texts containing an active row, and the accuracy change and flip rate over all texts.
    """
    X = np.asarray(X, dtype=np.float64)
    owner = None if owner is None else np.asarray(owner, dtype=np.int64)
    Z = np.asarray(dictionary.encode(X), dtype=np.float64)
    n_texts = None if owner is None else (len(y) if y is not None else int(owner.max()) + 1)
    P = pool_rows(X, owner, n_texts)
    base_pred = probe.predict(P) if probe is not None else None
    base_acc = float(np.mean(base_pred == y)) if probe is not None and y is not None else None
    rows = []
    for k in latents:
        active = Z[:, k] != 0
        if not active.any():
            continue
        Xs = suppress(X, Z, dictionary.decoder, k)
        dZ = np.abs(np.asarray(dictionary.encode(Xs), dtype=np.float64) - Z)[active]
        own = float(dZ[:, k].mean())
        # per row: the other latents whose score moved by more than rel_threshold of its own size there (a latent
        # that was silent and switches on counts; so does one switched off)
        moved = (dZ > rel_threshold * np.abs(Z[active])) & (dZ > 1e-9)
        moved[:, k] = False
        per_row = moved.sum(axis=1)
        others = np.delete(dZ.mean(axis=0), k)
        row = {"latent": int(k), "active_share": float(active.mean()), "own_drop": own,
               "moved_per_row": float(per_row.mean()), "moved_share": float(per_row.mean() / max(Z.shape[1] - 1, 1)),
               "collateral_ratio": float(others.sum() / own) if own > 0 else None}
        if probe is not None:
            Ps = pool_rows(Xs, owner, n_texts)
            w = np.asarray(probe.coef_, dtype=np.float64).ravel()
            touched = np.zeros(len(P), dtype=bool)
            touched[owner[active] if owner is not None else np.flatnonzero(active)] = True
            row["probe_mean_abs_dlogit"] = float(np.abs((Ps - P) @ w)[touched].mean())
            row["probe_flipped"] = float(np.mean(probe.predict(Ps) != base_pred))
            if y is not None:
                row["probe_acc_change"] = float(np.mean(probe.predict(Ps) == y)) - base_acc
        rows.append(row)
    summary = {}
    for key in ("moved_per_row", "moved_share", "collateral_ratio", "probe_mean_abs_dlogit", "probe_acc_change",
                "probe_flipped"):
        vals = [r[key] for r in rows if r.get(key) is not None]
        if vals:
            summary[key] = float(np.mean(vals))
            ci = bootstrap_mean(vals, n_boot=2000, seed=0)  # over the suppressed latents
            summary[key + "_ci"] = [ci.lo, ci.hi]
    if probe is not None:
        summary["probe_logit_scale"] = float(np.abs(probe.decision_function(P)).mean())
    return {"latents": rows, "summary": summary, "probe_accuracy": base_acc}


# -- sources ----------------------------------------------------------------------------------------------------------
def minilm_neurons(block: int = 6, model: str = "minilm") -> Dictionary:
    """The write directions of block `block`'s feed-forward neurons (columns of its output projection), as a
    dictionary over the residual stream after that block (site resid.<block>; blocks count from 1, like proctor.sae).

    MiniLM is a post-LayerNorm BERT: the neurons write before the block's closing LayerNorm, so these are the
    directions as written, not as they appear after normalisation."""
    from proctor.models.backbone import load_backbone

    _, net, _ = load_backbone(model)
    blocks = _blocks(net, model)
    if not 1 <= block <= len(blocks):
        raise ConfigError(f"block must be between 1 and {len(blocks)}, got {block}")
    try:
        w = blocks[block - 1].output.dense.weight.detach().cpu().numpy()  # (d_model, d_ff)
    except AttributeError:
        raise ModelError(f"model {model!r}: block {block} has no BERT-style output.dense feed-forward layer") from None
    return projection_dictionary(f"{model} block {block} FFN neurons ({w.shape[1]})", w.T, layer=block)


def _blocks(net, model: str):
    for path in ("encoder.layer", "bert.encoder.layer"):
        obj = net
        try:
            for part in path.split("."):
                obj = getattr(obj, part)
            return list(obj)
        except AttributeError:
            continue
    raise ModelError(f"model {model!r}: cannot find its transformer blocks (expected BERT-style encoder.layer)")


def sae_dictionary(path) -> Dictionary:
    """An SAE saved by `proctor.sae` (`sae.safetensors` + `config.json`, or a sparsify folder): its decoder rows
    `W_dec` and its own encoder (TopK / BatchTopK / ReLU), at the site recorded in its config."""
    try:
        from proctor.sae.checkpoint import load_sae
    except ImportError:
        raise ConfigError("SAE dictionaries need the proctor.sae package, which is not installed") from None
    import torch

    sae = load_sae(path)
    site = getattr(sae.cfg, "site", "") or ""

    def encode(X):
        with torch.no_grad():
            return sae.encode(torch.as_tensor(np.asarray(X), dtype=sae.W_dec.dtype)).double().numpy()

    return Dictionary(f"SAE {path} ({sae.num_latents} latents, {site or 'site not recorded'})",
                      sae.W_dec.detach().double().numpy(), encode, site_block(site) if site else None)


def site_block(site: str) -> int:
    """The block number of a `proctor.sae` site string ("resid.3" -> 3)."""
    kind, _, block = str(site).partition(".")
    if kind not in ("resid", "mlp") or not block.isdigit():
        raise ConfigError(f"site {site!r}: expected resid.N or mlp.N")
    return int(block)


def sst2_activations(layer: int | None = None, n_train: int = 2000, n_test: int = 400, seed: int = 0,
                     model: str = "minilm", max_length: int = 64):
    """Token activations of SST-2 sentences (PROCTOR_DATA) in the residual stream after block `layer`.

    Returns (X_train_pooled, y_train, X_test_tokens, owner_test, y_test): the probe trains on each train sentence's
    mean token row; the test sentences keep their token rows (what an SAE reads) with `owner` mapping row -> text.
    Special tokens are dropped (proctor.sae.capture's convention)."""
    from proctor.data.named import load_dataset

    ds = load_dataset("sst2", split_seed=seed, max_train=n_train, max_test=n_test)
    try:
        from proctor.sae.capture import ActivationCapture
    except ImportError:
        raise ConfigError("token activations need proctor.sae.capture, which is not installed") from None
    site = f"resid.{6 if layer is None else layer}"
    cap = ActivationCapture(model, (site,), max_length=max_length)
    Xtr, otr = cap.tokens(ds.train.texts, progress=False)
    Xte, ote = cap.tokens(ds.test.texts, progress=False)
    return (pool_rows(Xtr.astype(np.float64), otr, len(ds.train)), np.asarray(ds.train.labels),
            Xte.astype(np.float64), ote, np.asarray(ds.test.labels))


def fit_probe(X, y, seed: int = 0):
    """The downstream probe: scikit-learn logistic regression."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=3000, C=1.0, random_state=seed).fit(X, y)


def pick_latents(dictionary: Dictionary, X, count: int, seed: int = 0) -> list[int]:
    """`count` latents to suppress: the most often active ones (dense scores, e.g. projections: a seeded sample)."""
    Z = np.asarray(dictionary.encode(np.asarray(X, dtype=np.float64)))
    freq = (Z != 0).mean(axis=0)
    order = np.random.default_rng(seed).permutation(Z.shape[1])
    if np.all(freq > 0.999):
        return sorted(order[:count].tolist())
    return sorted(order[np.argsort(-freq[order], kind="stable")[:count]].tolist())


def real_interference(dictionary: Dictionary, *, suppress_count: int = 32, n_train: int = 2000, n_test: int = 400,
                      seed: int = 0, activations=None) -> dict:
    """The three measurements for one dictionary on SST-2 activations at the dictionary's layer."""
    Ptr, ytr, Xte, owner, yte = (activations if activations is not None
                                 else sst2_activations(dictionary.layer, n_train, n_test, seed))
    probe = fit_probe(Ptr, ytr, seed)
    latents = pick_latents(dictionary, Xte, suppress_count, seed)
    geo = decoder_interference(dictionary.decoder, seed=seed)
    col = collateral(dictionary, Xte, latents, owner=owner, probe=probe, y=yte)
    return {"dictionary": dictionary.name, "layer": dictionary.layer, "n_train": int(len(ytr)),
            "n_test": int(len(yte)), "token_rows": int(len(Xte)), "suppressed": len(col["latents"]), "seed": seed,
            "geometry": geo, "collateral": col}
