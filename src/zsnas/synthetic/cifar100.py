"""Small synthetic CIFAR-100 (python version) files in the official layout.

::

    cifar-100-python/
        train    training images (one file)
        test     test images
        meta     label names

``train`` and ``test`` are protocol-2 pickles of dicts with bytes keys, like
the official Python-2 files: ``b'filenames'`` (list of bytes),
``b'batch_label'`` (bytes), ``b'fine_labels'`` (list of int, 0..99),
``b'coarse_labels'`` (list of int, 0..19, the superclass of each fine label)
and ``b'data'`` (uint8, N x 3072: 1024 red, 1024 green, 1024 blue values of a
row-major 32x32 image); ``meta`` holds ``b'fine_label_names'`` and
``b'coarse_label_names'`` (lists of bytes). The images are random noise; only
the format is faithful. Read by :func:`zsnas.datasets.pickled_batches.load_cifar100`.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..datasets.cifar100 import COARSE_LABEL_NAMES, FINE_TO_COARSE, LABEL_NAMES
from ..datasets.pickled_batches import CIFAR100 as FORMAT
from .cifar10 import check_n, dump_pickle, write_folder_tar

__all__ = ["write_cifar100_archive", "write_cifar100_batches"]

FOLDER = FORMAT.folder
META = "meta"


def write_cifar100_batches(folder: str | os.PathLike, n_per_batch: int = 10,
                           seed: int = 0) -> Path:
    """Write a synthetic ``cifar-100-python/`` under ``folder`` and return it.

    ``train`` then ``test``, ``n_per_batch`` random images each with random fine
    labels 0..99, drawn in that order from ``numpy.random.default_rng(seed)``,
    plus ``meta``.
    """
    check_n(n_per_batch)
    out = Path(folder) / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for b, (name, batch_label) in enumerate((("train", "training batch 1 of 1"),
                                             ("test", "testing batch 1 of 1"))):
        data = rng.integers(0, 256, size=(n_per_batch, FORMAT.num_vis), dtype=np.uint8)
        fine = [int(y) for y in rng.integers(0, 100, size=n_per_batch)]
        dump_pickle({
            b"filenames": [f"synthetic_{LABEL_NAMES[y]}_s_{b * n_per_batch + i:06d}.png".encode()
                           for i, y in enumerate(fine)],
            b"batch_label": batch_label.encode(),
            b"fine_labels": fine,
            b"coarse_labels": [FINE_TO_COARSE[y] for y in fine],
            b"data": data,
        }, out / name)
    dump_pickle({
        b"fine_label_names": [n.encode() for n in LABEL_NAMES],
        b"coarse_label_names": [n.encode() for n in COARSE_LABEL_NAMES],
    }, out / META)
    return out


def write_cifar100_archive(path: str | os.PathLike, n_per_batch: int = 10,
                           seed: int = 0) -> Path:
    """Write a synthetic ``cifar-100-python.tar.gz``-style archive to ``path``.

    It holds the folder of :func:`write_cifar100_batches` (same ``n_per_batch``
    and ``seed``), byte-for-byte reproducibly, written atomically.
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_cifar100_batches(tmp, n_per_batch=n_per_batch, seed=seed)
        return write_folder_tar(path, folder, ("train", "test", META))
