"""One object per image dataset, and the registry that holds them.

A dataset is one module that builds one :class:`Dataset` and passes it to
:func:`register` (like a search space, :mod:`zsnas.spaces.base`). Everything
else in the package asks the registry (:func:`get_dataset`) for what it needs
to know -- class count, image side, normalisation constants, augmentation
padding, where the files come from -- instead of branching on a name.

The reader and the synthetic writer are named by reference
(``"module:function"``) and imported only when used, so a dataset module stays
light and a job's code fingerprint (:mod:`zsnas.codedeps`) holds the reader it
runs, not every reader.

Formats. A reader is ``fn(path, split) -> (images, labels)``: ``path`` is the
dataset's extracted folder, its parent, or its archive (whatever the dataset
accepts); ``split`` is ``"train"`` or ``"test"``; ``images`` is a uint8 array
(N, 3, H, W) with channels R, G, B and H = W = :attr:`Dataset.image_size`;
``labels`` is an int64 array (N,) with values 0..num_classes-1. A synthetic
writer is ``fn(out, n_per_batch, seed=0) -> Path``: a tiny fixture in the
dataset's real on-disk format (random pixels), that the reader accepts.

Normalisation constants are per-channel ``(mean, std)`` on the [0, 1] scale
(``x / 255``), as ``torchvision.transforms.Normalize`` takes them; each
built-in dataset documents where its constants come from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..registry import Registry, calling_module
from ..spaces.base import ref_module, resolve_ref

#: The datasets that ship with zsnas, imported (and so registered) on first lookup.
BUILTIN_DATASETS = ("zsnas.datasets.cifar10", "zsnas.datasets.cifar100",
                    "zsnas.datasets.imagenet16")

#: The normalisation name that means "this dataset's default".
DEFAULT = "default"
SPLITS = ("train", "test")


class UnknownDatasetError(UsageError):
    """A dataset name that no registered dataset has."""


Triple = tuple[float, float, float]


def _triple(name: str, what: str, value: Any, positive: bool) -> Triple:
    try:
        t = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        t = ()
    if len(t) != 3 or any(math.isnan(v) for v in t) or (positive and min(t) <= 0):
        raise ValueError(f"Dataset normalisation {name!r}: {what} must be 3 "
                         f"{'positive ' if positive else ''}numbers, got {value!r}")
    return t  # type: ignore[return-value]


@dataclass(frozen=True)
class Dataset:
    """An image-classification dataset: what the pipeline needs to know about it.

    Attributes:
        name: registry key, used in configs, file names and benchmark queries; the
            NATS-Bench dataset names ("cifar10", "cifar100", "ImageNet16-120").
        label: the name a paper uses ("CIFAR-10").
        num_classes: classes after any filtering (10, 100, 120).
        image_size: image side in pixels (32, 16).
        normalisations: name -> ``(mean, std)``, each 3 floats on the [0, 1] scale.
        default_normalisation: the name :meth:`normalisation` uses for ``"default"``.
        reader: ``"module:function"``, ``fn(path, split)`` returning ``(images uint8
            (N, 3, H, W) RGB, labels int64 (N,) in 0..num_classes-1)``.
        crop_padding: zero padding of the flip-crop augmentation (random crop of
            ``image_size`` after padding each side by this many pixels).
        source: name of the :mod:`zsnas.benchmarks.sources` download, or ``None``
            when the user must provide the folder.
        where: one sentence: where to get the data and what path to point at.
        synthetic: ``"module:function"``, ``fn(out, n_per_batch, seed=0) -> Path``
            writing a tiny format-faithful fixture, or ``None``.
        module: the registering module (set by :func:`register` when not given).
    """

    name: str
    label: str
    num_classes: int
    image_size: int
    normalisations: dict = field(hash=False)
    default_normalisation: str
    reader: str
    crop_padding: int
    source: str | None
    where: str
    synthetic: str | None = None
    module: str = ""

    def __post_init__(self) -> None:
        for attr in ("num_classes", "image_size"):
            v = getattr(self, attr)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"Dataset {self.name!r}: {attr} must be an integer >= 1, "
                                 f"got {v!r}")
        if isinstance(self.crop_padding, bool) or not isinstance(self.crop_padding, int) \
                or self.crop_padding < 0:
            raise ValueError(f"Dataset {self.name!r}: crop_padding must be an integer >= 0, "
                             f"got {self.crop_padding!r}")
        for attr in ("reader", "synthetic"):
            ref = getattr(self, attr)
            if ref is not None and (not isinstance(ref, str) or ":" not in ref):
                raise ValueError(f"Dataset {self.name!r}: {attr} must be 'module:function', "
                                 f"got {ref!r}")
        norms = {}
        for key, value in dict(self.normalisations).items():
            if key == DEFAULT:
                raise ValueError(f"Dataset {self.name!r}: {DEFAULT!r} is reserved for "
                                 "default_normalisation")
            try:
                mean, std = value
            except (TypeError, ValueError):
                raise ValueError(f"Dataset normalisation {key!r}: expected (mean, std), "
                                 f"got {value!r}") from None
            norms[str(key)] = (_triple(key, "mean", mean, False), _triple(key, "std", std, True))
        if self.default_normalisation not in norms:
            raise ValueError(f"Dataset {self.name!r}: default_normalisation "
                             f"{self.default_normalisation!r} is not one of {sorted(norms)}")
        object.__setattr__(self, "normalisations", norms)

    # ---- parts (imported on use)
    def load(self, path, split: str = "train"):
        """``(images, labels)`` of ``split`` read from ``path`` by the dataset's reader."""
        if split not in SPLITS:
            raise UsageError(f"split must be 'train' or 'test', got {split!r}")
        return resolve_ref(self.reader)(path, split)

    def write_synthetic(self, out, n_per_batch: int, seed: int = 0):
        """Write the dataset's tiny synthetic fixture to ``out`` and return its path."""
        if self.synthetic is None:
            raise UsageError(f"dataset {self.name!r} has no synthetic writer")
        return resolve_ref(self.synthetic)(out, n_per_batch, seed=seed)

    def part_modules(self, part: str) -> list[str]:
        """Module names of a part (``"reader"`` or ``"synthetic"``), for code fingerprints."""
        ref = getattr(self, part)
        return [ref_module(ref)] if ref else []

    # ---- constants
    def normalisation_names(self) -> tuple[str, ...]:
        return tuple(self.normalisations)

    def normalisation(self, name: str = DEFAULT) -> tuple[Triple, Triple]:
        """``(mean, std)`` of normalisation ``name`` (``"default"``: the dataset's default)."""
        key = self.default_normalisation if name == DEFAULT else name
        try:
            return self.normalisations[key]
        except (KeyError, TypeError):
            raise UsageError(f"unknown normalisation {name!r} for dataset {self.name}; "
                             f"expected one of {DEFAULT}, {', '.join(self.normalisations)}"
                             ) from None


