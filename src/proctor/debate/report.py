"""The LLM-debate section of a Proctor report: judge accuracy per protocol with CIs, right vs wrong assignment,
calibration (ECE, reliability plot), invalid and failed counts, Elo, and transcripts with quotes marked.

Transcripts are plain text (the renderer escapes every character). A quote is shown inline as
`[VERIFIED: "..."]` or `[UNVERIFIED: "..."]`, so the judge's view survives escaping without any raw HTML; the
lead may later give `Sample` a list of (text, style) spans to colour them, which this module would fill from
`turn["quotes"]`.
"""

from __future__ import annotations

import math

from ..report import Figure, Sample, Section, Table, figure_png
from ..term import fmt_ci, fmt_num
from .quotes import QUOTE

PROTOCOL_NAMES = {"naive": "naive judge (no passage)", "expert": "expert judge (reads passage)",
                  "consultancy": "consultancy", "debate": "debate"}


def _pct(x) -> str | None:
    """A fraction as percent for a table cell; None (shown as missing) where there is no number."""
    return None if x is None or not math.isfinite(x) else fmt_num(100 * x, 1)


def marked_text(text: str, quotes: list[dict]) -> str:
    """A turn's text with each `<quote>` shown as [VERIFIED: "..."] / [UNVERIFIED: "..."] (plain text)."""
    verdicts = iter(q["verified"] for q in quotes)

    def sub(m):
        ok = next(verdicts, False)
        return f'[{"VERIFIED" if ok else "UNVERIFIED"}: "{m.group(1).strip()}"]'

    return QUOTE.sub(sub, text)


def transcript_text(rec: dict) -> str:
    lines = [f"Question: {rec['question']}"]
    lines += [f"({lab}) {ans}" for lab, ans in zip("AB", rec.get("answers", []))]
    lines.append(f"Correct: {rec.get('correct_label')}"
                 + (f"; consultant argued for {rec['consultant_label']} ({rec['assigned']})"
                    if rec.get("assigned") else ""))
    for t in rec.get("turns", []):
        lines.append(f"\n{t['speaker']} ({t['phase']}):\n{marked_text(t['text'], t.get('quotes', []))}")
    lines.append(f"\nJudge: {rec.get('judge_reply', '')}")
    return "\n".join(lines)


#: verified quotes green, unverified ones red and struck through (the marker text stays, for readers without colour)
QUOTE_MARKS = {r'\[VERIFIED: ".*?"\]': "good", r'\[UNVERIFIED: ".*?"\]': "bad"}


def _reliability_figure(by_protocol: dict) -> Figure | None:
    if not any(s.get("reliability") for s in by_protocol.values()):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfect calibration")
    for p, s in by_protocol.items():
        bins = s.get("reliability") or []
        if bins:
            ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o",
                    label=f"{PROTOCOL_NAMES.get(p, p)} (ECE {s['ece']:.2f})")
    ax.set_xlabel("judge confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, loc="lower right")
    png = figure_png(fig)
    plt.close(fig)
    return Figure("Judge reliability", png, "Accuracy per confidence bin (10 equal-width bins).")


def sections(summary: dict) -> list[Section]:
    """The report's LLM-debate section."""
    return [debate_section(summary)]


def debate_section(summary: dict) -> Section:
    by = summary.get("protocols", {})
    rows = []
    for p, s in by.items():
        ba = s.get("by_assignment", {})
        rows.append([PROTOCOL_NAMES.get(p, p), s["samples"], s["valid"], s["invalid"], s["failed"],
                     _pct(s["accuracy"]), fmt_ci(s["ci"], 1, scale=100),
                     _pct(ba["right"]["accuracy"]) if ba else None, _pct(ba["wrong"]["accuracy"]) if ba else None,
                     s["ece"] if math.isfinite(s.get("ece", math.nan)) else None,
                     f"{s['quotes']['verified']}/{s['quotes']['total']}" if s["quotes"]["total"] else None])
    tables = [Table(["protocol", "samples", "valid", "invalid", "failed", "judge acc. %", "95% CI",
                     "acc. | assigned right %", "acc. | assigned wrong %", "ECE", "quotes verified"], rows,
                    caption="Accuracy over valid verdicts; invalid = no parsable <answer> tag (never guessed); "
                            "failed = the sample's model calls kept failing (retried on the next run).")]
    if summary.get("elo"):
        tables.append(Table(["debater", "Elo", "95% CI", "wins", "games"],
                            [[n, round(r["elo"]), fmt_ci((r["lo"], r["hi"]), 0), r["wins"], r["games"]]
                             for n, r in sorted(summary["elo"].items(), key=lambda kv: -kv[1]["elo"])],
                            caption="Bradley-Terry fit of cross-play wins, Elo scale (400/ln 10); bootstrap CI."))
    figs = [f for f in [_reliability_figure(by)] if f is not None]
    samples = [Sample(label=f"{r['protocol']} {r['id']}: judge chose {r['choice'] or 'nothing (invalid)'}, "
                            f"correct {r['correct_label']}", text=transcript_text(r), highlights=QUOTE_MARKS)
               for r in summary.get("transcripts", [])]
    notes = []
    if not summary.get("complete", True):
        notes.append(f"Incomplete run: {summary.get('units_done')} of {summary.get('units_planned')} samples "
                     "finished; rerun the same command to resume.")
    text = (f"Judge {summary.get('roles', {}).get('judge', '')} on {summary.get('dataset', '')}; questions binarised "
            "to the correct answer and the best distractor, answer positions swapped across samples. The judge "
            "never sees the passage except as the expert baseline; quotes are checked against it verbatim.")
    return Section(title=summary.get("title", "LLM debate"), summary=text, tables=tables, figures=figs,
                   samples=samples, notes=notes)

