"""`proctor tax frontier | interpolate`: thin over proctor.tax.

    proctor tax frontier checkpoints.csv [--name-col checkpoint] [--capability mmlu --capability gsm8k]
                         [--alignment harmless] [--base-col base] [--n-eval 1000] [--report r.html] [--json]
    proctor tax interpolate --tuned FOLDER [--base minilm] [--capability retrieval:boolq] [--alignment probe:sst2]
    proctor tax interpolate --demo [--out DIR]      # fine-tune MiniLM on SST-2 first, then sweep (CPU, ~minutes)
    proctor tax formats --base MODEL --aligned MODEL [--eval gsm8k,boolq] [--formats raw,chat,heldout] [--out DIR]
                        [--formats raw,chat,paraphrase --paraphraser MODEL]     # held-out (reworded) items

User mistakes raise `ProctorError`s; `proctor.cli` mounts these commands with every body wrapped
in its guard (one line, exit 2). `--json` prints one JSON object as the last stdout line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ConfigError, DataError
from ..jsonout import emit_json
from ..options import check_out_dir, check_out_file, spec_default, spec_option
from ..term import err, out, safe
from .spec import DemoConfig, FormatsConfig, FormatsSpec

__all__ = ["tax_app"]

tax_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="The alignment tax: capability-alignment frontiers and weight averaging.")


def _interval(ci, digits: int = 3) -> str:
    """"[lo, hi]" for the console, escaped: rich would swallow "[nan, nan]" as markup."""
    from rich.markup import escape

    return escape(f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]")


@tax_app.command("frontier")
def frontier(
    file: Annotated[Path, typer.Argument(help="Table of checkpoints with capability and alignment scores.")],
    name_col: Annotated[str, typer.Option("--name-col", help="Column naming each checkpoint.")] = "checkpoint",
    capability: Annotated[Optional[list[str]], typer.Option(help="Capability score column; repeatable (averaged). "
                                                                 "Default: capability.")] = None,
    alignment: Annotated[Optional[list[str]], typer.Option(help="Alignment score column; repeatable (averaged). "
                                                                "Default: alignment.")] = None,
    base_col: Annotated[str, typer.Option("--base-col", help="Column naming each checkpoint's base (optional; "
                                                             "used when present).")] = "base",
    n_eval: Annotated[Optional[int], typer.Option(min=1, max=10**9, help="Test examples behind each score (scores in [0, 1]): "
                                                            "binomial bootstrap; default: resample checkpoints.")] = None,
    bootstrap: Annotated[int, typer.Option(min=10, max=100_000, help="Bootstrap replicates for the verdict.")] = 2000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report with the frontier plot here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last.")] = False,
):
    """Pareto frontier of capability vs alignment, its convex/concave verdict, and each checkpoint's tax."""
    import numpy as np

    from ..data.columns import numeric_column, read_table, require_columns, text_column
    from .frontier import alignment_tax, frontier_verdict

    check_out_file(report, "--report")
    cap_cols, ali_cols = capability or ["capability"], alignment or ["alignment"]
    df = read_table(file)
    require_columns(df, file, {name_col: "--name-col"} | {c: "--capability" for c in cap_cols}
                    | {c: "--alignment" for c in ali_cols})
    names = text_column(df, file, name_col)
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(f"{file}: column '{name_col}': checkpoint '{dup[0]}' appears more than once")
    columns = {c: numeric_column(df, file, c) for c in dict.fromkeys(cap_cols + ali_cols)}
    cap = np.mean([columns[c] for c in cap_cols], axis=0)
    ali = np.mean([columns[c] for c in ali_cols], axis=0)
    if n_eval is not None:
        for col, v in columns.items():
            bad = np.flatnonzero((v < 0) | (v > 1))
            if bad.size:
                raise DataError(f"{file}: row {bad[0] + 1}, column '{col}': --n-eval needs scores in [0, 1], got "
                                f"{v[bad[0]]:g}")
    bases = text_column(df, file, base_col, required=False) if base_col in df.columns else [""] * len(names)
    try:
        taxes = alignment_tax(names, cap, ali, bases)
    except ValueError as e:
        raise DataError(f"{file}: column '{base_col}': {e}") from None
    index = {n: i for i, n in enumerate(names)}
    for t in taxes:  # each score column's own change, so an averaged tax can be traced to the benchmark that paid it
        i, j = index[t["checkpoint"]], index[t["base"]]
        t["columns"] = {c: float(v[i] - v[j]) for c, v in columns.items()}
    result = frontier_verdict(cap, ali, n_eval=n_eval, n_boot=bootstrap, seed=seed)
    on = [names[i] for i in result.frontier]
    out.print(f"frontier ({len(on)} of {len(names)}): {' -> '.join(safe(n) for n in on)}")
    out.print(f"bend {result.area:.3f}  {_interval(result.ci)}  ({result.bootstrap} bootstrap)  "
              f"verdict: {result.verdict}")
    for t in taxes:
        out.print(f"  {safe(t['checkpoint'])} vs {safe(t['base'])}: tax {t['tax']:+.4g}, alignment "
                  f"{t['alignment_gain']:+.4g}")
    res = {"file": str(file), "frontier": on, "area": result.area, "ci": list(result.ci), "p_convex": result.p_convex,
           "verdict": result.verdict, "bootstrap": result.bootstrap, "taxes": taxes,
           "points": [{"checkpoint": n, "capability": float(c), "alignment": float(a)}
                      for n, c, a in zip(names, cap, ali)]}
    if report is not None:
        from ..report import render_report
        from .report import frontier_section

        render_report(report, title="Alignment tax", meta={"file": str(file), "checkpoints": str(len(names))},
                      sections=[frontier_section(names, cap, ali, result=result, taxes=taxes, source=str(file),
                                                 cap_cols=cap_cols, ali_cols=ali_cols)])
        res["report"] = str(report)
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json(res)


