"""``params``: the number of parameters of the network (a baseline).

params = Σ over ``model.parameters()`` of their sizes: weights, biases, BN γ/β
(:func:`zsnas.networks.flops.count_params`). Higher = better.
"""
from __future__ import annotations

from ..networks.flops import count_params
from .registry import register


@register("params", group="static", higher_is_better=True, version="1")
def params(model, x, y, arch_seed) -> float:
    """params = number of parameters of the network (count_params)."""
    return float(count_params(model))
