"""Pick the torch device once, in one place.

`PROCTOR_DEVICE` overrides (``cpu``, ``cuda``, ``cuda:1``, ``mps``); otherwise CUDA when present, else CPU.
"""

from __future__ import annotations

import functools
import os
from contextlib import contextmanager


@functools.cache
def get_device():
    import torch

    name = os.environ.get("PROCTOR_DEVICE")
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def describe_device() -> str:
    """A short human-readable name of the device, for benchmark and report rows."""
    import torch

    dev = get_device()
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    import platform

    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


@contextmanager
def single_thread():
    """Run tiny tensor work (probe heads on 384-d features) on one CPU thread.

    Their matmuls are too small to split: with two threads each step waits on thread hand-offs, and measured on
    2 cores with a neighbouring job a 384x2 probe fit took 3.4 s on two threads against 0.5 s on one.
    """
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)
