"""Run the contract-review pipeline end to end against any inspect-ai model (one command).

    export PROCTOR_DATA=...   # not needed: the contracts ship with the example
    python examples/contract_review/run.py --model openai-api/local/qwen --out runs/contracts
    python examples/contract_review/run.py --reviewer openai-api/local/big --judge openai-api/local/small \\
        --assistant openai-api/local/big --rounds 1 --mislead 0.25 --out runs/contracts --json

Writes OUT/reviews/ (CAI chains, inspect logs), OUT/steps.jsonl (TRL stepwise rows), OUT/judging/ (assisted-judging
records) and OUT/summary.json; the last stdout line with --json is the summary. A rerun answers finished model
calls from inspect's response cache.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from review import HERE, judging_item, load_contracts, parse_review, review_prompt, step_accuracy, stepwise_row  # noqa: E402


def run_pipeline(reviewer, critic, judge, assistant, out: str | Path, rounds: int = 1, depth: int = 1,
                 mislead: float = 0.0, seed: int = 0, config=None, contracts=None) -> dict:
    """Review (CAI with the legal constitution) -> stepwise scores + TRL export -> assisted judging."""
    from proctor.constitution import load_constitution
    from proctor.constitution.critique import chains_from_run, revision_summary, revision_task
    from proctor.llm import run_task, write_jsonl
    from proctor.rrm.experiment import evaluate_assisted

    out = Path(out)
    clauses = load_contracts(contracts or HERE / "contracts.jsonl")
    by_id = {c["id"]: c for c in clauses}
    legal = load_constitution(HERE / "legal_constitution.toml")
    prompts = [{"id": c["id"], "prompt": review_prompt(c)} for c in clauses]
    run = run_task(revision_task(prompts, legal, rounds, seed), {"policy": reviewer, "critic": critic},
                   log_dir=out / "reviews" / "logs", config=config)
    chains = chains_from_run(run)
    write_jsonl(({"id": ch.id, "status": ch.status, "initial": ch.initial, "final": ch.final, "rounds": ch.rounds}
                 for ch in chains), out / "reviews" / "chains.jsonl")

    before, after, rows, items = [], [], [], []
    invalid_before = invalid_after = 0
    for ch in chains:
        clause = by_id[ch.id]
        first = parse_review(ch.initial)
        if first is None:
            invalid_before += 1
        else:
            before.append((clause, first))
        if ch.final is None:
            continue
        final = parse_review(ch.final)
        if final is None:
            invalid_after += 1
            continue
        after.append((clause, final))
        rows.append(stepwise_row(clause, final))
        items.append(judging_item(clause, ch.final, final))
    n_steps = write_jsonl(rows, out / "steps.jsonl")
    judging = (evaluate_assisted(items, judge, assistant, out=out / "judging", depth=depth, mislead=mislead, seed=seed,
                                 config=config) if items else None)
    summary = {
        "clauses": len(clauses), "with_issue": sum(bool(c["has_issue"]) for c in clauses), "seed": seed,
        "revision": revision_summary(chains),
        "reviews": {"invalid_initial": invalid_before, "invalid_final": invalid_after,
                    "scored_initial": len(before), "scored_final": len(after)},
        "step_accuracy_initial": step_accuracy(before), "step_accuracy_final": step_accuracy(after),
        "stepwise_rows": n_steps, "steps": str(out / "steps.jsonl"),
        "judging": None if judging is None else {
            "levels": [{k: lv[k] for k in ("level", "n", "accuracy", "ci", "invalid_verdicts", "invalid_notes")}
                       for lv in judging["levels"]], "failed": judging["failed"], "mislead_fraction": mislead},
    }
    from proctor.jsonout import finite

    (out / "summary.json").write_text(json.dumps(finite(summary), indent=2, default=float))
    return summary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="one model for every role (overridden by the per-role options)")
    for role in ("reviewer", "critic", "judge", "assistant"):
        p.add_argument(f"--{role}", help=f"model for the {role} role")
    p.add_argument("--rounds", type=int, default=1, help="critique/revision rounds")
    p.add_argument("--depth", type=int, default=1, help="assistance levels for judging (0 = unassisted only)")
    p.add_argument("--mislead", type=float, default=0.0, help="fraction of misleading assistants")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="contract-review-out")
    p.add_argument("--no-cache", action="store_true", help="turn inspect's response cache off")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line last")
    a = p.parse_args(argv)
    roles = {r: getattr(a, r) or a.model for r in ("reviewer", "critic", "judge", "assistant")}
    missing = [r for r, m in roles.items() if not m]
    if missing:
        p.error(f"no model for {', '.join(missing)}: give --model or --{missing[0]}")
    from proctor.errors import ProctorError
    from proctor.llm import generate_config

    try:
        s = run_pipeline(roles["reviewer"], roles["critic"], roles["judge"], roles["assistant"], a.out, a.rounds,
                         a.depth, a.mislead, a.seed, generate_config(cache=not a.no_cache, max_retries=3))
    except ProctorError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    acc = s["step_accuracy_final"]
    print(f"{s['clauses']} clauses; {s['reviews']['scored_final']} final reviews scored "
          f"({s['reviews']['invalid_final']} invalid); step accuracy after revision: "
          + ", ".join(f"{k} {v:.0%}" if v == v else f"{k} -" for k, v in acc.items()))
    for lv in (s["judging"] or {}).get("levels", []):
        print(f"judge level {lv['level']}: accuracy {lv['accuracy']:.0%} over {lv['n']} reviews"
              if lv["n"] else f"judge level {lv['level']}: no valid verdicts")
    if a.json:
        from proctor.jsonout import emit_json

        emit_json(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
