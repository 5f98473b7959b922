"""Reader of the CIFAR-10 python-version files (Krizhevsky 2009), SPEC §4c.

``cifar-10-batches-py/`` holds ``data_batch_1..5`` (training, in this order:
indices 0..49,999), ``test_batch`` and ``batches.meta``; each batch is a
Python-2 pickle of a dict with ``b'data'`` (uint8, N×3072 — 1024 red, then
green, then blue values of a row-major 32×32 image) and ``b'labels'``.
Works on the extracted folder, its parent, or the ``.tar.gz`` itself. Like
every CIFAR-10 loader it unpickles the files: read archives from a trusted
source (the downloader verifies the official md5).
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import InputError, InputMissingError, UsageError

__all__ = ["LABEL_NAMES", "TRAIN_BATCHES", "TEST_BATCH", "META", "FOLDER", "NUM_VIS",
           "load_cifar10_batches"]

#: The 10 CIFAR-10 class names, in label order.
LABEL_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
FOLDER = "cifar-10-batches-py"
NUM_VIS = 3 * 32 * 32


# --------------------------------------------------------------------------
# reader


class _FolderReader:
    """Open batch files from an extracted ``cifar-10-batches-py`` folder."""

    def __init__(self, folder: Path):
        if (folder / FOLDER).is_dir():
            folder = folder / FOLDER
        self.folder = folder

    def label(self, name: str) -> str:
        return str(self.folder / name)

    def read(self, name: str) -> bytes:
        path = self.folder / name
        if not path.is_file():
            raise InputMissingError(f"{path}: CIFAR-10 batch file is missing")
        return path.read_bytes()


class _ArchiveReader:
    """Open batch files from inside a ``cifar-10-python.tar.gz``."""

    def __init__(self, archive: Path):
        self.archive = archive
        try:
            self.tar = tarfile.open(archive, "r:*")
            self.members = {
                m.name.removeprefix("./"): m for m in self.tar.getmembers() if m.isfile()
            }
        except (tarfile.TarError, EOFError, OSError) as e:
            raise InputError(f"{archive}: cannot read archive ({e})") from e

    def label(self, name: str) -> str:
        return f"{self.archive}:{FOLDER}/{name}"

    def read(self, name: str) -> bytes:
        member = self.members.get(f"{FOLDER}/{name}")
        if member is None:
            raise InputMissingError(f"{self.label(name)}: CIFAR-10 batch file is missing")
        f = self.tar.extractfile(member)
        assert f is not None
        return f.read()

    def close(self) -> None:
        self.tar.close()


def _bytes_keys(d: dict) -> dict:
    """Accept both bytes keys (``encoding='bytes'``) and str keys."""
    return {(k.encode() if isinstance(k, str) else k): v for k, v in d.items()}


def _load_batch(read: Callable[[str], bytes], label: str, name: str):
    """Unpickle and validate one batch; return (data (N,3,32,32), labels)."""
    raw = read(name)
    try:
        batch = pickle.load(io.BytesIO(raw), encoding="bytes")
    except Exception as e:  # any unpickling failure means a malformed file
        raise InputError(f"{label}: not a CIFAR-10 batch pickle ({e!r})") from e
    if not isinstance(batch, dict):
        raise InputError(f"{label}: expected a dict, got {type(batch).__name__}")
    batch = _bytes_keys(batch)
    missing = [k.decode() for k in (b"data", b"labels") if k not in batch]
    if missing:
        raise InputError(f"{label}: missing key(s) {missing}; has {sorted(batch)}")
    data = np.asarray(batch[b"data"])
    if data.ndim != 2 or data.shape[1] != NUM_VIS:
        raise InputError(f"{label}: b'data' has shape {data.shape}, expected (N, {NUM_VIS})")
    if data.dtype != np.uint8:
        raise InputError(f"{label}: b'data' has dtype {data.dtype}, expected uint8")
    labels = np.asarray(batch[b"labels"])
    if labels.shape != (data.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(
            f"{label}: b'labels' must be {data.shape[0]} integers, "
            f"got shape {labels.shape} dtype {labels.dtype}"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise InputError(f"{label}: labels outside 0..9")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def load_cifar10_batches(
    folder_or_archive: str | os.PathLike, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """Load CIFAR-10 images and labels from a folder or a ``.tar.gz``.

    Args:
        folder_or_archive: the ``cifar-10-batches-py`` folder, its parent, or
            the ``cifar-10-python.tar.gz`` archive itself.
        split: ``"train"`` (data_batch_1..5 concatenated in order; 50,000
            images for the real data) or ``"test"`` (test_batch).

    Returns:
        ``(images, labels)``: uint8 array (N, 3, 32, 32) in channel order
        R, G, B, and int64 array (N,).

    Raises:
        ValueError: unknown split, unreadable archive, or a malformed batch
            (message names the file). FileNotFoundError: a missing batch
            (message names it) or a missing input path.
    """
    if split not in ("train", "test"):
        raise UsageError(f"split must be 'train' or 'test', got {split!r}")
    names = TRAIN_BATCHES if split == "train" else (TEST_BATCH,)
    src = Path(folder_or_archive)
    if src.is_dir():
        reader: _FolderReader | _ArchiveReader = _FolderReader(src)
    elif src.is_file():
        reader = _ArchiveReader(src)
    else:
        raise InputMissingError(f"{src}: no such CIFAR-10 folder or archive")
    try:
        parts = [_load_batch(reader.read, reader.label(n), n) for n in names]
    finally:
        if isinstance(reader, _ArchiveReader):
            reader.close()
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return images, labels
