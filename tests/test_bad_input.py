"""The bad-input corpus (issue 17, parts 4 and 7): every verb of `proctor`, fed malformed files (bad TOML, a bad JSONL
line, a missing column, wrong types, an empty file, binary garbage), missing files, hostile names, out-of-range and
non-finite numbers and incompatible combinations, must fail during validation, before any model loads:

    exit 2, exactly one line on stderr that names the file / field / option at fault, no traceback,
    and nothing written: no run directory, no output file, no cache, no log.

Each case runs in its own empty folder (the current directory; PROCTOR_RUNS, PROCTOR_CACHE and inspect's cache and
log folders point into it), after creating only the files it lists. A new file or folder afterwards fails the case.
The whole table runs in well under a minute: a case that took long would be one that did work before checking.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer.main
from conftest import invoke

# inspect-ai 0.3.285 passes a deprecated tenacity argument on every model call; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter is deprecated:DeprecationWarning")

M = "mockllm/model"
GARBAGE = bytes(range(256)) * 4  # binary: NUL bytes, invalid UTF-8
SUITE = 'name = "s"\n[[experiment]]\ntype = "superposition"\nfeatures = 6\ndims = 2\nsteps = 5\n'
W2S = 'type = "w2s"\ndataset = "sst2"\n'
TEXTS = "".join(f'{{"text": "sentence {i}", "label": {i % 2}}}\n' for i in range(40))
SENTENCES = "sentence,label\n" + "".join(f"sentence {i},{i % 2}\n" for i in range(40))
FREE_LABELS = "".join(f'{{"text": "q {i}", "label": "because the answer to q {i} is long"}}\n' for i in range(40))
MC = "".join(f'{{"context": "c {i}", "question": "q {i}", "answer": "a {i}", "label": {i % 2}}}\n' for i in range(40))
MC_BAD = '{"context": "c", "question": "q", "answer": "a", "label": 3}\n'
STEPS = '{"prompt": "1+1", "completions": ["1+1=2", "The answer is 2."], "labels": [true, true], "correct": true}\n'
REF = "".join(f'{{"response": "reply number {i}"}}\n' for i in range(60))
CHINCHILLA = "N,D,loss\n1e6,2e7,4.1\n1e7,2e8,3.5\n1e8,2e9,3.0\n1e9,2e10,2.6\n3e7,1e8,3.6\n3e8,1e9,3.1\n"
FRONTIER = "checkpoint,capability,alignment\nbase,0.7,0.4\ntuned,0.65,0.8\n"
CHAINS = '{"id": "1", "prompt": "p", "initial": "a", "final": "b"}\n'
CODE = '{"id": "a", "code": "def f():\\n    return 1", "tests": "assert f() == 1"}\n'
SCRIPTED = "--base scripted/base --aligned scripted/aligned-artifact"
QA = "".join(f'{{"question": "q {i}", "choices": ["x", "y"], "answer": {i % 2}}}\n' for i in range(3))
ITEM = '{"id": "a", "question": "q", "answers": ["x", "y"], "correct": 0, "protocol": "naive"}\n'


@dataclass(frozen=True)
class Case:
    id: str
    argv: str
    """The command line after `proctor` (shell words)."""
    needle: str
    """Must appear in the one stderr line."""
    files: dict[str, str | bytes] = field(default_factory=dict)
    """Files made before the run (a name ending in / is an empty folder)."""
    code: int = 2


def c(id: str, argv: str, needle: str, files: dict | None = None, code: int = 2) -> pytest.param:
    return pytest.param(Case(id, argv, needle, files or {}, code), id=id)


AFILE = {"afile": "not a folder\n"}
ADIR = {"adir/": ""}

CASES = [
    # -- proctor run: suite files ----------------------------------------------------------------------------------
    c("run-missing-suite", "run nope.toml", "nope.toml"),
    c("run-bad-toml", "run s.toml", "s.toml: invalid TOML", {"s.toml": "name = [\n"}),
    c("run-binary-suite", "run s.toml", "s.toml", {"s.toml": GARBAGE}),
    c("run-empty-suite", "run s.toml", "experiment", {"s.toml": ""}),
    c("run-unknown-key", "run s.toml", "bogus", {"s.toml": SUITE + "bogus = 1\n"}),
    c("run-unknown-type", "run s.toml", "nope", {"s.toml": '[[experiment]]\ntype = "nope"\n'}),
    c("run-no-type", "run s.toml", "type", {"s.toml": "[[experiment]]\nfeatures = 5\n"}),
    c("run-experiment-not-table", "run s.toml", "experiment", {"s.toml": 'name = "s"\nexperiment = 5\n'}),
    c("run-hostile-suite-name", "run s.toml", "not a valid name",
      {"s.toml": SUITE.replace('name = "s"', 'name = "../../etc"')}),
    c("run-hostile-experiment-name", "run s.toml", "not a valid name", {"s.toml": SUITE + 'name = "a/b"\n'}),
    c("run-duplicate-names", "run s.toml", "both named", {"s.toml": SUITE + SUITE.split("\n", 1)[1]}),
    c("run-nan", "run s.toml", "lr", {"s.toml": SUITE + "lr = nan\n"}),
    c("run-inf", "run s.toml", "importance_decay", {"s.toml": SUITE + "importance_decay = inf\n"}),
    c("run-wrong-type", "run s.toml", "seeds", {"s.toml": SUITE + 'seeds = "three"\n'}),
    c("run-n-boot-huge", "run s.toml", "n_boot",
      {"s.toml": '[[experiment]]\ntype = "w2s"\ndataset = "sst2"\nn_boot = 9223372036854775807\n'}),
    c("run-w2s-aux-tfidf", "run s.toml", "aux",
      {"s.toml": '[[experiment]]\ntype = "w2s"\ndataset = "sst2"\nstrong = "tfidf"\nloss = ["aux"]\n'}),
    c("run-sparsity-range", "run s.toml", "sparsities", {"s.toml": SUITE + "sparsities = [1.5]\n"}),
    c("run-dims-too-many", "run s.toml", "dims", {"s.toml": SUITE.replace("dims = 2", "dims = 9")}),
    c("run-toy-memory", "run s.toml", "batch_size",
      {"s.toml": SUITE.replace("features = 6", "features = 2000") + "batch_size = 60000\n"}),
    c("run-rrm-negative-gap", "run s.toml", "gaps", {"s.toml": '[[experiment]]\ntype = "rrm"\ngaps = [-5.0]\n'}),
    c("run-rrm-max-steps", "run s.toml", "max_steps",
      {"s.toml": '[[experiment]]\ntype = "rrm"\nmax_steps = 100000000\n'}),
    c("run-sae-unknown-size", "run s.toml", "sizes", {"s.toml": '[[experiment]]\ntype = "sae"\nsizes = { foo = 10 }\n'}),
    c("run-verifiers-n-ops", "run s.toml", "n_ops", {"s.toml": '[[experiment]]\ntype = "verifiers"\nn_ops = [5, 1]\n'}),
    c("run-monitor-window", "run s.toml", "window", {"s.toml": '[[experiment]]\ntype = "monitor"\nwindow = 1\n'}),
    c("run-pixels-n-boot", "run s.toml", "n_boot",
      {"s.toml": '[[experiment]]\ntype = "pixel_debate"\nn_boot = 9223372036854775807\n'}),
    c("run-verifiers-n-boot", "run s.toml", "n_boot", {"s.toml": '[[experiment]]\ntype = "verifiers"\nn_boot = 10\n'}),
    c("run-debate-no-judge", "run s.toml", "judge", {"s.toml": '[[experiment]]\ntype = "debate"\n'}),
    c("run-cai-limit-huge", "run s.toml", "limit",
      {"s.toml": f'[[experiment]]\ntype = "cai"\npolicy = "{M}"\nlimit = 100000000\n'}),
    c("run-w2s-missing-data", "run s.toml", "nope.jsonl",
      {"s.toml": '[[experiment]]\ntype = "w2s"\ndataset = "./nope.jsonl"\nloss = ["xent"]\n'}),
    c("run-w2s-bad-jsonl", "run s.toml", "d.jsonl",
      {"s.toml": '[[experiment]]\ntype = "w2s"\ndataset = "d.jsonl"\n', "d.jsonl": TEXTS + "{oops\n"}),
    c("run-out-is-file", "run s.toml --out afile", "afile", {"s.toml": SUITE, **AFILE}),
    c("run-out-under-file", "run s.toml --out afile/sub", "afile", {"s.toml": SUITE, **AFILE}),
    c("run-quick-and-suite", "run s.toml --quick", "--quick", {"s.toml": SUITE}),
    c("run-workers-zero", "run s.toml --workers 0", "--workers", {"s.toml": SUITE}),
    c("run-bad-executor", "run s.toml --executor nope", "nope", {"s.toml": SUITE}),
    c("run-unknown-option", "run --bogus", "--bogus"),
    # -- proctor report / runs ------------------------------------------------------------------------------------
    c("report-missing", "report nope", "nope"),
    c("report-not-a-run", "report adir", "adir", ADIR),
    c("report-file", "report afile", "afile", AFILE),
    c("report-damaged-store", "report d", "store.sqlite", {"d/store.sqlite": GARBAGE, "d/units/": ""}),
    c("runs-root-is-file", "runs afile", "afile", AFILE),
    # -- proctor w2s ------------------------------------------------------------------------------------------------
    c("w2s-no-dataset", "w2s", "--dataset"),
    c("w2s-seeds-zero", "w2s --dataset sst2 --seeds 0", "--seeds"),
    c("w2s-seeds-huge", "w2s --dataset sst2 --seeds 1000000", "seeds"),
    c("w2s-bad-weak", "w2s --dataset sst2 --weak bogus:x", "KIND"),
    c("w2s-layers-zero", "w2s --dataset sst2 --strong finetune:minilm@0", "layers"),
    c("w2s-bad-loss", "w2s --dataset sst2 --loss foo", "loss"),
    c("w2s-aux-with-tfidf-student", "w2s --dataset sst2 --strong tfidf", "aux"),
    c("w2s-max-train-small", "w2s --dataset sst2 --max-train 5", "max_train"),
    c("w2s-spec-missing", "w2s --spec nope.toml", "nope.toml"),
    c("w2s-spec-bad-toml", "w2s --spec w.toml", "w.toml", {"w.toml": "dataset = \n"}),
    c("w2s-spec-unknown-key", "w2s --spec w.toml", "bogus", {"w.toml": W2S + "bogus = 1\n"}),
    c("w2s-spec-n-boot", "w2s --spec w.toml", "n_boot", {"w.toml": W2S + "n_boot = 9223372036854775807\n"}),
    c("w2s-spec-nan", "w2s --spec w.toml", "a_max", {"w.toml": W2S + "a_max = nan\n"}),
    c("w2s-spec-lr-inf", "w2s --spec w.toml", "lr", {"w.toml": W2S + 'strong = { kind = "mlp", lr = inf }\n'}),
    c("w2s-spec-hostile-name", "w2s --spec w.toml", "name", {"w.toml": W2S + 'name = "../../x"\n'}),
    c("w2s-missing-local-file", "w2s --dataset ./nope.jsonl --loss xent", "nope.jsonl"),
    c("w2s-empty-file", "w2s --dataset d.jsonl --loss xent", "d.jsonl", {"d.jsonl": ""}),
    c("w2s-binary-file", "w2s --dataset d.jsonl --loss xent", "d.jsonl", {"d.jsonl": GARBAGE}),
    c("w2s-bad-jsonl-line", "w2s --dataset d.jsonl --loss xent", "d.jsonl", {"d.jsonl": TEXTS + "{oops\n"}),
    c("w2s-missing-label", "w2s --dataset d.jsonl --loss xent", "label", {"d.jsonl": '{"text": "a"}\n' * 40}),
    c("w2s-one-class", "w2s --dataset d.jsonl --loss xent", "one class",
      {"d.jsonl": '{"text": "a", "label": 1}\n' * 40}),
    c("w2s-stray-label", "w2s --dataset d.jsonl --loss xent", "row",
      {"d.jsonl": TEXTS + '{"text": "b", "label": "yes"}\n'}),
    c("w2s-parquet-garbage", "w2s --dataset d.parquet --loss xent", "d.parquet", {"d.parquet": GARBAGE}),
    c("w2s-csv-no-text", "w2s --dataset d.csv --loss xent", "text", {"d.csv": "a,b\n1,2\n3,4\n"}),
    c("w2s-csv-sentence-unmapped", "w2s --dataset d.csv --loss xent", "--text-column", {"d.csv": SENTENCES}),
    c("w2s-text-column-absent", "w2s --dataset d.csv --loss xent --text-column body", "'body'", {"d.csv": SENTENCES}),
    c("w2s-label-column-free-text", "w2s --dataset d.jsonl --loss xent", "free text", {"d.jsonl": FREE_LABELS}),
    c("w2s-label-column-one-offs", "w2s --dataset d.csv --loss xent --text-column sentence --label-column n", "'n'",
      {"d.csv": "sentence,n\n" + "".join(f"s {i},{i % 15}\n" for i in range(40))}),
    c("w2s-mc-label-not-binary", "w2s --dataset d.jsonl --loss xent", "0 or 1", {"d.jsonl": MC + MC_BAD}),
    c("w2s-split-on-a-file", "w2s --dataset d.csv --loss xent --text-column sentence --split train", "--split",
      {"d.csv": SENTENCES}),
    c("w2s-split-unknown", "w2s --dataset d --loss xent --split train,dev", "dev.*", {"d/train.jsonl": TEXTS,
                                                                                     "d/test.jsonl": TEXTS}),
    c("w2s-split-bad-syntax", "w2s --dataset sst2 --split a,b,c", "split"),
    c("w2s-named-with-columns", "w2s --dataset sst2 --text-column sentence", "sst2"),
    c("w2s-spec-column-empty", "w2s --spec w.toml", "text_column", {"w.toml": W2S + 'text_column = ""\n'}),
    c("w2s-out-is-file", "w2s --dataset sst2 --out afile", "afile", AFILE),
    # -- proctor study (init, invite, serve, results) ---------------------------------------------------------------
    c("study-init-no-items", "study init s", "--items"),
    c("study-init-bad-items-line", "study init s --items i.jsonl", "i.jsonl:2", {"i.jsonl": ITEM + "{oops\n"}),
    c("study-init-items-missing-field", "study init s --items i.jsonl", "answers",
      {"i.jsonl": '{"id": "a", "question": "q", "correct": 0, "protocol": "naive"}\n'}),
    c("study-init-binary-items", "study init s --items i.jsonl", "i.jsonl", {"i.jsonl": GARBAGE}),
    c("study-init-too-few-judges", "study init s --items i.jsonl --judges 1 --judges-per-item 2", "judges_per_item",
      {"i.jsonl": ITEM}),
    c("study-init-bad-db-url", "study init s --items i.jsonl --db nope://x", "--db", {"i.jsonl": ITEM}),
    c("study-init-bad-live-protocol", "study init s --live scripted/model --live-protocol chat", "--live-protocol"),
    c("study-init-opponent-without-debate", "study init s --live scripted/model --live-opponent scripted/other",
      "--live-opponent"),
    c("study-init-dir-is-file", "study init afile --items i.jsonl", "afile", {"i.jsonl": ITEM, **AFILE}),
    c("study-invite-no-study", "study invite nope --judges 2", "nope"),
    c("study-invite-bad-kind", "study invite adir --kind robot", "--kind", ADIR),
    c("study-serve-no-study", "study serve nope", "nope"),
    c("study-serve-not-a-study", "study serve adir", "study.toml", ADIR),
    c("study-results-no-study", "study results nope", "nope"),
    c("study-results-csv-is-folder", "study results nope --csv adir", "--csv", ADIR),
    c("study-results-n-boot-small", "study results adir --n-boot 5", "--n-boot", ADIR),
    # -- proctor debate (+ tournament, pixels) -------------------------------------------------------------------
    c("debate-bad-protocol", f"debate --protocol foo --judge {M}", "--protocol"),
    c("debate-no-debater", f"debate --protocol debate --judge {M}", "debater"),
    c("debate-word-limit-negative", f"debate --protocol naive --judge {M} --word-limit -5", "word_limit"),
    c("debate-rounds-huge", f"debate --judge {M} --debater {M} --rounds 100", "rounds"),
    c("debate-limit-zero", f"debate --protocol naive --judge {M} --limit 0", "--limit"),
    c("debate-timeout-zero", f"debate --protocol naive --judge {M} --timeout 0", "--timeout"),
    c("debate-retries-negative", f"debate --protocol naive --judge {M} --max-retries -1", "--max-retries"),
    c("debate-missing-dataset", f"debate --protocol naive --judge {M} --dataset ./nope.jsonl", "nope.jsonl"),
    c("debate-bad-jsonl", f"debate --protocol naive --judge {M} --dataset q.jsonl", "q.jsonl",
      {"q.jsonl": '{"question": "q"\n'}),
    c("debate-missing-columns", f"debate --protocol naive --judge {M} --dataset q.jsonl", "q.jsonl",
      {"q.jsonl": '{"foo": 1}\n'}),
    c("debate-question-column-absent", f"debate --protocol naive --judge {M} --dataset q.jsonl --question-column Q",
      "--question-column", {"q.jsonl": QA}),
    c("debate-passage-column-absent", f"debate --protocol naive --judge {M} --dataset q.jsonl --passage-column story",
      "--passage-column", {"q.jsonl": QA}),
    c("debate-choices-column-absent", f"debate --protocol naive --judge {M} --dataset q.jsonl --choices-column a,b",
      "--choices-column", {"q.jsonl": QA}),
    c("debate-choices-column-empty-name", f"debate --protocol naive --judge {M} --choices-column a,,b",
      "choices_column"),
    c("debate-answer-column-absent", f"debate --protocol naive --judge {M} --dataset q.jsonl --answer-column key",
      "--answer-column", {"q.jsonl": QA}),
    c("debate-label-column-absent", f"debate --protocol naive --judge {M} --dataset q.jsonl --label-column key",
      "--label-column", {"q.jsonl": QA}),
    c("debate-answer-and-label-column", f"debate --protocol naive --judge {M} --answer-column a --label-column b",
      "label_column"),
    c("debate-split-of-a-file", f"debate --protocol naive --judge {M} --dataset q.jsonl --split test", "--split",
      {"q.jsonl": QA}),
    c("debate-split-of-quality-example", f"debate --protocol naive --judge {M} --split test", "--split"),
    c("debate-out-is-file", f"debate --protocol naive --judge {M} --out afile", "afile", AFILE),
    c("debate-export-is-folder", f"debate --protocol naive --judge {M} --export adir", "--export", ADIR),
    c("tournament-one-debater", f"debate tournament --debater a={M} --judge {M}", "at least two"),
    c("tournament-bad-debater", f"debate tournament --debater foo --debater b={M} --judge {M}", "NAME=MODEL"),
    c("tournament-no-judge", f"debate tournament --debater a={M} --debater b={M}", "--judge"),
    c("tournament-rounds-negative", f"debate tournament --debater a={M} --debater b={M} --judge {M} --rounds -1",
      "--rounds"),
    c("tournament-log-dir-is-file", f"debate tournament --debater a={M} --debater b={M} --judge {M} "
                                     "--log-dir afile", "--log-dir", AFILE),
    c("pixels-zero", "debate pixels --pixels 0", "pixels"),
    c("pixels-too-many", "debate pixels --pixels 100", "pixels"),
    c("pixels-bad-order", "debate pixels --order sideways", "--order"),
    c("pixels-bad-agent", "debate pixels --agent oracle", "agent"),
    c("pixels-images-zero", "debate pixels --images 0", "images"),
    c("pixels-images-huge", "debate pixels --images 5000", "images"),
    c("pixels-c-puct-nan", "debate pixels --c-puct nan", "--c-puct"),
    c("pixels-c-puct-inf", "debate pixels --c-puct inf", "--c-puct"),
    c("pixels-rollouts-zero", "debate pixels --agent mcts --rollouts 0", "rollouts"),
    c("pixels-judge-steps-huge", "debate pixels --judge-steps 100000000", "judge_steps"),
    c("pixels-missing-mnist", "debate pixels --mnist nope", "nope"),
    c("pixels-garbage-mnist", "debate pixels --mnist m", "m",
      {"m/t10k-images-idx3-ubyte.gz": GARBAGE, "m/t10k-labels-idx1-ubyte.gz": GARBAGE,
       "m/train-labels-idx1-ubyte.gz": GARBAGE}),
    c("pixels-out-is-file", "debate pixels --out afile", "afile", AFILE),
    # -- proctor sae (train, features, monitor, study) -------------------------------------------------------------
    c("sae-train-out-is-file", "sae train --text sst2 --out afile", "afile", AFILE),
    c("sae-train-out-under-file", "sae train --text sst2 --out afile/sae", "afile", AFILE),
    c("sae-train-no-source", "sae train --out o", "--text"),
    c("sae-train-both-sources", "sae train --text sst2 --acts adir --out o", "--text", ADIR),
    c("sae-train-unknown-set", "sae train --text bogus --out o", "bogus"),
    c("sae-train-lr-inf", "sae train --text sst2 --lr inf --out o", "--lr"),
    c("sae-train-lr-negative", "sae train --text sst2 --lr -1 --out o", "--lr"),
    c("sae-train-steps-zero", "sae train --text sst2 --steps 0 --out o", "--steps"),
    c("sae-train-steps-huge", "sae train --text sst2 --steps 100000000000 --out o", "--steps"),
    c("sae-train-missing-acts", "sae train --acts nope --out o", "nope"),
    c("sae-train-bad-architecture", "sae train --text sst2 --architecture magic --out o", "architecture"),
    c("sae-train-k-zero", "sae train --text sst2 --k 0 --out o", "--k"),
    c("sae-train-expansion-huge", "sae train --text sst2 --expansion 1000 --out o", "expansion_factor"),
    c("sae-train-epochs-nan", "sae train --text sst2 --epochs nan --out o", "--epochs"),
    c("sae-train-size-small", "sae train --text sst2 --size 5 --out o", "--size"),
    c("sae-train-latents-negative", "sae train --text sst2 --latents -1 --out o", "--latents"),
    c("sae-train-max-rows-huge", "sae train --text sst2 --max-rows 1000000000 --out o", "max_train_rows"),
    c("sae-features-missing", "sae features nope", "nope"),
    c("sae-features-no-weights", "sae features s", "sae.safetensors", {"s/config.json": "{}"}),
    c("sae-features-bad-config", "sae features s", "config.json",
      {"s/config.json": "{not json", "s/sae.safetensors": GARBAGE}),
    c("sae-features-garbage-weights", "sae features s", "sae.safetensors",
      {"s/config.json": '{"d_in": 4, "num_latents": 8, "k": 2}', "s/sae.safetensors": GARBAGE}),
    c("sae-features-bad-set", "sae features s --set bogus", "--set", {"s/": ""}),
    c("sae-features-bad-pooling", "sae features s --pooling median", "--pooling", {"s/": ""}),
    c("sae-features-top-zero", "sae features s --top 0", "--top", {"s/": ""}),
    c("sae-monitor-n-boot-max", "sae monitor s --n-boot 9223372036854775807", "n_boot", {"s/": ""}),
    c("sae-monitor-n-boot-float", "sae monitor s --n-boot 1e14", "--n-boot", {"s/": ""}),
    c("sae-monitor-n-boot-small", "sae monitor s --n-boot 10", "--n-boot", {"s/": ""}),
    c("sae-monitor-missing", "sae monitor nope", "nope"),
    c("sae-export-missing", "sae export nope --format saelens --out o", "nope"),
    c("sae-export-bad-format", "sae export s --format onnx --out o", "--format", {"s/": ""}),
    c("sae-export-not-an-sae", "sae export s --format saelens --out o", "sae.safetensors", {"s/": ""}),
    c("sae-study-out-is-file", "sae study --out afile", "afile", AFILE),
    c("sae-study-bad-sets", "sae study --sets sst2,bogus", "bogus"),
    c("sae-study-n-boot-huge", "sae study --n-boot 1000000000", "n_boot"),
    c("sae-study-epochs-inf", "sae study --epochs inf", "--epochs"),
    # -- proctor verify (train, bon, eval) -------------------------------------------------------------------------
    c("verify-train-out-is-file", "verify train --out afile", "afile", AFILE),
    c("verify-train-missing-data", "verify train --data ./nope.jsonl --out o", "nope.jsonl"),
    c("verify-train-label-word", "verify train --data s.jsonl --out o", "labels",
      {"s.jsonl": STEPS.replace("[true, true]", '[true, "maybe"]')}),
    c("verify-train-label-minus-one", "verify train --data s.jsonl --out o", "row 2",
      {"s.jsonl": STEPS + STEPS.replace("[true, true]", "[1, -1]")}),
    c("verify-train-label-false-text", "verify train --data s.jsonl --out o", "correct",
      {"s.jsonl": STEPS.replace('"correct": true', '"correct": "perhaps"')}),
    c("verify-train-labels-not-list", "verify train --data s.jsonl --out o", "labels",
      {"s.jsonl": STEPS.replace("[true, true]", '"true"')}),
    c("verify-train-missing-column", "verify train --data s.jsonl --out o", "completions",
      {"s.jsonl": '{"prompt": "1+1"}\n'}),
    c("verify-train-empty", "verify train --data s.jsonl --out o", "s.jsonl", {"s.jsonl": ""}),
    c("verify-train-prompt-column-absent", "verify train --data s.jsonl --out o --prompt-column problem",
      "--prompt-column", {"s.jsonl": STEPS}),
    c("verify-train-completions-column-absent", "verify train --data s.jsonl --out o --completions-column steps",
      "--completions-column", {"s.jsonl": STEPS}),
    c("verify-train-labels-column-absent", "verify train --data s.jsonl --out o --labels-column ok",
      "--labels-column", {"s.jsonl": STEPS}),
    c("verify-train-split-of-a-file", "verify train --data s.jsonl --out o --split test", "--split",
      {"s.jsonl": STEPS}),
    c("verify-bon-columns-without-file", "verify bon --prompt-column problem", "--prompt-column"),
    c("verify-bon-split-three", "verify bon --data s.jsonl --test s.jsonl --split a,b,c", "--split",
      {"s.jsonl": STEPS}),
    c("verify-train-binary", "verify train --data s.jsonl --out o", "s.jsonl", {"s.jsonl": GARBAGE}),
    c("verify-train-epochs-negative", "verify train --epochs -1 --out o", "epochs"),
    c("verify-bon-data-without-test", "verify bon --data s.jsonl", "--test", {"s.jsonl": STEPS}),
    c("verify-bon-test-without-data", "verify bon --test s.jsonl", "--test", {"s.jsonl": STEPS}),
    c("verify-bon-pool-zero", "verify bon --pool 0", "pool"),
    c("verify-bon-pool-huge", "verify bon --pool 100000", "pool"),
    c("verify-bon-draws-zero", "verify bon --draws 0", "draws"),
    c("verify-bon-seeds-zero", "verify bon --seeds 0", "--seeds"),
    c("verify-bon-save-is-folder", "verify bon --save adir", "--save", ADIR),
    c("verify-bon-figure-is-folder", "verify bon --figure adir", "--figure", ADIR),
    c("verify-bon-out-is-file", "verify bon --out afile", "afile", AFILE),
    c("verify-eval-threshold-inf", "verify eval --threshold inf", "--threshold"),
    c("verify-eval-threshold-range", "verify eval --threshold 1.5", "threshold"),
    c("verify-eval-recall-zero", "verify eval --recall 0", "recall"),
    c("verify-eval-bad-head", "verify eval --head forest", "head"),
    c("verify-eval-bad-data-name", "verify eval --data gsm9k", "gsm9k"),
    # -- proctor monitor (calibrate, watch, eval, sycophancy, lc, bias, metrics) --------------------------------
    c("calibrate-missing", "monitor calibrate nope.jsonl", "nope.jsonl"),
    c("calibrate-empty", "monitor calibrate r.jsonl", "r.jsonl", {"r.jsonl": ""}),
    c("calibrate-bad-line", "monitor calibrate r.jsonl", "r.jsonl:61", {"r.jsonl": REF + "{oops\n"}),
    c("calibrate-wrong-type", "monitor calibrate r.jsonl", "r.jsonl:1", {"r.jsonl": '{"response": 5}\n'}),
    c("calibrate-binary", "monitor calibrate r.jsonl", "r.jsonl", {"r.jsonl": GARBAGE}),
    c("calibrate-false-alarms-inf", "monitor calibrate r.jsonl --false-alarms inf", "--false-alarms", {"r.jsonl": REF}),
    c("calibrate-false-alarms-zero", "monitor calibrate r.jsonl --false-alarms 0", "--false-alarms", {"r.jsonl": REF}),
    c("calibrate-window-small", "monitor calibrate r.jsonl --window 5", "--window", {"r.jsonl": REF}),
    c("calibrate-bad-detector", "monitor calibrate r.jsonl --detectors foo", "--detectors", {"r.jsonl": REF}),
    c("calibrate-bad-statistic", "monitor calibrate r.jsonl --statistics foo", "--statistics", {"r.jsonl": REF}),
    c("calibrate-bad-metric", "monitor calibrate r.jsonl --metrics nope", "--metrics", {"r.jsonl": REF}),
    c("calibrate-out-is-folder", "monitor calibrate r.jsonl --out adir", "--out", {"r.jsonl": REF, **ADIR}),
    c("watch-no-calibration", "monitor watch f.jsonl --no-follow", "--calibration", {"f.jsonl": REF}),
    c("watch-garbage-calibration", "monitor watch f.jsonl --calibration c.json --no-follow", "c.json",
      {"f.jsonl": REF, "c.json": GARBAGE}),
    c("watch-missing-calibration", "monitor watch f.jsonl --calibration c.json --no-follow", "c.json",
      {"f.jsonl": REF}),
    c("watch-poll-nan", "monitor watch f.jsonl --poll nan", "--poll", {"f.jsonl": REF}),
    c("watch-idle-negative", "monitor watch f.jsonl --idle-timeout -1", "--idle-timeout", {"f.jsonl": REF}),
    c("watch-batch-zero", "monitor watch f.jsonl --batch-lines 0", "--batch-lines", {"f.jsonl": REF}),
    c("watch-report-is-folder", "monitor watch f.jsonl --reference r.jsonl --report adir", "--report",
      {"f.jsonl": REF, "r.jsonl": REF, **ADIR}),
    c("watch-state-is-folder", "monitor watch f.jsonl --reference r.jsonl --state adir", "--state",
      {"f.jsonl": REF, "r.jsonl": REF, **ADIR}),
    c("eval-replicates-zero", "monitor eval --replicates 0", "--replicates"),
    c("eval-clean-length-small", "monitor eval --clean-length 10", "--clean-length"),
    c("eval-target-inf", "monitor eval --target inf", "--target"),
    c("eval-window-small", "monitor eval --window 5", "window"),
    c("eval-out-is-file", "monitor eval --out afile", "afile", AFILE),
    c("eval-unknown-metric", "monitor eval --metrics bogus", "--metrics"),
    c("sycophancy-no-model", "monitor sycophancy", "--model"),
    c("sycophancy-pairs-zero", f"monitor sycophancy --model {M} --pairs 0", "--pairs"),
    c("sycophancy-log-dir-is-file", f"monitor sycophancy --model {M} --log-dir afile", "--log-dir", AFILE),
    c("lc-report-is-folder", "monitor lc --report adir", "--report", ADIR),
    c("bias-missing", "monitor bias nope.jsonl", "nope.jsonl"),
    c("bias-bad-line", "monitor bias b.jsonl", "b.jsonl:2", {"b.jsonl": '{"response": "a", "reward": 1}\n{oops\n'}),
    c("bias-reward-not-number", "monitor bias b.jsonl", "reward", {"b.jsonl": '{"response": "a", "reward": "high"}\n'}),
    c("bias-pairs-missing-chosen", "monitor bias b.jsonl --pairs", "chosen", {"b.jsonl": '{"rejected": "a"}\n'}),
    c("bias-binary", "monitor bias b.jsonl", "b.jsonl", {"b.jsonl": GARBAGE}),
    c("metrics-unknown-option", "monitor metrics --bogus", "--bogus"),
    c("code-missing", "monitor code nope.jsonl --static-only", "nope.jsonl"),
    c("code-empty", "monitor code s.jsonl --static-only", "s.jsonl", {"s.jsonl": ""}),
    c("code-missing-field", "monitor code s.jsonl --static-only", "'id'", {"s.jsonl": '{"code": "x = 1"}\n'}),
    c("code-binary", "monitor code s.jsonl --static-only", "s.jsonl", {"s.jsonl": GARBAGE}),
    c("code-out-is-folder", "monitor code s.jsonl --static-only --out adir", "--out", {"s.jsonl": CODE, **ADIR}),
    c("code-target-fpr-nan", "monitor code s.jsonl --static-only --target-fpr nan", "--target-fpr",
      {"s.jsonl": CODE}),
    c("code-workers-zero", "monitor code s.jsonl --static-only --workers 0", "--workers", {"s.jsonl": CODE}),
    # -- proctor superposition (toy, interference) -----------------------------------------------------------------
    c("toy-features-huge", "superposition toy --features 100000000", "features"),
    c("toy-features-one", "superposition toy --features 1", "features"),
    c("toy-dims-not-below-features", "superposition toy --features 5 --dims 10", "dims"),
    c("toy-sparsity-range", "superposition toy --sparsities 1.5", "--sparsities"),
    c("toy-sparsity-log-range", "superposition toy --sparsities log:0:2:3", "--sparsities"),
    c("toy-sparsity-words", "superposition toy --sparsities abc", "--sparsities"),
    c("toy-lr-inf", "superposition toy --lr inf", "--lr"),
    c("toy-lr-nan", "superposition toy --lr nan", "--lr"),
    c("toy-lr-negative", "superposition toy --lr -0.1", "lr"),
    c("toy-steps-zero", "superposition toy --steps 0", "steps"),
    c("toy-memory", "superposition toy --features 2000 --batch-size 60000", "batch_size"),
    c("toy-decay-zero", "superposition toy --importance-decay 0", "importance_decay"),
    c("toy-out-is-file", "superposition toy --out afile", "afile", AFILE),
    c("interference-bad-block", "superposition interference --minilm --block 7", "block"),
    c("interference-sparsity-one", "superposition interference --sparsity 1", "--sparsity"),
    c("interference-sparsity-nan", "superposition interference --sparsity nan", "--sparsity"),
    c("interference-missing-sae", "superposition interference --sae nope", "nope"),
    c("interference-texts-small", "superposition interference --texts 5", "texts"),
    c("interference-out-is-file", "superposition interference --out afile", "afile", AFILE),
    # -- proctor cai -----------------------------------------------------------------------------------------------
    c("cai-principles-missing", "cai principles --constitution nope.toml", "nope.toml"),
    c("cai-principles-bad-toml", "cai principles --constitution k.toml", "k.toml", {"k.toml": "[[principle]\n"}),
    c("cai-principles-binary", "cai principles --constitution k.toml", "k.toml", {"k.toml": GARBAGE}),
    c("cai-principles-wrong-types", "cai principles --constitution k.toml", "k.toml", {"k.toml": "principle = 5\n"}),
    c("cai-revise-limit-zero", f"cai revise --policy {M} --limit 0", "--limit"),
    c("cai-revise-rounds-huge", f"cai revise --policy {M} --rounds 100", "rounds"),
    c("cai-revise-out-is-file", f"cai revise --policy {M} --out afile", "afile", AFILE),
    c("cai-revise-missing-prompts", f"cai revise --policy {M} --prompts ./nope.jsonl", "nope.jsonl"),
    c("cai-revise-bad-prompts-line", f"cai revise --policy {M} --prompts p.jsonl", "p.jsonl:2",
      {"p.jsonl": '{"prompt": "hi"}\n{oops\n'}),
    c("cai-revise-prompts-no-column", f"cai revise --policy {M} --prompts p.jsonl", "prompt",
      {"p.jsonl": '{"text": "hi"}\n'}),
    c("cai-revise-no-policy", "cai revise", "--policy"),
    c("cai-prefer-no-input", f"cai prefer --judge {M}", "--chains"),
    c("cai-prefer-missing-chains", f"cai prefer --judge {M} --chains nope.jsonl", "nope.jsonl"),
    c("cai-prefer-pairs-missing-key", f"cai prefer --judge {M} --pairs p.jsonl", "response_b",
      {"p.jsonl": '{"prompt": "p", "response_a": "a"}\n'}),
    c("cai-prefer-out-is-file", f"cai prefer --judge {M} --chains ch.jsonl --out afile", "afile",
      {"ch.jsonl": CHAINS, **AFILE}),
    c("cai-evaluate-missing-chains", f"cai evaluate --judge {M} --chains nope.jsonl", "nope.jsonl"),
    c("cai-evaluate-out-is-file", f"cai evaluate --judge {M} --chains ch.jsonl --out afile", "afile",
      {"ch.jsonl": CHAINS, **AFILE}),
    c("cai-sample-temperature-nan", f"cai sample --policy {M} --temperature nan", "--temperature"),
    c("cai-sample-limit-zero", f"cai sample --policy {M} --limit 0", "--limit"),
    c("cai-sample-out-is-file", f"cai sample --policy {M} --out afile", "afile", AFILE),
    c("cai-sample-missing-prompts", f"cai sample --policy {M} --prompts ./nope.jsonl", "nope.jsonl"),
    c("cai-evaluate-binary-chains", f"cai evaluate --judge {M} --chains ch.jsonl", "ch.jsonl", {"ch.jsonl": GARBAGE}),
    c("cai-run-limit-zero", f"cai run --policy {M} --limit 0", "--limit"),
    c("cai-run-max-samples-zero", f"cai run --policy {M} --max-samples 0", "max_samples"),
    c("cai-run-out-is-file", f"cai run --policy {M} --out afile", "afile", AFILE),
    # -- proctor rrm -------------------------------------------------------------------------------------------
    c("rrm-max-steps-huge", "rrm calculator --gap 400 --guard-slope 1 --houdini-slope 1 --max-steps 100000000",
      "max_steps"),
    c("rrm-no-slopes", "rrm calculator --gap 400", "--guard-slope"),
    c("rrm-slope-nan", "rrm calculator --gap 400 --guard-slope nan --houdini-slope 1", "--guard-slope"),
    c("rrm-gap-inf", "rrm calculator --gap inf --guard-slope 1 --houdini-slope 1", "--gap"),
    c("rrm-gap-negative", "rrm calculator --gap -5 --guard-slope 1 --houdini-slope 1", "--gap"),
    c("rrm-unknown-game", "rrm calculator --gap 400 --game Chess", "Chess"),
    c("rrm-steps-zero", "rrm calculator --gap 400 --game Debate --steps 0", "--steps"),
    c("rrm-steps-huge", "rrm calculator --gap 400 --game Debate --steps 1000000", "--steps"),
    c("rrm-paper-gap-nan", "rrm paper --gap nan", "--gap"),
    c("rrm-paper-max-steps-zero", "rrm paper --max-steps 0", "--max-steps"),
    c("rrm-evaluate-mislead-range", f"rrm evaluate --evaluator {M} --assistant {M} --mislead 2", "mislead"),
    c("rrm-evaluate-mislead-nan", f"rrm evaluate --evaluator {M} --assistant {M} --mislead nan", "--mislead"),
    c("rrm-evaluate-depth-huge", f"rrm evaluate --evaluator {M} --assistant {M} --depth 100", "depth"),
    c("rrm-evaluate-n-zero", f"rrm evaluate --evaluator {M} --assistant {M} -n 0", "-n"),
    c("rrm-evaluate-missing-items", f"rrm evaluate --evaluator {M} --assistant {M} --items ./nope.jsonl",
      "nope.jsonl"),
    c("rrm-evaluate-bad-items-line", f"rrm evaluate --evaluator {M} --assistant {M} --items i.jsonl", "i.jsonl",
      {"i.jsonl": '{"question": "q", "answer": "a", "label": true}\n{oops\n'}),
    c("rrm-evaluate-label-word", f"rrm evaluate --evaluator {M} --assistant {M} --items i.jsonl", "i.jsonl:1",
      {"i.jsonl": '{"question": "q", "answer": "a", "label": "maybe"}\n'}),
    c("rrm-evaluate-out-is-file", f"rrm evaluate --evaluator {M} --assistant {M} --out afile", "afile", AFILE),
    # -- proctor fit, plan -----------------------------------------------------------------------------------------
    c("chinchilla-missing", "fit chinchilla nope.csv", "nope.csv"),
    c("chinchilla-empty", "fit chinchilla r.csv", "r.csv", {"r.csv": ""}),
    c("chinchilla-binary", "fit chinchilla r.csv", "r.csv", {"r.csv": GARBAGE}),
    c("chinchilla-missing-column", "fit chinchilla r.csv", "--loss-col", {"r.csv": "N,D\n1,2\n"}),
    c("chinchilla-text-in-numbers", "fit chinchilla r.csv", "r.csv", {"r.csv": CHINCHILLA + "big,1e9,2.0\n"}),
    c("chinchilla-negative", "fit chinchilla r.csv", "r.csv", {"r.csv": CHINCHILLA + "-1e9,1e9,2.0\n"}),
    c("chinchilla-bad-objective", "fit chinchilla r.csv --objective median", "--objective", {"r.csv": CHINCHILLA}),
    c("chinchilla-bootstrap-huge", "fit chinchilla r.csv --bootstrap 1000000000", "n_boot", {"r.csv": CHINCHILLA}),
    c("chinchilla-report-is-folder", "fit chinchilla r.csv --report adir", "--report", {"r.csv": CHINCHILLA, **ADIR}),
    c("chinchilla-save-under-file", "fit chinchilla r.csv --save afile/fit.json", "--save",
      {"r.csv": CHINCHILLA, **AFILE}),
    c("posttrain-threshold-inf", "fit posttrain p.csv --threshold inf", "--threshold"),
    c("posttrain-next-negative", "fit posttrain p.csv --next -1", "--next"),
    c("posttrain-at-nan", "fit posttrain p.csv --at nan", "--at"),
    c("posttrain-bootstrap-huge", "fit posttrain p.csv --bootstrap 10000000", "n_boot"),
    c("posttrain-report-is-folder", "fit posttrain p.csv --report adir", "--report",
      {"p.csv": "N_p,Q\n100,0.5\n", **ADIR}),
    c("posttrain-missing-column", "fit posttrain p.csv", "--q-col", {"p.csv": "N_p\n100\n"}),
    c("plan-params-1e308", "plan --params 1e308", "--params"),
    c("plan-params-inf", "plan --params inf", "--params"),
    c("plan-flops-nan", "plan --flops nan", "--flops"),
    c("plan-params-negative", "plan --params -5", "--params"),
    c("plan-both", "plan --params 7e9 --flops 1e23", "exactly one"),
    c("plan-tokens-per-param-zero", "plan --params 7e9 --tokens-per-param 0", "--tokens-per-param"),
    c("plan-missing-fit", "plan --params 7e9 --fit nope.json", "nope.json"),
    c("plan-garbage-fit", "plan --params 7e9 --fit f.json", "f.json", {"f.json": GARBAGE}),
    c("plan-fit-wrong-type", "plan --params 7e9 --fit f.json", "'E'",
      {"f.json": '{"E": "x", "A": 1, "B": 1, "alpha": 0.3, "beta": 0.3}'}),
    c("plan-posttrain-budget-inf", "plan posttrain --budget inf --fit f", "--budget"),
    c("plan-posttrain-no-budget", "plan posttrain --fit f", "--budget"),
    c("plan-posttrain-cost-zero", "plan posttrain --budget 100 --cost-sft 0 --fit f", "--cost-sft"),
    c("plan-posttrain-missing-fit", "plan posttrain --budget 100 --fit nope", "nope"),
    c("plan-posttrain-report-is-folder", "plan posttrain --budget 100 --fit f --report adir", "--report", ADIR),
    c("plan-fit-negative-alpha", "plan --params 7e9 --fit f.json", "alpha",
      {"f.json": '{"E": 1, "A": 1, "B": 1, "alpha": -0.3, "beta": 0.3}'}),
    # -- proctor tax (frontier, interpolate) --------------------------------------------------------------------
    c("frontier-missing", "tax frontier nope.csv", "nope.csv"),
    c("frontier-empty", "tax frontier t.csv", "t.csv", {"t.csv": ""}),
    c("frontier-missing-column", "tax frontier t.csv", "alignment", {"t.csv": "checkpoint,capability\nbase,0.5\n"}),
    c("frontier-duplicate", "tax frontier t.csv", "more than once", {"t.csv": FRONTIER + "base,0.1,0.2\n"}),
    c("frontier-text-score", "tax frontier t.csv", "capability", {"t.csv": FRONTIER + "x,high,0.2\n"}),
    c("frontier-n-eval-range", "tax frontier t.csv --n-eval 100", "--n-eval", {"t.csv": FRONTIER + "x,7,0.2\n"}),
    c("frontier-bootstrap-small", "tax frontier t.csv --bootstrap 5", "--bootstrap", {"t.csv": FRONTIER}),
    c("frontier-bootstrap-huge", "tax frontier t.csv --bootstrap 1000000000", "--bootstrap", {"t.csv": FRONTIER}),
    c("frontier-report-is-folder", "tax frontier t.csv --report adir", "--report", {"t.csv": FRONTIER, **ADIR}),
    c("interpolate-neither", "tax interpolate", "--tuned"),
    c("interpolate-both", "tax interpolate --demo --tuned x", "--tuned"),
    c("interpolate-demo-lr-inf", "tax interpolate --demo --demo-lr inf", "--demo-lr"),
    c("interpolate-demo-epochs-nan", "tax interpolate --demo --demo-epochs nan", "--demo-epochs"),
    c("interpolate-steps-one", "tax interpolate --demo --steps 1", "--steps"),
    c("interpolate-out-is-file", "tax interpolate --demo --out afile", "afile", AFILE),
    c("interpolate-report-is-folder", "tax interpolate --demo --report adir", "--report", ADIR),
    c("formats-one-format", f"tax formats {SCRIPTED} --formats raw", "--formats"),
    c("formats-bootstrap-small", f"tax formats {SCRIPTED} --bootstrap 10", "--bootstrap"),
    c("formats-share-nan", f"tax formats {SCRIPTED} --artifact-share nan", "--artifact-share"),
    c("formats-mixed-evals", f"tax formats {SCRIPTED} --eval gsm8k,retrieval:boolq", "--eval"),
    c("formats-out-is-file", f"tax formats {SCRIPTED} --out afile", "afile", AFILE),
    c("formats-report-is-folder", f"tax formats {SCRIPTED} --report adir", "--report", ADIR),
    c("formats-no-aligned", "tax formats --base scripted/base", "--aligned"),
    c("interpolate-bad-evaluation", "tax interpolate --demo --capability magic:boolq", "magic"),
    c("interpolate-probe-unmapped-columns", "tax interpolate --tuned t --alignment probe:d.csv", "--text-column",
      {"d.csv": SENTENCES}),
    c("interpolate-probe-column-absent", "tax interpolate --tuned t --alignment probe:d.csv --label-column stars",
      "'stars'", {"d.csv": SENTENCES}),
]


def _tree(root: Path) -> set[str]:
    found = set()
    for d, dirs, files in os.walk(root):
        rel = Path(d).relative_to(root)
        found.update(str(rel / n) + "/" for n in dirs)
        found.update(str(rel / n) for n in files)
    return found


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: Case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var, sub in (("PROCTOR_RUNS", "runs"), ("PROCTOR_CACHE", "cache"), ("INSPECT_CACHE_DIR", "inspect-cache"),
                     ("INSPECT_LOG_DIR", "logs")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir(exist_ok=True)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    before = _tree(tmp_path)
    result = invoke(*shlex.split(case.argv))
    output = f"stdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.exit_code == case.code, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert case.needle in lines[0], lines[0]
    assert _tree(tmp_path) == before, f"written: {sorted(_tree(tmp_path) - before)}"


def test_corpus_size_and_coverage():
    """At least 130 cases, and every verb and sub-verb of `proctor --help` has some."""
    from proctor.cli import app

    assert len(CASES) >= 130, len(CASES)
    covered = set()
    for p in CASES:
        words = shlex.split(p.values[0].argv)
        covered |= {words[0], " ".join(words[:2])}
    verbs = []
    for name, cmd in typer.main.get_command(app).commands.items():
        verbs += [name] + [f"{name} {sub}" for sub in getattr(cmd, "commands", {}) or {}]
    missing = [v for v in verbs if v not in covered]
    assert not missing, f"verbs without a bad-input case: {missing}"


def _commands():
    """(command path, click command) for every verb and sub-verb of `proctor`."""
    from proctor.cli import app

    def walk(cmd, path):
        yield path, cmd
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            yield from walk(sub, f"{path} {name}".strip())

    yield from walk(typer.main.get_command(app), "")


def test_every_float_option_is_finite():
    """A float given on the command line is never nan or inf: every float option parses through
    proctor.options.finite (which rejects both) or has both bounds (which nan and inf fail)."""
    lax = []
    for path, cmd in _commands():
        for p in cmd.params:
            td = getattr(p, "type_descriptor", None)
            if td is None or td.annotation is not float:
                continue
            info = td.parameter_info
            if info.parser is not None:
                for bad in ("nan", "inf", "-inf", "1e999"):
                    with pytest.raises(ValueError):
                        info.parser(bad)
            elif info.min is None or info.max is None:
                lax.append(f"proctor {path} --{p.name}")
    assert not lax, f"float options that take nan or inf: {lax}"
