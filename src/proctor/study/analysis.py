"""A study's numbers from its judgments: per protocol (and judge kind) accuracy with a 95% CI from a two-way cluster
bootstrap that resamples judges and questions together (proctor.stats.two_way_bootstrap_weights), calibration (ECE,
Brier), time per judgment, accuracy by consultant type, and debate - naive with its CI from the same resamples.

A judgment's probability that the correct answer is right, `p_correct`, comes from the slider (p_a, the probability
that the answer shown as A is correct) and the counterbalanced position. It is correct when p_correct > 0.5, half
correct at exactly 0.5 (no answer chosen). Confidence = the probability given to the chosen answer, max(p, 1 - p)
(ECE over 10 equal-width bins as in proctor.llm.stats); Brier = mean (1 - p_correct)^2.

`khan_rows` exports judgments with the column names of Khan et al.'s (2024) released human-judge data.
"""

from __future__ import annotations

import json
import math

import numpy as np

UNIT = "judges x questions (two-way cluster bootstrap)"
KHAN_COLUMNS = ("debate_id", "judge_id", "debate_method", "consultant_type", "swap", "correct",
                "confidence_correct", "confidence", "explanation", "turns_used", "judgement_time", "question",
                "answer_correct", "answer_incorrect", "judge_kind", "question_id", "over_time")


def correctness(p_correct: np.ndarray) -> np.ndarray:
    return np.where(p_correct > 0.5, 1.0, np.where(p_correct < 0.5, 0.0, 0.5))


def _finite(x) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _group(rows: list[dict], weights: np.ndarray, mask: np.ndarray) -> dict:
    from ..llm.stats import expected_calibration_error
    from ..stats import weighted_interval

    p = np.array([r["p_correct"] for r in rows], dtype=np.float64)[mask]
    y = correctness(p)
    conf = np.maximum(p, 1 - p)
    secs = np.array([r["seconds"] if r["seconds"] is not None else np.nan for r in rows])[mask]
    iv = weighted_interval(y, weights[:, mask])
    out = {"n": int(mask.sum()), "judges": len({r["judge_id"] for r, m in zip(rows, mask) if m}),
           "questions": len({r["question_id"] for r, m in zip(rows, mask) if m}),
           "accuracy": _finite(iv.value), "ci": [_finite(iv.lo), _finite(iv.hi)],
           "ece": _finite(expected_calibration_error(conf, y)) if y.size else None,
           "brier": _finite(float(np.mean((1 - p) ** 2))) if p.size else None,
           "seconds_median": _finite(float(np.nanmedian(secs))) if np.isfinite(secs).any() else None,
           "seconds_mean": _finite(float(np.nanmean(secs))) if np.isfinite(secs).any() else None}
    return out


def summarize_rows(rows: list[dict], *, n_boot: int = 1000, seed: int = 0) -> dict:
    """Results of every judgment row (StudyDB.rows): the `proctor study results --json` object. Judgments that
    arrived after the time limit (`over_time`: refused, the item timed out) are not counted in accuracy,
    calibration or time; they are counted per protocol as `timed_out`."""
    from ..stats import two_way_bootstrap_weights

    late: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["over_time"]:
            per = late.setdefault(r["kind"], {})
            per[r["protocol"]] = per.get(r["protocol"], 0) + 1
    rows = [r for r in rows if not r["over_time"]]
    kinds = sorted({r["kind"] for r in rows})
    w = two_way_bootstrap_weights([r["judge_id"] for r in rows], [r["question_id"] for r in rows],
                                  n_boot=n_boot, seed=seed)
    proto = np.array([r["protocol"] for r in rows], dtype=object)
    kind = np.array([r["kind"] for r in rows], dtype=object)
    bodies = [json.loads(r["body"]) for r in rows]
    ctype = np.array([b.get("consultant_type") or "" for b in bodies], dtype=object)
    honest = np.array([b.get("honest_model") or "" for b in bodies], dtype=object)
    by_kind = {}
    for k in kinds:
        protocols = {}
        for p in sorted({r["protocol"] for r in rows if r["kind"] == k}):
            m = (proto == p) & (kind == k)
            g = _group(rows, w, m)
            if p == "consultancy":
                g["by_consultant_type"] = {t: _group(rows, w, m & (ctype == t)) for t in ("correct", "incorrect")
                                           if (m & (ctype == t)).any()}
            models = sorted(set(honest[m]) - {""})
            if len(models) > 1:  # a live debate between two models: accuracy by the model arguing the truth
                g["by_honest_model"] = {x: _group(rows, w, m & (honest == x)) for x in models}
            g["timed_out"] = late.get(k, {}).get(p, 0)
            protocols[p] = g
        by_kind[k] = {"protocols": protocols, "timed_out": late.get(k, {}),
                      "debate_minus_naive": _difference(rows, w, kind == k, "debate", "naive"),
                      "assisted_minus_unassisted": _difference(rows, w, kind == k, "assisted", "unassisted")}
    for k in set(late) - set(by_kind):  # only timed-out judgments from this kind of judge
        by_kind[k] = {"protocols": {}, "timed_out": late[k], "debate_minus_naive": None,
                      "assisted_minus_unassisted": None}
    human = by_kind.get("human", {"protocols": {}, "timed_out": {}, "debate_minus_naive": None,
                                  "assisted_minus_unassisted": None})
    return {"judgments": len(rows), "timed_out": human["timed_out"], "unit": UNIT, "n_boot": n_boot, "seed": seed,
            "protocols": human["protocols"], "debate_minus_naive": human["debate_minus_naive"],
            "assisted_minus_unassisted": human["assisted_minus_unassisted"], "by_judge_kind": by_kind}


