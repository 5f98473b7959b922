"""Baselines and controls: params, flops, nwot, random.

``params``  number of parameters (all ``model.parameters()``: weights, biases,
            BN γ/β), :func:`zsnas.networks.flops.count_params`.
``flops``   MFLOPs per image (multiply-accumulates of Conv/Linear, NB201
            convention), :func:`zsnas.networks.flops.count_flops` on one image
            of the batch's shape.
``nwot``    Mellor et al., "Neural Architecture Search without Training",
            ICML 2021: for every ReLU, the binary code c_n = [ReLU input > 0]
            of each sample n; K = Σ_ReLUs c cᵀ + (1−c)(1−c)ᵀ (N×N, the number
            of units on which two samples agree); score = log|det K|
            (``slogdet``'s log-determinant, −inf for a singular K).  Train-mode
            forward of the batch (BN batch statistics), like the reference.
``random``  control: ``numpy.random.default_rng([arch_seed, 0x5EED]).random()``,
            uniform in [0, 1), independent of the network and the data.

All are higher = better (for ``random`` the direction is meaningless).
"""
from __future__ import annotations

import numpy as np

from ..networks.flops import count_flops, count_params
from .registry import register

RANDOM_SALT = 0x5EED


@register("params", group="static", higher_is_better=True, version="1")
def params(model, x, y, arch_seed) -> float:
    """params = number of parameters of the network (count_params)."""
    return float(count_params(model))


@register("flops", group="static", higher_is_better=True, version="1")
def flops(model, x, y, arch_seed) -> float:
    """flops = MFLOPs per image (NB201 convention, count_flops on shape (1, C, H, W))."""
    return float(count_flops(model, (1, *x.shape[1:])))


@register("nwot", group="forward", needs=("relu_codes",), higher_is_better=True, version="1")
def nwot(state) -> float:
    """nwot = log|det K|, K = Σ_ReLU c cᵀ + (1−c)(1−c)ᵀ of binary ReLU codes (Mellor et al., ICML 2021)."""
    kernel = state.relu_kernel
    if kernel is None:  # a network without ReLU
        return float("nan")
    _, logdet = np.linalg.slogdet(kernel.cpu().numpy())
    return float(logdet)


@register("random", group="static", higher_is_better=True, version="1")
def random(model, x, y, arch_seed) -> float:
    """random = default_rng([arch_seed, 0x5EED]).random(): uniform [0,1) control, network-independent."""
    return float(np.random.default_rng([int(arch_seed), RANDOM_SALT]).random())