DATASETS: Registry[Dataset] = Registry("dataset", BUILTIN_DATASETS, UnknownDatasetError)


def register(dataset: Dataset, *, replace: bool = False) -> Dataset:
    """Add ``dataset`` to the registry (under ``dataset.name``) and return it."""
    if not dataset.module:   # the calling module is the dataset's own
        object.__setattr__(dataset, "module", calling_module())
    return DATASETS.register(dataset, replace=replace)


def unregister(name: str) -> Dataset:
    """Remove and return a registered dataset (KeyError if absent)."""
    return DATASETS.unregister(name)


def dataset_names() -> tuple[str, ...]:
    """Names of every registered dataset: the built-ins in :data:`BUILTIN_DATASETS`
    order, then the others in registration order."""
    names = DATASETS.names()
    rank = {m: i for i, m in enumerate(BUILTIN_DATASETS)}
    order = {n: (rank.get(DATASETS.get(n).module, len(rank)), i) for i, n in enumerate(names)}
    return tuple(sorted(names, key=order.__getitem__))


def get_dataset(name: str) -> Dataset:
    """The registered dataset ``name``; :class:`UnknownDatasetError` names the known ones."""
    return DATASETS.get(name)


def is_dataset(name) -> bool:
    return name in DATASETS


__all__ = ["BUILTIN_DATASETS", "DATASETS", "DEFAULT", "Dataset", "UnknownDatasetError",
           "dataset_names", "get_dataset", "is_dataset", "register", "unregister"]
