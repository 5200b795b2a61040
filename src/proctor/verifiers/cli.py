"""`proctor verify ...`: train process and outcome reward models, best-of-N curves, error location and hackability.

    proctor verify train [--data arith|gsm8k|FILE] --out DIR     PRM + ORM weights (safetensors) + TRL training rows
    proctor verify bon   [--data arith|gsm8k] [--pool 64]        best-of-N accuracy vs N: PRM (min/product/last), ORM,
                                                                 majority vote, with bootstrap CIs
    proctor verify eval  [--data arith|gsm8k]                    ProcessBench-style error location + hackability
    (--data FILE --test FILE: your own stepwise rows: TRL prompt/completions/labels(+correct), PRM800K, or GSM8K)

Every command takes `--json`: the last stdout line is then one JSON object. Text from data files is never printed raw.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from ..errors import ConfigError
from ..jsonout import emit_json, finite

verify_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="Process vs outcome supervision: PRMs, ORMs, best-of-N, hackability.")
out = Console(highlight=False, soft_wrap=True)

DataOpt = Annotated[str, typer.Option("--data", help="arith (generated), gsm8k (PROCTOR_DATA), or a training file.")]
TestOpt = Annotated[Optional[Path], typer.Option("--test", help="Test file (with --data FILE): candidates grouped "
                                                                 "by problem_id, with 'correct' (and 'labels').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
HeadOpt = Annotated[str, typer.Option(help="mlp | linear (heads on frozen features) | finetune (whole encoder).")]


def _spec(data: str, **kw):
    from ..runs.spec import validate
    from .spec import VerifiersSpec

    kw = {k: v for k, v in kw.items() if v is not None}
    return validate(VerifiersSpec, {"data": data if data in ("arith", "gsm8k") else "arith", **kw}, "options")


def _data(data: str, test: Path | None, spec, seed: int):
    from .summary import build_data

    if data in ("arith", "gsm8k"):
        if test is not None:
            raise ConfigError("--test goes with --data FILE (the generated and GSM8K settings bring their own test set)")
        return build_data(spec, seed)
    from .experiment import files_data
    from .steps import load_solutions

    train = load_solutions(data)
    if test is None:
        raise ConfigError("--data FILE needs --test FILE (candidates to pick from)")
    return files_data(train, load_solutions(test))


def _experiment(data, test, seed, as_dict):
    from .experiment import run_experiment
    from .summary import combine, experiment_config

    spec = _spec(data, **as_dict)
    d = _data(data, test, spec, seed)
    res, arrays = run_experiment(d, experiment_config(spec, seed))
    return combine([res], [arrays], spec.n_boot) | {"title": spec.title if data in ("arith", "gsm8k") else data}


def _common(model, head, n_train, n_test, pool, epochs, draws):
    return {"model": model, "head": head, "n_train": n_train, "n_test": n_test, "pool": pool, "epochs": epochs,
            "draws": draws}


def _pct(x) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:5.1f}"


@verify_app.command()
def train(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for prm.safetensors, orm.safetensors, train.jsonl.")],
    data: DataOpt = "arith", model: str = "minilm", head: HeadOpt = "mlp",
    n_train: Annotated[Optional[int], typer.Option(help="Training problems / questions.")] = None,
    epochs: Optional[float] = None, seed: int = 0, as_json: JsonOpt = False,
):
    """Train a PRM and an ORM on the same solutions; save both and the training rows in TRL's stepwise format."""
    import time

    from .experiment import train_verifiers
    from .steps import load_solutions, write_trl_jsonl
    from .summary import experiment_config

    spec = _spec(data, model=model, head=head, n_train=n_train, epochs=epochs)
    d = _data(data, None, spec, seed) if data in ("arith", "gsm8k") else None
    solutions = d.train if d is not None else load_solutions(data)
    if d is None:
        from .experiment import VerifierData

        d = VerifierData(data, solutions, [])
    t0 = time.perf_counter()
    prm, orm = train_verifiers(d, experiment_config(spec, seed))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"prm": str(prm.save(out_dir / "prm.safetensors")), "orm": str(orm.save(out_dir / "orm.safetensors"))}
    n = write_trl_jsonl(solutions, out_dir / "train.jsonl")
    steps = sum(len(s.steps) for s in solutions)
    out.print(f"trained PRM and ORM ({head} on {model}) on {n:,} solutions / {steps:,} steps in "
              f"{time.perf_counter() - t0:.0f} s -> {out_dir}")
    if as_json:
        emit_json({"out": str(out_dir), "solutions": n, "steps": steps, "weights": paths,
                   "train_rows": str(out_dir / "train.jsonl"), "seconds": time.perf_counter() - t0})


