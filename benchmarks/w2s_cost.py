"""What W2S costs against the physical floor, in one process.

(a) The frozen-representation experiment (5 seeds, both losses, weak = TF-IDF and a probe on MiniLM's first layer,
    strong = linear probe on full MiniLM) against ONE embedding pass of the same texts through the strong encoder.
    Goal <= 1.3x: embed once, reuse the features across seeds, losses and the weak probe (same forward pass).
(b) Fine-tuning MiniLM: seconds per training example per epoch, against seconds per example of a forward-only pass
    of the same model over the same texts with the same batching. Goal <= 3.5x (forward + backward ~ 3x a forward).

    python benchmarks/w2s_cost.py            # full SST-2 (8,741 texts; fine-tuning on 2,000)
    python benchmarks/w2s_cost.py --quick    # 1,500 texts; fine-tuning on 400

Needs PROCTOR_DATA (the sst2 folder). Prints one JSON object last; rewrites its block in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402


def frozen(quick: bool, tmp: Path) -> dict:
    from proctor.data import load_dataset
    from proctor.models import Encoder
    from proctor.runs.store import RunStore
    from proctor.w2s.experiment import W2SExperiment
    from proctor.w2s.spec import W2SSpec

    max_train, max_test = (1000, 500) if quick else (None, None)
    splits = load_dataset("sst2", max_train=max_train, max_test=max_test)
    texts = splits.train.texts + splits.test.texts

    # reference: one pass through the strong encoder, no cache, model already loaded (load time not counted)
    enc = Encoder("minilm", max_length=128, cache=None)  # the strong probe's encoder settings
    enc.embed(texts[:64], progress=False)
    t0 = time.perf_counter()
    enc.embed(texts, progress=False)
    reference = time.perf_counter() - t0
    del enc

    # Proctor: the whole experiment from an empty embedding cache and an empty run store
    os.environ["PROCTOR_CACHE"] = str(tmp / "cache-frozen")
    spec = W2SSpec(dataset="sst2", weak=["tfidf", "probe:minilm@1"], strong="probe:minilm", loss=["xent", "aux"],
                   seeds=5, max_train=max_train, max_test=max_test)
    Encoder("minilm", max_length=128, cache=None).embed(texts[:64], progress=False)  # same warm-up
    t0 = time.perf_counter()
    with RunStore(tmp / "run-frozen") as store:
        W2SExperiment(spec).run(store)
    proctor = time.perf_counter() - t0
    return {"name": "frozen_experiment_vs_one_embedding_pass", "texts": len(texts), "units": 5 * (2 + 1 + 4),
            "proctor_s": proctor, "reference_s": reference, "ratio": proctor / reference, "goal": 1.3}


def finetune(quick: bool) -> dict:
    import torch

    from proctor.data import load_dataset
    from proctor.models.finetune import FineTunedClassifier

    n = 400 if quick else 2000
    splits = load_dataset("sst2", max_train=n)
    texts, labels = splits.train.texts, splits.train.labels
    # warm-up fit (loads the model, first-touch allocations) on a few examples
    FineTunedClassifier(epochs=1.0).fit(texts[:64], labels[:64])
    clf = FineTunedClassifier(epochs=1.0)
    clf.fit(texts, labels)
    train_per_ex = clf.train_seconds_ / len(texts)  # the training loop: forward, backward, AdamW, batching
    # reference: forward only through the same network (backbone + head), same batch size and length buckets
    clf.module_.eval()
    ids = clf._encode(texts)
    rng = np.random.default_rng(0)
    batches = clf._bucketed(np.array([len(r) for r in ids], dtype=float), rng)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for idx in batches:
            clf.module_(*clf._collate(ids, idx))
    fwd_per_ex = (time.perf_counter() - t0) / len(texts)
    return {"name": "finetune_step_vs_forward", "examples": len(texts), "batch_size": clf.batch_size,
            "proctor_s_per_example": train_per_ex, "reference_s_per_example": fwd_per_ex,
            "ratio": train_per_ex / fwd_per_ex, "goal": 3.5}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    from proctor.device import describe_device

    with tempfile.TemporaryDirectory() as d:
        a = frozen(args.quick, Path(d))
    b = finetune(args.quick)
    device = describe_device()
    for part in (a, b):
        part["meets_goal"] = part["ratio"] <= part["goal"]
    md = (
        f"## w2s_cost{' (--quick)' if args.quick else ''}\n\n"
        f"Device: {device}.\n\n"
        "| part | Proctor | reference | ratio | goal | meets |\n|---|---|---|---|---|---|\n"
        f"| (a) frozen-representation W2S, 5 seeds x 2 losses x 2 weak models, {a['texts']} texts | "
        f"{a['proctor_s']:.1f} s | one MiniLM embedding pass {a['reference_s']:.1f} s | {a['ratio']:.2f}x | "
        f"<= {a['goal']}x | {'yes' if a['meets_goal'] else 'no'} |\n"
        f"| (b) fine-tuning MiniLM, {b['examples']} SST-2 sentences, batch {b['batch_size']} | "
        f"{1000 * b['proctor_s_per_example']:.1f} ms/example/epoch | forward only "
        f"{1000 * b['reference_s_per_example']:.1f} ms/example | {b['ratio']:.2f}x | <= {b['goal']}x | "
        f"{'yes' if b['meets_goal'] else 'no'} |\n"
    )
    record("w2s_cost" + ("_quick" if args.quick else ""), md)
    emit({
        "benchmark": "w2s_cost",
        "proctor": {"frozen_s": a["proctor_s"], "finetune_s_per_example": b["proctor_s_per_example"]},
        "reference": {"embedding_pass_s": a["reference_s"], "forward_s_per_example": b["reference_s_per_example"]},
        "ratio": {"frozen": a["ratio"], "finetune": b["ratio"]},
        "goal": {"frozen": a["goal"], "finetune": b["goal"]},
        "meets_goal": a["meets_goal"] and b["meets_goal"],
        "device": device,
        "quick": args.quick,
    })


if __name__ == "__main__":
    main()
