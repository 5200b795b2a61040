"""The superposition experiment as resumable units in a run store; the one runner of `proctor run` and of
`proctor superposition toy | interference`.

    "toy_sweep"         per seed: every sparsity's toy model trained at once (the matrices are the unit's arrays)
    "toy_interference"  per seed: ablate each feature of the model at `interference_sparsity`, measured damage vs the
                        (W_k . W_j)^2 / ||W_k||^2 prediction
    "real"              per dictionary (MiniLM FFN neurons, an SAE folder): decoder interference, dimensionality and
                        the collateral effects of suppressing latents, on SST-2 token activations

Superposition measures an obstacle to interpretability-based oversight, not an overseer, so it adds no scorecard row.
"""

from __future__ import annotations

import numpy as np

from .spec import SuperpositionSpec


def sweep_config(spec: SuperpositionSpec, seed: int) -> dict:
    return {"unit": "toy_sweep", **spec.sweep(seed).config()}


def real_config(spec: SuperpositionSpec, source: str) -> dict:
    config = {"unit": "real", "source": source, "suppress": spec.suppress, "texts": spec.texts,
              "block": spec.block if source == "minilm" else None}
    # seed 0 keeps the key that units had before the spec had a seed
    return config | ({"seed": spec.seed} if spec.seed else {})


def sources(spec: SuperpositionSpec) -> list[str]:
    """The real-representation dictionaries to measure: "minilm" and / or an SAE folder."""
    return (["minilm"] if spec.minilm else []) + ([spec.sae] if spec.sae else [])


def interference_index(spec: SuperpositionSpec) -> int:
    return min(range(len(spec.sparsities)), key=lambda i: abs(spec.sparsities[i] - spec.interference_sparsity))


def stored_models(store, spec: SuperpositionSpec, seed: int, unit=None):
    """The trained ToyModels of one seed's sweep, read back from the store (None before it is trained)."""
    from ..runs.store import unit_key
    from .toy import ToyModels

    unit = unit or store.get(unit_key(sweep_config(spec, seed)))
    if unit is None:
        return None
    arrays = store.arrays(unit.key)
    return ToyModels(spec.sweep(seed), arrays["W"], arrays["b"], arrays["loss"])


def run(spec: SuperpositionSpec, store, on_unit) -> None:
    """Every unit of the experiment not yet in the store."""
    from ..device import single_thread
    from .toy import sweep_summary, train_toy_models

    with single_thread():
        for seed in spec.seed_list():
            sweep = spec.sweep(seed)
            config = sweep_config(spec, seed)

            def compute(sweep=sweep):
                models = train_toy_models(sweep, progress=True)
                return sweep_summary(models), {"W": models.W, "b": models.b, "loss": models.loss}

            unit, computed = store.get_or_compute(spec.title, "toy_sweep", config, compute)
            on_unit(f"toy sweep seed {seed}", unit, computed)
            if spec.interference_sparsity is None:
                continue
            iconfig = {"unit": "toy_interference", "sweep": config, "index": interference_index(spec)}

            def compute_i(unit=unit, seed=seed, index=iconfig["index"]):
                from .interference import toy_interference

                return toy_interference(stored_models(store, spec, seed, unit), index, seed=seed), {}

            iu, computed = store.get_or_compute(spec.title, "toy_interference", iconfig, compute_i)
            on_unit(f"toy interference seed {seed}", iu, computed)
        activations: dict = {}  # SST-2 activations per layer, shared by the dictionaries that read it
        for source in sources(spec):
            def compute_r(source=source):
                from .real import minilm_neurons, real_interference, sae_dictionary, sst2_activations

                d = minilm_neurons(spec.block) if source == "minilm" else sae_dictionary(source)
                if d.layer not in activations:
                    activations[d.layer] = sst2_activations(d.layer, n_test=spec.texts, seed=spec.seed)
                r = real_interference(d, suppress_count=spec.suppress, n_test=spec.texts, seed=spec.seed,
                                      activations=activations[d.layer])
                g = r["geometry"]
                arrays = {k: np.asarray(g.pop(k)) for k in ("max_cos", "random_max_cos")}
                return r, arrays

            ru, computed = store.get_or_compute(spec.title, "real", real_config(spec, source), compute_r)
            on_unit(f"real interference {source}", ru, computed)


def check(spec: SuperpositionSpec) -> None:
    """An SAE folder to measure must load, before the run directory is touched."""
    if spec.sae:
        from .real import sae_dictionary

        sae_dictionary(spec.sae)
