"""MNIST for pixel debate: the IDX files under `$PROCTOR_DATA/mnist` (gzipped or not) and the fixed judge split.

Only the 10k MNIST *test* images ship with this environment, so the judge trains on a fixed 8k of them and every
debate is played on the other 2k (Irving et al. 2018 train their judge on the 60k training images instead).

    images, labels = load_mnist()            # uint8 (10000, 28, 28), uint8 (10000,)
    train_idx, eval_idx = judge_split(10000)  # fixed: seed 0, 8000 / 2000
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from ...errors import DataError

IMAGES = "t10k-images-idx3-ubyte"
LABELS = "t10k-labels-idx1-ubyte"


def mnist_dir(folder: str | Path | None = None) -> Path:
    """The MNIST folder: `folder` if given, else `$PROCTOR_DATA/mnist`."""
    if folder is not None:
        path = Path(folder)
    else:
        root = os.environ.get("PROCTOR_DATA")
        if not root:
            raise DataError("PROCTOR_DATA is not set (it should point at the folder holding mnist/); "
                            "or pass the MNIST folder explicitly (--mnist DIR)")
        path = Path(root) / "mnist"
    if not path.is_dir():
        raise DataError(f"{path}: no such MNIST folder (expected {IMAGES}[.gz] and {LABELS}[.gz] in it)")
    return path


def _open(folder: Path, stem: str):
    for name in (stem + ".gz", stem):
        p = folder / name
        if p.is_file():
            return p, (gzip.open(p, "rb") if name.endswith(".gz") else open(p, "rb"))
    raise DataError(f"{folder / (stem + '.gz')}: missing MNIST file (nor {stem} uncompressed)")


def read_idx(folder: Path, stem: str, magic: int) -> np.ndarray:
    """An IDX array (LeCun's format: big-endian magic, dimensions, then uint8 data)."""
    path, f = _open(folder, stem)
    try:
        with f:
            head = f.read(4)
            if len(head) < 4 or struct.unpack(">I", head)[0] != magic:
                raise DataError(f"{path}: not an IDX file with magic {magic:#x}")
            ndim = magic & 0xFF
            dims = struct.unpack(f">{ndim}I", f.read(4 * ndim))
            data = f.read()
    except (OSError, EOFError, struct.error) as e:
        raise DataError(f"{path}: unreadable IDX file ({e})") from None
    if len(data) != int(np.prod(dims)):
        raise DataError(f"{path}: {len(data)} bytes of data, header says {int(np.prod(dims))}")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def load_mnist(folder: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 10k MNIST test images (uint8, N x 28 x 28) and labels (uint8, N)."""
    d = mnist_dir(folder)
    images = read_idx(d, IMAGES, 0x803)
    labels = read_idx(d, LABELS, 0x801)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise DataError(f"{d}: {images.shape} images do not match {labels.shape} labels")
    if labels.max() > 9:
        raise DataError(f"{d / LABELS}: label {int(labels.max())} is not a digit")
    return images, labels


def judge_split(n: int, n_train: int = 8000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random split of n image indices: the judge's training images and the held-out debate images."""
    if not 0 < n_train < n:
        raise DataError(f"judge split: {n_train} training images out of {n} leaves none to evaluate")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])
