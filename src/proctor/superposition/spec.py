"""Superposition as a suite technique (`type = "superposition"`): a fast toy sweep, its interference check, and
optionally the real-representation measurements.

    [[experiment]]
    type = "superposition"
    features = 20
    dims = 5
    sparsities = [0.0, 0.7, 0.9, 0.97, 0.99]
    seeds = 1

Units: one toy sweep per seed (all sparsities trained at once), one toy-interference check per seed, and, when asked,
one real-representation measurement per dictionary (MiniLM FFN neurons, an SAE folder). Superposition measures an
obstacle to interpretability-based oversight, not an overseer, so it adds no scorecard row: its report section says
how many features a model packs per dimension and how far suppressing one spreads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..runs.spec import Spec
from ..runs.technique import Technique


class SuperpositionSpec(Spec):
    """Toy models of superposition (Elhage et al. 2022) and interference in real representations."""

    type: Literal["superposition"] = "superposition"
    """The technique: superposition."""
    name: str | None = None
    """Experiment name in the report; defaults to "superposition-n<features>-m<dims>"."""
    features: int = Field(default=20, ge=2, le=2000)
    """n: sparse input features of the toy models."""
    dims: int = Field(default=5, ge=1)
    """m: hidden dimensions (must be < features)."""
    sparsities: list[float] = Field(default_factory=lambda: [0.0, 0.7, 0.9, 0.97, 0.99])
    """Feature sparsities S (a feature is present with probability 1 - S); one toy model each."""
    importance_decay: float = Field(default=0.7, gt=0, le=1)
    """Importance I_i = decay^i (1 = uniform importance)."""
    steps: int = Field(default=2000, ge=1)
    """Adam steps of the batched sweep."""
    lr: float = Field(default=1e-2, gt=0)
    """Adam learning rate."""
    batch_size: int = Field(default=1024, ge=1)
    """Samples per step per model."""
    seeds: int = Field(default=1, ge=1)
    """Seeds 0..seeds-1, each a whole sweep (spread of represented-feature counts across seeds)."""
    interference_sparsity: float = Field(default=0.9, ge=0, lt=1)
    """Sparsity of the toy model whose features are ablated one at a time (must be one of `sparsities`)."""
    minilm: bool = False
    """Also measure MiniLM's last-block FFN neurons on SST-2 token activations (needs PROCTOR_DATA; ~3 minutes)."""
    block: int = Field(default=6, ge=1)
    """MiniLM block (from 1) whose FFN neurons are the dictionary when `minilm` is true."""
    sae: str | None = None
    """Also measure an SAE folder saved by `proctor.sae` (decoder interference, collateral effects)."""
    suppress: int = Field(default=32, ge=1)
    """Latents suppressed one at a time in the real-representation measurement."""
    texts: int = Field(default=400, ge=20)
    """SST-2 test sentences whose token activations the real measurement uses."""

    @field_validator("sparsities")
    @classmethod
    def _range(cls, v):
        if not v or any(not 0 <= s < 1 for s in v):
            raise ValueError("sparsities must be a non-empty list of values in [0, 1)")
        return v

    @model_validator(mode="after")
    def _shape(self):
        if self.dims >= self.features:
            raise ValueError(f"dims ({self.dims}) must be smaller than features ({self.features})")
        if not any(abs(s - self.interference_sparsity) < 1e-12 for s in self.sparsities):
            raise ValueError(f"interference_sparsity {self.interference_sparsity} is not one of sparsities")
        return self

    @property
    def title(self) -> str:
        return self.name or f"superposition-n{self.features}-m{self.dims}"

    def sweep(self, seed: int):
        from .toy import ToySweep

        return ToySweep(n_features=self.features, n_hidden=self.dims, densities=tuple(1 - s for s in self.sparsities),
                        importance_decay=self.importance_decay, steps=self.steps, lr=self.lr,
                        batch_size=self.batch_size, seed=seed)


