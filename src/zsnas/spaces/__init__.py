"""Search spaces: one module per space, each registering one :class:`SearchSpace`.

- :mod:`.nb201` -- NAS-Bench-201 / NATS-Bench topology space (cell encoding);
  :mod:`.nb201_evolution` its sampling, mutations and benchmark adapter;
  :mod:`zsnas.networks.nb201` its network.
- :mod:`.nb101` -- NAS-Bench-101 (cells, pruning, module hash);
  :mod:`.nb101_evolution` its sampling, mutations and adapter;
  :mod:`zsnas.networks.nb101` its network.
- :mod:`.nats_sss` -- NATS-Bench size space ``nats-sss`` (channel strings);
  :mod:`.nats_sss_evolution` its sampling, mutation and adapter;
  :mod:`zsnas.networks.nats_sss` its network.

Look a space up with :func:`get_space`; the built-in spaces are imported on the
first lookup, and any module may :func:`register` another (see the README's
"Add a search space").
"""
from .base import (SearchSpace, SpaceAdapter, UnknownSpaceError, add_dataset, get_space, is_space,
                   register, space_names, unregister)

__all__ = ["SearchSpace", "SpaceAdapter", "UnknownSpaceError", "add_dataset", "get_space",
           "is_space", "register", "space_names", "unregister"]
