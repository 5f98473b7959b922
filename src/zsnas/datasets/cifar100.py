"""CIFAR-100 (Krizhevsky 2009), python version: ``"cifar100"``.

``cifar-100-python/`` holds ``train`` (50,000 images), ``test`` (10,000) and
``meta``; each is a Python-2 pickle of a dict with ``b'data'`` (uint8, N x 3072,
laid out like CIFAR-10), ``b'fine_labels'`` (0..99, the 100 classes used here),
``b'coarse_labels'`` (0..19, the superclasses), ``b'filenames'`` and
``b'batch_label'``; ``meta`` holds ``b'fine_label_names'`` and
``b'coarse_label_names'``. Read by
:func:`zsnas.datasets.pickled_batches.load_cifar100`.

Normalisations (per-channel mean, std on the [0, 1] scale):

- ``"nats"`` (default): (129.3, 124.1, 112.4)/255 over (68.2, 65.4, 70.4)/255,
  AutoDL-Projects ``get_datasets`` (NAS-Bench-201 / NATS-Bench training);
- ``"foresight"``: foresight's ``get_cifar_dataloaders`` applies its CIFAR-10
  constants (0.4914, 0.4822, 0.4465) / (0.2023, 0.1994, 0.2010) to every
  ``'cifar'`` dataset, CIFAR-100 included.

Flip-crop augmentation pads 4 pixels (``RandomCrop(32, padding=4)``).
"""
from __future__ import annotations

from .base import Dataset, register

#: The 100 fine class names, in label order (``meta[b'fine_label_names']``).
LABEL_NAMES = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank",
    "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle",
    "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
)
#: The 20 coarse (superclass) names, in label order (``meta[b'coarse_label_names']``).
COARSE_LABEL_NAMES = (
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
)
#: Coarse label of each fine label.
FINE_TO_COARSE = (
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11,
    6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5,
    5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
    10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13,
    16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
)

CIFAR100 = register(Dataset(
    name="cifar100",
    label="CIFAR-100",
    num_classes=100,
    image_size=32,
    normalisations={
        "nats": (tuple(v / 255 for v in (129.3, 124.1, 112.4)),
                 tuple(v / 255 for v in (68.2, 65.4, 70.4))),
        "foresight": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
    },
    default_normalisation="nats",
    reader="zsnas.datasets.pickled_batches:load_cifar100",
    crop_padding=4,
    source="cifar100",
    where=("`zsnas download cifar100` fetches cifar-100-python.tar.gz from "
           "https://www.cs.toronto.edu/~kriz/ (md5-checked); point at that archive, the "
           "extracted cifar-100-python/ folder, or its parent."),
    synthetic="zsnas.synthetic.cifar100:write_cifar100_archive",
))

__all__ = ["CIFAR100", "COARSE_LABEL_NAMES", "FINE_TO_COARSE", "LABEL_NAMES"]
