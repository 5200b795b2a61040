"""The CAI section of a Proctor report: the supervised stage, the AI preference labels and the judge ratings."""

from __future__ import annotations

from ..report import Section, Table
from ..term import fmt_num


def sections(summary: dict) -> list[Section]:
    r, p, e = summary.get("revise"), summary.get("prefer"), summary.get("evaluate")
    if not r:
        return []
    tables = [Table(["prompts", "complete chains", "invalid critiques", "invalid revisions", "failed", "SFT rows"],
                    [[r["prompts"], r["complete"], r["invalid_critique"], r["invalid_revision"], r["failed"],
                      r["sft_rows"]]], caption="Supervised stage (critique -> revision)")]
    sp = summary.get("sample")
    if sp:
        tables.append(Table(["prompts", "pairs", "identical samples", "empty sample", "failed", "temperature"],
                            [[sp["prompts"], sp["pairs"], sp["identical"], sp["no_response"], sp["failed"],
                              sp["temperature"]]],
                            caption="RL-stage pairs: two samples of the policy per prompt (Bai et al. 2022, "
                                    "Section 4)"))
    if p:
        revision = p.get("pairing", "revision") == "revision"
        tables.append(Table(["pairs", "valid verdicts", "invalid", "revision preferred" if revision else
                             "second sample preferred", "mean judge probability"],
                            [[p["pairs"], p["valid"], p["invalid"], p["prefer_second"],
                              p["mean_judge_probability"]]],
                            caption="AI preference labels (RLAIF): " + (
                                "first reply vs final revision" if revision else "two samples per prompt")))
    if e:
        tables.append(Table(["rubric", "prompts", "before", "after", "change", "95% CI", "invalid ratings"],
                            [[k, e[k]["n"], e[k]["before"], e[k]["after"], e[k]["change"], _change_ci(e[k]["ci"]),
                              e[k]["invalid"]] for k in ("harmless", "helpful")],
                            caption="Judge ratings (1-7) of the first reply and the final revision"))
    return [Section(title=f"Constitutional AI: {summary['experiment']}",
                    summary=f"Policy {summary.get('policy')}, constitution {r['constitution']}, "
                            f"{r['rounds']} round(s), seed {r['seed']}.", tables=tables)]


def _change_ci(ci) -> str | None:
    """A change's CI as "+a .. +b" (None where there is none)."""
    if not ci or ci[0] is None:
        return None
    return f"{fmt_num(ci[0], 2, signed=True)} .. {fmt_num(ci[1], 2, signed=True)}"
