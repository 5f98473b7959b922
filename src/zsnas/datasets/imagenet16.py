"""ImageNet16-120 (NAS-Bench-201 / NATS-Bench): ``"ImageNet16-120"``.

The 16x16 "downsampled ImageNet" of Chrabaszcz, Loshchilov & Hutter (2017, "A
Downsampled Variant of ImageNet as an Alternative to the CIFAR datasets"),
restricted to its first 120 classes, as AutoDL-Projects reads it
(``xautodl/datasets/DownsampledImageNet.py``, ``ImageNet16(root, train,
transform, use_num_of_class_only=120)``):

- the folder (AutoDL: ``$TORCH_HOME/cifar.python/ImageNet16``) holds
  ``train_data_batch_1`` .. ``train_data_batch_10`` and ``val_data``, Python-2
  pickles loaded with ``encoding="latin1"``: dicts with ``'data'`` (uint8,
  N x 768: 256 red, 256 green, 256 blue values of a row-major 16x16 image),
  ``'labels'`` (1..1000) and, in the training batches, ``'mean'`` (the mean
  training image, as written by Chrabaszcz's ``image2numpy_imagenet_train.py``);
- images with label 1..120 are kept, target = label - 1: 151,700 training and
  6,000 test (``val_data``) images (AutoDL's ``get_datasets`` asserts both).

The data are not downloadable by zsnas: the user provides the folder.
Read by :func:`zsnas.datasets.pickled_batches.load_imagenet16_120`.

Normalisations (per-channel mean, std on the [0, 1] scale): ``"nats"``
(default) (122.68, 116.66, 104.01)/255 over (63.22, 61.26, 65.09)/255,
AutoDL-Projects ``get_datasets``; foresight's ``get_cifar_dataloaders`` uses the
same values, also available as ``"foresight"``. Flip-crop augmentation pads 2
pixels (``RandomCrop(16, padding=2)`` in both).
"""
from __future__ import annotations

from .base import Dataset, register

_NATS = (tuple(v / 255 for v in (122.68, 116.66, 104.01)),
         tuple(v / 255 for v in (63.22, 61.26, 65.09)))

IMAGENET16_120 = register(Dataset(
    name="ImageNet16-120",
    label="ImageNet16-120",
    num_classes=120,
    image_size=16,
    normalisations={"nats": _NATS, "foresight": _NATS},
    default_normalisation="nats",
    reader="zsnas.datasets.pickled_batches:load_imagenet16_120",
    crop_padding=2,
    source=None,
    where=("Not downloadable by zsnas: get the ImageNet16 folder (train_data_batch_1..10, "
           "val_data) with the NAS-Bench-201 training data (Google Drive folder "
           "https://drive.google.com/open?id=1L0Lzq8rWpZLPfiQGd6QR8q5xLV88emU7, linked from "
           "AutoDL-Projects docs/NAS-Bench-201.md) or as image-net.org's downsampled "
           "16x16 ImageNet, and set that folder, its parent, or a .tar of it in the config."),
    synthetic="zsnas.synthetic.imagenet16:write_imagenet16_archive",
))

__all__ = ["IMAGENET16_120"]
