"""The fixed scoring minibatch: B images of the CIFAR-10 training set.

Every architecture of a run is scored on the same batch (GEA uses one batch per
run, SPEC §5.2; foresight draws a new one per architecture, §1.0 — a fixed
batch makes a score independent of scoring order and sharding). The batch is a
function of the settings only:

- ``batch_size`` images drawn without replacement, uniformly, from the 50,000
  training images (or from the indices of a ``split_file``, e.g. NB201's
  ``cifar-split.txt`` JSON whose ``"train"`` list GEA used) with
  ``numpy.random.default_rng(data_seed)``;
- ``augmentation``: ``"none"`` (GEA) or ``"flip-crop"`` (foresight's training
  transform: random crop 32 with 4-pixel zero padding, then a horizontal flip
  with probability ½), drawn from the same generator;
- ``normalisation``: per-channel mean/std of ``"foresight"`` (0.4914, 0.4822,
  0.4465)/(0.2023, 0.1994, 0.2010), ``"nb201"`` (125.3, 123.0, 113.9)/255 over
  (63.0, 62.1, 66.7)/255 (GEA, AutoDL) or ``"nb101"`` (125.31, 122.95,
  113.87)/(62.99, 62.09, 66.70) on the 0–255 scale.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, UsageError

NORMALISATIONS = {
    "foresight": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
    "nb201": ((125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255)),
    "nb101": ((125.31 / 255, 122.95 / 255, 113.87 / 255),
              (62.99 / 255, 62.09 / 255, 66.70 / 255)),
}
AUGMENTATIONS = ("none", "flip-crop")


@dataclass(frozen=True)
class BatchSettings:
    """Everything that determines the scoring batch."""
    batch_size: int = 64
    data_seed: int = 0
    normalisation: str = "foresight"
    augmentation: str = "flip-crop"
    split_file: str | None = None  # file name only is recorded

    def __post_init__(self):
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {self.batch_size}")
        if self.data_seed < 0:
            raise UsageError(f"--data-seed must be >= 0, got {self.data_seed}")
        if self.normalisation not in NORMALISATIONS:
            raise UsageError(f"unknown normalisation {self.normalisation!r}; "
                             f"expected one of {sorted(NORMALISATIONS)}")
        if self.augmentation not in AUGMENTATIONS:
            raise UsageError(f"unknown augmentation {self.augmentation!r}; "
                             f"expected one of {AUGMENTATIONS}")

    def record(self) -> dict:
        d = asdict(self)
        d["split_file"] = Path(self.split_file).name if self.split_file else None
        return d


def _split_indices(path: str | os.PathLike, n_train: int) -> np.ndarray:
    try:
        obj = json.loads(Path(path).read_text())
        idx = np.array([int(i) for i in obj["train"][1]], dtype=np.int64)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise InputError(f"{path}: not an NB201 split file ({{'train': ['int', [...]]}}): "
                         f"{exc}") from None
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n_train:
        raise InputError(f"{path}: split indices outside 0..{n_train - 1}")
    return idx


def scoring_batch(cifar10: str | os.PathLike, settings: BatchSettings):
    """Return ``(x, y)``: float32 tensor (B, 3, 32, 32) normalised, int64 labels (B,)."""
    import torch

    from ..benchmarks.cifar10 import load_cifar10_batches

    images, labels = load_cifar10_batches(cifar10, "train")
    pool = (np.arange(len(images)) if settings.split_file is None
            else _split_indices(settings.split_file, len(images)))
    if settings.batch_size > pool.size:
        raise UsageError(f"--batch-size {settings.batch_size}: {cifar10} holds only "
                         f"{pool.size} training images")
    rng = np.random.default_rng(settings.data_seed)
    pick = np.sort(rng.choice(pool, size=settings.batch_size, replace=False))
    x = images[pick].astype(np.float32) / 255.0
    if settings.augmentation == "flip-crop":
        padded = np.pad(x, ((0, 0), (0, 0), (4, 4), (4, 4)))
        offsets = rng.integers(0, 9, size=(len(x), 2))
        flips = rng.random(len(x)) < 0.5
        for i, (dy, dx) in enumerate(offsets):
            x[i] = padded[i, :, dy:dy + 32, dx:dx + 32]
            if flips[i]:
                x[i] = x[i, :, :, ::-1]
    mean, std = (np.array(v, dtype=np.float32)[None, :, None, None]
                 for v in NORMALISATIONS[settings.normalisation])
    x = (x - mean) / std
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(labels[pick].copy())
