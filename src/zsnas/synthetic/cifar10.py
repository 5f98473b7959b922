"""Small synthetic CIFAR-10 (python version) files, and the helpers of the
pickled-batch writers (CIFAR-100 and ImageNet16 use them too).

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
CIFAR-10 pictures; only the format is faithful. Every file is written to a
temporary name and renamed into place, so a file under its final name is
complete.

The reader, :func:`zsnas.datasets.cifar10.load_cifar10_batches`, works on the
synthetic and the real files alike (re-exported here).
"""

from __future__ import annotations

import gzip
import os
import pickle
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.cifar10 import LABEL_NAMES
from ..datasets.pickled_batches import load_cifar10_batches
from ..datasets.pickled_batches import CIFAR10 as FORMAT

__all__ = [
    "LABEL_NAMES",
    "TEST_BATCH",
    "TRAIN_BATCHES",
    "load_cifar10_batches",
    "write_cifar10_archive",
    "write_cifar10_batches",
]

FOLDER = FORMAT.folder
TRAIN_BATCHES = FORMAT.train
TEST_BATCH = FORMAT.test[0]
META = "batches.meta"
NUM_VIS = FORMAT.num_vis


# --------------------------------------------------------------------------
# helpers shared by the pickled-batch writers


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success
    (on failure the temporary file is removed and ``path`` is untouched)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump_pickle(obj: Any, path: Path) -> None:
    """Pickle ``obj`` to ``path`` with protocol 2 (as the Python-2 originals), atomically."""
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def _reproducible(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_folder_tar(path: str | os.PathLike, folder: Path, names, *, gz: bool = True) -> Path:
    """Pack ``folder`` (as its own name) and its files ``names``, in that order, into
    the tar ``path`` (gzip-compressed when ``gz``), byte-for-byte reproducibly
    (zeroed timestamps and owners) and atomically."""
    path = Path(path)
    with atomic_file(path) as tmp, open(tmp, "wb") as raw:
        if gz:
            gzf = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
            fileobj: Any = gzf
        else:
            gzf, fileobj = None, raw
        try:
            with tarfile.open(fileobj=fileobj, mode="w", format=tarfile.GNU_FORMAT) as tar:
                tar.add(folder, arcname=folder.name, recursive=False, filter=_reproducible)
                for name in names:
                    tar.add(folder / name, arcname=f"{folder.name}/{name}",
                            filter=_reproducible)
        finally:
            if gzf is not None:
                gzf.close()
    return path


def check_n(n_per_batch: int) -> None:
    if isinstance(n_per_batch, bool) or int(n_per_batch) != n_per_batch or n_per_batch < 1:
        raise ValueError(f"n_per_batch must be an integer >= 1, got {n_per_batch}")


# --------------------------------------------------------------------------
# writer


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
    check_n(n_per_batch)
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
        dump_pickle(
            {
                b"batch_label": batch_label.encode(),
                b"labels": labels,
                b"data": data,
                b"filenames": filenames,
            },
            out / name,
        )
    dump_pickle(
        {
            b"num_cases_per_batch": n_per_batch,
            b"label_names": [n.encode() for n in LABEL_NAMES],
            b"num_vis": NUM_VIS,
        },
        out / META,
    )
    return out


def write_cifar10_archive(
    path: str | os.PathLike, n_per_batch: int = 10, seed: int = 0
) -> Path:
    """Write a synthetic ``cifar-10-python.tar.gz``-style archive to ``path``.

    The archive holds the ``cifar-10-batches-py/`` folder written by
    :func:`write_cifar10_batches` (same ``n_per_batch`` and ``seed``, hence
    the same random images). It is byte-for-byte reproducible (zeroed
    timestamps and owners) and written atomically.
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_cifar10_batches(tmp, n_per_batch=n_per_batch, seed=seed)
        return write_folder_tar(path, folder, (*TRAIN_BATCHES, TEST_BATCH, META))
