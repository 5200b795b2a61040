"""`proctor sae ...`: train SAEs, find contrastive features, compare monitors (registered as `sae` by the main CLI).

    proctor sae train --text sst2,hh,sycophancy --site resid.3 --out runs/sae    capture MiniLM and train
    proctor sae train --acts shards/ --site resid.3 --out runs/sae                train on saved activation shards
    proctor sae features runs/sae --set sycophancy                                latents ranked by AUROC + examples
    proctor sae monitor runs/sae --set hh                                         SAE monitor vs probes at 1% / 5% FPR
    proctor sae study --out runs/sae-study                                        the whole loop + report.html
    torchrun --nproc_per_node 2 -m proctor.cli sae train --acts shards/ ...       DDP (gloo on CPU, nccl on CUDA)

Every command takes `--json`: the last stdout line is then one JSON object (NaN -> null).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from proctor.errors import ConfigError
from ..jsonout import emit_json

sae_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Sparse autoencoders: train, find contrastive features, monitor, suppress.")
out = Console(highlight=False, soft_wrap=True)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
SetOpt = Annotated[str, typer.Option("--set", help="Contrastive set: sycophancy, hh or sst2.")]
SizeOpt = Annotated[Optional[int], typer.Option(min=10, help="Pairs (sycophancy, hh) or training sentences (sst2).")]


def safe(text: object, limit: int = 160) -> str:
    """Data-written text for the terminal: control / bidi characters dropped, newlines flattened, markup escaped."""
    s = _CONTROL.sub(" ", str(text))
    return escape(s if len(s) <= limit else s[:limit] + "...")


def _sets(text: str) -> tuple[str, ...]:
    from .contrast import SETS

    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in names if s not in SETS]
    if not names or bad:
        raise ConfigError(f"--text / --sets: unknown set(s) {', '.join(bad) or '(none)'}; known: {', '.join(SETS)}")
    return names


@sae_app.command()
def train(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for sae.safetensors + config.json.")],
    text: Annotated[Optional[str], typer.Option(help="Capture these sets' training texts (comma list).")] = None,
    acts: Annotated[Optional[Path], typer.Option(help="Or train on activation shards (save_shards).")] = None,
    model: Annotated[str, typer.Option(help="Model name, folder or Hub id (with --text).")] = "minilm",
    site: Annotated[str, typer.Option(help="resid.N or mlp.N (block N, from 1).")] = "resid.3",
    architecture: Annotated[str, typer.Option(help="topk, batchtopk or relu.")] = "topk",
    expansion: Annotated[int, typer.Option(min=1, help="Latents per input dimension.")] = 8,
    latents: Annotated[int, typer.Option(min=0, help="Dictionary size (0: expansion * d_in).")] = 0,
    k: Annotated[int, typer.Option(min=1, help="Active latents per token (topk / batchtopk).")] = 32,
    batch_size: Annotated[int, typer.Option(min=2)] = 4096,
    epochs: Annotated[float, typer.Option(min=0.01)] = 8.0,
    steps: Annotated[Optional[int], typer.Option(min=1)] = None,
    lr: Annotated[Optional[float], typer.Option(help="Default: 2e-4 / sqrt(latents / 2^14).")] = None,
    bf16: Annotated[bool, typer.Option("--bf16", help="bf16 autocast forward.")] = False,
    max_rows: Annotated[int, typer.Option(min=2, help="Cap on training tokens.")] = 300_000,
    size: SizeOpt = None,
    seed: int = 0,
    as_json: JsonOpt = False,
):
    """Train a sparse autoencoder on one site's activations and save it (safetensors + JSON config)."""
    from .checkpoint import save_sae
    from .config import SAEConfig, TrainConfig
    from .metrics import reconstruction_stats
    from .train import _distributed, train_sae

    if (text is None) == (acts is None):
        raise ConfigError("give exactly one of --text SETS or --acts SHARD_FOLDER")
    if architecture not in ("topk", "batchtopk", "relu"):
        raise ConfigError(f"--architecture {architecture!r}: expected topk, batchtopk or relu")
    if acts is not None:
        import numpy as np

        from .capture import Site, load_shards

        rows, _ = load_shards(acts, str(Site.parse(site)))
        if len(rows) > max_rows:
            rows = rows[np.sort(np.random.default_rng(seed).choice(len(rows), max_rows, replace=False))]
        source = str(acts)
    else:
        from .study import StudyConfig, capture_sets, split_rows

        names = _sets(text)
        cfg = StudyConfig(model=model, site=site, sets=names, seed=seed)
        if size is not None:
            cfg.sizes = {n: size for n in names}
        captured, _ = capture_sets(cfg)
        rows = split_rows(captured, True, max_rows, seed)
        source = f"{model} {site} on {text}"
    try:
        sae_cfg = SAEConfig(d_in=int(rows.shape[1]), num_latents=latents, expansion_factor=expansion, k=k,
                            architecture=architecture, site=site, model=model)
        tcfg = TrainConfig(batch_size=batch_size, epochs=epochs, steps=steps, lr=lr, bf16=bf16, seed=seed)
    except ValueError as e:
        raise ConfigError(" ".join(str(e).split())[:300]) from None
    res = train_sae(rows, sae_cfg, tcfg)
    rank, world = _distributed()
    stats = reconstruction_stats(res.sae, rows[:100_000])
    payload = {"out": str(out_dir), "rows": int(len(rows)), "source": source, "steps": res.steps,
               "seconds": res.seconds, "rows_per_second": res.rows_per_second, "world_size": world,
               "num_latents": sae_cfg.num_latents, "k": k, "architecture": architecture, **stats}
    if rank == 0:
        save_sae(res.sae, out_dir)
        (out_dir / "train.json").write_text(json.dumps({**payload, "history": res.history}, indent=1))
        out.print(f"trained {architecture} SAE ({sae_cfg.num_latents:,} latents, k={k}) on {len(rows):,} rows from "
                  f"{safe(source)} in {res.seconds:.1f} s ({res.rows_per_second:,.0f} rows/s, {world} process(es)): "
                  f"FVU {stats['fvu']:.3f}, L0 {stats['l0']:.1f}, dead {stats['dead_fraction']:.1%} -> "
                  f"{escape(str(out_dir))}")
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
    from .checkpoint import load_sae

    sae = load_sae(sae_dir)
    model = model or sae.cfg.model or "minilm"
    site = site or sae.cfg.site
    if not site:
        raise ConfigError(f"{sae_dir}: the SAE config names no site; pass --site")
    return sae, model, site


