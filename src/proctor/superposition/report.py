"""Report sections for superposition: the toy sweep (phase behaviour, W^T W, dimensionality fractions), the toy
interference check, and real-representation interference (MiniLM neurons, SAE latents)."""

from __future__ import annotations

import numpy as np

from proctor.report.render import Figure, Section, Table

from .geometry import FRACTIONS


def sections(summary: dict) -> list[Section]:
    """One section per toy sweep (with its interference check), then the real-representation measurements."""
    out = []
    if len(summary["sweeps"]) > 1:
        out.append(seeds_section(summary["sweeps"]))
    sweeps = summary["sweeps"]
    # summaries stored before checks carried their seed pair them with the sweeps by position
    checks = {i.get("seed", sweeps[k]["config"]["seed"] if k < len(sweeps) else None): i
              for k, i in enumerate(summary["interference"])}
    for s in sweeps:
        if s["config"]["seed"] in checks:
            s = dict(s, interference=checks[s["config"]["seed"]])
        out.append(toy_section(s, s.get("W"), s.get("b")))
    if summary["interference"]:
        out.append(Section("Superposition: interference checks", "",
                           [interference_summary_table(summary["interference"])]))
    if summary["real"]:
        out.append(real_section(summary["real"]))
    return out


def _fractions_text(fractions: dict) -> str:
    """"5 at 1, 2 at 1/2, 2 other": the represented features by dimensionality fraction."""
    parts = [f"{v} at {k}" if k != "other" else f"{v} other" for k, v in fractions.items() if v]
    return ", ".join(parts) or "none"


def seeds_section(sweeps: list[dict]) -> Section:
    """The spread across seeds: per sparsity, represented features and D* as mean [min, max] over the sweeps."""
    seeds = [s["config"]["seed"] for s in sweeps]
    rows = []
    for i, first in enumerate(sweeps[0]["models"]):
        rep = np.array([s["models"][i]["represented"] for s in sweeps], dtype=float)
        dstar = np.array([s["models"][i]["dims_per_feature"] for s in sweeps], dtype=float)
        rows.append([first["sparsity"], 1 / first["density"],
                     f"{rep.mean():.1f} [{rep.min():.0f}, {rep.max():.0f}]",
                     f"{dstar.mean():.3f} [{dstar.min():.3f}, {dstar.max():.3f}]",
                     _fractions_text(first["fractions"])])
    table = Table(["S", "1/(1-S)", f"represented, mean over seeds {seeds[0]}-{seeds[-1]} [min, max]",
                   "D* mean [min, max]", f"represented features by dimensionality D_i (seed {seeds[0]})"], rows,
                  caption=f"{len(sweeps)} sweeps (seeds {', '.join(map(str, seeds))}); represented = ||W_i|| > 0.5; "
                          "D_i counted at a fraction when within 0.03 of it.")
    return Section("Superposition: toy models across seeds", "", [table])


def _r(x) -> str:
    """A correlation to 5 decimals (0.99999 must not read as 1)."""
    return "—" if x is None else f"{x:.5f}"


def interference_summary_table(checks: list[dict]) -> Table:
    """One row per interference check: how exactly W_k.W_j predicts the damage of ablating k, on probes and data."""
    rows = []
    for inter in checks:
        seed = inter.get("seed", "—")
        s, a = inter["summary"], inter["summary"].get("data_agreement") or {}
        rows.append([f"S = {inter['sparsity']:.3g}, seed {seed}", s["pairs"],
                     fmt_g(s["probe_max_abs_error_active"]), _r(s["probe_pearson"]), _r(s.get("data_pearson")),
                     " / ".join(str(a.get(k, "—")) for k in ("flagged_and_affected", "flagged_only",
                                                             "affected_only", "neither"))])
    return Table(["model", "(k, j) pairs, k represented", "max |measured − predicted| on the probe e_j (ReLU active)",
                  "Pearson r (probe)", "Pearson r on its own data (error increase vs prediction)",
                  "pairs flagged (pred. > 0.01) & affected / flagged only / affected only / neither"], rows,
                 "Affected: the pair's importance-weighted squared error changed by more than 1% of the largest change.")


def toy_section(summary: dict, W=None, b=None) -> Section:
    """`summary` from toy.sweep_summary (optionally with "interference"); W, b the trained matrices for the W^T W
    figure (the other figures need only the summary)."""
    from .plots import dimensionality_scatter, gram_and_bias, represented_vs_sparsity

    cfg = summary["config"]
    rows = summary["models"]
    dense = summary["dense"]
    n, m = cfg["n_features"], cfg["n_hidden"]
    frac_names = list(FRACTIONS) + ["other"]
    table = Table(["S", "1/(1-S)", "loss", "represented", "D* = m/||W||²", "median D_i (represented)"]
                  + [f"D≈{f}" for f in frac_names],
                  [[r["sparsity"], 1 / r["density"], r["loss"], r["represented"], r["dims_per_feature"],
                    _median_represented(r)] + [r["fractions"][f] for f in frac_names] for r in rows],
                  caption="Represented = ||W_i|| > 0.5; D≈f counts represented features whose dimensionality "
                          "D_i is within 0.03 of f.")
    text = (f"{len(rows)} toy models, n = {n} features in m = {m} dimensions, importance {cfg['importance_decay']}^i, "
            f"{cfg['steps']:,} Adam steps (lr {cfg['lr']:g}, batch {cfg['batch_size']}), seed {cfg['seed']}. "
            f"Densest model (S = {dense['sparsity']:.3g}) keeps features {dense['kept']}"
            f" — {'exactly' if dense['pca_like'] else 'not'} the {m} most important (the PCA-like solution). "
            f"Most features represented by one model: {summary['max_represented']} (> m = {m} means superposition).")
    figures = []
    sp = [r["sparsity"] for r in rows]
    if W is not None and b is not None and n <= 64:
        figures.append(Figure("W^T W and bias per sparsity", gram_and_bias(np.asarray(W), np.asarray(b), sp),
                              "Each column is one model; red positive, blue negative."))
    figures.append(Figure("Represented features and dimensions per feature",
                          represented_vs_sparsity(sp, [r["represented"] for r in rows],
                                                  [r["dims_per_feature"] for r in rows], m)))
    # the represented features (||W_i|| > 0.5) of each model, as toy.sweep_summary counts them
    dims = [np.asarray(r["dimensionality"])[np.asarray(r["norms"]) > 0.5] for r in rows]
    figures.append(Figure("Feature dimensionality", dimensionality_scatter(dims, sp),
                          "Dashed: the fractions the paper reports (1, 3/4, 2/3, 1/2, 2/5, 3/8) and 1/3."))
    sec = Section("Superposition: toy models (Elhage et al. 2022)", text, [table], figures)
    if "interference" in summary:
        sec.tables.append(interference_table(summary["interference"]))
    return sec


