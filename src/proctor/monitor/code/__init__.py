"""Reward hacking in code (issue 19): detect solutions that game their unit tests, running them only in the sandbox.

    from proctor.monitor.code import read_rows, score_rows, default_calibration
    cal = default_calibration(dynamic=True, target_fpr=0.01)
    scored = score_rows(read_rows(path), dynamic=True, calibration=cal)

    cases.py      the visible tests' literal inputs and expected outputs (assert lists or check(candidate))
    static.py     AST signals with line numbers: test-input conditionals, literal outputs, test-case tables, exits,
                  constant __eq__, patched builtins, test-file and stack access
    dynamic.py    the sandboxed harness: visible pass rate against perturbed inputs and the reference solution,
                  early exits, runtime tampering, foreign result types (many rows per sandbox, a process each)
    detector.py   the noisy-OR score, reading rows, calibration at a target FPR on known-good solutions
    variants.py   hacked (7 families) and honest variants (refactors, other algorithms) of HumanEval solutions,
                  generated from each problem; the calibration / evaluation split of the problems
    evaluate.py   AUROC / TPR at 1% FPR by family with problem-bootstrap CIs (docs/results.md)
    drift.py      the flagged rate per training step through the change-point detectors (code_drift = true)
    inspect_scorer.py  `proctor/hardcode_monitor`: an inspect-ai scorer wrapping a code task's scorer
"""

import importlib
from typing import Any

_EXPORTS = {
    "Case": "cases", "TestSuite": "cases", "parse_tests": "cases",
    "Signal": "static", "static_signals": "static",
    "dynamic_signals": "dynamic", "probe_inputs": "dynamic", "run_dynamic": "dynamic",
    "run_dynamic_batch": "dynamic", "code_drift": "drift", "row_flags": "drift",
    "CodeCalibration": "detector", "CodeRow": "detector", "calibrate_threshold": "detector", "combine": "detector",
    "default_calibration": "detector", "read_rows": "detector", "score_row": "detector", "score_rows": "detector",
    "HACK_FAMILIES": "variants", "HONEST_FAMILIES": "variants", "hacked_variants": "variants",
    "honest_variants": "variants", "load_humaneval": "variants", "variant_rows": "variants",
    "algorithm_variants": "variants", "split_problems": "variants",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
