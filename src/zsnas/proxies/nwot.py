"""``nwot``: Mellor et al., "Neural Architecture Search without Training", ICML 2021.

For every ReLU, the binary code c_n = [ReLU input > 0] of each sample n;
K = Σ_ReLUs c cᵀ + (1−c)(1−c)ᵀ (N×N, the number of units on which two samples
agree); score = log|det K| (``slogdet``'s log-determinant, −inf for a singular
K). Train-mode forward of the batch (BN batch statistics), like the reference;
read from the shared forward pass (``relu_codes``). Higher = better.
"""
from __future__ import annotations

import numpy as np

from .registry import register


@register("nwot", group="forward", needs=("relu_codes",), higher_is_better=True, version="1")
def nwot(state) -> float:
    """nwot = log|det K|, K = Σ_ReLU c cᵀ + (1−c)(1−c)ᵀ of binary ReLU codes (Mellor et al., ICML 2021)."""
    kernel = state.relu_kernel
    if kernel is None:  # a network without ReLU
        return float("nan")
    _, logdet = np.linalg.slogdet(kernel.cpu().numpy())
    return float(logdet)
