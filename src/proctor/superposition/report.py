"""Report sections for superposition: the toy sweep (phase behaviour, W^T W, dimensionality fractions), the toy
interference check, and real-representation interference (MiniLM neurons, SAE latents)."""

from __future__ import annotations

import numpy as np

from proctor.report.render import Figure, Section, Table

from .geometry import FRACTIONS


def sections(summary: dict) -> list[Section]:
    """One section per toy sweep (with its interference check), then the real-representation measurements."""
    out = []
    for i, s in enumerate(summary["sweeps"]):
        if i < len(summary["interference"]):
            s = dict(s, interference=summary["interference"][i])
        out.append(toy_section(s, s.get("W"), s.get("b")))
    if summary["real"]:
        out.append(real_section(summary["real"]))
    return out


def toy_section(summary: dict, W=None, b=None) -> Section:
    """`summary` from toy.sweep_summary (optionally with "interference"); W, b the trained matrices for the W^T W
    figure (the other figures need only the summary)."""
    from .plots import dimensionality_scatter, gram_and_bias, represented_vs_sparsity

    cfg = summary["config"]
    rows = summary["models"]
    dense = summary["dense"]
    n, m = cfg["n_features"], cfg["n_hidden"]
    frac_names = list(FRACTIONS) + ["other"]
    table = Table(["S", "1/(1-S)", "loss", "represented", "D* = m/||W||²"] + [f"D≈{f}" for f in frac_names],
                  [[r["sparsity"], 1 / r["density"], r["loss"], r["represented"], r["dims_per_feature"]]
                   + [r["fractions"][f] for f in frac_names] for r in rows],
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


def interference_table(inter: dict) -> Table:
    s = inter["summary"]
    rows = [[p["ablated"], p["affected"], p["cosine"], p["predicted"], p["measured"]] for p in inter["top_pairs"]]
    cap = (f"Toy model at S = {inter['sparsity']:.3g}: ablating feature k's direction; predicted loss of feature j = "
           f"(W_k.W_j)²/||W_k||², measured on the input e_j. {s['pairs']} (k, j) pairs: max |measured - predicted| "
           f"where the ReLU stays active = {fmt_g(s['probe_max_abs_error_active'])}; Pearson r = "
           f"{fmt_g(s['probe_pearson'])}; on the training distribution, Pearson r of the error increase vs the "
           f"prediction = {fmt_g(s.get('data_pearson'))}; pairs flagged (predicted > 0.01) vs affected (|error "
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
    """Decoder interference, dimensionality and collateral effects for each dictionary."""
    from .plots import max_cos_hist

    rows = []
    for r in results:
        g, c = r["geometry"], r["collateral"]["summary"]
        rows.append([r["dictionary"], g["latents"], g["d_model"], g["max_cos_mean"], g["max_cos_quantiles"]["0.9"],
                     g["random_max_cos_mean"], g["welch_bound"], g["dimensionality_median"],
                     g.get("random_dimensionality_median"),
                     _ci(c, "moved_per_row"), _ci(c, "probe_mean_abs_dlogit"), _ci(c, "probe_flipped"),
                     r["collateral"]["probe_accuracy"]])
    table = Table(["dictionary", "latents", "d", "mean max|cos|", "p90 max|cos|", "random mean max|cos|", "Welch",
                   "median D_i", "random median D_i", "others moved per row", "probe mean |Δlogit|", "probe flips",
                   "probe acc"], rows,
                  "Collateral columns: mean over the suppressed latents with a bootstrap 95% CI over latents.")
    text = ("Suppressing a latent removes z_k d_k from every activation row (for MiniLM neurons, scored by "
            "projection, this is a directional ablation). 'Others moved per row' is the mean number of other "
            "latents whose score on a row where k was active changes by more than 10% of its size there "
            "(switching on or off counts).")
    return Section("Superposition in real representations", text, [table],
                   [Figure("Max |cosine| between latents", max_cos_hist(results))] if results else [])


def _ci(summary: dict, key: str) -> str:
    v = summary.get(key)
    ci = summary.get(key + "_ci")
    if v is None:
        return "—"
    return f"{v:.3g} [{ci[0]:.3g}, {ci[1]:.3g}]" if ci else f"{v:.3g}"
