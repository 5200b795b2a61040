"""Report sections for SAE results: reconstruction, monitors vs probes per contrastive set, top-activating examples
(shown as escaped samples), splice cost and suppression."""

from __future__ import annotations

from proctor.report import Sample, Section, Table

from ..term import fmt_ci, fmt_num

_NAMES = {"sae_features": "SAE features", "diff_of_means": "diff-of-means probe", "logistic": "logistic probe"}


def value_ci(m: dict) -> str:
    """A metric {"value", "ci": [lo, hi]} as "0.812 [0.750, 0.870]"; "—" where there is no value."""
    return "—" if m["value"] is None else f"{fmt_num(m['value'])} {fmt_ci(m['ci'])}"


def _units(sets: dict) -> str:
    """What each set's bootstrap resampled, for a caption: "hh: test prompt pairs; sst2: ..."."""
    return "; ".join(f"{name}: {s['comparison']['unit'] if s.get('comparison') else 'test texts, each class separately'}"
                     for name, s in sets.items())


def monitor_table(sets: dict) -> Table:
    rows = []
    for name, s in sets.items():
        for key, m in s["monitors"].items():
            rows.append([name, _NAMES.get(key, key), value_ci(m["auroc"]), value_ci(m["tpr@1%"]),
                         value_ci(m["tpr@5%"]), m.get("realised_fpr@1%"), m.get("realised_fpr@5%")])
    return Table(["set", "monitor", "AUROC [95% CI]", "TPR @ 1% FPR", "TPR @ 5% FPR", "realised FPR (1%)",
                  "realised FPR (5%)"], rows,
                 caption=f"Test split; 95% CIs: BCa bootstrap resampling {_units(sets)}. Realised FPR: threshold "
                         f"calibrated on half of the test reference texts, counted on the other half.")


def comparison_table(sets: dict) -> Table:
    """Per set: the probe chosen on the training split and the paired difference SAE minus that probe."""
    rows = []
    for name, s in sets.items():
        c = s.get("comparison")
        if not c:
            continue
        cv = c["cv"]
        rows.append([name, _NAMES.get(c["probe"], c["probe"]),
                     " / ".join(fmt_num(cv[k]["tpr@1%"]) for k in ("diff_of_means", "logistic")),
                     value_ci(s["monitors"]["sae_features"]["tpr@1%"]), value_ci(s["monitors"][c["probe"]]["tpr@1%"]),
                     value_ci(c), c["unit"]])
    return Table(["set", "comparison probe", "CV TPR @ 1% FPR (diff-of-means / logistic)", "SAE TPR @ 1% FPR",
                  "probe TPR @ 1% FPR", "SAE minus probe [95% CI]", "CI resamples"], rows,
                 caption="The probe is chosen without the test split: the higher 5-fold cross-validated TPR at 1% "
                         "FPR on the training split (folds keep a pair together). The difference's CI is a paired "
                         "BCa bootstrap: the same resampled test items score both monitors; it excludes 0 only where "
                         "one monitor is measurably better.")


def sections(summary: dict) -> list[Section]:
    """The experiment's sections, each title prefixed with the experiment's."""
    secs = _sections(summary)
    for s in secs:
        s.title = f"{summary.get('title', 'sae')}: {s.title}"
    return secs


def _sections(res: dict) -> list[Section]:
    cfg, sc = res.get("config", {}), res.get("sae_config", {})
    rec = res.get("reconstruction", {})
    rec_rows = [[split, r["fvu"], r["l0"], r["dead_fraction"], r["rows"]] for split, r in rec.items()]
    sections = [Section(
        "SAE: reconstruction",
        summary=(f"{sc.get('architecture', '?')} SAE with {sc.get('num_latents', 0):,} latents (k = {sc.get('k')}) on "
                 f"{sc.get('model', '?')} {sc.get('site', '?')}, trained on {res.get('train_rows', 0):,} tokens for "
                 f"{res.get('train', {}).get('steps', 0)} steps ({res.get('train', {}).get('seconds', 0):.0f} s), "
                 f"seed {cfg.get('seed', 0)}."),
        tables=[Table(["tokens", "FVU", "L0", "dead fraction", "rows"], rec_rows)])]
    if res.get("sets"):
        sections.append(Section("SAE monitor vs linear probes",
                                tables=[monitor_table(res["sets"]), comparison_table(res["sets"])],
                                summary="Each monitor is fit on the training split of its set and scored on the test "
                                        "split; the SAE monitor uses the latents that best separate the training "
                                        "texts. Whether it beats the probes is the paired difference (second table), "
                                        "not the overlap of the per-monitor intervals."))
        for name, s in res["sets"].items():
            rows = [[r["latent"], r["auroc"], r["mean_diff"], r["cohens_d"], r["frac_active"]] for r in s["ranking"]]
            samples = [Sample(f"latent {r['latent']} ({e['activation']:.2f} at token {e.get('token')!r})", e["text"])
                       for r in s["ranking"] for e in r.get("examples", [])]
            sections.append(Section(f"Features: {name} ({s['flagged']} vs {s['reference']})",
                                    tables=[Table(["latent", "AUROC", "mean diff", "Cohen's d", "share active"],
                                                  rows, caption="Ranked on the training split by |AUROC - 0.5|.")],
                                    samples=samples))
    if res.get("splice"):
        sp = res["splice"]
        rows = [["clean", 1.0, sp.get("probe_accuracy_clean")], ["SAE spliced", sp["cosine_sae"],
                                                                sp.get("probe_accuracy_sae")],
                ["site zeroed", sp["cosine_zero"], sp.get("probe_accuracy_zero")]]
        sections.append(Section("Splicing the SAE into the model", tables=[Table(
            ["site output", "cosine to clean final embedding", "sentiment probe accuracy"], rows,
            caption=f"{sp['texts']} SST-2 test sentences; the probe is fit on clean final embeddings.")]))
    if res.get("suppression"):
        rows = []
        for name, r in res["suppression"].items():
            for cond in ("clean", "suppressed", "random"):
                rows.append([name, cond, r[f"concept_{cond}_auroc"], r["unrelated_set"],
                             r[f"unrelated_{cond}_accuracy"]])
        sections.append(Section("Suppression (ablating the monitor's latents)", tables=[Table(
            ["concept", "condition", "concept probe AUROC", "unrelated task", "unrelated accuracy"], rows,
            caption="Probes on clean final embeddings; 'random' ablates as many random latents.")]))
    return sections
