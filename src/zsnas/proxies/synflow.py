"""synflow (Tanaka et al., "Pruning neural networks without any data by iteratively conserving
synaptic flow", NeurIPS 2020; as a NAS proxy: Abdelfattah et al., ICLR 2021, foresight).

On a private copy of the network with every BatchNorm bypassed (identity;
foresight's generic ``bn=False`` copy), converted to float64, with every
``state_dict`` entry replaced by its absolute value (signs restored after)::

    R = Σ_c f(𝟙)_c                   (𝟙: one all-ones image, shape (1, C, H, W))
    synflow = Σ_layers Σ_elements |W ⊙ ∂R/∂W|

over every Conv2d/Linear weight.  Data and labels are not used.  Higher =
better; 0 for NB201 cells with no input→output path (SPEC §1.6).

Deviation from foresight's own NB201 model: its ``bn=False`` rebuild keeps BN
in the two residual reduction blocks; we disable *all* BN layers, the generic
path that SPEC §1.6 names the clean definition.
"""
from __future__ import annotations

import torch

from .common import bypass_batchnorm, scored_layers, sum_per_layer
from .registry import register


@register("synflow", group="own", higher_is_better=True, version="1")
def synflow(net, x, y) -> float:
    """synflow = Σ |W ⊙ ∂R/∂W|, R = Σ f_|W|(ones(1,C,H,W)), float64, BN bypassed (Tanaka et al. 2020)."""
    bypass_batchnorm(net)
    net.double()
    state = net.state_dict()
    with torch.no_grad():
        signs = {name: torch.sign(t) for name, t in state.items()}
        for t in state.values():
            t.abs_()
    layers = scored_layers(net)
    weights = [layer.weight for layer in layers]
    device = weights[0].device if weights else x.device
    ones = torch.ones((1, *x.shape[1:]), dtype=torch.float64, device=device)
    with torch.enable_grad():
        r = net(ones).sum()
        grads = torch.autograd.grad(r, weights, allow_unused=True) if weights else ()
    score = sum_per_layer((w.detach() * g).abs() for w, g in zip(weights, grads) if g is not None)
    with torch.no_grad():
        for name, t in state.items():
            t.mul_(signs[name])
    return score