@tax_app.command("interpolate")
def interpolate(
    tuned: Annotated[Optional[str], typer.Option(help="The fine-tuned checkpoint (HF folder or Hub id).")] = None,
    base: Annotated[Optional[str], spec_option(DemoConfig, "base")] = None,
    capability: Annotated[str, typer.Option(help="Capability evaluation: probe:DATA or retrieval:DATA.")] = "retrieval:boolq",
    alignment: Annotated[str, typer.Option(help="Alignment evaluation: probe:DATA or retrieval:DATA.")] = "probe:sst2",
    steps: Annotated[int, typer.Option(min=2, max=1001, help="Interpolation weights, evenly from 0 to 1.")] = 11,
    layers: Annotated[Optional[int], spec_option(DemoConfig, "layers", min=1, help="Cut the base (and the demo "
                                                 "model) to k blocks.")] = None,
    examples: Annotated[int, typer.Option(min=10, max=1_000_000, help="Examples per evaluation (probe train and test; retrieval "
                                                      "pairs).")] = 400,
    max_length: Annotated[Optional[int], spec_option(DemoConfig, "max_length", min=8, help="Tokens per text "
                                                     "(evaluations and the demo's fine-tune; default: "
                                                     f"{spec_default(DemoConfig, 'max_length')})")] = None,
    demo: Annotated[bool, typer.Option(help="First fine-tune the base on --demo-dataset and use that as --tuned.")] = False,
    demo_dataset: Annotated[Optional[str], spec_option(DemoConfig, "dataset", "--demo-dataset")] = None,
    demo_examples: Annotated[Optional[int], spec_option(DemoConfig, "examples", "--demo-examples", min=8)] = None,
    demo_epochs: Annotated[Optional[float], spec_option(DemoConfig, "epochs", "--demo-epochs")] = None,
    demo_lr: Annotated[Optional[float], spec_option(DemoConfig, "lr", "--demo-lr")] = None,
    text_column: Annotated[Optional[str], spec_option(DemoConfig, "text_column")] = None,
    label_column: Annotated[Optional[str], spec_option(DemoConfig, "label_column")] = None,
    question_column: Annotated[Optional[str], spec_option(DemoConfig, "question_column")] = None,
    passage_column: Annotated[Optional[str], spec_option(DemoConfig, "passage_column")] = None,
    answer_column: Annotated[Optional[str], spec_option(DemoConfig, "answer_column")] = None,
    split: Annotated[Optional[str], spec_option(DemoConfig, "split")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Folder for the demo checkpoint and results.json.")] = None,
    seed: Annotated[Optional[int], spec_option(DemoConfig, "seed", help="Data and training seed (default: "
                                                     f"{spec_default(DemoConfig, 'seed')}).")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report with the path plot here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last.")] = False,
):
    """Sweep weight averaging between a base and a fine-tuned checkpoint; trace capability vs alignment."""
    import json
    import tempfile

    import numpy as np

    from ..atomic import write_atomic
    from ..options import spec_from_options
    from .evaluations import parse_evaluation
    from .frontier import frontier_verdict
    from .interpolate import interpolation_sweep

    if (tuned is None) == (not demo):
        raise ConfigError("give --tuned CHECKPOINT or --demo (not both)")
    check_out_dir(out_dir)
    check_out_file(report, "--report")
    # base, layers, max_length and seed serve the sweep as well as the demo: their defaults are the demo config's
    cfg = spec_from_options(DemoConfig, base=base, layers=layers, dataset=demo_dataset, examples=demo_examples,
                            epochs=demo_epochs, lr=demo_lr, max_length=max_length, seed=seed, text_column=text_column,
                            label_column=label_column, question_column=question_column,
                            passage_column=passage_column, answer_column=answer_column, split=split)
    base, layers, max_length, seed = cfg.base, cfg.layers, cfg.max_length, cfg.seed
    # the table options map every user table read here (the demo's and the evaluations'), never a named data set's
    evals = {capability: parse_evaluation(capability, max_length=max_length, examples=examples, seed=seed, table=cfg),
             alignment: parse_evaluation(alignment, max_length=max_length, examples=examples, seed=seed, table=cfg)}
    if capability == alignment:
        raise ConfigError("--capability and --alignment must be different evaluations")
    for fn in evals.values():
        fn.prepare()  # a missing data set fails now, not after minutes of fine-tuning
    with tempfile.TemporaryDirectory() as tmp:
        if demo:
            from .demo import finetune_checkpoint

            folder = (out_dir / "tuned") if out_dir is not None else Path(tmp) / "tuned"
            err.print(f"fine-tuning {safe(base)} on {safe(cfg.dataset)} ({cfg.examples} examples) -> "
                      f"{safe(folder, 1000)}")
            tuned = str(finetune_checkpoint(folder, cfg, progress="fine-tuning"))
        lambdas = np.round(np.linspace(0.0, 1.0, steps), 10)  # 0.3, not 0.30000000000000004, in the JSON
        points = interpolation_sweep(base, tuned, evals, lambdas=lambdas, layers=layers,
                                     progress=lambda m: err.print(safe(m, 1000)))
    cap = np.array([p.scores[capability] for p in points])
    ali = np.array([p.scores[alignment] for p in points])
    # Scores are proportions over `examples` test items: the bootstrap redraws them binomially.
    result = frontier_verdict(cap, ali, n_eval=examples, seed=seed)
    for p in points:
        out.print(f"lam {p.lam:.2f}   capability {p.scores[capability]:.3f}   alignment {p.scores[alignment]:.3f}")
    out.print(f"frontier: {len(result.frontier)} of {len(points)} points, bend {result.area:.3f} "
              f"{_interval(result.ci)}, verdict {result.verdict}")
    res = {"base": base, "tuned": tuned if not demo or out_dir is not None else "(demo, not kept)",
           "capability": capability, "alignment": alignment,
           "points": [{"lam": p.lam, "capability": p.scores[capability], "alignment": p.scores[alignment]}
                      for p in points],
           "frontier_lams": [points[i].lam for i in result.frontier], "area": result.area, "ci": list(result.ci),
           "verdict": result.verdict}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(out_dir / "results.json", json.dumps(res, indent=2, default=float))
    if report is not None:
        from ..report import render_report
        from .report import interpolation_section

        render_report(report, title="Alignment tax: weight averaging", meta={"base": base, "tuned": res["tuned"]},
                      sections=[interpolation_section(points, base=base, tuned=res["tuned"], capability=capability,
                                                      alignment=alignment, result=result)])
        res["report"] = str(report)
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json(res)


def _names(value: str | None, option: str) -> list[str] | None:
    """A comma-separated option as a list (None: not given)."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ConfigError(f"{option}: give at least one name")
    return names


@tax_app.command("formats")
def formats(
    base: Annotated[str, typer.Option(help="The base checkpoint: an inspect model id (hf/PATH, vllm/NAME, "
                                           "openai-api/..., ...) or scripted/base; for retrieval evaluations minilm "
                                           "or an HF folder.")],
    aligned: Annotated[str, typer.Option(help="The aligned checkpoint, same kinds as --base (scripted: "
                                              "scripted/aligned-artifact or scripted/aligned-intrinsic).")],
    evals: Annotated[Optional[str], spec_option(FormatsConfig, "evals", "--eval", help="Comma-separated "
                     "capability evaluations: gsm8k, boolq (inspect-ai), or retrieval:boolq (encoders) (default: "
                     "gsm8k,boolq).")] = None,
    formats_: Annotated[Optional[str], spec_option(FormatsConfig, "formats", "--formats", help="Comma-separated "
                        "formats, two or more of raw, chat, heldout, paraphrase (with --paraphraser) (default: "
                        "raw,chat).")] = None,
    deployment: Annotated[Optional[str], spec_option(FormatsConfig, "deployment")] = None,
    paraphraser: Annotated[Optional[str], spec_option(FormatsConfig, "paraphraser")] = None,
    limit: Annotated[Optional[int], spec_option(FormatsConfig, "limit", min=2)] = None,
    shots: Annotated[Optional[int], spec_option(FormatsConfig, "shots", min=0)] = None,
    max_tokens: Annotated[Optional[int], spec_option(FormatsConfig, "max_tokens", min=1)] = None,
    bootstrap: Annotated[Optional[int], spec_option(FormatsConfig, "n_boot", "--bootstrap", min=100)] = None,
    artifact_share: Annotated[Optional[float], spec_option(FormatsConfig, "artifact_share", gt=0, lt=1)] = None,
    max_length: Annotated[Optional[int], spec_option(FormatsConfig, "max_length", min=8)] = None,
    seed: Annotated[Optional[int], spec_option(FormatsConfig, "seed")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Folder for the inspect logs (reused on a rerun) "
                                                                  "and results.json.")] = None,
    allow_failures: Annotated[bool, typer.Option(help="Score the samples that finished when some model calls "
                                                      "failed (failed ones count as wrong).")] = False,
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last.")] = False,
):
    """The alignment tax per evaluation format (raw few-shot vs deployment chat), paired by item, with a verdict:
    intrinsic, artifact or undetermined."""
    import json
    import tempfile

    from ..atomic import write_atomic
    from ..options import spec_from_options
    from .formats import analyse, run_encoder, run_llm

    cfg = spec_from_options(FormatsSpec, base=base, aligned=aligned, evals=_names(evals, "--eval"),
                            formats=_names(formats_, "--formats"), deployment=deployment, paraphraser=paraphraser,
                            limit=limit, shots=shots,
                            max_tokens=max_tokens, n_boot=bootstrap, artifact_share=artifact_share,
                            max_length=max_length, seed=seed, allow_failures=allow_failures or None)
    check_out_dir(out_dir)
    check_out_file(report, "--report")
    models = {"base": base, "aligned": aligned}
    log = lambda m: err.print(safe(m, 1000))  # noqa: E731
    logs, para = {}, None
    if cfg.encoder:
        correct = run_encoder(models, cfg.evals, cfg, progress=log)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            log_dir = out_dir / "logs" if out_dir is not None else Path(tmp)
            correct, logs, para = run_llm(models, cfg.evals, cfg, log_dir, allow_failures=cfg.allow_failures,
                                          progress=log)
            if out_dir is None:
                logs = {}
                para = para and {k: v for k, v in para.items() if k != "log"}
    if para is not None:
        out.print(f"paraphrases by {safe(para['paraphraser'])}: {para['reworded']} used, {para['kept_own_wording']} "
                  "rejected (those items keep their own wording in the paraphrase format)")
    results = analyse(correct, raw="raw", deployment=cfg.deployment, n_boot=cfg.n_boot, level=cfg.ci,
                      threshold=cfg.artifact_share, seed=cfg.seed)
    scripted = cfg.scripted
    label = " (scripted models: a check of the machinery, not a measurement of any model)" if scripted else ""
    for r in results:
        out.print(f"{safe(r.name)} ({r.n_items} items){label}")
        for f in cfg.formats:
            out.print(f"  {f:>8}: base {r.accuracy['base'][f]:.3f}  aligned {r.accuracy['aligned'][f]:.3f}  "
                      f"tax {r.tax[f]:+.3f} {_interval(r.tax_ci[f])}")
        out.print(f"  share of the raw tax gone in {cfg.deployment}: {r.share:.2f} {_interval(r.share_ci, 2)}; "
                  f"verdict {r.verdict} ({r.reason})")
    res = {"base": base, "aligned": aligned, "scripted": scripted, "engine": "encoder" if cfg.encoder else "inspect",
           "evals": cfg.evals, "formats": cfg.formats, "deployment": cfg.deployment, "config": cfg.model_dump(),
           "results": [r.as_dict() for r in results], "logs": logs, "paraphrase": para,
           "verdict": results[-1].verdict}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(out_dir / "results.json", json.dumps(res, indent=2, default=float))
    if report is not None:
        from ..report import render_report
        from .report import formats_section

        render_report(report, title="Alignment tax by evaluation format" + (" (scripted models)" if scripted else ""),
                      meta={"base": base, "aligned": aligned},
                      sections=[formats_section(results, base=base, aligned=aligned, deployment=cfg.deployment,
                                                formats=cfg.formats, scripted=scripted, threshold=cfg.artifact_share,
                                                paraphrase=para)])
        res["report"] = str(report)
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json(res)
