"""Sparse-autoencoder monitors as a suite technique (`type = "sae"`).

Units: one "sae" unit (capture + training; the weights are the unit's arrays), one "monitor" unit per contrastive set
(latent ranking and the three monitors), and optional "splice" / "suppression" units. A killed run resumes from the
finished units: the SAE is rebuilt from its stored weights, activations are captured again when a later unit needs them.

    [[experiment]]
    type = "sae"
    sets = ["sst2"]
    sizes = { sst2 = 600 }
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..runs.spec import Spec
from ..runs.technique import ScoreRow, Technique


class SAESpec(Spec):
    """Train an SAE on one site of a model, then compare SAE-feature monitors with linear probes per set."""

    type: Literal["sae"] = "sae"
    """The technique: sparse-autoencoder monitors."""
    name: str | None = None
    """Experiment name in the report; defaults to "sae-<model>-<site>"."""
    model: str = "minilm"
    """A local Hugging Face model folder, a Hub id, or "minilm"."""
    site: str = "resid.3"
    """Capture site: resid.N (residual stream after block N) or mlp.N (MLP output of block N)."""
    sets: list[Literal["sycophancy", "hh", "sst2"]] = Field(default_factory=lambda: ["sycophancy", "hh", "sst2"])
    """Contrastive sets (proctor.sae.contrast); the SAE trains on the training-split tokens of all of them."""
    sizes: dict[str, int] = Field(default_factory=dict)
    """Per set: pairs (sycophancy, hh) or training sentences (sst2); missing sets use the study defaults."""
    expansion_factor: int = Field(default=8, ge=1)
    """Latents per input dimension."""
    k: int = Field(default=32, ge=1)
    """Active latents per token."""
    architecture: Literal["topk", "batchtopk", "relu"] = "topk"
    """SAE architecture."""
    epochs: float = Field(default=8.0, gt=0)
    """Passes over the training tokens."""
    batch_size: int = Field(default=4096, ge=2)
    """Rows per optimizer step."""
    max_train_rows: int = Field(default=300_000, ge=100)
    """Cap on training tokens."""
    n_boot: int = Field(default=1000, ge=100)
    """Bootstrap resamples for the CIs."""
    seed: int = 0
    """Seed of the data subsample, the splits, the initialisation and the bootstrap."""
    splice: bool = True
    """Measure the cost of splicing the SAE into the model (needs sst2 among the sets)."""
    suppress: bool = True
    """Ablate each set's monitor latents and measure the effect."""

    @property
    def title(self) -> str:
        return self.name or f"sae-{self.model if len(self.model) < 30 else 'model'}-{self.site}"


def _study_config(spec: SAESpec):
    from .config import TrainConfig
    from .study import DEFAULT_SIZES, StudyConfig

    sizes = {**DEFAULT_SIZES, **spec.sizes}
    return StudyConfig(model=spec.model, site=spec.site, sets=tuple(spec.sets), sizes=sizes,
                       expansion_factor=spec.expansion_factor, k=spec.k, architecture=spec.architecture,
                       train=TrainConfig(batch_size=spec.batch_size, epochs=spec.epochs, seed=spec.seed),
                       max_train_rows=spec.max_train_rows, n_boot=spec.n_boot, seed=spec.seed)


def _keys(spec: SAESpec) -> dict:
    base = spec.model_dump(exclude={"name", "n_boot", "splice", "suppress"})
    return {"technique": "sae", **base}


def _sae_from_arrays(cfg_dict: dict, arrays: dict):
    import torch

    from .config import SAEConfig
    from .model import SparseAutoencoder

    sae = SparseAutoencoder(SAEConfig.model_validate(cfg_dict))
    sae.load_state_dict({k.replace("__", "."): torch.as_tensor(v) for k, v in arrays.items()})
    return sae.eval()


