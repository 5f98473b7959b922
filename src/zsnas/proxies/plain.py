"""plain (the "plain" gradient-times-weight saliency of foresight / NASLib: Abdelfattah et al.,
"Zero-Cost Proxies for Lightweight NAS", ICLR 2021 (foresight ``measures/plain.py``); benchmarked
in NAS-Bench-Suite-Zero, Krishnakumar et al., NeurIPS 2022 D&B; NASLib
``naslib/predictors/utils/pruners/measures/plain.py``).

    plain = Σ_layers Σ_elements  ∂L/∂W ⊙ W

over the ``.weight`` of every Conv2d/Linear layer, with L the mean
cross-entropy of the logits on the batch (NASLib's default ``loss_fn =
F.cross_entropy``), one forward + one backward through the train-mode network
(BN batch statistics, the measure's default ``bn=True`` copy).

**Sign.**  The reference returns ``layer.weight.grad * layer.weight`` --
*signed*, no absolute value (unlike snip, which is ``|W ⊙ ∂L/∂W|``) -- and
sums it; we do the same, so the value can be negative.  It is the first-order
Taylor estimate of the change of L when all weights are removed, with the sign
flipped: ``L(0) − L(W) ≈ −Σ g⊙W``.  A layer whose weight receives no gradient
contributes zeros, as in the reference.

The gradient is exactly the shared pass's ``weight_grads`` (same batch, same
train-mode forward, mean CE, weights only), so plain joins the shared pass
and costs only the elementwise reduction.  Higher = better (raw value, the
reference's convention); 0 for NB201 cells with no input→output path (every
weight gradient is 0).
"""
from __future__ import annotations

from .common import sum_per_layer
from .registry import register


@register("plain", group="forward", needs=("weight_grads",), higher_is_better=True, version="1")
def plain(state) -> float:
    """plain = Σ (∂L/∂W ⊙ W), signed, over Conv2d/Linear weights, L = mean CE (foresight/NASLib ``plain``)."""
    return sum_per_layer(g * layer.weight.detach() for layer, g in zip(state.layers, state.weight_grads))
