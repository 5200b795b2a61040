"""Suppression: clamp or ablate chosen SAE latents inside the forward pass and measure what changes downstream.

At the SAE's site, each token's hidden state h (the tokens the SAE reads) becomes
    h' = h + (z' - z) W_dec,   z = encode(h),  z' = z with the chosen latents set to `value` (0 = ablation)
so the SAE's reconstruction error is kept and only the chosen features move (the "error-preserving" intervention of
Marks et al. 2024). Effects are read off the final sentence embedding: the concept's AUROC under a logistic probe
trained on clean embeddings, and an unrelated task's probe accuracy; the same number of random latents is the control.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .capture import Site, blocks_of, replace_output, site_module


def clamp_fn(sae, latents: Sequence[int], value: float, keep):
    """h -> h' (see module docstring) on rows `keep` of h [b, t, d]."""
    import torch

    idx = torch.as_tensor(list(latents), dtype=torch.long)

    def fn(h):
        out = h.clone()
        x = h[keep].float()
        z = sae.encode(x)
        delta = (value - z[:, idx]) @ sae.W_dec[idx]
        out[keep] = (x + delta).to(h.dtype)
        return out

    return fn


def final_embeddings(model_name: str, texts: Sequence[str], *, sae=None, site: str | None = None,
                     latents: Sequence[int] = (), value: float = 0.0, max_length: int = 128,
                     batch_size: int = 32, loaded=None) -> np.ndarray:
    """Mean-pooled last-layer embeddings [n, d]; with `sae`, `site` and `latents`, under the clamp."""
    import torch

    from proctor.models.backbone import load_backbone, pool

    tok, model, _ = loaded or load_backbone(model_name)
    module = site_module(blocks_of(model, model_name), Site.parse(site), model_name) if sae is not None else None
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok(list(texts[i:i + batch_size]), padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt", return_special_tokens_mask=True)
            keep = enc["attention_mask"].bool() & ~enc.pop("special_tokens_mask").bool()
            if module is None or not len(latents):
                h = model(**enc).last_hidden_state
            else:
                with replace_output(module, clamp_fn(sae, latents, value, keep)):
                    h = model(**enc).last_hidden_state
            out.append(pool(h, enc["attention_mask"], "mean").float().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def suppression_effect(model_name: str, sae, site: str, *, latents: Sequence[int], concept, unrelated,
                       value: float = 0.0, seed: int = 0, max_texts: int = 400) -> dict:
    """Ablate (or clamp to `value`) `latents` and compare with clean and with as many random latents.

    `concept` / `unrelated` are ContrastSets: a logistic probe is fit on clean final embeddings of each one's training
    split; reported are the concept probe's test AUROC and the unrelated probe's test accuracy in each condition."""
    from proctor.models.backbone import load_backbone

    from .monitor import LogisticProbe, auroc

    loaded = load_backbone(model_name)
    rng = np.random.default_rng(seed)
    pool_ = np.setdiff1d(np.arange(sae.num_latents), np.asarray(latents))
    random_latents = rng.choice(pool_, size=len(latents), replace=False)

    def split(cs):
        tr = np.flatnonzero(cs.train)
        te = np.flatnonzero(cs.test)
        tr = rng.choice(tr, min(len(tr), max_texts), replace=False)
        te = rng.choice(te, min(len(te), max_texts), replace=False)
        return tr, te

    res: dict = {"latents": [int(j) for j in latents], "random_latents": [int(j) for j in random_latents],
                 "value": value}
    for role, cs in (("concept", concept), ("unrelated", unrelated)):
        tr, te = split(cs)
        train_texts = [cs.texts[i] for i in tr]
        test_texts = [cs.texts[i] for i in te]
        probe = LogisticProbe(random_state=seed).fit(final_embeddings(model_name, train_texts, loaded=loaded),
                                                     cs.labels[tr])
        for cond, lat in (("clean", ()), ("suppressed", latents), ("random", random_latents)):
            E = final_embeddings(model_name, test_texts, sae=sae, site=site, latents=lat, value=value, loaded=loaded)
            s = probe.decision_function(E)
            y = cs.labels[te]
            res[f"{role}_{cond}_auroc"] = auroc(s, y)
            res[f"{role}_{cond}_accuracy"] = float(((s > 0) == y.astype(bool)).mean())
        res[f"{role}_set"] = cs.name
    return res
