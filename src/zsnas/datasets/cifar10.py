"""CIFAR-10 (Krizhevsky 2009), python version: ``"cifar10"``.

``cifar-10-batches-py/`` holds ``data_batch_1..5`` (training, in this order:
indices 0..49,999), ``test_batch`` (10,000) and ``batches.meta``; each batch is
a Python-2 pickle of a dict with ``b'data'`` (uint8, N x 3072 -- 1024 red, then
green, then blue values of a row-major 32x32 image) and ``b'labels'`` (0..9).
Read by :func:`zsnas.datasets.pickled_batches.load_cifar10`.

Normalisations (per-channel mean, std on the [0, 1] scale):

- ``"foresight"`` (default: the study reproduces foresight): (0.4914, 0.4822,
  0.4465) / (0.2023, 0.1994, 0.2010), ``foresight/dataset.py``
  ``get_cifar_dataloaders`` (SamsungLabs/zero-cost-nas);
- ``"nats"`` = ``"nb201"`` (the older name): (125.3, 123.0, 113.9)/255 over (63.0,
  62.1, 66.7)/255, AutoDL-Projects ``get_datasets`` (NAS-Bench-201 / NATS-Bench
  training, GEA);
- ``"nb101"``: (125.31, 122.95, 113.87)/255 over (62.99, 62.09, 66.70)/255,
  NAS-Bench-101's ``cifar.py`` ``RGB_MEAN`` / ``RGB_STD``.

Flip-crop augmentation pads 4 pixels (``RandomCrop(32, padding=4)`` in both).
"""
from __future__ import annotations

from .base import Dataset, register

#: The 10 CIFAR-10 class names, in label order.
LABEL_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")

_NATS = (tuple(v / 255 for v in (125.3, 123.0, 113.9)), tuple(v / 255 for v in (63.0, 62.1, 66.7)))

CIFAR10 = register(Dataset(
    name="cifar10",
    label="CIFAR-10",
    num_classes=10,
    image_size=32,
    normalisations={
        "foresight": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
        "nats": _NATS,
        "nb201": _NATS,
        "nb101": (tuple(v / 255 for v in (125.31, 122.95, 113.87)),
                  tuple(v / 255 for v in (62.99, 62.09, 66.70))),
    },
    default_normalisation="foresight",
    reader="zsnas.datasets.pickled_batches:load_cifar10",
    crop_padding=4,
    source="cifar10",
    where=("`zsnas download cifar10` fetches cifar-10-python.tar.gz from "
           "https://www.cs.toronto.edu/~kriz/ (md5-checked); point at that archive, the "
           "extracted cifar-10-batches-py/ folder, or its parent."),
    synthetic="zsnas.synthetic.cifar10:write_cifar10_archive",
))


__all__ = ["CIFAR10", "LABEL_NAMES"]
