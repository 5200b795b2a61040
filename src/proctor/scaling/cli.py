"""`proctor fit chinchilla | posttrain` and `proctor plan`: thin over proctor.scaling.

    proctor fit chinchilla runs.csv [--n-col N --d-col D --loss-col loss] [--objective sum|mean] [--report r.html]
                                    [--save fit.json] [--json]
    proctor fit posttrain prefs.csv [--np-col N_p --q-col Q] [--next 10000 --threshold 0.005] [--report r.html] [--json]
    proctor fit posttrain runs.csv --ns-col N_s [--np-col N_p --q-col Q] [--additive] [--save DIR] [--report r.html]
    proctor plan --params 7e9 | --flops 1e23 [--fit fit.json|RUN_DIR] [--json]
    proctor plan posttrain --budget B [--cost-sft c_s --cost-pref c_p] --fit DIR [--report r.html] [--json]

User mistakes raise `ProctorError`s; `proctor.cli` mounts these commands with every body wrapped
in its guard (one line, exit 2), without this module importing proctor.cli. With `--json` the last stdout line is one
JSON object, NaN written as null.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ConfigError, DataError
from ..jsonout import emit_json
from ..options import check_out_dir, check_out_file, float_option, spec_default, spec_option
from ..term import err, out, safe
from .spec import Approach3Config, PosttrainConfig, PosttrainJointConfig, PosttrainPlanConfig

__all__ = ["FIT_FILE", "JOINT_FIT_FILE", "fit_app", "load_fit", "load_joint_fit", "plan", "plan_app"]

#: The file `fit chinchilla --save DIR` writes into a run folder, and `plan --fit DIR` reads.
FIT_FILE = "chinchilla_fit.json"
#: The file `fit posttrain --ns-col ... --save DIR` writes, and `plan posttrain --fit DIR` reads.
JOINT_FIT_FILE = "posttrain_joint_fit.json"

fit_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Fit scaling laws to a table of runs (CSV, TSV, JSONL, Parquet).")

plan_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                       help="Compute-optimal budget: tokens and FLOPs for --params N, or N and tokens for --flops C "
                            "(C = 6 N D); `plan posttrain`: the SFT : preference data split of a budget.")


def _interval(lo: float, hi: float, spec: str = ".4g") -> str:
    """"[lo, hi]" for the console, escaped: rich would swallow "[nan, nan]" as markup."""
    from rich.markup import escape

    return escape(f"[{lo:{spec}}, {hi:{spec}}]")


def _write_json(path: Path, obj: dict, name: str = FIT_FILE) -> Path:
    """Write atomically (proctor.atomic): a failure leaves no half-written fit."""
    from ..atomic import write_atomic
    from ..jsonout import finite

    if _save_is_folder(path):
        path = path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(finite(obj), indent=2))


def _save_is_folder(path: Path) -> bool:
    """`--save FOLDER` (an existing folder, or a name without .json) or `--save FILE.json`."""
    return path.is_dir() or path.suffix.lower() != ".json"


def _check_outputs(report: Path | None, save: Path | None = None) -> None:
    """--report and --save can be written: checked before the table is read and the fit runs."""
    check_out_file(report, "--report")
    if save is not None:
        (check_out_dir if _save_is_folder(save) else check_out_file)(save, "--save")


@fit_app.command("chinchilla")
def chinchilla(
    file: Annotated[Path, typer.Argument(help="Table of runs: one row per run, with N, D and final loss.")],
    n_col: Annotated[str, typer.Option("--n-col", help="Column of parameter counts N.")] = "N",
    d_col: Annotated[str, typer.Option("--d-col", help="Column of training tokens D.")] = "D",
    loss_col: Annotated[str, typer.Option("--loss-col", help="Column of final losses.")] = "loss",
    objective: Annotated[Optional[str], spec_option(Approach3Config, "objective")] = None,
    bootstrap: Annotated[Optional[int], spec_option(Approach3Config, "n_boot", "--bootstrap", min=0)] = None,
    seed: Annotated[Optional[int], spec_option(Approach3Config, "seed")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report with the figures here.")] = None,
    save: Annotated[Optional[Path], typer.Option(help="Write the fit as JSON: FILE.json, or FOLDER/chinchilla_fit.json "
                                                      "for `proctor plan --fit`.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last.")] = False,
):
    """Fit L(N, D) = E + A/N^alpha + B/D^beta by Chinchilla Approach 3 (Huber, 4,500-start L-BFGS grid)."""
    from ..data.columns import numeric_column, read_table, require_columns
    from ..options import spec_from_options
    from .approach3 import fit_chinchilla

    if objective is not None and objective not in ("sum", "mean"):
        raise ConfigError(f"--objective must be 'sum' or 'mean', got {objective!r}")
    config = spec_from_options(Approach3Config, objective=objective, n_boot=bootstrap, seed=seed)
    _check_outputs(report, save)
    df = read_table(file)
    require_columns(df, file, {n_col: "--n-col", d_col: "--d-col", loss_col: "--loss-col"})
    N = numeric_column(df, file, n_col, positive=True)
    D = numeric_column(df, file, d_col, positive=True)
    L = numeric_column(df, file, loss_col, positive=True)
    try:
        fit = fit_chinchilla(N, D, L, config)
    except DataError as e:
        raise DataError(f"{file}: {e}") from None
    p = fit.params
    out.print(f"L(N, D) = {p.E:.4f} + {p.A:.4g} / N^{p.alpha:.4f} + {p.B:.4g} / D^{p.beta:.4f}   "
              f"({fit.n_points} runs, {fit.n_starts} starts, {fit.seconds:.1f} s)")
    for name, (lo, hi) in fit.ci.items():
        out.print(f"  {name:>5} = {getattr(p, name):.4g}  {_interval(lo, hi)}")
    result = fit.as_dict() | {"file": str(file)}
    if save is not None:
        # The bootstrap estimates go into the file (not the --json line): `plan --fit` turns them into CIs.
        boot = [] if fit.boot is None else fit.boot.tolist()
        result["saved"] = str(_write_json(save, result | {"boot": {"columns": list(p.as_dict()), "rows": boot}}))
        out.print(f"fit: {safe(result['saved'], 1000)}")
    if report is not None:
        from ..report import render_report
        from .report import chinchilla_section

        render_report(report, title="Scaling law fit", meta={"file": str(file), "runs": str(fit.n_points)},
                      sections=[chinchilla_section(fit, N, D, L, source=str(file))])
        result["report"] = str(report)
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json(result)


@fit_app.command("posttrain")
def posttrain(
    file: Annotated[Path, typer.Argument(help="Table of runs: preference pairs N_p and alignment quality Q.")],
    np_col: Annotated[str, typer.Option("--np-col", help="Column of preference-pair counts.")] = "N_p",
    q_col: Annotated[str, typer.Option("--q-col", help="Column of the quality metric.")] = "Q",
    at: Annotated[Optional[float], float_option(gt=0, max=1e18, help="N_p at which to price more data (default: the "
                                                                     "largest run).")] = None,
    next_pairs: Annotated[float, float_option("--next", gt=0, max=1e18, help="Price the next this many "
                                                                             "pairs.")] = 10_000,
    threshold: Annotated[float, float_option(gt=0, max=1e6, help="Report the N_p beyond which doubling gains less "
                                                                "than this.")] = 0.005,
    bootstrap: Annotated[Optional[int], spec_option(PosttrainConfig, "n_boot", "--bootstrap", min=0, help=(
        "Bootstrap replicates over runs; 0 skips the CIs (default: "
        f"{spec_default(PosttrainConfig, 'n_boot')}; with --ns-col {spec_default(PosttrainJointConfig, 'n_boot')})."))
                         ] = None,
    seed: Annotated[Optional[int], spec_option(PosttrainConfig, "seed")] = None,
    ns_col: Annotated[Optional[str], typer.Option("--ns-col", help="Column of SFT example counts: fit the joint law "
                                                                   "Q(N_s, N_p) instead of Q(N_p).")] = None,
    additive: Annotated[bool, typer.Option("--additive", help="With --ns-col: fit the additive law (no interaction "
                                                              "term, so no interaction test).")] = False,
    save: Annotated[Optional[Path], typer.Option(help="With --ns-col: write the fit (with its bootstrap fits) as JSON: "
                                                      "FILE.json, or FOLDER/posttrain_joint_fit.json for `proctor "
                                                      "plan posttrain --fit`.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report with the figure here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last.")] = False,
):
    """Fit Q(N_p) = Q_inf - alpha log(1 + N*/N_p) and price more preference data; with --ns-col, the joint law
    Q(N_s, N_p) = Q_inf - a_s x_s - a_p x_p - gamma x_s x_p, x = log(1 + bend/N), and its interaction test."""
    from ..data.columns import numeric_column, read_table, require_columns
    from ..options import spec_from_options
    from .posttrain import fit_posttrain

    if ns_col is not None:
        return _posttrain_joint(file, ns_col, np_col, q_col, bootstrap=bootstrap, seed=seed, additive=additive,
                                save=save, report=report, as_json=as_json)
    if save is not None or additive:
        raise ConfigError("--save and --additive go with --ns-col (the joint fit)")
    config = spec_from_options(PosttrainConfig, n_boot=bootstrap, seed=seed)
    _check_outputs(report)
    df = read_table(file)
    require_columns(df, file, {np_col: "--np-col", q_col: "--q-col"})
    n = numeric_column(df, file, np_col, positive=True)
    q = numeric_column(df, file, q_col)
    try:
        fit = fit_posttrain(n, q, config)
    except DataError as e:
        raise DataError(f"{file}: {e}") from None
    p = fit.params
    at = float(n.max()) if at is None else at
    gain, gain_ci = float(p.gain(at, next_pairs)), fit.interval(lambda v: float(v.gain(at, next_pairs)))
    dbl, dbl_ci = p.doubling_threshold(threshold), fit.interval(lambda v: v.doubling_threshold(threshold))
    out.print(f"Q(N_p) = {p.Q_inf:.4g} - {p.alpha:.4g} log(1 + {p.N_star:,.0f} / N_p)   ({fit.n_points} runs)")
    for name, (lo, hi) in fit.ci.items():
        out.print(f"  {name:>6} = {getattr(p, name):.4g}  {_interval(lo, hi)}")
    out.print(f"next {next_pairs:,.0f} pairs at N_p = {at:,.0f}: +{gain:.4g}  {_interval(*gain_ci)}")
    out.print(f"doubling gains < {threshold:g} beyond N_p = {dbl:,.0f}  {_interval(*dbl_ci, spec=',.0f')}")
    for w in fit.warnings:
        err.print(f"warning: {safe(w, 1000)}")
    result = fit.as_dict() | {"file": str(file), "at": at, "next_pairs": next_pairs, "gain": gain,
                              "gain_ci": list(gain_ci), "threshold": threshold, "doubling_threshold": dbl,
                              "doubling_threshold_ci": list(dbl_ci)}
    if report is not None:
        from ..report import render_report
        from .report import posttrain_section

        render_report(report, title="Post-training scaling fit", meta={"file": str(file), "runs": str(fit.n_points)},
                      sections=[posttrain_section(fit, n, q, source=str(file), at=at, next_pairs=next_pairs,
                                                  threshold=threshold)])
        result["report"] = str(report)
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json(result)


def _posttrain_joint(file: Path, ns_col: str, np_col: str, q_col: str, *, bootstrap, seed, additive: bool,
                     save: Path | None, report: Path | None, as_json: bool) -> None:
    """`fit posttrain --ns-col`: the joint law Q(N_s, N_p), its interaction test, the saved fit for the planner."""
    from ..data.columns import numeric_column, read_table, require_columns
    from ..options import spec_from_options
    from .joint import fit_joint

    config = spec_from_options(PosttrainJointConfig, n_boot=bootstrap, seed=seed,
                               interaction=False if additive else None)
    _check_outputs(report, save)
    df = read_table(file)
    require_columns(df, file, {ns_col: "--ns-col", np_col: "--np-col", q_col: "--q-col"})
    ns = numeric_column(df, file, ns_col, positive=True)
    n_p = numeric_column(df, file, np_col, positive=True)
    q = numeric_column(df, file, q_col)
    try:
        fit = fit_joint(ns, n_p, q, config)
    except DataError as e:
        raise DataError(f"{file}: {e}") from None
    p = fit.params
    out.print(f"Q(N_s, N_p) = {p.Q_inf:.4g} - {p.a_s:.4g} log(1 + {p.S_star:,.0f}/N_s) - {p.a_p:.4g} log(1 + "
              f"{p.P_star:,.0f}/N_p)" + (f" - {p.gamma:.3g} x_s x_p" if config.interaction else "")
              + f"   ({fit.n_points} runs)")
    for name, (lo, hi) in fit.ci.items():
        out.print(f"  {name:>6} = {getattr(p, name):.4g}  {_interval(lo, hi)}")
    if config.interaction:
        out.print(f"interaction: F = {fit.f_stat:.3g}, p = {fit.p_interaction:.3g} (against the additive law); "
                  f"verdict {fit.interaction_verdict}")
    for w in fit.warnings:
        err.print(f"warning: {safe(w, 1000)}")
    result = fit.as_dict() | {"file": str(file)}
    if save is not None:
        result["saved"] = str(_write_json(save, fit.as_dict(boot=True) | {"file": str(file)}, JOINT_FIT_FILE))
        out.print(f"fit: {safe(result['saved'], 1000)}")
    if report is not None:
        from ..report import render_report
        from .report import joint_section

        render_report(report, title="Post-training scaling fit: SFT and preference data",
                      meta={"file": str(file), "runs": str(fit.n_points)},
                      sections=[joint_section(fit, ns, n_p, q, source=str(file))])
        result["report"] = str(report)
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json(result)


def _read_fit(path: Path, default_name: str, names, hint: str) -> tuple[Path, dict, dict[str, float]]:
    """(file, its JSON object, {name: finite float}) of a saved fit (a file, or a folder holding `default_name`)."""
    file = path / default_name if path.is_dir() else path
    if not file.is_file():
        raise DataError(f"{file}: no such fit file (write one with `{hint}`)")
    try:
        obj = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{file}: not a readable JSON fit: {' '.join(str(e).split())}") from None
    if not isinstance(obj, dict):
        raise DataError(f"{file}: expected a JSON object with {', '.join(names)}")
    values = {}
    for key in names:
        v = obj.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DataError(f"{file}: field '{key}' must be a finite number, got {v!r}")
        values[key] = float(v)
    return file, obj, values


def load_joint_fit(path: Path):
    """A `JointFit` from a file written by `fit posttrain --ns-col ... --save` (or a folder holding one)."""
    from .joint import JOINT_NAMES, joint_fit_from_dict

    file, obj, values = _read_fit(path, JOINT_FIT_FILE, JOINT_NAMES,
                                  f"proctor fit posttrain RUNS --ns-col N_s --save {path}")
    if not (values["S_star"] > 0 and values["P_star"] > 0):
        raise DataError(f"{file}: fields 'S_star' and 'P_star' must be positive")
    try:
        return joint_fit_from_dict(obj | values)
    except (TypeError, KeyError, ValueError, AttributeError) as e:
        if hasattr(e, "errors"):  # a pydantic ValidationError of the saved config
            raise DataError(f"{file}: field 'config': {' '.join(str(e).split())[:200]}") from None
        raise DataError(f"{file}: fields 'config', 'boot', 'interaction', 'ci' or 'ranges' are not those of a saved "
                        "joint fit") from None


@plan_app.command("posttrain")
def plan_posttrain(
    budget: Annotated[Optional[float], spec_option(PosttrainPlanConfig, "budget", gt=0, max=1e30)] = None,
    cost_sft: Annotated[Optional[float], spec_option(PosttrainPlanConfig, "cost_sft", "--cost-sft", gt=0,
                                                     max=1e30)] = None,
    cost_pref: Annotated[Optional[float], spec_option(PosttrainPlanConfig, "cost_pref", "--cost-pref", gt=0,
                                                      max=1e30)] = None,
    fit: Annotated[Optional[Path], typer.Option("--fit", help="A joint fit from `fit posttrain --ns-col ... --save` "
                                                              "(file or folder); required.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write an HTML report with the iso-budget plot here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last.")] = False,
):
    """The split of --budget between SFT examples and preference pairs that maximises the fitted Q(N_s, N_p)."""
    from ..options import spec_from_options
    from .joint import plan_allocation

    cfg = spec_from_options(PosttrainPlanConfig, budget=budget, cost_sft=cost_sft, cost_pref=cost_pref)
    if cfg.budget is None:
        raise ConfigError("give --budget B (the budget to split, in the costs' unit)")
    if fit is None:
        raise ConfigError("give --fit: a joint fit from `proctor fit posttrain RUNS --ns-col N_s --save DIR`")
    check_out_file(report, "--report")
    jf = load_joint_fit(fit)
    res = plan_allocation(jf, cfg.budget, cfg.cost_sft, cfg.cost_pref)
    ci = res["ci"]

    def show(key: str, spec: str = ",.0f") -> str:
        return f"{res[key]:{spec}}" + (f"  {_interval(*ci[key], spec=spec)}" if key in ci else "")

    out.print(f"budget {cfg.budget:g} at c_s = {cfg.cost_sft:g}, c_p = {cfg.cost_pref:g}: {show('n_sft')} SFT examples "
              f"+ {show('n_pref')} preference pairs (SFT share {show('share_sft', '.3f')})")
    out.print(f"predicted Q {show('quality', '.4f')}; gain over an even split {show('gain_over_even', '.4g')}")
    out.print(f"one more SFT example adds {show('marginal_sft', '.3g')}, one more pair {show('marginal_pref', '.3g')}; "
              f"one more unit of budget {show('per_budget', '.3g')}")
    for w in res["warnings"]:
        err.print(f"warning: {safe(w, 1000)}")
    res["fit"] = str(fit)
    if report is not None:
        from ..report import render_report
        from .report import plan_section

        render_report(report, title="Post-training budget plan", meta={"fit": str(fit), "budget": f"{cfg.budget:g}"},
                      sections=[plan_section(jf, res)])
        res["report"] = str(report)
        out.print(f"report: {safe(report, 1000)}")
    if as_json:
        emit_json({k: v for k, v in res.items() if k != "boot_optima"})


def load_fit(path: Path):
    """(ChinchillaParams, bootstrap ChinchillaParams) from a JSON file written by `fit chinchilla --save`, or a folder
    holding chinchilla_fit.json; the bootstrap list is empty when the file has none."""
    from .law import ChinchillaParams

    file, obj, values = _read_fit(path, FIT_FILE, ("E", "A", "B", "alpha", "beta"),
                                  f"proctor fit chinchilla FILE --save {path}")
    if not (values["alpha"] > 0 and values["beta"] > 0 and values["A"] > 0 and values["B"] > 0):
        raise DataError(f"{file}: a compute-optimal plan needs A, B, alpha and beta positive")
    boot = []
    table = obj.get("boot") or {}
    try:
        for row in table.get("rows", []):
            q = ChinchillaParams(**dict(zip(table["columns"], map(float, row))))
            if q.alpha > 0 and q.beta > 0 and q.A > 0 and q.B > 0:
                boot.append(q)
    except (TypeError, KeyError, ValueError, AttributeError):
        raise DataError(f"{file}: field 'boot' is not a table of bootstrap fits") from None
    return ChinchillaParams(**values), boot


@plan_app.callback(invoke_without_command=True)
def plan(
    ctx: typer.Context,
    params: Annotated[Optional[float], float_option("--params", gt=0, max=1e18, help="Model size N "
                                                                                     "(parameters).")] = None,
    flops: Annotated[Optional[float], float_option("--flops", gt=0, max=1e40, help="Compute budget C "
                                                                                  "(FLOPs).")] = None,
    fit: Annotated[Optional[Path], typer.Option("--fit", help="A fit from `fit chinchilla --save` (file or run "
                                                              "folder); default: the 20-tokens-per-parameter rule.")] = None,
    tokens_per_param: Annotated[float, float_option(gt=0, max=1e6, help="The rule's tokens per parameter (without "
                                                                       "--fit).")] = 20.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object last.")] = False,
):
    """Compute-optimal budget: tokens and FLOPs for --params N, or N and tokens for --flops C (C = 6 N D)."""
    if ctx.invoked_subcommand is not None:
        if params is not None or flops is not None or fit is not None or as_json:
            raise ConfigError(f"give --params, --flops, --fit and --json after `plan {ctx.invoked_subcommand}`, "
                              "not before it")
        return
    import numpy as np

    from .law import chinchilla_for_flops, chinchilla_optimal, compute_optimal, optimal_tokens_for_params

    if (params is None) == (flops is None):
        raise ConfigError("give exactly one of --params N and --flops C")
    value = params if params is not None else flops
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"--{'params' if params is not None else 'flops'} must be a positive number, got {value}")
    if not tokens_per_param > 0:
        raise ConfigError(f"--tokens-per-param must be positive, got {tokens_per_param}")
    if fit is None:
        res = chinchilla_optimal(params, tokens_per_param) if params is not None else \
            chinchilla_for_flops(flops, tokens_per_param)
        res |= {"rule": f"D = {tokens_per_param:g} N (Hoffmann et al. 2022; Code Fragment 18.7.1)"}
    else:
        law, boot = load_fit(fit)

        def allocate(q) -> dict:
            if params is not None:
                tokens = float(optimal_tokens_for_params(q, params))
                return {"params": params, "tokens": tokens, "flops": 6.0 * params * tokens}
            n_opt, d_opt = compute_optimal(q, flops)
            return {"params": float(n_opt), "tokens": float(d_opt), "flops": float(flops)}

        res = allocate(law)
        res |= {"rule": f"compute-optimal under the fit in {fit} (Hoffmann et al. eq. 4)",
                "loss": float(law.loss(res["params"], res["tokens"]))}
        if boot:  # percentile intervals over the saved bootstrap fits
            sims = [allocate(q) for q in boot]
            for key in ("params", "tokens", "flops"):
                if res[key] != (params if key == "params" else flops):
                    lo, hi = np.percentile([sm[key] for sm in sims], [2.5, 97.5])
                    res[f"{key}_ci"] = [float(lo), float(hi)]
    bad = next((k for k in ("params", "tokens", "flops") if not math.isfinite(float(res[k]))), None)
    if bad is not None:  # an extreme fit can overflow where the 20-tokens rule does not
        raise DataError(f"{fit}: this fit gives no finite {bad} for --{'params' if params is not None else 'flops'} "
                        f"{value:g}")
    res["tokens_per_param"] = res["tokens"] / res["params"]
    out.print(f"params {res['params']:.4g}   tokens {res['tokens']:.4g}   FLOPs {res['flops']:.4g}   "
              f"({res['tokens_per_param']:.1f} tokens/param; {safe(res['rule'], 1000)})")
    for key in ("params", "tokens", "flops"):
        if f"{key}_ci" in res:
            out.print(f"  {key} 95% bootstrap interval {_interval(*res[key + '_ci'])}")
    if "loss" in res:
        out.print(f"predicted loss {res['loss']:.4f}")
    if as_json:
        emit_json(res)
