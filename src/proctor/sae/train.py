"""Train an SAE on activation rows: Adam, width-scaled lr, unit-norm decoder, AuxK on dead latents, optional bf16.

    one process:   proctor sae train --text sst2 --site resid.3 --out runs/sae
    several (DDP): torchrun --nproc_per_node 2 -m proctor.cli sae train --acts shards/ --site resid.3 --out runs/sae

Under torchrun every rank reads the same rows and draws the same permutation; each takes every world_size-th row of
each global batch, DDP averages the gradients, and rank 0 saves. The process group uses gloo on CPU and nccl on CUDA.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from .config import SAEConfig, TrainConfig, scaled_lr


@dataclass
class TrainResult:
    sae: object
    """The trained `SparseAutoencoder` (on the CPU, eval mode)."""
    history: list[dict] = field(default_factory=list)
    """Every `log_every` steps: step, fvu, auxk, l0, dead_fraction, lr."""
    steps: int = 0
    seconds: float = 0.0
    rows_per_second: float = 0.0
    world_size: int = 1


def _distributed():
    """(rank, world_size), initialising the process group when torchrun started this process."""
    import torch
    import torch.distributed as dist

    if dist.is_available() and not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def train_sae(rows, sae_cfg: SAEConfig, cfg: TrainConfig | None = None, *, device=None,
              progress: bool = True) -> TrainResult:
    """Train a fresh SAE on `rows` (float [n, d_in], numpy or torch) and return it with its training history."""
    import torch
    import torch.distributed as dist

    from proctor.device import get_device
    from proctor.errors import ConfigError
    from proctor.progress import progress_bar

    from .model import SparseAutoencoder

    cfg = cfg or TrainConfig()
    data = torch.as_tensor(np.asarray(rows, dtype=np.float32) if not torch.is_tensor(rows) else rows).float()
    if data.ndim != 2 or data.shape[1] != sae_cfg.d_in:
        raise ConfigError(f"activations have shape {tuple(data.shape)}, the SAE expects [rows, {sae_cfg.d_in}]")
    n = data.shape[0]
    if n < 2:
        raise ConfigError("need at least 2 activation rows to train an SAE")
    rank, world = _distributed()
    device = device or get_device()
    batch = min(cfg.batch_size, n)
    if batch < world:
        raise ConfigError(f"batch {batch} is smaller than the {world} DDP ranks")
    steps = cfg.steps or max(1, math.ceil(cfg.epochs * n / batch))
    lr = cfg.lr or scaled_lr(sae_cfg.num_latents)

    torch.manual_seed(cfg.seed)
    sae = SparseAutoencoder(sae_cfg.model_copy(), seed=cfg.seed).to(device)
    sae.encoder_impl, sae.decoder_impl = cfg.encoder, cfg.decoder
    gen = torch.Generator().manual_seed(cfg.seed)
    sample = data[torch.randperm(n, generator=gen)[:min(n, 20_000)]]
    sae.init_b_dec(sample.to(device), cfg.b_dec_init)
    model = sae
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        model = torch.nn.parallel.DistributedDataParallel(sae, device_ids=ids)
    opt = torch.optim.Adam(sae.parameters(), lr=lr, betas=(0.9, 0.999), eps=6.25e-10)
    since_fired = torch.zeros(sae_cfg.num_latents, dtype=torch.long, device=device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16)
    result = TrainResult(sae=sae, world_size=world)
    perm, pos = torch.randperm(n, generator=gen), 0
    sae.train()
    start = time.perf_counter()
    with progress_bar(steps, "training SAE", progress and rank == 0) as advance:
        for step in range(steps):
            if pos + batch > n:
                perm, pos = torch.randperm(n, generator=gen), 0
            idx = perm[pos:pos + batch][rank::world]
            pos += batch
            x = data[idx].to(device, non_blocking=True)
            for g in opt.param_groups:
                g["lr"] = lr * min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
            dead = since_fired >= cfg.dead_rows
            with autocast:
                out = model(x, dead_mask=dead, auxk_alpha=cfg.auxk_alpha)
            out.loss.backward()
            if sae_cfg.normalize_decoder:
                sae.project_decoder_grad()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if sae_cfg.normalize_decoder:
                sae.normalize_decoder()
            fired = out.fired
            if world > 1:
                fired = fired.to(torch.int32)
                dist.all_reduce(fired, op=dist.ReduceOp.MAX)
                fired = fired.bool()
            since_fired += batch
            since_fired[fired] = 0
            if step % cfg.log_every == 0 or step == steps - 1:
                l0 = float((out.values.detach() > 0).sum(-1).float().mean())
                result.history.append({"step": step, "fvu": float(out.fvu.detach()), "auxk": float(out.auxk.detach()),
                                       "l0": l0, "dead_fraction": float(dead.float().mean()),
                                       "lr": opt.param_groups[0]["lr"]})
            advance()
    if device.type == "cuda":
        torch.cuda.synchronize()
    result.seconds = time.perf_counter() - start
    result.steps = steps
    result.rows_per_second = steps * batch / max(result.seconds, 1e-9)
    sae.eval()
    result.sae = sae.cpu()
    return result
