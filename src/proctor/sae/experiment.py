"""The SAE-monitor experiment: the whole loop on one model and site, as resumable units in a run store. The same
runner serves `proctor run` and `proctor sae study`; `proctor sae train --text` trains through its capture and
training helpers.

    capture  the site's token activations of every contrastive set (proctor.sae.capture)
    "sae"          train an SAE on the training-split tokens of all sets; the weights are the unit's arrays
    "monitor"      per set: latents ranked on the training split, SAE-feature monitor vs two probes on the test split,
                   and the paired difference from the probe chosen on the training split (proctor.sae.monitor)
    "splice"       (sst2 among the sets) the cost of splicing the SAE into the model
    "suppression"  per set: ablate its monitor latents, effect on that concept and on an unrelated set

A killed run resumes from the finished units: the SAE is rebuilt from its stored weights, and activations are
captured again only when a later unit needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .spec import SAESpec, trainer_configs

MAX_LENGTH = 128
"""Tokens kept per text (capture, splice)."""
POOLING = "mean"
"""How token codes / activations become one vector per text."""
SPLICE_TEXTS = 600
"""SST-2 test sentences of the splice measurement."""
SUPPRESS_TEXTS = 300
"""Texts per split of each set in the suppression measurement."""
EVAL_ROWS = 100_000
"""Token rows (a seeded subset) on which the reconstruction is measured."""
MONITOR_CI = "paired-bca"
"""In each "monitor" unit's key: its CIs are BCa over pairs (or classes) with the paired SAE-minus-probe difference;
units stored before (percentile CIs over classes, no comparison) are recomputed, not reused."""


@dataclass
class Captured:
    contrast: object
    """The ContrastSet (proctor.sae.contrast)."""
    rows: np.ndarray
    """Token activations [rows, d]."""
    owner: np.ndarray
    """Row -> index of its text."""


def capture_sets(spec: SAESpec, progress: bool = True) -> tuple[dict[str, Captured], object]:
    """Every set of the spec, loaded at its size and captured at the spec's site; also the ActivationCapture."""
    from .capture import ActivationCapture
    from .contrast import load_contrast

    cap = ActivationCapture(spec.model, [spec.site], max_length=MAX_LENGTH)
    out = {}
    for name in spec.sets:
        cs = load_contrast(name, spec.size(name), seed=spec.seed)
        rows, owner = cap.tokens(cs.texts, progress=progress)
        out[name] = Captured(cs, rows, owner)
    return out, cap


