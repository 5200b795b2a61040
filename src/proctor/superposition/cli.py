"""`proctor superposition ...`: toy models of superposition and interference (registered as `superposition`). Each
verb runs the technique's experiment as a one-experiment suite (resumable, reported like `proctor run`); options
default to the spec's (proctor.superposition.spec.SuperpositionSpec).

    proctor superposition toy --features 20 --dims 5 --sparsities 0,0.7,0.9,0.97,0.99 [--out DIR] [--json]
    proctor superposition toy --features 400 --dims 30 --importance-decay 1 --steps 10000 --lr 1e-3 \\
        --sparsities log:0:0.998:13 --out runs/sp400                    the paper's dimensionality experiment
    proctor superposition interference [--sparsity 0.9] [--minilm] [--sae SAE_DIR] [--json]

Every command takes `--json`: the last stdout line is then one JSON object (NaN -> null).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ConfigError
from ..options import check_out_dir, spec_default, spec_option
from .spec import SuperpositionSpec as S

superposition_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                                help="Superposition: toy models (Elhage et al. 2022) and interference in real "
                                     "representations.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the spec).")]
Features = Annotated[Optional[int], spec_option(S, "features", "--features")]
Dims = Annotated[Optional[int], spec_option(S, "dims", "--dims")]
Decay = Annotated[Optional[float], spec_option(S, "importance_decay")]
Steps = Annotated[Optional[int], spec_option(S, "steps")]
Seed = Annotated[Optional[int], spec_option(S, "seed")]


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


def _run(spec, out_dir: Optional[Path]):
    """run_one, timed: (summary, run_dir, seconds)."""
    import time

    from ..runs.executor import run_one
    from ..term import err

    t0 = time.perf_counter()
    summary, run_dir = run_one(spec, out_dir, err)
    return summary, run_dir, time.perf_counter() - t0


@superposition_app.command()
def toy(
    features: Features = None, dims: Dims = None,
    sparsities: Annotated[Optional[str], spec_option(S, "sparsities", help="S values, comma-separated, or "
                                                     "log:S0:S1:COUNT (default: 0,0.7,0.9,0.97,0.99).")] = None,
    importance_decay: Decay = None, steps: Steps = None,
    lr: Annotated[Optional[float], spec_option(S, "lr")] = None,
    batch_size: Annotated[Optional[int], spec_option(S, "batch_size")] = None,
    seed: Seed = None, out_dir: OutOpt = None, as_json: JsonOpt = False,
):
    """Train one toy model per sparsity (batched); print represented features, D* and dimensionality fractions.
    The run directory also gets models.npz (W, b, loss, sparsities)."""
    import io

    import numpy as np

    from ..atomic import write_atomic
    from ..jsonout import emit_json
    from ..runs.spec import validate
    from ..runs.store import RunStore
    from ..term import out, safe
    from .experiment import stored_models

    check_out_dir(out_dir)
    given = dict(features=features, dims=dims, importance_decay=importance_decay, steps=steps, lr=lr,
                 batch_size=batch_size, seed=seed,
                 sparsities=parse_sparsities(sparsities) if sparsities is not None else None)
    # one sweep, no interference check (`proctor superposition interference` runs that)
    spec = validate(S, {k: v for k, v in given.items() if v is not None} | {"seeds": 1, "interference_sparsity": None},
                    "command line")
    summary, run_dir, seconds = _run(spec, out_dir)
    sweep = dict(summary["sweeps"][0], seconds=seconds, out=str(run_dir))
    with RunStore(run_dir) as store:
        models = stored_models(store, spec, spec.seed)
    buf = io.BytesIO()
    np.savez(buf, W=models.W, b=models.b, loss=models.loss, sparsities=models.sparsities)
    write_atomic(run_dir / "models.npz", buf.getvalue())
    out.print(f"{len(spec.sparsities)} models, n={spec.features}, m={spec.dims}, trained together; run finished in "
              f"{seconds:.1f} s")
    for r in sweep["models"]:
        fr = ", ".join(f"{k}:{v}" for k, v in r["fractions"].items() if v)
        out.print(f"S={r['sparsity']:<7.4g} loss {r['loss']:.3g}  represented {r['represented']:3d}  "
                  f"D*={r['dims_per_feature']:.3f}  D_i fractions {safe(fr) or '-'}")
    d = sweep["dense"]
    out.print(f"densest model keeps features {d['kept']}: "
              f"{'the' if d['pca_like'] else 'NOT the'} {spec.dims} most important (PCA-like)")
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        sweep.pop("W", None)
        sweep.pop("b", None)
        for r in sweep["models"]:  # per-feature lists stay in the run's summary.json
            for key in ("norms", "superposition"):
                r.pop(key, None)
        emit_json(sweep)


@superposition_app.command()
def interference(
    features: Features = None, dims: Dims = None,
    sparsity: Annotated[Optional[float], spec_option(S, "interference_sparsity", "--sparsity", help=(
        f"S of the toy model whose features are ablated one at a time (default: "
        f"{spec_default(S, 'interference_sparsity')})."))] = None,
    importance_decay: Decay = None, steps: Steps = None, seed: Seed = None,
    minilm: Annotated[Optional[bool], spec_option(S, "minilm", "--minilm")] = None,
    block: Annotated[Optional[int], spec_option(S, "block")] = None,
    sae: Annotated[Optional[Path], spec_option(S, "sae")] = None,
    suppress: Annotated[Optional[int], spec_option(S, "suppress")] = None,
    texts: Annotated[Optional[int], spec_option(S, "texts")] = None,
    out_dir: OutOpt = None, as_json: JsonOpt = False,
):
    """Ablate one feature at a time: measured damage to the others vs the W_i.W_j prediction (a toy model trained at
    --sparsity alone), and the interference / collateral effects of MiniLM neurons and SAE latents (real). The run
    directory also gets interference.json."""
    import json

    from ..atomic import write_atomic
    from ..jsonout import emit_json, finite
    from ..options import spec_from_options
    from ..term import out, safe
    from .report import fmt_g

    check_out_dir(out_dir)
    sp = spec_default(S, "interference_sparsity") if sparsity is None else sparsity
    if not 0 <= sp < 1:
        raise ConfigError(f"--sparsity {sp:g} is out of range; S must be in [0, 1)")
    spec = spec_from_options(S, features=features, dims=dims, sparsities=[sp], interference_sparsity=sp,
                             importance_decay=importance_decay, steps=steps, seed=seed, seeds=1, minilm=minilm,
                             block=block, sae=str(sae) if sae is not None else None, suppress=suppress, texts=texts)
    summary, run_dir, _ = _run(spec, out_dir)
    toy_res = summary["interference"][0]
    s = toy_res["summary"]
    a = s["data_agreement"]
    out.print(f"toy n={spec.features} m={spec.dims} S={spec.interference_sparsity:g}: {s['pairs']} (ablated, "
              f"affected) pairs; max |measured - predicted| (ReLU active) = {fmt_g(s['probe_max_abs_error_active'])}, "
              f"Pearson r = {fmt_g(s['probe_pearson'])}; on its data: Pearson r = {fmt_g(s.get('data_pearson'))}, "
              f"pairs flagged & affected / flagged only / affected only = {a['flagged_and_affected']}/"
              f"{a['flagged_only']}/{a['affected_only']}")
    for p in toy_res["top_pairs"][:5]:
        out.print(f"  ablate {p['ablated']:2d} -> feature {p['affected']:2d}: cos {p['cosine']:+.2f}, predicted "
                  f"{p['predicted']:.3f}, measured {p['measured']:.3f}")
    for r in summary["real"]:
        g, c = r["geometry"], r["collateral"]["summary"]
        out.print(f"{safe(r['dictionary'])}: mean max|cos| {g['max_cos_mean']:.3f} (random "
                  f"{g['random_max_cos_mean']:.3f}, Welch {g['welch_bound']:.3f}); median D_i "
                  f"{g['dimensionality_median']:.3f}; suppressing one latent moves "
                  f"{c.get('moved_per_row', float('nan')):.1f} others per row, flips "
                  f"{c.get('probe_flipped', float('nan')):.2%} of probe predictions")
    payload = {"toy": toy_res, "real": summary["real"]}
    write_atomic(run_dir / "interference.json", json.dumps(finite(payload)))
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        for r in payload["real"]:
            r["geometry"].pop("max_cos", None)
            r["geometry"].pop("random_max_cos", None)
        emit_json(payload | {"out": str(run_dir)})
