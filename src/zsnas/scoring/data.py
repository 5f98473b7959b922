"""The fixed scoring minibatch: B images of the benchmark dataset's training set.

Every architecture of a run is scored on the same batch (GEA uses one batch per
run, SPEC §5.2; foresight draws a new one per architecture, §1.0 — a fixed
batch makes a score independent of scoring order and sharding). The batch is a
function of the settings and the dataset (:mod:`zsnas.datasets`) only:

- ``batch_size`` images drawn without replacement, uniformly, from the
  dataset's training images (CIFAR-10 / CIFAR-100: 50,000; ImageNet16-120:
  151,700), or from the indices of a ``split_file`` (e.g. NB201's
  ``cifar-split.txt`` JSON whose ``"train"`` list GEA used), with
  ``numpy.random.default_rng(data_seed)``;
- ``augmentation``: ``"none"`` (GEA) or ``"flip-crop"`` (the training transform
  of foresight / AutoDL: random crop of the image's size with the dataset's
  zero padding — 4 pixels for CIFAR, 2 for ImageNet16 — then a horizontal flip
  with probability ½), drawn from the same generator;
- ``normalisation``: the dataset's per-channel mean/std by name (``"default"``:
  the dataset's own — foresight's (0.4914, 0.4822, 0.4465)/(0.2023, 0.1994,
  0.2010) for CIFAR-10, the AutoDL/NATS values for CIFAR-100 and
  ImageNet16-120; ``"nats"`` / ``"nb201"``: AutoDL's; ``"nb101"``: the NB101
  TF values). The record holds the resolved name and values.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, UsageError

AUGMENTATIONS = ("none", "flip-crop")


@dataclass(frozen=True)
class BatchSettings:
    """Everything that determines the scoring batch (with the dataset)."""
    batch_size: int = 64
    data_seed: int = 0
    normalisation: str = "default"
    augmentation: str = "flip-crop"
    split_file: str | None = None  # file name only is recorded

    def __post_init__(self):
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {self.batch_size}")
        if self.data_seed < 0:
            raise UsageError(f"--data-seed must be >= 0, got {self.data_seed}")
        if self.augmentation not in AUGMENTATIONS:
            raise UsageError(f"unknown augmentation {self.augmentation!r}; "
                             f"expected one of {AUGMENTATIONS}")

    def normalisation_of(self, dataset: str) -> tuple[str, tuple, tuple]:
        """``(name, mean, std)`` of the normalisation for ``dataset`` (raises naming
        the dataset's names if it has none by that name)."""
        from ..datasets import get_dataset
        data = get_dataset(dataset)
        mean, std = data.normalisation(self.normalisation)
        name = data.default_normalisation if self.normalisation == "default" \
            else self.normalisation
        return name, tuple(mean), tuple(std)

    def record(self, dataset: str = "cifar10") -> dict:
        d = asdict(self)
        d["split_file"] = Path(self.split_file).name if self.split_file else None
        d["normalisation"], mean, std = self.normalisation_of(dataset)
        d["normalisation_mean"], d["normalisation_std"] = list(mean), list(std)
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


def scoring_batch(dataset: str, path: str | os.PathLike, settings: BatchSettings):
    """Return ``(x, y)``: float32 tensor (B, 3, H, W) normalised, int64 labels (B,),
    drawn from the training images of ``dataset`` read from ``path``."""
    import torch

    from ..datasets import get_dataset

    data = get_dataset(dataset)
    _, mean, std = settings.normalisation_of(dataset)
    images, labels = data.load(path, "train")
    pool = (np.arange(len(images)) if settings.split_file is None
            else _split_indices(settings.split_file, len(images)))
    if settings.batch_size > pool.size:
        raise UsageError(f"--batch-size {settings.batch_size}: {path} holds only "
                         f"{pool.size} training images")
    rng = np.random.default_rng(settings.data_seed)
    pick = np.sort(rng.choice(pool, size=settings.batch_size, replace=False))
    x = images[pick].astype(np.float32) / 255.0
    if settings.augmentation == "flip-crop":
        pad = int(data.crop_padding)
        h, w = x.shape[2], x.shape[3]
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        offsets = rng.integers(0, 2 * pad + 1, size=(len(x), 2))
        flips = rng.random(len(x)) < 0.5
        for i, (dy, dx) in enumerate(offsets):
            x[i] = padded[i, :, dy:dy + h, dx:dx + w]
            if flips[i]:
                x[i] = x[i, :, :, ::-1]
    mean = np.array(mean, dtype=np.float32)[None, :, None, None]
    std = np.array(std, dtype=np.float32)[None, :, None, None]
    x = (x - mean) / std
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(labels[pick].copy())
