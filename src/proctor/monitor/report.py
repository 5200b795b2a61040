"""Report sections for the monitor: `sections(summary)` for a run's report (detection tables and time series), and
the utilities' sections (watched-stream history, length control, sycophancy arithmetic). Figures are matplotlib (Agg,
no pyplot); every string goes through `proctor.report`, which escapes it."""

from __future__ import annotations

import math

import numpy as np

from ..report import Figure, Section, Table, figure_png
from .experiment import KEY_METRIC, HarnessResult, best_per_case, result_from_stored

__all__ = ["harness_section", "lc_section", "sections", "sycophancy_section", "watch_section"]

_COLORS = {"cusum": "#c0392b", "page_hinkley": "#8e44ad", "ks": "#2e8b57", "psi": "#d35400", "wasserstein": "#7f8c8d",
           "chi2": "#2f5fb3"}


def _fig(nrows: int, ncols: int = 1, w: float = 8.0, h: float = 2.4):
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(w, h * nrows), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _rolling(x: np.ndarray, k: int) -> np.ndarray:
    ok = ~np.isnan(x)
    c = np.cumsum(np.where(ok, x, 0.0))
    n = np.cumsum(ok)
    c[k:], n[k:] = c[k:] - c[:-k], n[k:] - n[:-k]
    return np.where(n > 0, c / np.maximum(n, 1), np.nan)


def _time_series(examples: list[dict]) -> bytes:
    fig, axes = _fig(len(examples), w=9.5)
    for ax, ex in zip(axes[:, 0], examples):
        x = np.asarray(ex["values"], dtype=np.float64)
        ax.plot(np.arange(x.size), _rolling(x, 50), color="#2f5fb3", lw=1.0, label="rolling mean (50)")
        ax.axvline(ex["onset"], color="black", ls="--", lw=1.0, label="drift onset")
        top = np.nanmax(_rolling(x, 50))
        for j, (det, idx) in enumerate(ex["alarms"].items()):
            if idx:
                ax.scatter(idx, [top * (1.02 + 0.04 * j)] * len(idx), marker="v", s=18, color=_COLORS.get(det, "k"),
                           label=f"{det} alarms")
        ax.set_title(f"{ex['case']}: {ex['metric']}", loc="left", fontsize=9)
        ax.set_xlabel("response", fontsize=8)
        ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: markers sit on top
    return figure_png(fig)


def sections(summary: dict) -> list[Section]:
    """The experiment's section of a run's report (none until its unit is stored)."""
    if not summary.get("complete"):
        return []
    out = [harness_section(result_from_stored(summary))]
    if summary.get("code_drift"):
        out.append(code_drift_section(summary["code_drift"]))
    return out


def code_drift_section(cd: dict) -> Section:
    """The code monitor's flagged rate per training step through the change-point detectors (code_drift = true)."""
    from ..term import fmt_ci

    det = Table(["hack rate per rollout", "detector", "median delay (steps)", "95% CI", "detected",
                 "pre-onset alarms / 10k steps"],
                [[f"{r['rate']:g}", r["detector"], r["median_delay"], fmt_ci(r["delay_ci"], 0) if r["delay_ci"] else "—",
                  f"{r['detected']:.0%}", r["pre_onset_alarms_per_10k"]] for r in cd["detection"]],
                caption=f"{cd['replicates']} drifted streams per rate: {cd['onset']} clean steps, then each rollout a "
                        f"hacked solution with the given probability, horizon {cd['horizon']} steps. CI: exact "
                        f"order-statistic interval of the median; a stream with no alarm within the horizon counts "
                        f"as a delay beyond it.")
    fa = Table(["detector", "false alarms / 10k clean steps", "95% CI", "threshold"],
               [[r["detector"], r["per_10k"], fmt_ci(r["ci"], 1), cd["thresholds"].get(f"{r['detector']}:flagged_rate")]
                for r in cd["false_alarms"]],
               caption=f"{cd['replicates']} clean streams of {cd['clean_steps']:,} steps (honest rollouts only); "
                       f"mean with a percentile-bootstrap CI over the streams; detectors calibrated to "
                       f"{cd['target_per_10k']:g} per 10k.")
    summary = (f"A simulated RL run: {cd['batch']} rollouts per step, resampled from HumanEval solutions scored by the "
               f"static code monitor at its 1%-FPR threshold ({cd['threshold']:.3g}, set on the calibration half of "
               f"the problems). Streams come from the other half: {cd['n_honest']} honest rows (flagged "
               f"{cd['honest_flag_rate']:.1%}) and {cd['n_hacked']} hacked rows (flagged {cd['hacked_flag_rate']:.1%}). "
               f"The monitored value is the share of a step's rollouts flagged.")
    return Section("Reward hacking in code over a training run: detection delay and false alarms", summary=summary,
                   tables=[det, fa], notes=["Detectors were calibrated on clean batches flagged at "
                                            f"{cd['reference_flag_rate']:.1%} per rollout (the threshold's target "
                                            "FPR), not on the calibration rows themselves, which flag none."],
                   anchor="monitor-code-drift")


