"""Judge metrics over records (see judged.py): accuracy with bootstrap CIs, by assignment and by position,
calibration (ECE and reliability bins), invalid and failed counts.

Accuracy is over samples with a valid verdict; samples without one are counted in `invalid` (never guessed) and
samples that raised are counted in `failed`. `accuracy_invalid_wrong` scores invalid verdicts as wrong, the
conservative reading. For consultancy, `by_assignment` splits accuracy by whether the consultant argued for the
right or the wrong answer (Khan et al. 2024, Fig. 2); for debate, whether debater_a did (the same split as
`by_position`, named for cross-play where debater_a and debater_b differ). For every protocol `by_position` splits
it by the position of the correct answer (position bias); for debate `judge_picks_a` is the share of verdicts for A.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..llm.stats import expected_calibration_error, reliability_bins
from ..stats import bootstrap_mean

N_BOOT = 2000
"""Bootstrap resamples of the judged samples for each accuracy's CI."""


def _acc(recs: list[dict], seed: int) -> dict:
    iv = bootstrap_mean([1.0 if r["correct"] else 0.0 for r in recs], n_boot=N_BOOT, seed=seed)
    return {"accuracy": iv.value, "ci": [iv.lo, iv.hi], "n": len(recs)}


def summarize_records(records: Sequence[dict], seed: int = 0) -> dict:
    """The numbers of one protocol run (JSON-able; undefined values are NaN)."""
    ran = [r for r in records if not r.get("failed")]
    valid = [r for r in ran if r.get("choice") is not None]
    out = {"samples": len(records), "failed": len(records) - len(ran), "invalid": len(ran) - len(valid),
           "valid": len(valid)}
    out.update(_acc(valid, seed))
    out["accuracy_invalid_wrong"] = (sum(1 for r in valid if r["correct"]) / len(ran)) if ran else float("nan")
    out["by_position"] = {lab: _acc([r for r in valid if r.get("correct_label") == lab], seed) for lab in ("A", "B")}
    if any(r.get("assigned") for r in valid):
        out["by_assignment"] = {a: _acc([r for r in valid if r.get("assigned") == a], seed) for a in ("right", "wrong")}
    elif valid and all(r.get("protocol") == "debate" for r in valid):
        # debate: debater_a argues for position A, so it was assigned the right answer when A is correct
        out["by_assignment"] = {"right": out["by_position"]["A"], "wrong": out["by_position"]["B"]}
    if valid:
        out["judge_picks_a"] = sum(1 for r in valid if r["choice"] == "A") / len(valid)
    conf = [r for r in valid if r.get("confidence") is not None]
    c, y = [float(r["confidence"]) for r in conf], [1.0 if r["correct"] else 0.0 for r in conf]
    out["ece"] = expected_calibration_error(c, y) if conf else float("nan")
    out["reliability"] = reliability_bins(c, y) if conf else []
    out["confidence_sources"] = {s: sum(1 for r in valid if r.get("confidence_source") == s)
                                 for s in ("logprobs", "stated", "none")}
    quotes = [q for r in ran for t in r.get("turns", []) for q in t.get("quotes", [])]
    out["quotes"] = {"total": len(quotes), "verified": sum(1 for q in quotes if q["verified"])}
    return out
