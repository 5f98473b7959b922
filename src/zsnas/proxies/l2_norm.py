"""l2_norm (the weight-norm baseline of NAS-Bench-Suite-Zero: Krishnakumar et al.,
"NAS-Bench-Suite-Zero: Accelerating Research on Zero Cost Proxies", NeurIPS 2022 Datasets
and Benchmarks; NASLib ``naslib/predictors/utils/pruners/measures/l2_norm.py``).

    l2_norm = Σ_layers ‖W_l‖₂

over the ``.weight`` of every ``nn.Conv2d`` and ``nn.Linear`` (NASLib
``get_layer_metric_array``: stem conv, cell convs, the reduction blocks' convs
including the 1×1 downsample conv, NB101's 1×1 projections, the classifier).
``‖·‖₂`` is ``Tensor.norm()``, the Frobenius norm of the whole weight tensor
of one layer; the per-layer norms are then summed (NASLib's ``sum_arr``) -- a
sum of norms, not the norm of all weights concatenated.  Biases and BN γ/β
never count.

Reference semantics kept: the weights at initialisation, read directly
(NASLib registers it with ``copy_net=False``); no data, no forward pass, so
the value does not depend on the batch, the labels or the BN mode.  Group
``static``: it reads the caller's network and does not modify it.  Each
layer's norm is computed in the weight's dtype (float32 in production, as in
NASLib); the per-layer norms are summed in float64 (NASLib sums them in
float32 -- differences in the last digits only).

Cost: no forward, no backward; one pass over the weights.  Higher = better
(raw value, NASLib's convention).  A network without Conv2d/Linear layers
scores 0.0.
"""
from __future__ import annotations

import torch

from .common import scored_layers
from .registry import register


@register("l2_norm", group="static", higher_is_better=True, version="1")
def l2_norm(model, x, y, arch_seed) -> float:
    """l2_norm = Σ_l ‖W_l‖₂ over Conv2d/Linear weights at initialisation (NASLib ``l2_norm``)."""
    layers = scored_layers(model)
    if not layers:
        return 0.0
    with torch.no_grad():
        norms = torch.stack([layer.weight.detach().norm().to(torch.float64) for layer in layers])
        return float(norms.sum())
