"""`proctor verify ...`: train process and outcome reward models, best-of-N curves, error location and hackability.
Options default to the spec's (proctor.verifiers.spec.VerifiersSpec).

    proctor verify bon   [--data arith|gsm8k] [--pool 64] [--seeds 3]   best-of-N accuracy vs N: PRM (min/product/last),
                                                                      ORM, majority vote, with bootstrap CIs
    proctor verify eval  [--data arith|gsm8k]                         ProcessBench-style error location + hackability
    proctor verify train [--data arith|gsm8k|FILE] --out DIR          PRM + ORM weights (safetensors) + TRL rows

`bon` and `eval` run the experiment as a one-experiment suite (resumable with the same `--out`, reported like
`proctor run`), on the generated or GSM8K setting or on `--data FILE --test FILE` (your own stepwise rows: TRL
prompt/completions/labels(+correct), PRM800K, or GSM8K; the unit keys carry the files' content hashes, so an edited
file is recomputed); `eval` is the experiment with a pool of one (no best-of-N to speak of). A table whose columns are
named otherwise is mapped with
`--prompt-column`, `--completions-column`, `--labels-column`; `--split TRAIN[,TEST]` picks the split of a saved
DatasetDict folder or a Hub id given as --data (and --test).

Every command takes `--json`: the last stdout line is then one JSON object. Text from data files is never printed raw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..options import check_out_dir, check_out_file, spec_option
from .spec import VerifiersSpec

verify_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Process vs outcome supervision: PRMs, ORMs, best-of-N, hackability.")

GENERATED = ("arith", "gsm8k")

DataOpt = Annotated[Optional[str], spec_option(VerifiersSpec, "data")]
TestOpt = Annotated[Optional[Path], typer.Option("--test", help="Test file (with --data FILE): candidates grouped "
                                                                 "by problem_id, with 'correct' (and 'labels').")]
ModelOpt = Annotated[Optional[str], spec_option(VerifiersSpec, "model")]
HeadOpt = Annotated[Optional[str], spec_option(VerifiersSpec, "head")]
NTrainOpt = Annotated[Optional[int], spec_option(VerifiersSpec, "n_train")]
NTestOpt = Annotated[Optional[int], spec_option(VerifiersSpec, "n_test")]
EpochsOpt = Annotated[Optional[float], spec_option(VerifiersSpec, "epochs")]
SeedOpt = Annotated[Optional[int], spec_option(VerifiersSpec, "seed")]
SeedsOpt = Annotated[Optional[int], spec_option(VerifiersSpec, "seeds", min=1)]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the spec).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
PromptColOpt = Annotated[Optional[str], typer.Option("--prompt-column", help="With --data FILE: the step table's "
                                                     "prompt column, if not 'prompt'.")]
CompletionsColOpt = Annotated[Optional[str], typer.Option("--completions-column", help="With --data FILE: the column "
                                                          "of step lists, if not 'completions'.")]
LabelsColOpt = Annotated[Optional[str], typer.Option("--labels-column", help="With --data FILE: the column of per-step "
                                                     "labels, if not 'labels'.")]
SplitOpt = Annotated[Optional[str], typer.Option("--split", help="With --data FILE: the split of a saved DatasetDict "
                                                 "folder or a Hub id, TRAIN or TRAIN,TEST (TEST for --test; default: "
                                                 "each one's train split, else its first).")]


def _spec(data: str | None, test: Path | None = None, table: dict | None = None, **options) -> VerifiersSpec:
    """The spec from the options the user gave; with --data FILE, the file setting (test file, columns, split)."""
    from ..errors import ConfigError
    from ..options import spec_from_options

    table = table or {}
    if data is None or data in GENERATED:
        if test is not None:
            raise ConfigError("--test goes with --data FILE (the generated and GSM8K settings bring their own test set)")
        return spec_from_options(VerifiersSpec, data=data, **options)
    if test is None:
        raise ConfigError(f"--data {data!r} is not {' or '.join(GENERATED)}, so it names your training file, folder or "
                          "Hub id: that needs --test FILE (candidates to pick from)")
    return spec_from_options(VerifiersSpec, data=data, test=str(test), **table, **options)


def _table(data: str | None, split: str | None, columns: dict[str, str | None]) -> dict:
    """The spec's table fields (prompt_column, completions_column, labels_column, split) from the options; they need
    --data FILE."""
    from ..errors import ConfigError
    from .steps import STEP_OPTIONS

    given = [STEP_OPTIONS[k] for k, v in columns.items() if v is not None] + (["--split"] if split else [])
    if given and (data is None or data in GENERATED):
        raise ConfigError(f"{', '.join(given)} go with --data FILE (the generated and GSM8K settings have their own "
                          "columns)")
    parts = tuple(p.strip() for p in split.split(",")) if split else ()
    if len(parts) > 2 or not all(parts):
        raise ConfigError(f"--split {split!r}: expected TRAIN or TRAIN,TEST")
    return {f"{k}_column": v for k, v in columns.items() if v is not None} | ({"split": split} if split else {})


def _experiment(out_dir: Path | None, spec: VerifiersSpec) -> tuple[dict, dict]:
    """(summary, run paths): every setting, files included, through the suite runner (resumable with the same --out,
    reported like `proctor run`)."""
    from ..runs.executor import run_one
    from ..term import err

    summary, run_dir = run_one(spec, out_dir, err)
    return summary, {"run_dir": str(run_dir), "report": str(run_dir / "report.html")}


def _pct(x) -> str:
    from ..term import fmt_num

    return f"{fmt_num(None if x is None else 100 * x, 1):>5s}"


def _seeds(spec: VerifiersSpec) -> str:
    return f"seed {spec.seed}" if spec.seeds == 1 else f"seeds {spec.seed}-{spec.seed + spec.seeds - 1}"


@verify_app.command()
def train(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for prm.safetensors, orm.safetensors, train.jsonl "
                                                        "(stepwise), reward.jsonl (RewardTrainer pairs).")],
    data: DataOpt = None, model: ModelOpt = None, head: HeadOpt = None, n_train: NTrainOpt = None,
    epochs: EpochsOpt = None, seed: SeedOpt = None, prompt_column: PromptColOpt = None,
    completions_column: CompletionsColOpt = None, labels_column: LabelsColOpt = None, split: SplitOpt = None,
    as_json: JsonOpt = False,
):
    """Train a PRM and an ORM on the same solutions; save both and the training rows in TRL's stepwise format."""
    import time

    from ..jsonout import emit_json
    from ..term import out, safe
    from .experiment import VerifierData, build_data, train_verifiers
    from .steps import StepColumns, load_solutions, write_reward_jsonl, write_trl_jsonl

    check_out_dir(out_dir)
    table = _table(data, split, {"prompt": prompt_column, "completions": completions_column, "labels": labels_column})
    # the model settings only: a training file has no test set here
    spec = _spec(data if data is None or data in GENERATED else None, model=model, head=head, n_train=n_train,
                 epochs=epochs, seed=seed)
    if data is None or data in GENERATED:
        d = build_data(spec, spec.seed)
        solutions = d.train
    else:
        parts = tuple(p.strip() for p in split.split(",")) if split else ()
        if len(parts) > 1:
            from ..errors import ConfigError

            raise ConfigError(f"--split {split!r}: train reads one split (TRAIN)")
        columns = StepColumns(**{k.removesuffix("_column"): v for k, v in table.items() if k != "split"})
        solutions = load_solutions(data, columns=columns, split=parts[0] if parts else None)
        d = VerifierData(data, solutions, [])
    t0 = time.perf_counter()
    prm, orm = train_verifiers(d, spec, spec.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"prm": str(prm.save(out_dir / "prm.safetensors")), "orm": str(orm.save(out_dir / "orm.safetensors"))}
    n = write_trl_jsonl(solutions, out_dir / "train.jsonl")
    n_pairs = write_reward_jsonl(solutions, out_dir / "reward.jsonl")
    steps = sum(len(s.steps) for s in solutions)
    out.print(f"trained PRM and ORM ({safe(spec.head)} on {safe(spec.model)}) on {n:,} solutions / {steps:,} steps in "
              f"{time.perf_counter() - t0:.0f} s -> {safe(out_dir, 1000)}")
    out.print(f"  {n_pairs} process-supervised preference pairs for TRL's RewardTrainer -> "
              f"{safe(out_dir / 'reward.jsonl', 1000)}; stepwise rows -> {safe(out_dir / 'train.jsonl', 1000)}")
    if as_json:
        emit_json({"out": str(out_dir), "solutions": n, "steps": steps, "weights": paths,
                   "train_rows": str(out_dir / "train.jsonl"), "reward_rows": str(out_dir / "reward.jsonl"),
                   "reward_pairs": n_pairs, "seconds": time.perf_counter() - t0})


