"""`proctor sae ...`: train SAEs, find contrastive features, compare monitors (registered as `sae` by the main CLI).
Options that name a spec field default to the spec's (proctor.sae.spec.SAESpec).

    proctor sae study --out runs/sae-study                                        the whole loop (a one-experiment
                                                                                  suite: resumable, report.html)
    proctor sae train --text sst2,hh,sycophancy --site resid.3 --out runs/sae    capture MiniLM and train
    proctor sae train --acts shards/ --site resid.3 --out runs/sae                train on saved activation shards
    proctor sae features runs/sae --set sycophancy                                latents ranked by AUROC + examples
    proctor sae monitor runs/sae --set hh                                         SAE monitor vs probes at 1% / 5% FPR
    proctor sae export runs/sae --format saelens --out runs/sae-saelens           for sae_lens.SAE.load_from_disk
    torchrun --nproc_per_node 2 -m proctor.cli sae train --acts shards/ ...       DDP (gloo on CPU, nccl on CUDA)

Every command takes `--json`: the last stdout line is then one JSON object (NaN -> null).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ConfigError
from ..options import check_out_dir, float_option, spec_option
from .spec import SAESpec

sae_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Sparse autoencoders: train, find contrastive features, monitor, suppress.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
SetOpt = Annotated[str, typer.Option("--set", help="Contrastive set: sycophancy, hh or sst2.")]
SizeOpt = Annotated[Optional[int], typer.Option(min=10, max=1_000_000, help="Pairs (sycophancy, hh) or training "
                                                                              "sentences (sst2).")]
ModelOpt = Annotated[Optional[str], spec_option(SAESpec, "model")]
SiteOpt = Annotated[Optional[str], spec_option(SAESpec, "site")]
ArchOpt = Annotated[Optional[str], spec_option(SAESpec, "architecture")]
ExpansionOpt = Annotated[Optional[int], spec_option(SAESpec, "expansion_factor", "--expansion", min=1)]
KOpt = Annotated[Optional[int], spec_option(SAESpec, "k", min=1)]
EpochsOpt = Annotated[Optional[float], spec_option(SAESpec, "epochs", min=0.01)]
BatchOpt = Annotated[Optional[int], spec_option(SAESpec, "batch_size", min=2)]
MaxRowsOpt = Annotated[Optional[int], spec_option(SAESpec, "max_train_rows", "--max-rows")]
SeedOpt = Annotated[Optional[int], spec_option(SAESpec, "seed")]
NBootOpt = Annotated[Optional[int], spec_option(SAESpec, "n_boot", min=100)]


def _sets(text: str) -> list[str]:
    from .contrast import SETS

    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in names if s not in SETS]
    if not names or bad:
        raise ConfigError(f"--text / --sets: unknown set(s) {', '.join(bad) or '(none)'}; known: {', '.join(SETS)}")
    return names


def _one_set(name: str) -> str:
    from .contrast import SETS

    if name not in SETS:
        raise ConfigError(f"--set {name!r}: unknown set; known: {', '.join(SETS)}")
    return name


@sae_app.command()
def train(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for sae.safetensors + config.json (+ sparsify's "
                                                                 "cfg.json for topk SAEs).")],
    text: Annotated[Optional[str], typer.Option(help="Capture these sets' training texts (comma list).")] = None,
    acts: Annotated[Optional[Path], typer.Option(help="Or train on activation shards (save_shards).")] = None,
    model: ModelOpt = None, site: SiteOpt = None, architecture: ArchOpt = None, expansion: ExpansionOpt = None,
    latents: Annotated[int, typer.Option(min=0, max=2**24, help="Dictionary size (0: expansion * d_in).")] = 0,
    k: KOpt = None, batch_size: BatchOpt = None, epochs: EpochsOpt = None,
    steps: Annotated[Optional[int], typer.Option(min=1, max=10_000_000, help="Optimizer steps (instead of "
                                                                             "--epochs).")] = None,
    lr: Annotated[Optional[float], float_option(gt=0, max=1, help="Default: 2e-4 / sqrt(latents / 2^14).")] = None,
    bf16: Annotated[bool, typer.Option("--bf16", help="bf16 autocast forward.")] = False,
    max_rows: MaxRowsOpt = None,
    size: SizeOpt = None,
    seed: SeedOpt = None,
    as_json: JsonOpt = False,
):
    """Train a sparse autoencoder on one site's activations and save it (safetensors + JSON config)."""
    import json

    from ..atomic import write_atomic
    from ..options import spec_from_options
    from ..term import out, safe
    from .checkpoint import save_sae
    from .metrics import reconstruction_stats
    from .train import _distributed

    check_out_dir(out_dir)  # an --out that cannot take the SAE fails now, not after training
    if (text is None) == (acts is None):
        raise ConfigError("give exactly one of --text SETS or --acts SHARD_FOLDER")
    names = _sets(text) if text is not None else None
    spec = spec_from_options(SAESpec, model=model, site=site, architecture=architecture, expansion_factor=expansion,
                             k=k, batch_size=batch_size, epochs=epochs, max_train_rows=max_rows, seed=seed,
                             sets=names, sizes={n: size for n in names} if names and size is not None else None)
    if acts is not None:
        from .capture import Site, load_shards
        from .experiment import subsample

        rows, _ = load_shards(acts, str(Site.parse(spec.site)))
        rows = subsample(rows, spec.max_train_rows, spec.seed)
        source = str(acts)
    else:
        from .experiment import capture_sets, split_rows

        captured, _ = capture_sets(spec)
        rows = split_rows(captured, True, spec.max_train_rows, spec.seed)
        source = f"{spec.model} {spec.site} on {text}"
    from .experiment import train_on

    res = train_on(rows, spec, num_latents=latents, steps=steps, lr=lr, bf16=bf16)
    rank, world = _distributed()
    stats = reconstruction_stats(res.sae, rows[:100_000])
    n_latents = res.sae.num_latents
    payload = {"out": str(out_dir), "rows": int(len(rows)), "source": source, "steps": res.steps,
               "seconds": res.seconds, "rows_per_second": res.rows_per_second, "world_size": world,
               "num_latents": n_latents, "k": spec.k, "architecture": spec.architecture, **stats}
    if rank == 0:
        from ..jsonout import emit_json

        save_sae(res.sae, out_dir)
        write_atomic(out_dir / "train.json", json.dumps({**payload, "history": res.history}, indent=1))
        out.print(f"trained {spec.architecture} SAE ({n_latents:,} latents, k={spec.k}) on {len(rows):,} rows from "
                  f"{safe(source)} in {res.seconds:.1f} s ({res.rows_per_second:,.0f} rows/s, {world} process(es)): "
                  f"FVU {stats['fvu']:.3f}, L0 {stats['l0']:.1f}, dead {stats['dead_fraction']:.1%} -> "
                  f"{safe(out_dir, 1000)}")
        if as_json:
            emit_json(payload)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
        # torch 2.13's gloo backend sometimes aborts ("terminate called without an active exception") in the static
        # destructors at interpreter exit, after all work is done; torchrun then reports a failed run although the
        # SAE is saved. Measured: 2 of 10 two-process runs aborted that way, 0 of 12 with this hard exit.
        import os
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _load(sae_dir: Path, model: Optional[str], site: Optional[str]):
    """The SAE of a Proctor, sparsify or SAELens folder, with its model and site (options override the folder's);
    a folder that records neither (sparsify's, unless inside a sparsify run) needs --model / --site."""
    from .capture import Site
    from .checkpoint import load_sae

    sae = load_sae(sae_dir)
    model = model or sae.cfg.model
    site = site or sae.cfg.site
    for name, value in (("site", site), ("model", model)):
        if not value:
            raise ConfigError(f"{sae_dir}: the SAE folder records no {name}; pass --{name}")
    site = str(Site.parse(site))
    sae.cfg.site, sae.cfg.model = site, model
    return sae, model, site


