"""benchmarks/gpu_check.py on a machine without CUDA: its whole code path runs on the CPU (`--cpu-dry-run`), it says
that nothing was measured and exits 3, prints one JSON line per part, and never touches docs/benchmarks.md; a GPU
path that finds itself on the CPU fails loudly."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
DOC = ROOT / "docs" / "benchmarks.md"
ANCHORS_MD = ROOT.parent / "shared" / "ANCHORS.md"

sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    import gpu_check
    from _common import KEYS
finally:
    sys.path.pop(0)


def _env(tmp_path) -> dict:
    return {**os.environ, "PROCTOR_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}


def _gpu_blocks(path: Path = DOC) -> list[str]:
    """The gpu_check blocks of docs/benchmarks.md (other helpers' benchmarks may rewrite their own blocks meanwhile)."""
    text = path.read_text() if path.exists() else ""
    return re.findall(r"<!-- gpu_check(?:_quick)?:begin -->.*?<!-- gpu_check(?:_quick)?:end -->", text, re.S)


def test_cpu_dry_run_runs_every_part_says_no_gpu_and_leaves_the_doc_alone(tmp_path):
    before = _gpu_blocks()
    proc = subprocess.run([sys.executable, str(SCRIPT), "--cpu-dry-run", "--quick"], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env=_env(tmp_path))
    assert proc.returncode == gpu_check.EXIT_NO_GPU, proc.stderr[-4000:]
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    assert [r["part"] for r in lines] == list(gpu_check.PARTS), proc.stdout
    for r in lines:
        assert not set(KEYS) - set(r), r
        assert r["status"] == "ok", r
        assert r["benchmark"] == f"gpu_check.{r['part']}"
        assert "NOT a GPU measurement" in r["mode"] and r["meets_goal"] is None
    parts = {r["part"]: r for r in lines}
    assert parts["tests"]["counts"].get("passed", 0) > 0 and "failed" not in parts["tests"]["counts"]
    assert parts["sae"]["rows"][0]["proctor"] > 0 and parts["sae"]["rows"][0]["sparsify"] > 0
    assert parts["sae"]["rows"][0]["floor"] > 0
    assert parts["capture"]["proctor"] > 0 and parts["capture"]["rows_captured"] > 0
    assert parts["finetune"]["ratio"] > 0
    assert parts["ddp"]["world"] == 2 and parts["ddp"]["backend"] == "gloo"
    assert parts["ddp"]["ranks_agree"] and parts["ddp"]["ddp_grads_match"]
    assert "no GPU measurement" in proc.stderr
    assert _gpu_blocks() == before, "a dry run wrote its table to docs/benchmarks.md"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_cuda_it_says_so_in_one_line_and_exits_3(tmp_path):
    before = _gpu_blocks()
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=_env(tmp_path))
    assert proc.returncode == gpu_check.EXIT_NO_GPU
    assert proc.stdout == ""
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "no CUDA" in lines[0], proc.stderr
    assert _gpu_blocks() == before


def test_a_gpu_part_that_finds_itself_on_the_cpu_fails_loudly(tmp_path):
    """A part run as for the GPU (no --cpu-dry-run) with PROCTOR_DEVICE=cpu: status cpu_fallback, exit 4."""
    env = {**_env(tmp_path), "PROCTOR_DEVICE": "cpu"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--part", "ddp", "--quick"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == gpu_check.EXIT_FALLBACK, proc.stderr[-2000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])  # a failing run still prints its JSON line
    assert r["status"] == "cpu_fallback" and r["meets_goal"] is False
    assert "get_device() is cpu" in r["error"]


def test_require_on_names_the_tensor_that_is_elsewhere():
    cuda = torch.device("cuda")
    with pytest.raises(gpu_check.CpuFallback, match="SAE .* is on cpu, expected cuda"):
        gpu_check.require_on(cuda, "SAE parameters", torch.nn.Linear(2, 2))
    with pytest.raises(gpu_check.CpuFallback, match="is on cpu"):
        gpu_check.require_on(cuda, "batch", torch.zeros(1))
    gpu_check.require_on(torch.device("cpu"), "batch", torch.zeros(1), torch.nn.Linear(2, 2), "cpu")


@pytest.mark.skipif(not ANCHORS_MD.exists(), reason="../shared/ANCHORS.md is not beside this checkout")
def test_the_anchor_figures_are_those_of_anchors_md():
    found = {}
    for m in re.finditer(r"^\| (\d+), (\d+), (\d+) \| (H100|H200), bf16 autocast \| ([\d.]+)M rows/s \| "
                         r"([\d.]+)M rows/s \| ([\d.]+)M rows/s \|", ANCHORS_MD.read_text(), re.M):
        shape = tuple(int(v) for v in m.group(1, 2, 3))
        found[(m[4], shape)] = tuple(float(v) * 1e6 for v in m.group(5, 6, 7))
    assert found == gpu_check.ANCHORS
