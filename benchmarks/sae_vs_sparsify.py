"""TopK SAE training throughput: Proctor's `SparseAutoencoder` against EleutherAI sparsify's `SparseCoder`, one run.

Rows per second of a full training step (forward, backward, decoder-gradient projection, Adam step, decoder
renormalisation) at batch 4096, fp32 and bf16 autocast, on the shapes (d_in, latents, k) of the issue:
(384, 12288, 32), (768, 24576, 32), (4096, 131072, 64). Also Proctor's plain dense path (dense autograd encoder,
dense decoder matmul), which answers "is the sparse backward faster here?", and the floor:
    floor rows/s = batch / (t_encoder_matmul_bf16 + 28 bytes * params / copy_bandwidth)
with the encoder matmul timed for the shape and the copy bandwidth measured on this device (a fused Adam step moves
about 28 bytes per parameter: read param, grad, two moments; write param, two moments).

    python benchmarks/sae_vs_sparsify.py --quick                    # first shape, 3 timed steps
    python benchmarks/sae_vs_sparsify.py                            # all three shapes (GPU; the last needs ~20 GB)
    python benchmarks/sae_vs_sparsify.py --shapes 0,1 --steps 5     # a subset

Needs `pip install eai-sparsify` (benchmark-only; the library never imports it). The device is
`proctor.device.get_device()`. Goals: >= 1.0x sparsify on CPU; on a GPU >= 2x sparsify at the two smaller shapes and
>= 50% of the floor at the largest. Prints one JSON object last; rewrites its block in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, record  # noqa: E402

SHAPES = [(384, 12288, 32), (768, 24576, 32), (4096, 131072, 64)]
BATCH = 4096


def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def _time_steps(step, steps: int, warmup: int, device) -> float:
    for _ in range(warmup):
        step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return (time.perf_counter() - t0) / steps


def _adam(params, device):
    import torch

    return torch.optim.Adam(params, lr=1e-4, fused=device.type == "cuda")


def proctor_step(shape, bf16: bool, device, impl: str = "sparse"):
    import torch

    from proctor.sae.config import SAEConfig
    from proctor.sae.model import SparseAutoencoder

    d, n, k = shape
    sae = SparseAutoencoder(SAEConfig(d_in=d, num_latents=n, k=k), seed=0).to(device)
    sae.encoder_impl = sae.decoder_impl = impl
    opt = _adam(sae.parameters(), device)
    x = torch.randn(BATCH, d, device=device)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = sae(x)
        out.loss.backward()
        sae.project_decoder_grad()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sae.normalize_decoder()

    return step, (sae, opt, x)


def sparsify_step(shape, bf16: bool, device):
    import torch
    from sparsify import SparseCoder, SparseCoderConfig

    d, n, k = shape
    sae = SparseCoder(d, SparseCoderConfig(num_latents=n, k=k), device=device)
    opt = _adam(sae.parameters(), device)
    x = torch.randn(BATCH, d, device=device)

    def step():
        # sparsify's forward is itself wrapped in CUDA bf16 autocast where supported; this adds CPU bf16 when asked
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = sae(x)
        out.fvu.backward()
        sae.remove_gradient_parallel_to_decoder_directions()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sae.set_decoder_norm_to_unit_norm()

    return step, (sae, opt, x)


def floor(shape, device, steps: int) -> dict:
    import torch

    d, n, _ = shape
    x = torch.randn(BATCH, d, device=device, dtype=torch.bfloat16)
    w = torch.randn(n, d, device=device, dtype=torch.bfloat16)
    t_mm = _time_steps(lambda: torch.nn.functional.linear(x, w), steps, 1, device)
    a = torch.empty(64 * 2**20 // 4 * 4, device=device)  # 256 MB
    b = torch.empty_like(a)
    t_copy = _time_steps(lambda: b.copy_(a), steps, 1, device)
    bandwidth = 2 * a.numel() * 4 / t_copy  # bytes read + written per second
    params = 2 * n * d + n + d
    t_opt = 28 * params / bandwidth
    return {"encoder_matmul_bf16_s": t_mm, "copy_bandwidth_gb_s": bandwidth / 1e9, "optimizer_s": t_opt,
            "floor_rows_per_s": BATCH / (t_mm + t_opt)}


def measure(shape, bf16: bool, device, steps: int, warmup: int, interleave: bool) -> dict:
    """Rows/s of each implementation. Interleaved (default where memory allows): the three models live together and
    each round times one step of each in turn, so load from other processes hits all of them alike; the median step
    time is reported. Sequential otherwise (the largest shape: three models would not fit beside each other)."""
    import statistics

    import torch

    row = {"shape": list(shape), "dtype": "bf16 autocast" if bf16 else "fp32"}
    makers = {"proctor": lambda: proctor_step(shape, bf16, device),
              "proctor_dense": lambda: proctor_step(shape, bf16, device, "dense"),
              "sparsify": lambda: sparsify_step(shape, bf16, device)}

    def one(step) -> float:
        _sync(device)
        t0 = time.perf_counter()
        step()
        _sync(device)
        return time.perf_counter() - t0

    times: dict[str, list[float]] = {name: [] for name in makers}
    if interleave:
        built = {name: make() for name, make in makers.items()}
        for _ in range(warmup):
            for step, _ in built.values():
                step()
        for r in range(steps):
            names = list(built)
            names = names[r % len(names):] + names[:r % len(names)]  # rotate who goes first
            for name in names:
                times[name].append(one(built[name][0]))
        del built
    else:
        for name, make in makers.items():
            step, keep = make()
            for _ in range(warmup):
                step()
            times[name] = [one(step) for _ in range(steps)]
            del step, keep
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()
    for name, t in times.items():
        row[name] = BATCH / statistics.median(t)
    row["ratio"] = row["proctor"] / row["sparsify"]
    row["timing"] = "interleaved" if interleave else "sequential"
    return row


def main() -> None:
    import torch

    from proctor.device import describe_device, get_device

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="first shape only, 3 timed steps")
    ap.add_argument("--shapes", default=None, help="comma list of shape indices (0, 1, 2); default all (quick: 0)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps per configuration (default 10, quick 3)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = get_device()
    idx = [int(i) for i in args.shapes.split(",")] if args.shapes else ([0] if args.quick else [0, 1, 2])
    steps = args.steps or (3 if args.quick else 10)
    warmup = 1 if device.type == "cpu" else 3
    rows, floors = [], {}
    for i in idx:
        shape = SHAPES[i]
        floors[i] = floor(shape, device, steps)
        for bf16 in (False, True):
            r = measure(shape, bf16, device, steps, warmup, interleave=i < 2)
            rows.append(r)
            print(f"{shape} {r['dtype']:13s} proctor {r['proctor']:12,.0f}  dense {r['proctor_dense']:12,.0f}  "
                  f"sparsify {r['sparsify']:12,.0f} rows/s  ratio {r['ratio']:.2f}x  "
                  f"floor {floors[i]['floor_rows_per_s']:12,.0f}", file=sys.stderr, flush=True)
    dev = describe_device()
    gpu = device.type == "cuda"
    if gpu:
        small = [r["ratio"] >= 2.0 for r in rows if r["shape"][0] < 4096]
        big = [max(r["proctor"] for r in rows if r["shape"][0] == 4096) / floors[2]["floor_rows_per_s"] >= 0.5] \
            if 2 in idx else []
        meets = all(small + big)
        goal = ">= 2x sparsify at the two smaller shapes, >= 50% of the floor at the largest"
    else:
        meets = all(r["ratio"] >= 1.0 for r in rows)
        goal = ">= 1.0x sparsify on the CPU"
    head = rows[0]
    lines = ["## SAE training: Proctor TopK vs eai-sparsify SparseCoder (`benchmarks/sae_vs_sparsify.py`)", "",
             f"Device: {dev}; batch {BATCH}; median of {steps} timed steps after {warmup} warm-up, the implementations "
             f"interleaved step by step (sequential at the largest shape)"
             f"{' (--quick)' if args.quick else ''}. Rows/s of a full training step (higher is better).", "",
             "| (d_in, latents, k) | dtype | Proctor (sparse) | Proctor (dense path) | sparsify | ratio | floor |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        f = floors[SHAPES.index(tuple(r["shape"]))]
        lines.append(f"| {tuple(r['shape'])} | {r['dtype']} | {r['proctor']:,.0f} | {r['proctor_dense']:,.0f} | "
                     f"{r['sparsify']:,.0f} | {r['ratio']:.2f}x | {f['floor_rows_per_s']:,.0f} |")
    lines += ["", "Floor = batch / (bf16 encoder matmul time + 28 B/param at the measured copy bandwidth): " +
              "; ".join(f"{tuple(SHAPES[i])}: matmul {v['encoder_matmul_bf16_s'] * 1e3:.1f} ms, copy "
                        f"{v['copy_bandwidth_gb_s']:.1f} GB/s" for i, v in floors.items()) + ".",
              f"Goal ({'GPU' if gpu else 'CPU'}): {goal}: {'met' if meets else 'NOT met'}."]
    record("sae_vs_sparsify" + ("_quick" if args.quick else ""), "\n".join(lines))
    emit({"benchmark": "sae_vs_sparsify", "proctor": head["proctor"], "reference": head["sparsify"],
          "ratio": head["ratio"], "goal": goal, "meets_goal": meets, "device": dev, "rows": rows,
          "floors": {str(SHAPES[i]): v for i, v in floors.items()}, "steps": steps, "quick": args.quick})


if __name__ == "__main__":
    main()