def subsample(rows: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """At most `cap` rows: a seeded random subset, kept in order."""
    if cap is not None and len(rows) > cap:
        rows = rows[np.sort(np.random.default_rng(seed).choice(len(rows), cap, replace=False))]
    return rows


def split_rows(captured: dict[str, Captured], train: bool, cap: int | None, seed: int) -> np.ndarray:
    """Token rows of the training (or test) texts of every set, a seeded random subset of at most `cap`."""
    parts = []
    for c in captured.values():
        mask = c.contrast.train if train else c.contrast.test
        parts.append(c.rows[mask[c.owner]])
    return subsample(np.concatenate(parts), cap, seed)


def train_on(rows: np.ndarray, spec: SAESpec, *, progress: bool = True, **trainer):
    """Train an SAE as the spec says on activation rows; `trainer`: settings of `trainer_configs` beyond the spec."""
    from .train import train_sae

    sae_cfg, train_cfg = trainer_configs(spec, int(rows.shape[1]), **trainer)
    return train_sae(rows, sae_cfg, train_cfg, progress=progress)


def token_strings(tokenizer, max_length: int = MAX_LENGTH):
    """text -> its non-special token strings, in the order the capture keeps them."""
    def tokens_of(text):
        ids = tokenizer(text, truncation=True, max_length=max_length, return_special_tokens_mask=True)
        return [t for t, s in zip(tokenizer.convert_ids_to_tokens(ids["input_ids"]), ids["special_tokens_mask"])
                if not s]
    return tokens_of


def evaluate_set(sae, c: Captured, tokenizer=None, *, n_boot: int = 1000, seed: int = 0, top: int = 10,
                 examples: int = 3) -> dict:
    """Latent ranking on the training split, top-activating examples, and the three monitors on the test split."""
    from .features import pool_rows, pooled_codes, rank_latents, top_examples
    from .monitor import compare_monitors

    cs = c.contrast
    n = len(cs.texts)
    Z = pooled_codes(sae, c.rows, c.owner, n, POOLING)
    X = pool_rows(c.rows, c.owner, n, POOLING)
    tr, te = cs.train, cs.test
    ranking = rank_latents(Z[tr], cs.labels[tr], top=top)
    tokens_of = token_strings(tokenizer) if tokenizer is not None else None
    found = top_examples(sae, c.rows, c.owner, texts=cs.texts, latents=[r["latent"] for r in ranking[:examples]],
                         n=3, tokens_of=tokens_of)
    for r in ranking[:examples]:
        r["examples"] = found[r["latent"]]
    res = compare_monitors(Z, X, cs.labels, train=tr, pairs=cs.groups, n_boot=n_boot, seed=seed)
    return {"set": cs.name, "flagged": cs.flagged, "reference": cs.reference, "train_texts": int(tr.sum()),
            "test_texts": int(te.sum()), "ranking": ranking, "monitors": res["monitors"],
            "comparison": res["comparison"]}


def suppression_partner(name: str, sets: list[str]) -> str | None:
    """The unrelated set whose task a suppression of `name`'s latents must leave intact: sst2 for the others, the
    first other set for sst2; None when there is none."""
    return "sst2" if name != "sst2" else next((n for n in sets if n != "sst2"), None)


def unit_config(spec: SAESpec) -> dict:
    """The part of every unit's config that the spec gives (its hash is in every unit's key)."""
    return {"technique": "sae", **spec.model_dump(exclude={"name", "n_boot", "splice", "suppress"})}


def sae_arrays(sae) -> dict[str, np.ndarray]:
    return {k.replace(".", "__"): v.detach().numpy() for k, v in sae.state_dict().items()}


def sae_from_unit(result: dict, arrays: dict):
    """The trained SAE of an "sae" unit, rebuilt from its stored config and weights."""
    import torch

    from .config import SAEConfig
    from .model import SparseAutoencoder

    sae = SparseAutoencoder(SAEConfig.model_validate(result["sae_config"]))
    sae.load_state_dict({k.replace("__", "."): torch.as_tensor(v) for k, v in arrays.items()})
    return sae.eval()


class SAEExperiment:
    """One SAE spec: activations captured on first need, the SAE trained (or read back from the store)."""

    def __init__(self, spec: SAESpec):
        self.spec = spec
        self.keys = unit_config(spec)
        self._captured: dict[str, Captured] | None = None
        self._cap = None
        self.sae = None

    def captured(self) -> dict[str, Captured]:
        if self._captured is None:
            self._captured, self._cap = capture_sets(self.spec)
        return self._captured

    # -- the units ----------------------------------------------------------------------------------------------
    def compute_sae(self) -> tuple[dict, dict]:
        from .metrics import reconstruction_stats

        c, seed = self.captured(), self.spec.seed
        rows = split_rows(c, True, self.spec.max_train_rows, seed)
        result = train_on(rows, self.spec)
        self.sae = sae = result.sae
        rec = {"train": reconstruction_stats(sae, split_rows(c, True, EVAL_ROWS, seed)),
               "test": reconstruction_stats(sae, split_rows(c, False, EVAL_ROWS, seed))}
        return {"sae_config": sae.cfg.model_dump(), "train_rows": len(rows), "reconstruction": rec,
                "train": {"steps": result.steps, "seconds": result.seconds, "rows_per_second": result.rows_per_second,
                          "history": result.history}}, sae_arrays(sae)

    def compute_monitor(self, name: str) -> dict:
        c = self.captured()[name]
        return evaluate_set(self.sae, c, self._cap.load()[0], n_boot=self.spec.n_boot, seed=self.spec.seed)

    def compute_splice(self) -> dict:
        from .metrics import encoder_splice_effect

        cs = self.captured()["sst2"].contrast
        idx = np.flatnonzero(cs.test)[:SPLICE_TEXTS]
        return encoder_splice_effect(self.spec.model, self.sae, self.spec.site, texts=[cs.texts[i] for i in idx],
                                     labels=cs.labels[idx], seed=self.spec.seed, max_length=MAX_LENGTH)

    def compute_suppression(self, name: str, other: str, latents: list[int]) -> dict:
        from .suppress import suppression_effect

        c = self.captured()
        return suppression_effect(self.spec.model, self.sae, self.spec.site, latents=latents,
                                  concept=c[name].contrast, unrelated=c[other].contrast, seed=self.spec.seed,
                                  max_texts=SUPPRESS_TEXTS)

    # -- the loop -----------------------------------------------------------------------------------------------
    def run(self, store, on_unit: Callable) -> None:
        sp, title, keys = self.spec, self.spec.title, self.keys
        unit, computed = store.get_or_compute(title, "sae", {**keys, "role": "sae"}, self.compute_sae)
        on_unit("sae", unit, computed)
        if self.sae is None:
            self.sae = sae_from_unit(unit.result, store.arrays(unit.key))
        monitors = {}
        for name in sp.sets:
            u, comp = store.get_or_compute(title, "monitor", {**keys, "role": "monitor", "set": name,
                                                              "n_boot": sp.n_boot, "ci": MONITOR_CI},
                                           lambda name=name: (self.compute_monitor(name), {}))
            monitors[name] = u.result
            on_unit(f"monitor {name}", u, comp)
        if sp.splice and "sst2" in sp.sets:
            u, comp = store.get_or_compute(title, "splice", {**keys, "role": "splice"},
                                           lambda: (self.compute_splice(), {}))
            on_unit("splice", u, comp)
        if sp.suppress:
            for name in sp.sets:
                other = suppression_partner(name, sp.sets)
                if other is None:
                    continue
                latents = monitors[name]["monitors"]["sae_features"]["latents"]
                u, comp = store.get_or_compute(
                    title, "suppression", {**keys, "role": "suppression", "set": name},
                    lambda name=name, other=other, latents=latents: (self.compute_suppression(name, other, latents),
                                                                     {}))
                on_unit(f"suppression {name}", u, comp)


def trained_sae(store, spec: SAESpec):
    """The SAE of a run of `spec` (its "sae" unit), or None before it is trained."""
    from ..runs.store import unit_key

    unit = store.get(unit_key({**unit_config(spec), "role": "sae"}))
    return None if unit is None else sae_from_unit(unit.result, store.arrays(unit.key))


# -- the technique's runner (proctor.runs.technique): the same for `proctor run` and `proctor sae study` ---------------
def run(spec: SAESpec, store, on_unit) -> None:
    """Every unit of the experiment not yet in the store."""
    SAEExperiment(spec).run(store, on_unit)


def check(spec: SAESpec) -> None:
    """The site parses and every set loads, before the run directory is touched."""
    from .capture import Site
    from .contrast import load_contrast

    Site.parse(spec.site)
    for name in spec.sets:
        load_contrast(name, 20)