@verify_app.command()
def bon(
    data: DataOpt = None, test: TestOpt = None, model: ModelOpt = None, head: HeadOpt = None,
    n_train: NTrainOpt = None, n_test: NTestOpt = None,
    pool: Annotated[Optional[int], spec_option(VerifiersSpec, "pool")] = None,
    epochs: EpochsOpt = None, draws: Annotated[Optional[int], spec_option(VerifiersSpec, "draws")] = None,
    seed: SeedOpt = None, seeds: SeedsOpt = None, out_dir: OutOpt = None,
    save: Annotated[Optional[Path], typer.Option("--save", help="Write the full result as JSON here.")] = None,
    figure: Annotated[Optional[Path], typer.Option("--figure", help="Write the best-of-N plot (PNG) here.")] = None,
    prompt_column: PromptColOpt = None, completions_column: CompletionsColOpt = None, labels_column: LabelsColOpt = None,
    split: SplitOpt = None, as_json: JsonOpt = False,
):
    """Best-of-N accuracy vs N for the PRM (each aggregation), the ORM and majority vote, with bootstrap CIs."""
    import json

    from ..jsonout import emit_json, finite
    from ..term import fmt_num, out, safe
    from .report import NAMES

    check_out_dir(out_dir)
    check_out_file(save, "--save")
    check_out_file(figure, "--figure")
    table = _table(data, split, {"prompt": prompt_column, "completions": completions_column, "labels": labels_column})
    spec = _spec(data, test, table, model=model, head=head, n_train=n_train, n_test=n_test, pool=pool, epochs=epochs,
                 draws=draws, seed=seed, seeds=seeds)
    s, paths = _experiment(out_dir, spec)
    out.print(f"{s['pool'].get('problems', '?')} test problems; best-of-N accuracy (%), 95% CI at N={s['largest_n']}:")
    out.print("method            " + " ".join(f"N={n:<4d}" for n in s["ns"]))
    for m, rows in s["curves"].items():
        ci = rows[-1]
        out.print(f"{NAMES.get(m, m):17s} " + " ".join(f"{_pct(r['value']):6s}" for r in rows) +
                  f"  [{_pct(ci['lo'])}, {_pct(ci['hi'])}]")
    lift = s["lift"]
    pts = lambda x: fmt_num(100 * x, 1, signed=True)
    out.print(f"{NAMES.get(s['headline'])} - ORM at N={s['largest_n']}: {pts(lift['value'])} pts "
              f"[{pts(lift['lo'])}, {pts(lift['hi'])}]")
    if figure is not None:
        from .report import bon_figure

        figure.parent.mkdir(parents=True, exist_ok=True)
        figure.write_bytes(bon_figure(s["curves"], f"Best-of-N, {s['data']} ({_seeds(spec)})"))
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(json.dumps(finite(s), indent=1, default=str))
    if paths:
        out.print(f"report: {safe(paths['report'], 1000)}")
    if as_json:
        emit_json({k: s[k] for k in ("title", "data", "ns", "curves", "lift", "headline", "largest_n", "pool")}
                  | paths)


