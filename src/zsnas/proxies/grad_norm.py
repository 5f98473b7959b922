"""grad_norm (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021; foresight).

    grad_norm = Σ_layers ‖∂L/∂W_l‖₂

over every Conv2d/Linear weight W_l (Frobenius norm per layer, then summed --
a sum of norms, not the norm of the concatenated gradient), with L the mean
cross-entropy of one batch through the train-mode network (BN batch
statistics).  Higher = better (SPEC §1.1, §1.7).
"""
from __future__ import annotations

from .registry import register


@register("grad_norm", group="forward", needs=("weight_grads",), higher_is_better=True, version="1")
def grad_norm(state) -> float:
    """grad_norm = Σ_l ‖∂L/∂W_l‖₂ over Conv2d/Linear weights, L = mean CE (Abdelfattah et al., ICLR 2021)."""
    return float(sum(float(g.norm()) for g in state.weight_grads))
