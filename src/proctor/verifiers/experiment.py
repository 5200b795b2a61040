"""The process-vs-outcome experiment: train a PRM and an ORM on the same solutions, then compare them; and its runner
(`run`, `run_shard`: one unit per seed in a run store).

    data = build_data(spec, seed)                 # arith_data(...), gsm8k_data(...), or files_data(...) for your rows
    result, arrays = run_experiment(data, spec, seed)

A `VerifierData` holds the training solutions (process and outcome labels), a test pool of C candidates per problem
(best-of-N), and probe solutions with exact process labels (ProcessBench and the hackability test). The result holds
the best-of-N curves (each PRM aggregation, the ORM, majority vote, and the pass@N oracle), the paired PRM - ORM lift
at the largest N, ProcessBench scores and hackability rates, all with bootstrap CIs over problems. Every setting comes
from the spec (`proctor.verifiers.spec.VerifiersSpec`).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from .aggregate import aggregate
from .arith import CASES, Generator, make_case, problems
from .bon import best_of_n, paired_lift
from .hack import hackability
from .processbench import predict_first_error, processbench_score
from .spec import GENERATED as GENERATED_DATA
from .spec import VerifiersSpec
from .steps import Solution, normalize_answer


@dataclass
class VerifierData:
    name: str
    train: list[Solution]
    pool: list[list[Solution]]
    """Candidates per test problem (outcome labels needed; process labels optional)."""
    probes: list[Solution] = field(default_factory=list)
    """Solutions with exact process labels and a `kind` in CASES."""
    info: dict = field(default_factory=dict)


# -- data -------------------------------------------------------------------------------------------------------------
def arith_data(n_train: int, k_train: int, n_test: int, *, pool: int, seed: int, train_generator: Generator,
               policy: Generator, n_ops: tuple[int, int]) -> VerifierData:
    """Generated chains: training candidates from `train_generator`, a test pool from `policy`, one probe per case."""
    rng = np.random.default_rng([seed, 1])
    train = [train_generator.sample(p, rng) for p in problems(n_train, seed, n_ops, "train") for _ in range(k_train)]
    test = problems(n_test, 10_000 + seed, n_ops, "test")
    pool_rows = [[policy.sample(p, rng) for _ in range(pool)] for p in test]
    probes = [make_case(p, k, rng) for p in test for k in CASES]
    return VerifierData("arith", train, pool_rows, probes,
                        {"train_generator": asdict(train_generator), "policy": asdict(policy), "n_ops": list(n_ops)})


def gsm8k_data(data_dir: str | Path, n_train: int, n_test: int | None, seed: int) -> VerifierData:
    """GSM8K: train on reference solutions of train.jsonl and their injected-error copies; best-of-4 on Cobbe et al.'s
    model solutions of the test questions; probes = injected-error copies of the test references."""
    from .perturb import perturb
    from .steps import load_gsm8k, load_gsm8k_model_solutions

    d = Path(data_dir)
    rng = np.random.default_rng([seed, 2])
    refs = load_gsm8k(d / "train.jsonl")
    refs = [refs[i] for i in sorted(rng.choice(len(refs), size=min(n_train, len(refs)), replace=False))]
    train = []
    for r in refs:
        train.extend(x for x in (perturb(r, k, rng) for k in CASES) if x is not None)
    tests = load_gsm8k(d / "test.jsonl")
    samples = load_gsm8k_model_solutions(d / "example_model_solutions.jsonl")
    by_q: dict[str, list[Solution]] = {}
    for s in samples:
        by_q.setdefault(s.prompt, []).append(s)
    keep = sorted(rng.choice(len(tests), size=min(n_test or len(tests), len(tests)), replace=False))
    pool_rows, probes = [], []
    for i in keep:
        ref = tests[i]
        if ref.prompt not in by_q:
            continue
        pool_rows.append(by_q[ref.prompt])
        probes.extend(x for x in (perturb(ref, k, rng) for k in CASES) if x is not None)
    return VerifierData("gsm8k", train, pool_rows, probes, {"train_questions": len(refs), "test_questions": len(keep)})


def files_data(train: list[Solution], test: list[Solution]) -> VerifierData:
    """User files: verifiers trained on `train`; the pool groups `test` by problem; probes = test rows with labels."""
    pool: dict[str, list[Solution]] = {}
    for s in test:
        if s.correct is None:
            raise DataError(f"test solution of problem {s.problem_id or s.prompt[:40]!r}: missing column 'correct'")
        pool.setdefault(s.problem_id or s.prompt, []).append(s)
    probes = []
    for s in test:
        if s.labels is not None:
            kind = ("correct" if s.process_correct else "hack" if s.correct else
                    "wrong_final" if all(s.labels[:-1]) else "error")
            probes.append(Solution(s.prompt, s.steps, s.labels, s.answer, s.correct, s.problem_id, kind))
    return VerifierData("files", train, list(pool.values()), probes)


def gsm8k_dir() -> Path:
    root = os.environ.get("PROCTOR_DATA")
    d = Path(root) / "gsm8k" if root else None
    if d is None or not (d / "example_model_solutions.jsonl").is_file():
        raise DataError(f"{d or '$PROCTOR_DATA/gsm8k'}: no GSM8K folder with example_model_solutions.jsonl "
                        "(set PROCTOR_DATA to the shared data folder)")
    return d


def file_data(spec: VerifiersSpec) -> VerifierData:
    """A file setting: the training solutions of `spec.data` and the test candidates of `spec.test` (mapped columns,
    splits), read by proctor.verifiers.steps.load_solutions."""
    from .steps import StepColumns, load_solutions

    columns = StepColumns(prompt=spec.prompt_column, completions=spec.completions_column, labels=spec.labels_column)
    parts = spec.split_parts()
    train = load_solutions(spec.data, columns=columns, split=parts[0] if parts else None)
    test = load_solutions(spec.test, columns=columns, split=parts[1] if len(parts) == 2 else None)
    data = files_data(train, test)
    data.name = spec.data
    return data


def data_digest(spec: VerifiersSpec) -> dict:
    """Content hashes of a file setting's local inputs (files, or every file of a folder), so that a unit of the
    store is recomputed when a file changes under the same name; {} for the generated settings and Hub ids."""
    import hashlib

    out = {}
    for key in ("data", "test"):
        path = Path(getattr(spec, key)).expanduser() if spec.data not in GENERATED_DATA else None
        if path is None or not path.exists():
            continue
        h = hashlib.sha256()
        for f in sorted([path] if path.is_file() else [q for q in path.rglob("*") if q.is_file()]):
            h.update(str(f.relative_to(path) if f != path else f.name).encode() + b"\0")
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        out[key] = h.hexdigest()
    return out


def build_data(spec: VerifiersSpec, seed: int) -> VerifierData:
    """The spec's data setting for one seed (a file setting is the same for every seed; the seed varies the
    verifiers' initialisation and subset draws)."""
    if spec.data not in GENERATED_DATA:
        return file_data(spec)
    if spec.data == "gsm8k":
        return gsm8k_data(gsm8k_dir(), spec.n_train, spec.n_test, seed)
    g = lambda s: Generator(s.step_error, s.compensate, s.final_slip, s.max_delta)  # noqa: E731
    return arith_data(spec.n_train, spec.k_train, spec.n_test, pool=spec.pool, seed=seed,
                      train_generator=g(spec.train_generator), policy=g(spec.policy), n_ops=tuple(spec.n_ops))


