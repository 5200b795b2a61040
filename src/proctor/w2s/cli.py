"""`proctor w2s`: weak-to-strong generalization on one data set, run as a one-experiment suite (resumable, reported
like `proctor run`). Options default to the spec's (proctor.w2s.spec.W2SSpec).

    proctor w2s --dataset sst2 --weak tfidf --weak probe:minilm@1 --strong finetune:minilm --seeds 3 --json
    proctor w2s --spec my_experiment.toml
    proctor w2s --dataset reviews.csv --text-column sentence --weak tfidf --strong probe:minilm
    proctor w2s --dataset ./saved_dataset_dict --split train,validation --label-column stars
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..options import spec_option
from .spec import W2SSpec


def w2s(
    dataset: Annotated[Optional[str], spec_option(W2SSpec, "dataset")] = None,
    weak: Annotated[Optional[list[str]], spec_option(W2SSpec, "weak")] = None,
    strong: Annotated[Optional[str], spec_option(W2SSpec, "strong")] = None,
    loss: Annotated[Optional[list[str]], spec_option(W2SSpec, "loss")] = None,
    chain: Annotated[Optional[list[str]], spec_option(W2SSpec, "chain", help="Intermediate model of a "
                                                      "bootstrapping chain; repeatable.")] = None,
    seeds: Annotated[Optional[int], spec_option(W2SSpec, "seeds", min=1)] = None,
    max_train: Annotated[Optional[int], spec_option(W2SSpec, "max_train")] = None,
    max_test: Annotated[Optional[int], spec_option(W2SSpec, "max_test")] = None,
    text_column: Annotated[Optional[str], spec_option(W2SSpec, "text_column")] = None,
    label_column: Annotated[Optional[str], spec_option(W2SSpec, "label_column")] = None,
    question_column: Annotated[Optional[str], spec_option(W2SSpec, "question_column")] = None,
    passage_column: Annotated[Optional[str], spec_option(W2SSpec, "passage_column")] = None,
    answer_column: Annotated[Optional[str], spec_option(W2SSpec, "answer_column")] = None,
    split: Annotated[Optional[str], spec_option(W2SSpec, "split")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="The quick suite's settings (proctor.w2s.spec.QUICK: SST-2, "
                                                         "TF-IDF -> a probe on MiniLM, 1 seed); options given win.")] = False,
    spec: Annotated[Optional[Path], typer.Option(help="A TOML spec instead of the options above.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the spec).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")] = False,
):
    """Weak-to-strong generalization: weak supervisor, strong student on its labels, strong ceiling; PGR with CIs."""
    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..options import check_out_dir, spec_from_options
    from ..runs.executor import run_one
    from ..term import err, fmt_ci, fmt_num, fmt_pct, out, safe
    from .spec import load_w2s_spec
    from .summary import headline

    check_out_dir(out_dir)
    from .spec import QUICK

    given = {"dataset": dataset, "weak": weak, "strong": strong, "loss": loss, "chain": chain, "seeds": seeds,
             "max_train": max_train, "max_test": max_test, "text_column": text_column, "label_column": label_column,
             "question_column": question_column, "passage_column": passage_column, "answer_column": answer_column,
             "split": split}
    if spec is not None:
        w = load_w2s_spec(spec)
    else:
        if not dataset and not quick:
            raise ConfigError("--dataset is required (or give --quick or --spec FILE.toml)")
        w = spec_from_options(W2SSpec, **((QUICK if quick else {}) | {k: v for k, v in given.items() if v is not None}))
    summary, run_dir = run_one(w, out_dir, err)
    h = headline(summary)
    for r in h["results"]:
        verdict = "" if r["resolved"] else "  (gap inside noise: no result)"
        out.print(f"{safe(r['weak_model'])} / {r['loss']}: weak {fmt_pct(r['weak'])}  student "
                  f"{fmt_pct(r['student'])}  ceiling {fmt_pct(r['ceiling'])}  PGR {fmt_num(r['pgr'], 2)} "
                  f"{safe(fmt_ci(r['pgr_ci'], 2))} (95% CI){verdict}")
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        emit_json(h | {"run_dir": str(run_dir), "report": str(run_dir / "report.html")})