def _median_represented(model: dict) -> float | None:
    """Median dimensionality D_i of a model's represented features (||W_i|| > 0.5); None when there are none."""
    if "dimensionality" not in model or "norms" not in model:
        return None
    d = np.asarray(model["dimensionality"], dtype=float)[np.asarray(model["norms"], dtype=float) > 0.5]
    return float(np.median(d)) if d.size else None


def interference_table(inter: dict) -> Table:
    s = inter["summary"]
    rows = [[p["ablated"], p["affected"], p["cosine"], p["predicted"], p["measured"]] for p in inter["top_pairs"]]
    cap = (f"Toy model at S = {inter['sparsity']:.3g}: ablating feature k's direction; predicted loss of feature j = "
           f"(W_k.W_j)²/||W_k||², measured on the input e_j. {s['pairs']} (k, j) pairs: max |measured - predicted| "
           f"where the ReLU stays active = {fmt_g(s['probe_max_abs_error_active'])}; Pearson r = "
           f"{_r(s['probe_pearson'])}; on the training distribution, Pearson r of the error increase vs the "
           f"prediction = {_r(s.get('data_pearson'))}; pairs flagged (predicted > 0.01) vs affected (|error "
           f"change| > 1% of the largest): {_agree(s)}.")
    return Table(["ablated k", "affected j", "cos(W_k, W_j)", "predicted", "measured"], rows, cap)


def _agree(s: dict) -> str:
    a = s.get("data_agreement")
    if not a:
        return "—"
    return (f"{a['flagged_and_affected']} both, {a['flagged_only']} flagged only, {a['affected_only']} affected only, "
            f"{a['neither']} neither")


def fmt_g(x) -> str:
    """A number to 3 significant digits (the scale of these measures varies over decades); "—" for none."""
    return "—" if x is None else f"{x:.3g}"


def real_section(results: list[dict]) -> Section:
    """Decoder geometry, and the collateral effects of suppressing one latent, for each dictionary."""
    from .plots import max_cos_hist

    geometry, effects = [], []
    for r in results:
        g, c = r["geometry"], r["collateral"]["summary"]
        geometry.append([r["dictionary"], f"{g['latents']:,} / {g['d_model']}", g["max_cos_mean"],
                         g["max_cos_quantiles"]["0.9"], f"{100 * g['share_max_cos_above_0.5']:.1f}%",
                         g["random_max_cos_mean"], g["welch_bound"], g["dimensionality_median"],
                         g.get("random_dimensionality_median")])
        scale = c.get("probe_logit_scale")
        effects.append([r["dictionary"], _ci(c, "moved_per_row"), _ci(c, "moved_share", 100, "%"),
                        _ci(c, "collateral_ratio"),
                        _ci(c, "probe_mean_abs_dlogit") + ("" if scale is None else f" ({scale:.3g})"),
                        _ci(c, "probe_flipped", 100, "%"), _ci(c, "probe_acc_change", 100, " pts"),
                        r["collateral"]["probe_accuracy"]])
    tables = [Table(["dictionary", "latents / dims", "mean max |cos|", "p90 max |cos|", "share with max |cos| > 0.5",
                     "random directions: mean max |cos|", "Welch bound", "median D_i", "random: median D_i"], geometry,
                    "Decoder (write) directions; random: as many Gaussian directions in the same dimension."),
              Table(["dictionary", "other latents moved > 10% per active row", "as share of all other latents",
                     "collateral ratio Σ_j |Δz_j| / |Δz_k|", "probe mean |Δlogit| (mean |logit|)",
                     "probe predictions flipped", "probe accuracy change", "probe accuracy"], effects,
                    "Mean over the suppressed latents with a bootstrap 95% CI over latents (resampling unit: the "
                    "suppressed latent).")]
    text = ("Suppressing a latent removes z_k d_k from every activation row (for MiniLM neurons, scored by "
            "projection, this is a directional ablation). 'Moved per row' is the mean number of other "
            "latents whose score on a row where k was active changes by more than 10% of its size there "
            "(switching on or off counts).")
    return Section("Superposition in real representations", text, tables,
                   [Figure("Max |cosine| between latents", max_cos_hist(results))] if results else [])


def _ci(summary: dict, key: str, scale: float = 1, unit: str = "") -> str:
    """"0.15 [0.088, 0.229]": a mean with its CI, to 3 significant digits, times `scale`, followed by `unit`."""
    v = summary.get(key)
    ci = summary.get(key + "_ci")
    if v is None:
        return "—"
    return f"{scale * v:.3g}{unit}" + (f" [{scale * ci[0]:.3g}, {scale * ci[1]:.3g}]" if ci else "")
