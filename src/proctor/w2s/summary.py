"""Summaries of a finished (or partly finished) W2S experiment, read back from the run store.

Per (weak model, loss): test accuracies of weak, student and ceiling (mean +- sd over seeds), PGR per seed with its
bootstrap CI, PGR mean +- sd over seeds, and the CI of the seed-mean PGR from resampling test examples.
"""

from __future__ import annotations

import math

import numpy as np

from ..runs.store import RunStore, unit_key
from .experiment import UnitKeys
from .pgr import bootstrap_correct, mean_sd
from .spec import W2SSpec


def _data_id(store: RunStore, spec: W2SSpec) -> str | None:
    for u in store.units(spec.title):
        return u.config["data"]
    return None


def summarize(store: RunStore, spec: W2SSpec) -> dict:
    """The experiment's numbers as a JSON-ready dict (rows per weak model x loss, chains, completeness)."""
    data_id = _data_id(store, spec)
    out: dict = {"experiment": spec.title, "dataset": spec.dataset, "strong": spec.strong.label,
                 "seeds": spec.seeds, "rows": [], "chain": [], "complete": False}
    if data_id is None:
        return out
    keys = UnitKeys(spec, data_id)
    n_done = 0
    n_planned = 0
    ceil_units = {}
    for seed in range(spec.seeds):
        n_planned += 1
        u = store.get(unit_key(keys.ceiling_config(seed)))
        if u:
            ceil_units[seed] = u
            n_done += 1
    for w in spec.weak:
        weak_units = {}
        for seed in range(spec.seeds):
            n_planned += 1
            u = store.get(unit_key(keys.weak_config(w, seed)))
            if u:
                weak_units[seed] = u
                n_done += 1
        for loss in spec.loss:
            seeds_rows = []
            correct_sum = None
            for seed in range(spec.seeds):
                n_planned += 1
                su = store.get(unit_key(keys.student_config(w, loss, seed)))
                if su:
                    n_done += 1
                if not (su and seed in weak_units and seed in ceil_units):
                    continue
                cu = ceil_units[seed]
                y = store.arrays(cu.key)["y_test"]
                preds = [store.arrays(weak_units[seed].key)["test"], store.arrays(su.key)["test"],
                         store.arrays(cu.key)["test"]]
                correct = np.stack([p.argmax(1) == y for p in preds]).astype(np.float64)
                est = bootstrap_correct(correct, n_boot=spec.n_boot, seed=seed)
                correct_sum = correct if correct_sum is None else correct_sum + correct
                seeds_rows.append({"seed": seed, **est.as_dict(),
                                   "agree_weak_half_b": su.result.get("agree_weak_half_b")})
            if not seeds_rows:
                continue
            pooled = bootstrap_correct(correct_sum / len(seeds_rows), n_boot=spec.n_boot, seed=12345)
            row = {
                "weak_model": w.label, "loss": loss, "n_seeds": len(seeds_rows),
                "weak": mean_sd(r["weak"]["value"] for r in seeds_rows),
                "student": mean_sd(r["student"]["value"] for r in seeds_rows),
                "ceiling": mean_sd(r["ceiling"]["value"] for r in seeds_rows),
                "gap": mean_sd(r["gap"]["value"] for r in seeds_rows),
                "pgr_seeds": mean_sd(r["pgr"]["value"] for r in seeds_rows),
                # the headline PGR and its CI come from one estimator: PGR of the seed-averaged correctness
                "pgr": pooled.pgr.value,
                "pooled": pooled.as_dict(),
                "per_seed": seeds_rows,
            }
            row["resolved"] = bool(pooled.resolved)
            out["rows"].append(row)
    out["samples"] = _samples(store, spec, keys, ceil_units)
    if spec.chain:
        for seed in range(spec.seeds):
            n_planned += 1
            u = store.get(unit_key(keys.chain_config(seed)))
            if u:
                n_done += 1
                out["chain"].append({"seed": seed, **u.result})
    out["units_done"], out["units_planned"] = n_done, n_planned
    out["complete"] = n_done == n_planned
    return out