@verify_app.command("eval")
def eval_cmd(
    data: DataOpt = None, test: TestOpt = None, model: ModelOpt = None, head: HeadOpt = None,
    n_train: NTrainOpt = None, n_test: NTestOpt = None, epochs: EpochsOpt = None,
    recall: Annotated[Optional[float], spec_option(VerifiersSpec, "recall")] = None,
    threshold: Annotated[Optional[float], spec_option(VerifiersSpec, "threshold")] = None,
    seed: SeedOpt = None, seeds: SeedsOpt = None, out_dir: OutOpt = None, prompt_column: PromptColOpt = None,
    completions_column: CompletionsColOpt = None, labels_column: LabelsColOpt = None, split: SplitOpt = None,
    as_json: JsonOpt = False,
):
    """ProcessBench-style earliest-wrong-step identification and the hackability rate of each verifier."""
    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..term import out, safe
    from .report import NAMES

    check_out_dir(out_dir)
    # a pool of one and one draw: best-of-N is not what this verb reports
    table = _table(data, split, {"prompt": prompt_column, "completions": completions_column, "labels": labels_column})
    spec = _spec(data, test, table, model=model, head=head, n_train=n_train, n_test=n_test, epochs=epochs,
                 recall=recall, threshold=threshold, seed=seed, seeds=seeds,
                 pool=1 if data in (None, "arith") else None, draws=1)
    s, paths = _experiment(out_dir, spec)
    if not s.get("hack"):
        raise ConfigError(f"{data or spec.data}: no test solutions with process labels, so no ProcessBench or "
                          "hackability")
    pb = s["processbench"]
    out.print(f"ProcessBench (PRM, first step < {spec.threshold}): accuracy on flawed {_pct(pb['acc_error'])}%, on "
              f"correct {_pct(pb['acc_correct'])}%, F1 {_pct(pb['f1'])}% ({pb.get('n_error', '?')} flawed, "
              f"{pb.get('n_correct', '?')} correct)")
    out.print(f"acceptance (%) at the threshold accepting {100 * spec.recall:.0f}% of correct solutions:")
    for m, h in s["hack"].items():
        acc = "  ".join(f"{safe(k)} {_pct(v['value'])}" for k, v in h["accept"].items())
        out.print(f"  {NAMES.get(m, m):17s} {acc}")
    out.print("  outcome check      hack 100.0 (by definition)")
    if paths:
        out.print(f"report: {safe(paths['report'], 1000)}")
    if as_json:
        emit_json({"title": s["title"], "data": s["data"], "processbench": pb, "hack": s["hack"],
                   "hackability": s["hackability"]} | paths)