def _captured(sae, model, site, set_name, size, seed):
    from .capture import ActivationCapture
    from .contrast import load_contrast
    from .study import Captured

    cs = load_contrast(set_name, size, seed=seed)
    cap = ActivationCapture(model, [site])
    if cap.dim != sae.d_in:
        raise ConfigError(f"the SAE reads {sae.d_in}-d activations; {model} {site} gives {cap.dim}-d")
    rows, owner = cap.tokens(cs.texts)
    return Captured(cs, rows, owner), cap


@sae_app.command()
def features(
    sae_dir: Annotated[Path, typer.Argument(help="SAE folder (Proctor or sparsify layout).")],
    set_name: SetOpt = "sst2", size: SizeOpt = None,
    model: Annotated[Optional[str], typer.Option(help="Default: the model in the SAE config.")] = None,
    site: Annotated[Optional[str], typer.Option(help="Default: the site in the SAE config.")] = None,
    top: Annotated[int, typer.Option(min=1)] = 10,
    pooling: Annotated[str, typer.Option(help="mean or max over tokens.")] = "mean",
    seed: int = 0, as_json: JsonOpt = False,
):
    """Rank latents by AUROC between a set's flagged and reference texts; top-activating examples of the best."""
    from .features import pooled_codes, rank_latents, top_examples
    from .study import token_strings

    if pooling not in ("mean", "max"):
        raise ConfigError(f"--pooling {pooling!r}: expected mean or max")
    sae, model, site = _load(sae_dir, model, site)
    c, cap = _captured(sae, model, site, set_name, size, seed)
    cs = c.contrast
    Z = pooled_codes(sae, c.rows, c.owner, len(cs.texts), pooling)
    ranking = rank_latents(Z[cs.train], cs.labels[cs.train], top=top)
    tokens_of = token_strings(cap.load()[0], cap.max_length)

    out.print(f"{set_name}: {cs.flagged} (flagged) vs {cs.reference}; {int(cs.train.sum())} training texts")
    found = top_examples(sae, c.rows, c.owner, cs.texts, [r["latent"] for r in ranking], n=3, tokens_of=tokens_of)
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
    sae_dir: Annotated[Path, typer.Argument(help="SAE folder (Proctor or sparsify layout).")],
    set_name: SetOpt = "sst2", size: SizeOpt = None,
    model: Annotated[Optional[str], typer.Option(help="Default: the model in the SAE config.")] = None,
    site: Annotated[Optional[str], typer.Option(help="Default: the site in the SAE config.")] = None,
    n_boot: Annotated[int, typer.Option(min=100)] = 1000,
    seed: int = 0, as_json: JsonOpt = False,
):
    """SAE-feature monitor vs difference-of-means and logistic probes: AUROC, TPR at 1% / 5% FPR, with CIs."""
    from .study import StudyConfig, evaluate_set

    sae, model, site = _load(sae_dir, model, site)
    c, _ = _captured(sae, model, site, set_name, size, seed)
    res = evaluate_set(sae, c, StudyConfig(model=model, site=site, n_boot=n_boot, seed=seed), top=5, examples=0)
    out.print(f"{set_name}: {res['flagged']} vs {res['reference']}; {res['test_texts']} test texts")
    for name, m in res["monitors"].items():
        out.print(f"{name:14s} AUROC {_ci(m['auroc'])}  TPR@1% {_ci(m['tpr@1%'])}  TPR@5% {_ci(m['tpr@5%'])}  "
                  f"realised FPR {m['realised_fpr@1%']:.3f} / {m['realised_fpr@5%']:.3f}")
    if as_json:
        emit_json({"model": model, "site": site, **res})