def _captured(sae, model, site, set_name, size, seed):
    from .capture import ActivationCapture
    from .contrast import load_contrast
    from .experiment import MAX_LENGTH, Captured

    cs = load_contrast(set_name, size, seed=seed)
    cap = ActivationCapture(model, [site], max_length=MAX_LENGTH)
    if cap.dim != sae.d_in:
        raise ConfigError(f"the SAE reads {sae.d_in}-d activations; {model} {site} gives {cap.dim}-d")
    rows, owner = cap.tokens(cs.texts)
    return Captured(cs, rows, owner), cap


SaeDirArg = Annotated[Path, typer.Argument(help="SAE folder: Proctor's, sparsify's (cfg.json + sae.safetensors, or a "
                                                "run folder with one layers.N) or SAELens's (cfg.json + "
                                                "sae_weights.safetensors).")]
ModelOfSae = Annotated[Optional[str], typer.Option(help="Default: the model in the SAE config.")]
SiteOfSae = Annotated[Optional[str], typer.Option(help="Default: the site in the SAE config.")]


@sae_app.command()
def features(
    sae_dir: SaeDirArg, set_name: SetOpt = "sst2", size: SizeOpt = None, model: ModelOfSae = None,
    site: SiteOfSae = None, top: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
    pooling: Annotated[str, typer.Option(help="mean or max over tokens.")] = "mean",
    seed: SeedOpt = None, as_json: JsonOpt = False,
):
    """Rank latents by AUROC between a set's flagged and reference texts; top-activating examples of the best."""
    from ..jsonout import emit_json
    from ..options import spec_from_options
    from ..term import out, safe
    from .experiment import token_strings
    from .features import pooled_codes, rank_latents, top_examples

    if pooling not in ("mean", "max"):
        raise ConfigError(f"--pooling {pooling!r}: expected mean or max")
    _one_set(set_name)
    spec = spec_from_options(SAESpec, seed=seed)
    sae, model, site = _load(sae_dir, model, site)
    c, cap = _captured(sae, model, site, set_name, size, spec.seed)
    cs = c.contrast
    Z = pooled_codes(sae, c.rows, c.owner, len(cs.texts), pooling)
    ranking = rank_latents(Z[cs.train], cs.labels[cs.train], top=top)
    tokens_of = token_strings(cap.load()[0], cap.max_length)

    out.print(f"{set_name}: {cs.flagged} (flagged) vs {cs.reference}; {int(cs.train.sum())} training texts")
    found = top_examples(sae, c.rows, c.owner, texts=cs.texts, latents=[r["latent"] for r in ranking], n=3,
                         tokens_of=tokens_of)
    for r in ranking:
        r["examples"] = found[r["latent"]]
        out.print(f"latent {r['latent']:6d}  AUROC {r['auroc']:.3f}  mean diff {r['mean_diff']:+.4f}  "
                  f"d {r['cohens_d']:+.2f}  active on {r['frac_active']:.0%}")
        for e in r["examples"][:1]:
            out.print(f"    {e['activation']:.2f} at {safe(e['token'], 30)!r}: {safe(e['text'])}")
    if as_json:
        emit_json({"set": set_name, "model": model, "site": site, "pooling": pooling, "latents": ranking})


