"""Image datasets: one module per dataset, each registering one :class:`Dataset`.

- :mod:`.cifar10` -- CIFAR-10 (``"cifar10"``), downloadable (``zsnas download cifar10``);
- :mod:`.cifar100` -- CIFAR-100 (``"cifar100"``), downloadable;
- :mod:`.imagenet16` -- ImageNet16-120 (``"ImageNet16-120"``), a folder the user provides;
- :mod:`.pickled_batches` -- the one reader of their pickled-batch files.

Look a dataset up with :func:`get_dataset`; the built-ins are imported on the
first lookup, and any module may :func:`register` another (a plug-in, see
:mod:`zsnas.registry`). This package imports only :mod:`.base`, so a module
that uses one dataset does not carry the others in its code fingerprint.
"""
from .base import (
                   DATASETS,
                   Dataset,
                   UnknownDatasetError,
                   dataset_names,
                   get_dataset,
                   is_dataset,
                   register,
                   unregister,
)

__all__ = ["DATASETS", "Dataset", "UnknownDatasetError", "dataset_names", "get_dataset",
           "is_dataset", "register", "unregister"]