# -- experiment -------------------------------------------------------------------------------------------------------
def _pad(rows: list[list[Solution]], values: np.ndarray) -> np.ndarray:
    """(P, C) float array of per-candidate values, NaN where a problem has fewer than C candidates."""
    C = max(len(r) for r in rows)
    out = np.full((len(rows), C), np.nan)
    i = 0
    for p, r in enumerate(rows):
        out[p, :len(r)] = values[i:i + len(r)]
        i += len(r)
    return out


def train_verifiers(data: VerifierData, spec: VerifiersSpec, seed: int):
    """A PRM and an ORM (the spec's encoder and head, initialised by `seed`) trained on `data.train`."""
    from .models import OutcomeRewardModel, ProcessRewardModel, StepFeaturizer

    feat = None if spec.head == "finetune" else StepFeaturizer(spec.model, spec.layers, spec.max_length)
    kw = dict(model=spec.model, head=spec.head, layers=spec.layers, epochs=spec.epochs,
              max_length=spec.max_length, random_state=seed, featurizer=feat)
    prm = ProcessRewardModel(**kw).fit(data.train)
    orm = OutcomeRewardModel(**kw).fit(data.train)
    return prm, orm


def run_experiment(data: VerifierData, spec: VerifiersSpec, seed: int, *, prm=None, orm=None) -> tuple[dict, dict]:
    """(JSON-able result, arrays) of one seed; trains the verifiers unless given."""
    if not data.train or not data.pool:
        raise DataError(f"{data.name}: need training solutions and a test pool")
    t0 = time.perf_counter()
    if prm is None or orm is None:
        prm, orm = train_verifiers(data, spec, seed)
    t_train = time.perf_counter() - t0
    flat = [s for row in data.pool for s in row]
    step = prm.step_scores(flat)
    methods = {f"prm_{a}": _pad(data.pool, np.array([aggregate(s, a) for s in step])) for a in spec.aggregations}
    methods["orm"] = _pad(data.pool, orm.score(flat))
    correct = _pad(data.pool, np.array([bool(s.correct) for s in flat], dtype=float)) == 1
    answers = [[normalize_answer(s.answer) for s in row] for row in data.pool]
    n_cand = np.array([len(r) for r in data.pool])
    methods["oracle"] = correct.astype(float)  # pass@N: the best any verifier could do
    bon = best_of_n(methods, correct, answers, draws=spec.draws, n_boot=spec.n_boot, seed=seed, n_candidates=n_cand)
    head = f"prm_{spec.headline_aggregation}"
    if head not in methods:
        head = f"prm_{spec.aggregations[0]}"
    per = bon.pop("per_problem")
    lifts = {m: paired_lift(per[m][-1], per["orm"][-1], spec.n_boot, seed)
             for m in methods if m.startswith("prm_")}
    lifts["majority"] = paired_lift(per["majority"][-1], per["orm"][-1], spec.n_boot, seed)
    kinds = [s.kind for s in flat]
    result = {
        "data": data.name, "info": data.info, "seed": seed, "model": spec.model, "head": spec.head,
        "train": {"solutions": len(data.train), "steps": sum(len(s.steps) for s in data.train),
                  "good_step_rate": float(np.mean([x for s in data.train for x in (s.labels or [])] or [np.nan])),
                  "answer_right_rate": float(np.mean([bool(s.correct) for s in data.train])), "seconds": t_train},
        "pool": {"problems": len(data.pool), "candidates": int(n_cand.max()),
                 "answer_right_rate": float(correct[~np.isnan(methods["orm"])].mean()),
                 "kinds": {k: kinds.count(k) for k in sorted(set(kinds))}},
        "bon": bon, "headline": head, "largest_n": bon["ns"][-1],
        "lift_vs_orm": lifts, "lift": lifts[head],
    }
    arrays = {f"per_{m}": per[m] for m in per} | {"ns": np.array(bon["ns"])}
    if data.probes:
        result["processbench"], result["hack"], accepted = _probe_scores(data.probes, prm, orm, spec, seed)
        arrays |= accepted
    result["seconds"] = time.perf_counter() - t0
    return result, arrays


