"""Small synthetic CIFAR-10 (python version) files, and a reader for real ones.

The writer produces files in exactly the on-disk layout of the official
``cifar-10-python.tar.gz`` (SPEC §4c) so that loaders and the downloader can
be tested offline::

    cifar-10-batches-py/
        data_batch_1 .. data_batch_5   training batches
        test_batch                     test batch
        batches.meta                   label names etc.

Each batch is a protocol-2 pickle of a dict with bytes keys ``b'data'``
(uint8, N x 3072: 1024 red, 1024 green, 1024 blue values, each a row-major
32x32 plane), ``b'labels'`` (list of int), ``b'batch_label'`` (bytes) and
``b'filenames'`` (list of bytes). The images are *random noise*, not real
CIFAR-10 pictures; only the format is faithful.

The reader, :func:`zsnas.benchmarks.cifar10.load_cifar10_batches`, works on
the synthetic and the real files alike (re-exported here).
"""

from __future__ import annotations

import gzip
import os
import pickle
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "LABEL_NAMES",
    "TRAIN_BATCHES",
    "TEST_BATCH",
    "write_cifar10_batches",
    "write_cifar10_archive",
    "load_cifar10_batches",
]

from ..benchmarks.cifar10 import (FOLDER, LABEL_NAMES, META, NUM_VIS, TEST_BATCH,  # noqa: F401
                                 TRAIN_BATCHES, load_cifar10_batches)



# --------------------------------------------------------------------------
# writer


def _dump(obj: Any, path: Path) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def write_cifar10_batches(
    folder: str | os.PathLike, n_per_batch: int = 10, seed: int = 0
) -> Path:
    """Write a synthetic ``cifar-10-batches-py/`` under ``folder`` and return it.

    Six batches of ``n_per_batch`` random uint8 images each (five training
    batches, then the test batch, drawn in that order from
    ``numpy.random.default_rng(seed)``) plus ``batches.meta``. The images are
    synthetic noise with random labels 0–9; the file format matches the
    official archive (protocol-2 pickles with bytes keys).
    """
    if n_per_batch < 1:
        raise ValueError(f"n_per_batch must be >= 1, got {n_per_batch}")
    out = Path(folder) / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    batches = [(name, f"training batch {i} of 5") for i, name in enumerate(TRAIN_BATCHES, 1)]
    batches.append((TEST_BATCH, "testing batch 1 of 1"))
    for b, (name, batch_label) in enumerate(batches):
        data = rng.integers(0, 256, size=(n_per_batch, NUM_VIS), dtype=np.uint8)
        labels = [int(x) for x in rng.integers(0, 10, size=n_per_batch)]
        filenames = [
            f"synthetic_{LABEL_NAMES[y]}_s_{b * n_per_batch + i:06d}.png".encode()
            for i, y in enumerate(labels)
        ]
        _dump(
            {
                b"batch_label": batch_label.encode(),
                b"labels": labels,
                b"data": data,
                b"filenames": filenames,
            },
            out / name,
        )
    _dump(
        {
            b"num_cases_per_batch": n_per_batch,
            b"label_names": [n.encode() for n in LABEL_NAMES],
            b"num_vis": NUM_VIS,
        },
        out / META,
    )
    return out


def _reproducible(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_cifar10_archive(
    path: str | os.PathLike, n_per_batch: int = 10, seed: int = 0
) -> Path:
    """Write a synthetic ``cifar-10-python.tar.gz``-style archive to ``path``.

    The archive holds the ``cifar-10-batches-py/`` folder written by
    :func:`write_cifar10_batches` (same ``n_per_batch`` and ``seed``, hence
    the same random images). It is byte-for-byte reproducible (zeroed
    timestamps and owners).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_cifar10_batches(tmp, n_per_batch=n_per_batch, seed=seed)
        with open(path, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0
        ) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
            tar.add(folder, arcname=FOLDER, recursive=False, filter=_reproducible)
            for name in (*TRAIN_BATCHES, TEST_BATCH, META):
                tar.add(folder / name, arcname=f"{FOLDER}/{name}", filter=_reproducible)
    return path