def _run(spec: SuperpositionSpec, store, on_unit) -> None:
    import numpy as np

    from ..device import single_thread
    from .toy import ToyModels, sweep_summary, train_toy_models

    with single_thread():
        for seed in range(spec.seeds):
            sweep = spec.sweep(seed)
            config = {"unit": "toy_sweep", **sweep.config()}

            def compute(sweep=sweep):
                models = train_toy_models(sweep)
                return sweep_summary(models), {"W": models.W, "b": models.b, "loss": models.loss}

            unit, computed = store.get_or_compute(spec.title, "toy_sweep", config, compute)
            on_unit(f"toy sweep seed {seed}", unit, computed)
            index = min(range(len(spec.sparsities)), key=lambda i: abs(spec.sparsities[i] - spec.interference_sparsity))
            iconfig = {"unit": "toy_interference", "sweep": config, "index": index}

            def compute_i(unit=unit, sweep=sweep, index=index, seed=seed):
                from .interference import toy_interference

                arrays = store.arrays(unit.key)
                models = ToyModels(sweep, arrays["W"], arrays["b"], arrays["loss"])
                return toy_interference(models, index, seed=seed), {}

            iu, computed = store.get_or_compute(spec.title, "toy_interference", iconfig, compute_i)
            on_unit(f"toy interference seed {seed}", iu, computed)
        for source in (["minilm"] if spec.minilm else []) + ([spec.sae] if spec.sae else []):
            rconfig = {"unit": "real", "source": source, "suppress": spec.suppress, "texts": spec.texts,
                       "block": spec.block if source == "minilm" else None}

            def compute_r(source=source):
                from .real import minilm_neurons, real_interference, sae_dictionary

                d = minilm_neurons(spec.block) if source == "minilm" else sae_dictionary(source)
                r = real_interference(d, suppress_count=spec.suppress, n_test=spec.texts)
                g = r["geometry"]
                arrays = {k: np.asarray(g.pop(k)) for k in ("max_cos", "random_max_cos")}
                return r, arrays

            ru, computed = store.get_or_compute(spec.title, "real", rconfig, compute_r)
            on_unit(f"real interference {source}", ru, computed)


def _check(spec: SuperpositionSpec) -> None:
    if spec.sae:
        from .real import sae_dictionary

        sae_dictionary(spec.sae)


def _summarize(store, spec: SuperpositionSpec) -> dict:
    out: dict = {"title": spec.title, "spec": spec.model_dump(mode="json"), "sweeps": [], "interference": [],
                 "real": []}
    for u in store.units(spec.title, "toy_sweep"):
        arrays = store.arrays(u.key)
        s = dict(u.result)
        if arrays and spec.features <= 64:  # small enough to carry the matrices for the figures
            s["W"], s["b"] = arrays["W"].tolist(), arrays["b"].tolist()
        out["sweeps"].append(s)
    out["interference"] = [u.result for u in store.units(spec.title, "toy_interference")]
    for u in store.units(spec.title, "real"):
        r = dict(u.result)
        arrays = store.arrays(u.key)
        r["geometry"] = dict(r["geometry"], **{k: v.tolist() for k, v in arrays.items()})
        out["real"].append(r)
    return out


def _sections(summary: dict) -> list:
    from .report import real_section, toy_section

    sections = []
    for i, s in enumerate(summary["sweeps"]):
        if i < len(summary["interference"]):
            s = dict(s, interference=summary["interference"][i])
        sections.append(toy_section(s, s.get("W"), s.get("b")))
    if summary["real"]:
        sections.append(real_section(summary["real"]))
    return sections


def _headline(summary: dict) -> dict:
    return {"title": summary["title"],
            "sweeps": [{"seed": s["config"]["seed"], "pca_like_at_dense": s["dense"]["pca_like"],
                        "represented": [m["represented"] for m in s["models"]],
                        "dims_per_feature": [m["dims_per_feature"] for m in s["models"]]} for s in summary["sweeps"]],
            "interference": [i["summary"] for i in summary["interference"]],
            "real": [{"dictionary": r["dictionary"], "max_cos_mean": r["geometry"]["max_cos_mean"],
                      **r["collateral"]["summary"]} for r in summary["real"]]}


TECHNIQUE = Technique(type="superposition", name="superposition", spec=SuperpositionSpec, run=_run,
                      summarize=_summarize, sections=_sections, headline=_headline, check=_check)
