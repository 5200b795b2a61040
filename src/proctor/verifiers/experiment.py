"""The process-vs-outcome experiment: train a PRM and an ORM on the same solutions, then compare them.

    data = arith_data(n_train=400, n_test=150, pool=64, seed=0)      # or gsm8k_data(...), or files_data(...)
    result, arrays = run_experiment(data, ExperimentConfig())

A `VerifierData` holds the training solutions (process and outcome labels), a test pool of C candidates per problem
(best-of-N), and probe solutions with exact process labels (ProcessBench and the hackability test). The result holds
the best-of-N curves (each PRM aggregation, the ORM, majority vote, and the pass@N oracle), the paired PRM - ORM lift
at the largest N, ProcessBench scores and hackability rates, all with bootstrap CIs over problems.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from .aggregate import AGGREGATIONS, aggregate
from .arith import CASES, Generator, make_case, problems
from .bon import best_of_n, paired_lift
from .hack import hackability
from .processbench import predict_first_error, processbench_score
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


@dataclass
class ExperimentConfig:
    model: str = "minilm"
    head: str = "mlp"
    layers: int | None = None
    epochs: float | None = None
    lr: float | None = None
    max_length: int = 128
    aggregations: Sequence[str] = AGGREGATIONS
    headline_aggregation: str = "product"
    ns: Sequence[int] | None = None
    draws: int = 50
    n_boot: int = 1000
    recall: float = 0.9
    threshold: float = 0.5
    seed: int = 0
    cache: str | None = "default"


# -- data -------------------------------------------------------------------------------------------------------------
def arith_data(n_train: int = 400, k_train: int = 8, n_test: int = 150, pool: int = 64, seed: int = 0,
               train_generator: Generator = Generator(0.2, 0.3, 0.1), policy: Generator = Generator(0.15, 0.2, 0.05),
               n_ops: tuple[int, int] = (3, 5)) -> VerifierData:
    """Generated chains: training candidates from `train_generator`, a test pool from `policy`, one probe per case."""
    rng = np.random.default_rng([seed, 1])
    train = [train_generator.sample(p, rng) for p in problems(n_train, seed, n_ops, "train") for _ in range(k_train)]
    test = problems(n_test, 10_000 + seed, n_ops, "test")
    pool_rows = [[policy.sample(p, rng) for _ in range(pool)] for p in test]
    probes = [make_case(p, k, rng) for p in test for k in CASES]
    return VerifierData("arith", train, pool_rows, probes,
                        {"train_generator": asdict(train_generator), "policy": asdict(policy), "n_ops": list(n_ops)})


def gsm8k_data(data_dir: str | Path, n_train: int = 1000, n_test: int | None = 400, seed: int = 0) -> VerifierData:
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


def train_verifiers(data: VerifierData, cfg: ExperimentConfig):
    from .models import OutcomeRewardModel, ProcessRewardModel, StepFeaturizer

    feat = None if cfg.head == "finetune" else StepFeaturizer(cfg.model, cfg.layers, cfg.max_length, cfg.cache)
    kw = dict(model=cfg.model, head=cfg.head, layers=cfg.layers, epochs=cfg.epochs, lr=cfg.lr,
              max_length=cfg.max_length, random_state=cfg.seed, featurizer=feat)
    prm = ProcessRewardModel(**kw).fit(data.train)
    orm = OutcomeRewardModel(**kw).fit(data.train)
    return prm, orm


def run_experiment(data: VerifierData, cfg: ExperimentConfig, prm=None, orm=None) -> tuple[dict, dict]:
    """(JSON-able result, arrays); trains the verifiers unless given."""
    if not data.train or not data.pool:
        raise DataError(f"{data.name}: need training solutions and a test pool")
    t0 = time.perf_counter()
    if prm is None or orm is None:
        prm, orm = train_verifiers(data, cfg)
    t_train = time.perf_counter() - t0
    flat = [s for row in data.pool for s in row]
    step = prm.step_scores(flat)
    methods = {f"prm_{a}": _pad(data.pool, np.array([aggregate(s, a) for s in step])) for a in cfg.aggregations}
    methods["orm"] = _pad(data.pool, orm.score(flat))
    correct = _pad(data.pool, np.array([bool(s.correct) for s in flat], dtype=float)) == 1
    answers = [[normalize_answer(s.answer) for s in row] for row in data.pool]
    n_cand = np.array([len(r) for r in data.pool])
    methods["oracle"] = correct.astype(float)  # pass@N: the best any verifier could do
    bon = best_of_n(methods, correct, answers, cfg.ns, cfg.draws, cfg.n_boot, cfg.seed, n_cand)
    head = f"prm_{cfg.headline_aggregation}"
    if head not in methods:
        head = f"prm_{cfg.aggregations[0]}"
    per = bon.pop("per_problem")
    lifts = {m: paired_lift(per[m][-1], per["orm"][-1], cfg.n_boot, cfg.seed)
             for m in methods if m.startswith("prm_")}
    lifts["majority"] = paired_lift(per["majority"][-1], per["orm"][-1], cfg.n_boot, cfg.seed)
    kinds = [s.kind for s in flat]
    result = {
        "data": data.name, "info": data.info, "seed": cfg.seed, "model": cfg.model, "head": cfg.head,
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
        result["processbench"], result["hack"], accepted = _probe_scores(data.probes, prm, orm, cfg)
        arrays |= accepted
    result["seconds"] = time.perf_counter() - t0
    return result, arrays


def _probe_scores(probes: list[Solution], prm, orm, cfg: ExperimentConfig) -> tuple[dict, dict, dict]:
    """ProcessBench scores, hackability per verifier, and the 0/1 acceptance of every probe (for pooling seeds)."""
    step = prm.step_scores(probes)
    pred = [predict_first_error(s, cfg.threshold) for s in step]
    truth = [s.first_error for s in probes]
    pb = processbench_score(pred, truth) | {"threshold": cfg.threshold}
    kinds = sorted(set(s.kind for s in probes))
    scores = {f"prm_{a}": np.array([aggregate(s, a) for s in step]) for a in cfg.aggregations}
    scores["orm"] = orm.score(probes)
    hack, accepted = {}, {}
    for m, sc in scores.items():
        by = {k: sc[[i for i, s in enumerate(probes) if s.kind == k]] for k in kinds}
        if "correct" in by and len(by["correct"]):
            hack[m] = hackability(by, cfg.recall, cfg.n_boot, cfg.seed)
            accepted |= {f"accept_{m}_{k}": (v >= hack[m]["threshold"]).astype(np.int8) for k, v in by.items()}
    return pb, hack, accepted