def _ci(m: dict) -> str:
    return f"{m['value']:.3f} [{m['ci'][0]:.3f}, {m['ci'][1]:.3f}]"


@sae_app.command()
def study(
    out_dir: Annotated[Path, typer.Option("--out", help="Writes sae/, study.json and report.html here.")],
    model: str = "minilm", site: str = "resid.3",
    sets: Annotated[str, typer.Option(help="Contrastive sets, comma list.")] = "sycophancy,hh,sst2",
    expansion: int = 8, k: int = 32, architecture: str = "topk",
    epochs: Annotated[float, typer.Option(min=0.01)] = 8.0, batch_size: int = 4096,
    max_rows: int = 300_000, n_boot: int = 1000, seed: int = 0,
    quick: Annotated[bool, typer.Option(help="Small sets and few epochs (a smoke run).")] = False,
    as_json: JsonOpt = False,
):
    """The whole loop: capture, train, features, monitors vs probes, splice cost, suppression; HTML report."""
    from ..report import render_report
    from .checkpoint import save_sae
    from .config import TrainConfig
    from .report import study_sections
    from .study import StudyConfig, run_study

    sizes = {"sycophancy": 600, "hh": 1000, "sst2": 2000}
    if quick:
        sizes, epochs, n_boot = {"sycophancy": 100, "hh": 150, "sst2": 300}, min(epochs, 2.0), 200
    try:
        cfg = StudyConfig(model=model, site=site, sets=_sets(sets), sizes=sizes, expansion_factor=expansion, k=k,
                          architecture=architecture, train=TrainConfig(batch_size=batch_size, epochs=epochs,
                                                                       seed=seed),
                          max_train_rows=max_rows, n_boot=n_boot, seed=seed)
    except ValueError as e:
        raise ConfigError(" ".join(str(e).split())[:300]) from None
    res = run_study(cfg)
    sae = res.pop("_sae")
    out_dir.mkdir(parents=True, exist_ok=True)
    save_sae(sae, out_dir / "sae")
    from ..jsonout import finite

    (out_dir / "study.json").write_text(json.dumps(finite(res), indent=1, default=str))
    render_report(out_dir / "report.html", title=f"Proctor SAE study: {model} {site}",
                  meta={"model": model, "site": site, "seed": seed}, sections=study_sections(res))
    rec = res["reconstruction"]["test"]
    out.print(f"SAE {sae.num_latents:,} latents: held-out FVU {rec['fvu']:.3f}, L0 {rec['l0']:.1f}, dead "
              f"{rec['dead_fraction']:.1%}")
    for name, s in res["sets"].items():
        for mname, m in s["monitors"].items():
            out.print(f"{name:11s} {mname:14s} AUROC {_ci(m['auroc'])}  TPR@1% {_ci(m['tpr@1%'])}")
    out.print(f"report: {escape(str(out_dir / 'report.html'))}")
    if as_json:
        emit_json({"out": str(out_dir), "reconstruction": res["reconstruction"],
                   "sets": {n: s["monitors"] for n, s in res["sets"].items()}, "splice": res.get("splice"),
                   "suppression": res.get("suppression"), "seconds": res["seconds"]})
