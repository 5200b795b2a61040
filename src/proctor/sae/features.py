"""Contrastive feature discovery: which SAE latents separate two text sets, and the texts that fire them most.

A text's latent activation is pooled over its tokens (mean by default, or max). Each latent is ranked by its AUROC
between the flagged and the reference texts (Mann-Whitney U / (n1 n0), ties counted half), with the mean difference
and Cohen's d beside it. AUROC < 0.5 means the latent fires on the reference set: |AUROC - 0.5| ranks both ways.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata


def pool_rows(rows: np.ndarray, owner: np.ndarray, n_texts: int, pooling: str = "mean") -> np.ndarray:
    """Per-text pooled [n_texts, width] from per-token rows [n_rows, width] and their text index."""
    import torch

    if pooling not in ("mean", "max"):
        raise ValueError(f"unknown pooling {pooling!r}; expected mean or max")
    x = torch.as_tensor(np.asarray(rows, np.float32))
    idx = torch.as_tensor(np.asarray(owner, np.int64))
    out = _pool_into(torch.zeros(n_texts, x.shape[1]) if pooling == "mean" else torch.full((n_texts, x.shape[1]),
                                                                                          -torch.inf),
                     x, idx, pooling)
    return _finish(out, idx, n_texts, pooling)


def _pool_into(out, x, idx, pooling):
    if pooling == "mean":
        return out.index_add_(0, idx, x)
    return out.scatter_reduce_(0, idx[:, None].expand_as(x), x, reduce="amax")


def _finish(out, idx, n_texts, pooling) -> np.ndarray:
    import torch

    if pooling == "mean":
        counts = torch.bincount(idx, minlength=n_texts).clamp_min(1).to(out.dtype)
        return (out / counts[:, None]).numpy()
    out[~torch.isfinite(out)] = 0
    return out.numpy()


def sae_codes(sae, rows: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Dense SAE codes [n_rows, latents] of activation rows (float32)."""
    import torch

    out = np.empty((len(rows), sae.num_latents), np.float32)
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            out[i:i + batch] = sae.encode(torch.as_tensor(rows[i:i + batch])).float().numpy()
    return out


def pooled_codes(sae, rows: np.ndarray, owner: np.ndarray, n_texts: int, pooling: str = "mean",
                 batch: int = 8192) -> np.ndarray:
    """Per-text pooled SAE codes [n_texts, latents], encoded in batches (never all token codes at once)."""
    import torch

    if pooling not in ("mean", "max"):
        raise ValueError(f"unknown pooling {pooling!r}; expected mean or max")
    idx = torch.as_tensor(np.asarray(owner, np.int64))
    out = torch.zeros(n_texts, sae.num_latents) if pooling == "mean" else torch.full((n_texts, sae.num_latents),
                                                                                    -torch.inf)
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            z = sae.encode(torch.as_tensor(rows[i:i + batch])).float()
            _pool_into(out, z, idx[i:i + batch], pooling)
    return _finish(out, idx, n_texts, pooling)


def auroc_columns(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """AUROC of every column of X as a score for `labels` (1 = positive), ties counted half."""
    y = np.asarray(labels).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("AUROC needs both classes")
    ranks = rankdata(X, axis=0)
    return (ranks[y].sum(0) - n1 * (n1 + 1) / 2) / (n1 * n0)


def rank_latents(codes: np.ndarray, labels: np.ndarray, top: int | None = 20) -> list[dict]:
    """Latents sorted by |AUROC - 0.5| (largest first): latent, auroc, mean_flagged, mean_reference, mean_diff,
    cohens_d, frac_active (share of texts where it is non-zero)."""
    y = np.asarray(labels).astype(bool)
    auc = auroc_columns(codes, y)
    m1, m0 = codes[y].mean(0), codes[~y].mean(0)
    sd = np.sqrt((codes[y].var(0) + codes[~y].var(0)) / 2)
    d = np.where(sd > 0, (m1 - m0) / np.where(sd > 0, sd, 1), 0.0)
    active = (codes > 0).mean(0)
    order = np.argsort(-np.abs(auc - 0.5), kind="stable")
    order = order[active[order] > 0]
    return [{"latent": int(j), "auroc": float(auc[j]), "mean_flagged": float(m1[j]), "mean_reference": float(m0[j]),
             "mean_diff": float(m1[j] - m0[j]), "cohens_d": float(d[j]), "frac_active": float(active[j])}
            for j in order[:top]]


def top_examples(sae, rows: np.ndarray, owner: np.ndarray, *, texts: Sequence[str], latents, n: int = 5,
                 tokens_of=None, batch: int = 8192) -> dict[int, list[dict]]:
    """For each latent, the `n` texts whose strongest token fires it most: text index, max activation, the token's
    position among the text's rows and (with `tokens_of(text) -> token strings`) the token itself, the text.
    One encoding pass over the rows serves every latent."""
    import torch

    latents = [int(j) for j in np.atleast_1d(latents)]
    if not latents:
        return {}
    owner = np.asarray(owner, np.int64)
    acts = np.empty((len(rows), len(latents)), np.float32)
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            acts[i:i + batch] = sae.encode(torch.as_tensor(rows[i:i + batch]))[:, latents].float().numpy()
    n_texts = len(texts)
    first = np.full(n_texts, len(rows), np.int64)
    np.minimum.at(first, owner, np.arange(len(rows)))
    out: dict[int, list[dict]] = {}
    for c, latent in enumerate(latents):
        a = torch.as_tensor(acts[:, c])
        best = torch.full((n_texts,), -1.0).scatter_reduce_(0, torch.as_tensor(owner), a, reduce="amax").numpy()
        items = []
        for t in np.argsort(-best, kind="stable")[:n]:
            if best[t] <= 0:
                break
            mine = np.flatnonzero(owner == t)
            r = mine[np.argmax(acts[mine, c])]
            pos = int(r - first[t])
            toks = tokens_of(texts[t]) if tokens_of is not None else None
            items.append({"text_index": int(t), "activation": float(best[t]), "position": pos,
                          "token": toks[pos] if toks is not None and pos < len(toks) else None, "text": texts[t]})
        out[latent] = items
    return out
