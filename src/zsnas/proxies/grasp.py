"""grasp (Wang et al., "Picking Winning Tickets Before Training by Preserving Gradient Flow",
ICLR 2020; as a NAS proxy: Abdelfattah et al., ICLR 2021, foresight).

    g  = ∂L/∂W                    (L = CE(logits / T), T = 1, num_iters = 1)
    Hg = ∂/∂W [ Σ_layers Σ g.detach() ⊙ ∂L/∂W ]      (Hessian–gradient product)
    grasp = Σ_layers Σ_elements ( −W ⊙ Hg )

over every Conv2d/Linear weight.  The minus sign is foresight's: with it,
higher = better (SPEC §1.3, §1.7); the value can have either sign.

foresight computes g in one forward/backward and ∂L/∂W with
``create_graph=True`` in a second, identical forward (same weights, same batch,
train mode); here both come from the single forward of
:mod:`zsnas.proxies.forward_pass` (g is the detached ``create_graph``
gradient), which yields the same numbers with one forward and one first-order
backward fewer.  T = 1 makes ``logits / T`` the logits themselves.
"""
from __future__ import annotations

from .common import sum_per_layer
from .registry import register

#: foresight's defaults (``compute_grasp_per_weight(T=1, num_iters=1)``); fixed here.
T = 1
NUM_ITERS = 1


@register("grasp", group="forward", needs=("hessian_grad",), higher_is_better=True, version="1")
def grasp(state) -> float:
    """grasp = Σ −W ⊙ (H·g), g = ∂L/∂W, L = mean CE, T = 1 (Wang et al. ICLR 2020; foresight sign)."""
    return sum_per_layer(-(layer.weight.detach() * hg)
                         for layer, hg in zip(state.layers, state.hessian_grad))
