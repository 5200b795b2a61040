"""The whole loop on one model and site: capture -> train an SAE -> rank latents per contrastive set -> monitors vs
probes -> splice cost -> suppression. Used by `proctor sae study`, `proctor sae train --text` and the suite.

    proctor sae study --site resid.3 --out runs/sae-minilm            (MiniLM layer 3, the three shipped sets)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .config import SAEConfig, TrainConfig

DEFAULT_SIZES = {"sycophancy": 600, "hh": 1000, "sst2": 2000}


@dataclass
class StudyConfig:
    model: str = "minilm"
    """Model name, local folder or Hub id."""
    site: str = "resid.3"
    """Capture site (resid.N / mlp.N)."""
    sets: tuple[str, ...] = ("sycophancy", "hh", "sst2")
    """Contrastive sets (proctor.sae.contrast)."""
    sizes: dict = field(default_factory=lambda: dict(DEFAULT_SIZES))
    """Pairs (sycophancy, hh) or training sentences (sst2) per set."""
    max_length: int = 128
    """Tokens kept per text."""
    expansion_factor: int = 8
    k: int = 32
    architecture: str = "topk"
    train: TrainConfig = field(default_factory=TrainConfig)
    max_train_rows: int = 300_000
    """Cap on SAE training tokens (a seeded random subset of the training-split tokens of all sets)."""
    n_boot: int = 1000
    seed: int = 0
    pooling: str = "mean"
    """How token codes / activations become one vector per text (mean or max)."""


@dataclass
class Captured:
    contrast: object
    rows: np.ndarray
    owner: np.ndarray


def capture_sets(cfg: StudyConfig, progress: bool = True) -> tuple[dict[str, Captured], object]:
    from .capture import ActivationCapture
    from .contrast import load_contrast

    cap = ActivationCapture(cfg.model, [cfg.site], max_length=cfg.max_length)
    out = {}
    for name in cfg.sets:
        cs = load_contrast(name, cfg.sizes.get(name), seed=cfg.seed)
        rows, owner = cap.tokens(cs.texts, progress=progress)
        out[name] = Captured(cs, rows, owner)
    return out, cap


def split_rows(captured: dict[str, Captured], train: bool, cap: int | None, seed: int) -> np.ndarray:
    """Token rows of the training (or test) texts of every set, a seeded random subset of at most `cap`."""
    parts = []
    for c in captured.values():
        mask = c.contrast.train if train else c.contrast.test
        parts.append(c.rows[mask[c.owner]])
    rows = np.concatenate(parts)
    if cap is not None and len(rows) > cap:
        rows = rows[np.sort(np.random.default_rng(seed).choice(len(rows), cap, replace=False))]
    return rows


def train_on(captured, cfg: StudyConfig, progress: bool = True):
    from .train import train_sae

    rows = split_rows(captured, True, cfg.max_train_rows, cfg.seed)
    sae_cfg = SAEConfig(d_in=rows.shape[1], expansion_factor=cfg.expansion_factor, k=cfg.k,
                        architecture=cfg.architecture, site=cfg.site, model=cfg.model)
    result = train_sae(rows, sae_cfg, cfg.train, progress=progress)
    return result, len(rows)


def token_strings(tokenizer, max_length: int):
    """text -> its non-special token strings, in the order the capture keeps them."""
    def tokens_of(text):
        ids = tokenizer(text, truncation=True, max_length=max_length, return_special_tokens_mask=True)
        return [t for t, s in zip(tokenizer.convert_ids_to_tokens(ids["input_ids"]), ids["special_tokens_mask"])
                if not s]
    return tokens_of


def evaluate_set(sae, c: Captured, cfg: StudyConfig, tokenizer=None, top: int = 10, examples: int = 3) -> dict:
    """Latent ranking on the training split, top-activating examples, and the three monitors on the test split."""
    from .features import pool_rows, pooled_codes, rank_latents, top_examples
    from .monitor import compare_monitors

    cs = c.contrast
    n = len(cs.texts)
    Z = pooled_codes(sae, c.rows, c.owner, n, cfg.pooling)
    X = pool_rows(c.rows, c.owner, n, cfg.pooling)
    tr, te = cs.train, cs.test
    ranking = rank_latents(Z[tr], cs.labels[tr], top=top)
    tokens_of = token_strings(tokenizer, cfg.max_length) if tokenizer is not None else None
    found = top_examples(sae, c.rows, c.owner, cs.texts, [r["latent"] for r in ranking[:examples]], n=3,
                         tokens_of=tokens_of)
    for r in ranking[:examples]:
        r["examples"] = found[r["latent"]]
    monitors = compare_monitors(Z[tr], X[tr], cs.labels[tr], Z[te], X[te], cs.labels[te], n_boot=cfg.n_boot,
                                seed=cfg.seed)
    return {"set": cs.name, "flagged": cs.flagged, "reference": cs.reference, "train_texts": int(tr.sum()),
            "test_texts": int(te.sum()), "ranking": ranking, "monitors": monitors}


def best_probe(monitors: dict) -> str:
    """The probe with the higher TPR at 1% FPR (AUROC breaks ties)."""
    return max(("diff_of_means", "logistic"),
               key=lambda k: (monitors[k]["tpr@1%"]["value"], monitors[k]["auroc"]["value"]))


def run_study(cfg: StudyConfig, *, splice: bool = True, suppress: bool = True, progress: bool = True) -> dict:
    """Every measurement of the loop as one JSON-able dict (also returns the SAE under "_sae")."""
    from .metrics import encoder_splice_effect, reconstruction_stats

    t0 = time.perf_counter()
    captured, cap = capture_sets(cfg, progress)
    t_capture = time.perf_counter() - t0
    result, n_rows = train_on(captured, cfg, progress)
    sae = result.sae
    heldout = split_rows(captured, False, 100_000, cfg.seed)
    out: dict = {"config": {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in cfg.__dict__.items()},
                 "sae_config": sae.cfg.model_dump(), "train_rows": n_rows,
                 "train": {"steps": result.steps, "seconds": result.seconds,
                           "rows_per_second": result.rows_per_second, "history": result.history},
                 "capture_seconds": t_capture,
                 "reconstruction": {"train": reconstruction_stats(sae, split_rows(captured, True, 100_000, cfg.seed)),
                                    "test": reconstruction_stats(sae, heldout)}}
    tok = cap.load()[0]
    out["sets"] = {name: evaluate_set(sae, c, cfg, tok) for name, c in captured.items()}
    if splice and "sst2" in captured:
        cs = captured["sst2"].contrast
        idx = np.flatnonzero(cs.test)[:600]
        out["splice"] = encoder_splice_effect(cfg.model, sae, cfg.site, [cs.texts[i] for i in idx], cs.labels[idx],
                                              seed=cfg.seed, max_length=cfg.max_length)
    if suppress:
        out["suppression"] = {}
        names = list(captured)
        for name in names:
            other = "sst2" if name != "sst2" else next((n for n in names if n != "sst2"), None)
            if other is None or other not in captured:
                continue
            lat = out["sets"][name]["monitors"]["sae_features"]["latents"]
            out["suppression"][name] = _suppress(cfg, sae, lat, captured[name].contrast, captured[other].contrast)
    out["seconds"] = time.perf_counter() - t0
    out["_sae"] = sae
    return out


def _suppress(cfg, sae, latents, concept, unrelated) -> dict:
    from .suppress import suppression_effect

    return suppression_effect(cfg.model, sae, cfg.site, latents, concept, unrelated, seed=cfg.seed, max_texts=300)
