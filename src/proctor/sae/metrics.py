"""How good an SAE is: reconstruction (FVU, L0, dead latents) and the downstream cost of splicing it into the model.

    FVU = ||x - x_hat||^2 / sum_i ||x_i - mean(x)||^2;  L0 = mean active latents per row;
    dead fraction = latents that never fire on the evaluation rows.
    Splicing (encoder, e.g. MiniLM): the site's output is replaced by the SAE reconstruction at the tokens the SAE
    reads (padding and special tokens keep their own values); we measure the cosine between the clean and spliced
    final sentence embeddings and the accuracy of a probe trained on clean embeddings, scored on spliced ones.
    CE loss recovered (causal LM; Gao et al. 2024, Bricken et al. 2023):
        (CE_ablated - CE_spliced) / (CE_ablated - CE_clean), the ablation replacing the site by zeros.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .capture import Site, blocks_of, replace_output, site_module


def reconstruction_stats(sae, rows, batch: int = 8192) -> dict:
    """{"fvu", "l0", "dead_fraction", "rows"} of `sae` on activation rows [n, d_in]."""
    import torch

    x_all = torch.as_tensor(np.asarray(rows, dtype=np.float32))
    err = torch.zeros((), dtype=torch.float64)
    l0 = 0.0
    fired = torch.zeros(sae.num_latents, dtype=torch.bool)
    mean = x_all.mean(0)
    var = float((x_all.double() - mean.double()).pow(2).sum())
    with torch.no_grad():
        for i in range(0, len(x_all), batch):
            x = x_all[i:i + batch]
            z = sae.encode(x)
            x_hat = sae.decode(z)
            err += (x.double() - x_hat.double()).pow(2).sum()
            active = z > 0
            l0 += float(active.sum())
            fired |= active.any(0)
    n = len(x_all)
    return {"fvu": float(err) / var if var > 0 else float("nan"), "l0": l0 / max(n, 1),
            "dead_fraction": float((~fired).float().mean()), "rows": n}


def _splice_fn(sae, keep, mode: str):
    """h -> h with rows `keep` replaced by the SAE reconstruction ("sae") or zeros ("zero")."""
    import torch

    def fn(h):
        out = h.clone()
        x = h[keep]
        if mode == "sae":
            rec = sae.decode(sae.encode(x.float())).to(h.dtype)
        else:
            rec = torch.zeros_like(x)
        out[keep] = rec
        return out
    return fn


def encoder_splice_effect(model_name: str, sae, site: str, *, texts: Sequence[str],
                          labels: Sequence[int] | None = None, probe_split: float = 0.5, max_length: int = 128,
                          batch_size: int = 32, seed: int = 0) -> dict:
    """Splice the SAE into an encoder (MiniLM): cosine(clean, spliced) of mean-pooled final embeddings; with labels,
    a logistic-regression probe fit on the clean embeddings of the first `probe_split` share of the texts and scored
    on the rest, clean vs spliced (and vs the site zeroed, the floor)."""
    import torch

    from proctor.models.backbone import load_backbone, pool

    tok, model, _ = load_backbone(model_name)
    module = site_module(blocks_of(model, model_name), Site.parse(site), model_name)
    emb = {m: [] for m in ("clean", "sae", "zero")}
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok(list(texts[i:i + batch_size]), padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt", return_special_tokens_mask=True)
            keep = enc["attention_mask"].bool() & ~enc.pop("special_tokens_mask").bool()
            inputs = {k: v for k, v in enc.items()}
            emb["clean"].append(pool(model(**inputs).last_hidden_state, enc["attention_mask"], "mean"))
            for mode in ("sae", "zero"):
                with replace_output(module, _splice_fn(sae, keep, mode)):
                    emb[mode].append(pool(model(**inputs).last_hidden_state, enc["attention_mask"], "mean"))
    E = {m: torch.cat(v).float().numpy() for m, v in emb.items()}

    def cos(a, b):
        return float(np.mean((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)))

    out = {"texts": len(texts), "cosine_sae": cos(E["clean"], E["sae"]), "cosine_zero": cos(E["clean"], E["zero"])}
    if labels is not None:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels)
        order = np.random.default_rng(seed).permutation(len(y))
        cut = int(len(y) * probe_split)
        tr, te = order[:cut], order[cut:]
        probe = LogisticRegression(max_iter=2000).fit(E["clean"][tr], y[tr])
        for m in ("clean", "sae", "zero"):
            out[f"probe_accuracy_{m}"] = float((probe.predict(E[m][te]) == y[te]).mean())
        out["probe_test_texts"] = int(len(te))
    return out


def ce_loss_recovered(model_path: str, sae, site: str, texts: Sequence[str], *, max_length: int = 64,
                      batch_size: int = 8) -> dict:
    """Next-token cross-entropy of a causal LM clean, with the SAE spliced in at `site`, and with the site zeroed;
    loss recovered = (CE_zero - CE_sae) / (CE_zero - CE_clean)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from proctor.errors import ModelError
    from proctor.models.backbone import resolve_model

    path = resolve_model(model_path)
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    except Exception as e:
        raise ModelError(f"model {model_path!r}: {' '.join(str(e).split())[:300]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    module = site_module(blocks_of(model, model_path), Site.parse(site), model_path)
    totals = {m: 0.0 for m in ("clean", "sae", "zero")}
    count = 0
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok(list(texts[i:i + batch_size]), padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt")
            mask = enc["attention_mask"].bool()
            labels = enc["input_ids"].masked_fill(~mask, -100)
            n_tok = int((labels[:, 1:] != -100).sum())
            if n_tok == 0:
                continue
            for mode in totals:
                if mode == "clean":
                    loss = model(**enc, labels=labels).loss
                else:
                    with replace_output(module, _splice_fn(sae, mask, mode)):
                        loss = model(**enc, labels=labels).loss
                totals[mode] += float(loss) * n_tok
            count += n_tok
    ce = {m: v / max(count, 1) for m, v in totals.items()}
    gap = ce["zero"] - ce["clean"]
    return {"ce_clean": ce["clean"], "ce_sae": ce["sae"], "ce_zero": ce["zero"], "tokens": count,
            "loss_recovered": (ce["zero"] - ce["sae"]) / gap if gap != 0 else float("nan")}
