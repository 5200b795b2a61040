"""SAE training: it learns planted sparse features; the DDP path runs under torchrun with 2 gloo processes."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from proctor.sae.config import SAEConfig, TrainConfig
from proctor.sae.metrics import reconstruction_stats
from proctor.sae.train import train_sae


def _planted(n=6000, d=32, features=64, active=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    D = torch.nn.functional.normalize(torch.randn(features, d, generator=g), dim=1)
    idx = torch.randint(0, features, (n, active), generator=g)
    z = torch.rand(n, active, generator=g) * 2 + 0.5
    return torch.einsum("nk,nkd->nd", z, D[idx]) + 0.5


@pytest.mark.parametrize("arch", ["topk", "batchtopk", "relu"])
def test_training_reduces_fvu_on_planted_sparse_features(arch):
    torch.set_num_threads(1)
    X = _planted()
    cfg = SAEConfig(d_in=32, num_latents=128, k=4, architecture=arch, l1_coeff=0.3)
    res = train_sae(X, cfg, TrainConfig(batch_size=512, steps=150, dead_rows=5000, log_every=50), progress=False)
    stats = reconstruction_stats(res.sae, X)
    assert res.history[0]["fvu"] > stats["fvu"]
    assert stats["fvu"] < 0.4, stats
    if arch == "topk":
        assert stats["l0"] == pytest.approx(4.0)
    assert torch.allclose(res.sae.W_dec.norm(dim=1), torch.ones(128), atol=1e-5)


def test_dense_and_bf16_paths_train_too():
    X = _planted(n=2000)
    for kw in ({"encoder": "dense", "decoder": "dense"}, {"bf16": True}):
        res = train_sae(X, SAEConfig(d_in=32, num_latents=128, k=4),
                        TrainConfig(batch_size=500, steps=60, **kw), progress=False)
        assert reconstruction_stats(res.sae, X)["fvu"] < res.history[0]["fvu"]


def test_bad_shapes_are_config_errors():
    from proctor.errors import ConfigError

    with pytest.raises(ConfigError, match="expects"):
        train_sae(torch.zeros(10, 5), SAEConfig(d_in=4, num_latents=8, k=2), progress=False)


DDP_SCRIPT = textwrap.dedent("""
    import json, sys, torch, torch.distributed as dist
    from proctor.sae.config import SAEConfig, TrainConfig
    from proctor.sae.train import train_sae
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(2048, 16, generator=g)
    res = train_sae(X, SAEConfig(d_in=16, num_latents=64, k=4), TrainConfig(batch_size=256, steps=20), progress=False)
    flat = torch.cat([p.detach().flatten() for p in res.sae.parameters()])
    both = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(both, flat)
    if dist.get_rank() == 0:
        json.dump({"world": res.world_size, "same": bool(torch.equal(both[0], both[1])),
                   "first_fvu": res.history[0]["fvu"], "last_fvu": res.history[-1]["fvu"]}, open(sys.argv[1], "w"))
    dist.barrier()
    dist.destroy_process_group()
    # as `proctor sae train` does under torchrun: skip the interpreter's static destructors, where torch 2.13's gloo
    # backend sometimes aborts after all work is done (see proctor/sae/cli.py)
    import os; sys.stdout.flush(); os._exit(0)
""")


def test_ddp_two_gloo_processes_stay_in_sync(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "out.json"
    env = {**os.environ, "PROCTOR_DEVICE": "cpu", "OMP_NUM_THREADS": "1"}
    import socket

    with socket.socket() as sock:  # a free port: a fixed one collides with any other run on the machine
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_addr", "127.0.0.1", "--master_port", str(port), str(script), str(out)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res["world"] == 2
    assert res["same"], "the two ranks' parameters diverged"
    assert res["last_fvu"] < res["first_fvu"]