@verify_app.command()
def bon(
    data: DataOpt = "arith", test: TestOpt = None, model: str = "minilm", head: HeadOpt = "mlp",
    n_train: Optional[int] = None, n_test: Optional[int] = None,
    pool: Annotated[Optional[int], typer.Option(help="Candidates per test problem (arith).")] = None,
    epochs: Optional[float] = None, draws: Optional[int] = None, seed: int = 0,
    save: Annotated[Optional[Path], typer.Option("--save", help="Write the full result as JSON here.")] = None,
    figure: Annotated[Optional[Path], typer.Option("--figure", help="Write the best-of-N plot (PNG) here.")] = None,
    as_json: JsonOpt = False,
):
    """Best-of-N accuracy vs N for the PRM (each aggregation), the ORM and majority vote, with bootstrap CIs."""
    s = _experiment(data, test, seed, _common(model, head, n_train, n_test, pool, epochs, draws))
    from .report import NAMES

    out.print(f"{s['pool'].get('problems', '?')} test problems; best-of-N accuracy (%), 95% CI at N={s['largest_n']}:")
    out.print("method            " + " ".join(f"N={n:<4d}" for n in s["ns"]))
    for m, rows in s["curves"].items():
        ci = rows[-1]
        out.print(f"{NAMES.get(m, m):17s} " + " ".join(f"{_pct(r['value']):6s}" for r in rows) +
                  f"  [{_pct(ci['lo'])}, {_pct(ci['hi'])}]")
    lift = s["lift"]
    out.print(f"{NAMES.get(s['headline'])} - ORM at N={s['largest_n']}: {100 * lift['value']:+.1f} pts "
              f"[{100 * lift['lo']:+.1f}, {100 * lift['hi']:+.1f}]")
    if figure is not None:
        from .report import bon_figure

        figure.parent.mkdir(parents=True, exist_ok=True)
        figure.write_bytes(bon_figure(s["curves"], f"Best-of-N, {s['data']} (seed {seed})"))
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(json.dumps(finite(s), indent=1, default=str))
    if as_json:
        emit_json({k: s[k] for k in ("title", "data", "ns", "curves", "lift", "headline", "largest_n", "pool")})


@verify_app.command("eval")
def eval_cmd(
    data: DataOpt = "arith", test: TestOpt = None, model: str = "minilm", head: HeadOpt = "mlp",
    n_train: Optional[int] = None, n_test: Optional[int] = None, epochs: Optional[float] = None,
    recall: Annotated[float, typer.Option(help="Hackability threshold: accept this share of correct solutions.")] = 0.9,
    threshold: Annotated[float, typer.Option(help="ProcessBench: first step scored below this is the error.")] = 0.5,
    seed: int = 0, as_json: JsonOpt = False,
):
    """ProcessBench-style earliest-wrong-step identification and the hackability rate of each verifier."""
    s = _experiment(data, test, seed, _common(model, head, n_train, n_test, 1 if data == "arith" else None, epochs,
                                              1) | {"recall": recall, "threshold": threshold})
    from .report import NAMES

    if not s.get("hack"):
        raise ConfigError(f"{data}: no test solutions with process labels, so no ProcessBench or hackability")
    pb = s["processbench"]
    out.print(f"ProcessBench (PRM, first step < {threshold}): accuracy on flawed {_pct(pb['acc_error'])}%, on correct "
              f"{_pct(pb['acc_correct'])}%, F1 {_pct(pb['f1'])}% ({pb['n_error']} flawed, {pb['n_correct']} correct)")
    out.print(f"acceptance (%) at the threshold accepting {100 * recall:.0f}% of correct solutions:")
    for m, h in s["hack"].items():
        acc = "  ".join(f"{k} {_pct(v['value'])}" for k, v in h["accept"].items())
        out.print(f"  {NAMES.get(m, m):17s} {acc}")
    out.print("  outcome check      hack 100.0 (by definition)")
    if as_json:
        emit_json({"title": s["title"], "data": s["data"], "processbench": pb, "hack": s["hack"],
                   "hackability": s["hackability"]})