@sae_app.command()
def monitor(
    sae_dir: SaeDirArg, set_name: SetOpt = "sst2", size: SizeOpt = None, model: ModelOfSae = None,
    site: SiteOfSae = None, n_boot: NBootOpt = None, seed: SeedOpt = None, as_json: JsonOpt = False,
):
    """SAE-feature monitor vs difference-of-means and logistic probes: AUROC, TPR at 1% / 5% FPR, with CIs."""
    from ..jsonout import emit_json
    from ..options import spec_from_options
    from ..term import out
    from .experiment import evaluate_set
    from .report import value_ci

    _one_set(set_name)
    spec = spec_from_options(SAESpec, n_boot=n_boot, seed=seed)
    sae, model, site = _load(sae_dir, model, site)
    c, _ = _captured(sae, model, site, set_name, size, spec.seed)
    res = evaluate_set(sae, c, n_boot=spec.n_boot, seed=spec.seed, top=5, examples=0)
    out.print(f"{set_name}: {res['flagged']} vs {res['reference']}; {res['test_texts']} test texts")
    for name, m in res["monitors"].items():
        out.print(f"{name:14s} AUROC {value_ci(m['auroc'])}  TPR@1% {value_ci(m['tpr@1%'])}  "
                  f"TPR@5% {value_ci(m['tpr@5%'])}  realised FPR {m['realised_fpr@1%']:.3f} / "
                  f"{m['realised_fpr@5%']:.3f}")
    if as_json:
        emit_json({"model": model, "site": site, **res})