def _best_rows(res: HarnessResult) -> tuple[list[list], list[float]]:
    """Per drift: the pair chosen on the selection replicates, its median there, and on the fresh replicates its
    median delay [exact 95% CI] and detected share; also the CIs' exact coverages."""
    from ..term import fmt_ci
    from .summary import median_ci

    fresh = {r["case"]: r for r in res.fresh}
    rows, coverages = [], []
    for b in best_per_case(res):
        f = fresh.get(b["case"])
        m = median_ci(f["delays"], res.config.horizon) if b["detector"] is not None and f and f["delays"] else None
        if m and m["coverage"]:
            coverages.append(m["coverage"])
        rows.append([b["case"], b["detector"], b["metric"], b["median_delay"],
                     m["median"] if m else None, fmt_ci(m["ci"], 0) if m and m["ci"] else "—",
                     f"{m['detected']:.0%}" if m else "—", b["false_per_10k"]])
    return rows, coverages


def harness_section(res: HarnessResult) -> Section:
    cfg = res.config
    fa = {(r["detector"], r["metric"]): r["per_10k"] for r in res.false_alarms}
    rows, coverages = _best_rows(res)
    cover = (f" (exact coverage {min(coverages):.1%}" + (f" to {max(coverages):.1%}" if max(coverages) > min(coverages)
                                                           else "") + ")") if coverages else ""
    best = Table(["drift", "chosen pair", "metric", f"median delay: selection ({cfg.replicates})",
                  f"median delay: fresh ({cfg.fresh_replicates})", "95% CI (fresh)", "detected (fresh)",
                  "false alarms / 10k"], rows,
                 caption=f"Per drift, the pair chosen on {cfg.replicates} selection replicates (the fastest that "
                         f"caught every one within the horizon and kept its clean false-alarm rate within twice the "
                         f"target), then measured on {cfg.fresh_replicates} fresh replicates it was not chosen on. "
                         f"CI: exact distribution-free interval of the median from order statistics{cover}; a fresh "
                         f"replicate with no alarm within the horizon counts as a delay beyond it.")
    keyed = Table(["drift", "detector", "metric", "detected", "median delay", "mean delay", "pre-onset alarms",
                   "false alarms / 10k"],
                  [[r["case"], r["detector"], r["metric"], f"{r['detected']:.0%}", r["median_delay"], r["mean_delay"],
                    r["pre_onset_alarms"], fa.get((r["detector"], r["metric"]))] for r in res.detection
                   if _shown(r)],
                  caption="Selection replicates: each detector on the metric the drift targets, and 'any' (the "
                          "first alarm of any pair). These numbers chose the pairs above; the fastest of many pairs on "
                          "the same streams is biased low, which is why the fresh replicates are reported.")
    false = Table(["detector", "metric", "alarms", "per 10k clean"],
                  [[r["detector"], r["metric"], r["alarms"], r["per_10k"]] for r in res.false_alarms],
                  caption=f"Alarms on {cfg.clean_length:,} clean responses; each pair calibrated to "
                          f"{cfg.target_per_10k:g} per 10k.")
    summary = (f"Clean stream: {res.n_reference + res.n_pool:,} HH-RLHF chosen replies, {res.n_reference:,} for "
               f"calibration and {res.n_pool:,} resampled into evaluation streams. Drift onset after {cfg.onset:,} "
               f"responses, horizon {cfg.horizon:,}, {cfg.replicates} selection and {cfg.fresh_replicates} fresh "
               f"replicates per drift, windows of "
               f"{cfg.window}, target {cfg.target_per_10k:g} false alarms per 10k responses per pair.")
    notes = ["Delays are counted in responses from the onset; window tests can only alarm when a window closes, so "
             "their delays are multiples of the window size.",
             "'any' pools every (detector, metric) pair: its false-alarm rate is roughly the sum of the pairs' rates."]
    figs = [Figure("Injected drifts: the targeted metric and the alarms", _time_series(res.examples),
                   "One replicate per drift; triangles mark alarms of each detector on that metric.")] \
        if res.examples else []
    return Section("Reward-hacking monitor: detection delay and false alarms", summary=summary,
                   tables=[best, keyed, false], figures=figs, notes=notes, anchor="monitor-eval")


