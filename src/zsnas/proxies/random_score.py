"""``random``: a random score per architecture (the control).

random = ``numpy.random.default_rng([arch_seed, 0x5EED]).random()``, uniform in
[0, 1), independent of the network and the data (the direction is meaningless).
"""
from __future__ import annotations

import numpy as np

from .registry import register

RANDOM_SALT = 0x5EED


@register("random", group="static", higher_is_better=True, version="1")
def random(model, x, y, arch_seed) -> float:
    """random = default_rng([arch_seed, 0x5EED]).random(): uniform [0,1) control, network-independent."""
    return float(np.random.default_rng([int(arch_seed), RANDOM_SALT]).random())