def _difference(rows, w, mask, a: str, b: str) -> dict | None:
    proto = np.array([r["protocol"] for r in rows], dtype=object)
    ma, mb = mask & (proto == a), mask & (proto == b)
    if not ma.any() or not mb.any():
        return None
    y = correctness(np.array([r["p_correct"] for r in rows], dtype=np.float64))
    wa, wb = w[:, ma], w[:, mb]
    ok = (wa.sum(1) > 0) & (wb.sum(1) > 0)
    reps = (wa[ok] @ y[ma]) / wa[ok].sum(1) - (wb[ok] @ y[mb]) / wb[ok].sum(1)
    value = float(y[ma].mean() - y[mb].mean())
    lo, hi = (np.quantile(reps, [0.025, 0.975]) if reps.size else (math.nan, math.nan))
    return {"value": value, "ci": [_finite(float(lo)), _finite(float(hi))], "n": [int(ma.sum()), int(mb.sum())]}


def khan_rows(rows: list[dict]) -> list[dict]:
    """Judgments with the column names of Khan et al.'s released human-judge data (plus a few of Proctor's)."""
    out = []
    for r in rows:
        body = json.loads(r["body"])
        p = float(r["p_correct"])
        chosen = max(p, 1 - p)
        out.append({"debate_id": r["item_id"], "judge_id": r["judge_id"], "debate_method": r["protocol"],
                    "consultant_type": body.get("consultant_type") or "", "swap": bool(r["swap"]),
                    "correct": bool(p > 0.5), "confidence_correct": round(p, 6), "confidence": round(chosen, 6),
                    "explanation": r["explanation"], "turns_used": r.get("questions_asked") or len(body.get("turns", [])),
                    "judgement_time": r["seconds"], "question": body.get("question", ""),
                    "answer_correct": body["answers"][body["correct"]],
                    "answer_incorrect": body["answers"][1 - body["correct"]], "judge_kind": r["kind"],
                    "question_id": r["question_id"], "over_time": bool(r["over_time"])})
    return out


def progress_rows(counts: list[dict], rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(per judge: assigned / done; per protocol: assigned / done) for the admin page."""
    per_judge: dict[str, dict] = {}
    per_proto: dict[str, dict] = {}
    for c in counts:
        j = per_judge.setdefault(c["judge_id"], {"judge": c["judge_id"], "kind": c["kind"],
                                                 "invited": bool(c["invited"]), "assigned": 0, "done": 0})
        j["assigned"] += 1
        per_proto.setdefault(c["protocol"], {"protocol": c["protocol"], "assigned": 0, "done": 0})["assigned"] += 1
    for r in rows:
        if r["judge_id"] in per_judge:
            per_judge[r["judge_id"]]["done"] += 1
        per_proto.setdefault(r["protocol"], {"protocol": r["protocol"], "assigned": 0, "done": 0})["done"] += 1
    return sorted(per_judge.values(), key=lambda d: d["judge"]), sorted(per_proto.values(), key=lambda d: d["protocol"])