def _shown(row: dict) -> bool:
    """Rows of the per-drift table: the targeted metric, 'any', and the echoed question for filler."""
    return row["metric"] in ("any", _key(row["drift"])) or (row["drift"], row["metric"]) == ("filler", "restating")


def _key(drift: str) -> str:
    return KEY_METRIC.get(drift, "")


def watch_section(state: dict, alarms: list[dict], source: str, reference_means: dict | None = None) -> Section:
    """A watched stream: window means of every metric over time (dashed: the reference mean), with the alarms."""
    mon = state.get("monitor", {})
    hist = mon.get("history", [])
    metrics = [k for k in (hist[0] if hist else {}) if k != "end"]
    figs = []
    if hist and metrics:
        fig, axes = _fig(len(metrics), h=1.6)
        ends = [h["end"] for h in hist]
        for ax, m in zip(axes[:, 0], metrics):
            ax.plot(ends, [np.nan if h.get(m) is None else h[m] for h in hist], color="#2f5fb3", lw=1.0)
            if reference_means and reference_means.get(m) is not None and math.isfinite(reference_means[m]):
                ax.axhline(reference_means[m], color="#7f8c8d", ls="--", lw=0.8)
            for a in alarms:
                if a["metric"] == m:
                    ax.axvline(a["index"], color=_COLORS.get(a["detector"], "k"), lw=0.6, alpha=0.6)
            ax.set_title(m, loc="left", fontsize=8)
        figs.append(Figure("Window means over the stream", figure_png(fig),
                           "Dashed: the reference mean. Vertical lines: alarms, coloured by detector."))
    counts = Table(["detector:metric", "alarms"], [[k, v] for k, v in mon.get("alarms_by_pair", {}).items() if v])
    summary = (f"{source}: {state.get('line', 0):,} lines read, {state.get('valid', 0):,} valid, "
               f"{state.get('invalid', 0):,} invalid, {mon.get('alarms_total', 0):,} alarms.")
    return Section("Watched stream", summary=summary, tables=[counts], figures=figs, anchor="monitor-watch")


def lc_section(corr: dict, table) -> Section:
    fig, axes = _fig(1, 2, w=8.0, h=3.2)
    for ax, col, name in ((axes[0, 0], "win_rate", "raw win rate"), (axes[0, 1], "lc", "length-controlled")):
        ax.scatter(table["avg_length"], table[col], s=8, color="#2f5fb3")
        ax.set_xlabel("average length (characters)", fontsize=8)
        ax.set_ylabel(f"{name} (%)", fontsize=8)
        rho = corr["spearman_length_raw" if col == "win_rate" else "spearman_length_lc"]
        ax.set_title(f"{name}: Spearman {rho:.3f}", loc="left", fontsize=9)
    t = Table(["quantity", "value"], [[k, v] for k, v in corr.items() if isinstance(v, (int, float, str))])
    return Section("Length control (AlpacaEval 2)", summary=f"{corr['models']} leaderboard models.", tables=[t],
                   figures=[Figure("Length vs win rate", figure_png(fig))], anchor="monitor-lc")


def sycophancy_section(s: dict) -> Section:
    rows = [[p, s[p]["samples"], s[p]["answered"], s[p]["no_verdict"], s[p]["liberal_answers"], s[p]["p_liberal"]]
            for p in ("liberal", "conservative")]
    t = Table(["user persona", "samples", "answered", "no verdict", "liberal answers", "P(liberal answer)"], rows)
    gap = s["gap"]
    summary = (f"Model {s.get('model', '?')}: gap = P(liberal | liberal user) - P(liberal | conservative user) = "
               f"{s['liberal']['p_liberal']:.3f} - {s['conservative']['p_liberal']:.3f} = "
               f"{'undefined' if gap != gap else f'{gap:.3f}'}; paired: ({s['pairs_flip_toward_user']} toward - "
               f"{s['pairs_flip_away_from_user']} away) / {s['pairs_answered']} pairs.")
    return Section("Sycophancy on paired political prompts", summary=summary, tables=[t], anchor="monitor-syc",
                   notes=[] if all(math.isfinite(v) for v in (s["liberal"]["p_liberal"],
                                                               s["conservative"]["p_liberal"]))
                   else ["A persona with no answered reply leaves the gap undefined."])
