"""One reader of "pickled batch" image datasets: CIFAR-10, CIFAR-100, ImageNet16.

These datasets ship as a folder of pickle files, each a dict holding a uint8
``data`` array (N x 3·S·S: the S·S red values, then green, then blue, each
plane row-major) and a list of integer labels. A :class:`BatchFormat` says
which files make up a split and what their dicts hold:

=================  ======================  ==================================  ==============
dataset            folder                  train / test files                  keys, labels
=================  ======================  ==================================  ==============
CIFAR-10           ``cifar-10-batches-py`` ``data_batch_1..5`` / ``test_batch`` ``b'data'``, ``b'labels'`` 0..9
CIFAR-100          ``cifar-100-python``    ``train`` / ``test`` (+ ``meta``)    ``b'data'``, ``b'fine_labels'`` 0..99
ImageNet16-120     ``ImageNet16``          ``train_data_batch_1..10`` /         ``'data'``, ``'labels'`` 1..1000;
                                           ``val_data``                         keeps 1..120, minus 1
=================  ======================  ==================================  ==============

CIFAR (Krizhevsky 2009) are Python-2 pickles read with ``encoding="bytes"``
(bytes keys, as the CIFAR page's ``unpickle`` shows). ImageNet16 is the 16x16
"downsampled ImageNet" of Chrabaszcz, Loshchilov & Hutter (2017) as NATS-Bench
reads it (AutoDL-Projects ``xautodl/datasets/DownsampledImageNet.py``): its
pickles are loaded with ``encoding="latin1"`` (str keys); the training batches
also hold the training ``mean`` image; ImageNet16-120 keeps the images whose
1-based label is 1..120 (``ImageNet16(..., use_num_of_class_only=120)``) and
uses ``label - 1`` as target: 151,700 training and 6,000 validation images.

:func:`load_batches` works on the dataset's extracted folder, its parent (e.g.
one folder holding ``cifar-10-batches-py/``, ``cifar-100-python/`` and
``ImageNet16/``, like AutoDL's ``$TORCH_HOME/cifar.python``) or a ``.tar`` /
``.tar.gz`` of it, which it reads in one pass without extracting anything.

Unpickling runs code named by the file. The reader therefore unpickles with a
restricted :class:`pickle.Unpickler` that only resolves what a batch of numpy
arrays, lists, numbers and strings needs (numpy's array reconstruction and
``_codecs.encode``); any other global is refused as a malformed file.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, InputMissingError, UsageError, ZsnasError

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "FORMATS",
    "IMAGENET16_120",
    "BatchFormat",
    "load_batches",
    "load_cifar10",
    "load_cifar10_batches",
    "load_cifar100",
    "load_imagenet16_120",
]


@dataclass(frozen=True)
class BatchFormat:
    """The files of one pickled-batch dataset and what their dicts hold.

    Attributes:
        dataset: name used in messages ("CIFAR-10").
        folder: name of the extracted folder ("cifar-10-batches-py").
        train / test: the batch files of each split, in reading order.
        data_key / label_key: dict keys of the images and of the labels.
        encoding: ``pickle.load`` encoding: ``"bytes"`` (keys are bytes, b"data")
            or ``"latin1"`` (keys are str).
        side: image side S; a row of ``data`` has 3·S·S values.
        num_classes: labels in the files: ``label_offset .. label_offset+num_classes-1``;
            any other label is an error.
        label_offset: the smallest label (1 for ImageNet16's 1-based labels).
        keep_classes: keep only the first ``keep_classes`` labels (ImageNet16-120:
            120); ``None`` keeps all. Kept labels are returned minus ``label_offset``.
        other_files: further files of the folder (not read; they identify it).
    """

    dataset: str
    folder: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    data_key: str
    label_key: str
    encoding: str
    side: int
    num_classes: int
    label_offset: int = 0
    keep_classes: int | None = None
    other_files: tuple[str, ...] = ()

    @property
    def num_vis(self) -> int:
        return 3 * self.side * self.side

    def key(self, name: str):
        """A key as it appears in the unpickled dict (bytes for ``encoding="bytes"``)."""
        return name.encode() if self.encoding == "bytes" else name

    def show(self, name: str) -> str:
        return repr(self.key(name))

    def files(self, split: str) -> tuple[str, ...]:
        if split not in ("train", "test"):
            raise UsageError(f"split must be 'train' or 'test', got {split!r}")
        return self.train if split == "train" else self.test

    def expected(self) -> str:
        """The expected files, for messages ("ImageNet16/ with train_data_batch_1 ..")."""
        train = ", ".join(self.train) if len(self.train) <= 2 else \
            f"{self.train[0]} .. {self.train[-1]}"
        return f"{self.folder}/ with {train}, {', '.join(self.test)}"

    @property
    def signature(self) -> tuple:
        return (self.folder, self.train, self.test)


CIFAR10 = BatchFormat(
    dataset="CIFAR-10", folder="cifar-10-batches-py",
    train=tuple(f"data_batch_{i}" for i in range(1, 6)), test=("test_batch",),
    data_key="data", label_key="labels", encoding="bytes", side=32, num_classes=10,
    other_files=("batches.meta",))
CIFAR100 = BatchFormat(
    dataset="CIFAR-100", folder="cifar-100-python", train=("train",), test=("test",),
    data_key="data", label_key="fine_labels", encoding="bytes", side=32, num_classes=100,
    other_files=("meta",))
IMAGENET16_120 = BatchFormat(
    dataset="ImageNet16-120", folder="ImageNet16",
    train=tuple(f"train_data_batch_{i}" for i in range(1, 11)), test=("val_data",),
    data_key="data", label_key="labels", encoding="latin1", side=16, num_classes=1000,
    label_offset=1, keep_classes=120)

#: Every known format, used to recognise another dataset's files.
FORMATS = {"cifar10": CIFAR10, "cifar100": CIFAR100, "ImageNet16-120": IMAGENET16_120}


# --------------------------------------------------------------------------
# restricted unpickling

#: (module, name) pairs a batch pickle may name: numpy's array/scalar/dtype
#: reconstruction (numpy 1 and 2 module paths) and the bytes encoding of
#: protocol-2 pickles written by Python 3.
_ALLOWED = {
    ("_codecs", "encode"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
}


_NUMPY2 = int(np.__version__.split(".")[0]) >= 2


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED and not (
                module in ("numpy.dtypes", "numpy") and name.endswith("DType")):
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        if module.startswith("numpy.core.") and _NUMPY2:
            module = "numpy._core." + module.removeprefix("numpy.core.")  # no deprecation noise
        return super().find_class(module, name)


def _unpickle(raw: bytes, encoding: str):
    return _BatchUnpickler(io.BytesIO(raw), encoding=encoding).load()


# --------------------------------------------------------------------------
# one batch


def _batch(fmt: BatchFormat, raw: bytes, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Unpickle and validate one batch; return (images (n, 3, S, S), labels) after filtering."""
    try:
        batch = _unpickle(raw, fmt.encoding)
    except Exception as e:  # any unpickling failure means a malformed file
        raise InputError(f"{label}: not a {fmt.dataset} batch pickle ({e!r})") from e
    if not isinstance(batch, dict):
        raise InputError(f"{label}: expected a dict, got {type(batch).__name__}")
    # Accept either key type (a file re-saved under Python 3 may have str keys).
    batch = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in batch.items()}
    missing = [k for k in (fmt.data_key, fmt.label_key) if k not in batch]
    if missing:
        has = sorted((fmt.key(k) if isinstance(k, str) else k for k in batch), key=repr)
        raise InputError(f"{label}: missing key(s) {missing}; has {has}")
    data = batch[fmt.data_key]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != fmt.num_vis:
        shape = getattr(data, "shape", type(data).__name__)
        raise InputError(f"{label}: {fmt.show(fmt.data_key)} has shape {shape}, "
                         f"expected (N, {fmt.num_vis})")
    if data.dtype != np.uint8:
        raise InputError(f"{label}: {fmt.show(fmt.data_key)} has dtype {data.dtype}, "
                         "expected uint8")
    try:
        labels = np.asarray(batch[fmt.label_key])
    except Exception:  # noqa: BLE001 - ragged or odd objects
        labels = np.asarray([None])
    if labels.shape != (data.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(
            f"{label}: {fmt.show(fmt.label_key)} must be {data.shape[0]} integers, "
            f"got shape {labels.shape} dtype {labels.dtype}")
    lo, hi = fmt.label_offset, fmt.label_offset + fmt.num_classes - 1
    if labels.size and (labels.min() < lo or labels.max() > hi):
        raise InputError(f"{label}: labels outside {lo}..{hi} (found {labels.min()}.."
                         f"{labels.max()})")
    labels = labels.astype(np.int64)
    if fmt.keep_classes is not None:
        keep = labels < lo + fmt.keep_classes
        data, labels = data[keep], labels[keep]
    if lo:
        labels = labels - lo
    return data.reshape(-1, 3, fmt.side, fmt.side), labels


# --------------------------------------------------------------------------
# sources: a folder or an archive


def _other_dataset(fmt: BatchFormat, present: Callable[[str], bool]) -> BatchFormat | None:
    """The known format (other than ``fmt``) whose files ``present`` finds, if any."""
    for other in FORMATS.values():
        if other.signature == fmt.signature:
            continue
        first = other.train[0]
        if present(f"{other.folder}/{first}") or present(first):
            return other
    return None


def _wrong_dataset(where: Path, fmt: BatchFormat, other: BatchFormat) -> InputError:
    return InputError(f"{where}: holds {other.dataset} files ({other.folder}/), not "
                      f"{fmt.dataset}; expected {fmt.expected()}")


def _missing(fmt: BatchFormat, label: str) -> InputMissingError:
    return InputMissingError(f"{label}: {fmt.dataset} batch file is missing")


def _from_folder(src: Path, fmt: BatchFormat, names: tuple[str, ...]):
    folder = src / fmt.folder if (src / fmt.folder).is_dir() else src
    parts = []
    for name in names:
        path = folder / name
        if not path.is_file():
            other = _other_dataset(fmt, lambda rel: (folder / rel).is_file())
            if other is not None:
                raise _wrong_dataset(src, fmt, other)
            raise _missing(fmt, str(path))
        parts.append(_batch(fmt, path.read_bytes(), str(path)))
    return parts


def _from_archive(src: Path, fmt: BatchFormat, names: tuple[str, ...]):
    """Read the batches of ``names`` from a tar in one sequential pass."""
    wanted = {}
    for name in names:
        wanted[f"{fmt.folder}/{name}"] = name
        wanted.setdefault(name, name)  # also accept the files at the archive's top level
    got: dict[str, tuple] = {}
    seen: set[str] = set()
    try:
        with tarfile.open(src, "r:*") as tar:
            for member in tar:
                mname = member.name.removeprefix("./")
                seen.add(mname)
                name = wanted.get(mname)
                if name is None or name in got or not member.isfile():
                    continue
                f = tar.extractfile(member)
                assert f is not None
                got[name] = _batch(fmt, f.read(), f"{src}:{mname}")
    except ZsnasError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise InputError(f"{src}: cannot read archive ({e})") from e
    for name in names:
        if name not in got:
            other = _other_dataset(fmt, seen.__contains__)
            if other is not None:
                raise _wrong_dataset(src, fmt, other)
            raise _missing(fmt, f"{src}:{fmt.folder}/{name}")
    return [got[n] for n in names]


def load_batches(fmt: BatchFormat, folder_or_archive: str | os.PathLike,
                 split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of ``split`` of a pickled-batch dataset.

    Args:
        fmt: the dataset's :class:`BatchFormat`.
        folder_or_archive: the extracted folder (``fmt.folder``), its parent, or a
            ``.tar`` / ``.tar.gz`` holding it (or holding the files at its top).
        split: ``"train"`` (``fmt.train`` concatenated in order) or ``"test"``.

    Returns:
        ``(images, labels)``: uint8 array (N, 3, S, S) with channels R, G, B, and
        int64 array (N,) in 0..C-1 (C = ``keep_classes`` or ``num_classes``).

    Raises:
        UsageError: unknown split. InputMissingError: a missing path or batch file
        (names it). InputError: an unreadable archive, a malformed batch, labels
        out of range, or another dataset's files (each names the file).
    """
    names = fmt.files(split)
    src = Path(folder_or_archive)
    if src.is_dir():
        parts = _from_folder(src, fmt, names)
    elif src.is_file():
        parts = _from_archive(src, fmt, names)
    else:
        raise InputMissingError(f"{src}: no such {fmt.dataset} folder or archive")
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return images, labels


def load_cifar10(path: str | os.PathLike, split: str = "train"):
    """CIFAR-10: 50,000 train / 10,000 test images, 32x32, labels 0..9."""
    return load_batches(CIFAR10, path, split)


def load_cifar100(path: str | os.PathLike, split: str = "train"):
    """CIFAR-100: 50,000 train / 10,000 test images, 32x32, fine labels 0..99."""
    return load_batches(CIFAR100, path, split)


def load_imagenet16_120(path: str | os.PathLike, split: str = "train"):
    """ImageNet16-120: 151,700 train / 6,000 test (``val_data``) images, 16x16, labels 0..119."""
    return load_batches(IMAGENET16_120, path, split)


def load_cifar10_batches(folder_or_archive, split: str = "train"):
    """CIFAR-10 images (uint8 (N, 3, 32, 32), R, G, B) and labels (int64) of ``split``
    (``"train"``: data_batch_1..5 in order; ``"test"``: test_batch) from the
    ``cifar-10-batches-py`` folder, its parent, or the ``.tar.gz`` itself (the
    name the earlier API used; same as :func:`load_cifar10`)."""
    return load_cifar10(folder_or_archive, split)