@sae_app.command()
def export(
    sae_dir: Annotated[Path, typer.Argument(help="SAE folder (Proctor, sparsify or SAELens) or a `proctor sae study` "
                                                 "run folder (its sae/).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write (for saelens: not one holding a "
                                                                  "Proctor / sparsify SAE).")],
    fmt: Annotated[str, typer.Option("--format", help="saelens (cfg.json + sae_weights.safetensors, for "
                                                      "sae_lens.SAE.load_from_disk) or sparsify (Proctor's folder, "
                                                      "which sparsify.SparseCoder.load_from_disk reads; topk only).")]
    = "saelens",
    model: ModelOfSae = None, site: SiteOfSae = None, as_json: JsonOpt = False,
):
    """Write an SAE in another tool's layout, with its hook site and model recorded."""
    from ..jsonout import emit_json
    from ..term import out, safe
    from .checkpoint import export_saelens, saelens_hook, save_sae, sparsify_cfg, sparsify_hookpoint

    if fmt not in ("saelens", "sparsify"):
        raise ConfigError(f"--format {fmt!r}: expected saelens or sparsify")
    check_out_dir(out_dir)
    sae, model, site = _load(sae_dir, model, site)
    if fmt == "saelens":
        export_saelens(sae, out_dir)
        where = f"hook {saelens_hook(site)}"
    else:
        sparsify_cfg(sae.cfg)  # refuses batchtopk / relu before anything is written
        save_sae(sae, out_dir)
        where = f"hookpoint {sparsify_hookpoint(site)}"
    out.print(f"{sae.cfg.architecture} SAE ({sae.num_latents:,} latents) of {safe(model)} {site} ({where}) -> "
              f"{safe(out_dir, 1000)} ({fmt})")
    if as_json:
        emit_json({"out": str(out_dir), "format": fmt, "model": model, "site": site, "architecture":
                   sae.cfg.architecture, "num_latents": sae.num_latents})


@sae_app.command()
def study(
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the spec); "
                                                                  "also gets sae/ and study.json.")] = None,
    model: ModelOpt = None, site: SiteOpt = None,
    sets: Annotated[Optional[str], spec_option(SAESpec, "sets", help="Contrastive sets, comma list "
                                               "(default: sycophancy,hh,sst2).")] = None,
    expansion: ExpansionOpt = None, k: KOpt = None, architecture: ArchOpt = None, epochs: EpochsOpt = None,
    batch_size: BatchOpt = None, max_rows: MaxRowsOpt = None, n_boot: NBootOpt = None, seed: SeedOpt = None,
    splice: Annotated[Optional[bool], spec_option(SAESpec, "splice", "--splice/--no-splice")] = None,
    suppress: Annotated[Optional[bool], spec_option(SAESpec, "suppress", "--suppress/--no-suppress")] = None,
    quick: Annotated[bool, typer.Option(help="The quick suite's settings (proctor.sae.spec.QUICK: sst2 only, 300 "
                                             "sentences, 2 epochs); options given override them.")] = False,
    as_json: JsonOpt = False,
):
    """The whole loop as a one-experiment suite: capture, train, features, monitors vs probes, splice cost,
    suppression; report.html."""
    import json
    import time

    from ..atomic import write_atomic
    from ..jsonout import emit_json, finite
    from ..options import spec_from_options
    from ..runs.executor import run_one
    from ..runs.store import RunStore
    from ..term import err, out, safe
    from .checkpoint import save_sae
    from .experiment import trained_sae
    from .report import value_ci
    from .spec import QUICK

    check_out_dir(out_dir)
    given = dict(model=model, site=site, sets=_sets(sets) if sets is not None else None, expansion_factor=expansion,
                 k=k, architecture=architecture, epochs=epochs, batch_size=batch_size, max_train_rows=max_rows,
                 n_boot=n_boot, seed=seed, splice=splice, suppress=suppress)
    spec = spec_from_options(SAESpec, **((QUICK if quick else {}) | {f: v for f, v in given.items() if v is not None}))
    t0 = time.perf_counter()
    summary, run_dir = run_one(spec, out_dir, err)
    seconds = time.perf_counter() - t0
    with RunStore(run_dir) as store:
        sae = trained_sae(store, spec)
    save_sae(sae, run_dir / "sae")
    write_atomic(run_dir / "study.json", json.dumps(finite(summary | {"seconds": seconds}), indent=1, default=str))
    rec = summary["reconstruction"]["test"]
    out.print(f"SAE {sae.num_latents:,} latents: held-out FVU {rec['fvu']:.3f}, L0 {rec['l0']:.1f}, dead "
              f"{rec['dead_fraction']:.1%}")
    for name, s in summary["sets"].items():
        for mname, m in s["monitors"].items():
            out.print(f"{name:11s} {mname:14s} AUROC {value_ci(m['auroc'])}  TPR@1% {value_ci(m['tpr@1%'])}")
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        emit_json({"out": str(run_dir), "reconstruction": summary["reconstruction"],
                   "sets": {n: s["monitors"] for n, s in summary["sets"].items()}, "splice": summary.get("splice"),
                   "suppression": summary["suppression"] if spec.suppress else None, "seconds": seconds})
