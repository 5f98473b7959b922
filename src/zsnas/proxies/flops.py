"""``flops``: MFLOPs per image (a baseline).

flops = multiply-accumulates of the Conv/Linear layers for one image of the
batch's shape, in millions (the NAS-Bench-201 convention,
:func:`zsnas.networks.flops.count_flops`). Higher = better.
"""
from __future__ import annotations

from ..networks.flops import count_flops
from .registry import register


@register("flops", group="static", higher_is_better=True, version="1")
def flops(model, x, y, arch_seed) -> float:
    """flops = MFLOPs per image (NB201 convention, count_flops on shape (1, C, H, W))."""
    return float(count_flops(model, (1, *x.shape[1:])))
