"""Small synthetic ImageNet16 files, laid out as NATS-Bench / AutoDL read them.

::

    ImageNet16/
        train_data_batch_1 .. train_data_batch_10   training batches
        val_data                                    validation (the "test" split)

Each file is a pickle of a dict with str keys, as the Python-2 originals of
Chrabaszcz et al. (2017) (read with ``encoding="latin1"``): ``'data'`` (uint8,
N x 768: 256 red, 256 green, 256 blue values of a row-major 16x16 image) and
``'labels'`` (list of int, **1-based**, 1..1000); the training batches also
hold ``'mean'`` (float64, 768: the mean training image, the same in every
batch). Half of each file's labels (rounded up) lie in 1..120, the others in
121..1000, so the ImageNet16-120 reader keeps some and drops others. The
images are random noise; only the format is faithful. Read by
:func:`zsnas.datasets.pickled_batches.load_imagenet16_120`.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..datasets.pickled_batches import IMAGENET16_120 as FORMAT
from .cifar10 import check_n, dump_pickle, write_folder_tar

__all__ = ["write_imagenet16_archive", "write_imagenet16_batches"]

FOLDER = FORMAT.folder


def _labels(rng: np.random.Generator, n: int) -> list[int]:
    kept = rng.integers(1, 121, size=n)
    dropped = rng.integers(121, 1001, size=n)
    labels = np.where(np.arange(n) % 2 == 0, kept, dropped)
    return [int(y) for y in rng.permutation(labels)]


def write_imagenet16_batches(folder: str | os.PathLike, n_per_batch: int = 10,
                             seed: int = 0) -> Path:
    """Write a synthetic ``ImageNet16/`` under ``folder`` and return it.

    Ten training batches then ``val_data``, ``n_per_batch`` images each, drawn in
    that order from ``numpy.random.default_rng(seed)``.
    """
    check_n(n_per_batch)
    out = Path(folder) / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    batches = []
    for _ in (*FORMAT.train, *FORMAT.test):
        data = rng.integers(0, 256, size=(n_per_batch, FORMAT.num_vis), dtype=np.uint8)
        batches.append((data, _labels(rng, n_per_batch)))
    mean = np.mean(np.concatenate([d for d, _ in batches[:len(FORMAT.train)]]), axis=0)
    for name, (data, labels) in zip(FORMAT.train, batches):
        dump_pickle({"data": data, "labels": labels, "mean": mean}, out / name)
    data, labels = batches[-1]
    dump_pickle({"data": data, "labels": labels}, out / FORMAT.test[0])
    return out


def write_imagenet16_archive(path: str | os.PathLike, n_per_batch: int = 10,
                             seed: int = 0) -> Path:
    """Write the folder of :func:`write_imagenet16_batches` as a tar at ``path``
    (``ImageNet16/...``; gzip-compressed when the name ends in ``.gz`` or ``.tgz``),
    byte-for-byte reproducibly, written atomically. The reader accepts it as it is."""
    gz = str(path).endswith((".gz", ".tgz"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_imagenet16_batches(tmp, n_per_batch=n_per_batch, seed=seed)
        return write_folder_tar(path, folder, (*FORMAT.train, *FORMAT.test), gz=gz)
