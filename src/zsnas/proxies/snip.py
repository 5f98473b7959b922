"""snip (Lee et al., "SNIP: Single-shot Network Pruning based on Connection Sensitivity",
ICLR 2019; as a NAS proxy: Abdelfattah et al., ICLR 2021, foresight).

    snip = Σ_layers Σ_elements |W ⊙ ∂L/∂W|

foresight multiplies each Conv2d/Linear weight by a mask m of ones and takes
``|∂L/∂m|`` at m = 1, which is exactly ``|W ⊙ ∂L/∂W|``; we use the latter from
the shared cross-entropy backward (L = mean CE, train mode).  Higher = better
(SPEC §1.2).
"""
from __future__ import annotations

from .common import sum_per_layer
from .registry import register


@register("snip", group="forward", needs=("weight_grads",), higher_is_better=True, version="1")
def snip(state) -> float:
    """snip = Σ |W ⊙ ∂L/∂W| over Conv2d/Linear weights, L = mean CE (Lee et al. ICLR 2019; foresight)."""
    return sum_per_layer((layer.weight.detach() * g).abs()
                         for layer, g in zip(state.layers, state.weight_grads))