def _probe_scores(probes: list[Solution], prm, orm, spec: VerifiersSpec, seed: int) -> tuple[dict, dict, dict]:
    """ProcessBench scores, hackability per verifier, and the 0/1 acceptance of every probe (for pooling seeds)."""
    step = prm.step_scores(probes)
    pred = [predict_first_error(s, spec.threshold) for s in step]
    truth = [s.first_error for s in probes]
    pb = processbench_score(pred, truth) | {"threshold": spec.threshold}
    kinds = sorted(set(s.kind for s in probes))
    scores = {f"prm_{a}": np.array([aggregate(s, a) for s in step]) for a in spec.aggregations}
    scores["orm"] = orm.score(probes)
    hack, accepted = {}, {}
    for m, sc in scores.items():
        by = {k: sc[[i for i, s in enumerate(probes) if s.kind == k]] for k in kinds}
        if "correct" in by and len(by["correct"]):
            hack[m] = hackability(by, spec.recall, spec.n_boot, seed)
            accepted |= {f"accept_{m}_{k}": (v >= hack[m]["threshold"]).astype(np.int8) for k, v in by.items()}
    return pb, hack, accepted


# -- the runner: one unit per seed ------------------------------------------------------------------------------------
def unit_config(spec: VerifiersSpec, seed: int) -> dict:
    """The config of seed `seed`'s unit (its hash is the unit's key in the store; a file setting's includes the
    files' content hashes)."""
    config = spec.model_dump(mode="json", exclude={"name", "seeds"}) | {"seed": seed, "title": spec.title}
    digest = data_digest(spec)
    return config | ({"data_sha256": digest} if digest else {})


def run_shard(spec: VerifiersSpec, store, on_unit, i: int) -> None:
    """Seed spec.seed + i: its data, both verifiers and every measurement, as one unit."""
    seed = spec.seed + i
    unit, computed = store.get_or_compute(spec.title, "seed", unit_config(spec, seed),
                                          lambda: run_experiment(build_data(spec, seed), spec, seed))
    on_unit(spec.title, unit, computed)


def run(spec: VerifiersSpec, store, on_unit) -> None:
    for i in range(spec.seeds):
        run_shard(spec, store, on_unit, i)


def shards(spec: VerifiersSpec) -> int:
    return spec.seeds


def check(spec: VerifiersSpec) -> None:
    """The GSM8K folder, or a file setting's files (read through, columns and all), must be there before the run
    directory is touched."""
    if spec.data == "gsm8k":
        gsm8k_dir()
    elif spec.data not in GENERATED_DATA:
        file_data(spec)
