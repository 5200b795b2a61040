"""GPU-marked tests (`pytest -m gpu`; benchmarks/gpu_check.py runs them): what the CPU suite cannot check on its own.

- the sparse TopK encoder and decoder (proctor.sae.topk) against their dense counterparts, fp32 and bf16, forward
  and backward;
- the same SAE trained on the CPU and on the GPU agreeing (stated tolerances below);
- bf16 autocast, the one mixed precision Proctor uses (SAE training, and fine-tuning as gpu_check runs it): float32
  master weights, finite float32 losses and gradients. No GradScaler anywhere: bf16 keeps float32's exponent range,
  so gradients do not underflow the way fp16's do, and Proctor offers no fp16;
- peak allocated CUDA memory of a training step at the largest SAE shape under a stated budget.

Every test runs on "cpu" always (its logic is exercised in CI) and on "cuda" where a CUDA device is present; the
CUDA cases skip with a reason where none is (CI has no GPU).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from proctor.device import single_thread
from proctor.sae.config import SAEConfig, TrainConfig
from proctor.sae.model import SparseAutoencoder
from proctor.sae.topk import dense_code, dense_decode, dense_topk_encode, sparse_decode, sparse_topk_encode
from proctor.sae.train import train_sae

pytestmark = pytest.mark.gpu

CUDA = torch.cuda.is_available()
NO_CUDA = "needs a CUDA device (CI has none): run `python benchmarks/gpu_check.py` on a GPU machine"
needs_cuda = pytest.mark.skipif(not CUDA, reason=NO_CUDA)
DEVICES = ["cpu", pytest.param("cuda", marks=needs_cuda)]
#: relative tolerance (||a - b|| / ||b||) of a sparse kernel against the dense path (or float64)
TOL = {"fp32": 1e-5, "bf16": 2e-2}

#: the largest SAE shape of the issue and the peak-memory budget of one bf16-autocast training step there: float32
#: parameter, gradient and two Adam moments (16 B per parameter, 17.2 GB) + the sparse encoder backward's
#: [batch * k, d_in] float32 contributions (4.3 GB) + about 4 GiB for the bf16 pre-activations, autocast's bf16
#: weight copy and allocator slack.
LARGEST = (4096, 131072, 64)
BATCH = 4096
MEMORY_BUDGET = 26 * 2**30


@pytest.fixture(autouse=True)
def _one_cpu_thread():
    """Tiny CPU work on one thread (on 2 shared cores two threads made these tests 10-20x slower)."""
    with single_thread():
        yield


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


def untied_rows(x, W, b, k: int, dtype: str) -> torch.Tensor:
    """Rows of x whose k-th and (k+1)-th largest pre-activation differ by more than 2 units in the last place at
    `dtype` (both paths must select the same latents for the comparison to mean anything, also where the device's
    bf16 matmul rounds differently from this CPU one)."""
    cast = torch.bfloat16 if dtype == "bf16" else torch.float32
    pre = torch.relu(torch.nn.functional.linear(x.to(cast), W.to(cast), b.to(cast))).float()
    top = pre.topk(k + 1, dim=-1).values
    gap = top[:, k - 1] - top[:, k]
    return (gap > 2 * torch.finfo(cast).eps * top[:, k - 1].abs()) & (top[:, k] > 0)


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.parametrize("device", DEVICES)
def test_sparse_topk_encoder_matches_the_dense_encoder(device, dtype):
    n, d, latents, k = 256, 48, 512, 8
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, d, generator=g)
    W = torch.randn(latents, d, generator=g) / d**0.5
    b = torch.randn(latents, generator=g) * 0.1
    x = x[untied_rows(x, W, b, k, dtype)]
    assert len(x) >= n // 8, f"only {len(x)} rows without a near-tie at the k-th latent"
    cotangent = torch.randn(len(x), latents, generator=g)

    def run(encode):
        xs, Ws, bs = (t.clone().to(device).requires_grad_() for t in (x, W, b))
        with torch.autocast(device, dtype=torch.bfloat16, enabled=dtype == "bf16"):
            values, indices = encode(xs, Ws, bs, k)
        assert values.device.type == device and indices.device.type == device
        code = dense_code(values.float(), indices, latents)
        (code * cotangent.to(device)).sum().backward()
        return code, xs.grad, Ws.grad, bs.grad

    sparse, dense = run(sparse_topk_encode), run(dense_topk_encode)
    for name, s, dn in zip(("code", "grad x", "grad W_enc", "grad b_enc"), sparse, dense):
        assert s.device.type == device
        assert rel(s, dn) <= TOL[dtype], f"{name}: sparse vs dense {rel(s, dn):.2e} > {TOL[dtype]}"


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.parametrize("device", DEVICES)
def test_sparse_decoder_matches_the_dense_decoder_and_float64(device, dtype):
    n, d, latents, k = 64, 48, 512, 8
    cast = torch.bfloat16 if dtype == "bf16" else torch.float32
    g = torch.Generator().manual_seed(1)
    values = torch.rand(n, k, generator=g) + 0.1
    indices = torch.stack([torch.randperm(latents, generator=g)[:k] for _ in range(n)])
    W = torch.randn(latents, d, generator=g) / d**0.5
    cotangent = torch.randn(n, d, generator=g)

    def run(decode, dt, dev):
        v, w = (t.to(dev, dt, copy=True).requires_grad_() for t in (values, W))
        out = decode(v, indices.to(dev), w)
        (out.float() * cotangent.to(dev)).sum().backward()
        return out, v.grad, w.grad

    exact = run(dense_decode, torch.float64, "cpu")
    sparse, dense = run(sparse_decode, cast, device), run(dense_decode, cast, device)
    for name, s, dn, ex in zip(("output", "grad values", "grad W_dec"), sparse, dense, exact):
        assert s.device.type == device and s.dtype == cast
        assert rel(s, ex) <= TOL[dtype], f"{name}: sparse vs float64 {rel(s, ex):.2e}"
        assert rel(dn, ex) <= TOL[dtype], f"{name}: dense vs float64 {rel(dn, ex):.2e}"


def planted(n: int = 3000, d: int = 32, features: int = 96, active: int = 3, seed: int = 0) -> torch.Tensor:
    """Rows that are sparse sums of planted unit directions (an SAE can learn them)."""
    g = torch.Generator().manual_seed(seed)
    dirs = torch.nn.functional.normalize(torch.randn(features, d, generator=g), dim=1)
    idx = torch.stack([torch.randperm(features, generator=g)[:active] for _ in range(n)])
    coef = torch.rand(n, active, generator=g) + 0.5
    return (coef.unsqueeze(-1) * dirs[idx]).sum(1)


SAE_CFG = SAEConfig(d_in=32, num_latents=128, k=4)


#: CPU and GPU runs agree to: relative parameter difference after one step; absolute FVU difference after 150 steps
#: (top-k selections may flip on near-ties as the runs drift apart, so later parameters are not compared)
AGREE_ONE_STEP, AGREE_FVU = 1e-3, 0.02


@pytest.mark.parametrize("device", DEVICES)
def test_the_same_sae_trained_on_the_cpu_and_on_the_device_agrees(device):
    X = planted()
    runs = []
    for dev in ("cpu", device):  # on a machine without CUDA: the CPU against itself (the harness still runs)
        one = train_sae(X, SAE_CFG, TrainConfig(batch_size=500, steps=1, warmup_steps=1), device=torch.device(dev),
                        progress=False)
        full = train_sae(X, SAE_CFG, TrainConfig(batch_size=500, steps=150, warmup_steps=10, log_every=149),
                         device=torch.device(dev), progress=False)
        runs.append((one.sae, full))
    (cpu_one, cpu_full), (dev_one, dev_full) = runs
    for (name, p), q in zip(cpu_one.named_parameters(), dev_one.parameters()):
        assert rel(q, p) <= AGREE_ONE_STEP, f"{name} after one step: {rel(q, p):.2e}"
    fvu_cpu, fvu_dev = cpu_full.history[-1]["fvu"], dev_full.history[-1]["fvu"]
    assert fvu_cpu < 0.5 * cpu_full.history[0]["fvu"], "the SAE did not learn the planted features"
    assert abs(fvu_cpu - fvu_dev) <= AGREE_FVU, f"final FVU cpu {fvu_cpu:.4f} vs {device} {fvu_dev:.4f}"


@pytest.mark.parametrize("device", DEVICES)
def test_bf16_autocast_sae_step_keeps_float32_state_and_finite_gradients(device):
    sae = SparseAutoencoder(SAE_CFG, seed=0).to(device)
    x = planted(n=512).to(device)
    with torch.autocast(device, dtype=torch.bfloat16):
        out = sae(x)
    assert out.values.dtype == torch.bfloat16, "the encoder did not run in bf16 under autocast"
    assert out.loss.dtype == torch.float32
    out.loss.backward()
    for name, p in sae.named_parameters():
        assert p.dtype == torch.float32 and p.grad.dtype == torch.float32, name
        assert p.device.type == device and p.grad.device.type == device, name
        assert torch.isfinite(p.grad).all(), name
    assert int((sae.encoder.weight.grad.abs().sum(1) > 0).sum()) == int(out.fired.sum()), \
        "bf16 gradients of fired latents underflowed to zero"
    # bf16 training ends close to float32 training
    X = planted()
    fvu = {bf16: train_sae(X, SAE_CFG, TrainConfig(batch_size=500, steps=150, warmup_steps=10, bf16=bf16,
                                                   log_every=149), device=torch.device(device),
                           progress=False).history[-1]["fvu"] for bf16 in (False, True)}
    assert abs(fvu[True] - fvu[False]) <= 0.05, fvu


@pytest.mark.parametrize("device", DEVICES)
def test_fine_tuning_under_bf16_autocast_keeps_float32_weights(device, tmp_path, monkeypatch):
    import numpy as np

    import proctor.models.finetune as finetune

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from gpu_check import TINY_SHAPE, random_bert
    finally:
        sys.path.pop(0)
    texts = [f"the film is {w} and the story is {v}" for w in ("good", "bad", "dull", "great") for v in ("long", "short")]
    texts = texts * 4
    labels = [i % 2 for i in range(len(texts))]
    monkeypatch.setattr(finetune, "get_device", lambda: torch.device(device))
    model = random_bert(tmp_path / "bert", texts, TINY_SHAPE)
    with torch.autocast(device, dtype=torch.bfloat16):
        clf = finetune.FineTunedClassifier(model, epochs=2.0, batch_size=8).fit(texts, labels)
        logits = clf.module_(*clf._collate(clf._encode(texts[:4]), np.arange(4)))
    assert logits.dtype == torch.bfloat16 and logits.device.type == device
    assert all(p.dtype == torch.float32 and p.device.type == device for p in clf.module_.parameters())
    assert np.isfinite(clf.loss_curve_).all()


@needs_cuda
def test_peak_memory_of_a_training_step_at_the_largest_shape_is_under_budget():
    d, n, k = LARGEST
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    sae = SparseAutoencoder(SAEConfig(d_in=d, num_latents=n, k=k), device="cuda", seed=0)
    opt = torch.optim.Adam(sae.parameters(), lr=1e-4, fused=True)
    x = torch.randn(BATCH, d, device="cuda")
    for _ in range(2):  # the second step has the Adam moments allocated
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = sae(x)
        out.loss.backward()
        sae.project_decoder_grad()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sae.normalize_decoder()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - base
    params = sum(p.numel() for p in sae.parameters())
    del sae, opt, x, out
    torch.cuda.empty_cache()
    assert peak >= 12 * params, f"peak {peak / 2**30:.1f} GiB is below the parameters + Adam moments: not on the GPU?"
    assert peak <= MEMORY_BUDGET, f"peak {peak / 2**30:.1f} GiB > budget {MEMORY_BUDGET / 2**30:.0f} GiB"