def _run(spec: SAESpec, store, on_unit) -> None:
    from .study import capture_sets, evaluate_set, split_rows, train_on

    cfg = _study_config(spec)
    cache: dict = {}

    def captured():
        if "c" not in cache:
            cache["c"], cache["cap"] = capture_sets(cfg)
        return cache["c"]

    def compute_sae():
        from .metrics import reconstruction_stats

        c = captured()
        result, n_rows = train_on(c, cfg)
        sae = result.sae
        cache["sae"] = sae
        rec = {"train": reconstruction_stats(sae, split_rows(c, True, 100_000, cfg.seed)),
               "test": reconstruction_stats(sae, split_rows(c, False, 100_000, cfg.seed))}
        arrays = {k.replace(".", "__"): v.detach().numpy() for k, v in sae.state_dict().items()}
        return {"sae_config": sae.cfg.model_dump(), "train_rows": n_rows, "reconstruction": rec,
                "train": {"steps": result.steps, "seconds": result.seconds, "rows_per_second": result.rows_per_second,
                          "history": result.history}}, arrays

    keys = _keys(spec)
    unit, computed = store.get_or_compute(spec.title, "sae", {**keys, "role": "sae"}, compute_sae)
    on_unit("sae", unit, computed)
    sae = cache.get("sae") or _sae_from_arrays(unit.result["sae_config"], store.arrays(unit.key))
    results = {}
    for name in spec.sets:
        def compute_monitor(name=name):
            c = captured()[name]
            return evaluate_set(sae, c, cfg, cache["cap"].load()[0]), {}

        u, comp = store.get_or_compute(spec.title, "monitor", {**keys, "role": "monitor", "set": name,
                                                                "n_boot": spec.n_boot}, compute_monitor)
        results[name] = u.result
        on_unit(f"monitor {name}", u, comp)
    if spec.splice and "sst2" in spec.sets:
        def compute_splice():
            import numpy as np

            from .metrics import encoder_splice_effect

            cs = captured()["sst2"].contrast
            idx = np.flatnonzero(cs.test)[:600]
            return encoder_splice_effect(cfg.model, sae, cfg.site, [cs.texts[i] for i in idx], cs.labels[idx],
                                         seed=cfg.seed, max_length=cfg.max_length), {}

        u, comp = store.get_or_compute(spec.title, "splice", {**keys, "role": "splice"}, compute_splice)
        on_unit("splice", u, comp)
    if spec.suppress:
        for name in spec.sets:
            other = "sst2" if name != "sst2" else next((n for n in spec.sets if n != "sst2"), None)
            if other is None:
                continue

            def compute_suppress(name=name, other=other):
                from .suppress import suppression_effect

                c = captured()
                lat = results[name]["monitors"]["sae_features"]["latents"]
                return suppression_effect(cfg.model, sae, cfg.site, lat, c[name].contrast, c[other].contrast,
                                          seed=cfg.seed, max_texts=300), {}

            u, comp = store.get_or_compute(spec.title, "suppression", {**keys, "role": "suppression", "set": name},
                                           compute_suppress)
            on_unit(f"suppression {name}", u, comp)


def _summarize(store, spec: SAESpec) -> dict:
    out: dict = {"title": spec.title, "model": spec.model, "site": spec.site, "config": {"seed": spec.seed},
                 "sets": {}, "suppression": {}}
    for u in store.units(spec.title):
        if u.kind == "sae":
            out.update({k: u.result[k] for k in ("sae_config", "train_rows", "reconstruction", "train")})
        elif u.kind == "monitor":
            out["sets"][u.config["set"]] = u.result
        elif u.kind == "splice":
            out["splice"] = u.result
        elif u.kind == "suppression":
            out["suppression"][u.config["set"]] = u.result
    return out


def _sections(summary: dict) -> list:
    from .report import study_sections

    secs = study_sections(summary)
    for s in secs:
        s.title = f"{summary.get('title', 'sae')}: {s.title}"
    return secs


def _headline(summary: dict) -> dict:
    rec = summary.get("reconstruction", {}).get("test", {})
    return {"title": summary.get("title"), "fvu": rec.get("fvu"), "l0": rec.get("l0"),
            "dead_fraction": rec.get("dead_fraction"),
            "sets": {n: {k: {"auroc": m["auroc"]["value"], "tpr@1%": m["tpr@1%"]["value"]}
                         for k, m in s["monitors"].items()} for n, s in summary.get("sets", {}).items()}}


def _scorecard(summary: dict) -> list[ScoreRow]:
    from .study import best_probe

    rows = []
    for name, s in summary.get("sets", {}).items():
        m = s["monitors"]
        sae, bp = m["sae_features"]["tpr@1%"], best_probe(m)
        probe = m[bp]["tpr@1%"]
        rows.append(ScoreRow(
            technique="SAE monitor",
            setting=(f"{name}: {summary.get('model')} {summary.get('site')}; best probe ({bp.replace('_', '-')}) "
                     f"{probe['value']:.3f} [{probe['ci'][0]:.3f}, {probe['ci'][1]:.3f}]"),
            measure="TPR @ 1% FPR", value=sae["value"], ci=tuple(sae["ci"]),
            verdict="measured"))
    return rows


def _check(spec: SAESpec) -> None:
    from .capture import Site
    from .contrast import load_contrast

    Site.parse(spec.site)
    for name in spec.sets:
        load_contrast(name, 20)


def _bind(table: dict, overseer: str | None, overseen: str | None) -> dict:
    """The SAE monitor reads the overseen model's activations."""
    from ..runs.technique import split_model

    if overseen and "model" not in table:
        table["model"] = split_model(overseen)[0]
    return table


TECHNIQUE = Technique(type="sae", name="SAE monitor", spec=SAESpec, run=_run, summarize=_summarize,
                      sections=_sections, scorecard=_scorecard, headline=_headline, check=_check,
                      bind=_bind)