def headline(summary: dict) -> dict:
    """The `--json` object: weak / student / ceiling / pgr of the primary row (first weak model, first loss)."""
    rows = summary["rows"]
    nan = math.nan
    first = rows[0] if rows else None
    out = {
        "experiment": summary["experiment"],
        "dataset": summary["dataset"],
        "weak": first["weak"]["mean"] if first else nan,
        "student": first["student"]["mean"] if first else nan,
        "ceiling": first["ceiling"]["mean"] if first else nan,
        "pgr": first["pgr"] if first else nan,
        "pgr_sd": first["pgr_seeds"]["sd"] if first else nan,
        "pgr_seed_mean": first["pgr_seeds"]["mean"] if first else nan,
        "pgr_ci": [first["pooled"]["pgr"]["lo"], first["pooled"]["pgr"]["hi"]] if first else None,
        "gap_ci": [first["pooled"]["gap"]["lo"], first["pooled"]["gap"]["hi"]] if first else None,
        "resolved": first["resolved"] if first else False,
        "primary": {"weak_model": first["weak_model"], "loss": first["loss"]} if first else None,
        "seeds": summary["seeds"],
        "complete": summary["complete"],
        "results": [
            {"weak_model": r["weak_model"], "loss": r["loss"], "weak": r["weak"]["mean"],
             "student": r["student"]["mean"], "ceiling": r["ceiling"]["mean"], "pgr": r["pgr"],
             "pgr_sd": r["pgr_seeds"]["sd"], "pgr_seed_mean": r["pgr_seeds"]["mean"],
             "pgr_ci": [r["pooled"]["pgr"]["lo"], r["pooled"]["pgr"]["hi"]],
             "undefined_resamples": r["pooled"]["n_undefined"], "resolved": r["resolved"]}
            for r in rows
        ],
    }
    if summary["chain"]:
        out["chain"] = summary["chain"]
    return out


def _samples(store: RunStore, spec: W2SSpec, keys: UnitKeys, ceil_units: dict, per_kind: int = 3) -> list[dict]:
    """A few seed-0 test examples where the student beat its weak supervisor, and where it copied its mistake.

    The texts come from the data set itself (the store holds predictions only); when it cannot be loaded, or is not
    the data the run used, there are no samples.
    """
    from ..data import load_dataset
    from ..errors import ProctorError

    if 0 not in ceil_units or not spec.weak:
        return []
    w, loss = spec.weak[0], spec.loss[0]
    weak_u = store.get(unit_key(keys.weak_config(w, 0)))
    stud_u = store.get(unit_key(keys.student_config(w, loss, 0)))
    if not (weak_u and stud_u):
        return []
    try:
        splits = load_dataset(spec.dataset, split_seed=spec.split_seed, test_fraction=spec.test_fraction,
                              max_train=spec.max_train, max_test=spec.max_test, **spec.data_options())
    except ProctorError:
        return []
    if f"{splits.train.fingerprint()}-{splits.test.fingerprint()}" != keys.data_id:
        return []
    y = store.arrays(ceil_units[0].key)["y_test"]
    pw = store.arrays(weak_u.key)["test"].argmax(1)
    ps = store.arrays(stud_u.key)["test"].argmax(1)
    names = splits.test.label_names
    out = []
    for kind, mask in (("student right, weak wrong", (ps == y) & (pw != y)),
                       ("both wrong (the student copied the weak error)", (ps != y) & (pw == ps))):
        for i in np.flatnonzero(mask)[:per_kind]:
            out.append({"kind": kind, "text": splits.test.texts[i], "label": names[y[i]],
                        "weak": names[pw[i]], "student": names[ps[i]], "weak_model": w.label, "loss": loss})
    return out


def scorecard(summary: dict) -> list:
    """One scorecard row per (weak model, loss): PGR with its CI; gap closed only where the gap is resolved."""
    from ..runs.technique import ScoreRow

    rows = []
    for r in headline(summary)["results"]:
        pgr = r["pgr"]
        ci = tuple(r["pgr_ci"]) if r.get("pgr_ci") and None not in r["pgr_ci"] else None
        rows.append(ScoreRow(
            technique="weak-to-strong",
            setting=f"{summary.get('dataset', '')}: {r['weak_model']} -> {summary.get('strong', 'student')} "
                    f"({r['loss']})".lstrip(": "),
            measure="PGR",
            value=None if pgr is None or pgr != pgr else pgr,
            ci=ci,
            # an unresolved PGR (gap inside noise) is a ratio of noise: kept in the table, not plotted as gap closed
            gap_closed=pgr if r["resolved"] and pgr is not None and pgr == pgr else None,
            gap_ci=ci if r["resolved"] else None,
            blocked=None if r["resolved"] else "gap inside noise",
            unit="test examples",
        ))
    return rows
