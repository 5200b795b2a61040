"""`proctor superposition ...`: toy models of superposition and interference (registered as `superposition`).

    proctor superposition toy --features 20 --dims 5 --sparsities 0,0.7,0.9,0.97,0.99 [--out DIR] [--json]
    proctor superposition toy --features 400 --dims 30 --importance-decay 1 --steps 10000 --lr 1e-3 \\
        --sparsities log:0:0.998:13 --out runs/sp400                    the paper's dimensionality experiment
    proctor superposition interference [--sparsity 0.9] [--minilm] [--sae SAE_DIR] [--json]

Every command takes `--json`: the last stdout line is then one JSON object (NaN -> null).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from proctor.errors import ConfigError
from ..jsonout import emit_json, finite

superposition_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                                help="Superposition: toy models (Elhage et al. 2022) and interference in real "
                                     "representations.")
out = Console(highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
DEFAULT_SPARSITIES = "0,0.7,0.9,0.97,0.99"


def parse_sparsities(text: str) -> list[float]:
    """"0,0.9,0.99" -> those S values; "log:S0:S1:K" -> K values with 1/(1-S) log-spaced from S0 to S1."""
    text = text.strip()
    try:
        if text.startswith("log:"):
            parts = text[4:].split(":")
            if len(parts) != 3:
                raise ValueError
            lo, hi, k = float(parts[0]), float(parts[1]), int(parts[2])
            if not (0 <= lo < 1 and 0 <= hi < 1 and k >= 1):
                raise ValueError
            import numpy as np

            dens = np.logspace(np.log10(1 - lo), np.log10(1 - hi), k)
            vals = [float(1 - d) for d in dens]
        else:
            vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--sparsities {text!r}: expected comma-separated S values in [0, 1) or log:S0:S1:COUNT")
    if not vals:
        raise ConfigError("--sparsities: give at least one value")
    for v in vals:
        if not 0 <= v < 1:
            raise ConfigError(f"--sparsities: S = {v:g} is out of range; S must be in [0, 1)")
    return vals


def _sweep(features, dims, sparsities, importance_decay, steps, lr, batch_size, seed):
    from .toy import ToySweep

    return ToySweep(n_features=features, n_hidden=dims, densities=tuple(1 - s for s in parse_sparsities(sparsities)),
                    importance_decay=importance_decay, steps=steps, lr=lr, batch_size=batch_size, seed=seed)


Features = Annotated[int, typer.Option("--features", help="n: sparse input features.")]
Dims = Annotated[int, typer.Option("--dims", help="m: hidden dimensions (m < n).")]
Decay = Annotated[float, typer.Option(help="Importance I_i = decay^i (1 = uniform).")]
Steps = Annotated[int, typer.Option(help="Adam steps (all models train at once).")]


@superposition_app.command()
def toy(
    features: Features = 20, dims: Dims = 5,
    sparsities: Annotated[str, typer.Option(help="S values, comma-separated, or log:S0:S1:COUNT.")]
    = DEFAULT_SPARSITIES,
    importance_decay: Decay = 0.7, steps: Steps = 2000, lr: float = 1e-2, batch_size: int = 1024, seed: int = 0,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Write DIR/models.npz, DIR/summary.json and "
                                                                  "DIR/report.html.")] = None,
    as_json: JsonOpt = False,
):
    """Train one toy model per sparsity (batched); print represented features, D* and dimensionality fractions."""
    import time

    import torch

    from .toy import sweep_summary, train_toy_models

    sweep = _sweep(features, dims, sparsities, importance_decay, steps, lr, batch_size, seed)
    torch.set_num_threads(1)
    start = time.perf_counter()
    models = train_toy_models(sweep, progress=True)
    seconds = time.perf_counter() - start
    summary = sweep_summary(models)
    summary["seconds"] = seconds
    out.print(f"{len(sweep.densities)} models, n={features}, m={dims}, trained together in {seconds:.1f} s")
    for r in summary["models"]:
        fr = ", ".join(f"{k}:{v}" for k, v in r["fractions"].items() if v)
        out.print(f"S={r['sparsity']:<7.4g} loss {r['loss']:.3g}  represented {r['represented']:3d}  "
                  f"D*={r['dims_per_feature']:.3f}  D_i fractions {escape(fr) or '-'}")
    d = summary["dense"]
    out.print(f"densest model keeps features {d['kept']}: "
              f"{'the' if d['pca_like'] else 'NOT the'} {dims} most important (PCA-like)")
    if out_dir is not None:
        import numpy as np

        from ..report import render_report
        from .report import toy_section

        out_dir.mkdir(parents=True, exist_ok=True)
        np.savez(out_dir / "models.npz", W=models.W, b=models.b, loss=models.loss, sparsities=models.sparsities)
        (out_dir / "summary.json").write_text(json.dumps(finite(summary)))
        render_report(out_dir / "report.html", title="Proctor: toy models of superposition",
                      meta={"features": features, "dims": dims, "seed": seed},
                      sections=[toy_section(summary, models.W, models.b)])
        out.print(f"report: {escape(str(out_dir / 'report.html'))}")
        summary["out"] = str(out_dir)
    if as_json:
        for r in summary["models"]:  # per-feature lists stay in summary.json
            for key in ("norms", "superposition"):
                r.pop(key, None)
        emit_json(summary)


@superposition_app.command()
def interference(
    features: Features = 20, dims: Dims = 5,
    sparsity: Annotated[float, typer.Option(help="S of the toy model whose features are ablated.")] = 0.9,
    importance_decay: Decay = 0.7, steps: Steps = 2000, seed: int = 0,
    minilm: Annotated[bool, typer.Option("--minilm", help="Also measure MiniLM's FFN neurons of --block on SST-2 "
                                                         "(needs PROCTOR_DATA).")] = False,
    block: Annotated[int, typer.Option(help="MiniLM block (1-6) whose FFN neurons are the dictionary.")] = 6,
    sae: Annotated[Optional[Path], typer.Option(help="Also measure an SAE folder saved by `proctor sae`.")] = None,
    suppress: Annotated[int, typer.Option(help="Latents suppressed one at a time (real representations).")] = 32,
    texts: Annotated[int, typer.Option(help="SST-2 test sentences whose token activations are used.")] = 400,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Write DIR/report.html.")] = None,
    as_json: JsonOpt = False,
):
    """Ablate one feature at a time: measured damage to the others vs the W_i.W_j prediction (toy), and the
    interference / collateral effects of MiniLM neurons and SAE latents (real)."""
    import torch

    from .interference import toy_interference
    from .toy import ToySweep, train_toy_models

    if not 0 <= sparsity < 1:
        raise ConfigError(f"--sparsity {sparsity:g} is out of range; S must be in [0, 1)")
    if suppress < 1 or texts < 20:
        raise ConfigError("--suppress must be >= 1 and --texts >= 20")
    torch.set_num_threads(1)
    sweep = ToySweep(n_features=features, n_hidden=dims, densities=(1 - sparsity,),
                     importance_decay=importance_decay, steps=steps, seed=seed)
    toy_res = toy_interference(train_toy_models(sweep), 0, seed=seed)
    s = toy_res["summary"]
    a = s["data_agreement"]
    out.print(f"toy n={features} m={dims} S={sparsity:g}: {s['pairs']} (ablated, affected) pairs; "
              f"max |measured - predicted| (ReLU active) = {_g(s['probe_max_abs_error_active'])}, "
              f"Pearson r = {_g(s['probe_pearson'])}; on its data: Pearson r = {_g(s.get('data_pearson'))}, "
              f"pairs flagged & affected / flagged only / affected only = {a['flagged_and_affected']}/"
              f"{a['flagged_only']}/{a['affected_only']}")
    for p in toy_res["top_pairs"][:5]:
        out.print(f"  ablate {p['ablated']:2d} -> feature {p['affected']:2d}: cos {p['cosine']:+.2f}, predicted "
                  f"{p['predicted']:.3f}, measured {p['measured']:.3f}")
    payload = {"toy": toy_res, "real": []}
    dictionaries = []
    if minilm or sae is not None:
        from .real import minilm_neurons, sae_dictionary

        if minilm:
            dictionaries.append(minilm_neurons(block))
        if sae is not None:
            dictionaries.append(sae_dictionary(sae))
    if dictionaries:
        from .real import real_interference, sst2_activations

        acts: dict = {}  # one capture per layer, shared by the dictionaries that read it
        for d in dictionaries:
            if d.layer not in acts:
                acts[d.layer] = sst2_activations(d.layer, n_test=texts, seed=seed)
            r = real_interference(d, suppress_count=suppress, n_test=texts, seed=seed, activations=acts[d.layer])
            g, c = r["geometry"], r["collateral"]["summary"]
            out.print(f"{escape(d.name)}: mean max|cos| {g['max_cos_mean']:.3f} (random {g['random_max_cos_mean']:.3f},"
                      f" Welch {g['welch_bound']:.3f}); median D_i {g['dimensionality_median']:.3f}; suppressing one "
                      f"latent moves {c.get('moved_per_row', float('nan')):.1f} others per row, flips "
                      f"{c.get('probe_flipped', float('nan')):.2%} of probe predictions")
            payload["real"].append(r)
    if out_dir is not None:
        from ..report import render_report
        from .report import interference_table, real_section
        from ..report.render import Section

        out_dir.mkdir(parents=True, exist_ok=True)
        sections = [Section("Toy interference", "", [interference_table(toy_res)])]
        if payload["real"]:
            sections.append(real_section(payload["real"]))
        render_report(out_dir / "report.html", title="Proctor: interference", meta={"seed": seed}, sections=sections)
        (out_dir / "interference.json").write_text(json.dumps(finite(payload)))
        payload["out"] = str(out_dir)
    if as_json:
        for r in payload["real"]:
            r["geometry"].pop("max_cos", None)
            r["geometry"].pop("random_max_cos", None)
        emit_json(payload)


def _g(x) -> str:
    return "—" if x is None else f"{x:.3g}"
